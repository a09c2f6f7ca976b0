"""``pipec init`` (issue 28, item 5): a starting .pipe from flags, from questions on a terminal,
or from a repository's pipeline files (``--from DIR``); never overwriting a file, and always
passing ``pipec check``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipec.cli import main
from pipec.cli_init import STRATEGIES

ROOT = Path(__file__).parent.parent
MIGRATION = ROOT / "examples" / "migration"

COMBINATIONS = [
    [],
    ["--runtime", "python:3.12", "--test-command", "pytest -q", "--repository", "acme/shop"],
    ["--source", "gitlab", "--repository", "acme/shop", "--deploy", "cloudformation"],
    ["--source", "codecommit", "--repository", "shop", "--deploy", "ec2", "--strategy", "blue-green"],
    ["--source", "s3", "--repository", "shop-sources", "--deploy", "s3"],
    ["--source", "s3", "--deploy", "ecs", "--strategy", "rolling"],
    ["--source", "bitbucket", "--deploy", "lambda", "--strategy", "linear", "--runtime", "nodejs:20"],
    *[["--deploy", deploy, "--strategy", s, "--build-command", "npm run build"]
      for deploy, strategies in sorted(STRATEGIES.items()) for s in strategies],
]


def _check(path: Path, capsys) -> str:
    code = main(["check", str(path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "error[" not in out.err
    return out.err


@pytest.mark.parametrize("flags", COMBINATIONS, ids=lambda f: " ".join(f) or "defaults")
def test_scaffold_passes_check(tmp_path, capsys, flags):
    path = tmp_path / "shop" / "pipeline.pipe"
    assert main(["init", "--no-input", str(path), *flags]) == 0
    assert capsys.readouterr().out == f"wrote {path}; next: pipec check {path}\n"
    text = path.read_text()
    assert text.startswith("# Started by pipec init: ")
    assert "pipeline shop {" in text  # named after its folder
    _check(path, capsys)
    assert main(["fmt", "--check", str(path)]) == 0  # written in the canonical layout
    capsys.readouterr()


def test_answers_are_in_the_file(tmp_path, capsys):
    path = tmp_path / "p.pipe"
    assert main(["init", "--no-input", str(path), "--name", "Orders API", "--repository", "acme/orders",
                 "--branch", "trunk", "--runtime", "python:3.12", "--test-command", 'pytest -k "not slow"',
                 "--deploy", "ecs", "--strategy", "canary"]) == 0
    text = path.read_text()
    for part in ("pipeline orders-api {", 'source app github "acme/orders"', "branch trunk", "runtime python 3.12",
                 r'build "pytest -k \"not slow\""', "deploy orders-api to ecs {", "strategy canary 10% then rest after 5m",
                 "approve release {"):
        assert part in text, part
    capsys.readouterr()
    warnings = _check(path, capsys)
    assert "W601" in warnings  # the REPLACE-ME values are pointed at until they are filled in


def test_never_overwrites(tmp_path, capsys):
    path = tmp_path / "pipeline.pipe"
    path.write_text("mine\n")
    assert main(["init", "--no-input", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "mine\n"
    link = tmp_path / "dangling.pipe"
    link.symlink_to(tmp_path / "nowhere.pipe")
    assert main(["init", "--no-input", str(link)]) == 2
    assert not (tmp_path / "nowhere.pipe").exists()


@pytest.mark.parametrize("flags,message", [
    (["--runtime", "cobol:85"], "--runtime 'cobol:85'"),
    (["--deploy", "ecs", "--strategy", "all-at-once"], "an ecs deployment takes rolling, blue-green"),
    (["--deploy", "s3", "--strategy", "canary"], "--strategy goes with --deploy"),
    (["--source", "s3", "--deploy", "lambda"], "an s3 source has none"),
    (["--repository", "no-slash"], "is written OWNER/NAME"),
    (["--test-command", "make\ntest"], "one line of text"),  # was E103 at a line of a file not written
])
def test_bad_answers_are_usage_errors(tmp_path, capsys, flags, message):
    path = tmp_path / "p.pipe"
    assert main(["init", "--no-input", str(path), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not path.exists()


def test_an_answer_no_platform_accepts_is_a_coded_error(tmp_path, capsys):
    path = tmp_path / "p.pipe"
    assert main(["init", "--no-input", str(path), "--branch", "bad branch"]) == 1
    err = capsys.readouterr().err
    assert "error[E" in err and "nothing written" in err and not path.exists()


def test_dash_prints(capsys):
    assert main(["init", "--no-input", "-", "--repository", "acme/shop"]) == 0
    assert 'source app github "acme/shop"' in capsys.readouterr().out


def test_questions_on_a_terminal(tmp_path):
    """With no answer as a flag and a terminal on standard input, pipec asks; Enter keeps the
    default, a wrong choice is asked again."""
    import pty

    path = tmp_path / "app" / "pipeline.pipe"
    leader, follower = pty.openpty()
    answers = "\n".join(["gitlab", "acme/app", "java:corretto21", "", "mvn -q test", "ecz", "ecs", "linear"]) + "\n"
    try:
        proc = subprocess.Popen([sys.executable, "-m", "pipec", "init", str(path)], stdin=follower,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(follower)
        os.write(leader, answers.encode())
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(leader)
    assert proc.returncode == 0, err
    assert "Source provider (github/bitbucket/gitlab/codecommit/s3) [github]: " in err
    assert "choose one of none, ec2, ecs, lambda, cloudformation, s3" in err
    text = path.read_text()
    for part in ('source app gitlab "acme/app"', "runtime java corretto21", 'build "make build"',
                 'build "mvn -q test"', "to ecs {", "strategy linear 10% every 1m"):
        assert part in text, part


def test_no_questions_off_a_terminal(tmp_path):
    path = tmp_path / "pipeline.pipe"
    proc = subprocess.run([sys.executable, "-m", "pipec", "init", str(path)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "[github]" not in proc.stderr and path.exists()


# ----------------------------------------------------------------------------- --from DIR

def test_from_repository_with_a_template(tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(MIGRATION, repo)
    path = repo / "pipeline.pipe"
    assert main(["init", "--from", str(repo), str(path)]) == 0
    text = path.read_text()
    head = text.split("\npipeline ", 1)[0]
    assert "imported codepipeline/pipeline.yaml, codepipeline/buildspec.yml (pipeline-template, Successful)" in head
    # one pipeline per file: the workflow is named, not merged
    assert "# Also found, not imported" in head and "#   github-actions/.github/workflows/web.yml" in head
    capsys.readouterr()
    _check(path, capsys)


def test_from_repository_with_a_workflow_lists_the_findings(tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(MIGRATION / "github-actions", repo)
    (repo / "docker-compose.yml").write_text("services: {}\n")  # not a pipeline file: not mentioned
    path = tmp_path / "out.pipe"
    assert main(["init", "--from", str(repo), str(path), "--repository", "acme/web"]) == 0
    text = path.read_text()
    assert "(workflow, Partial)" in text
    assert "# Findings of the import" in text
    assert "#   warning W600 .github/workflows/web.yml:44: not converted: environment 'production'" in text
    assert 'source app github "acme/web"' in text and "docker-compose" not in text
    capsys.readouterr()
    _check(path, capsys)


def test_from_a_folder_without_pipeline_files(tmp_path, capsys):
    (tmp_path / "x.yml").write_text("a: 1\n")
    assert main(["init", "--from", str(tmp_path), str(tmp_path / "p.pipe")]) == 2
    assert "has no GitHub workflow" in capsys.readouterr().err
    assert main(["init", "--from", str(tmp_path / "missing"), str(tmp_path / "p.pipe")]) == 2
    assert main(["init", "--from", str(tmp_path), "--deploy", "ecs", str(tmp_path / "p.pipe")]) == 2
    assert not (tmp_path / "p.pipe").exists()


@pytest.mark.parametrize("name", ["app", "package", "unit", "release", "revision"])
def test_a_pipeline_named_like_a_scaffold_action(tmp_path, capsys, name):
    """The deploy action is named after the pipeline; a pipeline called 'app' (the source) or
    'unit' (the test) once made two actions with one name (E200)."""
    path = tmp_path / "p.pipe"
    assert main(["init", "--no-input", str(path), "--name", name, "--deploy", "ec2"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    _check(path, capsys)


def test_input_that_ends_before_the_last_question_writes_nothing(tmp_path):
    """Ctrl-D (or piped answers that run out) at a question ended in 'internal error' (exit 3)."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pipec", "init", "t.pipe"], stdin=follower, stdout=follower,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    os.close(follower)
    os.write(leader, b"github\n\x04")  # one answer, then end of input
    try:
        _out, err = proc.communicate(timeout=60)
    finally:
        os.close(leader)
    assert proc.returncode == 2, err
    assert b"end of input" in err and b"Traceback" not in err and not (tmp_path / "t.pipe").exists()


def test_a_file_in_the_way_of_the_folder(tmp_path, capsys):
    (tmp_path / "f.pipe").write_text("x")
    assert main(["init", str(tmp_path / "f.pipe" / "x.pipe"), "--no-input"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_a_configuration_that_is_not_utf8_is_a_usage_error(tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_bytes(b"\xff\xfe\n")
    f = tmp_path / "p.pipe"
    f.write_text('pipeline p {\n  source app github "o/r"\n  stage build {\n    build web {\n      build "make"\n'
                 '    }\n  }\n}\n')
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-targets", str(f)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
