"""``pipec lsp`` over real JSON-RPC on stdio (tests/lsp_client.py: pygls's LanguageClient starts
the server as a child process): initialize, every example opened with the diagnostics of
``pipec check --format json``, hover, completion, definition, references, rename, formatting,
code actions, the outline, folding, semantic tokens, the generated files, shutdown and exit; and a
half-typed document never crashes the server or stops it answering (02 typed character by
character, a sample of the other examples, mutated inputs; every example in full with
``PIPEC_DEEP=1``)."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

from lsp_client import ROOT, run
from lsprotocol import types as T

from pipec import cli

EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
REFERENCE = ROOT / "examples" / "02-reference.pipe"
DEEP = bool(os.environ.get("PIPEC_DEEP"))


def check_json(path: Path, text: str | None = None, tmp: Path | None = None) -> list[dict]:
    """What ``pipec check --format json`` prints for the file (or ``text`` written at ``tmp``)."""
    if text is not None:
        tmp.write_text(text, encoding="utf-8")
        path = tmp
    out = io.StringIO()
    with redirect_stdout(out):
        cli.main(["check", "--format", "json", str(path)])
    return [{k: v for k, v in d.items() if k != "file"} for d in json.loads(out.getvalue())]


def served(diags: list[T.Diagnostic]) -> list[dict]:
    return [{k: v for k, v in d.data.items() if k != "file"} for d in diags]


def doc(uri):
    return T.TextDocumentIdentifier(uri=uri)


def at(uri, line, character):
    return {"text_document": doc(uri), "position": T.Position(line=line, character=character)}


def apply(text: str, edits: list[T.TextEdit]) -> str:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def off(p):  # the client's columns are UTF-16 code units
        units = 0
        for i, ch in enumerate(lines[p.line]):
            if units >= p.character:
                return offsets[p.line] + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return offsets[p.line] + len(lines[p.line])

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[:off(e.range.start)] + e.new_text + text[off(e.range.end):]
    return text


def test_every_example_has_the_diagnostics_of_check():
    async def go(s):
        uris = {p: s.open(p) for p in EXAMPLES}
        for p, uri in uris.items():
            diags = await s.wait_diagnostics(uri)
            assert served(diags) == check_json(p), p.name
            for d in diags:
                assert d.source == "pipec" and d.code == d.data["code"]
                assert "diagnostics.md#" + d.code.lower() + "-" in d.code_description.href
                assert d.range.start.line == d.data["line"] - 1
                assert d.range.start.character == d.data["column"] - 1
        assert s.errors == []
        return len(uris)

    assert run(go) == len(EXAMPLES)


def test_navigation_hover_completion_and_rename(tmp_path):
    text = REFERENCE.read_text(encoding="utf-8")
    lines = text.split("\n")
    dist_def = (20, lines[20].index("dist"))
    dist_use = (27, lines[27].index("dist"))

    async def go(s):
        uri = s.open(REFERENCE)
        await s.wait_diagnostics(uri)
        c = s.client
        # definition and references of an artifact
        loc = await c.text_document_definition_async(T.DefinitionParams(**at(uri, *dist_use)))
        assert (loc.range.start.line, loc.range.start.character) == dist_def
        refs = await c.text_document_references_async(T.ReferenceParams(
            context=T.ReferenceContext(include_declaration=True), **at(uri, *dist_use)))
        assert sorted(r.range.start.line for r in refs) == [20, 27, 53]
        # a source is the artifact of its files: 'from app' would lead to it
        app = await c.text_document_references_async(T.ReferenceParams(
            context=T.ReferenceContext(include_declaration=True), **at(uri, 4, 10)))
        assert [r.range.start.line for r in app] == [4]
        # rename an artifact everywhere, and an action
        edit = await c.text_document_rename_async(T.RenameParams(new_name="bundle", **at(uri, *dist_use)))
        renamed = apply(text, edit.changes[uri])
        assert renamed.count("bundle") == 3 and " dist\n" not in renamed.replace("base dist", "")
        assert [d["code"] for d in check_json(REFERENCE)] == [
            d["code"] for d in check_json(REFERENCE, renamed, tmp_path / "renamed.pipe")]
        # hover: an action (what explain says), a statement keyword (docs/language.md), a setting
        h = await c.text_document_hover_async(T.HoverParams(**at(uri, 10, 11)))
        assert "action web" in h.contents.value and "Produces the artifact dist" in h.contents.value
        h = await c.text_document_hover_async(T.HoverParams(**at(uri, 12, 8)))
        assert "`compute SIZE`: machine size" in h.contents.value
        h = await c.text_document_hover_async(T.HoverParams(**at(uri, 46, 9)))
        assert "reviewers" in h.contents.value and "at most 6" in h.contents.value
        h = await c.text_document_hover_async(T.HoverParams(**at(uri, 6, 6)))  # W509 there
        assert "W509" in h.contents.value
        # completion: the statements of a build, compute sizes, artifacts after 'from'
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, 12, 6)))
        labels = {i.label for i in comp.items}
        assert {"compute", "image", "runtime", "artifact", "install"} <= labels and "strategy" not in labels
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, 12, 14)))
        assert {i.label for i in comp.items} == {"small", "medium", "large", "2xlarge"}
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, 13, 14)))
        assert {"nodejs", "python", "java"} <= {i.label for i in comp.items}
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, 13, 21)))
        assert {"20", "22"} <= {i.label for i in comp.items}
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, 27, 11)))
        assert {i.label for i in comp.items} == {"app", "dist"}
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, 29, 23)))
        assert {"one-at-a-time", "half-at-a-time"} <= {i.label for i in comp.items}
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, 54, 6)))
        assert {"cluster", "service", "strategy", "network"} <= {i.label for i in comp.items}
        # outline, folding, semantic tokens
        symbols = await c.text_document_document_symbol_async(T.DocumentSymbolParams(text_document=doc(uri)))
        (pipeline,) = symbols
        assert pipeline.name == "my-app"
        assert [x.name for x in pipeline.children] == ["app", "build", "staging", "approval", "production"]
        assert pipeline.children[1].children[0].name == "web"
        assert pipeline.children[1].children[0].children[0].name == "dist"
        folds = await c.text_document_folding_range_async(T.FoldingRangeParams(text_document=doc(uri)))
        assert (3, 63) in {(f.start_line, f.end_line) for f in folds}
        toks = await c.text_document_semantic_tokens_full_async(T.SemanticTokensParams(text_document=doc(uri)))
        assert len(toks.data) % 5 == 0 and len(toks.data) > 100
        # the generated files of the open document, per target
        gen = await c.protocol.send_request_async("pipec/generatedFiles", {"textDocument": {"uri": uri}})
        targets = {t.target: {f.path for f in t.files} for t in gen.targets}
        assert set(targets) == {"aws", "github"} and any(p.endswith(".yml") for p in targets["github"])
        # formatting: the canonical text is left as it is
        fmt = await c.text_document_formatting_async(T.DocumentFormattingParams(
            text_document=doc(uri), options=T.FormattingOptions(tab_size=2, insert_spaces=True)))
        assert list(fmt) == []
        assert s.errors == []

    run(go)


def test_formatting_and_quick_fixes(tmp_path):
    text = REFERENCE.read_text(encoding="utf-8")
    messy = text.replace("      compute medium", "compute    medium")
    typo = text.replace("      from dist\n      instances", "      from dst\n      instances")
    approval = text.replace("timeout 7d", "timeout 2d")
    broken = text.replace("stage staging {", "stage staging")

    async def go(s):
        c = s.client
        opts = T.FormattingOptions(tab_size=2, insert_spaces=True)
        uri = s.open(tmp_path / "messy.pipe", messy)
        await s.wait_diagnostics(uri)
        edits = await c.text_document_formatting_async(T.DocumentFormattingParams(text_document=doc(uri), options=opts))
        assert apply(messy, edits) == text
        uri = s.open(tmp_path / "broken.pipe", broken)
        diags = await s.wait_diagnostics(uri)
        assert diags and diags[0].severity == T.DiagnosticSeverity.Error
        assert await c.text_document_formatting_async(T.DocumentFormattingParams(text_document=doc(uri), options=opts)) is None
        assert any("not formatted" in m for m in s.messages)
        for name, source, code, fixed in (("typo.pipe", typo, "E201", text),
                                          ("approval.pipe", approval, "W508", text.replace("timeout 7d", "timeout 30d"))):
            uri = s.open(tmp_path / name, source)
            diags = [d for d in await s.wait_diagnostics(uri) if d.code == code]
            assert diags, name
            actions = await c.text_document_code_action_async(T.CodeActionParams(
                text_document=doc(uri), range=diags[0].range, context=T.CodeActionContext(diagnostics=diags)))
            assert actions, name
            assert actions[0].kind == T.CodeActionKind.QuickFix
            assert apply(source, actions[0].edit.changes[uri]) == fixed, name
            ignores = [a for a in actions if a.title.startswith("Ignore")]
            assert len(ignores) == (code.startswith("W")), name  # errors cannot be ignored
        # a warning ignored on its line: the comment silences it, and W106 does not replace it
        uri = s.open(tmp_path / "ignore.pipe", text)
        w509 = [d for d in await s.wait_diagnostics(uri) if d.code == "W509"]
        actions = await c.text_document_code_action_async(T.CodeActionParams(
            text_document=doc(uri), range=w509[0].range, context=T.CodeActionContext(diagnostics=w509)))
        (ignore,) = [a for a in actions if a.title == "Ignore W509 on this line"]
        ignored = apply(text, ignore.edit.changes[uri])
        assert '!"docs/**"  # pipec: ignore[W509]\n' in ignored
        codes = [d["code"] for d in check_json(REFERENCE, ignored, tmp_path / "ignored.pipe")]
        assert "W509" not in codes and "W106" not in codes
        assert s.errors == []

    run(go)


def _typed(s, uri: str, text: str, step: int, version: int):
    """Replace the document with each prefix of ``text`` (every ``step`` characters) and ask for
    the outline, completion and hover at the end of it: each answer must come back valid."""

    async def go():
        v = version
        c = s.client
        for end in list(range(0, len(text), step)) + [len(text)]:
            prefix = text[:end]
            v += 1
            s.replace(uri, prefix, v)
            lines = prefix.split("\n")
            pos = {"text_document": doc(uri), "position": T.Position(line=len(lines) - 1, character=len(lines[-1]))}
            symbols = await c.text_document_document_symbol_async(T.DocumentSymbolParams(text_document=doc(uri)))
            assert isinstance(symbols, (list, tuple))
            comp = await c.text_document_completion_async(T.CompletionParams(**pos))
            assert comp is None or isinstance(comp.items, (list, tuple))
            if end % (step * 17) == 0:
                await c.text_document_hover_async(T.HoverParams(**pos))
                await c.text_document_semantic_tokens_full_async(T.SemanticTokensParams(text_document=doc(uri)))
        return v

    return go()


def test_half_typed_documents_never_crash_the_server(tmp_path):
    """02 typed character by character (a sample of the other examples a few characters at a
    time; all of them character by character with PIPEC_DEEP=1), then mutated inputs, each
    checked in full: no internal error is logged and the server still answers."""
    others = EXAMPLES if DEEP else [p for p in EXAMPLES if p.name.startswith(("05-", "12-"))]
    rng = random.Random(15)
    reference = REFERENCE.read_text(encoding="utf-8")
    mutants = []
    for _ in range(30 if not DEEP else 300):
        base = rng.choice([p.read_text(encoding="utf-8") for p in EXAMPLES])
        i = rng.randrange(len(base))
        j = min(len(base), i + rng.randrange(1, 40))
        mutants.append(base[:i] + rng.choice(["", "{", "}", '"', '"""', "\n", "from ", "$", "é"]) + base[j:])

    async def go(s):
        uri = s.open(tmp_path / "typed.pipe", "")
        await s.wait_diagnostics(uri)
        v = await _typed(s, uri, reference, 1, 1)
        s.client.text_document_did_save(T.DidSaveTextDocumentParams(text_document=doc(uri)))
        for p in others:
            if p != REFERENCE:
                v = await _typed(s, uri, p.read_text(encoding="utf-8"), 1 if DEEP else 7, v)
        for text in mutants:
            count = s.published.get(uri, 0)
            v += 1
            s.replace(uri, text, v)
            s.client.text_document_did_save(T.DidSaveTextDocumentParams(text_document=doc(uri)))
            await s.wait_diagnostics(uri, count + 1)
            await s.client.text_document_document_symbol_async(T.DocumentSymbolParams(text_document=doc(uri)))
        # after all that the server still checks a document exactly as pipec check does
        count = s.published.get(uri, 0)
        s.replace(uri, reference, v + 1)
        s.client.text_document_did_save(T.DidSaveTextDocumentParams(text_document=doc(uri)))
        # (of this version: a debounced check of the last mutant may still publish after the change)
        final = await s.wait_diagnostics(uri, count + 1, version=v + 1)
        assert served(final) == check_json(REFERENCE)
        assert s.errors == [], s.errors[0]

    run(go, debounce=0.05)


def test_without_pygls_says_how_to_install_it():
    code = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
            "from pipec.cli import main; sys.exit(main(['lsp']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "pip install 'pipec[lsp]'" in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_check_does_not_import_pygls():
    code = ("import sys; from pipec.cli import main; main(['check', '--no-targets', 'examples/02-reference.pipe']);"
            "print(sorted(m for m in sys.modules if m.startswith(('pygls', 'lsprotocol', 'pipec.lsp'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_variables_are_names_too(tmp_path):
    text = REFERENCE.read_text(encoding="utf-8").replace(
        "pipeline my-app {\n", 'pipeline my-app {\n  variable CHANNEL = "stable" description "Where to publish"\n').replace(
        'build "npm run build"', 'build "npm run build -- --channel ${CHANNEL}" "echo 🚀 $CHANNEL $HOME"')
    lines = text.split("\n")
    use = next(i for i, s in enumerate(lines) if "${CHANNEL}" in s)

    async def go(s):
        c = s.client
        uri = s.open(tmp_path / "vars.pipe", text)
        await s.wait_diagnostics(uri)
        pos = at(uri, use, lines[use].index("${CHANNEL}") + 3)
        loc = await c.text_document_definition_async(T.DefinitionParams(**pos))
        assert loc.range.start.line == 4
        h = await c.text_document_hover_async(T.HoverParams(**pos))
        assert "variable CHANNEL" in h.contents.value and 'description "Where to publish"' in h.contents.value
        refs = await c.text_document_references_async(T.ReferenceParams(
            context=T.ReferenceContext(include_declaration=False), **pos))
        assert len(refs) == 2  # ${CHANNEL} and $CHANNEL, not $HOME
        # columns are UTF-16 code units, as the client expects by default: the rocket counts 2
        line = lines[use]
        expected = len(line[:line.index("$CHANNEL ")].encode("utf-16-le")) // 2
        assert expected == line.index("$CHANNEL ") + 1
        assert sorted(r.range.start.character for r in refs)[-1] == expected + 1
        edit = await c.text_document_rename_async(T.RenameParams(new_name="TRACK", **pos))
        renamed = apply(text, edit.changes[uri])
        assert "variable TRACK =" in renamed and "${TRACK}" in renamed and "echo 🚀 $TRACK $HOME" in renamed
        home = at(uri, use, lines[use].index("$HOME") + 2)
        assert await c.text_document_references_async(T.ReferenceParams(
            context=T.ReferenceContext(include_declaration=True), **home)) in (None, [], ())
        # '$' in a string offers the pipeline's variables
        col = lines[use].index("${CHANNEL}") + 2
        comp = await c.text_document_completion_async(T.CompletionParams(**at(uri, use, col)))
        assert [i.label for i in comp.items] == ["CHANNEL"]
        assert s.errors == []

    run(go)


def test_definition_of_a_template_in_a_used_library(tmp_path):
    """Go to definition on a use jumps to the template: in the same file, or in the library file
    that a use line names (read as pipec check reads it, inside the project)."""
    (tmp_path / ".git").mkdir()
    lib = ROOT / "examples" / "15-shared-template" / "lib" / "python-service.pipe"
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "python-service.pipe").write_text(lib.read_text(encoding="utf-8"), encoding="utf-8")
    text = (ROOT / "examples" / "15-shared-template" / "billing.pipe").read_text(encoding="utf-8")
    lines = text.split("\n")
    use = next(i for i, s in enumerate(lines) if s.strip() == "use python-service {")
    local = 'template action checks {\n  test unit {\n    build "make test"\n  }\n}\n\n'
    local_text = local + text.replace("  use python-service {", "  stage more {\n    use checks\n  }\n\n  use python-service {")
    local_lines = local_text.split("\n")
    local_use = next(i for i, s in enumerate(local_lines) if s.strip() == "use checks")

    async def go(s):
        c = s.client
        uri = s.open(tmp_path / "billing.pipe", text)
        await s.wait_diagnostics(uri)
        loc = await c.text_document_definition_async(T.DefinitionParams(**at(uri, use, lines[use].index("python") + 2)))
        assert loc.uri.endswith("/lib/python-service.pipe")
        defined = lib.read_text(encoding="utf-8").split("\n").index("template stage python-service {")
        assert (loc.range.start.line, loc.range.start.character) == (defined, len("template stage "))
        h = await c.text_document_hover_async(T.HoverParams(**at(uri, use, lines[use].index("python") + 2)))
        assert "template python-service** (lib/python-service.pipe, line" in h.contents.value
        assert "param python_version = 3.12" in h.contents.value
        other = s.open(tmp_path / "other.pipe", local_text)
        await s.wait_diagnostics(other)
        loc = await c.text_document_definition_async(T.DefinitionParams(
            **at(other, local_use, local_lines[local_use].index("checks") + 1)))
        assert loc.uri == other and loc.range.start.line == 0
        assert s.errors == []

    run(go)


def test_a_problem_in_a_used_library_is_shown_on_the_use(tmp_path):
    """The document's diagnostics include those inside a template it uses, on the line of the
    use (the client shows a document's own positions only), naming the library's line."""
    (tmp_path / ".git").mkdir()
    lib = ROOT / "examples" / "15-shared-template" / "lib" / "python-service.pipe"
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "python-service.pipe").write_text(lib.read_text(encoding="utf-8"), encoding="utf-8")
    text = (ROOT / "examples" / "15-shared-template" / "billing.pipe").read_text(encoding="utf-8").replace(
        "package_bucket = my-org-billing-packages", 'package_bucket = "Billing_Packages"')
    use = text.split("\n").index("  use python-service {")

    async def go(s):
        uri = s.open(tmp_path / "billing.pipe", text)
        (d,) = await s.wait_diagnostics(uri)
        assert d.code == "E206" and d.range.start.line == use
        assert "(in lib/python-service.pipe:31:5)" in d.message
        assert s.errors == []

    run(go)


def test_an_error_sending_on_a_closed_channel_is_logged_once_not_reported_forever(caplog):
    """Around ``exit`` the client closes the channel; pygls reports a failed send by sending a
    message, which fails and is reported again: without a guard that recursion logs a traceback a
    level, fills the client's standard-error pipe and hangs the server (seen in the suite)."""
    import io
    import logging

    from pygls.io_ import StdoutWriter

    from pipec.lsp_server import make_server

    ls = make_server()
    closed = io.BytesIO()
    closed.close()
    ls.protocol.set_writer(StdoutWriter(closed))
    with caplog.at_level(logging.WARNING, logger="pygls"):
        ls.window_show_message(T.ShowMessageParams(message="hello", type=T.MessageType.Info))
    sends = [r for r in caplog.records if r.getMessage().startswith("Error sending data")]
    assert 1 <= len(sends) <= 2, len(sends)


def test_completion_after_use_offers_the_files_and_the_libraries_templates(tmp_path):
    """After 'use ' the editor offers the templates this file defines and those of the libraries
    it uses (read as pipec check reads them)."""
    (tmp_path / ".git").mkdir()
    lib = ROOT / "examples" / "15-shared-template" / "lib" / "python-service.pipe"
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "python-service.pipe").write_text(lib.read_text(encoding="utf-8"), encoding="utf-8")
    text = (ROOT / "examples" / "15-shared-template" / "billing.pipe").read_text(encoding="utf-8")
    local = 'template action checks {\n  test unit {\n    build "make test"\n  }\n}\n\n'
    typed = local + text.replace("  use python-service {", "  use \n\n  use python-service {", 1)
    lines = typed.split("\n")
    row = next(i for i, s in enumerate(lines) if s == "  use ")

    async def go(s):
        uri = s.open(tmp_path / "billing.pipe", typed)
        await s.wait_diagnostics(uri)
        got = await s.client.text_document_completion_async(T.CompletionParams(**at(uri, row, len("  use "))))
        labels = {item.label: item.detail for item in got.items}
        assert labels.get("checks", "").startswith("template (line 1)"), labels
        assert labels.get("python-service", "").startswith("template (python-service.pipe, line"), labels
        assert s.errors == []

    run(go)
