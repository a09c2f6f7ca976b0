"""Workflow constructs the importer maps into commands and settings rather than only reporting
(issue 25 item 4): third-party actions with a documented effect (targets/github/imports/
third_party.py), runner files, ``working-directory``. Each test writes a small workflow, checks
the ``.pipe`` and that the step counts as mapped in the inventory, and, where the mapping is a
script, runs it in bash against stand-in commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import pytest

import pipec
from pipec import importer
from pipec.targets.import_inventory import account

BASH = shutil.which("bash")


def imp(text: str, **kw) -> importer.Result:
    text = textwrap.dedent(text)
    r = importer.import_one("wf.yml", text, **kw)
    assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), r.diagnostics
    ITEMS[id(r)] = account(r, importer.load(text, "wf.yml"))
    return r


ITEMS: dict = {}


def status(r, category: str, contains: str) -> str:
    """Where the inventory finds the original's item (mapped, reported, ignored or lost)."""
    [item] = [i for i in ITEMS[id(r)] if i.category == category and contains in i.text]
    return item.status


def commands(r) -> list[str]:
    pipeline, _ = pipec.compile_text(r.source, "x.pipe")
    return [c.text for s in pipeline.stages for a in s.actions for p in a.phases for c in p.commands]


def run(script: str, tmp_path, stubs: dict[str, str], env: dict | None = None) -> subprocess.CompletedProcess:
    """``script`` in bash with stand-in executables (name -> bash body) first on PATH."""
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    for name, body in stubs.items():
        (bin_ / name).write_text("#!/bin/bash\n" + body + "\n", encoding="utf-8")
        (bin_ / name).chmod(0o755)
    full = {"PATH": f"{bin_}:{os.environ['PATH']}", "HOME": str(tmp_path), **(env or {})}
    return subprocess.run([BASH, "-c", script], capture_output=True, text=True, env=full, cwd=tmp_path, timeout=60)


RUN_BUILD = """
name: ci
on: [push]
jobs:
  integ:
    runs-on: ubuntu-latest
    steps:
      - name: Run CodeBuild
        uses: aws-actions/aws-codebuild-run-build@v1
        timeout-minutes: 120
        with:
          project-name: my-project
          buildspec-override: codebuild/integ.yml
          image-override: aws/codebuild/standard:5.0
"""

#: a stand-in aws CLI: start-build prints an id and records its arguments; batch-get-builds
#: answers IN_PROGRESS once, then $FINAL
FAKE_AWS = """
case "$2" in
  start-build) printf '%s\\n' "$@" > args.txt; echo my-project:1234 ;;
  batch-get-builds) if [ -e polled ]; then echo "$FINAL"; else touch polled; echo IN_PROGRESS; fi ;;
  stop-build) echo stopped >> stopped.txt ;;
esac
"""


def test_codebuild_run_build_becomes_start_build_and_a_wait(tmp_path):
    r = imp(RUN_BUILD, repository="acme/app")
    assert status(r, "step", "aws-codebuild-run-build") == "mapped"
    assert status(r, "job", "integ") == "mapped"
    assert "workflow: third-party action" not in {u.construct for u in r.unconverted}
    assert 'allow "codebuild:BatchGetBuilds" "codebuild:StartBuild" "codebuild:StopBuild" on ' \
           '"arn:aws:codebuild:*:*:project/my-project"' in r.source
    [script] = commands(r)
    assert "deadline=$((SECONDS + 7200))" in script   # the step's timeout-minutes
    if BASH is None:
        return
    env = {"CODEBUILD_RESOLVED_SOURCE_VERSION": "abc123", "GITHUB_REF": "refs/heads/a,b c", "OTHER": "x"}
    fast = script.replace("sleep 30", "sleep 0")
    done = run(fast, tmp_path, {"aws": FAKE_AWS}, {**env, "FINAL": "SUCCEEDED"})
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[args.index("--project-name") + 1] == "my-project"
    assert args[args.index("--source-version") + 1] == "abc123"
    assert args[args.index("--source-location-override") + 1] == "https://github.com/acme/app.git"
    assert args[args.index("--buildspec-override") + 1] == "codebuild/integ.yml"
    overrides = args[args.index("--environment-variables-override") + 1]
    assert '{"name": "GITHUB_REF", "value": "refs/heads/a,b c", "type": "PLAINTEXT"}' in overrides
    assert "OTHER" not in overrides
    (tmp_path / "polled").unlink()
    failed = run(fast, tmp_path, {"aws": FAKE_AWS}, {**env, "FINAL": "FAILED"})
    assert failed.returncode != 0 and "CodeBuild build my-project:1234: FAILED" in failed.stdout


def test_codebuild_run_build_with_an_unknown_input_stays_a_finding():
    r = imp(RUN_BUILD.replace("project-name: my-project", "project-name: my-project\n          mystery: 1"))
    assert "workflow: action inputs" in {u.construct for u in r.unconverted}
    assert status(r, "step", "aws-codebuild-run-build") == "reported"


def test_a_timeout_on_another_action_step_is_a_finding():
    """timeout-minutes on a uses step was dropped with no word; a mapped action keeps it or says so."""
    r = imp("""
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                timeout-minutes: 5
              - run: make
        """)
    assert "workflow: step timeout" in {u.construct for u in r.unconverted}
