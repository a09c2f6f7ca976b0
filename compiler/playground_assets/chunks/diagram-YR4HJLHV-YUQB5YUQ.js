throw new Error("pipec's playground draws flowcharts only (diagram-YR4HJLHV.mjs is left out)");
