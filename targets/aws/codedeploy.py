"""CodeDeploy and ECS deployments: applications, deployment groups, appspecs, the Lambda deployer.

:class:`CodeDeployMixin` makes the action of a ``deploy`` to EC2, ECS or Lambda: a rolling ECS
update goes straight to CodePipeline's ECS action; everything else goes through CodeDeploy, with
one application per compute platform (or per ``aws { application }``), a deployment group and
configuration per deployment, the platform's service role, and the appspec file rendered by
:mod:`pipec.targets.aws.appspec`. How the appspec reaches CodeDeploy differs per platform: an EC2
revision gets it copied in by the build that produces the revision (:meth:`~CodeDeployMixin.appspec_copies`),
CodeDeployToECS reads it from the source artifact, and a Lambda deployment runs from a CodeBuild
"deployer" project whose script (:func:`lambda_deployment_script`, which the GitHub target runs in
a job) fills in the versions and waits for the deployment. One of the parts of the builder in
:mod:`.pipeline`; the deployer project is made by :mod:`.codebuild`.
"""

from __future__ import annotations

from troposphere import GetAtt, Output, Parameter, Ref, Sub
from troposphere import codebuild as cb
from troposphere import codedeploy as cd
from troposphere import codepipeline as cp
from troposphere import iam

from pipec import deploy_time, model, yamlout
from pipec.diagnostics import Diagnostics
from pipec.targets.aws import checks
from pipec.targets.aws import iam as aws_iam
from pipec.targets.aws import security as aws_security
from pipec.targets.aws.template import logical_id

CODEDEPLOY_PLATFORMS = {"ec2": "Server", "ecs": "ECS", "lambda": "Lambda"}

#: the minutes the original (blue) fleet or task set stays after a successful blue/green
#: deployment when the .pipe gives no ``terminate_after``: the deployment group's
#: BlueInstanceTerminationOption TerminationWaitTimeInMinutes (CloudFormation's default is 0 and
#: its maximum 2880, "For an Amazon ECS deployment, the number of minutes before deleting the
#: original (blue) task set": AWS::CodeDeploy::DeploymentGroup BlueInstanceTerminationOption)
DEFAULT_TERMINATION_WAIT_MINUTES = 5


def termination_wait_minutes(strategy: model.Strategy, platform: str) -> int | None:
    """The TerminationWaitTimeInMinutes the deployment group of a deployment with ``strategy`` on
    ``platform`` gets (None: it has none: EC2 in place, an ECS rolling update, Lambda). Every ECS
    deployment through CodeDeploy is blue/green (canary and linear too)."""
    if platform == "ec2" and strategy.kind == "blue-green" or platform == "ecs" and strategy.kind != "rolling":
        return strategy.terminate_after_minutes or DEFAULT_TERMINATION_WAIT_MINUTES
    return None

#: wait for a CodeDeploy deployment $ID: 'aws deploy wait' gives up after 30 minutes, and canary
#: and linear traffic shifts may take longer
WAIT_FOR_DEPLOYMENT = [
    'echo "CodeDeploy deployment $ID"',
    "while true; do",
    '  STATUS=$(aws deploy get-deployment --deployment-id "$ID" --query deploymentInfo.status --output text)',
    '  case "$STATUS" in',
    '    Succeeded) echo "deployment $ID succeeded"; break ;;',
    '    Failed|Stopped) echo "deployment $ID: $STATUS" >&2; exit 1 ;;',
    "  esac",
    "  sleep 15",
    "done",
]


def lambda_deployment_script(t: model.LambdaTarget, appspec: str, tmp: str,
                             wait: list[str] | None = None) -> list[str]:
    """Shell lines that shift a Lambda alias through CodeDeploy and wait: fill the generated
    appspec's versions (the alias's current one, a newly published one, or the ones the .pipe
    pins), create the deployment from the appspec's content, wait for it. Reads $FUNCTION,
    $ALIAS, $APPLICATION and $GROUP; ``appspec`` is a shell word naming the appspec file and
    ``tmp`` a scratch directory; ``wait``: the lines that wait for deployment $ID (by default
    :data:`WAIT_FOR_DEPLOYMENT`). The AWS target runs it in CodeBuild, the GitHub target in a job
    (with its own waiting script)."""
    current = t.current_version or '$(aws lambda get-alias --function-name "$FUNCTION" --name "$ALIAS" ' \
        "--query FunctionVersion --output text)"
    target = t.target_version or '$(aws lambda publish-version --function-name "$FUNCTION" ' \
        "--query Version --output text)"
    return [
        f"CURRENT={current}",
        f"TARGET={target}",
        f'sed -e "s/<CURRENT_VERSION>/$CURRENT/" -e "s/<TARGET_VERSION>/$TARGET/" {appspec} > "{tmp}/appspec.yml"',
        "python3 -c 'import json,sys; print(json.dumps({\"revisionType\": \"AppSpecContent\", "
        "\"appSpecContent\": {\"content\": open(sys.argv[1]).read()}}))' "
        f'"{tmp}/appspec.yml" > "{tmp}/revision.json"',
        'ID=$(aws deploy create-deployment --application-name "$APPLICATION" '
        f'--deployment-group-name "$GROUP" --revision "file://{tmp}/revision.json" --query deploymentId --output text)',
        *(WAIT_FOR_DEPLOYMENT if wait is None else wait),
    ]


#: the first line of pipec's own command that puts appspec.yml into an EC2 revision
APPSPEC_COPY_LABEL = ("# pipec: CodeDeploy reads appspec.yml at the root of the revision; "
                      "copied after a successful build only")
#: its condition: the build phase succeeded (CodeBuild runs post_build after a failed build too,
#: with CODEBUILD_BUILD_SUCCEEDING=0: CodeBuild user guide, "Environment variables in build
#: environments" and "Build phase transitions")
APPSPEC_COPY_IF = 'if [ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]; then'


def appspec_copy_command(pairs: list[tuple[str, str]]) -> str:
    """pipec's own last post_build command of a build whose artifacts are EC2 revisions: copy each
    generated appspec (``src``, source-root relative) to ``dest`` (the revision's base directory),
    both under $CODEBUILD_SRC_DIR so that a 'cd' in the build's own commands (one shell) does not
    move them. A buildspec's ``artifacts`` can neither rename a file nor take one from outside the
    base directory (build-spec-ref, artifacts), so a command has to do it (docs/targets.md)."""
    return "\n".join([APPSPEC_COPY_LABEL, APPSPEC_COPY_IF,
                      *(f'  cp "$CODEBUILD_SRC_DIR/{src}" "$CODEBUILD_SRC_DIR/{dest}"' for src, dest in pairs), "fi"])


def covers_appspec(files) -> bool:
    """Whether one of an artifact's ``files`` patterns (below its base directory) already takes
    ``appspec.yml`` at the root, as ``**/*`` does (CodeBuild artifact globs; pipec's patterns)."""
    from pipec import patterns

    return any(not f.startswith("!") and patterns.matches(f, "appspec.yml") for f in files)


class CodeDeployMixin:
    """The deploy actions (:meth:`deploy_action`) and their CodeDeploy resources; the appspec
    copies into EC2 revisions that the builds make (:meth:`appspec_copies`). Uses the CodeBuild
    part for the Lambda deployer."""

    def __init__(self, p, ctx):
        super().__init__(p, ctx)
        self.codedeploy_roles: dict[str, str] = {}
        self.codedeploy_apps: dict[str, str] = {}
        self.deployment_configs: dict = {}  # deploy action name -> its configuration (name or Ref)

    def codedeploy_role(self, platform: str):
        """The ARN of the CodeDeploy service role of ``platform``, made on first use."""
        if platform not in self.codedeploy_roles:
            role = self.add(iam.Role(
                logical_id("CodeDeploy", CODEDEPLOY_PLATFORMS[platform], "Role"),
                AssumeRolePolicyDocument=aws_iam.trust("codedeploy.amazonaws.com"),
                ManagedPolicyArns=[Sub(aws_security.CODEDEPLOY_MANAGED_POLICIES[platform])],
                Tags=self.tags(), **self.boundary()))
            self.codedeploy_roles[platform] = role.title
            self.t.add_output(Output(role.title + "Arn", Value=GetAtt(role, "Arn"),
                                     Description=f"CodeDeploy service role for {CODEDEPLOY_PLATFORMS[platform]} deployments"))
        return GetAtt(self.codedeploy_roles[platform], "Arn")

    def codedeploy_app(self, d: model.Deploy):
        """A Ref to the CodeDeploy application of ``d``: one per platform, or per ``aws { application }``."""
        name = self.named(d.aws.first("application"))
        key = name or d.platform
        if key not in self.codedeploy_apps:
            app = self.add(cd.Application(
                self.unique(logical_id(name or f"CodeDeploy-{CODEDEPLOY_PLATFORMS[d.platform]}", "Application")),
                ApplicationName=name or f"{self.p.name}-{d.platform}",
                ComputePlatform=CODEDEPLOY_PLATFORMS[d.platform], Tags=self.tags()))
            self.codedeploy_apps[key] = app.title
        return Ref(self.codedeploy_apps[key])

    def deployment_config(self, d: model.Deploy):
        """The name of the built-in configuration of ``d``'s strategy, or a Ref to one made for it."""
        builtin = d.strategy.codedeploy_config(d.platform)
        if builtin:
            return builtin
        s = d.strategy
        lid = self.key(d.name) + "DeploymentConfig"
        if d.platform == "ec2":
            cfg = cd.DeploymentConfig(lid, ComputePlatform="Server", MinimumHealthyHosts=cd.MinimumHealthyHosts(
                Type="FLEET_PERCENT", Value=s.percent))
        else:
            if s.kind == "canary":
                routing = cd.TrafficRoutingConfig(Type="TimeBasedCanary", TimeBasedCanary=cd.TimeBasedCanary(
                    CanaryPercentage=s.percent, CanaryInterval=s.interval_minutes))
            else:
                routing = cd.TrafficRoutingConfig(Type="TimeBasedLinear", TimeBasedLinear=cd.TimeBasedLinear(
                    LinearPercentage=s.percent, LinearInterval=s.interval_minutes))
            cfg = cd.DeploymentConfig(lid, ComputePlatform=CODEDEPLOY_PLATFORMS[d.platform],
                                      TrafficRoutingConfig=routing)
        self.add(cfg)
        return Ref(cfg)

    def deployment_group(self, d: model.Deploy):
        """(application, deployment group) of ``d``, with the group's rollback, alarms, targets
        and style, and what the pipeline's role may do with them."""
        app = self.codedeploy_app(d)
        config = self.deployment_config(d)
        self.deployment_configs[d.name] = config
        events_ = []
        if d.rollback.on_failure:
            events_.append("DEPLOYMENT_FAILURE")
        if d.rollback.alarms:
            events_.append("DEPLOYMENT_STOP_ON_ALARM")
        kwargs = dict(
            ApplicationName=app,
            DeploymentGroupName=d.aws.first("deployment_group") or d.name,
            ServiceRoleArn=d.aws.first("role") or self.codedeploy_role(d.platform),
            DeploymentConfigName=config,
            AutoRollbackConfiguration=cd.AutoRollbackConfiguration(Enabled=bool(events_), Events=events_)
            if events_ else cd.AutoRollbackConfiguration(Enabled=False),
            Tags=self.tags(),
        )
        if d.rollback.alarms:
            # alarm names differ per account: each is a parameter whose default is the .pipe's name
            alarms = []
            for i, name in enumerate(d.rollback.alarms, 1):
                param = self.t.add_parameter(Parameter(
                    self.key(d.name) + f"Alarm{i}", Type="String", Default=name,
                    Description=f"CloudWatch alarm that stops and rolls back deployment {d.name}"))
                alarms.append(cd.Alarm(Name=Ref(param)))
            kwargs["AlarmConfiguration"] = cd.AlarmConfiguration(Enabled=True, Alarms=alarms)
        tgt = d.target
        if d.platform == "ec2":
            if tgt.tags:
                kwargs["Ec2TagFilters"] = [cd.Ec2TagFilters(Key=k, Value=v, Type="KEY_AND_VALUE") for k, v in tgt.tags]
            if tgt.autoscaling_groups:
                kwargs["AutoScalingGroups"] = list(tgt.autoscaling_groups)
            if tgt.target_group:
                kwargs["LoadBalancerInfo"] = cd.LoadBalancerInfo(
                    TargetGroupInfoList=[cd.TargetGroupInfo(Name=tgt.target_group)])
            if d.strategy.kind == "blue-green":
                kwargs["DeploymentStyle"] = cd.DeploymentStyle(DeploymentType="BLUE_GREEN",
                                                               DeploymentOption="WITH_TRAFFIC_CONTROL")
                kwargs["BlueGreenDeploymentConfiguration"] = cd.BlueGreenDeploymentConfiguration(
                    DeploymentReadyOption=cd.DeploymentReadyOption(ActionOnTimeout="CONTINUE_DEPLOYMENT"),
                    GreenFleetProvisioningOption=cd.GreenFleetProvisioningOption(Action="COPY_AUTO_SCALING_GROUP"),
                    TerminateBlueInstancesOnDeploymentSuccess=cd.BlueInstanceTerminationOption(
                        Action="TERMINATE", TerminationWaitTimeInMinutes=termination_wait_minutes(d.strategy, d.platform)))
            else:
                kwargs["DeploymentStyle"] = cd.DeploymentStyle(
                    DeploymentType="IN_PLACE",
                    DeploymentOption="WITH_TRAFFIC_CONTROL" if tgt.target_group else "WITHOUT_TRAFFIC_CONTROL")
        elif d.platform == "ecs":
            route = {"ProdTrafficRoute": cd.TrafficRoute(ListenerArns=[tgt.listener])}
            if tgt.test_listener:
                route["TestTrafficRoute"] = cd.TrafficRoute(ListenerArns=[tgt.test_listener])
            kwargs["ECSServices"] = [cd.ECSService(ClusterName=tgt.cluster, ServiceName=tgt.service)]
            kwargs["LoadBalancerInfo"] = cd.LoadBalancerInfo(TargetGroupPairInfoList=[cd.TargetGroupPairInfo(
                TargetGroups=[cd.TargetGroupInfo(Name=n) for n in tgt.target_groups], **route)])
            kwargs["DeploymentStyle"] = cd.DeploymentStyle(DeploymentType="BLUE_GREEN",
                                                           DeploymentOption="WITH_TRAFFIC_CONTROL")
            kwargs["BlueGreenDeploymentConfiguration"] = cd.BlueGreenDeploymentConfiguration(
                DeploymentReadyOption=cd.DeploymentReadyOption(ActionOnTimeout="CONTINUE_DEPLOYMENT"),
                TerminateBlueInstancesOnDeploymentSuccess=cd.BlueInstanceTerminationOption(
                    Action="TERMINATE", TerminationWaitTimeInMinutes=termination_wait_minutes(d.strategy, d.platform)))
        else:
            kwargs["DeploymentStyle"] = cd.DeploymentStyle(DeploymentType="BLUE_GREEN",
                                                           DeploymentOption="WITH_TRAFFIC_CONTROL")
        group = self.add(cd.DeploymentGroup(self.key(d.name) + "DeploymentGroup", **kwargs))
        if d.platform in ("ecs", "lambda") and d.hooks and not d.aws.first("role"):
            # the managed CodeDeploy roles may invoke only functions named CodeDeployHook_*
            self.codedeploy_role(d.platform)
            hooks = [aws_iam.function_arn(h.target) for h in d.hooks]
            self.add(iam.PolicyType(self.key(d.name) + "HookPolicy", PolicyName=f"{d.name}-hooks",
                                    Roles=[Ref(self.codedeploy_roles[d.platform])],
                                    PolicyDocument=aws_iam.policy([{"Effect": "Allow",
                                                                    "Action": "lambda:InvokeFunction",
                                                                    "Resource": hooks}])))
        app_name, group_name = app, Ref(group)
        self.allow(["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                   aws_iam.deployment_group_arn(app_name, group_name))
        self.allow(["codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                    "codedeploy:RegisterApplicationRevision"], aws_iam.application_arn(app_name))
        self.allow(["codedeploy:GetDeploymentConfig"], aws_iam.deployment_config_arn(config))
        return app_name, group_name

    def deploy_action(self, d: model.Deploy, order: int):
        """The pipeline actions of deployment ``d`` (one), with its appspec file and resources."""
        type_id = lambda provider: cp.ActionTypeId(Category="Deploy", Owner="AWS", Provider=provider,  # noqa: E731
                                                   Version="1")
        if d.platform == "ecs" and not d.uses_codedeploy:
            t = d.target
            self.ecs_permissions(t)
            return [cp.Actions(Name=d.name, ActionTypeId=type_id("ECS"),
                               Configuration={"ClusterName": t.cluster, "ServiceName": t.service,
                                              "FileName": t.image_file},
                               InputArtifacts=[cp.InputArtifacts(Name=d.inputs[0])], RunOrder=order)]
        problem = checks.deploy_problem(self.p, self.repo_source, d)
        if problem is not None:
            raise Diagnostics([problem])
        self.files[f"aws/{self.p.name}/appspec/{d.name}.yml"] = self.appspec_text(d)
        app, group = self.deployment_group(d)
        if d.platform == "ec2":
            return [cp.Actions(Name=d.name, ActionTypeId=type_id("CodeDeploy"),
                               Configuration={"ApplicationName": app, "DeploymentGroupName": group},
                               InputArtifacts=[cp.InputArtifacts(Name=d.inputs[0])], RunOrder=order)]
        if d.platform == "ecs":
            source = self.repo_source
            self.ecs_permissions(d.target)
            inputs = list(dict.fromkeys([d.inputs[0], source]))
            return [cp.Actions(
                Name=d.name, ActionTypeId=type_id("CodeDeployToECS"),
                Configuration={"ApplicationName": app, "DeploymentGroupName": group,
                               "TaskDefinitionTemplateArtifact": d.inputs[0],
                               "TaskDefinitionTemplatePath": d.target.task_definition,
                               "AppSpecTemplateArtifact": source,
                               "AppSpecTemplatePath": self.ctx.path("aws", self.p.name, "appspec", f"{d.name}.yml")},
                InputArtifacts=[cp.InputArtifacts(Name=n) for n in inputs], RunOrder=order)]
        return self.lambda_deployer(d, app, group, order)

    def appspec_text(self, d: model.Deploy) -> str:
        """The appspec file of ``d``."""
        from pipec.targets.aws import appspec

        return appspec.render(d, self.ctx.source)

    def ecs_permissions(self, t: model.EcsTarget):
        """What the pipeline's role needs to deploy to the ECS service of ``t``."""
        service_arn = aws_iam.arn("ecs", f"service/{t.cluster}/{t.service}")
        self.allow(["ecs:DescribeServices", "ecs:UpdateService"], service_arn)
        # task definitions, tagging while registering them and PassRole to ECS tasks
        # (aws_security.ecs_statements; docs/targets.md, IAM)
        self.pipeline_role_statements.extend(
            aws_security.ecs_statements(aws_iam.arn, aws_iam.arn("iam", "role/*", region=False)))
        # the deploy actions watch the service's tasks; these are limited to the cluster
        self.allow(["ecs:DescribeTasks", "ecs:ListTasks"], "*",
                   {"ArnEquals": {"ecs:cluster": aws_iam.arn("ecs", f"cluster/{t.cluster}")}})

    def lambda_deployer(self, d: model.Deploy, app, group, order):
        """A CodeBuild action that runs the CodeDeploy Lambda deployment and waits for it."""
        t = d.target
        appspec_path = self.ctx.path("aws", self.p.name, "appspec", f"{d.name}.yml")
        script = "\n".join(lambda_deployment_script(t, f'"{appspec_path}"', "/tmp"))
        data = {"version": 0.2,
                "env": {"variables": {"FUNCTION": t.function, "ALIAS": t.alias}},
                "phases": {"build": {"commands": [script]}}}
        path = self.ctx.path("aws", self.p.name, "buildspec", f"{d.name}.yml")
        self.files[f"aws/{self.p.name}/buildspec/{d.name}.yml"] = yamlout.header(
            self.ctx.source, f"CodeDeploy deployer for Lambda action {d.name}") + yamlout.dump(data)
        function_arn = aws_iam.function_arn(t.function)
        # 60 minutes plus the traffic shifting, at most CodeBuild's 2160 (pipec.deploy_time)
        deployer = model.Build(name=d.name, kind="build", stage=d.stage, run_order=order,
                               inputs=(self.repo_source,), timeout_minutes=deploy_time.aws_wait(d),
                               env=(model.EnvVar("FUNCTION", t.function), model.EnvVar("ALIAS", t.alias)))
        extra = [
            {"Effect": "Allow", "Action": ["lambda:GetAlias", "lambda:PublishVersion"],
             "Resource": [function_arn, aws_iam.suffixed(function_arn, ":*")]},
            {"Effect": "Allow", "Action": ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
             "Resource": [aws_iam.deployment_group_arn(app, group)]},
            {"Effect": "Allow", "Action": ["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
             "Resource": [aws_iam.application_arn(app)]},
            {"Effect": "Allow", "Action": "codedeploy:GetDeploymentConfig",
             "Resource": [aws_iam.deployment_config_arn(self.deployment_configs[d.name])]},
        ]
        project = self.project(deployer, path, extra_statements=extra)
        project.Environment.EnvironmentVariables = [
            cb.EnvironmentVariable(Name="FUNCTION", Value=t.function, Type="PLAINTEXT"),
            cb.EnvironmentVariable(Name="ALIAS", Value=t.alias, Type="PLAINTEXT"),
            cb.EnvironmentVariable(Name="APPLICATION", Value=app, Type="PLAINTEXT"),
            cb.EnvironmentVariable(Name="GROUP", Value=group, Type="PLAINTEXT"),
        ]
        return [cp.Actions(Name=d.name, ActionTypeId=cp.ActionTypeId(Category="Build", Owner="AWS",
                                                                      Provider="CodeBuild", Version="1"),
                           Configuration={"ProjectName": Ref(project)},
                           InputArtifacts=[cp.InputArtifacts(Name=self.repo_source)], RunOrder=order)]

    def appspec_copies(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        """An EC2 revision needs appspec.yml at its root: the build that produces the revision
        copies the generated appspec there with pipec's own command (:func:`appspec_copy_command`,
        last in post_build, after a successful build only), and the file is added to that
        artifact's file list unless a pattern there already matches it. Returns (commands per
        build, artifact -> deploy that owns its appspec). The E407 of a revision that cannot work
        is :func:`pipec.targets.aws.checks.appspec_copies`'s."""
        pairs, owners, problems = checks.appspec_copies(self.p, self.stages, self.repo_source, self.ctx)
        if problems:
            raise Diagnostics(problems)
        return {name: [appspec_copy_command(p)] for name, p in pairs.items()}, owners

    def with_appspec_file(self, b: model.Build, owners: dict[str, model.Deploy]) -> model.Build:
        """``b`` with appspec.yml in the file list of each output that is an EC2 revision."""
        from pipec.node import evolve

        outs = tuple(evolve(o, files=o.files + ("appspec.yml",))
                     if o.name in owners and not covers_appspec(o.files) else o for o in b.outputs)
        return evolve(b, outputs=outs) if outs != b.outputs else b

