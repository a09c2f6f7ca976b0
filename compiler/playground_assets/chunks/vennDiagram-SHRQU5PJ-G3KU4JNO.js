throw new Error("pipec's playground draws flowcharts only (vennDiagram-SHRQU5PJ.mjs is left out)");
