throw new Error("pipec's playground draws flowcharts only (swimlanesDiagram-UCCPES4V.mjs is left out)");
