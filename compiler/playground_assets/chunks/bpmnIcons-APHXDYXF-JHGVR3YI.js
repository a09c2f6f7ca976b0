throw new Error("pipec's playground draws flowcharts only (bpmnIcons-APHXDYXF.mjs is left out)");
