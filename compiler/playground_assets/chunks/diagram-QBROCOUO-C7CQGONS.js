throw new Error("pipec's playground draws flowcharts only (diagram-QBROCOUO.mjs is left out)");
