"""Reading deployments: CodeDeploy applications, groups and configurations, appspecs, ECS updates.

:class:`CodeDeployReaderMixin` makes the spec of a deployment: an EC2 deployment (its group's
instances, load balancer, rollback and alarms; the appspec its revision's build copies in, or the
generated one), a CodeDeployToECS deployment (service, target groups, listeners; the appspec it
names), a Lambda deployment run by pipec's CodeBuild deployer (function and alias from the
project's variables; the appspec its script hands to CodeDeploy), and a rolling ECS update. A
deployment configuration equal to a built-in one is read as that one. A part of the reader in
:mod:`pipec.targets.aws.read`; the emit side is :mod:`.codedeploy` with
:mod:`pipec.targets.aws.appspec`.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipec import deploy_time, plan
from pipec.targets.aws.read_common import Action, as_bool, as_list

_COMPUTE_PLATFORMS = {"Server": "ec2", "ECS": "ecs", "Lambda": "lambda"}
#: the deployer's script fills in the appspec read from this path (relative to the source root)
_DEPLOYER_APPSPEC = re.compile(r'sed -e "s/<CURRENT_VERSION>/[^"]*" -e "s/<TARGET_VERSION>/[^"]*" "(?P<path>[^"]+)"')


class CodeDeployReaderMixin:
    """The specs of the deploy actions (CodeDeploy, CodeDeployToECS, ECS, the Lambda deployer).
    Reads the appspec copies that :mod:`.read_codebuild` found (``self.copies``)."""

    def load_appspec(self, path: Path, where: str):
        """The appspec at ``path``, frozen for the plan."""
        text = self.read_file(path, where, "the appspec")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.fail(where, f"the appspec {path} is not valid YAML: {exc}")
        if not isinstance(data, dict):
            self.fail(where, f"the appspec {path} is not a mapping")
        return plan._freeze(data)

    def deployment_group(self, app_value, group_value, where: str, platform: str) -> tuple[str, dict]:
        """(logical ID, properties) of the deployment group an action names, checked against its
        application and ``platform``."""
        lid = self.resource(group_value, "AWS::CodeDeploy::DeploymentGroup", where, "DeploymentGroupName")
        if lid is None:
            self.fail(where, f"deployment group {self.value(group_value)!r} is not defined in this template")
        props = self.props(lid)
        app = self.resource(props.get("ApplicationName"), "AWS::CodeDeploy::Application", f"resource {lid}",
                            "ApplicationName")
        if app is not None and app_value is not None:
            mine = self.resource(app_value, "AWS::CodeDeploy::Application", where, "ApplicationName")
            if mine != app:
                self.fail(where, f"deployment group {lid} belongs to another application")
        if app is not None:
            cp = self.text(self.props(app).get("ComputePlatform"), f"resource {app}", "ComputePlatform", "Server")
            if _COMPUTE_PLATFORMS.get(cp) != platform:
                self.fail(where, f"application {app} has ComputePlatform {cp!r}, not that of a {platform} "
                                 "deployment")
        return lid, props

    def codedeploy_spec(self, a: Action, group: str, props: dict, platform: str, appspec,
                        input_: str | None, target, wait: int = deploy_time.CODEDEPLOY_ACTION_MINUTES) -> tuple:
        """The spec of a CodeDeploy deployment: what every platform shares (configuration,
        rollback, alarms) with its ``appspec``, input and ``target``. ``wait``: how long
        CodePipeline waits for it (a CodeDeploy or CodeDeployToECS action: CodePipeline's 5 days,
        pipec.deploy_time)."""
        gw = f"resource {group} (AWS::CodeDeploy::DeploymentGroup)"
        rollback = props.get("AutoRollbackConfiguration") or {}
        events = ()
        if as_bool(self.value(rollback.get("Enabled")), False):
            events = tuple(sorted(self.text(e, gw, "a rollback event") for e in as_list(rollback.get("Events"))))
        alarms_cfg = props.get("AlarmConfiguration") or {}
        alarms = ()
        if as_bool(self.value(alarms_cfg.get("Enabled")), False):
            alarms = tuple(self.text(al.get("Name"), gw, "an alarm name") for al in as_list(alarms_cfg.get("Alarms")))
        return plan.spec(platform=platform, input=input_, appspec=appspec,
                         config=self.deployment_config(props.get("DeploymentConfigName"), gw, platform),
                         rollback=events, alarms=alarms, target=target, wait=wait)

    def deployment_config(self, value, where: str, platform: str):
        """A deployment configuration: its name (built-in or defined elsewhere), or (kind, percent,
        interval) of one the template defines that is no built-in one."""
        from pipec import model

        if value is None:
            if platform == "ec2":
                return "CodeDeployDefault.OneAtATime"  # CodeDeploy's default for EC2/on-premises
            self.fail(where, "has no DeploymentConfigName")
        lid = self.resource(value, "AWS::CodeDeploy::DeploymentConfig", where, "DeploymentConfigName")
        if lid is None:
            return self.text(value, where, "DeploymentConfigName")  # built-in or defined elsewhere
        cw = f"resource {lid} (AWS::CodeDeploy::DeploymentConfig)"
        p = self.props(lid)
        cp = self.text(p.get("ComputePlatform"), cw, "ComputePlatform", "Server")
        if _COMPUTE_PLATFORMS.get(cp) != platform:
            self.fail(cw, f"ComputePlatform {cp!r} does not match a {platform} deployment")
        if platform == "ec2":
            hosts = p.get("MinimumHealthyHosts") or {}
            if self.text(hosts.get("Type"), cw, "MinimumHealthyHosts.Type") != "FLEET_PERCENT":
                self.fail(cw, "only MinimumHealthyHosts of Type FLEET_PERCENT can be read")
            strategy = model.Strategy("rolling", batch="min_healthy",
                                      percent=self.number(hosts.get("Value"), cw, "MinimumHealthyHosts.Value"))
        else:
            routing = p.get("TrafficRoutingConfig") or {}
            kind = self.text(routing.get("Type"), cw, "TrafficRoutingConfig.Type")
            if kind == "TimeBasedCanary":
                c = routing.get("TimeBasedCanary") or {}
                strategy = model.Strategy(
                    "canary", percent=self.number(c.get("CanaryPercentage"), cw, "CanaryPercentage"),
                    interval_minutes=self.number(c.get("CanaryInterval"), cw, "CanaryInterval"))
            elif kind == "TimeBasedLinear":
                c = routing.get("TimeBasedLinear") or {}
                strategy = model.Strategy(
                    "linear", percent=self.number(c.get("LinearPercentage"), cw, "LinearPercentage"),
                    interval_minutes=self.number(c.get("LinearInterval"), cw, "LinearInterval"))
            elif kind == "AllAtOnce":
                strategy = model.Strategy("all-at-once")
            else:
                self.fail(cw, f"TrafficRoutingConfig.Type {kind!r} is not understood")
        # a custom configuration equal to a built-in one is that built-in one
        return strategy.codedeploy_config(platform) or (strategy.kind, strategy.percent, strategy.interval_minutes)

    def ec2_deploy(self, a: Action) -> tuple:
        """The spec of a CodeDeploy action to EC2 instances."""
        revision = self.one_input(a)
        group, props = self.deployment_group(a.raw_config.get("ApplicationName"),
                                             a.raw_config.get("DeploymentGroupName"), a.where, "ec2")
        gw = f"resource {group} (AWS::CodeDeploy::DeploymentGroup)"
        for key in ("Ec2TagSet", "OnPremisesInstanceTagFilters", "OnPremisesTagSet"):
            if props.get(key):
                self.fail(gw, f"{key} cannot be read (pipec selects instances with Ec2TagFilters)")
        tags = []
        for f in as_list(props.get("Ec2TagFilters")):
            if self.text(f.get("Type"), gw, "Ec2TagFilters Type", "KEY_AND_VALUE") != "KEY_AND_VALUE":
                self.fail(gw, "only Ec2TagFilters of Type KEY_AND_VALUE can be read")
            tags.append((self.text(f.get("Key"), gw, "a tag key"), self.text(f.get("Value"), gw, "a tag value")))
        lb = props.get("LoadBalancerInfo") or {}
        if set(lb) - {"TargetGroupInfoList"} or len(as_list(lb.get("TargetGroupInfoList"))) > 1:
            self.fail(gw, "LoadBalancerInfo other than one target group cannot be read")
        tg = [self.text(t.get("Name"), gw, "a target group name") for t in as_list(lb.get("TargetGroupInfoList"))]
        target = ("ec2", tuple(tags), tuple(self.text(g, gw, "an Auto Scaling group")
                                            for g in as_list(props.get("AutoScalingGroups"))),
                  tg[0] if tg else None)
        src = self.copies.get(revision)
        path = self.root / src if src else self.out / "aws" / self.name / "appspec" / f"{a.name}.yml"
        spec = self.codedeploy_spec(a, group, props, "ec2", self.load_appspec(path, a.where), revision, target)
        # CodePipeline hands the artifact's zip to CodeDeploy as it is, and CodeBuild's artifact
        # keeps dot-files: the revision has them (docs/targets.md, "Artifacts")
        return tuple(sorted(spec + (("hidden_files", True),)))

    def ecs_deploy(self, a: Action) -> tuple:
        """The spec of a CodeDeployToECS action."""
        cfg = a.raw_config
        group, props = self.deployment_group(cfg.get("ApplicationName"), cfg.get("DeploymentGroupName"),
                                             a.where, "ecs")
        gw = f"resource {group} (AWS::CodeDeploy::DeploymentGroup)"
        taskdef = self.text(cfg.get("TaskDefinitionTemplateArtifact"), a.where, "TaskDefinitionTemplateArtifact")
        path = self.text(cfg.get("AppSpecTemplatePath"), a.where, "AppSpecTemplatePath")
        if taskdef is None or path is None:
            self.fail(a.where, "needs TaskDefinitionTemplateArtifact and AppSpecTemplatePath")
        services = as_list(props.get("ECSServices"))
        pairs = as_list((props.get("LoadBalancerInfo") or {}).get("TargetGroupPairInfoList"))
        if len(services) != 1 or len(pairs) != 1:
            self.fail(gw, "needs exactly one ECSServices entry and one TargetGroupPairInfoList entry")
        pair = pairs[0]

        def listener(route):
            arns = as_list((pair.get(route) or {}).get("ListenerArns"))
            if len(arns) > 1:
                self.fail(gw, f"{route} with more than one listener cannot be read")
            return self.text(arns[0], gw, f"{route} listener") if arns else None

        target = ("ecs", self.text(services[0].get("ClusterName"), gw, "ClusterName"),
                  self.text(services[0].get("ServiceName"), gw, "ServiceName"),
                  tuple(self.text(t.get("Name"), gw, "a target group name")
                        for t in as_list(pair.get("TargetGroups"))),
                  listener("ProdTrafficRoute"), listener("TestTrafficRoute"))
        return self.codedeploy_spec(a, group, props, "ecs", self.load_appspec(self.root / path, a.where), taskdef,
                                    target)

    def lambda_deploy(self, a: Action, lid: str, data: dict, text: str) -> tuple:
        """The spec of the Lambda deployment run by deployer project ``lid`` (buildspec ``data``, ``text``)."""
        where = f"{a.where} (Lambda deployer project {lid})"
        project_env = {}
        for v in as_list((self.props(lid).get("Environment") or {}).get("EnvironmentVariables")):
            project_env[v.get("Name")] = v.get("Value")
        variables = ((data.get("env") or {}).get("variables") or {})

        def var(name):
            value = project_env.get(name, variables.get(name))
            if value is None:
                self.fail(where, f"has no environment variable {name}")
            return value

        group, props = self.deployment_group(var("APPLICATION"), var("GROUP"), where, "lambda")
        function = self.text(var("FUNCTION"), where, "FUNCTION")
        alias = self.text(var("ALIAS"), where, "ALIAS")
        m = _DEPLOYER_APPSPEC.search(text)
        path = self.root / m.group("path") if m else self.out / "aws" / self.name / "appspec" / f"{a.name}.yml"
        # the deployer is a CodeBuild build: CodePipeline waits for it as long as its timeout
        wait = self.number(self.props(lid).get("TimeoutInMinutes"), where, "TimeoutInMinutes", 60)
        return self.codedeploy_spec(a, group, props, "lambda", self.load_appspec(path, where), None,
                                    ("lambda", function, alias), wait)

    def ecs_rolling(self, a: Action) -> tuple:
        """The spec of a rolling update by CodePipeline's ECS action."""
        cfg = a.raw_config
        return plan.spec(platform="ecs", input=self.one_input(a),
                         rolling=(self.text(cfg.get("ClusterName"), a.where, "ClusterName"),
                                  self.text(cfg.get("ServiceName"), a.where, "ServiceName"),
                                  self.text(cfg.get("FileName"), a.where, "FileName", "imagedefinitions.json")),
                         # CodePipeline's ECS action: up to its 1-hour timeout, and it fails when the
                         # deployment fails (pipec.deploy_time, docs/targets.md)
                         wait=deploy_time.ECS_ACTION_MINUTES, checks="rollout-state")

