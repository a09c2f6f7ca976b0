"""``--diff`` for ``pipec fmt --check`` and ``pipec build --check``: what would change, as a
unified diff (:mod:`difflib`) with ``a/PATH`` and ``b/PATH`` names, as ``git diff`` prints it, so
that the output can be read in a CI log or applied with ``git apply``. A file that would be
created comes from ``/dev/null``; one that would be removed goes to it.
"""

from __future__ import annotations

import difflib
import os
import re

NO_NEWLINE = "\\ No newline at end of file\n"


def display_path(path: str) -> str:
    """``path`` relative to the current folder when it is under it, with ``/`` separators."""
    if path == "-":
        return path
    rel = os.path.relpath(path)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        rel = os.path.abspath(path).lstrip(os.sep)
    return rel.replace(os.sep, "/")


def unified(path: str, old: str | None, new: str | None) -> str:
    """The unified diff from ``old`` to ``new`` (None: the file does not exist) of the file
    ``path``; empty when they are equal."""
    if old == new:
        return ""
    name = display_path(path)
    before = "/dev/null" if old is None else f"a/{name}"
    after = "/dev/null" if new is None else f"b/{name}"
    out = []
    for line in difflib.unified_diff(_lines(old), _lines(new), before, after):
        if line.endswith("\n"):
            out.append(line)
        else:  # the last line of a text without a final newline, as git and diff mark it
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)


def read_current(path: str) -> str | None:
    """The text of ``path`` as it is on disk, line endings kept; None when it cannot be read as
    UTF-8 (the listing above the diff already names the file)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def build_diff(out: str, files: dict[str, str], missing, different, stale) -> str:
    """The diff of ``pipec build --check``: the files missing from ``out`` (created), those that
    differ, and the stale ones (removed), each under its path in ``out``."""
    parts = []
    for rel in sorted({*missing, *different, *stale}):
        path = os.path.join(out, rel)
        old = read_current(path)
        if rel in different and old is None:
            continue  # not text: nothing to show line by line
        parts.append(unified(path, old if rel not in missing else None, files.get(rel) if rel not in stale else None))
    return "".join(parts)


def _lines(text: str | None) -> list[str]:
    """The lines of ``text``, each with its ``\\n`` (split there only, as git does)."""
    return [] if text is None else re.findall(r"[^\n]*\n|[^\n]+$", text)
