// Builds the playground's page into compiler/playground_assets/ (shipped in pipec's wheel):
// node build.mjs [OUT]. The output depends on the sources and package-lock.json only
// (tests/test_playground.py rebuilds it and compares it with the shipped files).
import * as esbuild from "esbuild";
import { copyFileSync, existsSync, mkdirSync, rmSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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

const bundled = await esbuild.build({
  entryPoints: { app: "src/main.js" },
  metafile: true,
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

// The licences of the packages whose code is in the bundle (the MIT, ISC and Apache licences ask
// that their notice go with every copy): THIRD-PARTY-LICENSES.txt, shipped beside the page.
function packageOf(input) {
  const m = input.match(/^(?:.*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  return m ? m[1] : null;
}
const names = [...new Set(Object.keys(bundled.metafile.inputs).map(packageOf).filter(Boolean))].sort();
const parts = [
  "The playground's page (pipec playground) bundles code of these npm packages, each under the",
  "licence that follows its name. pipec itself is under the MIT licence (LICENSE).",
];
for (const name of names) {
  const dir = join("node_modules", name);
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = readdirSync(dir).filter((f) => /^licen[cs]e/i.test(f)).sort()[0];
  const text = file ? readFileSync(join(dir, file), "utf8").trim()
    : `(the package holds no licence file; its package.json says: ${meta.license})`;
  parts.push("", "=".repeat(78), `${name} ${meta.version}: ${meta.license || "the licence below"}`, "=".repeat(78), "", text);
}
writeFileSync(join(out, "THIRD-PARTY-LICENSES.txt"), parts.join("\n") + "\n");
