throw new Error("pipec's playground draws flowcharts only (cynefinDiagram-NJNITYFG.mjs is left out)");
