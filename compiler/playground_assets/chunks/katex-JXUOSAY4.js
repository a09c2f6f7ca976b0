throw new Error("pipec's playground draws flowcharts only (katex is left out)");
