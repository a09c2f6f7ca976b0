throw new Error("pipec's playground draws flowcharts only (xychartDiagram-GDYJKCDI.mjs is left out)");
