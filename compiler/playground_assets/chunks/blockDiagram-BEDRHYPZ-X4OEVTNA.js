throw new Error("pipec's playground draws flowcharts only (blockDiagram-BEDRHYPZ.mjs is left out)");
