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


def _expect(text: str, *needles: str) -> set[int]:
    return {_line_of(text, n) for n in needles}


#: (file, the lines the findings must point to, given by the text on them, a word each finding set says)
JSON_CASES = [
    # the script serves two hooks: the lifecycle event that failed picks validate_service
    ("get-deployment-target-shared-script.json", ["hook validate_service"], "ScriptFailed"),
    ("get-deployment-no-instances.json", ["instances tag Environment"], "NO_INSTANCES"),
    # a failed build action whose errorDetails is CodeBuild's base-directory CLIENT_ERROR, and a
    # disabled transition into the next stage
    ("get-pipeline-state.json", ["artifact dist files", "stage staging {"], "disabled"),
    ("get-pipeline-state-source.json", ['source app github'], "ConfigurationError"),
    # pipec's own post_build copy of the appspec fails when the base directory is missing; then
    # UPLOAD_ARTIFACTS fails with CLIENT_ERROR "no matching base directory path found"
    ("codebuild-base-directory.log", ["deploy web-staging to ec2", "artifact dist files"], "base directory dist"),
]


@pytest.mark.parametrize("log,needles,word", JSON_CASES, ids=[c[0] for c in JSON_CASES])
def test_codedeploy_codepipeline_and_codebuild_outputs_point_to_their_lines(log, needles, word):
    pipeline, text = _pipeline()
    findings = why(pipeline, text, (WRITTEN / log).read_text(encoding="utf-8"))
    assert {f.line for f in findings} == _expect(text, *needles), [(f.line, f.what) for f in findings]
    assert any(word in f.what for f in findings) and all(f.meaning and f.fix for f in findings)


def test_a_shared_script_without_its_lifecycle_event_points_to_the_deployment():
    pipeline, text = _pipeline()
    log = "Script at specified location: scripts/check.sh run as user root failed with exit code 1\n"
    found = why(pipeline, text, log)
    assert [f.line for f in found] == [_line_of(text, "deploy web-staging to ec2")]
    assert "does not say which lifecycle event" in found[0].what
    console = "LifecycleEvent - BeforeInstall\n" + log
    assert [f.line for f in why(pipeline, text, console)] == [_line_of(text, "hook before_install")]


@pytest.mark.parametrize("code,needle", [("ECS_UPDATE_ERROR", "service checkout"),
                                         ("INVALID_ECS_SERVICE", "service checkout"),
                                         ("IAM_ROLE_PERMISSIONS", "deploy checkout-prod to ecs"),
                                         ("TIMEOUT", "deploy checkout-prod to ecs")])
def test_deployment_error_codes(code, needle):
    """Every ErrorInformation code of the CodeDeploy API reads as a finding on the deployment."""
    from pipec.why_codes import DEPLOYMENT_ERRORS

    root = Path(__file__).resolve().parent.parent
    text = (root / "examples" / "03-ecs-blue-green-canary.pipe").read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, "03.pipe")
    log = ('{"deploymentInfo": {"deploymentGroupName": "checkout-prod", "status": "Failed", '
           f'"errorInformation": {{"code": "{code}", "message": "..."}}}}}}')
    found = why(pipeline, text, log)
    start = _line_of(text, "deploy checkout-prod to ecs")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if i >= start and needle in x)
    assert [f.line for f in found] == [line] and code in found[0].what
    assert found[0].meaning == DEPLOYMENT_ERRORS[code][0]


def test_a_log_that_is_not_utf8_is_read_with_replacement_characters(tmp_path):
    """A build's output may be Latin-1 or cut inside a character: the log is read anyway, and the
    note says how many bytes became U+FFFD."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    log = tmp_path / "latin1.log"
    log.write_bytes("[Container] 2026/01/02 03:04:05 Running command eslnt src\n".encode() +
                    "Fehler: Datei nicht gefunden: caf\xe9\n".encode("latin-1") +
                    b"[Container] 2026/01/02 03:04:06 Command did not exit successfully eslnt src exit status 127\n")
    r = subprocess.run([sys.executable, "-m", "pipec", "why", str(WRITTEN / "shop.pipe"), str(log)],
                       capture_output=True, text=True, cwd=root, timeout=60)
    assert r.returncode == 0, r.stderr
    line = _line_of((WRITTEN / "shop.pipe").read_text(encoding="utf-8"), 'run "eslnt src"')
    assert f"shop.pipe:{line}:" in r.stdout
    assert "is not UTF-8 text (the first bad byte is at offset 91): 1 sequence read as U+FFFD" in r.stderr
    assert "Traceback" not in r.stderr
