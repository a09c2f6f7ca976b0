throw new Error("pipec's playground draws flowcharts only (usecaseDiagram-RDK6N6HP.mjs is left out)");
