"""The pre-commit hooks (.pre-commit-hooks.yaml) work with the real pre-commit.

The tests make small git repositories in temporary folders and run the hooks there as users do:
``pre-commit try-repo`` on this repository (what someone trying the hooks types), and a
``.pre-commit-config.yaml`` naming this repository with ``pre-commit run`` and a real ``git commit``
(what a repository that adopted them does; only a config can give ``pipec-build-check`` its output
folder). pre-commit installs this repository with pip into a hook environment of its own, about
10 s with the wheels this machine has: try-repo installs afresh each time, the config runs share
one install (the module's PRE_COMMIT_HOME).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "01-ci-pull-requests.pipe"
HOOKS = ("pipec-fmt", "pipec-check", "pipec-build-check")


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(home), NO_COLOR="1",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    # this environment's 'pipec' and 'pre-commit' first on PATH
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _git(cwd: Path, env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True,
                          **kwargs)


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory) -> tuple[Path, str]:
    """This repository as pre-commit would clone it, with the working tree's changes to tracked
    files committed on top (what try-repo does too), so that the tests test this tree, not HEAD."""
    base = tmp_path_factory.mktemp("hooks")
    env = _env(base / "unused")
    shadow = base / "pipec"
    _git(base, env, "clone", "-q", "--no-hardlinks", str(ROOT), str(shadow))
    diff = _git(ROOT, env, "diff", "HEAD", "--binary").stdout
    if diff:
        _git(shadow, env, "apply", "--whitespace=nowarn", input=diff)
        _git(shadow, env, "add", "-A")
        _git(shadow, env, "commit", "-q", "-m", "working tree")
    return shadow, _git(shadow, env, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _user_repo(tmp_path: Path, env: dict, config: dict | None = None) -> Path:
    """A repository with one formatted, clean .pipe file and its outputs in build/, committed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, env, "init", "-q")
    shutil.copy(EXAMPLE, repo / "app.pipe")
    subprocess.run([sys.executable, "-m", "pipec", "build", "app.pipe", "-o", "build"], cwd=repo, env=env,
                   check=True, capture_output=True)
    if config is not None:
        (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-q", "-m", "pipeline")
    return repo


def _config(hooks_repo: tuple[Path, str]) -> dict:
    """The configuration README's "In your repository" shows, with this repository as its repo."""
    section = (ROOT / "README.md").read_text().split("## In your repository", 1)[1]
    config = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    [entry] = config["repos"]
    assert [hook["id"] for hook in entry["hooks"]] == list(HOOKS)
    assert entry["hooks"][2]["args"] == ["-o", "build"]
    entry["repo"], entry["rev"] = str(hooks_repo[0]), hooks_repo[1]
    return config


def _pre_commit(repo: Path, env: dict, *args: str) -> tuple[int, str]:
    run = subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=600)
    return run.returncode, run.stdout + run.stderr


def _result(output: str, name: str) -> str:
    found = re.search(rf"^{re.escape(name)}\.+(Passed|Failed|\(no files to check\)Skipped)$", output, re.M)
    assert found, output
    return found.group(1)


def test_try_repo_check_passes_a_clean_file_and_fails_a_bad_one_with_the_diagnostic(tmp_path):
    env = _env(tmp_path / "home")
    repo = _user_repo(tmp_path, env)
    # a bad .pipe, staged as for a commit: try-repo without --all-files runs on the staged files
    (repo / "bad.pipe").write_text(EXAMPLE.read_text().replace("pipeline ", "pipelin ", 1))
    _git(repo, env, "add", "bad.pipe")
    status, output = _pre_commit(repo, env, "try-repo", str(ROOT), "pipec-check")
    assert status == 1 and _result(output, "pipec check") == "Failed", output
    assert re.search(r"error\[E\d{3}\]", output) and "--> bad.pipe:" in output, output
    assert "app.pipe" not in output.split("pipec check...")[1], output
    # the committed, clean file on its own passes
    _git(repo, env, "rm", "-q", "--cached", "bad.pipe")
    status, output = _pre_commit(repo, env, "try-repo", str(ROOT), "pipec-check", "--all-files")
    assert status == 0 and _result(output, "pipec check") == "Passed", output


def test_a_clean_commit_passes_every_hook(tmp_path, hooks_repo, home):
    env = _env(home)
    repo = _user_repo(tmp_path, env, _config(hooks_repo))
    status, output = _pre_commit(repo, env, "run", "--all-files")
    assert status == 0, output
    for name in ("pipec fmt", "pipec check", "pipec build --check"):
        assert _result(output, name) == "Passed", output
    # and through git itself: the installed hook lets a commit of the .pipe file through
    _pre_commit(repo, env, "install")
    commented = EXAMPLE.read_text().replace("  # The repository", "  # A comment changes no output.\n  # The repository", 1)
    assert commented != EXAMPLE.read_text()
    (repo / "app.pipe").write_text(commented)
    commit = subprocess.run(["git", "commit", "-q", "-am", "comment"], cwd=repo, env=env,
                            capture_output=True, text=True)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert "pipec build --check" in commit.stdout + commit.stderr


def test_a_drifted_output_fails_build_check_and_fmt_rewrites(tmp_path, hooks_repo, home):
    env = _env(home)
    repo = _user_repo(tmp_path, env, _config(hooks_repo))
    workflow = next((repo / "build" / ".github" / "workflows").glob("*.yml"))
    workflow.write_text(workflow.read_text().replace("runs-on: ubuntu", "runs-on: windows", 1))
    unformatted = EXAMPLE.read_text().replace("\n  ", "\n      ", 3)
    assert unformatted != EXAMPLE.read_text()
    (repo / "app.pipe").write_text(unformatted)
    status, output = _pre_commit(repo, env, "run", "--all-files")
    assert status == 1, output
    assert _result(output, "pipec fmt") == "Failed" and "files were modified by this hook" in output, output
    assert "reformatted app.pipe" in output, output
    assert (repo / "app.pipe").read_text() == EXAMPLE.read_text()
    assert _result(output, "pipec check") == "Passed", output
    assert _result(output, "pipec build --check") == "Failed", output
    assert f"differs  build/{workflow.relative_to(repo / 'build').as_posix()}" in output, output
    assert "out of date; run pipec build" in output, output


def test_the_manifest_names_the_three_hooks_and_runs_pipec():
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in manifest] == list(HOOKS)
    for hook in manifest:
        assert hook["language"] == "python" and hook["files"] == r"\.pipe$"
        assert hook["entry"].split()[0] == "pipec"
    assert {hook["id"]: hook["entry"] for hook in manifest}["pipec-build-check"] == "pipec build --check"
