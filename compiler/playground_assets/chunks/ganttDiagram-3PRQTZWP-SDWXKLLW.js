throw new Error("pipec's playground draws flowcharts only (ganttDiagram-3PRQTZWP.mjs is left out)");
