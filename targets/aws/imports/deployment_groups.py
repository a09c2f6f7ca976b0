"""CodeDeploy deployment groups of the template, read into the deploy action that uses them:
the compute platform (through the application), the strategy (built-in or custom deployment
configurations, blue/green options), rollback and alarms, EC2 tag filters and the group's role.
The actions themselves are :mod:`.deploys`.
"""

from __future__ import annotations

import re

from pipec.importer import Doc, q, v


class DeploymentGroups:
    """What a CodeDeploy deployment group says about its deployments."""

    def deployment_group(self, parent: Doc, a, cfg):
        """(the action's name in the template, the logical ID of its deployment group, the group's
        compute platform or None); the ID is None, after a finding, when the template does not
        define the group."""
        raw = a.get("Name") if isinstance(a.get("Name"), str) else "deploy"
        group = self.get(cfg, "DeploymentGroupName")
        lid = self.lid_of(group, "AWS::CodeDeploy::DeploymentGroup") if group is not None else None
        if lid is None:
            # degrade, never drop (issue 25): the action is kept, its targets are placeholders
            self.ctx.skip(parent, "template: CodeDeploy group not in the template",
                          f"action {raw} deploys with deployment group {self.ev.resolve(group)!s}, which the "
                          "template does not define; its targets are REPLACE-ME placeholders and its strategy "
                          "is CodeDeploy's default", cfg, "DeploymentGroupName")
            app = self.lid_of(self.get(cfg, "ApplicationName"), "AWS::CodeDeploy::Application")
            cp = self.ev.resolve(self.props(app).get("ComputePlatform")) if app else None
            return raw, "", {"ECS": "ecs", "Lambda": "lambda"}.get(str(cp), "ec2")
        app = self.lid_of(self.get(self.props(lid), "ApplicationName"), "AWS::CodeDeploy::Application")
        if app is None:
            app = self.lid_of(self.get(cfg, "ApplicationName"), "AWS::CodeDeploy::Application")
        platform = None
        if app is not None:
            cp = self.ev.resolve(self.props(app).get("ComputePlatform")) or "Server"
            platform = {"Server": "ec2", "ECS": "ecs", "Lambda": "lambda"}.get(str(cp))
        return raw, lid, platform

    def rollback(self, block: Doc, gprops, lid):
        ctx = self.ctx
        rb = self.get(gprops, "AutoRollbackConfiguration", block)
        alarms_cfg = self.get(gprops, "AlarmConfiguration", block)
        alarms = []
        if isinstance(alarms_cfg, dict) and self.flag(self.get(alarms_cfg, "Enabled"), block, alarms_cfg,
                                                      "Enabled", "AlarmConfiguration.Enabled"):
            for al in self.items(alarms_cfg.get("Alarms"), block, alarms_cfg, "Alarms"):
                if isinstance(al, dict):
                    n = self.text(al.get("Name"), block, al, "Name", "an alarm name", required=True,
                                  placeholder="REPLACE-ME-alarm")
                    if n:
                        alarms.append(n)
            for k in alarms_cfg:
                if k not in ("Enabled", "Alarms"):
                    ctx.skip(block, "template: CodeDeploy alarms", f"group {lid}: AlarmConfiguration.{k}",
                             alarms_cfg, k)
        events = []
        if isinstance(rb, dict) and self.flag(self.get(rb, "Enabled"), block, rb, "Enabled",
                                              "AutoRollbackConfiguration.Enabled"):
            events = [self.ev.resolve(e) for e in self.items(rb.get("Events"), block, rb, "Events")]
        if "DEPLOYMENT_STOP_ON_REQUEST" in events:
            ctx.skip(block, "template: rollback on request", f"group {lid}: rollback when a deployment is stopped "
                     "by hand", gprops, "AutoRollbackConfiguration")
        on_failure = "DEPLOYMENT_FAILURE" in events
        on_alarm = "DEPLOYMENT_STOP_ON_ALARM" in events
        if alarms and not on_alarm:
            ctx.skip(block, "template: alarms without rollback",
                     f"group {lid}: alarms stop the deployment without rolling back; pipec's alarms roll back",
                     gprops, "AlarmConfiguration")
        if on_alarm and not alarms:
            ctx.skip(block, "template: rollback on alarm without alarms",
                     f"group {lid}: rollback on alarm, but no alarm is enabled", gprops, "AutoRollbackConfiguration")
        words = []
        if on_failure:
            words.append("failure")
        if on_alarm and alarms:
            words += ["alarm", *(q(x) for x in alarms)]
        if words:
            block.stmt("rollback", "on", *words)
        else:
            block.stmt("rollback", "none")

    def strategy(self, block: Doc, gprops, lid, platform: str) -> bool:
        """Writes the strategy of group ``lid``; False after a finding (no strategy written)."""
        ctx = self.ctx
        style = self.get(gprops, "DeploymentStyle") or {}
        dtype = self.ev.resolve(style.get("DeploymentType")) if isinstance(style, dict) else None
        cfg_value = self.get(gprops, "DeploymentConfigName")
        cfg_lid = self.lid_of(cfg_value, "AWS::CodeDeploy::DeploymentConfig") if cfg_value is not None else None
        name = None
        if cfg_value is not None and cfg_lid is None:
            name = self.text(cfg_value, block, gprops, "DeploymentConfigName", "the deployment configuration")
            if name is None:
                return False
        terminate = None
        bg = self.get(gprops, "BlueGreenDeploymentConfiguration")
        if isinstance(bg, dict):
            term = self.get(bg, "TerminateBlueInstancesOnDeploymentSuccess")
            if isinstance(term, dict):
                action = self.ev.resolve(term.get("Action")) or "KEEP_ALIVE"
                if action == "TERMINATE":
                    terminate = self.number(self.get(term, "TerminationWaitTimeInMinutes"), block, term,
                                            "TerminationWaitTimeInMinutes", "the termination wait") \
                        if "TerminationWaitTimeInMinutes" in term else 0
                else:
                    ctx.skip(block, "template: blue/green option", f"group {lid}: the old fleet is kept alive "
                             "after a blue/green deployment", bg, "TerminateBlueInstancesOnDeploymentSuccess")
            ready = self.get(bg, "DeploymentReadyOption")
            if isinstance(ready, dict) and self.ev.resolve(ready.get("ActionOnTimeout")) not in (None,
                                                                                              "CONTINUE_DEPLOYMENT"):
                ctx.skip(block, "template: blue/green option", f"group {lid}: traffic waits for a manual reroute",
                         bg, "DeploymentReadyOption")
            prov = self.get(bg, "GreenFleetProvisioningOption")
            if isinstance(prov, dict) and self.ev.resolve(prov.get("Action")) not in (None,
                                                                                      "COPY_AUTO_SCALING_GROUP"):
                ctx.skip(block, "template: blue/green option", f"group {lid}: green fleet from existing instances",
                         bg, "GreenFleetProvisioningOption")
        tail = []
        if terminate:
            if terminate > 2880:
                ctx.skip(block, "template: blue/green option", f"group {lid}: termination wait {terminate} minutes",
                         bg, "TerminateBlueInstancesOnDeploymentSuccess")
            else:
                tail = ["terminate_after", f"{terminate}m"]
        if platform == "ec2":
            if dtype == "BLUE_GREEN":
                block.stmt("strategy", "blue-green", *tail)
                return True
            if cfg_lid is not None:
                cp = self.props(cfg_lid)
                hosts = self.get(cp, "MinimumHealthyHosts") or {}
                htype = self.ev.resolve(hosts.get("Type")) if isinstance(hosts, dict) else None
                val = self.number(self.get(hosts, "Value"), block, hosts, "Value", "MinimumHealthyHosts") \
                    if isinstance(hosts, dict) else None
                if htype == "FLEET_PERCENT" and val is not None and 0 <= val <= 99:
                    block.stmt("strategy", "rolling", "min_healthy", f"{val}%")
                    return True
                ctx.skip(block, "template: deployment configuration",
                         f"deployment configuration {cfg_lid} ({htype} {val}) has no .pipe strategy", gprops,
                         "DeploymentConfigName")
                return False
            name = name or "CodeDeployDefault.OneAtATime"
            words = {"CodeDeployDefault.AllAtOnce": ["all-at-once"],
                     "CodeDeployDefault.HalfAtATime": ["rolling", "half-at-a-time"],
                     "CodeDeployDefault.OneAtATime": ["rolling", "one-at-a-time"]}.get(name)
            if words is None:
                ctx.skip(block, "template: deployment configuration",
                         f"deployment configuration {name} is not a built-in one pipec knows", gprops,
                         "DeploymentConfigName")
                return False
            block.stmt("strategy", *words)
            return True
        # ECS and Lambda: traffic shifting
        prefix = "ECS" if platform == "ecs" else "Lambda"
        kind = percent = interval = None
        if cfg_lid is not None:
            cp = self.props(cfg_lid)
            routing = self.get(cp, "TrafficRoutingConfig") or {}
            rtype = self.ev.resolve(routing.get("Type")) if isinstance(routing, dict) else None
            if rtype in ("TimeBasedCanary", "TimeBasedLinear"):
                c = self.get(routing, rtype) or {}
                word = "Canary" if rtype == "TimeBasedCanary" else "Linear"
                kind = word.lower()
                percent = self.number(self.get(c, f"{word}Percentage"), block, c, f"{word}Percentage", "the step")
                interval = self.number(self.get(c, f"{word}Interval"), block, c, f"{word}Interval", "the interval")
            elif rtype == "AllAtOnce":
                kind = "all"
        else:
            name = name or f"CodeDeployDefault.{prefix}AllAtOnce"
            m = re.fullmatch(rf"CodeDeployDefault\.{prefix}(Canary|Linear)(\d+)Percent(?:Every)?(\d+)Minutes?", name)
            if name == f"CodeDeployDefault.{prefix}AllAtOnce":
                kind = "all"
            elif m:
                kind, percent, interval = m.group(1).lower(), int(m.group(2)), int(m.group(3))
        if kind == "all":
            if platform == "ecs":
                block.stmt("strategy", "blue-green", *tail)
            else:
                block.stmt("strategy", "all-at-once")
            return True
        if kind in ("canary", "linear") and percent and interval and 1 <= percent <= 99 and 1 <= interval <= 2880:
            if kind == "canary":
                block.stmt("strategy", "canary", f"{percent}%", "then", "rest", "after", f"{interval}m")
            else:
                block.stmt("strategy", "linear", f"{percent}%", "every", f"{interval}m")
            if tail and tail[1] != "5m":
                ctx.skip(block, "template: blue/green option",
                         f"group {lid}: the old task set is kept {tail[1]} (pipec: 5 minutes)", bg,
                         "TerminateBlueInstancesOnDeploymentSuccess")
            return True
        ctx.skip(block, "template: deployment configuration",
                 f"deployment configuration {name or cfg_lid} has no .pipe strategy", gprops, "DeploymentConfigName")
        return False

    def group_extras(self, block: Doc, gprops, lid, handled: set):
        handled = handled | {"ApplicationName", "DeploymentGroupName", "ServiceRoleArn", "DeploymentConfigName",
                             "AutoRollbackConfiguration", "AlarmConfiguration", "DeploymentStyle",
                             "BlueGreenDeploymentConfiguration", "Tags"}
        for k in gprops:
            if k not in handled:
                self.ctx.skip(block, "template: CodeDeploy group property", f"deployment group {lid}: {k}",
                              gprops, k)
        role = self.get(gprops, "ServiceRoleArn")
        if role is not None and not self.lid_of(role, "AWS::IAM::Role"):
            r = self.text(role, block, gprops, "ServiceRoleArn", "the CodeDeploy role",
                          check=lambda s: s.startswith("arn:"))
            if r:
                return [f"role {q(r)}"]
        return []

    def tag_filter(self, block: Doc, f, lid) -> int:
        if not isinstance(f, dict):
            return 0
        ftype = self.ev.resolve(f.get("Type")) or "KEY_AND_VALUE"
        if ftype != "KEY_AND_VALUE":
            self.ctx.skip(block, "template: EC2 tag filter", f"group {lid}: a tag filter of type {ftype}", f,
                          "Type")
            return 0
        k = self.text(f.get("Key"), block, f, "Key", "a tag key", required=True, placeholder="REPLACE-ME")
        val = self.text(f.get("Value"), block, f, "Value", "a tag value", required=True, placeholder="REPLACE-ME")
        if k is None or val is None:
            return 0
        block.stmt("instances", "tag", v(k), "=", v(val))
        return 1
