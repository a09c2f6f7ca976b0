"""The language server's analysis of one document: what ``pipec check`` reports for it, and the
answers that need the checked pipeline (explain summaries, generated files, quick fixes).

:func:`check` runs what ``pipec check FILE`` runs (pipec.cli.cmd_check): the front end and the
checker, the targets' diagnose modules when the pipeline is valid, then the ignore comments and the
configuration's ``select``/``ignore`` (pipec.config), so that the editor shows exactly the
diagnostics ``pipec check --format json`` prints. Nothing here imports pygls.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import re
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field


@dataclass
class Checked:
    """One check of one text: the pipeline (None when it has errors), every diagnostic, the
    target names the configuration selects and the targets' own diagnostics."""

    text: str
    path: str
    pipeline: object | None
    diagnostics: list
    targets: list[str]
    target_diagnostics: list = field(default_factory=list)
    config_problem: str | None = None


def _options(path: str):
    from pipec.config import ConfigError, options
    from pipec.ignores import BadSelection

    args = argparse.Namespace(strict=None, select=None, ignore=None, target=None)
    try:
        return options(args, path), None
    except (ConfigError, BadSelection) as exc:
        return None, str(exc)


def check(text: str, path: str, parser=None, verdicts=None, kept=None) -> Checked:
    """``pipec check``'s diagnostics for ``text`` read from ``path``; ``parser`` parses it
    (:func:`pipec.compile_text`). When given, E210 reuses the ``bash -n`` verdicts of
    ``verdicts`` (a :class:`pipec.shell_state.Verdicts` kept across checks), and W503 the findings
    of ``kept`` (a :class:`pipec.secretscan.Kept`, one per document, with ``parser`` its
    Reparser)."""
    from pipec import compile_text
    from pipec.cli import _Usage, _apply_ignores, _target_diagnostics
    from pipec.diagnostics import Diagnostics
    from pipec.ignores import Selection

    opts, problem = _options(path)
    if opts is None:
        from pipec.targets import TARGETS

        names, selection = list(TARGETS), Selection.from_options(None, None)
    else:
        names, selection = list(opts.targets), opts.selection
    try:
        with keeping(verdicts, kept):
            pipeline, diags = compile_text(text, path, parser=parser)
    except Diagnostics as exc:
        diags, pipeline = exc.diagnostics, None
    if pipeline is None:  # a library of templates: its own problems only (pipec.templates)
        from pipec.templates import library_diagnostics

        library = library_diagnostics(diags)
        if library is not None:
            diags = library
    target_diags: list = []
    if pipeline is not None and names:
        err = io.StringIO()
        try:
            with redirect_stderr(err):
                target_diags = _target_diagnostics(pipeline, path, names)
        except _Usage:
            problem = err.getvalue().strip() or "the targets cannot build this pipeline"
        diags = [*diags, *target_diags]
    diags = _apply_ignores(list(diags), text, path, selection, names)
    return Checked(text, path, pipeline, diags, names, target_diags, problem)


@contextmanager
def keeping(verdicts=None, kept=None):
    """Inside the block, the checks reuse and add to what is kept across checks: E210's ``bash
    -n`` verdicts (``verdicts``, :data:`pipec.shell_state.kept_verdicts`) and W503's findings by
    statement (``kept``, :data:`pipec.secretscan.kept_findings`); None keeps nothing."""
    from pipec import secretscan, shell_state

    before = shell_state.kept_verdicts, secretscan.kept_findings
    shell_state.kept_verdicts, secretscan.kept_findings = verdicts, kept
    try:
        yield
    finally:
        shell_state.kept_verdicts, secretscan.kept_findings = before


@functools.lru_cache(maxsize=None)  # one entry per code: the package's metadata is read once
def docs_href(code: str) -> str | None:
    """Where ``code`` is explained: its entry of docs/diagnostics.md on the project's repository
    when the package names one (as SARIF's ``helpUri``, pipec.report_formats), else in the local
    copy of docs/diagnostics.md (``file:`` URI with the same anchor)."""
    from pipec.diagnostics import CODES, _docs_file
    from pipec.report_formats import docs_anchor, docs_url, project_url

    if code not in CODES:
        return None
    url = docs_url(code, project_url())
    if url:
        return url
    path = _docs_file()
    return f"{path.as_uri()}#{docs_anchor(code)}" if path else None


_LINE_REF = re.compile(r"\b(?:at|on) line (\d+)\b")


def related_lines(diag) -> list[tuple[int, str]]:
    """(line, note) for each other line of the file a diagnostic's help or notes names (``the first
    is at line 12``)."""
    out = []
    for text in (diag.help, *diag.notes):
        for m in _LINE_REF.finditer(text or ""):
            out.append((int(m.group(1)), text))
    return out


# ----------------------------------------------------------------------------- quick fixes

_DID_YOU_MEAN = re.compile(r"Did you mean '([^']+)'\?")
_WRITE = re.compile(r"\bWrite '([a-z_]+ [^']*)'")


@dataclass
class Fix:
    title: str
    line: int  # 0-based
    col: int  # code points
    end_line: int
    end_col: int
    new_text: str
    preferred: bool = True


def fixes(diag: dict, lines: list[str]) -> list[Fix]:
    """The edits a diagnostic's hint spells out (``diag`` as ``to_dict`` gives it): a did-you-mean
    replaces the word the message quotes; "Write 'timeout 30d'" writes that statement (replacing
    the statement of that keyword on the diagnostic's line, or on a new line after it); and a
    warning can be ignored on its line (:func:`_ignore_fix`)."""
    out: list[Fix] = []
    help_text = diag.get("help") or ""
    line = (diag.get("line") or 1) - 1
    if not 0 <= line < len(lines):
        return out
    m = _DID_YOU_MEAN.search(help_text)
    if m:
        better = m.group(1)
        for quoted in re.findall(r"'([^']+)'", diag.get("message", "")):
            for ln in range(line, min(len(lines), (diag.get("end_line") or line + 1))):
                col = _word_in(lines[ln], quoted)
                if col is not None:
                    out.append(Fix(f"Change '{quoted}' to '{better}'", ln, col, ln, col + len(quoted), better))
                    return out
    m = _WRITE.search(help_text)
    if m:
        stmt = m.group(1)
        keyword = stmt.split()[0]
        text = lines[line]
        indent = text[:len(text) - len(text.lstrip())]
        if text.strip().split(" ", 1)[0] == keyword:
            out.append(Fix(f"Write '{stmt}'", line, len(indent), line, len(text.rstrip()), stmt))
        elif text.rstrip().endswith("{"):  # the block the diagnostic is about: its own line, else a new one
            found = _statement_in_block(lines, line, keyword)
            if found is not None:
                inner = lines[found]
                start = len(inner) - len(inner.lstrip())
                out.append(Fix(f"Write '{stmt}'", found, start, found, len(inner.rstrip()), stmt))
            else:
                out.append(Fix(f"Add '{stmt}'", line + 1, 0, line + 1, 0, f"{indent}  {stmt}\n"))
    ignore = _ignore_fix(diag, lines[line], line)
    if ignore is not None:
        out.append(ignore)
    return out


def _ignore_fix(diag: dict, text: str, line: int) -> Fix | None:
    """A warning can be silenced on its line with ``# pipec: ignore[CODE]`` (pipec.ignores): the
    code goes into the line's ignore comment, or a new one at the end of the line. None for an
    error (it cannot be ignored), W106 (about an ignore comment itself) or a line holding another
    comment."""
    from pipec.lexer import comments

    code = diag.get("code", "")
    if diag.get("severity") != "warning" or code == "W106":
        return None
    found = list(comments(text))
    title = f"Ignore {code} on this line"
    if not found:
        end = len(text.rstrip())
        return Fix(title, line, end, line, len(text), f"  # pipec: ignore[{code}]", preferred=False)
    _, col, comment = found[-1]
    m = re.match(r"#\s*pipec:\s*ignore\[([^\]]*)\]", comment, re.I)
    if m is None:
        return None
    at = col - 1 + m.end(1)
    return Fix(title, line, at, line, at, f", {code}" if m.group(1).strip() else code, preferred=False)


def _statement_in_block(lines: list[str], header: int, keyword: str) -> int | None:
    """The line of the block opened on line ``header`` whose statement starts with ``keyword``
    (directly in the block, not in a block within it)."""
    from pipec.lsp_index import tokenize

    depth = 0
    for i in range(header, len(lines)):
        words = [t for t in tokenize(lines[i]) if t.kind in ("WORD", "PUNCT", "STRING")]
        if i > header and depth == 1 and words and words[0].value == keyword:
            return i
        for t in words:
            if t.kind == "PUNCT" and t.value in "{}":
                depth += 1 if t.value == "{" else -1
        if depth <= 0:
            return None
    return None


def _word_in(line: str, word: str) -> int | None:
    for m in re.finditer(re.escape(word), line):
        before = line[m.start() - 1] if m.start() else " "
        after = line[m.end()] if m.end() < len(line) else " "
        if not (before.isalnum() or before in "_-") and not (after.isalnum() or after in "_-"):
            return m.start()
    return None


# ----------------------------------------------------------------------------- explain, files


def narration(checked: Checked) -> str | None:
    """``pipec explain``'s text for the checked pipeline (None when it has errors)."""
    if checked.pipeline is None:
        return None
    from pipec.explain import explain

    warnings = [d for d in checked.diagnostics if d not in checked.target_diagnostics]
    return explain(checked.pipeline, warnings, platform_warnings=checked.target_diagnostics)


def generated_files(checked: Checked) -> dict[str, dict[str, str]]:
    """{target: {path: text}}: what ``pipec build`` would write for the document, in memory."""
    if checked.pipeline is None:
        return {}
    from pipec.build import BuildError, EmitContext, generate_by_target
    from pipec.diagnostics import Diagnostics

    ctx = EmitContext(source=os.path.basename(checked.path) or "pipeline.pipe", prefix="")
    try:
        return generate_by_target(checked.pipeline, ctx, checked.targets)
    except (Diagnostics, BuildError):
        return {}
