"""``pipec why`` on logs written for these tests in the platforms' real formats
(tests/why-data/written/README.md says, for each, which documentation or source it follows): a
GitHub job log from the run's log archive (timestamps), ``gh run view --log-failed`` (job and
step before each line), a step log without timestamps, and the forms pipec's own phases step
prints (:mod:`pipec.github_log`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipec import compile_text, github_log
from pipec.why import why

WRITTEN = Path(__file__).resolve().parent / "why-data" / "written"


def _pipeline(name="shop.pipe"):
    text = (WRITTEN / name).read_text(encoding="utf-8")
    return compile_text(text, name)[0], text


def _line_of(text: str, needle: str) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


#: (log file, the text of the line the finding must point to, a word the finding says)
CASES = [
    # bash's "line 36:" is line 36 of the step's script, which the log's header repeats
    ("github-job-log-archive.log", 'run "eslnt src"', "status 127"),
    # both builds have a pre_build phase: the job name gh prints picks api; two commands, no
    # word of the output names one: the phase
    ("gh-run-view-log-failed.log", "pre_build {", "phase pre_build of api"),
    ("github-step-log-plain.log", 'build "npm run build"', "status 1"),
]


@pytest.mark.parametrize("log,needle,word", CASES, ids=[c[0] for c in CASES])
def test_github_logs_point_to_their_line(log, needle, word):
    pipeline, text = _pipeline()
    if needle == "pre_build {":  # the second one: api's
        expected = [i for i, line in enumerate(text.splitlines(), 1) if needle in line][1]
    else:
        expected = _line_of(text, needle)
    findings = why(pipeline, text, (WRITTEN / log).read_text(encoding="utf-8"))
    assert [f.line for f in findings] == [expected], [(f.line, f.what) for f in findings]
    assert word in findings[0].what and findings[0].fix


def test_the_error_workflow_command_as_the_script_prints_it():
    """Run outside the runner (a terminal, act's raw output), the step prints ``::error::``."""
    pipeline, text = _pipeline()
    log = ("::group::build\nerror during build:\n::endgroup::\n"
           f"::error::{github_log.PHASE_FAILED.format(phase='build', status=2)}\n")
    findings = why(pipeline, text, log)
    assert [f.line for f in findings] == [_line_of(text, 'build "npm run build"')]
    assert "status 2" in findings[0].what


def test_a_job_name_without_a_stage_and_a_job_the_pipeline_lacks():
    pipeline, text = _pipeline()
    ts = "2026-01-02T03:04:05.1234567Z "
    log = f"api\tRun the phases: pre_build\t{ts}##[error]Phase pre_build failed with exit status 1\n"
    assert [f.line for f in why(pipeline, text, log)] == [
        [i for i, line in enumerate(text.splitlines(), 1) if "pre_build {" in line][1]]
    other = f"build / nope\tRun the phases: pre_build\t{ts}##[error]Phase pre_build failed with exit status 1\n"
    found = why(pipeline, text, other)
    assert [f.line for f in found] == [None] and "does not say which build" in found[0].what


def test_the_phases_step_prints_the_message_why_reads():
    """The one place the phase failure message is written down (pipec.github_log) matches what
    the GitHub target's phases step echoes; when the step changes, change PHASE_FAILED."""
    from pipec.targets.github import phases

    echoed = github_log.PHASE_FAILED.format(phase="$1", status="$pipec_failed")
    assert f'echo "::error::{echoed}"' in phases.PHASES_PRELUDE
    assert 'echo "::group::$1"' in phases.PHASES_PRELUDE
    assert phases.STEP_ID == github_log.PHASES_STEP_ID


def test_prefixes_come_off():
    log = ("build / web\tRun the phases: build\t2026-01-02T03:04:05.1234567Z \x1b[36;1mnpm ci\x1b[0m\n"
           "2026-01-02T03:04:05.1234567Z ##[endgroup]\n"
           "a\tb\tc plain text with tabs\n")
    assert github_log.lines(log) == [("build / web", "npm ci"), (None, "##[endgroup]"),
                                     (None, "a\tb\tc plain text with tabs")]
