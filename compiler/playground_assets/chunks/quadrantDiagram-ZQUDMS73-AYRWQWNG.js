throw new Error("pipec's playground draws flowcharts only (quadrantDiagram-ZQUDMS73.mjs is left out)");
