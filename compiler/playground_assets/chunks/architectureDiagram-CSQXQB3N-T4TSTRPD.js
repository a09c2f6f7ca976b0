throw new Error("pipec's playground draws flowcharts only (architectureDiagram-CSQXQB3N.mjs is left out)");
