"""Issue 24: GitHub jobs that wait for AWS wait within a bound and show why a run failed.

* A CodeDeploy deployment to EC2 or Lambda is waited for by the pipeline's one waiting script
  (github/PIPELINE/codedeploy-wait.sh, targets/github/waits.py): the AWS CLI waiter, called again
  after its 30 minutes while the deployment runs; a failed deployment prints its error and each
  failed lifecycle event with its log tail. Two deploy jobs share the script, not a copy of it.
* A build run in CodeBuild (run_in_codebuild, targets/github/codebuild_run.py) prints the end of
  the build's log, and fails unless the build succeeded.
* The job's role may call exactly what the scripts call.

The scripts run with bash against a stub ``aws`` (as in tests/test_deploy_runtime.py) and a
``sleep`` that returns at once.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import yaml
from test_deploy_runtime import BUILD, SOURCE, emit, step


def run(tmp: Path, script: str, env: dict, answers: str) -> tuple[int, list[str], str]:
    """(exit status, the aws calls, the output) of ``script`` run with bash, ``aws`` answering as
    ``answers`` (a ``case "$*" in`` body) says."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in (("aws", 'echo "$*" >> "$CALLS"\ncase "$*" in\n' + answers + "\nesac\n"), ("sleep", "")):
        (bin_dir / name).write_text("#!/bin/bash\n" + body, encoding="utf-8")
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IXUSR)
    calls = tmp / "calls"
    calls.write_text("", encoding="utf-8")
    full = {**os.environ, **{k: str(v) for k, v in env.items()}, "CALLS": str(calls),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", script], env=full, cwd=tmp, capture_output=True, text=True, timeout=60)
    return done.returncode, calls.read_text(encoding="utf-8").splitlines(), done.stdout + done.stderr

EC2 = ("pipeline p {\n" + SOURCE + BUILD +
       "  stage staging {\n    deploy site to ec2 {\n      from out\n      instances tag Environment = staging\n"
       "      strategy rolling one-at-a-time\n    }\n  }\n"
       "  stage production {\n    deploy prod to ec2 {\n      from out\n      instances tag Environment = prod\n"
       "      strategy rolling one-at-a-time\n    }\n  }\n}\n")

#: the stub's answers: a waiter that gives up $WAITS times (exit 255, as after its 120 checks)
#: then reports $END, and an instance whose AfterInstall script failed
ANSWERS = "\n".join([
    '  "deploy create-deployment"*) echo d-1 ;;',
    '  "deploy wait deployment-successful"*) n=$(cat "$CALLS.n" 2>/dev/null || echo 0); echo $((n + 1)) > "$CALLS.n"; '
    '[ "$n" -ge "$WAITS" ] && [ "$END" = Succeeded ] && exit 0; exit 255 ;;',
    '  *"--query deploymentInfo.status"*) n=$(cat "$CALLS.n"); if [ "$n" -gt "$WAITS" ]; then echo "$END"; '
    "else echo InProgress; fi ;;",
    '  *errorInformation*) printf "HEALTH_CONSTRAINTS\\tToo many instances failed\\n" ;;',
    '  "deploy list-deployment-instances"*) printf "i-0abc\\n" ;;',
    '  "deploy get-deployment-instance"*) echo \'{"instanceSummary": {"lifecycleEvents": ['
    '{"lifecycleEventName": "BeforeInstall", "status": "Succeeded"}, {"lifecycleEventName": "AfterInstall", '
    '"status": "Failed", "diagnostics": {"errorCode": "ScriptFailed", "scriptName": "scripts/install.sh", '
    '"message": "Script at specified location: scripts/install.sh run as user root failed with exit code 1", '
    '"logTail": "npm ERR! missing script: start"}}]}}\' ;;',
    "  *) ;;"])


def _deploy(tmp, end: str, waits: int):
    workflow, files, _ = emit(EC2)
    s = step(workflow, "site", "Deploy out with CodeDeploy")
    for rel, text in files.items():
        if rel.startswith("github/"):
            (tmp / ".pipec-repo" / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / ".pipec-repo" / rel).write_text(text, encoding="utf-8")
    (tmp / "revision").mkdir(exist_ok=True)
    return run(tmp, s["run"], {**s["env"], "END": end, "WAITS": waits, "KEY": "site/1.zip", "BUCKET": "b"}, ANSWERS)


def test_a_deployment_longer_than_the_waiters_30_minutes_is_waited_for(tmp_path):
    code, calls, _ = _deploy(tmp_path, "Succeeded", 2)
    assert code == 0, calls
    assert sum(c.startswith("deploy wait deployment-successful --deployment-id d-1") for c in calls) == 3


def test_a_failed_deployment_prints_its_error_and_the_failed_hooks_log_tail(tmp_path):
    code, calls, out = _deploy(tmp_path, "Failed", 1)
    assert code == 1
    assert "::error::CodeDeploy deployment d-1: Failed" in out
    assert "Too many instances failed" in out
    assert "i-0abc AfterInstall: ScriptFailed scripts/install.sh" in out
    assert "npm ERR! missing script: start" in out
    assert "BeforeInstall" not in out  # only the failed lifecycle events
    assert any(c.startswith("deploy list-deployment-instances --deployment-id d-1 --instance-status-filter Failed")
               for c in calls)


def test_deploy_jobs_share_one_waiting_script():
    workflow, files, _ = emit(EC2)
    scripts = [rel for rel in files if rel.endswith("codedeploy-wait.sh")]
    assert scripts == ["github/p/codedeploy-wait.sh"]
    runs = [step(workflow, job, "Deploy out with CodeDeploy")["run"] for job in ("site", "prod")]
    assert runs[0] == runs[1] and len(runs[0].splitlines()) < 10
    for job in ("site", "prod"):
        checkout = step(workflow, job, "Check out the appspec")
        assert checkout["with"]["sparse-checkout"] == "github/p"  # its appspec and the script
        assert workflow["jobs"][job]["timeout-minutes"] >= step(workflow, job, "Deploy").get("timeout-minutes", 0)


ROLLING = ("pipeline p {\n" + SOURCE + BUILD +
           "  stage staging {\n    deploy svc to ecs {\n      from out\n      cluster staging\n      service web\n"
           "      strategy rolling\n    }\n  }\n"
           "  stage production {\n    deploy prod to ecs {\n      from out\n      cluster production\n"
           "      service web\n      strategy rolling\n    }\n  }\n}\n")


def test_ecs_rolling_updates_share_one_script():
    """The rolling update (what CodePipeline's ECS action does, then the rollout wait) was a
    19-line script in every job; two jobs now call one script."""
    workflow, files, _ = emit(ROLLING)
    assert [rel for rel in files if rel.endswith(".sh") and "/environments/" not in rel] == [
        "github/p/ecs-rolling-update.sh"]
    steps = [step(workflow, job, "Rolling update") for job in ("svc", "prod")]
    assert [s["run"] for s in steps] == ['bash "$UPDATE"'] * 2
    assert [s["env"]["CLUSTER"] for s in steps] == ["staging", "production"]
    for job in ("svc", "prod"):
        assert step(workflow, job, "Check out the update script")["with"]["sparse-checkout"] == "github/p"
        assert workflow["jobs"][job]["permissions"]["contents"] == "read"


def _granted(files, job: str) -> set[str]:
    template = yaml.safe_load(files["github/p.template.yaml"].replace("!", ""))
    actions = set()
    for res in template["Resources"].values():
        if res["Type"] != "AWS::IAM::Role" or not str(res["Properties"].get("RoleName", "")).endswith(f"-{job}"):
            continue
        for policy in res["Properties"].get("Policies", ()):
            for st in policy["PolicyDocument"]["Statement"]:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                actions.update(acts)
    return actions


#: AWS CLI commands -> the IAM actions they need (Service Authorization Reference, CodeDeploy)
CLI_ACTIONS = {"deploy wait": "codedeploy:GetDeployment", "deploy get-deployment": "codedeploy:GetDeployment",
               "deploy create-deployment": "codedeploy:CreateDeployment",
               "deploy list-deployment-instances": "codedeploy:ListDeploymentInstances",
               "deploy get-deployment-instance": "codedeploy:GetDeploymentInstance",
               "codebuild start-build": "codebuild:StartBuild", "codebuild batch-get-builds": "codebuild:BatchGetBuilds",
               "logs get-log-events": "logs:GetLogEvents"}


def _called(script: str) -> set[str]:
    return {CLI_ACTIONS[m] for m in re.findall(r"aws ((?:deploy|codebuild|logs) [a-z-]+)", script)
            if m in CLI_ACTIONS} | ({"codedeploy:GetDeployment"} if "aws deploy wait" in script else set())


def test_the_deploy_role_may_call_what_the_waiting_script_calls():
    _, files, _ = emit(EC2)
    called = _called(files["github/p/codedeploy-wait.sh"])
    assert called == {"codedeploy:GetDeployment", "codedeploy:ListDeploymentInstances",
                      "codedeploy:GetDeploymentInstance"}
    assert called <= _granted(files, "site")


# ----------------------------------------------------------------------------- run_in_codebuild

CODEBUILD = ("pipeline p {\n" + SOURCE +
             '  stage checks {\n    test integration {\n      build "go test ./..."\n'
             "      github {\n        run_in_codebuild\n      }\n    }\n  }\n}\n")

CB_ANSWERS = "\n".join([
    '  "codebuild start-build"*) echo "p-integration:1" ;;',
    '  *"builds[0].buildStatus"*) n=$(cat "$CALLS.n" 2>/dev/null || echo 0); echo $((n + 1)) > "$CALLS.n"; '
    'if [ "$n" -ge 1 ]; then echo "$END"; else echo IN_PROGRESS; fi ;;',
    '  *"builds[0].logs"*) printf "/aws/codebuild/p-integration\\tstream-1\\n" ;;',
    '  "logs get-log-events"*) printf "[Container] Running command go test ./...\\n--- FAIL: TestLedger\\n" ;;',
    "  *) ;;"])


def _codebuild(tmp, end: str):
    workflow, files, _ = emit(CODEBUILD)
    s = step(workflow, "integration", "Run integration in CodeBuild")
    env = {"CODEBUILD_RESOLVED_SOURCE_VERSION": "0" * 40, **s["env"], "END": end}  # the workflow's env has it
    assert workflow["env"]["CODEBUILD_RESOLVED_SOURCE_VERSION"] == "${{ github.event.pull_request.head.sha || github.sha }}"
    return (*run(tmp, s["run"], env, CB_ANSWERS), workflow, files)


def test_a_failed_codebuild_build_fails_the_job_and_shows_its_log(tmp_path):
    code, calls, out, workflow, _ = _codebuild(tmp_path, "FAILED")
    assert code == 1
    assert "--- FAIL: TestLedger" in out and "::error::CodeBuild build p-integration:1: FAILED" in out
    assert workflow["jobs"]["integration"]["timeout-minutes"] == 70  # the build's 60 minutes, and 10


def test_a_successful_codebuild_build_passes(tmp_path):
    code, calls, out, _, files = _codebuild(tmp_path, "SUCCEEDED")
    assert code == 0, out
    assert sum("builds[0].buildStatus" in c for c in calls) == 2  # IN_PROGRESS, then SUCCEEDED
    script = step(emit(CODEBUILD)[0], "integration", "Run integration")["run"]
    assert _called(script) == {"codebuild:StartBuild", "codebuild:BatchGetBuilds", "logs:GetLogEvents"}
    assert _called(script) <= _granted(files, "integration")


def test_a_failed_status_call_is_asked_again(tmp_path):
    """A batch-get-builds that fails (throttling past the CLI's retries) is not the end of the
    build: the job asks again and follows the build to its end."""
    flaky = CB_ANSWERS.replace(
        '  *"builds[0].buildStatus"*) n=',
        '  *"builds[0].buildStatus"*) if [ ! -e "$CALLS.failed" ]; then touch "$CALLS.failed"; '
        'echo "An error occurred (ThrottlingException)" >&2; exit 255; fi; n=')
    workflow, _files, _ = emit(CODEBUILD)
    s = step(workflow, "integration", "Run integration in CodeBuild")
    code, calls, out = run(tmp_path, s["run"], {"CODEBUILD_RESOLVED_SOURCE_VERSION": "0" * 40, **s["env"],
                                                "END": "SUCCEEDED"}, flaky)
    assert code == 0, out
    assert sum("builds[0].buildStatus" in c for c in calls) == 3  # failed, IN_PROGRESS, SUCCEEDED
