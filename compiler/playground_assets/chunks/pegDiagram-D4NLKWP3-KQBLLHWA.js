throw new Error("pipec's playground draws flowcharts only (pegDiagram-D4NLKWP3.mjs is left out)");
