"""What the playground's page asks of pipec (``pipec playground``, docs/playground.md): one
function per request, each taking text and returning a JSON-ready dict, writing nothing.

The server (:mod:`pipec.playground_server`) runs them in a worker process under a time limit;
a static export could call them in the browser (Pyodide). They reuse the commands' own code, so
that the page shows what the commands print:

- :func:`check` gives the diagnostics of ``pipec check --format json`` (the language, the
  checker, then both targets in memory, then the file's ignore comments);
- :func:`build` gives every file ``pipec build NAME -o out --source-root out`` writes, byte for
  byte, by target (``pipec-manifest.json`` included): for an example, its golden files;
- :func:`explain` and :func:`graph` are ``pipec explain FILE`` and ``pipec graph FILE`` (Mermaid);
- :func:`compile_all` is all four from one compilation (what the page asks after each edit);
- :func:`import_text` is ``pipec import`` of one pasted file;
- :func:`catalog` lists the examples and the tutorial's lessons and exercises, shipped with the
  assets (``playground_assets/catalog.json``, made by :func:`make_catalog` from a checkout).

The source is read as if it were the file ``name`` at the root of an empty repository: no
configuration file, no ``pipec.lock``, nothing on disk is consulted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: the largest source (or imported file) the playground takes, in bytes of UTF-8
MAX_SOURCE_BYTES = 1_000_000
ASSETS = Path(__file__).resolve().parent / "playground_assets"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class BadRequest(Exception):
    """The request itself is wrong (not the source in it): the page shows the message."""


def _name(name, default: str) -> str:
    """A plain file name (it is written into the generated files' headers, as ``pipec build``
    writes the .pipe file's path there)."""
    if name is None or name == "":
        return default
    if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
        raise BadRequest("the file name must be a plain name of letters, digits, '.', '_' and '-' "
                         "(such as app.pipe), at most 100 characters")
    return name


def _text(source) -> str:
    if not isinstance(source, str):
        raise BadRequest("'source' must be a string")
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise BadRequest(f"the text is {size:,} bytes; the playground takes at most {MAX_SOURCE_BYTES:,} bytes "
                         "(use pipec on the command line for larger files)")
    return source


def _diagnostic(d) -> dict:
    from pipec.report_formats import docs_url, project_url

    out = d.to_dict()
    out["docs"] = docs_url(d.code, project_url()) if d.code else None
    return out


def _compile(text: str, name: str):
    """(pipeline or None, every diagnostic as ``pipec check`` reports it, {target: {path: text}}
    or None, the checker's warnings, a problem that stops the build or None)."""
    from pipec import compile_text
    from pipec.build import BuildError, EmitContext, generate_by_target
    from pipec.cli import _apply_ignores
    from pipec.diagnostics import Diagnostics
    from pipec.ignores import Selection
    from pipec.targets import TARGETS

    names = list(TARGETS)
    problem = None
    by_target = None
    try:
        pipeline, warnings = compile_text(text, name, read_uses=False)  # the page's text only
        diags = list(warnings)
    except Diagnostics as exc:
        pipeline, warnings, diags = None, [], list(exc.diagnostics)
    if pipeline is not None:
        # as 'pipec check' (pipec.cli._target_diagnostics) and 'pipec build FILE -o OUT
        # --source-root OUT' (pipec.build.context_for) both make it: headers name the file, paths
        # have no prefix, and there is no repository root to read a pipec.lock from
        ctx = EmitContext(source=name, prefix="")
        try:
            by_target = generate_by_target(pipeline, ctx, names)
            diags += list(ctx.warnings)
        except Diagnostics as exc:
            diags += list(exc.diagnostics)
        except BuildError as exc:
            problem = str(exc)
    diags = _apply_ignores(diags, text, name, Selection.from_options(None, None), names)
    return pipeline, diags, by_target, warnings, problem


def _files(name: str, by_target) -> dict:
    """{target: {path: text}} with ``pipec-manifest.json`` as a fresh build writes it."""
    from pipec.build import MANIFEST, digest, render_manifest, source_key

    # the file beside the output folder 'out', as 'pipec build NAME -o out --source-root out' sees it
    manifest = {source_key(f"/{name}", "/out"): {target: {rel: digest(text.encode("utf-8")) for rel, text in made.items()}
                                        for target, made in by_target.items()}}
    return {"targets": {t: dict(sorted(made.items())) for t, made in by_target.items()},
            "shared": {MANIFEST: render_manifest(manifest)}}


def check(request: dict) -> dict:
    text, name = _text(request.get("source")), _name(request.get("name"), "pipeline.pipe")
    _pipeline, diags, _by_target, _warnings, problem = _compile(text, name)
    return {"diagnostics": [_diagnostic(d) for d in diags], "problem": problem}


def build(request: dict) -> dict:
    text, name = _text(request.get("source")), _name(request.get("name"), "pipeline.pipe")
    _pipeline, diags, by_target, _warnings, problem = _compile(text, name)
    out = {"diagnostics": [_diagnostic(d) for d in diags], "problem": problem, "files": None}
    if by_target is not None and not any(d.severity == "error" for d in diags):
        out["files"] = _files(name, by_target)
    return out


def _explain(pipeline, warnings) -> str:
    from pipec.explain import explain as narrate

    return narrate(pipeline, warnings)


def _graph(pipeline) -> str:
    from pipec.graph import render

    return render(pipeline, "mermaid")


def explain(request: dict) -> dict:
    return _only("explain", request)


def graph(request: dict) -> dict:
    return _only("graph", request)


def _only(what: str, request: dict) -> dict:
    from pipec import compile_text
    from pipec.diagnostics import Diagnostics

    text, name = _text(request.get("source")), _name(request.get("name"), "pipeline.pipe")
    try:
        pipeline, warnings = compile_text(text, name, read_uses=False)  # the page's text only
    except Diagnostics as exc:
        return {what: None, "diagnostics": [_diagnostic(d) for d in exc.diagnostics]}
    return {what: _explain(pipeline, warnings) if what == "explain" else _graph(pipeline), "diagnostics": []}


def compile_all(request: dict) -> dict:
    """Diagnostics, files, narration and graph from one compilation: the page's request after
    each edit (``build`` + ``explain`` + ``graph``)."""
    text, name = _text(request.get("source")), _name(request.get("name"), "pipeline.pipe")
    pipeline, diags, by_target, warnings, problem = _compile(text, name)
    errors = any(d.severity == "error" for d in diags)
    return {
        "diagnostics": [_diagnostic(d) for d in diags], "problem": problem,
        "files": _files(name, by_target) if by_target is not None and not errors else None,
        "explain": _explain(pipeline, warnings) if pipeline is not None else None,
        "graph": _graph(pipeline) if pipeline is not None else None,
    }


def code(request: dict) -> dict:
    """``pipec explain --code CODE``: the entry of docs/diagnostics.md, as text."""
    from pipec.code_docs import explanation

    value = request.get("code")
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{1,3}\d{1,4}", value.strip()):
        raise BadRequest("'code' must be a diagnostic code such as E201")
    return {"code": value.strip().upper(), "text": explanation(value)}


def import_text(request: dict) -> dict:
    """``pipec import NAME`` of the pasted text: the .pipe source (None when the import failed)
    and the findings: status, what was not converted, the manual tasks, every diagnostic."""
    from pipec import importer

    text = _text(request.get("source"))
    name = _name(request.get("name"), "workflow.yml")
    repository = request.get("repository") or None
    if repository is not None and (not isinstance(repository, str)
                                   or not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}", repository)):
        raise BadRequest("'repository' must be OWNER/NAME")
    result = importer.import_one(name, text, repository=repository)
    out = result.to_dict()
    out["source"] = result.source
    out["diagnostics"] = [_diagnostic(d) for d in result.diagnostics]
    out["report"] = importer.report_markdown(result)
    return out


def catalog(request: dict | None = None) -> dict:
    """The examples, lessons and exercises the page's menu offers (shipped with the assets)."""
    return json.loads((ASSETS / "catalog.json").read_text(encoding="utf-8"))


#: the requests the page makes, by the last part of their URL (/api/NAME)
HANDLERS = {"check": check, "build": build, "explain": explain, "graph": graph, "compile": compile_all,
            "code": code, "import": import_text, "catalog": catalog}


# ----------------------------------------------------------------------------- the catalog

_LESSON = re.compile(r"^## Lesson (\d+): (.+?)\s*$", re.M)
_EXAMPLE = re.compile(r"examples/(\d\d-[\w-]+\.pipe)")
_EXERCISE = re.compile(r"^\*\*Exercise (\d+)\.\*\*(.*?)(?=\n\n)", re.M | re.S)
_SAVED_AS = re.compile(r"saved as `([\w-]+\.pipe)`:\n\n```[\w-]*\n(.*?)^```", re.S | re.M)
_SOLUTION = re.compile(r"examples/exercises/(\d\d-[\w-]+\.pipe)")


def _plain(markdown: str) -> str:
    """Markdown prose as plain text: links as their words, no emphasis or code marks."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*`]", "", text)
    return " ".join(text.split())


def _title(text: str) -> str:
    """An example's first comment line, without its '# '."""
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""


def make_catalog(root: Path) -> dict:
    """The catalog from a checkout: ``examples/*.pipe``, ``examples/exercises/*.pipe`` and the
    ``## Lesson N:`` sections of docs/tutorial.md (tests/test_playground.py keeps the shipped
    copy equal to it; PIPEC_REGEN=1 rewrites it)."""
    examples = {p.name: p.read_text(encoding="utf-8") for p in sorted((root / "examples").glob("*.pipe"))}
    solutions = {p.name: p.read_text(encoding="utf-8")
                 for p in sorted((root / "examples" / "exercises").glob("*.pipe"))}
    tutorial = (root / "docs" / "tutorial.md").read_text(encoding="utf-8")
    heads = list(_LESSON.finditer(tutorial))
    lessons, exercises = [], []
    # files the tutorial shows whole ("saved as `my-app.pipe`:" and the block after it), which an
    # exercise may start from
    files = {m.group(1): m.group(2) for m in _SAVED_AS.finditer(tutorial)}
    for i, m in enumerate(heads):
        body = tutorial[m.end(): heads[i + 1].start() if i + 1 < len(heads) else len(tutorial)]
        after = re.search(r"^## ", body, re.M)  # the last lesson ends at the next heading ("Where next")
        body = body[:after.start()] if after else body
        number, title = int(m.group(1)), m.group(2)
        shown = [e for e in _EXAMPLE.findall(body) if e in examples]
        goal = re.search(r"\*\*Goal\.\*\*(.*?)(?=\n\n)", body, re.S)
        lessons.append({"number": number, "title": title, "example": shown[0] if shown else None,
                        "goal": _plain(goal.group(1)) if goal else "",
                        "anchor": "lesson-" + re.sub(r"[^a-z0-9 -]", "", f"{number} {title}".lower()).replace(" ", "-")})
        for ex in _EXERCISE.finditer(body):
            task = ex.group(2)
            solution = _SOLUTION.findall(body[ex.start():])  # the first solution linked after the task
            named = re.sub(r"examples/exercises/\S+", "", task)
            start = [f for f in re.findall(r"`([\w-]+\.pipe)`", named) if f in files]
            start = start or [e for e in _EXAMPLE.findall(named) if e in examples]
            if not start and not re.search(r"\b[\w-]+\.pipe\b", named):  # the lesson's own example
                start = shown[:1]
            exercises.append({"number": int(ex.group(1)), "lesson": number, "task": _plain(task),
                              "start": start[0] if start else None,
                              "solution": solution[0] if solution and solution[0] in solutions else None})
    return {"examples": [{"name": n, "title": _title(t), "source": t} for n, t in examples.items()],
            "lessons": lessons, "exercises": exercises,
            "solutions": [{"name": n, "source": t} for n, t in solutions.items()],
            "files": [{"name": n, "source": t} for n, t in files.items()]}
