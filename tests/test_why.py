"""``pipec why``: published failure logs back to the ``.pipe`` line (tests/why-data/README.md
lists where each log was published). The feedback test, item 1's logs of every failure point of
every example back to their lines, is in tests/test_simulate_cli.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipec import compile_text
from pipec.why import why

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "why-data"

#: (log file, .pipe file, the text the expected lines hold, the error code or word the finding names)
CASES = [
    ("codebuild-docker-images-102.log", "builds.pipe", ['"juawefhkejfhekj"'], "127"),
    ("control-tower-customizations-160.log", "builds.pipe", ['"apt-get -q update'], "100"),
    ("codepipeline-codebuild-with-postman-8.log", "builds.pipe", ['"aws cloudformation package'], "255"),
    ("serverless-code-pipeline-cf-template-6.log", "builds.pipe", ['"serverless deploy'], "status 1"),
    ("copilot-cli-2780.log", "builds.pipe", ['"ls -lah ./infrastructure"', "artifact infrastructure"], "status 2"),
    ("learn-cantrill-io-labs-155.log", "builds.pipe", ['build "buildspec.yml"'], "127"),
    ("amazon-ecs-fargate-cdk-cicd-13.log", "builds.pipe", ["artifact images"], "no file matched"),
    ("service-catalog-tools-workshop-45.log", "one-build.pipe", ["artifact dist"], "no file matched"),
    ("bedrock-chat-441.log", "one-build.pipe", ["build package"], "YAML_FILE_ERROR"),
    ("mlops-e2e-68.log", "one-build.pipe", ["build package"], "YAML_FILE_ERROR"),
    ("serverless-saas-3.log", "one-build.pipe", ["build package"], "YAML_FILE_ERROR"),
    ("iasql-1807.json", "ec2.pipe", ["deploy web"], "HEALTH_CONSTRAINTS"),
    ("aws-codedeploy-agent-186.txt", "ec2.pipe", ['"scripts/stop_server"'], "ScriptFailed"),
    ("aws-codedeploy-agent-33.txt", "ec2.pipe", ["hook before_install"], "ScriptMissing"),
    ("aws-codedeploy-samples-27.txt", "ec2.pipe", ["hook after_install"], "ScriptFailed"),
    ("aws-airflow-stack-192.txt", "ec2.pipe", ['"scripts/cdapp_stop.sh"'], "ScriptMissing"),
    ("codepipeline-userguide-get-pipeline-state.json", "first-pipeline.pipe",
     ["stage Production {", "deploy Deploy-Second-Deployment to ec2"], "JobFailed"),
]


def _lines_holding(text: str, needle: str) -> set[int]:
    return {i for i, line in enumerate(text.splitlines(), 1) if needle in line}


@pytest.mark.parametrize("log,pipe,holding,code", CASES, ids=[c[0] for c in CASES])
def test_published_log_points_to_its_line(log, pipe, holding, code):
    text = (DATA / pipe).read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, pipe)
    findings = why(pipeline, text, (DATA / log).read_text(encoding="utf-8"))
    expected = [_lines_holding(text, h) for h in holding]
    assert all(len(e) == 1 for e in expected), expected  # each needle names one line
    assert {f.line for f in findings} == set().union(*expected), [(f.line, f.what) for f in findings]
    assert any(code in f.what for f in findings), [f.what for f in findings]
    assert all(f.meaning and f.fix for f in findings)


def test_the_cases_are_the_readme_table():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1].strip() for line in readme.splitlines() if line.startswith("| ") and "http" in line]
    assert rows == [c[0] for c in CASES]
    assert len(CASES) >= 15
    assert {p.name for p in DATA.iterdir() if p.suffix in (".log", ".json", ".txt")} == set(rows)


def test_get_pipeline_state_failed_action():
    """A CodePipeline action failure (the GetPipelineState API's ActionState shape): the action by
    name, and the command its errorDetails name."""
    text = (DATA / "builds.pipe").read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, "builds.pipe")
    state = {"pipelineName": "published-builds", "stageStates": [{"stageName": "build", "actionStates": [
        {"actionName": "catpipeline", "latestExecution": {"status": "Failed", "errorDetails": {
            "code": "JobFailed", "message": "Build terminated with state: FAILED. Phase: BUILD Code: "
            "COMMAND_EXECUTION_ERROR Message: Error while executing command: buildspec.yml. Reason: exit status 127"}}},
        {"actionName": "fargate", "latestExecution": {"status": "Failed", "errorDetails": {"code": "JobFailed",
                                                                                          "message": "timeout"}}}]}]}
    findings = why(pipeline, text, json.dumps(state))
    assert {f.line for f in findings} == _lines_holding(text, 'build "buildspec.yml"') | _lines_holding(
        text, "build fargate")


def test_unrelated_log_finds_nothing_and_exits_1(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("everything is fine\n")
    r = subprocess.run([sys.executable, "-m", "pipec", "why", str(DATA / "builds.pipe"), str(log)],
                       capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1 and "nothing in the log points to this pipeline" in r.stdout
    ok = subprocess.run([sys.executable, "-m", "pipec", "why", str(DATA / "ec2.pipe"),
                         str(DATA / "aws-codedeploy-agent-186.txt"), "--format", "json"],
                        capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)[0]["line"]
    missing = subprocess.run([sys.executable, "-m", "pipec", "why", str(DATA / "ec2.pipe"), str(tmp_path / "no")],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert missing.returncode == 1 and "E001" in missing.stderr and "Traceback" not in missing.stderr


def _state_pipeline():
    text = (ROOT / "examples" / "02-reference.pipe").read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, "02-reference.pipe")
    return pipeline, text


def test_get_pipeline_state_rejected_approval_and_failed_deployment():
    """get-pipeline-state's errorDetails say little for an approval or a CodeDeploy action: a
    rejected approval points at the approve line with the reviewer's comment; a failed deployment
    at the deploy line, with the get-deployment call that says which hook failed."""
    pipeline, text = _state_pipeline()
    state = {"stageStates": [
        {"stageName": "approval", "actionStates": [{"actionName": "release", "latestExecution": {
            "status": "Failed", "summary": "Staging shows 500s", "updatedBy": "arn:aws:iam::123456789012:user/lead",
            "errorDetails": {"code": "JobFailed", "message": "Rejected"}}}]},
        {"stageName": "staging", "actionStates": [{"actionName": "web-staging", "latestExecution": {
            "status": "Failed", "errorDetails": {"code": "JobFailed",
                                                 "message": "Deployment d-AB12CD34E failed"}}}]}]}
    found = {f.line: f for f in why(pipeline, text, json.dumps(state))}
    approval, deploy = _lines_holding(text, "approve release {"), _lines_holding(text, "deploy web-staging to ec2")
    assert set(found) == approval | deploy
    (a,) = [found[n] for n in approval]
    assert "Staging shows 500s" in a.what and "user/lead" in a.what
    (d,) = [found[n] for n in deploy]
    assert "aws deploy get-deployment --deployment-id d-AB12CD34E" in d.fix


def test_get_pipeline_state_transition_disabled_by_hand():
    """A transition the .pipe does not disable was disabled by someone: say so, and who."""
    pipeline, text = _state_pipeline()
    state = {"stageStates": [{"stageName": "production", "inboundTransitionState": {
        "enabled": False, "lastChangedBy": "arn:aws:iam::123456789012:user/ops", "disabledReason": "freeze"}}]}
    (f,) = why(pipeline, text, json.dumps(state))
    assert f.line in _lines_holding(text, "stage production {")
    assert "disabled by arn:aws:iam::123456789012:user/ops" in f.what and "does not disable it" in f.what
    assert "disables it again" not in f.fix


SHARED_SCRIPT = """pipeline shop {
  source app github "acme/shop" {
    on push branches main
  }
  stage build {
    build web {
      build "make"
      artifact site files "**/*"
    }
  }
  stage staging {
    deploy web-staging to ec2 {
      from site
      instances tag Environment = staging
      copy "/" to "/srv/shop"
      hook before_install "scripts/check.sh" as root
      hook validate_service "scripts/check.sh" as shop
    }
  }
}
"""


def test_a_shared_hook_script_is_told_apart_by_the_user_it_ran_as():
    """One script serves two hooks; the agent's message names the user it ran as, which only one
    of the hooks has: that hook's line, not 'the log does not say which lifecycle event'."""
    pipeline, _ = compile_text(SHARED_SCRIPT, "shop.pipe")
    log = ("Script - scripts/check.sh\n[stderr]not ready\n"
           "Script at specified location: scripts/check.sh run as user root failed with exit code 1")
    found = why(pipeline, SHARED_SCRIPT, log)
    assert {f.line for f in found} == _lines_holding(SHARED_SCRIPT, 'hook before_install "scripts/check.sh"')
    found = why(pipeline, SHARED_SCRIPT, log.replace("run as user root", "run as user shop"))
    assert {f.line for f in found} == _lines_holding(SHARED_SCRIPT, 'hook validate_service "scripts/check.sh"')


def test_an_alarm_stop_that_names_no_alarm_of_the_deployment_says_which_it_has():
    """ALARM_ACTIVE for the deployment group, without the alarm's name: the finding lists the
    deployment's alarms instead of printing an empty '()'."""
    pipeline, text = _state_pipeline()
    log = json.dumps({"deploymentInfo": {"deploymentGroupName": "web-prod", "status": "Stopped", "errorInformation": {
        "code": "ALARM_ACTIVE", "message": "One or more alarms have been activated according to the Amazon "
                                           "CloudWatch metrics you selected"}}})
    (f,) = [f for f in why(pipeline, text, log) if f.action == "web-prod"]
    assert "()" not in f.what and "HighErrorRate" in f.what


@pytest.mark.parametrize("log", ["aws-airflow-stack-192.txt", "aws-codedeploy-agent-186.txt"])
def test_an_application_stop_failure_is_the_previous_revisions_script(log):
    """CodeDeploy runs ApplicationStop, BeforeBlockTraffic and AfterBlockTraffic from the last
    revision that deployed successfully (DeploymentInfo.ignoreApplicationStopFailures): putting the
    script in this revision does not help (villasv/aws-airflow-stack issue 192 did, and the next
    deployment failed again). The fix says so and names --ignore-application-stop-failures."""
    text = (DATA / "ec2.pipe").read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, "ec2.pipe")
    [finding] = [f for f in why(pipeline, text, (DATA / log).read_text(encoding="utf-8")) if "application_stop" in f.what]
    assert "last revision that deployed successfully" in finding.fix
    assert "--ignore-application-stop-failures" in finding.fix
    assert "Put scripts/" not in finding.fix


def test_a_before_install_failure_keeps_its_own_fix():
    text = (DATA / "ec2.pipe").read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, "ec2.pipe")
    findings = why(pipeline, text, (DATA / "aws-codedeploy-agent-33.txt").read_text(encoding="utf-8"))
    assert findings and all("--ignore-application-stop-failures" not in f.fix for f in findings)


_KEYS = ["status", "lifecycleEventName", "diagnostics", "scriptName", "errorCode", "stageStates", "stageName",
         "inboundTransitionState", "enabled", "disabledReason", "lastChangedBy", "actionStates", "actionName",
         "latestExecution", "errorDetails", "message", "code", "summary", "updatedBy", "deploymentInfo",
         "errorInformation", "instanceSummary", "lifecycleEvents"]


def _json_values():
    from hypothesis import strategies as st

    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(
        ["Failed", "Succeeded", "ValidateService", "ApplicationStop", "build", "web", "scripts/stop_server",
         "ScriptFailed", "x"]))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)), max_leaves=12)


def test_json_of_any_shape_never_crashes_why():
    """The JSON is the user's: an object where a string was expected (or the reverse) is read as
    nothing, never an exception (the CLI's exit 3)."""
    from hypothesis import given, settings

    text = (DATA / "first-pipeline.pipe").read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, "first-pipeline.pipe")

    @settings(max_examples=300, deadline=None)
    @given(_json_values())
    def check(data):
        why(pipeline, text, json.dumps(data))

    check()
    for shape in ({"status": "Failed", "lifecycleEventName": "ValidateService", "diagnostics": "x"},
                  {"stageStates": [{"stageName": "build", "inboundTransitionState": "x"}]},
                  {"stageStates": [{"stageName": "build", "actionStates": [{"latestExecution": "x"}]}]},
                  {"stageStates": [{"actionStates": 3, "latestExecution": "x"}]}):
        why(pipeline, text, json.dumps(shape))


def test_a_deployment_group_already_deploying_says_to_wait():
    """The User Guide's get-pipeline-state: 'Deployment Group is already deploying deployment ...'
    is another deployment in progress, not a failed one to inspect with get-deployment."""
    text = (DATA / "first-pipeline.pipe").read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, "first-pipeline.pipe")
    log = (DATA / "codepipeline-userguide-get-pipeline-state.json").read_text(encoding="utf-8")
    [f] = [f for f in why(pipeline, text, log) if "already deploying" in f.what]
    assert "one at a time per group" in f.meaning and "Wait for it to end" in f.fix
