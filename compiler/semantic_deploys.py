"""Deploy actions: targets per compute platform, strategies, hooks, rollback.

:meth:`DeployChecks.strategy` checks a strategy against what the compute platform offers
(:data:`pipec.semantic_tables.STRATEGIES`); :meth:`DeployChecks.deploy` builds
:class:`pipec.model.Deploy` (and the stack and bucket deployments) with its target's fields.
"""

from __future__ import annotations

import re

from pipec import ast, model
from pipec.diagnostics import did_you_mean
from pipec.node import evolve
from pipec.semantic_base import Checker
from pipec.semantic_tables import HOOKS, STRATEGIES


class DeployChecks(Checker):
    """Deploy actions and their strategies."""

    def rollback_alarms(self, item: ast.RollbackStmt) -> None:
        """E206 for more rollback alarms than a CodeDeploy deployment group takes, or one named
        twice ("A maximum of 10 alarms can be added"; "Each alarm name can be used only once in a
        list of alarms": AWS::CodeDeploy::DeploymentGroup AlarmConfiguration and Alarm, the
        CloudFormation template reference). Both targets make that deployment group."""
        twice = sorted({n for n in item.alarms if item.alarms.count(n) > 1})
        if twice:
            self.err("E206", f"rollback alarm '{twice[0]}' is named twice", item.span,
                     "CodeDeploy takes each alarm name once in a deployment group's alarms: remove "
                     "the second.")
        elif len(item.alarms) > 10:
            self.err("E206", f"{len(item.alarms)} rollback alarms: CodeDeploy takes at most 10", item.span,
                     "A CodeDeploy deployment group watches at most 10 CloudWatch alarms. Combine "
                     "several into one composite alarm (CloudWatch's AWS::CloudWatch::CompositeAlarm) "
                     "and name that one here.")

    def strategy(self, node: ast.Strategy | None, platform: str, span) -> model.Strategy:
        if node is None:
            default = {"ec2": model.Strategy("rolling", "one-at-a-time"),
                       "ecs": model.Strategy("rolling"),
                       "lambda": model.Strategy("all-at-once")}[platform]
            return evolve(default, span=span)
        allowed = STRATEGIES[platform]
        if node.kind not in allowed:
            helps = {
                ("ec2", "canary"): "CodeDeploy shifts traffic in steps only for ECS and Lambda. On EC2, "
                                   "use 'strategy rolling one-at-a-time' or 'strategy blue-green'.",
                ("ec2", "linear"): "CodeDeploy shifts traffic in steps only for ECS and Lambda. On EC2, "
                                   "use 'strategy rolling half-at-a-time' or 'strategy blue-green'.",
                ("ecs", "all-at-once"): "On ECS, 'blue-green' shifts all traffic at once to a new task set "
                                        "(CodeDeploy), and 'rolling' replaces tasks in place (ECS).",
                ("lambda", "rolling"): "A Lambda alias has no instances to roll over: use 'all-at-once', "
                                       "'canary' or 'linear' traffic shifting.",
                ("lambda", "blue-green"): "On Lambda every deployment shifts the alias between two "
                                          "versions; 'all-at-once' is the blue/green switch.",
            }
            self.err("E400", f"strategy '{node.kind}' is not available when deploying to {platform}",
                     node.span, helps.get((platform, node.kind),
                                          f"Strategies for {platform}: {', '.join(allowed)}."))
            return model.Strategy(node.kind, span=node.span)
        percent = node.percent.value if node.percent else None
        interval = None
        if node.kind == "rolling":
            if platform == "ec2" and node.batch is None:
                self.err("E205", "a rolling deployment to EC2 needs a batch size", node.span,
                         "Write 'strategy rolling one-at-a-time', 'rolling half-at-a-time' or "
                         "'rolling min_healthy 75%'.")
            if platform == "ecs" and node.batch is not None:
                self.err("E400", f"'rolling {node.batch if node.batch != 'min_healthy' else 'min_healthy'}' "
                         "is for EC2 instances", node.span,
                         "An ECS rolling update is paced by the service's minimum and maximum healthy "
                         "percent; write plain 'strategy rolling'.")
            if node.batch == "min_healthy" and percent is not None and not 0 <= percent <= 99:
                self.err("E401", f"minimum healthy {percent}% is out of range", node.percent.span,
                         "Use 0% to 99% of the fleet.")
        if node.kind in ("canary", "linear"):
            if percent is not None and not 1 <= percent <= 99:
                self.err("E401", f"{node.kind} step {percent}% is out of range", node.percent.span,
                         "Traffic shifts in steps of 1% to 99%.")
            if node.interval is not None:
                interval = self.minutes(node.interval, f"the {node.kind} interval")
                if interval is not None and not 1 <= interval <= 2880:
                    self.err("E402", f"{node.kind} interval {node.interval} is out of range", node.interval.span,
                             "CodeDeploy waits 1 to 2880 minutes between traffic shifts.")
        terminate = None
        if node.kind == "blue-green" and node.interval is not None:
            terminate = self.minutes(node.interval, "terminate_after")
            if terminate is not None and terminate > 2880:
                self.err("E402", f"terminate_after {node.interval} is out of range", node.interval.span,
                         "CodeDeploy keeps the old fleet for at most 2880 minutes (2 days).")
        return model.Strategy(node.kind, node.batch, percent, interval, terminate, span=node.span)

    def deploy(self, a: ast.DeployAction, st, index, order, sources):
        p = a.platform
        seen: dict = {}
        fields: dict[str, str] = {}
        lists: dict[str, tuple] = {}
        strategy_node = None
        rollback = model.Rollback()
        hooks: list[model.Hook] = []
        hook_nodes: list[ast.HookStmt] = []
        tags, files, perms = [], [], []
        container = port = None
        network = versions = None
        params: list[tuple[str, str]] = []
        change_set = ...
        extract = False
        blocks = []
        from_stmt = None
        for item in a.body:
            if isinstance(item, ast.FromStmt):
                if self.once(seen, "from", item, "the input list"):
                    from_stmt = item
            elif isinstance(item, ast.Strategy):
                if self.once(seen, "strategy", item, "the strategy"):
                    strategy_node = item
            elif isinstance(item, ast.RollbackStmt):
                if self.once(seen, "rollback", item, "the rollback setting"):
                    rollback = model.Rollback(item.on_failure, item.alarms)
                    self.rollback_alarms(item)
            elif isinstance(item, ast.HookStmt):
                hook_nodes.append(item)
            elif isinstance(item, ast.Field):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    fields[item.keyword] = item.value
            elif isinstance(item, ast.ListStmt):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    lists[item.keyword] = item.values
            elif isinstance(item, ast.InstancesStmt):
                seen.setdefault("instances", item)
                if (item.key, item.value) in tags:
                    self.err("E203", f"tag {item.key} = {item.value} is given twice", item.span, "Remove one.")
                else:
                    tags.append((item.key, item.value))
            elif isinstance(item, ast.CopyStmt):
                files.append((item.source, item.destination))
            elif isinstance(item, ast.PermissionStmt):
                perms.append((item.path, item.owner, item.group, item.mode))
                if item.mode is not None and not re.fullmatch(r"[0-7]{3,4}", item.mode):
                    self.err("E206", f"'{item.mode}' is not a file mode", item.span,
                             "Write the mode as octal digits, such as 644 or 0755.")
            elif isinstance(item, ast.ContainerStmt):
                if self.once(seen, "container", item, "the container"):
                    container, port = item.name, item.port
            elif isinstance(item, ast.NetworkStmt):
                if self.once(seen, "network", item, "the network"):
                    network = model.EcsNetwork(item.subnets, item.security_groups, item.public_ip)
            elif isinstance(item, ast.VersionsStmt):
                if self.once(seen, "versions", item, "the versions"):
                    versions = item
            elif isinstance(item, ast.ParameterStmt):
                if any(k == item.name for k, _ in params):
                    self.err("E200", f"parameter '{item.name}' is given twice", item.span, "Set it once.")
                else:
                    params.append((item.name, item.value))
            elif isinstance(item, ast.ChangeSetStmt):
                if self.once(seen, "change_set", item, "the change set"):
                    change_set = item.name
            elif isinstance(item, ast.Flag):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    extract = True
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
        aws, github, stray = self.settings(blocks, "deploy")
        for s in stray:
            self.err("E207", "secrets belong to build and test actions", s.span,
                     "A deployment reads no secrets; remove this line.")

        def need(key, example):
            if key not in fields and key not in lists:
                self.err("E205", f"deploy to {p} '{a.name}' needs '{key}'", a.span,
                         f"Add a line such as: {example}.")
                return False
            return True

        needs_input = p in ("ec2", "ecs", "cloudformation", "s3")
        if from_stmt is None and needs_input:
            what = {"ec2": "the revision (application files, scripts)",
                    "ecs": "imagedefinitions.json or taskdef.json",
                    "cloudformation": "the template", "s3": "the files to upload"}[p]
            self.err("E205", f"deploy '{a.name}' needs an input artifact", a.span,
                     f"Say which artifact holds {what}, for example: from dist.")
        inputs = self.inputs(from_stmt, index, order, False, sources)
        if p == "lambda" and from_stmt is not None:
            self.err("E207", "a deploy to lambda takes no input artifact", from_stmt.span,
                     "CodeDeploy moves the alias between versions the function already has; it reads no files. "
                     "Publish the new code in a build (for example 'aws lambda update-function-code' or "
                     "'sam deploy'), then deploy: remove the 'from' line.")
        if p in ("ec2", "ecs", "s3") and len(inputs) > 1:
            self.err("E206", f"deploy to {p} takes one input artifact, not {len(inputs)}", seen["from"].span,
                     "Combine the files into one artifact in the build.")
        common = dict(name=a.name, stage=st.name, run_order=order, inputs=inputs, aws=aws, github=github,
                      platform_binding=st.via, span=a.span)

        if p == "cloudformation":
            if len(inputs) > 10:
                self.err("E206", f"deploy to cloudformation takes at most 10 input artifacts, not {len(inputs)}",
                         seen["from"].span, "CodePipeline's CloudFormation action reads at most 10 artifacts.")
            need("stack", "stack my-stack")
            need("template", 'template "packaged.yaml"')
            caps = lists.get("capabilities", ())
            return model.StackDeploy(stack=fields.get("stack", ""), template=fields.get("template", ""),
                                     parameters=tuple(params), capabilities=tuple(caps),
                                     change_set=(f"pipec-{a.name}" if change_set is ... else change_set),
                                     **common)
        if p == "s3":
            need("bucket", 'bucket "my-site-bucket"')
            key = fields.get("object_key")
            if extract and key is not None:
                self.err("E207", "'extract' and 'object_key' cannot be used together", seen["object_key"].span,
                         "'extract' unpacks the artifact's files into the bucket; 'object_key' uploads the "
                         "artifact as one zip under that key. Keep one.")
            if not extract and key is None:
                self.err("E205", f"deploy to s3 '{a.name}' needs 'extract' or 'object_key'", a.span,
                         "Write 'extract' to upload the files, or 'object_key \"releases/app.zip\"' to "
                         "upload the zip.")
            return model.BucketDeploy(bucket=fields.get("bucket", ""), extract=extract or key is None,
                                      object_key=key, cache_control=fields.get("cache_control"), **common)

        strategy = self.strategy(strategy_node, p, a.span)
        for h in hook_nodes:
            if h.event not in HOOKS[p]:
                self.err("E403", f"hook '{h.event}' does not exist when deploying to {p}", h.span,
                         f"Hooks for {p}: {', '.join(HOOKS[p])}.{did_you_mean(h.event, HOOKS[p])}")
                continue
            secs = None
            if p != "ec2" and (h.timeout is not None or h.run_as is not None):
                self.err("E207", "'timeout' and 'as' are for EC2 hook scripts", h.span,
                         f"On {p} a hook is a Lambda function; its own timeout applies.")
            if h.timeout is not None:
                secs = h.timeout.seconds
                if not 1 <= secs <= 3600:
                    self.err("E307", f"hook timeout {h.timeout} is out of range", h.timeout.span,
                             "CodeDeploy allows a hook script at most 3600 seconds (1h).")
            if p != "ec2" and any(x.event == h.event for x in hooks):
                self.err("E203", f"hook '{h.event}' is given twice", h.span,
                         f"On {p} each hook runs one Lambda function.")
                continue
            hooks.append(model.Hook(h.event, h.target, secs, h.run_as))

        if p == "ec2":
            os_name = fields.get("os", "linux")
            if os_name == "windows" and any(h.run_as for h in hooks):
                self.err("E207", "'as USER' is not supported on Windows instances", seen["os"].span,
                         "CodeDeploy runs Windows hook scripts as the agent's user; remove 'as'.")
            if os_name == "windows" and perms:
                self.err("E207", "'permission' is not supported on Windows instances", seen["os"].span,
                         "The CodeDeploy agent fails a Windows deployment whose appspec sets permissions; "
                         "set file permissions in a hook script instead.")
            per_event: dict[str, list[int]] = {}
            for h in hooks:
                per_event.setdefault(h.event, []).append(h.timeout_seconds or 0)
            for event, timeouts in per_event.items():
                total = sum(timeouts)
                if len(timeouts) > 1 and total > 3600 and max(timeouts) <= 3600:
                    first = next(n for n in hook_nodes if n.event == event)
                    self.err("E307", f"the {event} hooks may take {total} seconds together", first.span,
                             "CodeDeploy allows the scripts of one lifecycle event 3600 seconds in total; "
                             "shorten their timeouts or merge the scripts.")
            asgs = lists.get("autoscaling", ())
            if not tags and not asgs:
                self.err("E406", f"deploy to ec2 '{a.name}' does not say which instances", a.span,
                         "Add 'instances tag KEY = VALUE' or 'autoscaling \"group-name\"'.")
            if strategy.kind == "blue-green" and (not asgs or "target_group" not in fields):
                self.err("E405", "blue/green on EC2 needs an Auto Scaling group and a target group",
                         strategy.span or a.span,
                         "CodeDeploy copies the Auto Scaling group to build the green fleet and moves the "
                         "target group's traffic to it: add 'autoscaling \"asg\"' and 'target_group \"tg\"'.")
            target = model.Ec2Target(tuple(tags), asgs, fields.get("target_group"), os_name,
                                     tuple(files), tuple(perms))
        elif p == "ecs":
            need("cluster", "cluster my-cluster")
            need("service", "service my-service")
            tgs = lists.get("target_groups", ())
            shifting = strategy.kind in ("blue-green", "canary", "linear")
            if shifting:
                missing = [k for k in ("listener", "target_groups") if k not in fields and k not in lists]
                if missing:
                    self.err("E404", f"{strategy.kind} on ECS needs {' and '.join(missing)}",
                             strategy.span or a.span,
                             "CodeDeploy moves traffic from the blue to the green target group behind a "
                             "load-balancer listener: add 'listener \"arn:...\"' and "
                             "'target_groups blue-tg green-tg'.")
                if container is None:
                    self.err("E205", f"{strategy.kind} on ECS needs the container and port", a.span,
                             "Add 'container NAME port N': the container the load balancer sends traffic to.")
            else:
                for key in ("listener", "test_listener", "target_groups", "network", "platform_version",
                            "task_definition"):
                    if key in seen:
                        self.err("E207", f"'{key}' is only used by blue/green, canary and linear deployments",
                                 seen[key].span,
                                 "A rolling ECS update keeps the service's load balancer and network as "
                                 "they are. Remove this line, or choose a traffic-shifting strategy.")
                for h in hook_nodes:
                    if h.event in HOOKS["ecs"]:
                        self.err("E403", "hooks run only in CodeDeploy deployments", h.span,
                                 "A rolling ECS update has no lifecycle hooks; use blue-green, canary or "
                                 "linear to run hook functions.")
            if shifting and "test_listener" not in fields:
                for h in hook_nodes:
                    if h.event == "after_allow_test_traffic":
                        self.err("E207", "'after_allow_test_traffic' never runs without a test listener",
                                 h.span, "CodeDeploy runs this hook after it routes test traffic, which needs "
                                 "'test_listener \"arn:...\"'; add one or remove the hook.")
            if "test_listener" in fields and "listener" not in fields:
                self.err("E207", "'test_listener' needs 'listener'", seen["test_listener"].span,
                         "The test listener is the second listener of the same load balancer.")
            target = model.EcsTarget(
                fields.get("cluster", ""), fields.get("service", ""), container, port,
                fields.get("listener"), fields.get("test_listener"), tgs,
                fields.get("task_definition", "taskdef.json"),
                fields.get("image_file", "imagedefinitions.json"), fields.get("platform_version"), network)
        else:  # lambda
            need("function", 'function "my-function"')
            need("alias", "alias live")
            if versions is not None:
                if not (versions.current.isdigit() and versions.target.isdigit()) or \
                        "0" in (versions.current.lstrip("0") or "0", versions.target.lstrip("0") or "0"):
                    self.err("E206", "Lambda versions are published version numbers, such as 3", versions.span,
                             "Write 'versions current 3 target 4' with the numbers Lambda gave the versions, "
                             "or leave 'versions' out to let the deployment find them.")
                elif int(versions.current) == int(versions.target):
                    self.err("E206", "the current and target versions are the same", versions.span,
                             "A deployment shifts traffic from one version to another; give two versions.")
            target = model.LambdaTarget(fields.get("function", ""), fields.get("alias", ""),
                                        versions.current if versions else None,
                                        versions.target if versions else None)
        return model.Deploy(platform=p, target=target, strategy=strategy, rollback=rollback,
                            hooks=tuple(hooks), **common)
