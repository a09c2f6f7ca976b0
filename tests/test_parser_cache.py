"""The parser's disk cache is a pickle: pipec must never load one that another user could write
(issue 23, item 1). These tests plant a pickle that would create a file when loaded."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest

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


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _grammar():
    return parser_mod._grammar_text()


def test_cache_in_a_private_folder_of_the_users_own(cache_home):
    path = parser_mod._cache_file(_grammar())
    assert path and os.path.dirname(path) == str(cache_home / "pipec")
    assert os.stat(cache_home / "pipec").st_mode & 0o777 == 0o700
    assert "/tmp/" not in path or str(cache_home).startswith("/tmp/")


def test_folder_others_can_enter_is_not_used(cache_home):
    (cache_home / "pipec").mkdir(parents=True)
    os.chmod(cache_home / "pipec", 0o777)
    assert parser_mod._cache_file(_grammar()) is False


def test_folder_owned_by_someone_else_is_not_used(cache_home, monkeypatch):
    (cache_home / "pipec").mkdir(parents=True, mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(cache_home).st_uid + 1)
    assert parser_mod._cache_file(_grammar()) is False


def test_folder_that_is_a_link_is_not_used(cache_home, tmp_path):
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    cache_home.mkdir()
    os.symlink(tmp_path / "elsewhere", cache_home / "pipec")
    assert parser_mod._cache_file(_grammar()) is False


@pytest.mark.parametrize("how", ["group-writable", "link"])
def test_planted_cache_file_is_not_used(cache_home, tmp_path, how):
    path = parser_mod._cache_file(_grammar())
    assert path
    bomb = tmp_path / "bomb.pickle"
    bomb.write_bytes(_bomb(tmp_path / "pwned"))
    if how == "link":
        os.symlink(bomb, path)
    else:
        os.replace(bomb, path)
        os.chmod(path, 0o666)
    assert parser_mod._cache_file(_grammar()) is False


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
    src = tmp_path / "p.pipe"
    src.write_text('pipeline p {\n  source app github "o/r"\n  stage s {\n    build b {\n      build "make"\n    }\n  }\n}\n')
    env = {**os.environ, "XDG_CACHE_HOME": str(home), "TMPDIR": str(tmp_path / "tmp")}
    run = subprocess.run([sys.executable, "-m", "pipec", "check", str(src)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "pwned").exists()
