throw new Error("pipec's playground draws flowcharts only (diagram-7YQZDPLS.mjs is left out)");
