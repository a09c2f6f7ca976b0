throw new Error("pipec's playground draws flowcharts only (sequenceDiagram-3LA2ROMG.mjs is left out)");
