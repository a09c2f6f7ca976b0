throw new Error("pipec's playground draws flowcharts only (classDiagram-v2-KXABOMEV.mjs is left out)");
