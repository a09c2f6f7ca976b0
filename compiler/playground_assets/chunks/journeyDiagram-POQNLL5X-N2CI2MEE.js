throw new Error("pipec's playground draws flowcharts only (journeyDiagram-POQNLL5X.mjs is left out)");
