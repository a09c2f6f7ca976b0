throw new Error("pipec's playground draws flowcharts only (stateDiagram-v2-ATKHQDJO.mjs is left out)");
