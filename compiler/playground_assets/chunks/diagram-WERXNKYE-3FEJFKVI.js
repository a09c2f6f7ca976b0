throw new Error("pipec's playground draws flowcharts only (diagram-WERXNKYE.mjs is left out)");
