"""Tests for pipec.graph: ``pipec graph FILE --format mermaid|dot|svg|png``.

The Mermaid text is checked by the real Mermaid parser (``mermaid.parse()``) in Node when node and
npm are available: the pinned packages are installed once into a cache directory outside the
repository (``$PIPEC_TEST_CACHE`` or ``~/.cache/pipec-tests``) and reused afterwards. Every
example's graph, a graph with hostile strings and deliberately broken texts go through one Node
process. The test skips only when node/npm are missing or the install fails (no network); a
graph that does not parse fails it.

Pins: mermaid 12.3.0 (the current release) with jsdom 29.1.1. jsdom 31 (current) needs Node 22
and fails to load on this machine's Node 20 (undici's zstd); 29.1.1 is the newest jsdom whose
engines include Node 20.19. mermaid 12.3.0 declares Node >= 22.12 but its parser runs on Node 20.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from pipec import compile_file, compile_text
from pipec import graph
from pipec.graph import FORMATS, GraphError, render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.pipe")))
REFERENCE = os.path.join(ROOT, "examples", "02-reference.pipe")

MERMAID_VERSION = "12.3.0"
JSDOM_VERSION = "29.1.1"

HOSTILE_MESSAGE = r'Say \"yes\" #1 [now] {ok} <b>bold</b> & `tick` | a;b #quot; %% end'
HOSTILE = textwrap.dedent(r'''
    pipeline hostile {
      source app github "acme/app" {
        branch main
        on push branches main paths "src/[ab]*/**" !"docs/#{x}/**"
      }
      stage build {
        build end {
          build "make"
          artifact out files "**/*"
        }
      }
      stage gate {
        transition disabled "freeze: ask #release \"now\" [see <wiki>]"
        approve ok {
          message "MESSAGE"
        }
        deploy web-prod to ecs {
          from out
          cluster c
          service s
          strategy rolling
        }
      }
    }
''').replace("MESSAGE", HOSTILE_MESSAGE)


def _pipeline(path):
    p, _ = compile_file(path)
    return p


@pytest.fixture(scope="module")
def reference():
    return _pipeline(REFERENCE)


@pytest.fixture(scope="module")
def hostile():
    p, _ = compile_text(HOSTILE, "hostile.pipe")
    return p


def _nodes(mermaid: str) -> dict[str, str]:
    """node id -> the whole node line (shape and label) of a Mermaid text made by pipec."""
    out = {}
    for line in mermaid.splitlines():
        m = re.match(r"^    ((?:src|a)\d+)(\S.*)$", line)
        if m:
            assert m.group(1) not in out, f"node {m.group(1)} defined twice"
            out[m.group(1)] = m.group(2)
    return out


def _edges(mermaid: str) -> list[tuple[str, str, str | None]]:
    """(from, to, label or None for a dashed ordering edge)."""
    out = []
    for line in mermaid.splitlines():
        m = re.match(r'^  (\w+) -->\|"([^"]*)"\| (\w+)$', line)
        if m:
            out.append((m.group(1), m.group(3), m.group(2)))
            continue
        m = re.match(r"^  (\w+) -\.-> (\w+)$", line)
        if m:
            out.append((m.group(1), m.group(2), None))
    return out


def _node_id(nodes: dict[str, str], label_start: str) -> str:
    found = [nid for nid, text in nodes.items() if re.match(r'^\W+"' + re.escape(label_start), text)]
    assert len(found) == 1, (label_start, found)
    return found[0]


# ----------------------------------------------------------------------------- every example


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_every_example_renders(path):
    p = _pipeline(path)
    mm = render(p, "mermaid")
    dot = render(p, "dot")
    assert isinstance(mm, str) and isinstance(dot, str)
    assert "\nflowchart LR\n" in mm
    assert dot.startswith("digraph ")
    nodes = _nodes(mm)
    actions = list(p.actions())
    assert len(nodes) == len(p.sources) + len(actions)
    for act in actions:  # every action drawn once, with its name
        assert sum(f" {act.name}" in text for text in nodes.values()) >= 1
    # every edge joins drawn nodes, and every artifact an action reads arrives on an edge
    edges = _edges(mm)
    for a, b, _ in edges:
        assert a in nodes and b in nodes
    labels = {name for _, _, lab in edges if lab for name in lab.split(", ")}
    assert {i for act in actions for i in act.inputs} <= labels
    _check_dot(dot)
    assert render(p) == mm  # mermaid is the default


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_every_action_is_ordered(path):
    """Every action is reachable from a source: the drawing shows where it runs in the order."""
    p = _pipeline(path)
    mm = render(p)
    adj = {}
    for a, b, _ in _edges(mm):
        adj.setdefault(a, []).append(b)
    seen = [f"src{i}" for i in range(1, len(p.sources) + 1)]
    todo = list(seen)
    while todo:
        for m in adj.get(todo.pop(), ()):
            if m not in seen:
                seen.append(m)
                todo.append(m)
    assert set(_nodes(mm)) <= set(seen)


# ----------------------------------------------------------------------------- the reference


def test_reference_structure(reference):
    mm = render(reference, "mermaid")
    nodes = _nodes(mm)
    edges = _edges(mm)
    web = _node_id(nodes, "build web")
    staging = _node_id(nodes, "deploy web-staging")
    prod = _node_id(nodes, "deploy web-prod")
    release = _node_id(nodes, "approve release")
    src = _node_id(nodes, "source app")
    # the artifact dist goes from build web to both deploys; the source feeds the build
    assert (web, staging, "dist") in edges
    assert (web, prod, "dist") in edges
    assert (src, web, "app") in edges
    # the approval is a gate (hexagon), shown between staging and production
    assert nodes[release].startswith('{{"') and nodes[release].endswith('"}}')
    assert "Verify staging before production" in nodes[release]
    assert (staging, release, None) in edges and (release, prod, None) in edges
    # no dashed edge where an artifact edge already shows the order
    assert (web, staging, None) not in edges
    # strategies, platforms and targets
    assert "deploy web-prod → ECS<br/>canary 10% then rest after 5m<br/>" in nodes[prod]
    assert "deploy web-staging → EC2<br/>rolling one at a time<br/>" in nodes[staging]
    assert "my-app-cluster / my-app-service" in nodes[prod]
    assert nodes[staging].startswith('[/"')
    # the source with its provider, location and trigger
    assert "github my-org/my-repo @ main" in nodes[src]
    assert "on push main · paths src/** package*.json !docs/**" in nodes[src]
    assert nodes[src].startswith('[("')
    # stages as groups, in order
    titles = re.findall(r'^  subgraph (\w+)\["([^"]*)"\]$', mm, re.M)
    assert [t for _, t in titles] == ["Source", "stage build", "stage staging", "stage approval",
                                      "stage production"]
    assert mm.count("\n  end\n") == len(titles)
    # DOT: the same nodes and edges
    dot = render(reference, "dot")
    assert dot.count("subgraph cluster_") == 5
    assert 'a1 -> a2 [label="dist"];' in dot and 'a1 -> a4 [label="dist"];' in dot
    assert "shape=hexagon" in dot and "a2 -> a3 [style=dashed];" in dot
    assert "canary 10% then rest after 5m" in dot


def test_hybrid_stages_are_labelled_and_branch():
    p = _pipeline(os.path.join(ROOT, "examples", "08-hybrid-github-ci-aws-cd.pipe"))
    mm = render(p)
    assert 'subgraph g1["stage pr-checks · via github"]' in mm
    assert 'subgraph g2["stage build · via aws"]' in mm
    assert "on pull_request opened, updated into main · via github" in mm
    nodes = _nodes(mm)
    image = _node_id(nodes, "build image")
    # the aws build does not wait for the github-only checks: no edge from them
    checks = [_node_id(nodes, f"test {n}") for n in ("lint", "unit", "integration")]
    assert not [e for e in _edges(mm) if e[0] in checks and e[1] == image]


def test_strategies_and_triggers_in_words():
    texts = {path: render(_pipeline(path)) for path in EXAMPLES}
    joined = "\n".join(texts.values())
    for words in ("rolling update", "rolling half at a time", "rolling, min 75% healthy",
                  "blue/green · old kept 1h", "linear 10% every 3m", "all at once",
                  "on push tags payments-v*", "on manual", "on schedule 30 5 * * MON-FRI (UTC)",
                  "on upload · via aws", "on pull_request opened, updated into main",
                  "deploy www-prod → S3", "invoke invalidate-cdn → Lambda",
                  "deploy stack-staging → CloudFormation"):
        assert words in joined, words


def test_parallel_actions_share_their_predecessor():
    p = _pipeline(os.path.join(ROOT, "examples", "06-parallel-tests.pipe"))
    mm = render(p)
    nodes = _nodes(mm)
    tests = [_node_id(nodes, f"test {n}") for n in ("unit", "integration", "security")]
    staging = _node_id(nodes, "deploy search-staging")
    edges = _edges(mm)
    for t in tests:  # each parallel test must finish before the deploy
        assert (t, staging, None) in edges
    assert not [e for e in edges if e[0] in tests and e[1] in tests]


# ----------------------------------------------------------------------------- determinism


def test_deterministic(reference):
    again = _pipeline(REFERENCE)
    for fmt in ("mermaid", "dot"):
        assert render(reference, fmt) == render(again, fmt)


def test_byte_identical_across_processes():
    code = ("import sys; from pipec import compile_file; from pipec.graph import render\n"
            "for f in sys.argv[1:]:\n"
            "    p, _ = compile_file(f); sys.stdout.write(render(p) + render(p, 'dot'))\n")
    outs = set()
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(subprocess.run([sys.executable, "-c", code, *EXAMPLES], env=env, check=True,
                                capture_output=True).stdout)
    assert len(outs) == 1


# ----------------------------------------------------------------------------- escaping


def test_mermaid_escaping(hostile):
    mm = render(hostile, "mermaid")
    # every label is one "..." string: no raw quote, #, < or > from the input survives
    for line in mm.splitlines()[4:]:
        if line.strip().startswith(("classDef", "class ")):
            continue
        assert line.count('"') % 2 == 0, line
        for s in re.findall(r'"([^"]*)"', line):
            assert "<" not in s.replace("<br/>", "") and ">" not in s.replace("<br/>", ""), s
            assert "`" not in s and "&" not in s
            assert re.sub(r"#(quot|lt|gt|amp|35|37|96);", "", s).count("#") == 0, s
            assert "%%" not in s, s
    assert ("Say #quot;yes#quot; #35;1 [now] {ok} #lt;b#gt;bold#lt;/b#gt; #amp; #96;tick#96; | a;b "
            "#35;quot; #37;% end") in mm
    assert "freeze: ask #35;release #quot;now#quot; [see #lt;wiki#gt;]" in mm
    assert "!docs/#35;{x}/**" in mm
    # a node named 'end' gets a generated id, never 'end'
    nodes = _nodes(mm)
    assert _node_id(nodes, "build end")
    assert not re.search(r"^\s*end\[", mm, re.M)


def test_mermaid_escape_function():
    assert graph.mermaid_escape('a"b#c<d>e&f`g\nh') == "a#quot;b#35;c#lt;d#gt;e#amp;f#96;g h"
    # Mermaid strips '%%{...}%%' from anywhere in the text as a directive; a lone '%' is kept
    assert graph.mermaid_escape("10% %%{init: {}}%% 50%%") == "10% #37;%{init: {}}#37;% 50#37;%"


def test_dot_escaping(hostile):
    dot = render(hostile, "dot")
    _check_dot(dot)
    assert r'Say \"yes\" #1 [now] {ok} <b>bold</b> & `tick` | a;b #quot; %% end' in dot
    assert graph.dot_escape('a\\b"c\nd') == 'a\\\\b\\"c\\nd'


def _check_dot(dot: str):
    """A structural check of DOT text (no pydot here): strings terminated, braces balanced
    outside strings, every statement line ends with ';', '{' or '}', edges join declared nodes."""
    depth, i, in_str = 0, 0, False
    while i < len(dot):
        c = dot[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
            elif c == "\n":
                raise AssertionError("newline inside a DOT string")
        elif c == '"':
            in_str = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            assert depth >= 0
        i += 1
    assert not in_str and depth == 0
    lines = dot.strip().splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith("{") and lines[-1] == "}"
    declared = set()
    for line in lines[1:-1]:
        assert line.rstrip().endswith((";", "{", "}")), line
        m = re.match(r"^\s+(\w+) \[label=", line)
        if m:
            declared.add(m.group(1))
    for a, b in re.findall(r"^\s+(\w+) -> (\w+) ", dot, re.M):
        assert a in declared and b in declared


# ----------------------------------------------------------------------------- formats, dot program


def test_unknown_format(reference):
    with pytest.raises(GraphError, match="unknown graph format 'jpeg'"):
        render(reference, "jpeg")
    assert FORMATS == ("mermaid", "dot", "svg", "png")


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_images_without_graphviz(reference, monkeypatch, fmt):
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    with pytest.raises(GraphError) as err:
        render(reference, fmt)
    msg = str(err.value)
    assert msg.startswith("the Graphviz program dot is not installed")
    assert "install graphviz, or use --format dot" in msg and "\n" not in msg


def test_dot_failure_is_a_graph_error(reference, monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(graph.shutil, "which", lambda name: str(fake))
    with pytest.raises(GraphError, match=r"dot failed \(exit 1\): Error: syntax error in line 1"):
        render(reference, "svg")


def test_images_through_a_dot_program(reference, monkeypatch, tmp_path):
    """The svg/png path passes the DOT text on stdin and -T<fmt>; a stand-in records both."""
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\ncat > "$0.in"\necho "$1" > "$0.args"\nprintf "<svg/>"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(graph.shutil, "which", lambda name: str(fake))
    assert render(reference, "svg") == "<svg/>"
    assert (tmp_path / "dot.in").read_text() == render(reference, "dot")
    assert (tmp_path / "dot.args").read_text().strip() == "-Tsvg"
    assert render(reference, "png") == b"<svg/>"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_real_graphviz(reference):
    svg = render(reference, "svg")
    assert "<svg" in svg and "web-prod" in svg
    png = render(reference, "png")
    assert png.startswith(b"\x89PNG")


# ----------------------------------------------------------------------------- the real Mermaid parser

HARNESS = r"""
// Reads [{name, text}] as JSON on stdin; prints {name: null | error message} as JSON.
import { JSDOM } from 'jsdom';
const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = {};
for (const { name, text } of JSON.parse(input)) {
  try {
    const r = await mermaid.parse(text);
    results[name] = r && r.diagramType === 'flowchart-v2' ? null : 'unexpected result ' + JSON.stringify(r);
  } catch (e) {
    results[name] = String((e && e.message) || e);
  }
}
process.stdout.write(JSON.stringify(results));
"""

BROKEN = {
    "broken: unclosed label": 'flowchart LR\n  a1["build web] --> a2\n',
    "broken: raw quotes in a label": 'flowchart LR\n  a1["say "yes" [now]"]\n',
    "broken: node named end": 'flowchart LR\n  a1["x"] --> end\n',
}


def _npm_dir(name: str, packages: list[str], scripts: dict[str, str]) -> str:
    """A cache directory (``$PIPEC_TEST_CACHE`` or ~/.cache/pipec-tests) with the pinned npm
    ``packages`` installed once and the Node ``scripts`` written into it. Node.js is a required
    tool of the test suite, like the validators: without it, or without the npm registry, these
    tests fail with what is missing rather than skip (a graph nobody parsed is not a tested graph)."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.fail(f"node and npm are needed for {name}: install Node.js 20 or newer (the real Mermaid and "
                    "Graphviz parsers run in it)")
    base = os.environ.get("PIPEC_TEST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "pipec-tests")
    d = os.path.join(base, name)
    marker = os.path.join(d, ".installed")
    if not os.path.exists(marker):
        os.makedirs(d, exist_ok=True)
        proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", d,
                               *packages], capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"could not install {' '.join(packages)} from the npm registry (no network?): "
                        + (proc.stderr.strip().splitlines() or ["npm failed"])[-1])
        with open(marker, "w") as fh:
            fh.write(" ".join(packages) + "\n")
    for script, text in scripts.items():
        with open(os.path.join(d, script), "w") as fh:
            fh.write(text)
    return d


def _mermaid_dir() -> str:
    """The cache directory with the pinned mermaid and jsdom installed (installing them once)."""
    return _npm_dir(f"mermaid-{MERMAID_VERSION}-jsdom-{JSDOM_VERSION}",
                    [f"mermaid@{MERMAID_VERSION}", f"jsdom@{JSDOM_VERSION}"], {"parse.mjs": HARNESS})


def _mermaid_parse(docs: dict[str, str]) -> dict[str, str | None]:
    d = _mermaid_dir()
    payload = json.dumps([{"name": k, "text": v} for k, v in docs.items()])
    proc = subprocess.run(["node", os.path.join(d, "parse.mjs")], input=payload, cwd=d,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def parsed(hostile):
    docs = {os.path.basename(p): render(_pipeline(p)) for p in EXAMPLES}
    docs["hostile"] = render(hostile)
    docs.update(BROKEN)
    # the hostile graph without pipec's escaping: the parser must reject it, so the escaping matters
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(graph, "mermaid_escape", lambda s: s.replace("\n", " "))
        docs["broken: hostile graph, unescaped"] = render(hostile)
    return docs, _mermaid_parse(docs)


def test_real_mermaid_parser_accepts_every_graph(parsed):
    docs, results = parsed
    failed = {name: results.get(name, "not reported") for name in docs
              if not name.startswith("broken:") and results.get(name, "not reported") is not None}
    assert not failed, "Mermaid could not parse:\n" + "\n".join(f"{k}: {v}" for k, v in failed.items())
    assert len([n for n in docs if not n.startswith("broken:")]) == len(EXAMPLES) + 1


def test_real_mermaid_parser_rejects_broken_text(parsed):
    docs, results = parsed
    broken = [name for name in docs if name.startswith("broken:")]
    assert len(broken) == len(BROKEN) + 1
    for name in broken:
        assert results[name], f"{name} was accepted"
        assert "Parse error" in results[name] or "Lexical error" in results[name], results[name]


# ----------------------------------------------------------------------------- Graphviz itself, in Node

VIZ_VERSION = "3.31.0"  # @viz-js/viz: Graphviz compiled to WebAssembly (the real dot layout engine)
VIZ_HARNESS = r"""
// Reads [{name, text}] as JSON on stdin; renders each with Graphviz (viz.js); prints
// {name: null | error messages} as JSON.
import { instance } from '@viz-js/viz';
const viz = await instance();
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = {};
for (const { name, text } of JSON.parse(input)) {
  const r = viz.render(text, { format: 'svg' });
  const errors = r.errors.filter(e => e.level === 'error').map(e => e.message);
  results[name] = r.status === 'success' && errors.length === 0 ? null : (errors.join('; ') || r.status);
}
process.stdout.write(JSON.stringify(results));
"""


def _viz_parse(docs: dict[str, str]) -> dict[str, str | None]:
    """Graphviz's own parser and layout (viz.js), installed once like mermaid."""
    d = _npm_dir(f"viz-{VIZ_VERSION}", [f"@viz-js/viz@{VIZ_VERSION}"], {"render.mjs": VIZ_HARNESS})
    proc = subprocess.run(["node", os.path.join(d, "render.mjs")], input=json.dumps(
        [{"name": k, "text": v} for k, v in docs.items()]), cwd=d, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_graphviz_renders_every_dot_graph(hostile):
    docs = {os.path.basename(p): render(_pipeline(p), "dot") for p in EXAMPLES}
    docs["hostile"] = render(hostile, "dot")
    docs["broken: unclosed brace"] = 'digraph "x" {\n  a -> b\n'
    docs["broken: raw quote in a label"] = 'digraph "x" {\n  a [label="say "yes""];\n}\n'
    results = _viz_parse(docs)
    failed = {k: results.get(k, "not reported") for k in docs
              if not k.startswith("broken:") and results.get(k, "not reported") is not None}
    assert not failed, "Graphviz could not render:\n" + "\n".join(f"{k}: {v}" for k, v in failed.items())
    for k in docs:
        if k.startswith("broken:"):
            assert results[k], f"{k} was accepted"
