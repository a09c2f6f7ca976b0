"""pipec must never load a pickle that another user could write (issue 23, item 1). pipec 0.1
kept lark's parser cache, a pickle, in a shared temporary folder, and later in the user's cache
folder; since issue 18 the parser's tables are package code and no cache is read or written. The
tests plant a pickle where those caches were, one that would create a file when loaded."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys


from pipec import parser as parser_mod


def _bomb(path) -> bytes:
    """A file laid out as lark's cache (a hash line, then pickles) whose first pickle, when
    loaded, creates ``path``: lark unpickles it before it compares the hash."""
    return b"0" * 64 + b"\n" + pickle.dumps(_Bomb(path))


class _Bomb:
    """Unpickling this creates ``self.path`` (stands in for arbitrary code)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _grammar():
    return parser_mod._grammar_text()


def _pipe(tmp_path):
    src = tmp_path / "p.pipe"
    src.write_text('pipeline p {\n  source app github "o/r"\n  stage s {\n    build b {\n      build "make"\n    }\n  }\n}\n')
    return src


def test_parser_reads_no_cache_and_writes_none(tmp_path):
    """The LALR tables are package code (grammar/pipe_parser.py, issue 18): a check creates nothing
    in the user's cache folder, the home folder or the temporary folder."""
    home, cache, tmp = tmp_path / "home", tmp_path / "cache", tmp_path / "tmp"
    for d in (home, cache, tmp):
        d.mkdir()
    src = _pipe(tmp_path)
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(cache), "TMPDIR": str(tmp)}
    run = subprocess.run([sys.executable, "-m", "pipec", "check", "--no-targets", str(src)], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert [list(d.iterdir()) for d in (home, cache, tmp)] == [[], [], []]


def test_planted_pickle_never_runs_end_to_end(tmp_path):
    """A whole `pipec check` with a cache folder another user could write: the pickle there is
    not loaded (the file it would create does not appear) and the check still succeeds."""
    home = tmp_path / "cache"
    folder = home / "pipec"
    folder.mkdir(parents=True)
    grammar = _grammar()
    import hashlib

    name = f"pipe-lark-{hashlib.sha256(grammar.encode()).hexdigest()[:16]}.cache"
    # planted in the cache folder, and where pipec 0.1 looked: $TMPDIR/pipec-UID, which any local
    # user could create first
    shared = tmp_path / "tmp" / f"pipec-{os.getuid()}"
    shared.mkdir(parents=True)
    for where in (folder, shared):
        (where / name).write_bytes(_bomb(tmp_path / "pwned"))
        os.chmod(where, 0o777)
    src = _pipe(tmp_path)
    env = {**os.environ, "XDG_CACHE_HOME": str(home), "TMPDIR": str(tmp_path / "tmp")}
    run = subprocess.run([sys.executable, "-m", "pipec", "check", str(src)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "pwned").exists()
