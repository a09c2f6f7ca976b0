throw new Error("pipec's playground draws flowcharts only (ebnfDiagram-N527522P.mjs is left out)");
