throw new Error("pipec's playground draws flowcharts only (infoDiagram-EZ3ZOAHP.mjs is left out)");
