"""``pipec import`` for CloudFormation templates with an ``AWS::CodePipeline::Pipeline``.

:func:`import_template` reads a template that people wrote (YAML or JSON, short or long
intrinsic forms, as :func:`pipec.importer.load` gives it) and writes the ``.pipe`` pipeline it
describes. The inverse of :mod:`pipec.targets.aws` (docs/targets.md, "Mapping"), for hand-written
templates: tolerant of what is optional, and explicit about what it cannot carry.

What is read
------------

- **One pipeline**: the first ``AWS::CodePipeline::Pipeline``; each other one is a finding.
  Its name is its ``Name`` when the template decides it, otherwise its logical ID.
- **Values**: ``Ref``/``Fn::Sub``/``Fn::Join``/``Fn::Select``/``Fn::Split``/``Fn::FindInMap``
  are resolved against the template. A parameter with a ``Default`` gives that default (a comment
  names the parameter); a parameter without one, a pseudo parameter (``AWS::Region``,
  ``AWS::AccountId``...; ``AWS::Partition`` is taken as ``aws``), an attribute (``Fn::GetAtt``)
  or an import (``Fn::ImportValue``) is known only at deployment: where ``.pipe`` needs the value
  it becomes a ``REPLACE-ME-...`` placeholder and a task, elsewhere a finding.
- **Conditions** (``Fn::If``, a resource's ``Condition``): evaluated with the parameters'
  defaults (``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Condition``); the branch taken
  is named in a comment. A condition that cannot be evaluated is a finding and its part is left
  out (neither branch is taken silently).
- **Pipeline properties**: ``Name``, ``PipelineType`` (pipec always writes V2), ``ExecutionMode``
  (``mode``), ``Variables`` (``variable``), ``Triggers`` (``on push``/``on pull_request`` of the
  source named by ``SourceActionName``; CodePipeline globs are rewritten into pipec patterns of
  the same meaning, or reported), ``ArtifactStore`` (``artifact_store`` for an existing bucket or
  key; a bucket of the template is replaced by the one pipec creates), ``RoleArn`` (``aws { role }``
  for an existing role; a role of the template is replaced by pipec's least-privilege roles),
  ``DisableInboundStageTransitions`` (``transition disabled``), ``Tags`` (``aws { tag }``).
  ``ArtifactStores`` (cross-region) and ``RestartExecutionOnUpdate: true`` are findings.
- **Sources**: CodeStarSourceConnection (github/bitbucket/gitlab by the connection's
  ``ProviderType`` when the template creates it), GitHub version 1 (OAuth: a github source, a
  connection task and a finding for the token), CodeCommit and S3. A source is named after its
  output artifact (in ``.pipe`` a source *is* its artifact).
- **Actions** (ordered by ``RunOrder``; equal run orders become ``parallel { }``): CodeBuild
  (the project of the template: image, compute, privileged mode, timeout, variables, and the
  buildspec, inline or found among the companions or next to the template, through
  :mod:`pipec.targets.aws.spec_imports`), CodeDeploy (EC2/Lambda through the deployment group of the
  template and an appspec companion), CodeDeployToECS, ECS, CloudFormation (change set pairs or
  ``CREATE_UPDATE``), S3 deploy, Lambda invoke and manual approvals. Every other provider is a
  finding ``template: action provider``.

Deliberately not imported (pipec generates them from the ``.pipe`` file): IAM roles and
policies, the artifact bucket and its policy, CodeBuild projects (their settings are read into
the actions that use them), CodeDeploy applications, deployment groups and configurations (read
into the deployments), SNS topics and subscriptions of approvals, CodeConnections/CodeStar
connections, EventBridge rules and webhooks that start the pipeline on changes, CodeBuild log
groups; the template's ``Outputs``, ``Metadata``, ``Description``, ``Transform`` and ``Rules``;
a resource's ``DependsOn``, ``DeletionPolicy`` and ``UpdateReplacePolicy``; an action's
``Namespace`` when no configuration of the template uses its variables; ``ArtifactStore.Type``
(always S3). Every other resource (VPCs, clusters, load balancers, functions...) is
infrastructure outside the pipeline: one comment lists them, without findings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipec import importer
from pipec.importer import Doc, q, v
from pipec.files import read_text
from pipec.targets.aws import intrinsics
from pipec.targets.aws.intrinsics import NO_VALUE, Unresolved, scalar

_PIPELINE = "AWS::CodePipeline::Pipeline"

#: resource types pipec creates itself from a .pipe file (never listed as infrastructure)
_GENERATED = {
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile",
    "AWS::CodeBuild::Project", "AWS::CodeDeploy::Application", "AWS::CodeDeploy::DeploymentGroup",
    "AWS::CodeDeploy::DeploymentConfig", "AWS::CodeStarConnections::Connection",
    "AWS::CodeConnections::Connection", "AWS::CodePipeline::Webhook", "AWS::CodePipeline::Pipeline",
}


_COMPUTE = {"BUILD_GENERAL1_SMALL": "small", "BUILD_GENERAL1_MEDIUM": "medium",
            "BUILD_GENERAL1_LARGE": "large", "BUILD_GENERAL1_2XLARGE": "2xlarge"}
_SECRET_TYPES = {"PARAMETER_STORE": "ssm", "SECRETS_MANAGER": "secrets-manager"}
_CAPABILITIES = {"CAPABILITY_IAM": "iam", "CAPABILITY_NAMED_IAM": "named-iam",
                 "CAPABILITY_AUTO_EXPAND": "auto-expand"}
_PR_EVENTS = {"OPEN": "opened", "UPDATED": "updated", "CLOSED": "closed"}
_CONNECTION_PROVIDERS = {"GitHub": "github", "Bitbucket": "bitbucket", "GitLab": "gitlab"}
_PHASES = ("install", "pre_build", "build", "post_build")
_ECR = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")

#: configuration keys each action kind maps (others are findings)
_KNOWN_CONFIG = {
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



def _readable_cron(expr: str, canonical: str) -> str:
    """The EventBridge ``cron(...)`` as the author wrote it, in pipec's five fields (``?`` is ``*``,
    days of the week 1-7 are 0-6, the year ``*`` dropped), when that means exactly ``canonical``;
    otherwise ``canonical`` (every value spelled out)."""
    from pipec import cron

    fields = expr[len("cron("):-1].split()
    if len(fields) != 6 or fields[5] != "*":
        return canonical
    fields = ["*" if f == "?" else f for f in fields[:5]]
    fields[4] = re.sub(r"\d+", lambda m: str(int(m.group()) - 1), fields[4])
    candidate = " ".join(fields)
    try:
        return cron.normalize(candidate) if cron.canonical(candidate) == cron.canonical(canonical) else canonical
    except cron.CronError:
        return canonical

def _short(text: str, limit: int = 80) -> str:
    """``text`` on one line, at most ``limit`` characters (for tasks and comments)."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[:limit - 3] + "..."


def import_template(ctx) -> Doc | None:
    """The ``.pipe`` pipeline of the first ``AWS::CodePipeline::Pipeline`` of ``ctx.data``."""
    return _Importer(ctx).run()


# ----------------------------------------------------------------------------- patterns


_SET = re.compile(r"\[([^\]]*)\]")
_SET_BODY = re.compile(r"-?(?:[a-z]-[a-z]|[A-Z]-[A-Z]|[0-9]-[0-9]|[A-Za-z0-9_.])*")


def pattern_from_codepipeline(pattern: str) -> str | None:
    """A pipec pattern that matches exactly what the CodePipeline glob ``pattern`` matches, or
    None when there is none that pipec can write (escapes, negated sets, ``**`` inside groups,
    sets whose ranges pipec reads differently, characters pipec patterns do not hold).

    The one rewrite: CodePipeline's ``**/`` at the start of a segment needs at least one
    directory (Java's ``.*/``), pipec's also matches none; ``*/**/`` is pipec's "one or more"."""
    from pipec import patterns as P

    if not isinstance(pattern, str) or not pattern or "\\" in pattern:
        return None
    if "{" in pattern and "**" in pattern:
        return None
    for m in _SET.finditer(pattern):
        body = m.group(1)
        if body.startswith(("!", "^")) or not _SET_BODY.fullmatch(body):
            return None
        for lo, hi in re.findall(r"(?<!^)([A-Za-z0-9])-([A-Za-z0-9])", body):
            if lo > hi:
                return None
    out = re.sub(r"(?<![^/])\*\*/", "*/**/", pattern)
    if P.check_pattern(out) is not None:
        return None
    return out


# ----------------------------------------------------------------------------- the importer


class _Importer:
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

    # ------------------------------------------------------------------ entry
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
            raise importer.Unsupported("template: no importable source",
                                       "the pipeline has no source pipec can import (CodeStarSourceConnection, "
                                       "GitHub, CodeCommit or S3)", first, "Actions")
        self.triggers(props)
        for st in rest:
            self.stage(p, st, held)
        for sname, reason in held.items():
            if reason is not None:
                ctx.skip(p, "template: DisableInboundStageTransitions",
                         f"a disabled transition into stage {sname}, which is not imported", props,
                         "DisableInboundStageTransitions")
        self.infrastructure(p)
        if not any(kind == "block" and item.header.startswith("stage ") for kind, item in p.items):
            raise importer.Unsupported("template: no importable action",
                                       "no action after the source stage could be imported", props, "Stages")
        return p

    # ------------------------------------------------------------------ values
    def node(self, x, doc=None, where=None, key=None):
        """``x`` with ``Fn::If`` chosen (None for AWS::NoValue or a condition pipec cannot evaluate,
        after a finding)."""
        for _ in range(20):
            if isinstance(x, dict) and len(x) == 1:
                (k, arg), = x.items()
                if k == "Ref" and arg == "AWS::NoValue":
                    return None
                if k == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                    value = self.ev.condition(arg[0]) if isinstance(arg[0], str) else None
                    if value is None:
                        self.ctx.skip(doc, "template: Fn::If",
                                      f"a part chosen by condition {arg[0]}, which pipec cannot evaluate with the "
                                      "parameters' defaults", where if where is not None else x,
                                      key if where is not None else None)
                        return None
                    if doc is not None:
                        doc.comment(f"Condition {arg[0]} is {str(value).lower()} with the parameters' defaults: "
                                    f"the {'first' if value else 'second'} branch of its Fn::If is imported.")
                    x = arg[1] if value else arg[2]
                    continue
            return x
        return None

    def items(self, x, doc=None, where=None, key=None) -> list:
        x = self.node(x, doc, where, key)
        if x is None:
            return []
        if not isinstance(x, list):
            x = [x]
        out = []
        for i, item in enumerate(x):
            item = self.node(item, doc, x, i)
            if item is not None:
                out.append(item)
        return out

    def get(self, d, key, doc=None):
        if not isinstance(d, dict) or key not in d:
            return None
        return self.node(d[key], doc, d, key)

    def text(self, x, doc, where, key, what: str, *, required: bool = False, placeholder: str | None = None,
             check=None, task_kind: str = "resource") -> str | None:
        """``x`` as one value for ``.pipe``: comments in ``doc`` name the parameters it comes from;
        a value set at deployment is a placeholder and a task when ``required`` (or when only
        parameters without defaults are missing), a finding otherwise. ``check(value)`` says
        whether a value fits where it goes (else ``placeholder``, or a finding)."""
        self.ev.reset()
        r = self.ev.resolve(x)
        if r is None or r is NO_VALUE:
            return None
        if isinstance(r, (dict, list)):
            self.ctx.skip(doc, "template: value not text", f"{what} is not a single value", where, key)
            return None
        text = scalar(r)
        if "#{" in text:
            self.ctx.skip(doc, "template: pipeline variable reference",
                          f"{what} uses CodePipeline variables ({text}), which .pipe has no syntax for", where, key)
            return None
        for cname, value in self.ev.chosen:
            if doc is not None:
                doc.comment(f"{what}: condition {cname} is {str(value).lower()} with the parameters' defaults.")
        if self.ev.used and doc is not None:
            names = ", ".join(self.ev.used)
            doc.comment(f"{what}: the default of template parameter{'s' if len(self.ev.used) > 1 else ''} {names}.")
        if isinstance(r, Unresolved):
            only_params = all(m.startswith("parameter ") for m in r.missing)
            if not (required or only_params):
                self.ctx.skip(doc, "template: value set at deployment",
                              f"{what} is known only when the stack is deployed ({', '.join(r.missing)})",
                              where, key)
                return None
            filled = re.sub(r"\$\{([^}]+)\}", lambda m: "REPLACE-ME-" + importer.name(m.group(1), "value"), text)
            if filled == "REPLACE-ME-value" or not filled:
                filled = placeholder or "REPLACE-ME"
            if check is not None and not check(filled):
                if placeholder is None:
                    self.ctx.skip(doc, "template: value set at deployment",
                                  f"{what} is known only when the stack is deployed ({', '.join(r.missing)})",
                                  where, key)
                    return None
                filled = placeholder
            if doc is not None:
                doc.comment(f"{what}: placeholder, set at deployment by the template ({', '.join(r.missing)}).")
            self.ctx.task(task_kind, f"replace {_short(filled)} ({what}) with the real value")
            return filled
        if check is not None and not check(text):
            if placeholder is None:
                self.ctx.skip(doc, "template: unusable value", f"{what} {text!r} is not usable here", where, key)
                return None
            if doc is not None:
                doc.comment(f"{what}: {text!r} does not fit here; placeholder.")
            self.ctx.task(task_kind, f"replace {_short(placeholder)} ({what}) with the real value")
            return placeholder
        return text

    def lid_of(self, x, types) -> str | None:
        """The logical ID of the template resource (of one of ``types``) that ``x`` refers to: a Ref or
        GetAtt of it, or its name."""
        if isinstance(types, str):
            types = (types,)
        x = self.node(x)
        lid = intrinsics.referenced_id(x, sub=True)
        if isinstance(lid, str) and lid in self.resources and self.resources[lid].get("Type") in types:
            self.used_resources.add(lid)
            return lid
        name = self.ev.peek(x)
        if not isinstance(name, str) or isinstance(name, Unresolved):
            return None
        for lid, res in self.resources.items():
            if res.get("Type") not in types:
                continue
            declared = intrinsics.declared_name(self.resources, lid)
            if declared is not None and self.ev.peek(declared) == name:
                self.used_resources.add(lid)
                return lid
        return None

    def props(self, lid: str) -> dict:
        p = self.resources.get(lid, {}).get("Properties")
        return p if isinstance(p, dict) else {}

    def number(self, x, doc, where, key, what: str) -> int | None:
        t = self.text(x, doc, where, key, what)
        if t is None:
            return None
        try:
            return int(str(t).strip())
        except ValueError:
            self.ctx.skip(doc, "template: unusable value", f"{what} {t!r} is not a whole number", where, key)
            return None

    def flag(self, x, doc, where, key, what: str) -> bool | None:
        t = self.text(x, doc, where, key, what)
        if t is None:
            return None
        low = t.strip().lower()
        if low in ("true", "yes"):
            return True
        if low in ("false", "no"):
            return False
        self.ctx.skip(doc, "template: unusable value", f"{what} {t!r} is not true or false", where, key)
        return None

    # ------------------------------------------------------------------ the pipeline
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
                ctx.skip(p, "template: ArtifactStores",
                         "artifact stores in several Regions (cross-region actions); pipec keeps the artifacts "
                         "in one bucket in the pipeline's Region", props, key)
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

    # ------------------------------------------------------------------ sources
    def source_stage(self, p: Doc, st):
        if not isinstance(st, dict):
            self.ctx.error("the first stage is not a mapping", st)
            return
        for a in self.items(st.get("Actions"), p, st, "Actions"):
            if not isinstance(a, dict):
                continue
            type_id = self.get(a, "ActionTypeId") or {}
            category = self.text(type_id.get("Category"), None, type_id, "Category", "Category") \
                if isinstance(type_id, dict) else None
            if category != "Source":
                self.ctx.skip(p, "template: action in the source stage",
                              f"action {a.get('Name')!r} of the first stage is not a source action", a, "Name")
                continue
            self.source(p, a, type_id)
        for k in st:
            if k not in ("Name", "Actions"):
                self.ctx.skip(p, "template: stage property", f"property {k} of the source stage", st, k)

    def source(self, p: Doc, a, type_id):
        ctx = self.ctx
        provider = self.text(type_id.get("Provider"), None, type_id, "Provider", "Provider") or "?"
        owner = self.text(type_id.get("Owner"), None, type_id, "Owner", "Owner") or "AWS"
        aname = self.text(a.get("Name"), None, a, "Name", "an action name") or "source"
        outputs = [o.get("Name") for o in self.items(a.get("OutputArtifacts")) if isinstance(o, dict)]
        art = outputs[0] if outputs and isinstance(outputs[0], str) else aname
        cfg = self.get(a, "Configuration") or {}
        if not isinstance(cfg, dict):
            cfg = {}
        kind = {("AWS", "CodeStarSourceConnection"): "connection", ("ThirdParty", "GitHub"): "github1",
                ("AWS", "CodeCommit"): "codecommit", ("AWS", "S3"): "s3"}.get((owner, provider))
        if kind is None:
            ctx.skip(p, "template: source provider" if provider != "ECR" else "template: ECR source",
                     f"source action {aname} ({owner}/{provider}): pipec sources are Git repositories and S3 "
                     "objects", a, "ActionTypeId")
            return
        name = importer.unique(importer.name(art, "source"), self.action_names)
        self.artifact_names.add(name.lower())
        block = Doc(f"source {name}")
        known = _KNOWN_CONFIG[{"connection": "CodeStarSourceConnection", "github1": "GitHub",
                               "codecommit": "CodeCommit", "s3": "S3"}[kind]]
        if kind == "connection":
            header = self.connection_source(block, a, cfg, name)
        elif kind == "github1":
            header = self.github_v1_source(block, a, cfg, aname)
        elif kind == "codecommit":
            header = self.codecommit_source(block, a, cfg)
        else:
            header = self.s3_source(block, a, cfg)
        if header is None:
            self.action_names.discard(name.lower())
            self.artifact_names.discard(name.lower())
            for kind_, item in block.items:
                if kind_ == "comment":
                    p.comment(item)
            return
        for k in cfg:
            if k not in known:
                ctx.skip(block, "template: action configuration", f"source {aname}: configuration {k}", cfg, k)
        self.action_extras(block, a, aname, source=True)
        provider_word, location = header
        block.header = f"source {name} {provider_word} {v(location)}"
        p.items.append(("block", block))
        self.sources[name] = (provider_word, block, a)
        self.source_order.append(name)
        self.source_actions[aname] = name
        if isinstance(art, str):
            self.artifacts[art] = name
            ctx.mapping["sources"][art] = name
        for extra in outputs[1:]:
            ctx.skip(block, "template: extra output artifact", f"source {aname}: a second output artifact {extra}",
                     a, "OutputArtifacts")

    def connection_source(self, block: Doc, a, cfg, name):
        conn = self.get(cfg, "ConnectionArn", block)
        provider = "github"
        lid = self.lid_of(conn, ("AWS::CodeStarConnections::Connection", "AWS::CodeConnections::Connection")) \
            if conn is not None else None
        if lid is not None:
            ptype = self.text(self.props(lid).get("ProviderType"), block, self.props(lid), "ProviderType",
                              "the connection's provider") or "GitHub"
            if ptype not in _CONNECTION_PROVIDERS:
                self.ctx.skip(None, "template: connection provider",
                              f"connection {lid} is for {ptype}, which pipec sources do not support",
                              self.props(lid), "ProviderType")
                block.comment(f"not converted: a connection to {ptype}")
                return None
            provider = _CONNECTION_PROVIDERS[ptype]
            block.comment(f"The template creates connection {lid}: pipec creates its own connection, which must be "
                          "authorised once in the console.")
            self.ctx.task("connection", f"authorise the connection of source {name} in the CodePipeline console "
                                        "(Settings > Connections)")
        repo = self.text(self.get(cfg, "FullRepositoryId"), block, cfg, "FullRepositoryId", "the repository",
                         required=True, placeholder=self.ctx.repository or "OWNER/REPO",
                         check=lambda s: re.fullmatch(r"[^/\s]+/[^\s]+", s) is not None, task_kind="repository")
        if repo is None:
            repo = self.ctx.repository or "OWNER/REPO"
            self.ctx.task("repository", f"set the repository of source {name}")
        if lid is None and conn is not None:
            arn = self.text(conn, block, cfg, "ConnectionArn", "the connection ARN",
                            check=lambda s: s.startswith("arn:"))
            if arn is not None and "REPLACE-ME" not in arn:
                block.stmt("connection", "arn", q(arn))
                block.comment("The provider of an existing connection is not in the template: github assumed.")
                self.ctx.task("connection", f"check that the connection of source {name} is a GitHub connection "
                                            "(otherwise write bitbucket or gitlab)")
            else:
                block.comment("The connection's ARN is known only at deployment: pipec creates a connection "
                              "(github assumed).")
                self.ctx.task("connection", f"authorise the connection of source {name} in the CodePipeline console")
        branch = self.text(self.get(cfg, "BranchName"), block, cfg, "BranchName", "the branch", required=True,
                           placeholder="main", task_kind="repository")
        if branch:
            block.stmt("branch", v(branch))
        fmt = self.text(self.get(cfg, "OutputArtifactFormat"), block, cfg, "OutputArtifactFormat",
                        "OutputArtifactFormat")
        if fmt == "CODEBUILD_CLONE_REF":
            block.stmt("clone", "full")
        elif fmt not in (None, "CODE_ZIP"):
            self.ctx.skip(block, "template: OutputArtifactFormat", f"OutputArtifactFormat {fmt}", cfg,
                          "OutputArtifactFormat")
        detect = self.flag(self.get(cfg, "DetectChanges"), block, cfg, "DetectChanges", "DetectChanges") \
            if "DetectChanges" in cfg else True
        block.detect = detect is not False
        return provider, repo

    def github_v1_source(self, block: Doc, a, cfg, aname):
        owner = self.text(self.get(cfg, "Owner"), block, cfg, "Owner", "the repository owner", required=True,
                          placeholder="OWNER", task_kind="repository")
        repo = self.text(self.get(cfg, "Repo"), block, cfg, "Repo", "the repository", required=True,
                         placeholder="REPO", task_kind="repository")
        location = f"{owner or 'OWNER'}/{repo or 'REPO'}"
        if not re.fullmatch(r"[^/\s]+/[^/\s]+", location):
            location = self.ctx.repository or "OWNER/REPO"
            block.comment(f"Placeholder: the template's repository {location!r} is not owner/name.")
            self.ctx.task("repository", f"set the repository of source {aname}")
        branch = self.text(self.get(cfg, "Branch"), block, cfg, "Branch", "the branch", required=True,
                           placeholder="main", task_kind="repository")
        self.ctx.skip(block, "template: GitHub OAuth source",
                      f"source {aname} uses GitHub version 1 (an OAuth token); pipec uses a CodeConnections "
                      "connection instead, and the token is not converted", cfg, "OAuthToken" if "OAuthToken" in cfg
                      else None)
        self.ctx.task("connection", f"create and authorise a GitHub connection for source {aname} (it replaces the "
                                    "OAuth token)")
        if branch:
            block.stmt("branch", v(branch))
        poll = self.flag(self.get(cfg, "PollForSourceChanges"), block, cfg, "PollForSourceChanges",
                         "PollForSourceChanges") if "PollForSourceChanges" in cfg else True
        webhook = any(r.get("Type") == "AWS::CodePipeline::Webhook" for r in self.resources.values())
        block.detect = poll is not False or webhook
        if poll is False and webhook:
            block.comment("Started by the template's webhook: pipec starts it on pushes.")
        return "github", location

    def _rule_for(self, source: str) -> bool:
        for res in self.resources.values():
            if res.get("Type") != "AWS::Events::Rule":
                continue
            pattern = (res.get("Properties") or {}).get("EventPattern") if isinstance(res.get("Properties"),
                                                                                      dict) else None
            if source in json.dumps(pattern, default=str):
                return True
        return False

    def codecommit_source(self, block: Doc, a, cfg):
        repo = self.text(self.get(cfg, "RepositoryName"), block, cfg, "RepositoryName", "the repository",
                         required=True, placeholder="REPLACE-ME-repository", task_kind="repository")
        if repo is None:
            return None
        if self.lid_of(self.get(cfg, "RepositoryName"), "AWS::CodeCommit::Repository"):
            block.comment("The template creates this CodeCommit repository (infrastructure, not imported).")
        branch = self.text(self.get(cfg, "BranchName"), block, cfg, "BranchName", "the branch", required=True,
                           placeholder="main", task_kind="repository")
        if branch:
            block.stmt("branch", v(branch))
        fmt = self.text(self.get(cfg, "OutputArtifactFormat"), block, cfg, "OutputArtifactFormat",
                        "OutputArtifactFormat")
        if fmt == "CODEBUILD_CLONE_REF":
            self.ctx.skip(block, "template: CodeCommit full clone",
                          "OutputArtifactFormat CODEBUILD_CLONE_REF (a full clone) of a CodeCommit source; pipec "
                          "gives CodeCommit sources as a copy of the files", cfg, "OutputArtifactFormat")
        poll = self.flag(self.get(cfg, "PollForSourceChanges"), block, cfg, "PollForSourceChanges",
                         "PollForSourceChanges") if "PollForSourceChanges" in cfg else True
        block.detect = poll is not False or self._rule_for("aws.codecommit")
        return "codecommit", repo

    def s3_source(self, block: Doc, a, cfg):
        bucket = self.text(self.get(cfg, "S3Bucket"), block, cfg, "S3Bucket", "the source bucket", required=True,
                           placeholder="REPLACE-ME-bucket")
        key = self.text(self.get(cfg, "S3ObjectKey"), block, cfg, "S3ObjectKey", "the object key", required=True,
                        placeholder="REPLACE-ME-key.zip")
        if bucket is None or key is None:
            return None
        block.stmt("key", v(key))
        poll = self.flag(self.get(cfg, "PollForSourceChanges"), block, cfg, "PollForSourceChanges",
                         "PollForSourceChanges") if "PollForSourceChanges" in cfg else True
        block.detect = poll is not False or self._rule_for("aws.s3")
        return "s3", bucket

    # ------------------------------------------------------------------ triggers
    def triggers(self, props):
        triggered: set[str] = set()
        for i, t in enumerate(self.items(props.get("Triggers"), self.doc, props, "Triggers")):
            if not isinstance(t, dict):
                continue
            ptype = self.text(t.get("ProviderType"), None, t, "ProviderType", "ProviderType") \
                or "CodeStarSourceConnection"
            git = self.get(t, "GitConfiguration")
            if ptype != "CodeStarSourceConnection" or not isinstance(git, dict):
                self.ctx.skip(self.doc, "template: trigger", f"a trigger of type {ptype}", t, "ProviderType")
                continue
            src_action = self.text(git.get("SourceActionName"), None, git, "SourceActionName", "SourceActionName")
            src = self.source_actions.get(src_action or "")
            if src is None or self.sources[src][0] not in _CONNECTION_PROVIDERS.values():
                self.ctx.skip(self.doc, "template: trigger",
                              f"a trigger for source action {src_action!r}, which is not an imported connection "
                              "source", git, "SourceActionName")
                continue
            block = self.sources[src][1]
            lines = []
            for push in self.items(git.get("Push"), block, git, "Push"):
                line = self.push_trigger(block, push) if isinstance(push, dict) else None
                if line:
                    lines.append(line)
            for pr in self.items(git.get("PullRequest"), block, git, "PullRequest"):
                line = self.pr_trigger(block, pr) if isinstance(pr, dict) else None
                if line:
                    lines.append(line)
            for k in git:
                if k not in ("SourceActionName", "Push", "PullRequest"):
                    self.ctx.skip(block, "template: trigger", f"GitConfiguration.{k}", git, k)
            if lines:
                triggered.add(src)
                for line in lines:
                    block.stmt(line)
            else:
                # a trigger declaration without usable filters: nothing starts the pipeline by itself
                block.stmt("on", "manual")
                triggered.add(src)
        for name in self.source_order:
            if name in triggered:
                continue
            block = self.sources[name][1]
            if getattr(block, "detect", True) is False:
                block.comment("Change detection is off in the template: runs start by hand.")
                block.stmt("on", "manual")

    def filter_words(self, block: Doc, crit, word: str) -> list[str] | None:
        """``word`` and its patterns for a CodePipeline filter ``crit``; [] for none; None after a finding."""
        if crit is None:
            return []
        if not isinstance(crit, dict):
            self.ctx.skip(block, "template: trigger filter", f"a {word} filter that is not a mapping", crit)
            return None
        out = []
        for key, neg in (("Includes", ""), ("Excludes", "!")):
            for pat in self.items(crit.get(key), block, crit, key):
                text = self.text(pat, block, crit, key, f"a {word} pattern")
                if text is None:
                    return None
                conv = pattern_from_codepipeline(text)
                if conv is None:
                    self.ctx.skip(block, "template: trigger pattern",
                                  f"the {word} pattern {text!r} has no pipec pattern of the same meaning", crit, key)
                    return None
                if conv != text:
                    block.comment(f"Pattern {text!r} written as {conv!r}: CodePipeline's '**/' needs at least one "
                                  "directory, pipec's does not.")
                out.append(neg + q(conv))
        for k in crit:
            if k not in ("Includes", "Excludes"):
                self.ctx.skip(block, "template: trigger filter", f"filter key {k}", crit, k)
        if not out:
            return []
        if not any(not w.startswith("!") for w in out):
            self.ctx.skip(block, "template: trigger filter without includes",
                          f"a {word} filter with only excludes (CodePipeline needs includes; pipec reads it as "
                          "'everything except')", crit)
        return [word, *out]

    def push_trigger(self, block: Doc, push) -> str | None:
        words = ["on", "push"]
        if push.get("Tags") is not None and (push.get("Branches") is not None or push.get("FilePaths") is not None):
            self.ctx.skip(block, "template: trigger filter", "a push filter on tags with branches or file paths",
                          push)
            return None
        for key, word in (("Branches", "branches"), ("FilePaths", "paths"), ("Tags", "tags")):
            got = self.filter_words(block, self.get(push, key, block), word)
            if got is None:
                return None
            words += got
        for k in push:
            if k not in ("Branches", "FilePaths", "Tags"):
                self.ctx.skip(block, "template: trigger filter", f"push filter key {k}", push, k)
        return " ".join(words)

    def pr_trigger(self, block: Doc, pr) -> str | None:
        words = ["on", "pull_request"]
        events = self.items(pr.get("Events"), block, pr, "Events") if "Events" in pr else list(_PR_EVENTS)
        names = []
        for e in events:
            t = self.text(e, block, pr, "Events", "a pull request event")
            if t not in _PR_EVENTS:
                self.ctx.skip(block, "template: trigger filter", f"pull request event {t!r}", pr, "Events")
                return None
            if _PR_EVENTS[t] not in names:
                names.append(_PR_EVENTS[t])
        words += sorted(names, key=["opened", "updated", "closed"].index)
        for key, word in (("Branches", "into"), ("FilePaths", "paths")):
            got = self.filter_words(block, self.get(pr, key, block), word)
            if got is None:
                return None
            words += got
        for k in pr:
            if k not in ("Branches", "FilePaths", "Events"):
                self.ctx.skip(block, "template: trigger filter", f"pull request filter key {k}", pr, k)
        return " ".join(words)

    # ------------------------------------------------------------------ stages
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

    def register(self, a, stage_raw, stage_name, pipe_name):
        raw = a.get("Name") if isinstance(a.get("Name"), str) else pipe_name
        self.ctx.mapping["actions"][f"{stage_raw}/{raw}"] = f"{stage_name}/{pipe_name}"

    def check_config(self, block: Doc, a, cfg, known_key: str, raw: str):
        for k in cfg:
            if k not in _KNOWN_CONFIG[known_key]:
                self.ctx.skip(block, "template: action configuration", f"action {raw}: configuration {k}", cfg, k)

    def action_extras(self, block: Doc, a, raw: str, *, source=False, timeout_ok=False):
        """Findings for action keys that change behaviour (Region, RoleArn, Namespace used, ...)."""
        for k in a:
            if k not in _ACTION_KEYS:
                self.ctx.skip(block, "template: action property", f"action {raw}: {k}", a, k)
        if "Region" in a:
            self.ctx.skip(block, "template: action Region",
                          f"action {raw} runs in another Region ({self.ev.resolve(a.get('Region'))}); pipec runs every "
                          "action in the pipeline's Region", a, "Region")
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
                self.ctx.skip(block, "template: input artifact not imported",
                              f"action {raw} reads artifact {name}, which no imported action produces before it",
                              a, "InputArtifacts")
                continue
            if pipe not in out:
                out.append(pipe)
        return out

    def new_artifact(self, name: str) -> str:
        return importer.unique(importer.name(name, "artifact"), self.artifact_names)

    # ------------------------------------------------------------------ CodeBuild
    def codebuild(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        raw, name = self.action_name(a)
        word = "test" if category == "Test" else "build"
        b = parent.block(f"{word} {name}")
        self.register(a, stage_raw, stage_name, name)
        self.check_config(b, a, cfg, "CodeBuild", raw)
        self.action_extras(b, a, raw)
        inputs = self.inputs(b, a, raw)
        primary = self.text(self.get(cfg, "PrimarySource"), b, cfg, "PrimarySource", "PrimarySource")
        if primary and self.artifacts.get(primary) in inputs:
            inputs.remove(self.artifacts[primary])
            inputs.insert(0, self.artifacts[primary])
        if len(inputs) > 5:
            ctx.skip(b, "template: too many inputs", f"action {raw} reads {len(inputs)} artifacts; .pipe builds "
                     "read at most 5", a, "InputArtifacts")
            inputs = inputs[:5]
        if inputs:
            b.stmt("from", *inputs)
        outs_cp = [o.get("Name") for o in self.items(a.get("OutputArtifacts"))
                   if isinstance(o, dict) and isinstance(o.get("Name"), str)]
        outs = {o: self.new_artifact(o) for o in outs_cp}
        project = self.get(cfg, "ProjectName", b)
        lid = self.lid_of(project, "AWS::CodeBuild::Project") if project is not None else None
        spec_data, spec_path = None, None
        if lid is None:
            pname = self.ev.resolve(project)
            ctx.skip(b, "template: CodeBuild project not in the template",
                     f"action {raw} runs CodeBuild project {pname!s}, which the template does not define; its "
                     "settings and buildspec are unknown", cfg, "ProjectName")
            spec_path = "buildspec.yml"
        else:
            spec_data, spec_path = self.project(b, lid, raw)
        written: list[str] = []
        if spec_data is not None:
            written, spec_data = self.fill_build(b, spec_data, list(outs.values()), raw, a)
        self.project_env(b, lid, cfg, raw)
        if not self._has_phase(b):
            if spec_data is not None:
                ctx.skip(b, "template: buildspec without commands",
                         f"the buildspec of action {raw} gives no command pipec could import", a, "Name")
            path = spec_path or "buildspec.yml"
            b.comment("Placeholder: this build fails until its buildspec is imported.")
            b.stmt("build", q(f'echo "buildspec {path} was not imported: run pipec import '
                              f'{self.file.name} {path}" && exit 1'))
        made = []
        for cp_name, pipe in outs.items():
            if pipe in written:
                made.append((cp_name, pipe))
            elif spec_data is None or not self._has_artifact(b, pipe):
                if spec_data is not None:
                    ctx.skip(b, "template: output artifact not in the buildspec",
                             f"action {raw} declares output artifact {cp_name}, which its buildspec does not "
                             "produce", a, "OutputArtifacts")
                b.stmt("artifact", pipe, "files", q("**/*"))
                made.append((cp_name, pipe))
            else:
                made.append((cp_name, pipe))
        return made

    def fill_build(self, b: Doc, data, names: list[str], raw: str, a):
        """spec_import.build_body into ``b``, its errors turned into findings (a buildspec is one part of
        the template): (artifact names written, data or None when nothing could be imported)."""
        from pipec.targets.aws import spec_imports as spec_import

        ctx = self.ctx
        base = self.spec_base
        orig_skip, orig_error = ctx.skip, ctx.error
        errors: list[tuple] = []

        def shifted(where, key):
            pos = importer.pos_of(where, key) if where is not None else None
            if base is None:
                return where, key
            fake = importer.YDict()
            fake.kpos, fake.vpos = {}, {}
            if base[0] == "block" and pos is not None:
                fake.pos = (base[1] + pos[0], pos[1] + base[2])
            else:
                fake.pos = base[1]
            return fake, None

        def skip(doc, construct, message, where=None, key=None, hint=""):
            w, k = shifted(where, key)
            return orig_skip(doc, construct, message, w, k, hint)

        def error(message, where=None, key=None, hint="", code="E602"):
            errors.append((message, where, key))

        def run(arts):
            errors.clear()
            before = list(b.items)
            ctx.skip, ctx.error = skip, error
            try:
                out = list(spec_import.build_body(ctx, b, data, arts) or [])
            finally:
                ctx.skip, ctx.error = orig_skip, orig_error
            if errors:
                b.items[:] = before
            return out

        if names and isinstance(data, dict) and "artifacts" not in data:
            written = run(None)
        else:
            written = run(names or None)
            if errors and names:
                written = run(None)
        if errors:
            for message, where, key in errors[:1]:
                w, k = shifted(where, key)
                orig_skip(b, "template: buildspec not valid", f"the buildspec of action {raw}: {message}", w, k)
            return [], None
        if names and not set(written) <= set(names):
            b.items[:] = [(kind, item) for kind, item in b.items
                          if not (kind == "stmt" and item.startswith("artifact ") and
                                  item.split(" ", 2)[1] in written)]
            written = []
        return [w for w in written if w in names], data

    @staticmethod
    def _has_phase(b: Doc) -> bool:
        for kind, item in b.items:
            if kind == "stmt" and item.split(" ", 1)[0] in _PHASES:
                return True
            if kind == "block" and item.header.split(" ", 1)[0] in _PHASES:
                return True
        return False

    @staticmethod
    def _has_artifact(b: Doc, name: str) -> bool:
        return any(kind == "stmt" and item.startswith(f"artifact {name} ") for kind, item in b.items)

    def project(self, b: Doc, lid: str, raw: str):
        """Writes the project's environment; returns (buildspec data or None, buildspec path or None)."""
        ctx = self.ctx
        props = self.props(lid)
        env = self.get(props, "Environment", b)
        if isinstance(env, dict):
            self.environment(b, env, lid)
        timeout = self.number(self.get(props, "TimeoutInMinutes"), b, props, "TimeoutInMinutes",
                              "the build timeout") if "TimeoutInMinutes" in props else None
        if timeout is not None:
            if 5 <= timeout <= 2160:
                b.stmt("timeout", f"{timeout}m")
            else:
                ctx.skip(b, "template: build timeout", f"project {lid}: TimeoutInMinutes {timeout} is outside "
                         "5 minutes to 36 hours", props, "TimeoutInMinutes")
        aws_lines = []
        queued = self.number(self.get(props, "QueuedTimeoutInMinutes"), b, props, "QueuedTimeoutInMinutes",
                             "the queued timeout") if "QueuedTimeoutInMinutes" in props else None
        if queued is not None:
            if 5 <= queued <= 480:
                aws_lines.append(f"queued_timeout {queued}m")
            else:
                ctx.skip(b, "template: build timeout", f"project {lid}: QueuedTimeoutInMinutes {queued}", props,
                         "QueuedTimeoutInMinutes")
        role = self.get(props, "ServiceRole")
        if role is not None and not self.lid_of(role, "AWS::IAM::Role"):
            r = self.text(role, b, props, "ServiceRole", "the build role")
            if r and r.startswith("arn:"):
                aws_lines.append(f"role {q(r)}")
            elif r:
                b.comment(f"The build role {r} is named, not given by ARN: pipec creates the build's role.")
        ignored = {"Name", "Description", "Tags", "LogsConfig", "ServiceRole", "Environment", "TimeoutInMinutes",
                   "QueuedTimeoutInMinutes", "Source", "Artifacts", "EncryptionKey", "BadgeEnabled",
                   "Visibility", "ResourceAccessRole", "ConcurrentBuildLimit"}
        for k in props:
            if k == "Cache":
                cache = self.get(props, "Cache")
                ctype = self.ev.resolve(cache.get("Type")) if isinstance(cache, dict) else None
                if ctype == "S3":
                    aws_lines.append("cache s3")
                elif ctype not in (None, "NO_CACHE", "LOCAL"):
                    ctx.skip(b, "template: CodeBuild project property", f"project {lid}: Cache type {ctype}",
                             props, k)
            elif k == "EncryptionKey":
                b.comment(f"Project {lid}'s EncryptionKey: pipec's builds use the artifact store's key.")
            elif k not in ignored:
                ctx.skip(b, "template: CodeBuild project property", f"project {lid}: {k}", props, k)
        if aws_lines:
            blk = b.block("aws")
            for line in aws_lines:
                blk.stmt(line)
        return self.buildspec(b, lid, props, raw)

    def environment(self, b: Doc, env, lid: str):
        ctx = self.ctx
        image = self.text(self.get(env, "Image"), b, env, "Image", "the build image", required=True,
                          placeholder="aws/codebuild/standard:7.0")
        if image:
            m = re.fullmatch(r"aws/codebuild/standard:(\d+\.\d+)", image)
            m2 = re.fullmatch(r"aws/codebuild/amazonlinux-x86_64-standard:(\d+\.\d+)", image)
            if image == "aws/codebuild/standard:7.0":
                b.stmt("image", "ubuntu")
            elif m:
                b.stmt("image", "ubuntu", v(m.group(1)))
            elif image == "aws/codebuild/amazonlinux-x86_64-standard:5.0":
                b.stmt("image", "amazonlinux")
            elif m2:
                b.stmt("image", "amazonlinux", v(m2.group(1)))
            elif image.startswith("aws/codebuild/"):
                b.stmt("image", "codebuild", q(image))
            elif _ECR.match(image) or ".dkr.ecr." in image:
                b.stmt("image", "ecr", q(image))
            else:
                b.stmt("image", "docker", q(image))
        ctype = self.text(self.get(env, "Type"), b, env, "Type", "the environment type")
        if ctype not in (None, "LINUX_CONTAINER"):
            ctx.skip(b, "template: CodeBuild environment type",
                     f"project {lid}: environment type {ctype}; pipec builds run in LINUX_CONTAINER", env, "Type")
        compute = self.text(self.get(env, "ComputeType"), b, env, "ComputeType", "the compute type")
        if compute in _COMPUTE:
            if compute != "BUILD_GENERAL1_SMALL":
                b.stmt("compute", _COMPUTE[compute])
        elif compute is not None:
            ctx.skip(b, "template: CodeBuild compute type", f"project {lid}: compute type {compute}", env,
                     "ComputeType")
        if self.flag(self.get(env, "PrivilegedMode"), b, env, "PrivilegedMode", "PrivilegedMode"):
            b.stmt("privileged")
        for k in env:
            if k in ("Image", "Type", "ComputeType", "PrivilegedMode", "EnvironmentVariables"):
                continue
            if k == "ImagePullCredentialsType":
                continue  # pipec picks SERVICE_ROLE for ECR images, CodeBuild's own otherwise
            ctx.skip(b, "template: CodeBuild environment", f"project {lid}: Environment.{k}", env, k)

    def project_env(self, b: Doc, lid, cfg, raw):
        """Project variables, then the action's (each overriding what comes before, as in CodeBuild)."""
        if lid is not None:
            env = self.get(self.props(lid), "Environment")
            if isinstance(env, dict):
                for var in self.items(env.get("EnvironmentVariables"), b, env, "EnvironmentVariables"):
                    if isinstance(var, dict):
                        self.env_var(b, var, var.get("Name"), var.get("Value"), var.get("Type"), var, "Name")
        raw_env = self.get(cfg, "EnvironmentVariables")
        if raw_env is None:
            return
        text = self.text(raw_env, b, cfg, "EnvironmentVariables", f"the variables of action {raw}")
        if text is None:
            return
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            self.ctx.skip(b, "template: action variables JSON", f"action {raw}: EnvironmentVariables is not JSON",
                          cfg, "EnvironmentVariables")
            return
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                self.env_var(b, cfg, item.get("name"), item.get("value"), item.get("type"), cfg,
                             "EnvironmentVariables", resolved=True)

    def env_var(self, b: Doc, container, name, value, type_, where, key, resolved=False):
        ctx = self.ctx
        if resolved:
            vname, vval, vtype = name, value, type_ or "PLAINTEXT"
            if isinstance(vval, str) and "#{" in vval:
                m = re.fullmatch(r"#\{variables\.([A-Za-z0-9_\-]+)\}", vval)
                if m and m.group(1) == vname:
                    return  # pipec passes every pipeline variable to CodeBuild actions under its own name
                ctx.skip(b, "template: pipeline variable reference",
                         f"variable {vname} is set from CodePipeline variables ({vval})", where, key)
                return
        else:
            vname = self.text(name, None, container, "Name", "a variable name")
            vval = self.text(value, b, container, "Value", f"the value of {vname}", required=True)
            vtype = self.text(type_, None, container, "Type", "a variable type") or "PLAINTEXT"
        if not isinstance(vname, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", vname):
            ctx.skip(b, "template: environment variable", f"variable name {vname!r} cannot be written in .pipe",
                     where, key)
            return
        vval = "" if vval is None else str(vval)
        if vtype == "PLAINTEXT":
            stmt = f"env {vname} = {q(vval)}"
        elif vtype in _SECRET_TYPES:
            if not vval:
                ctx.skip(b, "template: environment variable", f"secret {vname} has no reference", where, key)
                return
            stmt = f"secret {vname} from {_SECRET_TYPES[vtype]} {q(vval)}"
        else:
            ctx.skip(b, "template: environment variable", f"variable {vname} of type {vtype}", where, key)
            return
        rx = re.compile(rf"^(env|secret) {re.escape(vname)}( |=)")
        for i, (kind, item) in enumerate(b.items):
            if kind == "stmt" and rx.match(item):
                b.items[i] = ("stmt", stmt)
                return
        b.stmt(stmt)

    def buildspec(self, b: Doc, lid: str, props, raw: str):
        """(data, path) of the project's buildspec: inline, a companion, or a file next to the template."""
        ctx = self.ctx
        source = self.get(props, "Source") or {}
        if not isinstance(source, dict):
            source = {}
        stype = self.text(self.get(source, "Type"), None, source, "Type", "Source.Type") or "CODEPIPELINE"
        if stype != "CODEPIPELINE":
            ctx.skip(b, "template: CodeBuild source type", f"project {lid}: Source.Type {stype} (a pipeline's "
                     "CodeBuild project reads the pipeline's artifacts)", source, "Type")
        for k in source:
            if k not in ("Type", "BuildSpec"):
                ctx.skip(b, "template: CodeBuild project property", f"project {lid}: Source.{k}", source, k)
        spec = self.get(source, "BuildSpec")
        self.spec_base = self.inline_base(source)
        if spec is None:
            return self.buildspec_file(b, "buildspec.yml", source, "Type" if "Type" in source else None)
        self.ev.reset()
        text = self.ev.resolve(spec)
        if isinstance(text, (dict, list)):
            # a buildspec written as a mapping: the template's own structure
            return text, None
        if not isinstance(text, str):
            ctx.skip(b, "template: buildspec", f"project {lid}: BuildSpec is not text", source, "BuildSpec")
            return None, None
        if "\n" not in text and not text.lstrip().startswith(("version", "{")):
            if isinstance(text, Unresolved):
                ctx.skip(b, "template: value set at deployment",
                         f"project {lid}: the buildspec path is known only at deployment ({', '.join(text.missing)})",
                         source, "BuildSpec")
                return None, text
            if self.ev.used:
                b.comment(f"Buildspec path: the default of template parameter {', '.join(self.ev.used)}.")
            return self.buildspec_file(b, text, source, "BuildSpec")
        if isinstance(text, Unresolved):
            text = self.fill_buildspec(b, text, lid)
        elif self.ev.used:
            b.comment(f"The inline buildspec uses the defaults of template parameters {', '.join(self.ev.used)}.")
        try:
            data = importer.load(text, ctx.file)
        except importer.InputError as exc:
            ctx.skip(b, "template: buildspec not valid", f"project {lid}: the inline buildspec cannot be read "
                     f"({exc.diagnostic.message})", source, "BuildSpec")
            return None, None
        if not isinstance(data, dict):
            ctx.skip(b, "template: buildspec not valid", f"project {lid}: the inline buildspec is not a mapping",
                     source, "BuildSpec")
            return None, None
        return data, None

    def inline_base(self, source):
        """Where an inline buildspec's lines are in the template: ("block", line before its first line,
        indentation) for a YAML block scalar, ("key", position of BuildSpec) otherwise, None without
        positions."""
        if not isinstance(source, importer.YDict) or "BuildSpec" not in source:
            return None
        vp, kp = source.vpos.get("BuildSpec"), source.kpos.get("BuildSpec")
        if not vp or not kp:
            return None
        lines = (self.ctx.text or "").splitlines()
        try:
            rest = lines[vp[0] - 1][vp[1] - 1:]
        except IndexError:
            return ("key", kp)
        if re.match(r"(![A-Za-z]+\s+)?[|>][-+0-9]*\s*(#.*)?$", rest):
            nxt = next((ln for ln in lines[vp[0]:] if ln.strip()), "")
            return ("block", vp[0], len(nxt) - len(nxt.lstrip()))
        return ("key", kp)

    def fill_buildspec(self, b: Doc, text: Unresolved, lid: str) -> str:
        """An inline buildspec with deployment values: the Region becomes CodeBuild's own variable, others
        placeholders (tasks)."""
        def one(m):
            name = m.group(1)
            if name == "AWS::Region":
                return "${AWS_DEFAULT_REGION}"
            return "REPLACE-ME-" + importer.name(name, "value")

        filled = re.sub(r"\$\{([^}]+)\}", one, text)
        b.comment(f"Project {lid}'s inline buildspec holds values set at deployment: AWS::Region is read from "
                  "$AWS_DEFAULT_REGION, others are REPLACE-ME placeholders.")
        for name in sorted(set(re.findall(r"\$\{([^}]+)\}", text)) - {"AWS::Region"}):
            self.ctx.task("variable", f"replace REPLACE-ME-{importer.name(name, 'value')} in build commands "
                                      f"(the template's ${{{name}}})")
        return filled

    def find_companion(self, path: str, kind: str):
        """(key, text, data) of the companion of ``kind`` at ``path`` (relative path, then file name)."""
        want = path.replace("\\", "/").lstrip("./")
        base = want.rsplit("/", 1)[-1]
        found: dict[int, tuple] = {}
        for key, value in (self.ctx.companions or {}).items():
            try:
                text, data, ckind = value
            except (TypeError, ValueError):
                continue
            if ckind != kind:
                continue
            k = str(key).replace("\\", "/").lstrip("./")
            rank = 0 if k == want else 1 if k.endswith("/" + want) else 2 if k.rsplit("/", 1)[-1] == base else None
            if rank is not None and rank not in found:
                found[rank] = (key, text, data)
        return found[min(found)] if found else None

    def buildspec_file(self, b: Doc, path: str, where, key):
        ctx = self.ctx
        self.spec_base = None
        found = self.find_companion(path, "buildspec")
        if found is not None:
            ckey, _text, data = found
            ctx.used_companions.add(ckey)
            b.comment(f"Buildspec {path}: imported from {Path(str(ckey)).name}.")
            return data, path
        local = self.file.parent / path
        try:
            if local.is_file() and local.resolve() != self.file.resolve():
                text = read_text(str(local))
                data = importer.load(text, str(local))
                if isinstance(data, dict):
                    ctx.used_companions.add(str(local))
                    b.comment(f"Buildspec {path}: imported from next to the template.")
                    return data, path
        except (OSError, importer.InputError):
            pass
        ctx.skip(b, "template: buildspec not given",
                 f"the buildspec {path} is in the repository, not in the template; give it with the template "
                 f"(pipec import {self.file.name} {path})", where, key)
        ctx.task("resource", f"import the buildspec {path}: pipec import {self.file.name} {path}")
        return None, path

    # ------------------------------------------------------------------ CodeDeploy
    def deployment_group(self, parent: Doc, cfg, raw):
        group = self.get(cfg, "DeploymentGroupName")
        lid = self.lid_of(group, "AWS::CodeDeploy::DeploymentGroup") if group is not None else None
        if lid is None:
            self.ctx.skip(parent, "template: CodeDeploy group not in the template",
                          f"action {raw} deploys with deployment group {self.ev.resolve(group)!s}, which the template "
                          "does not define; its targets and strategy are unknown", cfg, "DeploymentGroupName")
            return None, None
        app = self.lid_of(self.get(self.props(lid), "ApplicationName"), "AWS::CodeDeploy::Application")
        if app is None:
            app = self.lid_of(self.get(cfg, "ApplicationName"), "AWS::CodeDeploy::Application")
        platform = None
        if app is not None:
            cp = self.ev.resolve(self.props(app).get("ComputePlatform")) or "Server"
            platform = {"Server": "ec2", "ECS": "ecs", "Lambda": "lambda"}.get(str(cp))
        return lid, platform

    def appspec(self, block: Doc, path: str | None, platform: str, where, key):
        """The appspec data for a deployment (a companion or a file next to the template), or None."""
        from pipec.targets.aws import spec_imports as spec_import

        ctx = self.ctx
        if path:
            found = self.find_companion(path, "appspec")
            if found is not None:
                ctx.used_companions.add(found[0])
                block.comment(f"Appspec: imported from {Path(str(found[0])).name}.")
                return found[2]
        candidates = []
        for ckey, value in (ctx.companions or {}).items():
            try:
                _text, data, ckind = value
            except (TypeError, ValueError):
                continue
            if ckind == "appspec":
                try:
                    plat = spec_import.appspec_platform(data)
                except Exception:  # noqa: BLE001 - a helper's bug must not crash the import
                    plat = None
                if plat in (None, platform):
                    candidates.append((ckey, data))
        if len(candidates) > 1:
            named = [c for c in candidates if Path(str(c[0])).name in ("appspec.yml", "appspec.yaml",
                                                                       "appspec.json")]
            candidates = named if len(named) == 1 else candidates
        if len(candidates) == 1:
            ckey, data = candidates[0]
            ctx.used_companions.add(ckey)
            block.comment(f"Appspec: imported from {Path(str(ckey)).name}.")
            return data
        for name in ([path] if path else []) + ["appspec.yml", "appspec.yaml"]:
            local = self.file.parent / name
            try:
                if local.is_file() and local.resolve() != self.file.resolve():
                    data = importer.load(read_text(str(local)), str(local))
                    if isinstance(data, dict):
                        ctx.used_companions.add(str(local))
                        block.comment("Appspec: imported from next to the template.")
                        return data
            except (OSError, importer.InputError):
                continue
        what = path or "appspec.yml"
        ctx.skip(block, "template: appspec not given",
                 f"the appspec ({what}) is in the revision, not in the template; give it with the template "
                 f"(pipec import {self.file.name} {what})", where, key)
        ctx.task("resource", f"import the appspec {what}: pipec import {self.file.name} {what}")
        return None

    def deploy_body(self, block: Doc, data, platform: str):
        from pipec.targets.aws import spec_imports as spec_import

        spec_import.deploy_body(self.ctx, block, data, platform)

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
            if isinstance(prov, dict) and self.ev.resolve(prov.get("Action")) not in (None, "COPY_AUTO_SCALING_GROUP"):
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

    def codedeploy(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        raw = a.get("Name") if isinstance(a.get("Name"), str) else "deploy"
        lid, platform = self.deployment_group(parent, cfg, raw)
        if lid is None:
            return []
        gprops = self.props(lid)
        if platform is None:
            platform = "ec2"
        if platform == "ecs":
            ctx.skip(parent, "template: action provider", f"action {raw}: a CodeDeploy action with an ECS "
                     "application (use CodeDeployToECS)", a, "ActionTypeId")
            return []
        raw, name = self.action_name(a)
        block = parent.block(f"deploy {name} to {platform}")
        self.register(a, stage_raw, stage_name, name)
        self.check_config(block, a, cfg, "CodeDeploy", raw)
        self.action_extras(block, a, raw)
        inputs = self.inputs(block, a, raw)
        if platform == "ec2" and not inputs:
            ctx.skip(block, "template: deploy without revision", f"action {raw} has no revision artifact", a,
                     "InputArtifacts")
            parent.items.pop()
            self.action_names.discard(name.lower())
            parent.items.extend(("comment", x) for k, x in block.items if k == "comment")
            return []
        if inputs:
            block.stmt("from", inputs[0])
            if inputs[0] in self.sources:
                ctx.skip(block, "template: CodeDeploy revision from a source",
                         f"action {raw} deploys source {inputs[0]} directly; pipec deploys EC2 revisions that a "
                         "build produces (its AWS target refuses this with E407)", a, "InputArtifacts")
        aws_lines = []
        if platform == "ec2":
            tags = 0
            for f in self.items(gprops.get("Ec2TagFilters"), block, gprops, "Ec2TagFilters"):
                tags += self.tag_filter(block, f, lid)
            tagset = self.get(gprops, "Ec2TagSet")
            if isinstance(tagset, dict):
                lists = self.items(tagset.get("Ec2TagSetList"), block, tagset, "Ec2TagSetList")
                if len(lists) == 1 and isinstance(lists[0], dict):
                    for f in self.items(lists[0].get("Ec2TagGroup"), block, lists[0], "Ec2TagGroup"):
                        tags += self.tag_filter(block, f, lid)
                elif lists:
                    ctx.skip(block, "template: EC2 tag sets", f"group {lid}: instances must match several tag "
                             "groups at once", gprops, "Ec2TagSet")
            groups = []
            for g in self.items(gprops.get("AutoScalingGroups"), block, gprops, "AutoScalingGroups"):
                n = self.text(g, block, gprops, "AutoScalingGroups", "an Auto Scaling group", required=True,
                              placeholder="REPLACE-ME-asg")
                if n:
                    groups.append(q(n))
            if groups:
                block.stmt("autoscaling", *groups)
            if not tags and not groups:
                block.comment("Placeholder: the deployment group names no instances pipec can write.")
                block.stmt("instances", "tag", "Name", "=", q("REPLACE-ME"))
                ctx.task("resource", f"set the instances of deployment {name}")
            lb = self.get(gprops, "LoadBalancerInfo")
            if isinstance(lb, dict):
                tgs = self.items(lb.get("TargetGroupInfoList"), block, lb, "TargetGroupInfoList")
                if len(tgs) == 1 and isinstance(tgs[0], dict):
                    tg = self.text(tgs[0].get("Name"), block, tgs[0], "Name", "the target group", required=True,
                                   placeholder="REPLACE-ME-target-group")
                    if tg:
                        block.stmt("target_group", q(tg))
                elif tgs or lb.get("ElbInfoList"):
                    ctx.skip(block, "template: load balancer", f"group {lid}: Classic load balancers or several "
                             "target groups", gprops, "LoadBalancerInfo")
            handled = {"Ec2TagFilters", "Ec2TagSet", "AutoScalingGroups", "LoadBalancerInfo"}
        else:
            handled = set()
        self.strategy(block, gprops, lid, platform)
        self.rollback(block, gprops, lid)
        aws_lines += self.group_extras(block, gprops, lid, handled)
        data = self.appspec(block, None, platform, cfg, "DeploymentGroupName")
        if data is not None:
            self.deploy_body(block, data, platform)
        if platform == "lambda":
            self.lambda_required(block, name)
        if aws_lines:
            blk = block.block("aws")
            for line in aws_lines:
                blk.stmt(line)
        return []

    def lambda_required(self, block: Doc, name: str):
        have = {item.split(" ", 1)[0] for kind, item in block.items if kind == "stmt"}
        for key in ("function", "alias"):
            if key not in have:
                block.comment(f"Placeholder: the appspec gives no {key}.")
                block.stmt(key, q(f"REPLACE-ME-{key}"))
                self.ctx.task("resource", f"set the Lambda {key} of deployment {name}")

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

    def ecs_bluegreen(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        raw = a.get("Name") if isinstance(a.get("Name"), str) else "deploy"
        lid, _platform = self.deployment_group(parent, cfg, raw)
        if lid is None:
            return []
        gprops = self.props(lid)
        raw, name = self.action_name(a)
        block = parent.block(f"deploy {name} to ecs")
        self.register(a, stage_raw, stage_name, name)
        self.check_config(block, a, cfg, "CodeDeployToECS", raw)
        self.action_extras(block, a, raw)
        self.inputs(block, a, raw)
        taskdef_art = self.text(self.get(cfg, "TaskDefinitionTemplateArtifact"), block, cfg,
                                "TaskDefinitionTemplateArtifact", "the task definition artifact")
        src = self.artifacts.get(taskdef_art or "")
        if src is None:
            ins = self.inputs(Doc("x"), a, raw)
            src = ins[0] if ins else None
        if src is None:
            ctx.skip(block, "template: input artifact not imported", f"action {raw}: the task definition "
                     "artifact is not imported", cfg, "TaskDefinitionTemplateArtifact")
            src = self.source_order[0]
        block.stmt("from", src)
        services = self.items(gprops.get("ECSServices"), block, gprops, "ECSServices")
        svc = services[0] if services and isinstance(services[0], dict) else {}
        if len(services) != 1:
            ctx.skip(block, "template: ECS services", f"group {lid}: {len(services)} ECS services", gprops,
                     "ECSServices")
        cluster = self.text(svc.get("ClusterName"), block, svc, "ClusterName", "the cluster", required=True,
                            placeholder="REPLACE-ME-cluster") or "REPLACE-ME-cluster"
        service = self.text(svc.get("ServiceName"), block, svc, "ServiceName", "the service", required=True,
                            placeholder="REPLACE-ME-service") or "REPLACE-ME-service"
        block.stmt("cluster", v(cluster))
        block.stmt("service", v(service))
        lb = self.get(gprops, "LoadBalancerInfo") or {}
        pairs = self.items(lb.get("TargetGroupPairInfoList"), block, lb, "TargetGroupPairInfoList") \
            if isinstance(lb, dict) else []
        pair = pairs[0] if pairs and isinstance(pairs[0], dict) else {}

        def listener(route, what):
            r = self.get(pair, route)
            arns = self.items(r.get("ListenerArns"), block, r, "ListenerArns") if isinstance(r, dict) else []
            if not arns:
                return None
            return self.text(arns[0], block, r, "ListenerArns", what, required=True,
                             placeholder=f"arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/REPLACE-ME-"
                                         f"{'prod' if route.startswith('Prod') else 'test'}/0/0",
                             check=lambda s: s.startswith("arn:"))

        prod = listener("ProdTrafficRoute", "the production listener")
        if prod is None:
            prod = "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/REPLACE-ME-prod/0/0"
            block.comment("Placeholder: the deployment group has no production listener pipec can read.")
            ctx.task("resource", f"set the listener of deployment {name}")
        block.stmt("listener", q(prod))
        test = listener("TestTrafficRoute", "the test listener")
        if test:
            block.stmt("test_listener", q(test))
        tgs = [self.text(t.get("Name"), block, t, "Name", "a target group", required=True,
                         placeholder=f"REPLACE-ME-tg-{i + 1}") for i, t in
               enumerate(self.items(pair.get("TargetGroups"), block, pair, "TargetGroups")) if isinstance(t, dict)]
        tgs = [t for t in tgs if t]
        if len(tgs) != 2:
            block.comment("Placeholder: the deployment group does not name two target groups.")
            tgs = ["REPLACE-ME-blue", "REPLACE-ME-green"]
            ctx.task("resource", f"set the target groups of deployment {name}")
        block.stmt("target_groups", v(tgs[0]), v(tgs[1]))
        path = self.text(self.get(cfg, "TaskDefinitionTemplatePath"), block, cfg, "TaskDefinitionTemplatePath",
                         "the task definition file")
        if path and path != "taskdef.json":
            block.stmt("task_definition", v(path))
        if "Image1ArtifactName" in cfg or "Image1ContainerName" in cfg:
            ctx.skip(block, "template: ECS image placeholder",
                     f"action {raw} fills the task definition's image placeholder from an image artifact "
                     "(Image1ArtifactName); with pipec the task definition file must already name the image", cfg,
                     "Image1ArtifactName" if "Image1ArtifactName" in cfg else "Image1ContainerName")
        self.strategy(block, gprops, lid, "ecs")
        self.rollback(block, gprops, lid)
        aws_lines = self.group_extras(block, gprops, lid, {"ECSServices", "LoadBalancerInfo"})
        apath = self.text(self.get(cfg, "AppSpecTemplatePath"), None, cfg, "AppSpecTemplatePath",
                          "the appspec file") or "appspec.yaml"
        data = self.appspec(block, apath, "ecs", cfg, "AppSpecTemplatePath")
        if data is not None:
            self.deploy_body(block, data, "ecs")
        if not any(kind == "stmt" and item.startswith("container ") for kind, item in block.items):
            block.comment("Placeholder: the container and port come from the appspec.")
            block.stmt("container", "REPLACE-ME-container", "port", "80")
            ctx.task("resource", f"set the container and port of deployment {name}")
        if aws_lines:
            blk = block.block("aws")
            for line in aws_lines:
                blk.stmt(line)
        return []

    def ecs_rolling(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        raw, name = self.action_name(a)
        block = parent.block(f"deploy {name} to ecs")
        self.register(a, stage_raw, stage_name, name)
        self.check_config(block, a, cfg, "ECS", raw)
        self.action_extras(block, a, raw)
        inputs = self.inputs(block, a, raw)
        if not inputs:
            self.ctx.skip(block, "template: input artifact not imported", f"action {raw} has no input", a, "Name")
            inputs = [self.source_order[0]]
        block.stmt("from", inputs[0])
        cluster = self.text(self.get(cfg, "ClusterName"), block, cfg, "ClusterName", "the cluster", required=True,
                            placeholder="REPLACE-ME-cluster") or "REPLACE-ME-cluster"
        service = self.text(self.get(cfg, "ServiceName"), block, cfg, "ServiceName", "the service", required=True,
                            placeholder="REPLACE-ME-service") or "REPLACE-ME-service"
        block.stmt("cluster", v(cluster))
        block.stmt("service", v(service))
        block.stmt("strategy", "rolling")
        f = self.text(self.get(cfg, "FileName"), block, cfg, "FileName", "the image definitions file")
        if f and f != "imagedefinitions.json":
            block.stmt("image_file", v(f))
        return []

    # ------------------------------------------------------------------ CloudFormation, S3, approvals, invokes
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

    def s3_deploy(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        raw, name = self.action_name(a)
        block = parent.block(f"deploy {name} to s3")
        self.register(a, stage_raw, stage_name, name)
        self.check_config(block, a, cfg, "S3Deploy", raw)
        self.action_extras(block, a, raw)
        inputs = self.inputs(block, a, raw)
        block.stmt("from", inputs[0] if inputs else self.source_order[0])
        bucket = self.text(self.get(cfg, "BucketName"), block, cfg, "BucketName", "the bucket", required=True,
                           placeholder="REPLACE-ME-bucket")
        block.stmt("bucket", v(bucket or "REPLACE-ME-bucket"))
        extract = self.flag(self.get(cfg, "Extract"), block, cfg, "Extract", "Extract") if "Extract" in cfg else True
        key = self.text(self.get(cfg, "ObjectKey"), block, cfg, "ObjectKey", "the object key")
        if extract is False:
            block.stmt("object_key", v(key or "REPLACE-ME-key.zip"))
        else:
            block.stmt("extract")
            if key:
                self.ctx.skip(block, "template: S3 deploy prefix", f"action {raw}: extracting under the prefix "
                              f"{key}", cfg, "ObjectKey")
        cc = self.text(self.get(cfg, "CacheControl"), block, cfg, "CacheControl", "Cache-Control")
        if cc:
            block.stmt("cache_control", q(cc))
        return []

    def approval(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        raw, name = self.action_name(a)
        block = parent.block(f"approve {name}")
        self.register(a, stage_raw, stage_name, name)
        self.check_config(block, a, cfg, "Manual", raw)
        self.action_extras(block, a, raw, timeout_ok=True)
        msg = self.text(self.get(cfg, "CustomData"), block, cfg, "CustomData", "the message")
        if msg:
            block.stmt("message", q(msg))
        url = self.text(self.get(cfg, "ExternalEntityLink"), block, cfg, "ExternalEntityLink", "the review URL",
                        check=lambda s: re.match(r"https?://\S+$", s) is not None)
        if url:
            block.stmt("url", q(url))
        arn = self.get(cfg, "NotificationArn")
        if arn is not None:
            topic = self.lid_of(arn, "AWS::SNS::Topic")
            if topic is not None:
                emails = self.topic_emails(block, topic)
                if emails:
                    block.stmt("notify", "email", *(q(e) for e in emails))
                else:
                    ctx.skip(block, "template: approval topic", f"approval {raw} notifies topic {topic} of the "
                             "template, which has no e-mail subscription pipec can write", cfg, "NotificationArn")
            else:
                t = self.text(arn, block, cfg, "NotificationArn", "the notification topic",
                              check=lambda s: s.startswith("arn:aws:sns:"))
                if t:
                    block.stmt("notify", "topic", q(t))
        if "TimeoutInMinutes" in a:
            n = self.number(self.get(a, "TimeoutInMinutes"), block, a, "TimeoutInMinutes", "the approval timeout")
            if n is not None and 5 <= n <= 86400:
                block.stmt("timeout", f"{n}m")
            elif n is not None:
                ctx.skip(block, "template: approval timeout", f"approval timeout {n} minutes", a, "TimeoutInMinutes")
        for o in self.items(a.get("InputArtifacts")) + self.items(a.get("OutputArtifacts")):
            ctx.skip(block, "template: approval artifacts", f"approval {raw} declares artifacts", a, "Name")
            break
        return []

    def topic_emails(self, block: Doc, topic: str) -> list[str]:
        subs = [s for s in self.items(self.props(topic).get("Subscription")) if isinstance(s, dict)]
        for lid, res in self.resources.items():
            if res.get("Type") != "AWS::SNS::Subscription":
                continue
            p = self.props(lid)
            if self.lid_of(p.get("TopicArn"), "AWS::SNS::Topic") == topic:
                self.used_resources.add(lid)
                subs.append(p)
        out = []
        for s in subs:
            proto = self.ev.resolve(s.get("Protocol"))
            if proto != "email":
                self.ctx.skip(block, "template: approval topic", f"topic {topic}: a {proto} subscription", s,
                              "Protocol")
                continue
            e = self.text(s.get("Endpoint"), block, s, "Endpoint", "an e-mail address", required=True,
                          placeholder="REPLACE-ME@example.com",
                          check=lambda x: re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", x) is not None)
            if e and e not in out:
                out.append(e)
        return out

    def invoke(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        raw, name = self.action_name(a)
        block = parent.block(f"invoke {name}")
        self.register(a, stage_raw, stage_name, name)
        self.check_config(block, a, cfg, "Lambda", raw)
        self.action_extras(block, a, raw)
        fn = self.text(self.get(cfg, "FunctionName"), block, cfg, "FunctionName", "the function", required=True,
                       placeholder="REPLACE-ME-function")
        block.stmt("function", v(fn or "REPLACE-ME-function"))
        params = self.text(self.get(cfg, "UserParameters"), block, cfg, "UserParameters", "the parameters")
        if params is not None and params != "":
            block.stmt("parameters", q(params))
        inputs = self.inputs(block, a, raw)
        if inputs:
            block.stmt("from", *inputs)
        made = []
        for o in self.items(a.get("OutputArtifacts")):
            if isinstance(o, dict) and isinstance(o.get("Name"), str):
                pipe = self.new_artifact(o["Name"])
                block.stmt("artifact", pipe)
                made.append((o["Name"], pipe))
        return made

    # ------------------------------------------------------------------ the rest of the template
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

    def schedule_rule(self, lid: str, res):
        """An EventBridge rule that starts the pipeline on a schedule: ``on schedule`` in the first
        source's block (a schedule starts the whole pipeline), ``via aws`` when it runs more often
        than GitHub's 5 minutes. ``rate(...)`` counts from the rule's creation, which no cron says."""
        from pipec import cron

        props = res.get("Properties") or {}
        expr = props.get("ScheduleExpression")
        where = (props, "ScheduleExpression") if isinstance(props, dict) and "ScheduleExpression" in props \
            else (self.resources, lid)
        src = next((d for kind, d in self.doc.items if kind == "block" and d.header.startswith("source ")), None)
        if src is None:
            return
        if not isinstance(expr, str) or not expr.startswith("cron("):
            self.ctx.skip(src, "template: scheduled run", f"rule {lid} starts the pipeline with {expr!r}: a rate "
                          "counts from the rule's creation, which no cron expression says", *where)
            return
        if str(props.get("State", "ENABLED")) != "ENABLED":
            self.ctx.skip(src, "template: scheduled run", f"rule {lid} is {props.get('State')}: its schedule "
                          "is not imported", *where)
            return
        try:
            text = cron.from_eventbridge(expr)
            every = cron.interval(text)
            text = _readable_cron(expr, text)
        except (ValueError, cron.CronError) as exc:
            self.ctx.skip(src, "template: scheduled run", f"rule {lid}: {expr} has no pipec cron ({exc})", *where)
            return
        self.schedules = getattr(self, "schedules", 0) + 1
        if self.schedules > cron.MAX_SCHEDULES:
            self.ctx.skip(src, "template: scheduled run", f"rule {lid}: more than {cron.MAX_SCHEDULES} schedules",
                          *where)
            return
        if not any(kind == "stmt" and str(item).startswith("on ") for kind, item in src.items):
            # a source without 'on' lines starts on its changes; with one, only on what is written
            src.stmt("on", "push")
        provider = src.header.split()[2] if len(src.header.split()) > 2 else ""
        # GitHub runs a schedule at most every 5 minutes, and only in the workflow's own repository
        only_aws = every < cron.MIN_INTERVAL or provider != "github"
        src.comment(f"From the EventBridge rule {lid} ({expr}).")
        src.stmt("on", "schedule", q(text), *(["via", "aws"] if only_aws else []))

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
