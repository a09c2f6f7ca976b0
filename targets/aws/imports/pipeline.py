"""The importer itself: :class:`TemplateImporter` finds the pipeline of the template, reads its
properties (name, mode, variables, artifact store, role, tags, disabled transitions), walks its
stages and lists the rest of the template (infrastructure outside the pipeline, or machinery
pipec generates itself).

It holds the state of one import and is assembled from one mixin per construct family, each in a
module of its own: :mod:`.values` (reading values), :mod:`.sources`, :mod:`.triggers`,
:mod:`.stages` (the walk over the other stages), :mod:`.builds`, :mod:`.specs`,
:mod:`.deployment_groups`, :mod:`.deploys`, :mod:`.stacks`, :mod:`.approvals`, :mod:`.invokes`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipec.targets.escape import failing_command
from pipec import importer
from pipec.targets.aws.imports.bindings import bind_stages
from pipec.importer import Doc, q, v
from pipec.targets.aws import intrinsics
from pipec.targets.aws.intrinsics import Unresolved
from pipec.targets.aws.imports.approvals import Approvals
from pipec.targets.aws.imports.builds import Builds
from pipec.targets.aws.imports.deployment_groups import DeploymentGroups
from pipec.targets.aws.imports.deploys import Deploys
from pipec.targets.aws.imports.invokes import Invokes
from pipec.targets.aws.imports.places import PlacesImport
from pipec.targets.aws.imports.sources import Sources
from pipec.targets.aws.imports.specs import Specs
from pipec.targets.aws.imports.stacks import Stacks
from pipec.targets.aws.imports.stages import Stages
from pipec.targets.aws.imports.triggers import Triggers
from pipec.targets.aws.imports.values import Values

_PIPELINE = "AWS::CodePipeline::Pipeline"

#: resource types pipec creates itself from a .pipe file (never listed as infrastructure)
_GENERATED = {
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile",
    "AWS::CodeBuild::Project", "AWS::CodeDeploy::Application", "AWS::CodeDeploy::DeploymentGroup",
    "AWS::CodeDeploy::DeploymentConfig", "AWS::CodeStarConnections::Connection",
    "AWS::CodeConnections::Connection", "AWS::CodePipeline::Webhook", "AWS::CodePipeline::Pipeline",
}


class TemplateImporter(Stages, Sources, Triggers, Builds, Specs, DeploymentGroups, Deploys, Stacks, Approvals,
                       Invokes, PlacesImport, Values):
    """One import of one template: ``TemplateImporter(ctx).run()``."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.data = ctx.data
        self.file = Path(ctx.file)
        self.resources = {}
        #: the template's intrinsic functions, evaluated (set by :meth:`run`)
        self.ev = intrinsics.Evaluator(resources=self.resources)
        self.action_names: set[str] = set()
        self.artifact_names: set[str] = set()
        self.stage_names: set[str] = {"source"}
        #: CodePipeline artifact name -> .pipe artifact (or source) name, once produced
        self.artifacts: dict[str, str] = {}
        #: CodePipeline source action name -> .pipe source name
        self.source_actions: dict[str, str] = {}
        #: .pipe source name -> (provider, its Doc, the action)
        self.sources: dict[str, tuple] = {}
        self.source_order: list[str] = []
        self.pipeline_lid = ""
        self.namespaces: set[str] = set()
        self.used_resources: set[str] = set()
        #: where the buildspec being imported is (see :meth:`inline_base`); None for a file of its own
        self.spec_base = None

    def run(self) -> Doc | None:
        ctx, data = self.ctx, self.data
        resources = data.get("Resources")
        if not isinstance(resources, dict):
            ctx.error("the template's Resources is not a mapping", data, "Resources")
            return None
        for lid, r in resources.items():
            if not isinstance(r, dict) or not isinstance(r.get("Type"), str):
                ctx.error(f"resource {lid} must be a mapping with a Type (a string)", resources, lid,
                          "CloudFormation refuses such a template too.")
        if ctx.errors:
            return None
        self.resources = dict(resources)
        sections = {key: data.get(key) if isinstance(data.get(key), dict) else None
                    for key in ("Parameters", "Conditions", "Mappings")}
        self.ev = intrinsics.Evaluator(resources=self.resources, parameters=sections["Parameters"],
                                       conditions=sections["Conditions"], mappings=sections["Mappings"])
        pipelines = [lid for lid, r in self.resources.items() if r.get("Type") == _PIPELINE]
        if not pipelines:
            raise importer.Unsupported("template: no pipeline", "the template has no AWS::CodePipeline::Pipeline",
                                       data, "Resources")
        lid = pipelines[0]
        self.pipeline_lid = lid
        res = self.resources[lid]
        props = res.get("Properties")
        if not isinstance(props, dict):
            ctx.error(f"pipeline {lid} has no Properties mapping", res, "Properties")
            return None
        name = self.pipeline_name(lid, props)
        ctx.pipeline_name = name
        ctx.mapping = {"actions": {}, "sources": {}}
        p = Doc(f"pipeline {name}")
        self.doc = p
        if lid != name:
            p.comment(f"From the template's pipeline {lid}.")
        for other in pipelines[1:]:
            ctx.skip(p, "template: several pipelines",
                     f"the template defines another pipeline, {other}; import it from a template of its own",
                     resources, other)
        if "Condition" in res:
            cond = res.get("Condition")
            value = self.ev.condition(cond) if isinstance(cond, str) else None
            if value is None:
                ctx.skip(p, "template: Fn::If", f"the pipeline is created only under condition {cond}, which "
                         "pipec cannot evaluate with the parameters' defaults", res, "Condition")
            else:
                p.comment(f"The pipeline's condition {cond} is {str(value).lower()} with the parameters' defaults.")
        self.collect_namespaces(props)
        self.pipeline_settings(p, props)
        stages = self.items(props.get("Stages"), p, props, "Stages")
        if not stages:
            ctx.error(f"pipeline {lid} has no Stages", props, "Stages")
            return None
        held = self.held_stages(p, props)
        first, rest = stages[0], stages[1:]
        self.source_stage(p, first)
        if not self.sources:
            # degrade, never fail (issue 25): a placeholder repository stands for the source (ECR,
            # a custom or third-party source); the actions that read it get placeholder inputs
            ctx.skip(p, "template: no importable source", "the pipeline has no source pipec can import "
                     "(CodeStarSourceConnection, GitHub, CodeCommit or S3): a placeholder repository stands "
                     "for it", first, "Actions")
            block = Doc('source app github "OWNER/REPO"')
            p.items.append(("block", block))
            self.sources["app"] = ("github", block, None)
            self.source_order.append("app")
            ctx.task("repository", "replace the placeholder source OWNER/REPO with the pipeline's source")
        self.triggers(props)
        for st in rest:
            self.stage(p, st, held)
        for sname, reason in held.items():
            if reason is not None:
                ctx.skip(p, "template: DisableInboundStageTransitions",
                         f"a disabled transition into stage {sname}, which is not imported", props,
                         "DisableInboundStageTransitions")
        self.write_places(p)
        self.infrastructure(p)
        if not any(kind == "block" and item.header.startswith("stage ") for kind, item in p.items):
            # degrade, never fail (issue 25): one action that fails until a person writes the work
            ctx.skip(p, "template: no importable action", "no action after the source stage could be imported: "
                     "one placeholder action stands for them", props, "Stages")
            st = p.block("stage placeholder")
            b = st.block("build placeholder")
            b.stmt("build", q(failing_command(f"no action of {Path(ctx.file).name} was imported; write "
                                                       "the pipeline's actions")))
            ctx.task("resource", "write the pipeline's actions (no action of the template could be imported)")
        bind_stages(ctx, p, self.sources, props)
        return p

    def pipeline_name(self, lid: str, props: dict) -> str:
        raw = props.get("Name")
        if raw is not None:
            saved = self.ev.resolve(raw)
            if isinstance(saved, (str, int, float)) and not isinstance(saved, Unresolved) and str(saved):
                return importer.name(saved, "pipeline")
        return importer.name(lid, "pipeline")

    def collect_namespaces(self, props):
        for st in self.items(props.get("Stages")):
            if not isinstance(st, dict):
                continue
            for a in self.items(st.get("Actions")):
                if isinstance(a, dict) and isinstance(a.get("Namespace"), str):
                    self.namespaces.add(a["Namespace"])

    def pipeline_settings(self, p: Doc, props: dict):
        ctx = self.ctx
        handled = {"Name", "Stages", "DisableInboundStageTransitions", "Triggers"}
        aws_lines: list[str] = []
        for key in props:
            if key in handled:
                continue
            value = self.get(props, key, p)
            if value is None:
                continue
            if key == "PipelineType":
                t = self.text(value, p, props, key, "PipelineType")
                if t and t.upper() == "V1":
                    p.comment("PipelineType V1 in the template: pipec writes V2 pipelines (same behaviour for what "
                              "is imported here; V2 bills per action minute).")
                elif t and t.upper() != "V2":
                    ctx.skip(p, "template: PipelineType", f"unknown PipelineType {t}", props, key)
            elif key == "ExecutionMode":
                t = self.text(value, p, props, key, "ExecutionMode")
                if t and t.lower() in ("queued", "superseded", "parallel"):
                    p.stmt("mode", t.lower())
                elif t:
                    ctx.skip(p, "template: ExecutionMode", f"unknown ExecutionMode {t}", props, key)
            elif key == "Variables":
                self.variables(p, value, props, key)
            elif key == "ArtifactStore":
                self.artifact_store(p, value, props, key)
            elif key == "ArtifactStores":
                self.artifact_stores(p, value, props, key)  # .places
            elif key == "RoleArn":
                if self.lid_of(value, "AWS::IAM::Role"):
                    p.comment("The template creates the pipeline's role: pipec creates its own least-privilege "
                              "roles instead.")
                else:
                    t = self.text(value, p, props, key, "the pipeline role",
                                  check=lambda s: s.startswith("arn:"))
                    if t:
                        aws_lines.append(f"role {q(t)}")
            elif key == "RestartExecutionOnUpdate":
                if self.flag(value, p, props, key, "RestartExecutionOnUpdate"):
                    ctx.skip(p, "template: RestartExecutionOnUpdate",
                             "RestartExecutionOnUpdate: a stack update does not start a run with pipec", props, key)
            elif key == "Tags":
                for i, tag in enumerate(self.items(value, p, props, key)):
                    if not isinstance(tag, dict):
                        continue
                    tk = self.text(tag.get("Key"), p, tag, "Key", "a tag key")
                    tv = self.text(tag.get("Value"), p, tag, "Value", "a tag value")
                    if tk is not None and tv is not None:
                        aws_lines.append(f"tag {q(tk)} {q(tv)}")
            else:
                ctx.skip(p, "template: pipeline property", f"pipeline property {key}", props, key)
        if aws_lines:
            b = p.block("aws")
            for line in aws_lines:
                b.stmt(line)

    def variables(self, p: Doc, value, where, key):
        seen: set[str] = set()
        for var in self.items(value, p, where, key):
            if not isinstance(var, dict):
                self.ctx.skip(p, "template: pipeline variable", "a pipeline variable that is not a mapping",
                              where, key)
                continue
            vname = self.text(var.get("Name"), p, var, "Name", "a variable's name")
            if not vname:
                continue
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", vname) or len(vname) > 128:
                self.ctx.skip(p, "template: pipeline variable", f"variable {vname!r}: not a name .pipe can write",
                              var, "Name")
                continue
            if vname in seen:
                continue
            seen.add(vname)
            default = ""
            if "DefaultValue" in var:
                default = self.text(var.get("DefaultValue"), p, var, "DefaultValue", f"the default of {vname}",
                                    required=True) or ""
            else:
                p.comment(f"Variable {vname} has no default in the template: an empty default here.")
                self.ctx.skip(p, "template: pipeline variable without default",
                              f"variable {vname} has no default (CodePipeline then requires a value when a run "
                              "starts by hand); .pipe variables always have one", var, "Name")
            words = ["variable", vname, "=", q(default)]
            if "Description" in var:
                d = self.text(var.get("Description"), p, var, "Description", f"the description of {vname}")
                if d:
                    words += ["description", q(d)]
            p.stmt(*words)

    def artifact_store(self, p: Doc, store, where, key):
        if not isinstance(store, dict):
            self.ctx.skip(p, "template: ArtifactStore", "ArtifactStore is not a mapping", where, key)
            return
        bucket = key_id = None
        loc = self.get(store, "Location", p)
        if loc is not None:
            if self.lid_of(loc, "AWS::S3::Bucket"):
                p.comment("The template creates the artifact bucket: pipec creates its own (versioned, encrypted, "
                          "private).")
            else:
                bucket = self.text(loc, p, store, "Location", "the artifact bucket")
        enc = self.get(store, "EncryptionKey", p)
        if isinstance(enc, dict) and enc.get("Id") is not None:
            kid = self.get(enc, "Id", p)
            if self.lid_of(kid, ("AWS::KMS::Key", "AWS::KMS::Alias")):
                self.ctx.skip(p, "template: artifact key of the template",
                              "the artifacts are encrypted with a KMS key the template creates; pipec can use an "
                              "existing key only (artifact_store key ...)", enc, "Id")
            else:
                key_id = self.text(kid, p, enc, "Id", "the artifact store's KMS key")
        for k in store:
            if k not in ("Location", "EncryptionKey", "Type"):
                self.ctx.skip(p, "template: ArtifactStore", f"ArtifactStore.{k}", store, k)
        if bucket or key_id:
            p.stmt("artifact_store", *(["bucket", v(bucket)] if bucket else []),
                   *(["key", v(key_id)] if key_id else []))

    def held_stages(self, p: Doc, props) -> dict:
        out = {}
        for d in self.items(props.get("DisableInboundStageTransitions"), p, props, "DisableInboundStageTransitions"):
            if not isinstance(d, dict):
                continue
            sname = self.text(d.get("StageName"), p, d, "StageName", "the stage of a disabled transition")
            reason = self.text(d.get("Reason"), p, d, "Reason", "the reason of a disabled transition") or \
                "disabled in the template"
            if sname:
                out[sname] = reason
        return out

    def infrastructure(self, p: Doc):
        others: dict[str, list[str]] = {}
        for lid, res in self.resources.items():
            t = str(res.get("Type"))
            if t in _GENERATED or lid in self.used_resources:
                continue
            if t in ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SNS::Topic", "AWS::SNS::Subscription",
                     "AWS::SNS::TopicPolicy", "AWS::Events::Rule", "AWS::Logs::LogGroup", "AWS::KMS::Key",
                     "AWS::KMS::Alias") and self._pipeline_machinery(lid, res):
                continue
            others.setdefault(t, []).append(lid)
        if not others:
            return
        n = sum(len(x) for x in others.values())
        parts = [f"{t} ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})" for t, ids in sorted(others.items())]
        p.comment(f"The template also creates {n} resource(s) outside the pipeline, which pipec does not manage: "
                  + "; ".join(parts) + ".")

    def _pipeline_machinery(self, lid: str, res) -> bool:
        """Whether resource ``lid`` only serves the pipeline (its artifact bucket, change detection rules,
        approval topics...): it refers to the pipeline, or the pipeline to it."""
        t = res.get("Type")
        blob = json.dumps(res.get("Properties"), default=str)
        if t == "AWS::Events::Rule":
            if self.pipeline_lid in blob:
                if "ScheduleExpression" in blob:
                    self.schedule_rule(lid, res)
                return True
            return False
        pblob = json.dumps(self.resources[self.pipeline_lid].get("Properties"), default=str)
        if re.search(rf'"{re.escape(lid)}"', pblob) or re.search(rf"\$\{{{re.escape(lid)}[.}}]", pblob):
            return True
        # policies and subscriptions of such resources
        for other in re.findall(r'"(?:Ref|Fn::GetAtt)": \["?([A-Za-z0-9]+)', blob):
            if other != lid and other in self.resources and re.search(rf'"{re.escape(other)}"', pblob):
                return True
        return False
