throw new Error("pipec's playground draws flowcharts only (c4Diagram-M2UUVUY5.mjs is left out)");
