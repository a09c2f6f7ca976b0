throw new Error("pipec's playground draws flowcharts only (pieDiagram-36ENHN4W.mjs is left out)");
