"""Deployment jobs: CodeDeploy (EC2, ECS blue/green, Lambda) with the generated appspec, ECS
rolling updates, CloudFormation stacks (with their own CloudFormation role in the companion
template), S3 buckets and Lambda invokes; each grants its job's role what it calls. Approvals are
:mod:`.approvals`.
"""

from __future__ import annotations

import functools


from troposphere import GetAtt, Output, Ref, iam

from pipec import model
from pipec.targets.aws import appspec
from pipec.targets.aws import emit as aws
from pipec.targets.aws import security as aws_security
from pipec.targets.escape import expression_text
from pipec.targets.github import stacks, waits
from pipec.targets.github.artifacts import download_steps
from pipec.targets.github.companion import _cfn_bucket
from pipec.targets.github.jobs import HEAD_COMMIT, env_name, job_id
from pipec.targets.github.pins import uses
from pipec.targets.github.places import place_of


CAPABILITIES = {"iam": "CAPABILITY_IAM", "named-iam": "CAPABILITY_NAMED_IAM",
                "auto-expand": "CAPABILITY_AUTO_EXPAND"}


def _placed(method):
    """Make the job where its action runs: another account's role and Region (.places)."""
    @functools.wraps(method)
    def made_there(self, act, job):
        with self.placed_at(act):
            return method(self, act, job)
    return made_there


class Deploys:
    """Deploy, stack, bucket and invoke jobs."""

    @_placed
    def deploy_job(self, d: model.Deploy, job: dict) -> dict:
        jid = job_id(d.name)
        env_name_ = d.github.first("environment") or d.stage
        job["environment"] = env_name_
        self.environments.setdefault(env_name_, {})
        job["permissions"]["id-token"] = "write"
        job["permissions"]["contents"] = "read"  # the generated files (.own_files_checkout)
        steps = [self.credentials(jid)]
        side = self.aws()
        if d.uses_codedeploy:
            app, group = side.deployment_group(d)
            config = d.strategy.codedeploy_config(d.platform)
            app_name = self.resolved(app)
            group_name = d.aws.first("deployment_group") or d.name
            config_name = config or f"{app_name}-{d.name}"
            if config is None:
                cfg = side.t.resources[side.key(d.name) + "DeploymentConfig"]
                cfg.DeploymentConfigName = config_name
            # EC2 and Lambda: the waiting script's diagnostics too (.waits.codedeploy_wait_script)
            waiting = ["codedeploy:GetDeploymentInstance", "codedeploy:ListDeploymentInstances"] \
                if d.platform != "ecs" else []
            self.grant(jid, [
                {"Effect": "Allow", "Action": ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", *waiting],
                 "Resource": [self.cd_arn(f"deploymentgroup:{app_name}/{group_name}")]},
                {"Effect": "Allow", "Action": ["codedeploy:GetApplicationRevision",
                                               "codedeploy:RegisterApplicationRevision"],
                 "Resource": [self.cd_arn(f"application:{app_name}")]},
                {"Effect": "Allow", "Action": "codedeploy:GetDeploymentConfig",
                 "Resource": [self.cd_arn(f"deploymentconfig:{config_name}")]},
            ])
            spec_rel = f"github/{self.p.name}/appspec/{d.name}.yml"
            self.files[spec_rel] = appspec.render(d, self.ctx.source)
            spec_path = self.ctx.path(spec_rel)
            if d.platform != "ecs":  # the ECS action waits itself
                wait_rel = f"github/{self.p.name}/{waits.WAIT_SCRIPT}"
                self.files[wait_rel] = waits.codedeploy_wait_script(self.ctx.source, self.p.name)
            # the pipeline's folder of generated files (appspecs, the waiting script), in git's cone
            # mode: that folder and the files at the repository's root
            checkout = self.own_files_checkout(d, "the appspec")
            common = {"APPLICATION": app_name, "GROUP": group_name, "CONFIG": config_name}
            wait_env = {"WAIT": f".pipec-repo/{self.ctx.path(f'github/{self.p.name}/{waits.WAIT_SCRIPT}')}"}
            if d.platform == "ec2":
                steps.extend([*download_steps(d.inputs[0], "revision"), checkout])
                bucket = self.revisions_bucket()
                self.grant(jid, [{"Effect": "Allow", "Action": "s3:PutObject",
                                  "Resource": [f"arn:aws:s3:::{_cfn_bucket(self.p.name, self.region)}/{d.name}/*"]}])
                side.pipec_revisions = True
                if place_of(self.p, d) is not None:  # the instances there read the revisions (.places)
                    side.pipec_instances = [*getattr(side, "pipec_instances", ()), d.name]
                steps.append({"name": f"Deploy {d.inputs[0]} with CodeDeploy",
                              "env": {**common, "BUCKET": bucket, "KEY": f"{d.name}/${{{{ github.sha }}}}-${{{{ github.run_attempt }}}}.zip",
                                      **wait_env, "APPSPEC": f".pipec-repo/{spec_path}"},
                              "run": "\n".join([
                                  "set -euo pipefail",
                                  'cp "$APPSPEC" revision/appspec.yml',
                                  'aws deploy push --application-name "$APPLICATION" --s3-location "s3://$BUCKET/$KEY" '
                                  # dot-files too, as the CodeBuild artifact CodePipeline hands to
                                  # CodeDeploy has them ('aws deploy push' docs: the default)
                                  "--source revision --no-ignore-hidden-files",
                                  'ID=$(aws deploy create-deployment --application-name "$APPLICATION" '
                                  '--deployment-group-name "$GROUP" --deployment-config-name "$CONFIG" '
                                  '--s3-location "bucket=$BUCKET,key=$KEY,bundleType=zip" '
                                  "--query deploymentId --output text)",
                                  waits.WAIT_LINE])})
                self.deploy_wait(d, job, steps[-1])
            elif d.platform == "ecs":
                t = d.target
                steps.extend([*download_steps(d.inputs[0], "release"), checkout])
                self.grant(jid, self.ecs_statements(t))
                steps.append({"name": "Deploy to ECS through CodeDeploy",
                              "uses": uses("aws-actions/amazon-ecs-deploy-task-definition"),
                              "with": {"task-definition": expression_text(f"release/{t.task_definition}"),
                                       "cluster": t.cluster, "service": t.service,
                                       "codedeploy-appspec": f".pipec-repo/{spec_path}",
                                       "codedeploy-application": app_name,
                                       "codedeploy-deployment-group": group_name,
                                       "codedeploy-deployment-config": config_name,
                                       "wait-for-service-stability": True}})
                # the action's own wait (at most 6 hours, its README says) ends with the step's
                steps[-1]["with"]["wait-for-minutes"] = min(360, self.deploy_wait(d, job, steps[-1]))
            else:
                t = d.target
                function_arn = aws._function_arn(t.function)
                self.grant(jid, [{"Effect": "Allow", "Action": ["lambda:GetAlias", "lambda:PublishVersion"],
                                  "Resource": [function_arn, aws._suffix(function_arn, ":*")]}])
                steps.append(checkout)
                steps.append({"name": f"Shift {t.function}:{t.alias} with CodeDeploy",
                              "env": {**common, "FUNCTION": expression_text(t.function), "ALIAS": expression_text(t.alias),
                                      **wait_env, "APPSPEC": f".pipec-repo/{spec_path}"},
                              "run": "\n".join(["set -euo pipefail", *aws.lambda_deployment_script(
                                  t, '"$APPSPEC"', "$RUNNER_TEMP", [waits.WAIT_LINE])])})
                self.deploy_wait(d, job, steps[-1])
        else:
            t = d.target
            rel = f"github/{self.p.name}/{waits.ROLLING_SCRIPT}"
            self.files[rel] = waits.ecs_rolling_script(self.ctx.source, self.p.name)
            steps.extend([*download_steps(d.inputs[0], "release"), self.own_files_checkout(d, "the update script")])
            self.grant(jid, self.ecs_statements(t))
            steps.append({"name": "Rolling update of the ECS service",
                          "env": {"CLUSTER": t.cluster, "SERVICE": t.service,
                                  "IMAGES": expression_text(f"release/{t.image_file}"),
                                  "UPDATE": f".pipec-repo/{self.ctx.path(rel)}"},
                          "run": waits.ROLLING_LINE})
            self.deploy_wait(d, job, steps[-1])
        job["steps"] = steps
        return job

    def own_files_checkout(self, d, what: str) -> dict:
        """The step that checks out the pipeline's folder of generated files (appspecs, scripts)
        in git's cone mode (that folder and the files at the repository's root), into
        ``.pipec-repo``. It comes after the artifact's download (a checkout cleans only its own
        path); jobs that check out the same files share the step (an anchor and aliases)."""
        return {"name": f"Check out {what}", "uses": uses("actions/checkout"),
                "with": {**({"ref": HEAD_COMMIT} if self.on_pull_requests else {}),
                         "persist-credentials": False, "sparse-checkout": self.ctx.path(f"github/{self.p.name}"),
                         "path": ".pipec-repo"}}

    def resolved(self, value) -> str:
        """The plain name behind a Ref to a CodeDeploy application of the companion template."""
        if isinstance(value, Ref):
            res = self.aws().t.resources[value.to_dict()["Ref"]]
            return res.ApplicationName
        return value
    def ecs_statements(self, t: model.EcsTarget) -> list[dict]:
        return [
            {"Effect": "Allow", "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
             "Resource": [self.arn("ecs", f"service/{t.cluster}/{t.service}")]},
            *aws_security.ecs_statements(self.arn, "arn:aws:iam::${AWS::AccountId}:role/*"),
        ]

    @_placed
    def stack_job(self, d: model.StackDeploy, job: dict) -> dict:
        jid = job_id(d.name)
        job["environment"] = d.github.first("environment") or d.stage
        self.environments.setdefault(job["environment"], {})
        job["permissions"]["id-token"] = "write"
        side = self.aws()
        role = side.add(iam.Role(side.key(d.name) + "StackRole",
                                 RoleName=self.role_name(f"{job_id(d.name)}-cfn"),
                                 AssumeRolePolicyDocument=aws._trust("cloudformation.amazonaws.com"),
                                 ManagedPolicyArns=[Ref(side.stack_policy_parameter(d))],
                                 Tags=side.tags(), **side.boundary()))
        side.t.add_output(Output(role.title + "Arn", Value=GetAtt(role, "Arn"),
                                 Description=f"Role CloudFormation uses to deploy stack {d.stack}"))
        stack_arn = self.arn("cloudformation", f"stack/{d.stack}/*")
        statements = [
            {"Effect": "Allow", "Action": ["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet",
                                           "cloudformation:DescribeStackEvents", "cloudformation:DescribeStacks",
                                           "cloudformation:ExecuteChangeSet", "cloudformation:GetTemplateSummary"],
             "Resource": [stack_arn]},
            {"Effect": "Allow", "Action": "iam:PassRole",
             "Resource": [f"arn:aws:iam::${{AWS::AccountId}}:role/{self.role_name(job_id(d.name) + '-cfn')}"]},
        ]
        if "auto-expand" in d.capabilities:
            statements.append({"Effect": "Allow", "Action": "cloudformation:CreateChangeSet",
                               "Resource": [f"arn:aws:cloudformation:${{AWS::Region}}:aws:transform/{name}"
                                            for name in aws_security.AWS_TRANSFORMS]})
        # templates over 51,200 bytes must go through S3: always upload to the revision bucket
        args = ['--template-file "release/$TEMPLATE"', '--stack-name "$STACK"', '--role-arn "$CFN_ROLE"',
                '--s3-bucket "$BUCKET"', '--s3-prefix "$STACK"', "--no-fail-on-empty-changeset"]
        side.pipec_revisions = True
        statements.append({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                           "Resource": [f"arn:aws:s3:::{_cfn_bucket(self.p.name, self.region)}/{d.stack}/*"]})
        if d.capabilities:
            args.append("--capabilities " + " ".join(CAPABILITIES[c] for c in d.capabilities))
        env = {"STACK": expression_text(d.stack), "TEMPLATE": expression_text(d.template), "BUCKET": self.revisions_bucket(),
               "CFN_ROLE": f"arn:aws:iam::{self.account}:role/{self.role_name(job_id(d.name) + '-cfn')}"}
        if d.parameters:
            args.append("--parameter-overrides " + " ".join(f'"{k}=$PARAM_{env_name(k)}"' for k, _ in d.parameters))
            for k, v in d.parameters:
                env[f"PARAM_{env_name(k)}"] = expression_text(v)
        if d.change_set:
            # CodePipeline's CHANGE_SET_REPLACE, then CHANGE_SET_EXECUTE of that change set by name
            # (targets/github/stacks.py)
            env["CHANGE_SET"] = expression_text(d.change_set) + stacks.RUN_SUFFIX
            lines = stacks.change_set_lines([k for k, _ in d.parameters],
                                            [CAPABILITIES[c] for c in d.capabilities])
            statements[0]["Action"] = sorted(set(statements[0]["Action"]) - {"cloudformation:GetTemplateSummary"}
                                             | {"cloudformation:DeleteChangeSet"})
        else:
            lines = ["set -euo pipefail", "aws cloudformation deploy " + " ".join(args)]
        # granted once every statement is complete (the template's S3 statement included)
        self.grant(jid, statements)
        job["timeout-minutes"] = self.action_timeout("stack", job)
        job["steps"] = [
            self.credentials(jid),
            *download_steps(d.inputs[0], "release"),
            {"name": f"Deploy stack {d.stack}", "env": env, "run": "\n".join(lines)},
        ]
        return job

    @_placed
    def bucket_job(self, d: model.BucketDeploy, job: dict) -> dict:
        jid = job_id(d.name)
        job["environment"] = d.github.first("environment") or d.stage
        self.environments.setdefault(job["environment"], {})
        job["permissions"]["id-token"] = "write"
        self.grant(jid, [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": [f"arn:aws:s3:::{d.bucket}/*"]}])
        env = {"BUCKET": expression_text(d.bucket)}
        extra = ""
        if d.cache_control:
            env["CACHE_CONTROL"] = expression_text(d.cache_control)
            extra = ' --cache-control "$CACHE_CONTROL"'
        if d.extract:
            run = f'aws s3 cp --recursive release "s3://$BUCKET/"{extra}'
        else:
            env["KEY"] = expression_text(d.object_key)
            run = "\n".join(["set -euo pipefail", '(cd release && zip -q -r -X "$RUNNER_TEMP/artifact.zip" .)',
                             f'aws s3 cp "$RUNNER_TEMP/artifact.zip" "s3://$BUCKET/$KEY"{extra}'])
        job["timeout-minutes"] = self.action_timeout("bucket", job)
        job["steps"] = [
            self.credentials(jid),
            *download_steps(d.inputs[0], "release"),
            {"name": f"Copy to s3://{d.bucket}", "env": env, "run": run},
        ]
        return job

    @_placed
    def invoke_job(self, a: model.Invoke, job: dict) -> dict:
        jid = job_id(a.name)
        if place_of(self.p, a) is not None:
            # in another account or Region, in its stage's environment as a deployment is: the
            # role there trusts only that environment's sub, not every run of the branch (.places)
            job["environment"] = a.stage
            self.environments.setdefault(a.stage, {})
        job["permissions"]["id-token"] = "write"
        self.grant(jid, [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                          "Resource": [aws._function_arn(a.function)]}])
        self.invoke_checks(a)  # W512, E410 (.checks)
        env = {"FUNCTION": expression_text(a.function)}
        payload = ""
        if a.parameters is not None:
            env["PAYLOAD"] = expression_text(a.parameters)
            payload = '--cli-binary-format raw-in-base64-out --payload "$PAYLOAD" '
        job["timeout-minutes"] = self.action_timeout("invoke", job)
        job["steps"] = [
            self.credentials(jid),
            {"name": f"Invoke {a.function}", "env": env,
             "run": "\n".join(["set -euo pipefail",
                               f'aws lambda invoke --function-name "$FUNCTION" {payload}'
                               '"$RUNNER_TEMP/response.json" > "$RUNNER_TEMP/status.json"',
                               'cat "$RUNNER_TEMP/response.json"; echo',
                               "if jq -e '.FunctionError' \"$RUNNER_TEMP/status.json\" > /dev/null; then exit 1; fi"])},
        ]
        return job

