// Builds the playground's page into compiler/playground_assets/ (shipped in pipec's wheel):
// node build.mjs [OUT]. The output depends on the sources and package-lock.json only
// (tests/test_playground.py rebuilds it and compares it with the shipped files).
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync, rmSync, readdirSync } from "node:fs";
import { join } from "node:path";

const out = process.argv[2] || "../compiler/playground_assets";
mkdirSync(out, { recursive: true });
for (const name of readdirSync(out)) {
  if (name !== "catalog.json") rmSync(join(out, name), { recursive: true, force: true });
}
// pipec draws flowcharts only: Mermaid's other diagram types, its ELK and other layouts and KaTeX
// (loaded on demand by Mermaid) are left out of the bundle; importing one fails with a message
const KEEP = /(flowDiagram|dagre|render|sizeCapture)-[A-Z0-9]+\.mjs$/;
const onlyFlowcharts = {
  name: "only-flowcharts",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== "dynamic-import" || !/node_modules[\\/]mermaid[\\/]/.test(args.importer)) return undefined;
      return KEEP.test(args.path) ? undefined : { path: args.path, namespace: "left-out" };
    });
    build.onLoad({ filter: /.*/, namespace: "left-out" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`pipec's playground draws flowcharts only (${args.path.replace(/^.*\//, "")} is left out)`)});`,
      loader: "js",
    }));
  },
};

await esbuild.build({
  entryPoints: { app: "src/main.js" },
  plugins: [onlyFlowcharts],
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: "es2020",
  outdir: out,
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "external",
  charset: "utf8",
  logLevel: "warning",
});
await esbuild.build({ entryPoints: ["src/app.css"], bundle: true, minify: true, outdir: out, logLevel: "warning" });
copyFileSync("src/index.html", join(out, "index.html"));
