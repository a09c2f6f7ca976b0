throw new Error("pipec's playground draws flowcharts only (kanban-definition-BH5XI6FM.mjs is left out)");
