throw new Error("pipec's playground draws flowcharts only (diagram-YHHI257C.mjs is left out)");
