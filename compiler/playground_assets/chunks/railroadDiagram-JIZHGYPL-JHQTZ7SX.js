throw new Error("pipec's playground draws flowcharts only (railroadDiagram-JIZHGYPL.mjs is left out)");
