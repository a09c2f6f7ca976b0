throw new Error("pipec's playground draws flowcharts only (requirementDiagram-AXW2TVFA.mjs is left out)");
