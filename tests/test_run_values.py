"""The values a build sees at run time (issue 22, items 3 and 10): which value wins when a pipeline
variable and a build's ``env`` share a name, and CodeBuild's built-in variables on GitHub."""

from __future__ import annotations

import json

import yaml

import pipec
from pipec import builtins, plan
from pipec.build import EmitContext, generate
from pipec.targets import TARGETS

CLASH = """pipeline p {
  variable CHANNEL = "stable"
  source repo github "acme/app" {
    branch main
    on push
    on manual
  }
  stage s {
    build b {
      env CHANNEL = "beta"
      env TARGET = "web"
      secret TOKEN from ssm "/app/token"
      build "echo $CHANNEL $TARGET"
    }
  }
}
"""


def files_of(text: str) -> dict[str, str]:
    pipeline, _ = pipec.compile_text(text, "p.pipe")
    return generate(pipeline, EmitContext(source="p.pipe", prefix=""), list(TARGETS))


def test_a_pipeline_variable_wins_over_an_env_of_the_same_name_on_both_platforms():
    """Regression (item 3): the run variable won on AWS and the build's env on GitHub."""
    files = files_of(CLASH)
    job = _job_with_workflow_env(files)
    assert job["env"]["CHANNEL"] == "${{ inputs.CHANNEL || 'stable' }}"
    assert job["env"]["TARGET"] == "web"
    # AWS: the action passes the variable, which overrides the project's and the buildspec's env
    template = yaml.safe_load(files["aws/p.template.yaml"])
    [action] = [a for st in template["Resources"]["Pipeline"]["Properties"]["Stages"] for a in st["Actions"]
                if a["Name"] == "b"]
    assert json.loads(action["Configuration"]["EnvironmentVariables"]) == [
        {"name": "CHANNEL", "value": "#{variables.CHANNEL}", "type": "PLAINTEXT"}]


def test_without_workflow_dispatch_the_default_still_wins():
    files = files_of(CLASH.replace("    on manual\n", ""))
    job = _job_with_workflow_env(files)
    assert job["env"]["CHANNEL"] == "stable"


def test_a_secret_named_like_a_variable_is_not_fetched_on_github():
    """On CodeBuild the action's variable replaces the secret, so the build never sees it."""
    text = CLASH.replace('secret TOKEN from ssm "/app/token"', 'secret CHANNEL_X from ssm "/x"').replace(
        'env CHANNEL = "beta"', 'secret CHANNEL from ssm "/app/channel"')
    job = _job_with_workflow_env(files_of(text))
    fetch = next(s for s in job["steps"] if s.get("name") == "Fetch secrets")
    assert "PIPEC_REF_CHANNEL" not in fetch["env"] and "PIPEC_REF_CHANNEL_X" in fetch["env"]
    assert job["env"]["CHANNEL"] == "${{ inputs.CHANNEL || 'stable' }}"


def test_the_plan_says_what_the_build_sees():
    pipeline, _ = pipec.compile_text(CLASH, "p.pipe")
    for platform in ("aws", "github"):
        job = plan.from_model(pipeline, platform).job("b")
        assert job.get("env") == (("TARGET", "web"),)
        assert dict(job.get("builtins"))["CODEBUILD_RESOLVED_SOURCE_VERSION"] == "commit"


def test_github_build_jobs_get_codebuilds_built_in_variables():
    """Regression (item 10): AWS's own idiom COMMIT=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION |
    cut -c 1-7) tagged images ':latest' on GitHub, where the variable was unset."""
    job = _job_with_workflow_env(files_of(CLASH))
    env = job["env"]
    assert env["CODEBUILD_RESOLVED_SOURCE_VERSION"] == "${{ github.event.pull_request.head.sha || github.sha }}"
    assert env["CODEBUILD_SRC_DIR"] == "${{ github.workspace }}"
    assert env["CODEBUILD_BUILD_NUMBER"] == "${{ github.run_number }}"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert {n for n, _ in builtins.provided()} <= set(env)
    assert not set(env) & set(builtins.NOT_ON_GITHUB)
    # a stand-in (W521) only for a job whose commands name it
    assert "CODEBUILD_BUILD_ID" not in env
    reads = _job_with_workflow_env(files_of(CLASH.replace('build "echo $CHANNEL $TARGET"',
                                                          'build "echo $CODEBUILD_BUILD_ID"')))
    assert reads["env"]["CODEBUILD_BUILD_ID"] == "p-b:${{ github.run_id }}-${{ github.run_attempt }}"


def _job_with_workflow_env(files: dict) -> dict:
    """Job b of the workflow, with the env it runs with: the workflow's, then its own."""
    wf = yaml.safe_load(files[".github/workflows/p.yml"])
    job = wf["jobs"]["b"]
    job["env"] = {**wf.get("env", {}), **job.get("env", {})}
    return job


def test_an_env_of_the_build_replaces_a_built_in_variable():
    text = CLASH.replace('env TARGET = "web"', 'env CODEBUILD_SRC_DIR = "/src"')
    job = yaml.safe_load(files_of(text)[".github/workflows/p.yml"])["jobs"]["b"]
    assert job["env"]["CODEBUILD_SRC_DIR"] == "/src"
    pipeline, _ = pipec.compile_text(text, "p.pipe")
    assert "CODEBUILD_SRC_DIR" not in dict(plan.from_model(pipeline, "github").job("b").get("builtins"))


def test_reads_of_stand_ins_warn_only_where_the_build_runs_on_github():
    text = CLASH.replace('build "echo $CHANNEL $TARGET"', 'build "echo $CODEBUILD_BUILD_ARN"')
    _, warnings = pipec.compile_text(text, "p.pipe")
    assert [d.code for d in warnings] == ["W521"]
    _, warnings = pipec.compile_text(text.replace("  stage s {", "  stage s via aws {"), "p.pipe")
    assert [d.code for d in warnings] == []
    _, warnings = pipec.compile_text(text.replace("$CODEBUILD_BUILD_ARN", "${CODEBUILD_WEBHOOK_EVENT:-}")
                                     .replace("  stage s {", "  stage s via aws {"), "p.pipe")
    assert [d.code for d in warnings] == ["W522"]
    # a name the build sets itself is its own
    _, warnings = pipec.compile_text(text.replace('env TARGET = "web"', 'env CODEBUILD_BUILD_ARN = "x"'), "p.pipe")
    assert [d.code for d in warnings] == []
