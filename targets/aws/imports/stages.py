"""The stages after the source stage, and what every action shares.

:meth:`Stages.stage` orders a stage's actions by ``RunOrder`` (equal run orders become
``parallel { }``), pairs CloudFormation change sets with their execution
(:meth:`~Stages.pair_change_sets`) and hands each action to the module of its family by its
category and provider (:meth:`~Stages.unit`): :mod:`.builds`, :mod:`.deploys`, :mod:`.stacks`,
:mod:`.approvals`, :mod:`.invokes`. The helpers those use are here too: the action's ``.pipe``
name, the mapping recorded for the round trip, findings for configuration keys and action
properties pipec does not carry, and the input artifacts an action can read.
"""

from __future__ import annotations

import json

from pipec.targets.escape import failing_command
from pipec import importer
from pipec.importer import Doc, q

#: configuration keys each action kind maps (others are findings)
KNOWN_CONFIG = {
    "CodeStarSourceConnection": {"ConnectionArn", "FullRepositoryId", "BranchName", "OutputArtifactFormat",
                                 "DetectChanges"},
    "GitHub": {"Owner", "Repo", "Branch", "OAuthToken", "PollForSourceChanges"},
    "CodeCommit": {"RepositoryName", "BranchName", "PollForSourceChanges", "OutputArtifactFormat"},
    "S3": {"S3Bucket", "S3ObjectKey", "PollForSourceChanges"},
    "CodeBuild": {"ProjectName", "PrimarySource", "EnvironmentVariables"},
    "CodeDeploy": {"ApplicationName", "DeploymentGroupName"},
    "CodeDeployToECS": {"ApplicationName", "DeploymentGroupName", "TaskDefinitionTemplateArtifact",
                        "TaskDefinitionTemplatePath", "AppSpecTemplateArtifact", "AppSpecTemplatePath",
                        "Image1ArtifactName", "Image1ContainerName"},
    "ECS": {"ClusterName", "ServiceName", "FileName"},
    "CloudFormation": {"ActionMode", "StackName", "TemplatePath", "RoleArn", "Capabilities",
                       "ParameterOverrides", "ChangeSetName"},
    "S3Deploy": {"BucketName", "Extract", "ObjectKey", "CacheControl"},
    "Manual": {"CustomData", "ExternalEntityLink", "NotificationArn"},
    "Lambda": {"FunctionName", "UserParameters"},
}

_ACTION_KEYS = {"Name", "ActionTypeId", "Configuration", "InputArtifacts", "OutputArtifacts", "RunOrder",
                "Namespace", "TimeoutInMinutes", "Region", "RoleArn"}


class Stages:
    """The walk over a stage's actions and the parts every action family shares."""

    def stage(self, p: Doc, st, held: dict):
        ctx = self.ctx
        if not isinstance(st, dict):
            ctx.skip(p, "template: stage", "a stage that is not a mapping", st)
            return
        raw_name = self.text(st.get("Name"), p, st, "Name", "a stage name") or "stage"
        sname = importer.unique(importer.name(raw_name, "stage"), self.stage_names)
        sdoc = Doc(f"stage {sname}")
        if raw_name in held:
            sdoc.stmt("transition", "disabled", q(held[raw_name]))
            held[raw_name] = None
        for k in st:
            if k not in ("Name", "Actions"):
                ctx.skip(sdoc, f"template: stage {k}", f"stage {raw_name}: {k}", st, k)
        decls = []
        for i, a in enumerate(self.items(st.get("Actions"), sdoc, st, "Actions")):
            if not isinstance(a, dict):
                ctx.skip(sdoc, "template: action", "an action that is not a mapping", st, "Actions")
                continue
            order = 1
            if "RunOrder" in a:
                order = self.number(self.get(a, "RunOrder"), sdoc, a, "RunOrder", "RunOrder")
                order = 1 if order is None else order
            decls.append((order, i, a))
        decls.sort(key=lambda t: (t[0], t[1]))
        units = self.pair_change_sets(sdoc, decls, raw_name)
        groups: dict[int, list] = {}
        for order, unit in units:
            groups.setdefault(order, []).append(unit)
        count = 0
        for order in sorted(groups):
            members = groups[order]
            target = sdoc if len(members) == 1 else Doc("parallel")
            made = []
            for unit in members:
                made += self.unit(target, unit, raw_name, sname)
            if target is not sdoc:
                n = len(target.blocks())
                if n >= 2:
                    sdoc.items.append(("block", target))
                else:
                    sdoc.items.extend(target.items)
            for cp_name, pipe_name in made:
                self.artifacts[cp_name] = pipe_name
        count = len(sdoc.blocks())
        if count == 0:
            p.comment(f"Stage {raw_name} of the template: no action could be imported.")
            for kind, item in sdoc.items:
                if kind == "comment":
                    p.comment(item)
            return
        p.items.append(("block", sdoc))

    def pair_change_sets(self, sdoc: Doc, decls, stage_name) -> list:
        """(run order, unit) in order: a unit is ("action", decl) or ("stack", replace, execute)."""
        out = []
        pending: dict = {}
        spans: list[tuple] = []
        for order, _i, a in decls:
            prov = self._provider(a)
            if prov != ("AWS", "CloudFormation"):
                out.append([order, ("action", a)])
                continue
            cfg = self.get(a, "Configuration") or {}
            mode = self.ev.peek(cfg.get("ActionMode")) if isinstance(cfg, dict) else None
            key = (json.dumps(cfg.get("StackName"), sort_keys=True, default=str),
                   json.dumps(cfg.get("ChangeSetName"), sort_keys=True, default=str)) if isinstance(cfg, dict) \
                else None
            if mode == "CHANGE_SET_REPLACE":
                entry = [order, ("stack", a, None)]
                pending[key] = (entry, order)
                out.append(entry)
            elif mode != "CHANGE_SET_EXECUTE":
                out.append([order, ("stack", a, None)])
            elif mode == "CHANGE_SET_EXECUTE" and key in pending:
                entry, start = pending.pop(key)
                entry[1] = ("stack", entry[1][1], a)
                spans.append((start, order, entry[1][1], a))
            else:
                out.append([order, ("action", a)])
        # pipec runs a change set's execution right after its creation: other actions in between move
        for start, end, first, execute in spans:
            same = {id(x) for s_, e_, f_, x_ in spans if (s_, e_) == (start, end) for x in (f_, x_)}
            if any(start < o <= end and id(x) not in same for o, _, x in decls):
                self.ctx.skip(sdoc, "template: actions between a change set and its execution",
                              f"stage {stage_name}: other actions run between creating and executing a change set "
                              "(an approval of the change set, for example); pipec executes the change set "
                              "right after creating it", execute, "RunOrder" if "RunOrder" in execute else "Name")
        return [(o, u) for o, u in out]

    def _provider(self, a) -> tuple[str, str]:
        t = self.get(a, "ActionTypeId")
        if not isinstance(t, dict):
            return ("", "")
        owner, prov = self.ev.peek(t.get("Owner")), self.ev.peek(t.get("Provider"))
        return (str(owner or "AWS"), str(prov or ""))

    def action_name(self, a, base: str | None = None) -> tuple[str, str]:
        raw = base or (a.get("Name") if isinstance(a.get("Name"), str) else "action")
        return raw, importer.unique(importer.name(raw, "action"), self.action_names)

    def unit(self, parent: Doc, unit, stage_raw: str, stage_name: str) -> list[tuple[str, str]]:
        """Writes one action; returns (CodePipeline artifact, .pipe artifact) pairs it produces."""
        if unit[0] == "stack":
            return self.stack(parent, unit[1], unit[2], stage_raw, stage_name)
        a = unit[1]
        owner, provider = self._provider(a)
        t = self.get(a, "ActionTypeId") or {}
        category = str(self.ev.resolve(t.get("Category"))) if isinstance(t, dict) else ""
        handler = None
        if owner == "AWS":
            handler = {
                ("Build", "CodeBuild"): self.codebuild, ("Test", "CodeBuild"): self.codebuild,
                ("Deploy", "CodeDeploy"): self.codedeploy, ("Deploy", "CodeDeployToECS"): self.ecs_bluegreen,
                ("Deploy", "ECS"): self.ecs_rolling, ("Deploy", "S3"): self.s3_deploy,
                ("Approval", "Manual"): self.approval, ("Invoke", "Lambda"): self.invoke,
            }.get((category, provider))
        raw = a.get("Name") if isinstance(a.get("Name"), str) else "action"
        if handler is None:
            self.ctx.skip(parent, "template: action provider",
                          f"action {raw} ({category}/{owner}/{provider}): pipec has no action of this kind", a,
                          "ActionTypeId")
            return []
        cfg = self.get(a, "Configuration") or {}
        if not isinstance(cfg, dict):
            self.ctx.skip(parent, "template: action", f"action {raw}: Configuration is not a mapping", a,
                          "Configuration")
            return []
        out = handler(parent, a, cfg, category, stage_raw, stage_name)
        return out or []

    def open_action(self, parent: Doc, a, cfg, header: str, known_key: str, stage_raw, stage_name, *,
                    timeout_ok=False) -> tuple[str, str, Doc]:
        """(raw name, .pipe name, block) of action ``a``: its block in ``parent`` (``header`` with
        ``{}`` for the name, as in ``"deploy {} to s3"``), its mapping recorded, findings for the
        configuration keys (those of :data:`KNOWN_CONFIG` ``[known_key]`` are mapped) and action
        properties pipec does not carry."""
        raw, name = self.action_name(a)
        block = parent.block(header.format(name))
        self.register(a, stage_raw, stage_name, name)
        self.check_config(block, a, cfg, known_key, raw)
        self.action_extras(block, a, raw, timeout_ok=timeout_ok)
        return raw, name, block

    def register(self, a, stage_raw, stage_name, pipe_name):
        raw = a.get("Name") if isinstance(a.get("Name"), str) else pipe_name
        self.ctx.mapping["actions"][f"{stage_raw}/{raw}"] = f"{stage_name}/{pipe_name}"

    def check_config(self, block: Doc, a, cfg, known_key: str, raw: str):
        for k in cfg:
            if k not in KNOWN_CONFIG[known_key]:
                self.ctx.skip(block, "template: action configuration", f"action {raw}: configuration {k}", cfg, k)

    def action_extras(self, block: Doc, a, raw: str, *, source=False, timeout_ok=False):
        """Findings for action keys that change behaviour (Region, RoleArn, Namespace used, ...)."""
        for k in a:
            if k not in _ACTION_KEYS:
                self.ctx.skip(block, "template: action property", f"action {raw}: {k}", a, k)
        if ("Region" in a or "RoleArn" in a) and self.placeable(a, source):
            self.record_place(block, a, raw)  # another account or Region (.places)
            a = {k: v for k, v in a.items() if k not in ("Region", "RoleArn")}
        if "Region" in a:
            self.ctx.skip(block, "template: action Region",
                          f"action {raw} runs in another Region ({self.ev.resolve(a.get('Region'))}); pipec runs "
                          "every action in the pipeline's Region", a, "Region")
        if "RoleArn" in a:
            self.ctx.skip(block, "template: action RoleArn",
                          f"action {raw} assumes its own role (often in another account); pipec actions use the "
                          "pipeline role", a, "RoleArn")
        ns = a.get("Namespace")
        if isinstance(ns, str) and self._namespace_used(ns):
            self.ctx.skip(block, "template: action variables",
                          f"the variables of action {raw} (namespace {ns}) are used by other actions; .pipe has no "
                          "action variables", a, "Namespace")
        if "TimeoutInMinutes" in a and not timeout_ok:
            self.ctx.skip(block, "template: action timeout", f"action {raw}: TimeoutInMinutes", a,
                          "TimeoutInMinutes")

    def _namespace_used(self, ns: str) -> bool:
        text = self.ctx.text or ""
        return f"#{{{ns}." in text

    def inputs(self, block: Doc, a, raw: str) -> list[str]:
        """The .pipe names of the action's input artifacts that are available (others: findings)."""
        out = []
        for item in self.items(a.get("InputArtifacts")):
            name = item.get("Name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            pipe = self.artifacts.get(name)
            if pipe is None:
                # degrade, never drop (issue 25): a placeholder build produces the artifact, so the
                # action keeps its input (never the source instead) and the pipeline builds
                self.ctx.skip(block, "template: input artifact not imported",
                              f"action {raw} reads artifact {name}, which no imported action produces before it "
                              "(an output renamed, or made outside the pipeline): a placeholder build produces it "
                              "and fails until you replace it", a, "InputArtifacts")
                pipe = self.placeholder_artifact(name, raw)
            if pipe not in out:
                out.append(pipe)
        return out

    def placeholder_artifact(self, name: str, raw: str, source: str | None = None) -> str:
        """A stage before the current one with a build that makes artifact ``name``: from
        ``source`` (the files of a source, packaged as they are) or a placeholder that fails."""
        pipe = self.new_artifact(name)
        self.artifacts[name] = pipe
        sname = importer.unique(importer.name(f"make-{pipe}", "stage"), self.stage_names)
        st = self.doc.block(f"stage {sname}")
        b = st.block(f"build {importer.unique(importer.name(f'make-{pipe}', 'build'), self.action_names)}")
        if source is not None:
            b.comment(f"CodePipeline deployed source {source} itself; pipec deploys what a build produces, so this "
                      "build packages the source's files as they are.")
            b.stmt("from", source)
            b.stmt("build", q(f"echo Packaging source {source} as artifact {pipe}"))
        else:
            b.comment(f"Placeholder: artifact {name} is read by action {raw}, but no imported action makes it.")
            b.stmt("build", q(failing_command(f"write the build that makes artifact {name}")))
            self.ctx.task("resource", f"write the build that makes artifact {name} (read by action {raw}), in "
                          f"place of the placeholder stage {sname}")
        b.stmt("artifact", pipe, "files", q("**/*"))
        return pipe

    def new_artifact(self, name: str) -> str:
        return importer.unique(importer.name(name, "artifact"), self.artifact_names)
