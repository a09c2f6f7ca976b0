"""Issue 22, deployments at run time: what the GitHub jobs do when they run, held against what
CodePipeline does (docs/targets.md cites each platform fact):

* item 6: deploy jobs wait as long as the strategy takes, up to the job limit, and W523 names a
  strategy that outlasts a GitHub-hosted job;
* item 7: an ECS rolling update waits up to CodePipeline's 60 minutes and fails when the
  deployment fails or the circuit breaker rolls it back;
* item 8: the EC2 revision pushed from GitHub keeps dot-files, as CodeBuild's artifact does;
* item 9: artifacts keep file modes between jobs;
* item 11: a build with ``aws { role }`` gets that role's credentials on GitHub;
* item 14: a stack's change set is created under a name unique to the run and executed by name.

Where the behaviour is in a script rather than in the files' structure, the script is run with
bash against a stub ``aws`` command (:func:`run_with_fake_aws`) that records its calls and
answers as the AWS CLI documents.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import yaml

import pipec
from pipec.build import EmitContext
from pipec.targets.github import emit as github


def emit(text: str) -> tuple[dict, dict, list]:
    """(workflow, files, warnings) of the GitHub target for ``text``."""
    pipeline, _ = pipec.compile_text(text, "inline.pipe")
    ctx = EmitContext(source="inline.pipe", prefix="")
    files = github.emit(pipeline, ctx)
    workflow = yaml.safe_load(next(v for k, v in files.items() if k.startswith(".github/workflows/")))
    return workflow, files, ctx.warnings


def step(workflow: dict, job: str, name_start: str) -> dict:
    return next(s for s in workflow["jobs"][job]["steps"] if s.get("name", "").startswith(name_start))


def run_with_fake_aws(tmp: Path, script: str, env: dict, answers: str) -> tuple[int, list[str]]:
    """Run ``script`` with bash, ``aws`` being a stub whose answer to each call is decided by
    ``answers`` (a bash ``case "$*" in ... esac`` body); returns (exit status, the calls)."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "aws"
    fake.write_text('#!/bin/bash\necho "$*" >> "$CALLS"\ncase "$*" in\n' + answers + "\nesac\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    calls = tmp / "calls"
    calls.write_text("", encoding="utf-8")
    full = {**os.environ, **{k: str(v) for k, v in env.items()}, "CALLS": str(calls),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", script], env=full, cwd=tmp, capture_output=True, text=True, timeout=60)
    return done.returncode, calls.read_text(encoding="utf-8").splitlines()


SOURCE = '  source app github "acme/app" {\n    branch main\n    on push branches main\n  }\n'
BUILD = ('  stage build {\n    build web {\n      build "make"\n      artifact out files "**/*"\n    }\n  }\n')


# ----------------------------------------------------------------------------- item 14


STACK = ("pipeline p {\n" + SOURCE + BUILD +
         "  stage prod {\n    deploy infra to cloudformation {\n      from out\n      stack app-prod\n"
         "      template template.yaml\n      parameter Stage = prod\n      capabilities iam\n"
         "      change_set release\n    }\n  }\n}\n")


def test_stack_change_set_is_named_for_the_run_and_executed_by_name():
    workflow, _, _ = emit(STACK)
    s = step(workflow, "infra", "Deploy stack")
    assert s["env"]["CHANGE_SET"] == "release-${{ github.run_id }}-${{ github.run_attempt }}"
    run = s["run"]
    assert "list-change-sets" not in run and "sort_by" not in run  # never "the newest change set"
    lines = run.split("\n")
    execute = [i for i, line in enumerate(lines) if "execute-change-set" in line]
    assert [lines[i] for i in execute] == [
        'aws cloudformation execute-change-set --stack-name "$STACK" --change-set-name "$CHANGE_SET"']
    check = lines.index('if [ "$CS_STATUS" != CREATE_COMPLETE ]; then')
    assert check < execute[0]
    # the no-changes case ends the script before the execute, successfully
    no_changes = next(i for i, line in enumerate(lines) if "didn't contain changes" in line)
    assert check < no_changes < execute[0] and lines[no_changes + 3].strip() == "exit 0 ;;"


def _stack_run(tmp, status: str, reason: str) -> tuple[int, list[str]]:
    workflow, _, _ = emit(STACK)
    s = step(workflow, "infra", "Deploy stack")
    env = {**s["env"], "CHANGE_SET": "release-42-1", "AWS_REGION": "us-east-1"}
    answers = "\n".join([
        '  "cloudformation describe-stacks"*StackStatus*) echo UPDATE_COMPLETE ;;',
        f'  "cloudformation describe-change-set"*) printf "%s\\t%s\\n" {status} "{reason}" ;;',
        "  *) ;;"])
    return run_with_fake_aws(tmp, s["run"], env, answers)


def test_stack_change_set_runs_execute_that_change_set(tmp_path):
    (tmp_path / "release").mkdir()
    code, calls = _stack_run(tmp_path, "CREATE_COMPLETE", "None")
    assert code == 0, calls
    assert "cloudformation execute-change-set --stack-name app-prod --change-set-name release-42-1" in calls
    created = next(c for c in calls if c.startswith("cloudformation create-change-set"))
    assert "--change-set-name release-42-1" in created and "--change-set-type UPDATE" in created


def test_stack_change_set_without_changes_succeeds_without_executing(tmp_path):
    code, calls = _stack_run(tmp_path, "FAILED", "The submitted information didn't contain changes. "
                                                 "Submit different information to create a change set.")
    assert code == 0, calls
    assert not any("execute-change-set" in c for c in calls)
    assert "cloudformation delete-change-set --stack-name app-prod --change-set-name release-42-1" in calls


def test_stack_change_set_that_failed_fails_the_job(tmp_path):
    code, calls = _stack_run(tmp_path, "FAILED", "Template format error")
    assert code == 1
    assert not any("execute-change-set" in c for c in calls)


# ----------------------------------------------------------------------------- item 6


def lambda_pipeline(strategy: str, runs_on: str = "") -> str:
    return ("pipeline p {\n" + SOURCE + BUILD + (f"  github {{\n    runs_on {runs_on}\n  }}\n" if runs_on else "") +
            "  stage staging {\n    deploy api to lambda {\n      function api\n      alias live\n"
            f"      strategy {strategy}\n      rollback on failure alarm api-errors\n    }}\n  }}\n}}\n")


def test_lambda_deploy_waits_as_long_as_the_aws_deployer():
    """linear 10% every 10m: 100 minutes of shifting; CodeBuild's deployer gets 60 more (160), and
    so does the GitHub step; the job has 10 minutes more for its other steps."""
    text = lambda_pipeline("linear 10% every 10m")
    workflow, _, warnings = emit(text)
    assert step(workflow, "api", "Shift api:live")["timeout-minutes"] == 160
    assert workflow["jobs"]["api"]["timeout-minutes"] == 170
    assert not [w for w in warnings if w.code == "W516"]
    pipeline, _ = pipec.compile_text(text, "inline.pipe")
    from pipec.targets.aws import emit as aws
    files = aws.emit(pipeline, EmitContext(source="inline.pipe", prefix=""))
    template = yaml.safe_load(next(v for k, v in files.items() if k.endswith(".template.yaml")))
    (deployer,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CodeBuild::Project"
                   and r["Properties"]["Name"].endswith("-api")]
    assert deployer["Properties"]["TimeoutInMinutes"] == 160


def test_shift_beyond_the_hosted_job_limit_is_warned():
    workflow, _, warnings = emit(lambda_pipeline("canary 10% then rest after 1440m"))
    (w,) = [w for w in warnings if w.code == "W516"]
    assert "1500 minutes" in w.message and "360" in w.message
    assert "self-hosted" in w.help
    assert "timeout-minutes" not in step(workflow, "api", "Shift api:live")  # the job's, 360 minutes
    assert workflow["jobs"]["api"]["timeout-minutes"] == 360


def test_self_hosted_runner_waits_as_long_as_aws():
    workflow, _, warnings = emit(lambda_pipeline("canary 10% then rest after 1440m", '"self-hosted" "linux"'))
    assert not [w for w in warnings if w.code == "W516"]
    assert step(workflow, "api", "Shift api:live")["timeout-minutes"] == 1500


# ----------------------------------------------------------------------------- item 7


ECS = ("pipeline p {\n" + SOURCE + BUILD +
       "  stage staging {\n    deploy svc to ecs {\n      from out\n      cluster main\n      service web\n"
       "      image_file imagedefinitions.json\n      strategy rolling\n    }\n  }\n}\n")


def _rolling_run(tmp, primary: str) -> tuple[int, list[str]]:
    workflow, files, _ = emit(ECS)
    s = step(workflow, "svc", "Rolling update")
    assert s["timeout-minutes"] == 60  # CodePipeline's ECS action: 1 hour
    script = tmp / ".pipec-repo" / "github" / "p" / "ecs-rolling-update.sh"  # checked out by the job
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(files["github/p/ecs-rolling-update.sh"], encoding="utf-8")
    assert s["run"] == 'bash "$UPDATE"' and s["env"]["UPDATE"] == ".pipec-repo/github/p/ecs-rolling-update.sh"
    (tmp / "release").mkdir(exist_ok=True)
    (tmp / "release" / "imagedefinitions.json").write_text('[{"name": "web", "imageUri": "web:2"}]', encoding="utf-8")
    answers = "\n".join([
        '  "ecs describe-services"*rolloutState*) printf "%s\\n" "' + primary + '" ;;',
        '  "ecs describe-services"*) echo "arn:td/web:1" ;;',
        '  "ecs describe-task-definition"*) echo \'{"containerDefinitions": [{"name": "web", "image": "web:1"}]}\' ;;',
        '  "ecs register-task-definition"*) echo "arn:td/web:2" ;;',
        "  *) ;;"])
    return run_with_fake_aws(tmp, s["run"], {**s["env"], "RUNNER_TEMP": str(tmp)}, answers)


def test_ecs_rolling_update_succeeds_when_the_rollout_completes(tmp_path):
    code, calls = _rolling_run(tmp_path, "arn:td/web:2\tCOMPLETED\t2\t1\t2")
    assert code == 0, calls


def test_ecs_rolling_update_fails_when_the_circuit_breaker_fails_it(tmp_path):
    code, _ = _rolling_run(tmp_path, "arn:td/web:2\tFAILED\t2\t0\t2")
    assert code == 1


def test_ecs_rolling_update_fails_after_a_rollback(tmp_path):
    """After a circuit-breaker rollback the service is stable on the old task definition, which
    'aws ecs wait services-stable' took for success."""
    code, _ = _rolling_run(tmp_path, "arn:td/web:1\tCOMPLETED\t1\t2\t2")
    assert code == 1


# ----------------------------------------------------------------------------- item 8


EC2 = ("pipeline p {\n" + SOURCE + BUILD +
       "  stage staging {\n    deploy site to ec2 {\n      from out\n      instances tag Environment = staging\n"
       "      strategy all-at-once\n    }\n  }\n}\n")


def test_ec2_revision_keeps_dotfiles():
    """CodeBuild's '**/*' artifact has .env and .well-known/ and CodePipeline hands it to CodeDeploy
    as it is; 'aws deploy push --ignore-hidden-files' left them out of the GitHub revision."""
    workflow, _, _ = emit(EC2)
    push = next(line for line in step(workflow, "site", "Deploy out with CodeDeploy")["run"].split("\n")
                if line.startswith("aws deploy push "))
    assert "--no-ignore-hidden-files" in push.split() and "--ignore-hidden-files" not in push.split()
    upload = step(workflow, "web", "Upload artifact out")
    assert upload["with"]["include-hidden-files"] is True


# ----------------------------------------------------------------------------- item 11


ROLE = "arn:aws:iam::123456789012:role/codebuild/web-build"
ROLE_BUILD = ("pipeline p {\n" + SOURCE + "  stage build {\n    build web {\n"
              '      build "aws ecr get-login-password --region us-east-1 > /dev/null"\n'
              f'      aws {{\n        role "{ROLE}"\n      }}\n    }}\n  }}\n}}\n')


def test_build_with_a_role_gets_that_roles_credentials_before_the_phases():
    workflow, files, _ = emit(ROLE_BUILD)
    job = workflow["jobs"]["web"]
    assert job["permissions"]["id-token"] == "write"
    names = [s.get("name", s.get("id")) for s in job["steps"]]
    own, chained = (s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert chained["with"]["role-to-assume"] == ROLE and chained["with"]["role-chaining"] is True
    assert names.index(chained["name"]) == names.index(own.get("name", own["id"])) + 1
    first_phase = min(i for i, s in enumerate(job["steps"]) if s.get("id") in ("install", "pre_build", "build",
                                                                              "post_build", "phases"))
    assert names.index(chained["name"]) < first_phase
    # the job's own role may assume the build's role
    companion = yaml.safe_load(files["github/p.template.yaml"])
    statements = [st for r in companion["Resources"].values() if r["Type"] == "AWS::IAM::Role"
                  for pol in r["Properties"].get("Policies", ()) for st in pol["PolicyDocument"]["Statement"]]
    assert {"Effect": "Allow", "Action": "sts:AssumeRole",
            "Resource": [{"Fn::Sub": ROLE.replace("arn:aws:", "arn:${AWS::Partition}:")}]} in statements


def test_only_the_build_with_a_role_gets_an_id_token():
    text = ROLE_BUILD.replace("  }\n}\n", "  }\n  stage more {\n    build other {\n      build \"make\"\n    }\n  }\n}\n")
    workflow, _, _ = emit(text)
    assert "id-token" not in workflow["jobs"]["other"]["permissions"]
    assert "id-token" not in (workflow.get("permissions") or {})


# ----------------------------------------------------------------------------- item 9


MODES = ("pipeline p {\n" + SOURCE +
         '  stage build {\n    build web {\n      build "make"\n      artifact out files "**/*"\n    }\n  }\n'
         '  stage check {\n    test selftest {\n      from out\n      build "./bin/server --selftest"\n    }\n  }\n}\n')


def test_artifacts_keep_file_modes_and_dotfiles_between_jobs(tmp_path):
    """The collection step of one job and the unpack step of the next, run with bash; between
    them, what upload-artifact and download-artifact do to the one file uploaded (NAME.tar)."""
    workflow, _, _ = emit(MODES)
    collect = step(workflow, "web", "Collect artifact out")
    upload = step(workflow, "web", "Upload artifact out")
    assert upload["with"]["path"] == "${{ runner.temp }}/artifacts/out.tar"
    assert upload["with"]["include-hidden-files"] is True
    download = step(workflow, "selftest", "Download artifact out")
    unpack = step(workflow, "selftest", "Unpack artifact out")
    assert download["with"] == {"name": "out", "path": "${{ runner.temp }}/pipec-artifacts/out"}

    build, runner = tmp_path / "build", tmp_path / "runner"
    (build / "bin").mkdir(parents=True)
    (build / ".well-known").mkdir()
    server = build / "bin" / "server"
    server.write_text("#!/bin/sh\necho ok\n", encoding="utf-8")
    server.chmod(0o755)
    (build / ".well-known" / "security.txt").write_text("x\n", encoding="utf-8")
    runner.mkdir()
    env = {**os.environ, "RUNNER_TEMP": str(runner)}
    subprocess.run(["bash", "-c", collect["run"]], cwd=build, env=env, check=True)
    # download-artifact puts the artifact's one file, out.tar, into the download path
    (runner / "pipec-artifacts" / "out").mkdir(parents=True)
    (runner / "artifacts" / "out.tar").rename(runner / "pipec-artifacts" / "out" / "out.tar")
    work = tmp_path / "next-job"
    work.mkdir()
    subprocess.run(["bash", "-c", unpack["run"]], cwd=work, env=env, check=True)
    assert os.access(work / "bin" / "server", os.X_OK)
    assert (work / ".well-known" / "security.txt").read_text(encoding="utf-8") == "x\n"
    assert not (work / "out.tar").exists()
