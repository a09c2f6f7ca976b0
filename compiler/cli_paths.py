"""Folders as command-line arguments: ``pipec check .``, ``pipec fmt src/``, ``pipec build pipelines/ -o out``.

A folder stands for the ``*.pipe`` files under it, recursively, in sorted order. In a git working
tree, what git ignores is skipped (``git ls-files --cached --others --exclude-standard``: the
tracked files and the untracked ones no ``.gitignore``, ``.git/info/exclude`` or global excludes
file names). Outside git, hidden folders and the usual virtualenv, dependency and build folders are
skipped (the names of ruff's default ``exclude``, and any folder holding a ``pyvenv.cfg``), and so
is what the ``.gitignore`` files under the folder exclude, read with git's rules (:mod:`pipec.gitignore`).
A folder with no ``.pipe`` file is a usage error: a typo in a path should not pass as "nothing to do".
"""

from __future__ import annotations

import os

SUFFIX = ".pipe"

# skipped outside git, besides hidden folders: ruff's default exclude list, less the hidden names
SKIPPED_FOLDERS = frozenset({"__pypackages__", "_build", "buck-out", "build", "dist", "node_modules",
                             "site-packages", "venv"})


class NoPipeFiles(Exception):
    """A folder argument holds no ``.pipe`` file (exit status 2); the message says which."""


def expand(arguments: list[str]) -> list[str]:
    """``arguments`` with every folder replaced by the ``.pipe`` files under it; files (and ``-``)
    stay as given. A file named twice (directly and through its folder) is kept once, first place."""
    out: list[str] = []
    seen: set[str] = set()
    for arg in arguments:
        found = [arg] if arg == "-" or not os.path.isdir(arg) else pipe_files(arg)
        if not found:
            raise NoPipeFiles(f"{arg} holds no {SUFFIX} file"
                              + (" that git does not ignore" if _git_root(arg) else ""))
        for path in found:
            key = path if path == "-" else os.path.normcase(os.path.abspath(path))
            if key not in seen:
                seen.add(key)
                out.append(path)
    return out


def pipe_files(folder: str) -> list[str]:
    """The ``.pipe`` files under ``folder``, sorted, as paths that start with ``folder``."""
    rels = _git_files(folder) if _git_root(folder) else None
    if rels is None:
        rels = _walked_files(folder)
    return [os.path.normpath(os.path.join(folder, rel)) for rel in sorted(rels)
            if rel.endswith(SUFFIX) and os.path.isfile(os.path.join(folder, rel))]


def _git_root(folder: str) -> bool:
    """Whether ``folder`` is inside a git working tree (and git is installed)."""
    import shutil  # here, not at the top: a command given only files never needs them (issue 18)
    import subprocess

    if shutil.which("git") is None:
        return False
    try:
        done = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=folder,
                              capture_output=True, text=True, check=False)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def _git_files(folder: str) -> list[str] | None:
    """The files under ``folder`` that git tracks or does not ignore, relative to it; None when
    git fails (the walk then decides)."""
    import subprocess

    try:
        done = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
                              cwd=folder, capture_output=True, check=False)
    except OSError:
        return None
    if done.returncode != 0:
        return None
    names = done.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})  # a file both staged and changed is listed once


def _walked_files(folder: str) -> list[str]:
    """Every file under ``folder``, relative to it, skipping hidden, virtualenv and build folders
    and what the ``.gitignore`` files met on the way down exclude (:mod:`pipec.gitignore`)."""
    from pipec.gitignore import Rules, read_here

    rules = Rules()
    out = []
    for here, dirs, files in os.walk(folder):
        read_here(rules, folder, here)
        rel = os.path.relpath(here, folder)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS
                         and not os.path.isfile(os.path.join(here, d, "pyvenv.cfg"))
                         and not rules.ignored(prefix + d, True))
        out.extend(name if rel == "." else os.path.join(rel, name) for name in files
                   if not rules.ignored(prefix + name, False))
    return out
