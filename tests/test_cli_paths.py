"""Folders as arguments of ``pipec check``, ``fmt`` and ``build``: the ``.pipe`` files under them,
sorted, skipping what git ignores (or, outside git, hidden, virtualenv and build folders)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipec.cli import main
from pipec.cli_paths import expand, pipe_files

REFERENCE = (Path(__file__).parent.parent / "examples" / "02-reference.pipe").read_text(encoding="utf-8")


def tree(root: Path, *rels: str) -> Path:
    for rel in rels:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(REFERENCE, encoding="utf-8")
    return root


def git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def rels(root: Path, paths: list[str]) -> list[str]:
    return [Path(p).relative_to(root).as_posix() for p in paths]


LAYOUT = ("b.pipe", "a/z.pipe", "a/y.pipe", "a/notes.txt", ".hidden/h.pipe", "node_modules/m/m.pipe",
          "env/lib/e.pipe", "build/g.pipe", "ignored/i.pipe", "sub/debug.pipe")


def test_outside_git_hidden_virtualenv_and_build_folders_are_skipped(tmp_path, monkeypatch):
    root = tree(tmp_path / "repo", *LAYOUT)
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no git on the PATH: the folders are walked
    assert rels(root, pipe_files(str(root))) == ["a/y.pipe", "a/z.pipe", "b.pipe", "ignored/i.pipe",
                                                 "sub/debug.pipe"]


def test_outside_git_the_gitignore_files_are_read_with_gits_rules(tmp_path, monkeypatch):
    """The review of issue 28: outside a git working tree '.gitignore' was not read at all."""
    root = tree(tmp_path / "repo", *LAYOUT, "a/deep/keep.pipe", "a/deep/drop.pipe", "a/c/generated.pipe",
                "x/generated.pipe")
    (root / ".gitignore").write_text("# comment\nignored/\ndebug.pipe\n/x/\n*/c/*.pipe\n")
    (root / "a" / ".gitignore").write_text("deep/*.pipe\n!deep/keep.pipe\n")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no git on the PATH: the folders are walked
    assert rels(root, pipe_files(str(root))) == ["a/deep/keep.pipe", "a/y.pipe", "a/z.pipe", "b.pipe",
                                                 "env/lib/e.pipe"]


def test_gitignore_patterns_as_git_reads_them():
    from pipec.gitignore import _regex

    def match(pattern, path):
        return bool(_regex(pattern).fullmatch(path))

    assert match("debug.pipe", "debug.pipe") and match("debug.pipe", "a/b/debug.pipe")
    assert match("/x", "x") and not match("/x", "a/x")
    assert match("a/*.pipe", "a/b.pipe") and not match("a/*.pipe", "a/c/b.pipe")
    assert match("**/gen", "gen") and match("**/gen", "a/b/gen") and match("a/**", "a/b/c")
    assert match("a/**/b", "a/b") and match("a/**/b", "a/x/y/b")
    assert match("[ab].pipe", "a.pipe") and not match("[!ab].pipe", "a.pipe") and match("?.pipe", "c.pipe")


def test_in_a_git_repository_what_git_ignores_is_skipped(tmp_path):
    root = tree(tmp_path / "repo", *LAYOUT)
    (root / ".gitignore").write_text("ignored/\ndebug.pipe\nnode_modules/\n")
    git(root, "init", "-q")
    git(root, "add", "b.pipe", ".gitignore")
    git(root, "commit", "-q", "-m", "first")
    # tracked and untracked files alike, unless ignored; a hidden or build folder git does not ignore counts
    assert rels(root, pipe_files(str(root))) == [".hidden/h.pipe", "a/y.pipe", "a/z.pipe", "b.pipe",
                                                 "build/g.pipe", "env/lib/e.pipe"]
    # a subfolder of the repository: git's rules still apply, paths start with the folder given
    assert rels(root, pipe_files(str(root / "a"))) == ["a/y.pipe", "a/z.pipe"]


def test_a_deleted_tracked_file_is_not_listed(tmp_path):
    root = tree(tmp_path / "repo", "a.pipe", "b.pipe")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    (root / "a.pipe").unlink()
    assert rels(root, pipe_files(str(root))) == ["b.pipe"]


def test_files_stay_as_given_and_a_file_named_twice_is_kept_once(tmp_path, monkeypatch):
    root = tree(tmp_path, "p/one.pipe", "p/two.pipe")
    monkeypatch.chdir(root)
    assert expand(["p/two.pipe", "p", "-"]) == ["p/two.pipe", "p/one.pipe", "-"]
    assert expand(["."]) == ["p/one.pipe", "p/two.pipe"]


def test_check_a_folder_checks_every_pipe_file_in_it(tmp_path, capsys, monkeypatch):
    root = tree(tmp_path, "p/one.pipe", "p/deeper/two.pipe")
    monkeypatch.chdir(root)
    assert main(["check", "--no-targets", "p"]) == 0
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines()] == ["p/deeper/two.pipe", "p/one.pipe"]


def test_fmt_check_a_folder(tmp_path, capsys, monkeypatch):
    root = tree(tmp_path, "p/one.pipe", "p/two.pipe")
    (root / "p" / "two.pipe").write_text(REFERENCE.replace("\n  ", "\n    ", 1), encoding="utf-8")
    monkeypatch.chdir(root)
    assert main(["fmt", "--check", "p"]) == 1
    assert capsys.readouterr().out == "would reformat p/two.pipe\n"


def test_build_a_folder(tmp_path, capsys, monkeypatch):
    root = tree(tmp_path, "p/one.pipe")
    monkeypatch.chdir(root)
    assert main(["build", "p", "-o", "out", "--target", "aws", "--source-root", "."]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["build", "p", "-o", "out", "--target", "aws", "--source-root", ".", "--check"]) == 0


@pytest.mark.parametrize("command", [["check"], ["fmt"], ["build", "-o", "out"]])
def test_a_folder_without_pipe_files_is_a_usage_error(tmp_path, capsys, monkeypatch, command):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no pipelines here\n")
    monkeypatch.chdir(tmp_path)
    assert main([*command, "empty"]) == 2
    err = capsys.readouterr().err
    assert err == "pipec: error: empty holds no .pipe file\n"
    assert not (tmp_path / "out").exists()


def test_a_folder_whose_pipe_files_git_ignores_says_so(tmp_path, capsys):
    root = tree(tmp_path / "repo", "gen/x.pipe")
    (root / ".gitignore").write_text("gen/\n")
    git(root, "init", "-q")
    assert main(["check", str(root / "gen")]) == 2
    assert "holds no .pipe file that git does not ignore" in capsys.readouterr().err


def test_git_is_on_the_path():  # the tests above need it, as tests/test_precommit.py does
    assert shutil.which("git")
