throw new Error("pipec's playground draws flowcharts only (timeline-definition-7Z437IG3.mjs is left out)");
