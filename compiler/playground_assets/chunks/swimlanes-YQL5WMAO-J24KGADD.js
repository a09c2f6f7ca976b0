throw new Error("pipec's playground draws flowcharts only (swimlanes-YQL5WMAO.mjs is left out)");
