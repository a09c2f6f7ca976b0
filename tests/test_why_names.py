"""``pipec why`` picks the build a log names when a command or a timeout would fit several: the
buildspec CodeBuild says it read (``YAML location is ...``; pipec writes one per action at
``aws/PIPELINE/buildspec/ACTION.yml``) and the job ``gh run view --log`` prints before each line.
tests/why-data/written/twins.pipe has two builds with the same commands."""

from __future__ import annotations

from pathlib import Path

from pipec import compile_text
from pipec.why import why

WRITTEN = Path(__file__).resolve().parent / "why-data" / "written"
TS = "2026-01-02T03:04:05.1234567Z "


def _pipeline():
    text = (WRITTEN / "twins.pipe").read_text(encoding="utf-8")
    return compile_text(text, "twins.pipe")[0], text


def _line(text: str, needle: str, nth: int = 0) -> int:
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][nth]


def _codebuild(action: str, *tail: str) -> str:
    head = ["Phase is DOWNLOAD_SOURCE", "CODEBUILD_SRC_DIR=/codebuild/output/src123456789/src",
            f"YAML location is /codebuild/output/src123456789/src/aws/shop/buildspec/{action}.yml",
            "Processing environment variables", "Entering phase BUILD", "Running command npm test"]
    return "".join(f"[Container] 2026/01/02 03:04:{n:02d}.000001 {x}\n" for n, x in enumerate((*head, *tail)))


def test_codebuild_yaml_location_picks_the_build_of_a_shared_command():
    pipeline, text = _pipeline()
    for action, nth in (("web", 0), ("api", 1)):
        log = _codebuild(action, "Command did not exit successfully npm test exit status 1",
                         "Phase complete: BUILD State: FAILED",
                         "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing "
                         "command: npm test. Reason: exit status 1")
        found = why(pipeline, text, log)
        assert [(f.line, f.action) for f in found] == [(_line(text, 'build "npm test"', nth), action)]
        assert "also in" not in found[0].what


def test_codebuild_yaml_location_picks_the_build_that_timed_out():
    pipeline, text = _pipeline()
    found = why(pipeline, text, _codebuild("api", "Phase complete: BUILD State: TIMED_OUT"))
    assert [(f.line, f.action) for f in found] == [(_line(text, "timeout 30m"), "api")]
    assert "30 minutes" in found[0].what


def test_a_github_job_timeout_with_its_job_name_points_to_that_builds_timeout():
    pipeline, text = _pipeline()
    for job, needle in (("build / web", "timeout 20m"), ("build / api", "timeout 30m")):
        log = (f"{job}\tRun the phases: build\t{TS}npm test\n"
               f"{job}\tRun the phases: build\t{TS}##[error]The job running on runner GitHub Actions 2 has "
               "exceeded the maximum execution time of 20 minutes.\n")
        found = why(pipeline, text, log)
        assert [f.line for f in found] == [_line(text, needle)], [(f.line, f.what) for f in found]
    # without the job name, the log does not say which
    bare = "##[error]The job running on runner GitHub Actions 2 has exceeded the maximum execution time of 20 minutes.\n"
    assert [f.line for f in why(pipeline, text, bare)] == [None]


def _step_log(prefix: str = "") -> str:
    return "".join(f"{prefix}{line}\n" for line in (
        "##[group]Run npm test", "\x1b[36;1mnpm test\x1b[0m", "shell: /usr/bin/bash -e {0}", "##[endgroup]",
        "npm ERR! Test failed.", "##[error]Process completed with exit code 1."))


def test_a_github_command_step_two_jobs_share():
    pipeline, text = _pipeline()
    found = why(pipeline, text, _step_log())  # no job name: the first, saying the other
    assert [f.line for f in found] == [_line(text, 'build "npm test"')]
    assert "(also in api)" in found[0].what
    found = why(pipeline, text, _step_log(f"build / api\tnpm test\t{TS}"))
    assert [(f.line, f.action) for f in found] == [(_line(text, 'build "npm test"', 1), "api")]
    assert "also in" not in found[0].what
