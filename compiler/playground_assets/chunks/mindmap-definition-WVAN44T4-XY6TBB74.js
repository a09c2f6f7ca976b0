throw new Error("pipec's playground draws flowcharts only (mindmap-definition-WVAN44T4.mjs is left out)");
