"""CloudFormation deploy actions: a ``CREATE_UPDATE`` action, or a change set and its execution
(paired by :meth:`.stages.Stages.pair_change_sets`), as one ``deploy ... to cloudformation``
with its template, parameter overrides, capabilities and role.
"""

from __future__ import annotations

import json
import re

from pipec.importer import Doc, q, v
from pipec.targets.aws.intrinsics import Unresolved, scalar

_CAPABILITIES = {"CAPABILITY_IAM": "iam", "CAPABILITY_NAMED_IAM": "named-iam",
                 "CAPABILITY_AUTO_EXPAND": "auto-expand"}


class Stacks:
    """CloudFormation deploy actions."""

    def stack(self, parent: Doc, replace, execute, stage_raw, stage_name):
        ctx = self.ctx
        first = replace
        cfg = self.get(first, "Configuration") or {}
        if not isinstance(cfg, dict):
            cfg = {}
        mode = self.ev.peek(cfg.get("ActionMode"))
        raw_first = first.get("Name") if isinstance(first.get("Name"), str) else "stack"
        if execute is None and mode == "CHANGE_SET_REPLACE":
            ctx.skip(parent, "template: change set without execution",
                     f"action {raw_first} creates a change set that no later action of its stage executes", first,
                     "Name")
            return []
        if mode == "CHANGE_SET_EXECUTE":
            ctx.skip(parent, "template: change set execution without creation",
                     f"action {raw_first} executes a change set that no earlier action of its stage creates", first,
                     "Name")
            return []
        if mode not in ("CREATE_UPDATE", "CHANGE_SET_REPLACE"):
            ctx.skip(parent, "template: CloudFormation action mode",
                     f"action {raw_first}: ActionMode {mode} (pipec creates or updates stacks)", cfg, "ActionMode")
            return []
        named = execute if execute is not None else first
        raw, name = self.action_name(named)
        block = parent.block(f"deploy {name} to cloudformation")
        self.register(first, stage_raw, stage_name, name)
        if execute is not None:
            self.register(execute, stage_raw, stage_name, name)
        self.check_config(block, first, cfg, "CloudFormation", raw_first)
        self.action_extras(block, first, raw_first)
        if execute is not None:
            self.action_extras(block, execute, raw)
            ecfg = self.get(execute, "Configuration") or {}
            for k in ecfg if isinstance(ecfg, dict) else ():
                if k not in ("ActionMode", "StackName", "ChangeSetName", "RoleArn"):
                    ctx.skip(block, "template: action configuration", f"action {raw}: configuration {k}", ecfg, k)
        tpath = self.text(self.get(cfg, "TemplatePath"), block, cfg, "TemplatePath", "the template path",
                          required=True, placeholder="REPLACE-ME::template.yaml")
        art, _, tfile = (tpath or "").partition("::")
        inputs = self.inputs(block, first, raw_first)
        tart = self.artifacts.get(art)
        if tart is None:
            if art and art not in self.artifacts:
                ctx.skip(block, "template: input artifact not imported",
                         f"action {raw_first}: the template's artifact {art} is not imported", cfg, "TemplatePath")
            tart = inputs[0] if inputs else self.source_order[0]
        if tart in inputs:
            inputs.remove(tart)
        block.stmt("from", tart, *inputs)
        stack = self.text(self.get(cfg, "StackName"), block, cfg, "StackName", "the stack name", required=True,
                          placeholder="REPLACE-ME-stack")
        block.stmt("stack", v(stack or "REPLACE-ME-stack"))
        block.stmt("template", v(tfile or "template.yaml"))
        self.overrides(block, cfg, raw_first)
        caps = self.text(self.get(cfg, "Capabilities"), block, cfg, "Capabilities", "the capabilities")
        words = []
        for c in (caps or "").split(","):
            c = c.strip()
            if not c:
                continue
            if c in _CAPABILITIES:
                if _CAPABILITIES[c] not in words:
                    words.append(_CAPABILITIES[c])
            else:
                ctx.skip(block, "template: capability", f"capability {c}", cfg, "Capabilities")
        if words:
            block.stmt("capabilities", *words)
        if execute is None:
            block.stmt("change_set", "none")
        else:
            cs = self.text(self.get(cfg, "ChangeSetName"), block, cfg, "ChangeSetName", "the change set name",
                           required=True, placeholder=f"pipec-{name}")
            if cs and cs != f"pipec-{name}":
                block.stmt("change_set", v(cs))
        aws_lines = []
        for a_ in (first, execute):
            if a_ is None:
                continue
            c = self.get(a_, "Configuration") or {}
            role = self.get(c, "RoleArn") if isinstance(c, dict) else None
            if role is None or self.lid_of(role, "AWS::IAM::Role"):
                continue
            r = self.text(role, block, c, "RoleArn", "the stack role", check=lambda s: s.startswith("arn:"))
            if r and f"role {q(r)}" not in aws_lines:
                aws_lines.append(f"role {q(r)}")
        if any(self.lid_of((self.get(a_, "Configuration") or {}).get("RoleArn"), "AWS::IAM::Role")
               for a_ in (first, execute) if a_ is not None and isinstance(self.get(a_, "Configuration"), dict)):
            block.comment("The template creates the stack role: pipec creates its own.")
        if len(aws_lines) > 1:
            ctx.skip(block, "template: CloudFormation role", "the change set and its execution name different "
                     "roles", cfg, "RoleArn")
            aws_lines = aws_lines[:1]
        if aws_lines:
            blk = block.block("aws")
            for line in aws_lines:
                blk.stmt(line)
        for o in self.items(first.get("OutputArtifacts")) + (self.items(execute.get("OutputArtifacts"))
                                                              if execute is not None else []):
            ctx.skip(block, "template: CloudFormation outputs", f"action {raw_first} writes the stack's outputs "
                     "to an artifact (OutputFileName)", first, "OutputArtifacts")
            break
        return []

    def overrides(self, block: Doc, cfg, raw):
        ctx = self.ctx
        value = self.get(cfg, "ParameterOverrides")
        if value is None:
            return
        self.ev.reset()
        r = self.ev.resolve(value)
        if isinstance(r, dict):
            values = r
        else:
            text = self.text(value, block, cfg, "ParameterOverrides", "the parameter overrides")
            if text is None:
                return
            try:
                values = json.loads(text)
            except json.JSONDecodeError:
                ctx.skip(block, "template: parameter overrides", f"action {raw}: ParameterOverrides is not JSON",
                         cfg, "ParameterOverrides")
                return
        if not isinstance(values, dict):
            ctx.skip(block, "template: parameter overrides", f"action {raw}: ParameterOverrides is not an object",
                     cfg, "ParameterOverrides")
            return
        for k, val in values.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", str(k)):
                ctx.skip(block, "template: parameter overrides", f"parameter name {k!r}", cfg, "ParameterOverrides")
                continue
            if isinstance(val, (dict, list)) or isinstance(val, Unresolved):
                ctx.skip(block, "template: parameter from an artifact",
                         f"parameter {k} is computed ({json.dumps(val, default=str)}); .pipe parameters are "
                         "values", cfg, "ParameterOverrides")
                continue
            block.stmt("parameter", str(k), "=", q(scalar(val)))
