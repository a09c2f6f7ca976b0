throw new Error("pipec's playground draws flowcharts only (wardleyDiagram-F3OXNVQS.mjs is left out)");
