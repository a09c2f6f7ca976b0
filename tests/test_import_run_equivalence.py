"""Imported run steps, run three ways: the original workflow's job as GitHub runs it, the job
pipec writes for the imported .pipe, and the buildspec's commands as CodeBuild runs them. Each
must reach the same result and leave the same log (issue 25: what is mapped does on CodeBuild
and on GitHub what the original step did).

- The original: :class:`test_github.JobRun` (each step a file run by its shell: no ``shell`` is
  ``bash -e {0}``, ``bash`` is ``bash --noprofile --norc -eo pipefail {0}``, another value as
  written; ``continue-on-error: true`` lets the job go on).
- GitHub: the same runner on the generated job (one step a command, or the phases step with
  .github/pipec/phases.sh).
- CodeBuild: the buildspec's commands in one bash process, each run and its status checked, the
  first failure ending the build (buildspec version 0.2; docs/targets.md, "Build phases").

The workflows write ``$GITHUB_ENV`` where a case needs the phases step (one shell for all
commands), where an '&&' between commands once turned off each script's own ``set -e``.
"""

from __future__ import annotations

import os
import subprocess
import textwrap

import pytest
import yaml

from pipec import compile_text, importer
from pipec.build import EmitContext, generate
from test_github import JobRun

KEYWORD_SHELLS = {"bash": "bash --noprofile --norc -eo pipefail {0}", "sh": "sh -e {0}"}


def _workflow(steps: str) -> str:
    return "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n" + \
        textwrap.indent(textwrap.dedent(steps), "      ")


def _original(text: str, tmp) -> tuple[str, str]:
    job = yaml.safe_load(text)["jobs"]["b"]
    for n, step in enumerate(job["steps"]):
        step.setdefault("id", f"step-{n}")
        if "run" in step:
            step["shell"] = KEYWORD_SHELLS.get(step.get("shell"), step.get("shell", "bash -e {0}"))
    log = tmp / "original.log"
    run = JobRun(job, tmp / "original", env={"LOG": str(log)}).run()
    return run.result, log.read_text() if log.exists() else ""


def _codebuild(buildspec: dict, tmp) -> tuple[str, str]:
    work = tmp / "codebuild"
    work.mkdir()
    commands = [c for phase in ("install", "pre_build", "build")
                for c in (buildspec["phases"].get(phase) or {}).get("commands", [])]
    for i, command in enumerate(commands):
        (work / f"command-{i:03}").write_text(command)
    # not 'eval ... || exit': a command in front of '||' runs with -e ignored, even inside it
    driver = 'for f in command-*; do eval "$(cat "$f")"; status=$?; [ "$status" = 0 ] || exit "$status"; done'
    log = tmp / "codebuild.log"
    done = subprocess.run(["bash", "--noprofile", "--norc", "-c", driver], cwd=work, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "HOME": str(tmp), "LOG": str(log)}, timeout=60)
    return "success" if done.returncode == 0 else "failure", log.read_text() if log.exists() else ""


def _generated(text: str, tmp) -> tuple[tuple[str, str], tuple[str, str], dict]:
    r = importer.import_one("wf.yml", text, repository="acme/app")
    pipeline, _ = compile_text(r.source, "x.pipe")
    files = generate(pipeline, EmitContext(source="x.pipe", prefix=""), ["github", "aws"])
    workflow = yaml.safe_load(next(v for k, v in files.items() if k.startswith(".github/workflows/")))
    (job,) = workflow["jobs"].values()
    log = tmp / "github.log"
    run = JobRun(job, tmp / "github", env={"LOG": str(log)}).run()
    buildspec = yaml.safe_load(next(v for k, v in files.items() if "/buildspec/" in k))
    return (run.result, log.read_text() if log.exists() else ""), _codebuild(buildspec, tmp), job


CASES = {
    "a failing script, then more commands in one shell": """\
        - run: echo "MODE=fast" >> $GITHUB_ENV
        - run: |
            if true; then echo a$MODE >> $LOG; fi
            false
            echo not-reached >> $LOG
        - run: echo not-reached-2 >> $LOG
        """,
    "continue-on-error stops the step at its failure and the job goes on": """\
        - run: echo "MODE=fast" >> $GITHUB_ENV
        - continue-on-error: true
          run: |
            echo a$MODE >> $LOG
            false
            echo not-reached >> $LOG
        - run: echo b >> $LOG
        """,
    "bash with -e, pipefail and -x": """\
        - run: echo "MODE=fast" >> $GITHUB_ENV
        - shell: bash -eo pipefail -x {0}
          run: |
            echo a >> $LOG
            false | true
            echo not-reached >> $LOG
        - run: echo not-reached-2 >> $LOG
        """,
    "bash without -e goes on and its last command decides": """\
        - run: echo "MODE=fast" >> $GITHUB_ENV
        - shell: bash {0}
          run: |
            false
            echo a$MODE >> $LOG
        - shell: bash {0}
          run: |
            echo b >> $LOG
            false
        - run: echo not-reached >> $LOG
        """,
    "bash -e without pipefail, one step a command": """\
        - shell: bash -e {0}
          run: |
            false | true
            echo a >> $LOG
        - run: echo b >> $LOG
        """,
}


@pytest.mark.parametrize("name", CASES)
def test_an_imported_step_does_what_the_original_did_on_both_platforms(name, tmp_path):
    text = _workflow(CASES[name])
    original = _original(text, tmp_path)
    github, codebuild, job = _generated(text, tmp_path)
    assert github == original, (job, github, original)
    assert codebuild == original, (codebuild, original)
    if "GITHUB_ENV" in text:
        assert any(step.get("id") == "phases" for step in job["steps"])  # the one-shell form is what is run
