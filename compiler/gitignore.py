"""``.gitignore`` files read without git, for folder arguments outside a git working tree
(:mod:`pipec.cli_paths`; inside one, git itself decides).

The rules are git's (the ``gitignore`` documentation, "PATTERN FORMAT"): blank lines and lines
starting with ``#`` are skipped, trailing spaces are dropped, ``!`` re-includes what an earlier
pattern excluded (the last matching pattern wins), a trailing ``/`` matches folders only, a ``/``
at the start or in the middle anchors the pattern to the folder of its ``.gitignore`` (else it
matches a name at any depth below it), ``*``, ``?`` and ``[...]`` never match a ``/``, and ``**``
matches any number of folders (``**/x``, ``x/**``, ``a/**/b``). A file inside an excluded folder
stays excluded whatever a later pattern says, as in git, because the walk never enters that folder.
"""

from __future__ import annotations

import os
import re


class Rules:
    """The patterns of the ``.gitignore`` files met on the way down, each with its folder."""

    def __init__(self):
        self.patterns: list[tuple[str, re.Pattern, bool, bool]] = []  # (base, regex, negated, folders only)

    def read(self, base: str, path: str) -> None:
        """Add the patterns of the ``.gitignore`` at ``path``, whose folder is ``base`` (relative
        to the walk's root, ``""`` for the root)."""
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return
        for line in lines:
            line = line.rstrip(" ")
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated or line.startswith("\\"):
                line = line[1:]
            folders_only = line.endswith("/")
            line = line.rstrip("/")
            if line:
                self.patterns.append((base, _regex(line), negated, folders_only))

    def ignored(self, rel: str, is_folder: bool) -> bool:
        """Whether ``rel`` (a path relative to the walk's root, with ``/``) is ignored."""
        result = False
        for base, rx, negated, folders_only in self.patterns:
            if folders_only and not is_folder:
                continue
            if base and not rel.startswith(base + "/"):
                continue
            if rx.fullmatch(rel[len(base) + 1:] if base else rel):
                result = not negated
        return result


def _regex(pattern: str) -> re.Pattern:
    anchored = "/" in pattern
    pattern = pattern.lstrip("/")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end].replace("\\", "\\\\")
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    return re.compile(body if anchored else "(?:.*/)?" + body)


def read_here(rules: Rules, root: str, here: str) -> None:
    """Add ``here``'s ``.gitignore`` (``here`` is a folder under ``root``) to ``rules``."""
    rel = os.path.relpath(here, root).replace(os.sep, "/")
    rules.read("" if rel == "." else rel, os.path.join(here, ".gitignore"))
