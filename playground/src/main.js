// The playground page (pipec playground, docs/playground.md). Every text that comes from the
// user or from pipec is put in the page as text (textContent, value, CodeMirror documents),
// never as HTML; the only markup built from data is Mermaid's SVG, rendered with
// securityLevel "strict" and without HTML labels (labels are SVG text), parsed in an inert
// document (DOMParser: nothing in it runs) and moved into the page.
import { EditorView, basicSetup } from "codemirror";
import { EditorState, Compartment } from "@codemirror/state";
import { setDiagnostics } from "@codemirror/lint";
import { yaml } from "@codemirror/lang-yaml";
import { json } from "@codemirror/lang-json";
import { zipSync, deflateSync, inflateSync, strToU8, strFromU8 } from "fflate";
import { pipeLanguage } from "./pipe-language.js";
import { backend } from "./backend.js";

const MAX_SOURCE_BYTES = 1000000; // pipec.playground.MAX_SOURCE_BYTES
const MAX_BODY = 1048576; // pipec.playground_server.MAX_BODY: larger requests are refused (413)
const DEBOUNCE_MS = 80;
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

let catalog = { examples: [], lessons: [], exercises: [], solutions: [], files: [] };
let current = null; // the last compile result
let target = "aws";
let shownFile = null;
let seq = 0;
let timer = null;
let exercise = null;
// "kept" when the status line answers something the user did that no compilation answers (a
// refused paste, a link that cannot be read): a compilation that ends later (of an earlier
// edit, or of the example loaded instead) leaves it; the user's next edit of the text clears it.
// Other problems are cleared by the next compilation without one.
let statusFrom = null;

function status(text, problem = false, from = null) {
  $("status").textContent = text;
  $("status").className = problem ? "problem" : "";
  statusFrom = text ? from : null;
}

// ---------------------------------------------------------------- the editor

function badPaste(text) {
  const size = new TextEncoder().encode(text).length;
  if (size > MAX_SOURCE_BYTES) {
    return `The pasted text is ${size.toLocaleString("en")} bytes; the playground takes at most ` +
      `${MAX_SOURCE_BYTES.toLocaleString("en")} bytes. Nothing was pasted. (pipec on the command line reads up to 2 MiB.)`;
  }
  const bad = text.search(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/);
  if (bad >= 0) {
    const code = text.charCodeAt(bad).toString(16).padStart(4, "0");
    return `The pasted text looks binary (character U+${code.toUpperCase()} at offset ${bad}); nothing was pasted. ` +
      "Paste a .pipe file's text.";
  }
  return null;
}

const editor = new EditorView({
  parent: $("editor"),
  state: EditorState.create({
    doc: "",
    extensions: [
      basicSetup,
      pipeLanguage,
      EditorView.updateListener.of((u) => {
        if (!u.docChanged) return;
        const typed = u.transactions.some((tr) => ["input", "delete", "undo", "redo", "move"].some((e) => tr.isUserEvent(e)));
        if (typed && statusFrom === "kept") status("");
        schedule();
      }),
      EditorView.domEventHandlers({
        paste(event) {
          const text = event.clipboardData ? event.clipboardData.getData("text/plain") : "";
          const problem = badPaste(text);
          if (problem) { event.preventDefault(); status(problem, true, "kept"); return true; }
          return false;
        },
      }),
    ],
  }),
});

function setSource(text, name) {
  if (name) $("filename").value = name;
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
  schedule(0);
}

function schedule(delay = DEBOUNCE_MS) {
  clearTimeout(timer);
  timer = setTimeout(() => { timer = null; compile(); }, delay);
}

function position(doc, line, column) {
  if (!line) return 0;
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + Math.max((column || 1) - 1, 0), l.to);
}

function renderDiagnostic(d) {
  const box = el("div");
  box.append(el("strong", `${d.code} `), el("span", d.message));
  if (d.help) box.append(el("span", `hint: ${d.help}`, "hint"));
  for (const note of d.notes || []) box.append(el("span", `note: ${note}`, "hint"));
  box.append(docsLink(d));
  return box;
}

function docsLink(d) {
  const span = el("span", "", "hint");
  const button = el("button", `docs: ${d.code}`, "code-link");
  button.type = "button";
  button.addEventListener("click", () => showCode(d.code));
  span.append(button);
  if (d.docs && /^https:\/\//.test(d.docs)) {
    const a = el("a", " (online)");
    a.href = d.docs;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    span.append(a);
  }
  return span;
}

async function showCode(code) {
  try {
    const r = await backend("code", { code });
    $("code-doc-text").textContent = r.text || `${code}: no entry`;
    $("code-doc").hidden = false;
  } catch (e) {
    status(String(e.message || e), true);
  }
}

function showDiagnostics(diags) {
  const doc = editor.state.doc;
  const list = $("diagnostics");
  list.replaceChildren();
  const forEditor = [];
  for (const d of diags) {
    const from = position(doc, d.line, d.column);
    let to = d.end_line ? position(doc, d.end_line, d.end_column) : from;
    if (to <= from) to = Math.min(from + 1, doc.length);
    forEditor.push({
      from, to, severity: d.severity === "error" ? "error" : "warning",
      source: d.code, message: `${d.code}: ${d.message}`, renderMessage: () => renderDiagnostic(d),
    });
    const li = el("li", "", `sev-${d.severity}`);
    li.dataset.code = d.code;
    const where = d.line ? `${$("filename").value}:${d.line}:${d.column || 1}: ` : "";
    li.append(el("span", `${where}${d.severity} ${d.code}: ${d.message}`));
    if (d.help) li.append(el("span", `hint: ${d.help}`, "hint"));
    li.append(docsLink(d));
    list.append(li);
  }
  editor.dispatch(setDiagnostics(editor.state, forEditor));
  const errors = diags.filter((d) => d.severity === "error").length;
  $("summary").textContent = errors ? `${errors} error(s), ${diags.length - errors} warning(s)`
    : diags.length ? `ok with ${diags.length} warning(s)` : "ok";
}

async function compile() {
  const source = editor.state.doc.toString();
  const mine = ++seq;
  const size = new TextEncoder().encode(source).length;
  if (size > MAX_SOURCE_BYTES) {
    status(`The source is ${size.toLocaleString("en")} bytes; the playground takes at most ` +
      `${MAX_SOURCE_BYTES.toLocaleString("en")} bytes. Shorten it to see diagnostics and outputs.`, true);
    return;
  }
  const request = { source, name: $("filename").value };
  const body = new TextEncoder().encode(JSON.stringify(request)).length;
  if (body > MAX_BODY) {
    status(`The source is ${size.toLocaleString("en")} bytes, but ${body.toLocaleString("en")} bytes as a request ` +
      "(JSON writes each quote, backslash and control character with two bytes or more); the playground " +
      `takes requests of at most ${MAX_BODY.toLocaleString("en")} bytes. Shorten it to see diagnostics and outputs.`, true);
    return;
  }
  let result;
  try {
    result = await backend("compile", request);
  } catch (e) {
    if (mine === seq) status(String(e.message || e), true);
    return;
  }
  if (mine !== seq) return; // a later edit is on its way
  current = result;
  if (result.problem) status(result.problem, true);
  else if ($("status").className === "problem" && statusFrom !== "kept") status("");
  showDiagnostics(result.diagnostics);
  showFiles();
  showGraph(result.graph, mine);
  $("explain").textContent = result.explain || "";
  document.body.dataset.compiled = String(mine);
}

// ---------------------------------------------------------------- generated files

const viewerLanguage = new Compartment();
const viewer = new EditorView({
  parent: $("output"),
  state: EditorState.create({
    doc: "",
    extensions: [basicSetup, EditorState.readOnly.of(true), EditorView.editable.of(false), viewerLanguage.of([])],
  }),
});

function filesOf(t) {
  if (!current || !current.files) return {};
  return { ...(current.files.targets[t] || {}), ...current.files.shared };
}

function showFiles() {
  const files = filesOf(target);
  const names = Object.keys(files);
  $("no-output").hidden = names.length > 0;
  const tabs = $("file-tabs");
  tabs.replaceChildren();
  if (!names.includes(shownFile)) shownFile = names[0] || null;
  for (const name of names) {
    const b = el("button", name);
    b.type = "button";
    b.setAttribute("role", "tab");
    b.dataset.file = name;
    b.setAttribute("aria-selected", String(name === shownFile));
    b.addEventListener("click", () => { shownFile = name; showFiles(); });
    tabs.append(b);
  }
  const text = shownFile ? files[shownFile] : "";
  const lang = !shownFile ? [] : shownFile.endsWith(".json") ? json() : /\.ya?ml$/.test(shownFile) ? yaml() : [];
  if (viewer.state.doc.toString() !== text) {
    viewer.dispatch({ changes: { from: 0, to: viewer.state.doc.length, insert: text } });
  }
  viewer.dispatch({ effects: viewerLanguage.reconfigure(lang) });
  $("output").dataset.file = shownFile || "";
}

for (const radio of document.querySelectorAll("input[name=target]")) {
  radio.addEventListener("change", () => { target = radio.value; shownFile = null; showFiles(); });
}

// ---------------------------------------------------------------- graph

let mermaidReady = null;
async function showGraph(text, mine) {
  const box = $("graph");
  if (!text) { box.replaceChildren(el("p", "Fix the errors to see the graph.", "note")); return; }
  try {
    if (!mermaidReady) {
      mermaidReady = import("mermaid").then(({ default: mermaid }) => {
        // dagre: the layout bundled (Mermaid 12 defaults to ELK, which is left out: build.mjs)
        mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "neutral", layout: "dagre",
          maxTextSize: 1000000, htmlLabels: false, flowchart: { htmlLabels: false } });
        return mermaid;
      });
    }
    const mermaid = await mermaidReady;
    const { svg } = await mermaid.render(`pipec-graph-${mine}`, text);
    if (mine !== seq) return;
    // parsed in an inert document (nothing in it runs), then moved into the page; the page's
    // policy forbids inline scripts and handlers in any case
    const parsed = new DOMParser().parseFromString(svg, "text/html");
    const root = parsed.body.querySelector("svg");
    if (!root) throw new Error("Mermaid drew nothing");
    for (const s of root.querySelectorAll("script")) s.remove();
    box.replaceChildren(document.importNode(root, true));
  } catch (e) {
    box.replaceChildren(el("p", `The graph could not be drawn: ${e.message || e}`, "note"));
  }
}

// ---------------------------------------------------------------- views, menu, share, zip

for (const tab of document.querySelectorAll("#views button")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll("#views button")) {
      t.setAttribute("aria-selected", String(t === tab));
      $(`view-${t.dataset.view}`).hidden = t !== tab;
    }
  });
}

function option(select, value, text) {
  const o = el("option", text);
  o.value = value;
  select.append(o);
}

function source(name, list) {
  const found = (list || [...catalog.examples, ...catalog.files]).find((e) => e.name === name);
  return found ? found.source : null;
}

function showLesson(title, text, ref, solution) {
  $("lesson").hidden = false;
  $("lesson-title").textContent = title;
  $("lesson-text").textContent = text;
  $("lesson-ref").textContent = ref;
  $("show-solution").hidden = !solution;
  exercise = solution;
}

async function loadCatalog() {
  catalog = await backend("catalog", {});
  for (const e of catalog.examples) option($("examples"), e.name, `${e.name}${e.title ? " – " + e.title : ""}`);
  for (const l of catalog.lessons) option($("lessons"), String(l.number), `${l.number}. ${l.title}`);
  for (const x of catalog.exercises) option($("exercises"), String(x.number), `Exercise ${x.number} (lesson ${x.lesson})`);
}

$("examples").addEventListener("change", (ev) => {
  const name = ev.target.value;
  if (!name) return;
  $("lesson").hidden = true;
  setSource(source(name), name);
});
$("lessons").addEventListener("change", (ev) => {
  const l = catalog.lessons.find((x) => String(x.number) === ev.target.value);
  if (!l) return;
  showLesson(`Lesson ${l.number}: ${l.title}`, l.goal, `docs/tutorial.md#${l.anchor}` + (l.example ? `, example ${l.example}` : ""), null);
  if (l.example) setSource(source(l.example), l.example);
});
$("exercises").addEventListener("change", (ev) => {
  const x = catalog.exercises.find((e) => String(e.number) === ev.target.value);
  if (!x) return;
  showLesson(`Exercise ${x.number} (lesson ${x.lesson})`, x.task,
    x.start ? `Start from ${x.start}.` : "Start from the file the tutorial shows.", x.solution);
  if (x.start) setSource(source(x.start), x.start);
});
$("show-solution").addEventListener("click", () => {
  if (exercise) setSource(source(exercise, catalog.solutions), exercise);
});
$("code-doc-close").addEventListener("click", () => { $("code-doc").hidden = true; });
$("filename").addEventListener("change", () => schedule(0));

function base64url(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function unbase64url(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function shareLink() {
  const packed = base64url(deflateSync(strToU8(editor.state.doc.toString()), { level: 9 }));
  const name = encodeURIComponent($("filename").value);
  return `${location.origin}${location.pathname}#name=${name}&src=${packed}`;
}

$("share").addEventListener("click", async () => {
  const url = shareLink();
  $("share-box").hidden = false;
  $("share-url").value = url;
  $("share-url").select();
  history.replaceState(null, "", url);
  try { await navigator.clipboard.writeText(url); status("The link is copied: it holds the source, compressed."); }
  catch { status("The link holds the source, compressed: copy it from the box."); }
});

function fromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const packed = params.get("src");
  if (!packed) return false;
  try {
    const text = strFromU8(inflateSync(unbase64url(packed)));
    let name = params.get("name") || "pipeline.pipe";
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) name = "pipeline.pipe";
    setSource(text, name);
    return true;
  } catch {
    status("The link's source could not be read (the link is cut or altered).", true, "kept");
    return false;
  }
}

$("download").addEventListener("click", () => {
  if (!current || !current.files) { status("Nothing to download: fix the errors first.", true); return; }
  const files = {};
  const all = { ...current.files.targets.aws, ...current.files.targets.github, ...current.files.shared };
  for (const [path, text] of Object.entries(all).sort()) files[path] = strToU8(text);
  // a fixed date: the same outputs make the same zip
  const zip = zipSync(files, { level: 6, mtime: new Date("2000-01-01T00:00:00Z") });
  const a = el("a");
  a.href = URL.createObjectURL(new Blob([zip], { type: "application/zip" }));
  a.download = $("filename").value.replace(/\.pipe$/, "") + "-outputs.zip";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
});

// ---------------------------------------------------------------- import

let imported = null;
$("import-run").addEventListener("click", async () => {
  const text = $("import-text").value;
  const problem = badPaste(text);
  $("import-pipe").textContent = "";
  $("import-report").textContent = "";
  if (problem) { $("import-status").textContent = problem; return; }
  $("import-status").textContent = "importing…";
  try {
    const r = await backend("import", { source: text, name: $("import-name").value, repository: $("import-repository").value });
    imported = r.source;
    const counts = `${r.unconverted.length} construct(s) not converted, ${r.tasks.length} manual task(s)`;
    $("import-status").textContent = `${r.kind || "unknown input"}: ${r.status}; ${counts}`;
    $("import-pipe").textContent = r.source || r.diagnostics.map((d) => `${d.code}: ${d.message}${d.help ? "\nhint: " + d.help : ""}`).join("\n");
    $("import-report").textContent = r.report;
    $("import-open").disabled = !r.source;
  } catch (e) {
    $("import-status").textContent = String(e.message || e);
  }
});
$("import-open").addEventListener("click", () => {
  if (imported) setSource(imported, ($("import-name").value.replace(/\.[^.]*$/, "") || "imported") + ".pipe");
});

// what the browser tests read: the documents the page shows, as the page holds them
window.pipecPlayground = {
  editorText: () => editor.state.doc.toString(),
  shownFile: () => shownFile,
  shownText: () => viewer.state.doc.toString(),
  shareLink,
  // no edit waiting to be compiled and the last one sent shown (tests wait for this)
  settled: () => timer === null && document.body.dataset.compiled === String(seq),
};

window.addEventListener("hashchange", fromFragment);
loadCatalog().then(() => {
  if (!fromFragment()) setSource(source("01-ci-pull-requests.pipe") || "", "01-ci-pull-requests.pipe");
}).catch((e) => status(`The playground could not start: ${e.message || e}`, true));
