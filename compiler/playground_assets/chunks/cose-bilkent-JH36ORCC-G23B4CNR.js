throw new Error("pipec's playground draws flowcharts only (cose-bilkent-JH36ORCC.mjs is left out)");
