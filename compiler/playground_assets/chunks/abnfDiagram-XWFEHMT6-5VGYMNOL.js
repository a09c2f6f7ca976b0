throw new Error("pipec's playground draws flowcharts only (abnfDiagram-XWFEHMT6.mjs is left out)");
