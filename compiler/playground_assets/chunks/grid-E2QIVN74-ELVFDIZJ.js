throw new Error("pipec's playground draws flowcharts only (grid-E2QIVN74.mjs is left out)");
