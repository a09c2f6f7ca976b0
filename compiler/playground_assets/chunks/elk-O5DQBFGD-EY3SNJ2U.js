throw new Error("pipec's playground draws flowcharts only (elk-O5DQBFGD.mjs is left out)");
