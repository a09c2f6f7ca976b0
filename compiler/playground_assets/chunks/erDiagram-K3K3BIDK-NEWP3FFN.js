throw new Error("pipec's playground draws flowcharts only (erDiagram-K3K3BIDK.mjs is left out)");
