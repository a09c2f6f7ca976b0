"""``pipec build``'s writes (issue 23, items 11 and 12): a transaction that survives an interrupt
at any point and a killed process, and stale-file removal that removes only what pipec wrote
for this exact source, unchanged, listing each file.

The interrupt tests count the ``os.replace`` calls a build makes, then for every index N run
the same build again with ``os.replace`` raising ``KeyboardInterrupt`` on call N: the output
folder must be byte-identical to before, with no leftovers, and the next build must succeed.
The kill tests copy the folder as it is just before call N (what a SIGKILL there would leave)
and check that the next build's recovery restores it and that the build then succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from pipec import transaction
from pipec.build import MANIFEST, digest
from pipec.cli import main

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = (ROOT / "examples" / "02-reference.pipe").read_text(encoding="utf-8")


def run(capsys, *argv):
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def snapshot(path: Path) -> dict:
    """Every file and folder under ``path``, hidden ones included: path -> bytes or 'dir'."""
    out = {}
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        out[rel] = "dir" if p.is_dir() else p.read_bytes()
    return out


def prepared(tmp_path: Path) -> tuple[Path, Path]:
    """A repository built once from the reference pipeline without its deploy stages and with
    one more build action; then the .pipe is changed so that the next build writes new files
    in a new folder (appspec/), changes existing ones and removes a stale one."""
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    pipe = repo / "app.pipe"
    staging, approval, production = (REFERENCE.index(f"  stage {s} {{") for s in ("staging", "approval", "production"))
    first = REFERENCE[:staging] + REFERENCE[approval:production].rstrip() + "\n}\n"
    extra = '    build docs {\n      image ubuntu\n      from app\n      build "make docs"\n    }\n'
    i = first.index("  stage approval {")
    first = first[:i] + "  stage docs {\n" + extra + "  }\n" + first[i:]
    pipe.write_text(first)
    out = repo / "generated"
    assert main(["build", str(pipe), "-o", str(out)]) == 0
    assert (out / "aws" / "my-app" / "buildspec" / "docs.yml").is_file()
    pipe.write_text(REFERENCE.replace('"npm run build"', '"npm run build:prod"'))
    return pipe, out


class Replace:
    """``os.replace`` that counts its calls and does something on call ``at`` (0-based)."""

    def __init__(self, at: int | None = None, action=None):
        self.real, self.calls, self.at, self.action = os.replace, 0, at, action

    def __call__(self, src, dst, *args, **kwargs):
        n = self.calls
        self.calls += 1
        if n == self.at:
            self.action(src, dst)
        return self.real(src, dst, *args, **kwargs)


def count_replaces(tmp_path, monkeypatch, capsys) -> int:
    pipe, out = prepared(tmp_path / "count")
    counter = Replace()
    monkeypatch.setattr(os, "replace", counter)
    assert run(capsys, "build", pipe, "-o", out)[0] == 0
    monkeypatch.undo()
    return counter.calls


def test_a_build_renames_several_files(tmp_path, monkeypatch, capsys):
    # the journal, the new files, the backups, the stale file and the commit
    assert count_replaces(tmp_path, monkeypatch, capsys) > 10


def test_interrupt_at_every_rename_leaves_the_folder_as_it_was(tmp_path, monkeypatch, capsys):
    total = count_replaces(tmp_path, monkeypatch, capsys)
    for n in range(total):
        pipe, out = prepared(tmp_path / f"n{n}")
        before = snapshot(out)

        def interrupt(src, dst):
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "replace", Replace(n, interrupt))
        status, _, err = run(capsys, "build", pipe, "-o", out)
        monkeypatch.undo()
        assert status == 130 and "interrupted" in err, (n, err)
        assert snapshot(out) == before, f"interrupt at rename {n} changed the output folder"
        status, stdout, err = run(capsys, "build", pipe, "-o", out)
        assert status == 0, (n, err)
        assert "removed 1 stale" in stdout
        assert run(capsys, "build", pipe, "-o", out, "--check")[0] == 0
        assert not [p for p in snapshot(out) if "pipec-transaction" in p or p.endswith((".pipec-tmp", ".pipec-old"))]


def test_a_process_killed_at_any_rename_is_undone_or_finished_by_the_next_build(tmp_path, monkeypatch, capsys):
    total = count_replaces(tmp_path, monkeypatch, capsys)
    for n in range(total):
        pipe, out = prepared(tmp_path / f"n{n}")
        before = snapshot(out)
        killed = tmp_path / f"killed{n}"

        def freeze(src, dst):  # what SIGKILL just before this rename would leave
            shutil.copytree(out, killed, symlinks=True)

        monkeypatch.setattr(os, "replace", Replace(n, freeze))
        assert run(capsys, "build", pipe, "-o", out)[0] == 0
        monkeypatch.undo()
        after = snapshot(out)
        # the next run's recovery alone gives back one of the two consistent states
        recovered = tmp_path / f"recovered{n}"
        shutil.copytree(killed, recovered, symlinks=True)
        transaction.recover(recovered)
        assert snapshot(recovered) in (before, after), f"killed before rename {n}: inconsistent recovery"
        # and a build on what the killed run left succeeds and ends in the built state
        shutil.rmtree(out)
        shutil.copytree(killed, out, symlinks=True)
        status, _, err = run(capsys, "build", pipe, "-o", out)
        assert status == 0, (n, err)
        assert snapshot(out) == after


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_real_signal_during_the_renames_rolls_back(tmp_path, monkeypatch, capsys, signum):
    pipe, out = prepared(tmp_path)
    before = snapshot(out)
    # as they were (a background job starts with SIGINT ignored, a terminal's with Python's handler)
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(os, "replace", Replace(4, lambda src, dst: os.kill(os.getpid(), signum)))
    status, _, err = run(capsys, "build", pipe, "-o", out)
    monkeypatch.undo()
    assert status == 128 + signum and "interrupted" in err
    assert snapshot(out) == before
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers  # given back


def test_a_leftover_temporary_file_from_pipec_0_1_does_not_break_the_next_build(tmp_path, capsys):
    pipe, out = prepared(tmp_path)
    buildspecs = out / "aws" / "my-app" / "buildspec"
    (buildspecs / ".web.yml.pipec-tmp").write_text("half a file")
    (buildspecs / ".docs.yml.pipec-old").write_text((buildspecs / "docs.yml").read_text())
    (out / "aws" / ".my-app.template.yaml.pipec-tmp").mkdir()  # not a file: left alone
    status, stdout, err = run(capsys, "build", pipe, "-o", out)
    assert status == 0, err
    names = {p.name for p in out.rglob("*")}
    assert ".web.yml.pipec-tmp" not in names and ".docs.yml.pipec-old" not in names
    assert run(capsys, "build", pipe, "-o", out, "--check")[0] == 0


def test_a_leftover_transaction_without_a_journal_does_not_break_the_next_build(tmp_path, capsys):
    pipe, out = prepared(tmp_path)
    (out / transaction.FOLDER / "new" / "aws").mkdir(parents=True)
    (out / transaction.FOLDER / "new" / "aws" / "x.yml").write_text("half")
    (out / transaction.DONE / "old").mkdir(parents=True)
    assert run(capsys, "build", pipe, "-o", out)[0] == 0
    assert not (out / transaction.FOLDER).exists() and not (out / transaction.DONE).exists()


def test_a_fresh_output_folder_interrupted_is_removed_again(tmp_path, monkeypatch, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.pipe").write_text(REFERENCE)

    def interrupt(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", Replace(3, interrupt))
    status, _, _ = run(capsys, "build", repo / "app.pipe", "-o", repo / "gen" / "ci")
    monkeypatch.undo()
    assert status == 130
    assert sorted(p.name for p in repo.iterdir()) == ["app.pipe"]


def test_staging_makes_two_folders_however_deep_the_outputs_are(tmp_path, monkeypatch, capsys):
    """The new files and the backups lie side by side under new/ and old/: a build does not copy
    the output folder's tree into the transaction (each folder made and deleted costs time)."""
    pipe, out = prepared(tmp_path)
    made = []
    real = os.mkdir

    def mkdir(path, *args, **kwargs):
        made.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    assert run(capsys, "build", pipe, "-o", out)[0] == 0
    monkeypatch.undo()
    staged = [p.relative_to(out).as_posix() for p in made if transaction.FOLDER in p.parts]
    assert staged == [transaction.FOLDER, f"{transaction.FOLDER}/new", f"{transaction.FOLDER}/old"]


def test_a_journal_of_format_1_with_files_staged_by_path_is_still_undone(tmp_path, capsys):
    """Development versions of 0.2.0 staged each file under its own path (new/aws/x.yml); a
    build they left half done is undone the same way."""
    pipe, out = prepared(tmp_path)
    before = snapshot(out)
    folder = out / transaction.FOLDER
    rel = "aws/my-app/buildspec/docs.yml"
    (folder / "old" / "aws/my-app/buildspec").mkdir(parents=True)
    os.replace(out / rel, folder / "old" / rel)  # moved aside, then killed
    (out / rel).write_text("the new text, moved into place")
    (out / "aws/new-folder").mkdir()
    (out / "aws/new-folder/x.yml").write_text("created")
    journal = {"format": 1, "entries": [{"path": rel, "action": "replace"},
                                        {"path": "aws/new-folder/x.yml", "action": "create"}],
               "made_dirs": ["aws/new-folder"]}
    (folder / transaction.JOURNAL).write_text(json.dumps(journal))
    transaction.recover(out)
    assert snapshot(out) == before


# ----------------------------------------------------------------------------- stale files


PIPE = """\
pipeline NAME {
  source app github "o/r" {
    branch main
  }
  stage build {
BUILDS  }
}
"""


def pipe_text(name: str, *builds: str) -> str:
    body = "".join(f'    build {b} {{\n      image ubuntu\n      build "make {b}"\n    }}\n' for b in builds)
    return PIPE.replace("NAME", name).replace("BUILDS", body)


def test_two_pipeline_pipe_files_in_different_folders_keep_each_others_files(tmp_path, capsys):
    """Both headers say 'pipeline.pipe': building one removed the other's files ("removed 2 stale")."""
    repo = tmp_path / "repo"
    (repo / "a").mkdir(parents=True)
    (repo / "b").mkdir()
    a, b = repo / "a" / "pipeline.pipe", repo / "b" / "pipeline.pipe"
    a.write_text(pipe_text("alpha", "compile"))
    b.write_text(pipe_text("beta", "package"))
    out = repo / "ci"
    for p in (a, b):
        assert run(capsys, "build", p, "-o", out, "--source-root", repo)[0] == 0
    beta_files = {k: v for k, v in snapshot(out).items() if "beta" in k or "package" in k}
    assert len(beta_files) >= 3
    a.write_text(pipe_text("alpha", "compile", "lint"))
    status, stdout, _ = run(capsys, "build", a, "-o", out, "--source-root", repo)
    assert status == 0 and "removed 0 stale" in stdout
    assert {k: v for k, v in snapshot(out).items() if k in beta_files} == beta_files
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["sources"]) == ["../a/pipeline.pipe", "../b/pipeline.pipe"]


def test_each_removed_file_is_listed(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    pipe = repo / "app.pipe"
    pipe.write_text(pipe_text("demo", "compile", "lint", "docs"))
    out = repo / "gen"
    assert run(capsys, "build", pipe, "-o", out, "--target", "aws")[0] == 0
    pipe.write_text(pipe_text("demo", "compile"))
    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--target", "aws")
    assert status == 0
    assert f"removed  {out / 'aws/demo/buildspec/docs.yml'} (no longer generated)" in stdout.splitlines()
    assert f"removed  {out / 'aws/demo/buildspec/lint.yml'} (no longer generated)" in stdout.splitlines()
    assert "removed 2 stale" in stdout
    assert not (out / "aws/demo/buildspec/lint.yml").exists()


def test_an_edited_file_that_is_no_longer_generated_is_kept_and_reported(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    pipe = repo / "app.pipe"
    pipe.write_text(pipe_text("demo", "compile", "lint"))
    out = repo / "gen"
    assert run(capsys, "build", pipe, "-o", out, "--target", "aws")[0] == 0
    lint = out / "aws" / "demo" / "buildspec" / "lint.yml"
    lint.write_text(lint.read_text() + "# my own change, header kept\n")
    copy = out / "aws" / "demo" / "buildspec" / "lint-copy.yml"  # a user's copy, header and all
    copy.write_text(lint.read_text())
    pipe.write_text(pipe_text("demo", "compile"))
    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--target", "aws", "--check")
    assert f"kept     {lint} (no longer generated, but edited since pipec wrote it" in stdout
    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--target", "aws")
    assert status == 0 and "removed 0 stale" in stdout
    assert lint.read_text().endswith("# my own change, header kept\n") and copy.is_file()
    assert f"kept     {lint} (no longer generated, but edited since pipec wrote it" in stdout
    assert str(copy) not in stdout  # never generated from this source: not pipec's business
    # the manifest no longer lists it: the next build is quiet about it
    assert "kept" not in run(capsys, "build", pipe, "-o", out, "--target", "aws")[1]


def test_a_manifest_never_names_a_file_outside_the_output_folder(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    pipe = repo / "app.pipe"
    pipe.write_text(pipe_text("demo", "compile"))
    out = repo / "gen"
    assert run(capsys, "build", pipe, "-o", out, "--target", "aws")[0] == 0
    data = json.loads((out / MANIFEST).read_text())
    data["sources"]["../app.pipe"]["aws"]["../../victim.txt"] = digest(victim.read_bytes())
    (out / MANIFEST).write_text(json.dumps(data))
    assert run(capsys, "build", pipe, "-o", out, "--target", "aws")[0] == 0
    assert victim.read_text() == "keep me"


def test_files_of_pipec_0_1_without_a_manifest_are_reported_not_removed(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    pipe = repo / "app.pipe"
    pipe.write_text(pipe_text("demo", "compile", "lint"))
    out = repo / "gen"
    assert run(capsys, "build", pipe, "-o", out, "--target", "aws")[0] == 0
    (out / MANIFEST).unlink()  # as pipec 0.1 left the folder
    pipe.write_text(pipe_text("demo", "compile"))
    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--target", "aws")
    assert status == 0 and "removed 0 stale" in stdout
    lint = out / "aws" / "demo" / "buildspec" / "lint.yml"
    assert lint.is_file()
    assert f"kept     {lint} (no longer generated; its header names this source but {MANIFEST} does not " \
           "list it" in stdout


def test_building_one_target_never_removes_another_targets_files(tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    pipe = repo / "app.pipe"
    pipe.write_text(pipe_text("demo", "compile", "lint"))
    out = repo / "gen"
    assert run(capsys, "build", pipe, "-o", out, "--target", "aws")[0] == 0
    aws_files = {k: v for k, v in snapshot(out).items() if k.startswith("aws")}
    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--target", "github")
    assert status == 0 and "removed 0 stale" in stdout
    assert {k: v for k, v in snapshot(out).items() if k.startswith("aws")} == aws_files
    assert sorted(json.loads((out / MANIFEST).read_text())["sources"]["../app.pipe"]) == ["aws", "github"]
    # a later build of every target still knows what each wrote
    pipe.write_text(pipe_text("demo", "compile"))
    status, stdout, _ = run(capsys, "build", pipe, "-o", out)
    assert status == 0
    assert f"removed  {out / 'aws/demo/buildspec/lint.yml'} (no longer generated)" in stdout.splitlines()
    assert run(capsys, "build", pipe, "-o", out, "--check")[0] == 0
