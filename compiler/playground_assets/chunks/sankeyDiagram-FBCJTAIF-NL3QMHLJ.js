throw new Error("pipec's playground draws flowcharts only (sankeyDiagram-FBCJTAIF.mjs is left out)");
