throw new Error("pipec's playground draws flowcharts only (gitGraphDiagram-VXDFKS5L.mjs is left out)");
