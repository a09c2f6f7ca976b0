throw new Error("pipec's playground draws flowcharts only (ishikawaDiagram-S3EKX5GW.mjs is left out)");
