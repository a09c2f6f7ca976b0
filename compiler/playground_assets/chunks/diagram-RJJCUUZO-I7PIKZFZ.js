throw new Error("pipec's playground draws flowcharts only (diagram-RJJCUUZO.mjs is left out)");
