"""The AWS target's read side: a CloudFormation template (with its buildspec and appspec files)
read back from disk as a :class:`pipec.plan.Plan`.

``read(out_dir, pipeline)`` parses ``out_dir/aws/<pipeline>.template.yaml`` with
:mod:`pipec.targets.aws.cfn` (short and long intrinsic forms, resolved where the template decides the
value) and the files the template points at:

- a CodeBuild project's ``Source.BuildSpec``: a path relative to the *source root* (the repository
  as CodeBuild sees it; ``out_dir`` unless told otherwise), or the buildspec's text inline;
- a ``CodeDeployToECS`` action's ``AppSpecTemplatePath``, relative to the source root;
- an EC2 deployment's appspec: the file the build producing its revision copies into the revision
  (pipec's ``cp "$CODEBUILD_SRC_DIR/..." "BASE/appspec.yml"``), otherwise
  ``out_dir/aws/<pipeline>/appspec/<action>.yml``;
- a Lambda deployment, which pipec runs as a CodeBuild "deployer" (its buildspec's header says
  ``CodeDeploy deployer for Lambda action X``): the appspec its script hands to CodeDeploy.

The plan is what :func:`pipec.plan.from_model` computes for the same pipeline on ``aws``; the
AWS target's own machinery is removed on the way (normalisation 3: the appspec copy into an EC2
revision and the ``appspec.yml`` it adds to the revision's files; the pipeline variables passed
to every CodeBuild action), and the change-set pair of a CloudFormation deployment
(``X-change-set`` then ``X``) is one job ``X``.

Meant to grow into an importer of templates people write: long or short intrinsic forms and
missing optional keys are accepted (with CodePipeline's, CodeBuild's and CodeDeploy's documented
defaults), but anything the plan cannot express (an unknown action provider, a configuration key
pipec does not know, a value that depends on the deployment) raises :class:`ValueError` naming the
file, the resource or action, and what was not understood.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from pipec import cron, plan
from pipec.targets.aws import cfn, intrinsics

#: CodePipeline ActionMode of a CloudFormation action that creates or updates a stack directly
_DIRECT_MODES = {"CREATE_UPDATE"}
_CAPABILITIES = {"CAPABILITY_IAM": "iam", "CAPABILITY_NAMED_IAM": "named-iam",
                 "CAPABILITY_AUTO_EXPAND": "auto-expand"}
_PR_EVENTS = {"OPEN": "opened", "UPDATED": "updated", "CLOSED": "closed"}
_SECRET_TYPES = {"PARAMETER_STORE": "ssm", "SECRETS_MANAGER": "secrets-manager"}
_COMPUTE_PLATFORMS = {"Server": "ec2", "ECS": "ecs", "Lambda": "lambda"}

#: (category, provider) of every action the reader understands -> the configuration keys it knows
_KNOWN_CONFIG = {
    ("Build", "CodeBuild"): {"ProjectName", "PrimarySource", "EnvironmentVariables"},
    ("Test", "CodeBuild"): {"ProjectName", "PrimarySource", "EnvironmentVariables"},
    ("Deploy", "CodeDeploy"): {"ApplicationName", "DeploymentGroupName"},
    ("Deploy", "CodeDeployToECS"): {"ApplicationName", "DeploymentGroupName", "TaskDefinitionTemplateArtifact",
                                    "TaskDefinitionTemplatePath", "AppSpecTemplateArtifact",
                                    "AppSpecTemplatePath"},
    ("Deploy", "ECS"): {"ClusterName", "ServiceName", "FileName"},
    ("Deploy", "CloudFormation"): {"ActionMode", "StackName", "TemplatePath", "RoleArn", "Capabilities",
                                   "ParameterOverrides", "ChangeSetName"},
    ("Deploy", "S3"): {"BucketName", "Extract", "ObjectKey", "CacheControl"},
    ("Approval", "Manual"): {"CustomData", "ExternalEntityLink", "NotificationArn"},
    ("Invoke", "Lambda"): {"FunctionName", "UserParameters"},
}
_SOURCE_PROVIDERS = {"CodeStarSourceConnection", "CodeCommit", "S3"}
#: keys of an action declaration the reader accepts (Namespace only names the action's variables)
_ACTION_KEYS = {"Name", "ActionTypeId", "Configuration", "InputArtifacts", "OutputArtifacts", "RunOrder",
                "TimeoutInMinutes", "Namespace"}

#: the first line of pipec's Lambda deployer buildspec names the deploy action
_DEPLOYER = re.compile(r"^#.*\(CodeDeploy deployer for Lambda action (?P<name>.+?)\)")
#: the deployer's script fills in the appspec read from this path (relative to the source root)
_DEPLOYER_APPSPEC = re.compile(r'sed -e "s/<CURRENT_VERSION>/[^"]*" -e "s/<TARGET_VERSION>/[^"]*" "(?P<path>[^"]+)"')
#: the AWS target's copy of an EC2 appspec into the revision (last post_build commands)
_APPSPEC_COPY = re.compile(r'cp "\$CODEBUILD_SRC_DIR/(?P<src>[^"]+)" "(?P<dest>[^"]+)"')


def read(out_dir, pipeline: str | None = None, source_root=None) -> plan.Plan:
    """The plan of the AWS files under ``out_dir`` for ``pipeline`` (the only template in
    ``out_dir/aws`` when None). ``source_root``: the directory buildspec and appspec paths in the
    template are relative to (default ``out_dir``). ValueError for anything it cannot read."""
    out = Path(out_dir)
    root = Path(source_root) if source_root is not None else out
    if pipeline is None:
        found = sorted((out / "aws").glob("*.template.yaml"))
        if len(found) != 1:
            names = ", ".join(p.name for p in found) or "none"
            raise ValueError(f"{out / 'aws'}: expected exactly one *.template.yaml to read, found {names}; "
                             "name the pipeline")
        path = found[0]
    else:
        path = out / "aws" / f"{pipeline}.template.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the template ({exc.strerror or exc})") from None
    return read_template(text, out_dir=out, source_root=root, filename=str(path))


def read_template(text: str, *, out_dir, source_root=None, filename: str = "template") -> plan.Plan:
    """Like :func:`read`, from the template's ``text`` (files it references are still read from
    ``source_root``, default ``out_dir``)."""
    out = Path(out_dir)
    try:
        template = cfn.Template.from_text(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{filename}: not valid YAML or JSON: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{filename}: {exc}") from None
    reader = _Reader(template, out, Path(source_root) if source_root is not None else out, filename)
    try:
        return reader.plan()
    except (KeyError, TypeError, AttributeError, IndexError) as exc:  # a shape the reader did not expect
        raise ValueError(f"{filename}: {reader.current}: cannot read it ({type(exc).__name__}: {exc})") from exc


# ----------------------------------------------------------------------------- small helpers


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _bool(value, default: bool | None = None):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes"):
        return True
    if text in ("false", "no"):
        return False
    return None


def _dest(base: str | None) -> str:
    """Where pipec's copy puts ``appspec.yml`` in a revision with base directory ``base``."""
    return f"{base.strip('/')}/appspec.yml" if base and base.strip("/") else "appspec.yml"


class _Action:
    """One pipeline action as read: where it is, and its configuration resolved."""

    def __init__(self, stage: str, decl: dict, where: str):
        self.stage = stage
        self.decl = decl
        self.where = where
        self.name = decl.get("Name")
        type_id = decl.get("ActionTypeId") or {}
        self.category = type_id.get("Category")
        self.owner = type_id.get("Owner", "AWS")
        self.provider = type_id.get("Provider")
        self.run_order = decl.get("RunOrder", 1)
        self.inputs = [a.get("Name") for a in _as_list(decl.get("InputArtifacts")) if isinstance(a, dict)]
        self.outputs = [a.get("Name") for a in _as_list(decl.get("OutputArtifacts")) if isinstance(a, dict)]
        self.raw_config = decl.get("Configuration") or {}


class _Job:
    """A job being assembled: its actions' run orders decide its place in the stage."""

    def __init__(self, job_id: str, stage: str, kind: str, spec: tuple, start: int, end: int):
        self.id, self.stage, self.kind, self.spec, self.start, self.end = job_id, stage, kind, spec, start, end


# ----------------------------------------------------------------------------- the reader


class _Reader:
    def __init__(self, template: cfn.Template, out_dir: Path, source_root: Path, filename: str):
        self.t = template
        self.out = out_dir
        self.root = source_root
        self.file = filename
        #: EC2 revision artifact -> names of the CodeDeploy (EC2) actions that deploy it
        self.ec2_revisions: dict[str, set[str]] = {}
        #: EC2 revision artifact -> the appspec path (source-root relative) its build copies in
        self.copies: dict[str, str] = {}
        #: while reading a build: copy destination -> (revision artifact, deploy actions of it)
        self._copy_dests: dict[str, tuple[str, set[str]]] = {}
        #: revisions whose appspec copy :meth:`strip_copies` removed from the build being read
        self._copied: set[str] = set()
        #: what is being read, for the message of an error nothing else explains
        self.current = "the pipeline"

    # ------------------------------------------------------------------ errors and values
    def fail(self, where: str, what: str):
        raise ValueError(f"{self.file}: {where}: {what}")

    def value(self, v):
        return self.t.resolve(v)

    def text(self, v, where: str, what: str, default=None) -> str | None:
        """``v`` resolved to a plain string (numbers as written); ValueError when it depends on
        the deployment (a parameter without default, a pseudo parameter, an attribute)."""
        if v is None:
            return default
        r = self.value(v)
        if isinstance(r, cfn.Unresolved):
            self.fail(where, f"{what} depends on the deployment ({r}); pipec can read only values the "
                             "template decides")
        if isinstance(r, bool) or not isinstance(r, (str, int, float)):
            self.fail(where, f"{what} is not a single value: {r!r}")
        return str(r)

    def number(self, v, where: str, what: str, default=None) -> int | None:
        if v is None:
            return default
        r = self.value(v)
        try:
            if isinstance(r, bool):
                raise ValueError
            return int(r)
        except (TypeError, ValueError):
            self.fail(where, f"{what} is not a whole number: {r!r}")

    def resource(self, v, type_: str, where: str, what: str) -> str | None:
        """The logical ID of the resource of ``type_`` that ``v`` refers to: a Ref or GetAtt of it,
        or its name (the resolved name property); None when the template does not define it."""
        lid = intrinsics.referenced_id(v)
        if lid is not None and lid in self.t.resources:
            got = self.t.resources[lid].get("Type")
            if got != type_:
                self.fail(where, f"{what} refers to {lid}, a {got}, not a {type_}")
            return lid
        name = self.value(v)
        if not isinstance(name, str) or isinstance(name, cfn.Unresolved):
            return None
        for lid in self.t.of_type(type_):
            if self.value(intrinsics.declared_name(self.t.resources, lid)) == name:
                return lid
        return None

    def props(self, lid: str) -> dict:
        return self.t.props(lid)

    # ------------------------------------------------------------------ files
    def read_file(self, path: Path, where: str, what: str) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            self.fail(where, f"cannot read {what} {path} ({exc.strerror or exc})")

    def load_buildspec(self, text: str, where: str) -> dict:
        from pipec.targets.aws import buildspec

        try:
            data = buildspec.load(text)
        except yaml.YAMLError as exc:
            self.fail(where, f"the buildspec is not valid YAML: {exc}")
        if not isinstance(data, dict):
            self.fail(where, "the buildspec is not a mapping")
        return data

    def load_appspec(self, path: Path, where: str):
        text = self.read_file(path, where, "the appspec")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.fail(where, f"the appspec {path} is not valid YAML: {exc}")
        if not isinstance(data, dict):
            self.fail(where, f"the appspec {path} is not a mapping")
        return plan._freeze(data)

    # ------------------------------------------------------------------ the pipeline
    def pipeline(self) -> tuple[str, dict]:
        found = self.t.of_type("AWS::CodePipeline::Pipeline")
        if len(found) != 1:
            self.fail("Resources", f"expected one AWS::CodePipeline::Pipeline, found {len(found)}")
        (lid, _res), = found.items()
        return lid, self.props(lid)

    def plan(self) -> plan.Plan:
        lid, props = self.pipeline()
        where = f"pipeline {lid}"
        name = self.text(props.get("Name"), where, "Name")
        if name is None:
            self.fail(where, "has no Name (pipec reads pipelines by name)")
        self.name = name
        mode = (self.text(props.get("ExecutionMode"), where, "ExecutionMode") or "SUPERSEDED").lower()
        if mode not in ("superseded", "queued", "parallel"):
            self.fail(where, f"unknown ExecutionMode {mode.upper()}")
        self.variables = {}
        for v in _as_list(props.get("Variables")):
            vname = self.text(v.get("Name"), where, "a variable's Name")
            self.variables[vname] = self.text(v.get("DefaultValue"), where, f"the default of variable {vname}")
        stages = _as_list(props.get("Stages"))
        if not stages:
            self.fail(where, "has no Stages")
        sources: dict[str, _Action] = {}
        work: list[tuple[str, list[_Action]]] = []
        names = [st.get("Name") for st in stages]
        dupes = sorted({str(n) for n in names if names.count(n) > 1})
        if dupes:
            self.fail(where, f"stage names used twice: {', '.join(dupes)}")
        for st in stages:
            sname = st.get("Name")
            actions = []
            for decl in _as_list(st.get("Actions")):
                self.current = f"action {decl.get('Name')!r} (stage {sname!r})"
                actions.append(_Action(sname, decl, self.current))
            if not actions:
                self.fail(where, f"stage {sname!r} has no actions")
            kinds = {a.category == "Source" for a in actions}
            if kinds == {True}:
                if work:
                    self.fail(f"stage {sname!r}", "source actions are allowed only in the first stage")
                for a in actions:
                    self.check_source(a)
                    sources[a.name] = a
            elif True in kinds:
                self.fail(f"stage {sname!r}", "mixes source actions with other actions")
            else:
                work.append((sname, actions))
        if not sources:
            self.fail(where, "has no Source stage")
        self.sources = sources
        held_stages = {}
        for d in _as_list(props.get("DisableInboundStageTransitions")):
            sname = self.text(d.get("StageName"), where, "DisableInboundStageTransitions StageName")
            if sname not in {s for s, _ in work}:
                self.fail(where, f"DisableInboundStageTransitions names stage {sname!r}, which is not a "
                                 "stage after the source stage")
            held_stages[sname] = True
        for _, actions in work:
            for a in actions:
                if a.provider == "CodeDeploy" and a.category == "Deploy" and a.inputs:
                    self.ec2_revisions.setdefault(a.inputs[0], set()).add(a.name)
        jobs = self.jobs(work, held_stages)
        return plan.Plan(name, "aws", self.triggers(props, where), tuple(sorted(self.variables.items())),
                         mode, tuple(sorted(jobs, key=lambda j: j.id)))

    # ------------------------------------------------------------------ sources and triggers
    def check_source(self, a: _Action):
        if a.owner != "AWS" or a.provider not in _SOURCE_PROVIDERS:
            self.fail(a.where, f"source provider {a.owner}/{a.provider} is not one pipec reads "
                               "(CodeStarSourceConnection, CodeCommit, S3)")
        if not a.name:
            self.fail(a.where, "has no Name")

    def triggers(self, props: dict, where: str) -> frozenset:
        out = []
        declared = set()
        for i, decl in enumerate(_as_list(props.get("Triggers"))):
            w = f"{where}: Triggers[{i}]"
            if decl.get("ProviderType", "CodeStarSourceConnection") != "CodeStarSourceConnection":
                self.fail(w, f"unknown ProviderType {decl.get('ProviderType')!r}")
            git = decl.get("GitConfiguration") or {}
            src = self.text(git.get("SourceActionName"), w, "SourceActionName")
            a = self.sources.get(src)
            if a is None or a.provider != "CodeStarSourceConnection":
                self.fail(w, f"SourceActionName {src!r} is not a CodeStarSourceConnection source action")
            declared.add(src)
            branch = self.text(a.raw_config.get("BranchName"), a.where, "BranchName")
            for j, push in enumerate(_as_list(git.get("Push"))):
                pw = f"{w}.Push[{j}]"
                unknown = set(push) - {"Branches", "FilePaths", "Tags"}
                if unknown:
                    self.fail(pw, f"unknown keys {', '.join(sorted(unknown))}")
                if "Tags" in push:
                    if "Branches" in push or "FilePaths" in push:
                        self.fail(pw, "a Tags filter with Branches or FilePaths cannot be read (pipec's tag "
                                      "triggers have neither)")
                    out.append(plan.Trigger("tag", src, tags=self.filter(push["Tags"], pw + ".Tags")))
                    continue
                branches = self.filter(push["Branches"], pw + ".Branches") if "Branches" in push else \
                    plan.Filter.of([branch])
                out.append(plan.Trigger("push", src, branches=branches,
                                        paths=self.filter(push.get("FilePaths"), pw + ".FilePaths")))
            for j, pr in enumerate(_as_list(git.get("PullRequest"))):
                pw = f"{w}.PullRequest[{j}]"
                unknown = set(pr) - {"Events", "Branches", "FilePaths"}
                if unknown:
                    self.fail(pw, f"unknown keys {', '.join(sorted(unknown))}")
                events = []
                # without Events, CodePipeline starts on every pull-request event
                for e in _as_list(pr.get("Events")) if "Events" in pr else list(_PR_EVENTS):
                    if e not in _PR_EVENTS:
                        self.fail(pw, f"unknown pull request event {e!r}")
                    events.append(_PR_EVENTS[e])
                out.append(plan.Trigger("pull_request", src,
                                        branches=self.filter(pr.get("Branches"), pw + ".Branches")
                                        or plan.Filter.of(()),
                                        paths=self.filter(pr.get("FilePaths"), pw + ".FilePaths"),
                                        events=tuple(sorted(set(events)))))
            for key in set(git) - {"SourceActionName", "Push", "PullRequest"}:
                self.fail(w, f"unknown GitConfiguration key {key}")
        rules = self.rules()
        for src, a in self.sources.items():
            if src in declared:
                continue
            cfg = a.raw_config
            if a.provider == "CodeStarSourceConnection":
                # without a trigger declaration, DetectChanges (default true) starts runs on pushes
                if _bool(self.value(cfg.get("DetectChanges")), True):
                    branch = self.text(cfg.get("BranchName"), a.where, "BranchName")
                    out.append(plan.Trigger("push", src, branches=plan.Filter.of([branch])))
                continue
            polled = _bool(self.value(cfg.get("PollForSourceChanges")), True)
            if not (polled or src in rules):
                continue
            if a.provider == "CodeCommit":
                branch = self.text(cfg.get("BranchName"), a.where, "BranchName")
                out.append(plan.Trigger("push", src, branches=plan.Filter.of([branch])))
            else:
                out.append(plan.Trigger("object", src))
        return plan.normal_triggers(out + self.schedules)

    def filter(self, criteria, where: str) -> plan.Filter | None:
        if criteria is None:
            return None
        if not isinstance(criteria, dict):
            self.fail(where, f"not a filter: {criteria!r}")
        unknown = set(criteria) - {"Includes", "Excludes"}
        if unknown:
            self.fail(where, f"unknown keys {', '.join(sorted(unknown))}")
        inc = [self.text(p, where, "a pattern") for p in _as_list(criteria.get("Includes"))]
        exc = [self.text(p, where, "a pattern") for p in _as_list(criteria.get("Excludes"))]
        return plan.Filter.of(inc, exc)

    def rules(self) -> set[str]:
        """Names of the sources an enabled EventBridge rule of the template starts this pipeline
        for; the rules that start it on a schedule go to ``self.schedules`` (as ``schedule``
        triggers, the cron in pipec's canonical form). A rule that starts the pipeline on anything
        else cannot be read."""
        out = set()
        self.schedules: list[plan.Trigger] = []
        for lid, res in self.t.of_type("AWS::Events::Rule").items():
            p = res.get("Properties") or {}
            where = f"resource {lid} (AWS::Events::Rule)"
            if not any(self.starts_pipeline(t) for t in _as_list(p.get("Targets"))):
                continue
            if str(self.value(p.get("State", "ENABLED"))).upper() != "ENABLED":
                continue
            schedule = self.value(p.get("ScheduleExpression"))
            if schedule is not None:
                if p.get("EventPattern") is not None:
                    self.fail(where, "has both a ScheduleExpression and an EventPattern")
                try:
                    self.schedules.append(plan.Trigger("schedule", "", cron=cron.from_eventbridge(str(schedule))))
                except ValueError as exc:
                    self.fail(where, f"ScheduleExpression: {exc}")
                continue
            pattern = self.value(p.get("EventPattern"))
            if isinstance(pattern, str):
                try:
                    pattern = json.loads(pattern)
                except json.JSONDecodeError:
                    self.fail(where, "EventPattern is not JSON")
            if not isinstance(pattern, dict):
                self.fail(where, "starts the pipeline on an event pipec cannot read")
            src = self.rule_source(pattern)
            if src is None:
                self.fail(where, f"starts the pipeline on events that match none of its sources: {pattern!r}")
            out.add(src)
        return out

    def starts_pipeline(self, target) -> bool:
        arn = self.value((target or {}).get("Arn"))
        return isinstance(arn, str) and ":codepipeline:" in arn and arn.endswith(":" + self.name)

    def rule_source(self, pattern: dict) -> str | None:
        kinds = _as_list(pattern.get("source"))
        detail = pattern.get("detail") or {}
        for src, a in self.sources.items():
            cfg = a.raw_config
            if a.provider == "CodeCommit" and "aws.codecommit" in kinds:
                repo = self.value(cfg.get("RepositoryName"))
                resources = [str(r) for r in _as_list(pattern.get("resources"))]
                refs = _as_list(detail.get("referenceName"))
                if any(r.endswith(f":{repo}") for r in resources) and (
                        not refs or self.value(cfg.get("BranchName")) in refs):
                    return src
            if a.provider == "S3" and "aws.s3" in kinds:
                buckets = _as_list((detail.get("bucket") or {}).get("name"))
                keys = _as_list((detail.get("object") or {}).get("key"))
                if self.value(cfg.get("S3Bucket")) in buckets and (
                        not keys or self.value(cfg.get("S3ObjectKey")) in keys):
                    return src
        return None

    # ------------------------------------------------------------------ jobs and ordering
    def jobs(self, work, held_stages) -> list[plan.Job]:
        made: list[_Job] = []
        for sname, actions in work:
            pending = {}  # (stack, change set) -> the CHANGE_SET_REPLACE action waiting for its execute
            stage_jobs: list[_Job] = []
            for a in sorted(actions, key=lambda x: self.number(x.run_order, x.where, "RunOrder")):
                self.current = a.where
                self.check_action(a)
                order = self.number(a.run_order, a.where, "RunOrder")
                if a.provider == "CloudFormation":
                    mode = self.text(a.raw_config.get("ActionMode"), a.where, "ActionMode")
                    key = (self.text(a.raw_config.get("StackName"), a.where, "StackName"),
                           self.text(a.raw_config.get("ChangeSetName"), a.where, "ChangeSetName"))
                    if mode == "CHANGE_SET_REPLACE":
                        if key in pending:
                            self.fail(a.where, f"a second change set {key[1]!r} of stack {key[0]!r} before "
                                               "the first is executed")
                        pending[key] = a
                        continue
                    if mode == "CHANGE_SET_EXECUTE":
                        first = pending.pop(key, None)
                        if first is None:
                            self.fail(a.where, f"executes change set {key[1]!r} of stack {key[0]!r}, which no "
                                               "earlier CHANGE_SET_REPLACE action of the stage creates")
                        start = self.number(first.run_order, first.where, "RunOrder")
                        if start >= order:
                            self.fail(a.where, "runs no later than the action creating its change set")
                        stage_jobs.append(_Job(a.name, sname, "stack", self.stack_spec(first, True), start, order))
                        continue
                    if mode not in _DIRECT_MODES:
                        self.fail(a.where, f"ActionMode {mode!r} is not one pipec reads "
                                           "(CREATE_UPDATE, or CHANGE_SET_REPLACE then CHANGE_SET_EXECUTE)")
                    stage_jobs.append(_Job(a.name, sname, "stack", self.stack_spec(a, False), order, order))
                    continue
                kind, sp = self.action_spec(a)
                stage_jobs.append(_Job(a.name, sname, kind, sp, order, order))
            for (stack, change_set), a in pending.items():
                self.fail(a.where, f"creates change set {change_set!r} of stack {stack!r}, which no later action "
                                   "of the stage executes")
            made.extend(stage_jobs)
        ids = [j.id for j in made]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            self.fail("Stages", f"action names used twice: {', '.join(dupes)}")
        out = []
        done: set[str] = set()
        for sname, _ in work:
            stage_jobs = [j for j in made if j.stage == sname]
            first = min(j.start for j in stage_jobs)
            for j in stage_jobs:
                # a job waits for the earlier stages and for every job of its stage that ended
                # (its last action's run order) before its first action's run order
                after = done | {k.id for k in stage_jobs if k.end < j.start}
                out.append(plan.Job(j.id, j.kind, frozenset(after), held=sname in held_stages and j.start == first,
                                    spec=j.spec))
            done |= {j.id for j in stage_jobs}
        return out

    def check_action(self, a: _Action):
        if not a.name:
            self.fail(a.where, "has no Name")
        known = _KNOWN_CONFIG.get((a.category, a.provider))
        if a.owner != "AWS" or known is None:
            self.fail(a.where, f"action type {a.category}/{a.owner}/{a.provider} is not one pipec reads "
                               "(CodeBuild, CodeDeploy, CodeDeployToECS, ECS, CloudFormation, S3, Manual, Lambda)")
        extra = set(a.decl) - _ACTION_KEYS
        if extra:
            self.fail(a.where, f"declares {', '.join(sorted(extra))}, which pipec cannot express")
        if not isinstance(a.raw_config, dict):
            self.fail(a.where, "Configuration is not a mapping")
        unknown = set(a.raw_config) - known
        if unknown:
            self.fail(a.where, f"{a.provider} configuration {', '.join(sorted(unknown))} is not understood")
        if "TimeoutInMinutes" in a.decl and a.provider != "Manual":
            self.fail(a.where, "TimeoutInMinutes on an action other than a manual approval is not understood")

    def action_spec(self, a: _Action) -> tuple[str, tuple]:
        if a.provider == "CodeBuild":
            return self.codebuild(a)
        if a.provider == "CodeDeploy":
            return "deploy", self.ec2_deploy(a)
        if a.provider == "CodeDeployToECS":
            return "deploy", self.ecs_deploy(a)
        if a.provider == "ECS":
            return "deploy", self.ecs_rolling(a)
        if a.provider == "S3":
            return "bucket", self.bucket(a)
        if a.provider == "Manual":
            return "approval", self.approval(a)
        return "invoke", self.invoke(a)

    def one_input(self, a: _Action) -> str:
        if len(a.inputs) != 1:
            self.fail(a.where, f"takes {len(a.inputs)} input artifacts; pipec reads exactly one here")
        return a.inputs[0]

    # ------------------------------------------------------------------ CodeBuild
    def project(self, a: _Action) -> str:
        ref = a.raw_config.get("ProjectName")
        if ref is None:
            self.fail(a.where, "has no ProjectName")
        lid = self.resource(ref, "AWS::CodeBuild::Project", a.where, "ProjectName")
        if lid is None:
            self.fail(a.where, f"ProjectName {self.value(ref)!r} is not a CodeBuild project of this template")
        return lid

    def buildspec_text(self, lid: str, where: str) -> str:
        source = self.props(lid).get("Source") or {}
        if source.get("Type", "CODEPIPELINE") != "CODEPIPELINE":
            self.fail(where, f"project {lid} has Source.Type {source.get('Type')!r}, not CODEPIPELINE")
        spec = source.get("BuildSpec")
        text = "buildspec.yml" if spec is None else self.value(spec)
        if not isinstance(text, str) or isinstance(text, cfn.Unresolved):
            self.fail(where, f"project {lid}: BuildSpec is not text the template decides")
        if "\n" in text or text.lstrip().startswith(("version", "{")):
            return text  # the buildspec itself, inline
        return self.read_file(self.root / text, f"{where} (project {lid})", "the buildspec")

    def codebuild(self, a: _Action) -> tuple[str, tuple]:
        lid = self.project(a)
        text = self.buildspec_text(lid, a.where)
        first = text.split("\n", 1)[0]
        m = _DEPLOYER.match(first)
        data = self.load_buildspec(text, f"{a.where} (project {lid})")
        if m:
            if m.group("name") != a.name:
                self.fail(a.where, f"runs the Lambda deployer of action {m.group('name')!r}")
            return "deploy", self.lambda_deploy(a, lid, data, text)
        return "build", self.build_spec(a, lid, data)

    def build_spec(self, a: _Action, lid: str, data: dict) -> tuple:
        where = f"{a.where}, buildspec of project {lid}"
        unknown = set(data) - {"version", "env", "phases", "artifacts", "cache", "reports"}
        if unknown:
            self.fail(where, f"buildspec keys {', '.join(sorted(unknown))} are not understood")
        if str(data.get("version")) != "0.2":
            self.fail(where, f"buildspec version {data.get('version')!r} is not 0.2")
        props = self.props(lid)
        # inputs: the primary source first
        inputs = list(a.inputs)
        primary = self.text(a.raw_config.get("PrimarySource"), a.where, "PrimarySource")
        if primary is not None:
            if primary not in inputs:
                self.fail(a.where, f"PrimarySource {primary!r} is not one of its input artifacts")
            inputs.remove(primary)
            inputs.insert(0, primary)
        env, secrets = self.environment(a, lid, data.get("env") or {}, where)
        outputs = self.outputs(a, data.get("artifacts"), where)
        self._copied = set()
        phases, runtimes = self.phases(data.get("phases") or {}, where)
        # the AWS target adds appspec.yml (last) to the files of a revision it copies the appspec into
        outputs = tuple(plan.Artifact(o.name, o.files[:-1], o.base, o.flatten)
                        if o.name in self._copied and o.files[-1:] == ("appspec.yml",) else o for o in outputs)
        cache = data.get("cache") or {}
        if set(cache) - {"paths"}:
            self.fail(where, f"cache keys {', '.join(sorted(set(cache) - {'paths'}))} are not understood")
        reports = []
        for rname, r in (data.get("reports") or {}).items():
            if not isinstance(r, dict):
                self.fail(where, f"report {rname!r} is not a mapping")
            base = r.get("base-directory")
            files = tuple(f"{str(base).rstrip('/')}/{f}" if base else str(f) for f in _as_list(r.get("files")))
            reports.append((str(rname), files))
        return plan.spec(
            inputs=tuple(inputs),
            phases=phases,
            env=env,
            secrets=secrets,
            outputs=outputs,
            cache=tuple(sorted(plan.cache_path(str(c)) for c in _as_list(cache.get("paths")))),
            reports=tuple(sorted(reports)),
            runtimes=runtimes,
            timeout=self.number(props.get("TimeoutInMinutes"), f"project {lid}", "TimeoutInMinutes", 60),
        )

    def environment(self, a: _Action, lid: str, env: dict, where: str) -> tuple[tuple, tuple]:
        """(env, secrets) as the build sees them: buildspec, then project, then action variables
        (each overriding the one before, as CodeBuild does), without the pipeline variables the
        AWS target passes to every CodeBuild action."""
        unknown = set(env) - {"variables", "parameter-store", "secrets-manager"}
        if unknown:
            self.fail(where, f"env keys {', '.join(sorted(unknown))} are not understood")
        seen: dict[str, tuple] = {}
        for k, v in (env.get("variables") or {}).items():
            seen[str(k)] = ("plain", str(v))
        for k, v in (env.get("parameter-store") or {}).items():
            seen[str(k)] = ("ssm", str(v))
        for k, v in (env.get("secrets-manager") or {}).items():
            seen[str(k)] = ("secrets-manager", str(v))
        pw = f"project {lid}"
        for v in _as_list((self.props(lid).get("Environment") or {}).get("EnvironmentVariables")):
            self.variable(seen, v, pw, type_key="Type", name_key="Name", value_key="Value")
        raw = a.raw_config.get("EnvironmentVariables")
        if raw is not None:
            text = self.text(raw, a.where, "EnvironmentVariables")
            try:
                items = json.loads(text)
            except json.JSONDecodeError:
                self.fail(a.where, "EnvironmentVariables is not JSON")
            for v in _as_list(items):
                if not isinstance(v, dict):
                    self.fail(a.where, f"EnvironmentVariables entry {v!r} is not an object")
                name = v.get("name")
                if (name in self.variables and v.get("value") == f"#{{variables.{name}}}"
                        and v.get("type", "PLAINTEXT") == "PLAINTEXT"):
                    continue  # the AWS target's pass-through of pipeline variables
                self.variable(seen, v, a.where, type_key="type", name_key="name", value_key="value")
        env_out = tuple(sorted((k, v) for k, (kind, v) in seen.items() if kind == "plain"))
        secrets = tuple(sorted((k, kind, v) for k, (kind, v) in seen.items() if kind != "plain"))
        return env_out, secrets

    def variable(self, seen: dict, v, where: str, *, type_key: str, name_key: str, value_key: str):
        if not isinstance(v, dict):
            self.fail(where, f"environment variable {v!r} is not a mapping")
        name = self.text(v.get(name_key), where, "an environment variable's name")
        value = self.text(v.get(value_key), where, f"the value of environment variable {name}", "")
        kind = self.text(v.get(type_key), where, f"the type of environment variable {name}", "PLAINTEXT")
        if kind == "PLAINTEXT":
            seen[name] = ("plain", value)
        elif kind in _SECRET_TYPES:
            seen[name] = (_SECRET_TYPES[kind], value)
        else:
            self.fail(where, f"environment variable {name} has type {kind!r}, which pipec cannot read")

    def phases(self, phases: dict, where: str) -> tuple[tuple, tuple]:
        from pipec import model

        unknown = set(phases) - set(model.PHASE_ORDER)
        if unknown:
            self.fail(where, f"phases {', '.join(sorted(unknown))} are not understood")
        runtimes = ()
        out = []
        has_build = "build" in phases
        for name in model.PHASE_ORDER:
            p = phases.get(name)
            if p is None:
                continue
            if not isinstance(p, dict):
                self.fail(where, f"phase {name} is not a mapping")
            allowed = {"commands", "finally", "on-failure"} | ({"runtime-versions"} if name == "install" else set())
            bad = set(p) - allowed
            if bad:
                self.fail(where, f"phase {name}: {', '.join(sorted(bad))} not understood")
            if name == "install":
                runtimes = tuple(sorted((str(k), str(v)) for k, v in (p.get("runtime-versions") or {}).items()))
            commands = self.commands(p.get("commands"), where, name)
            if name == "post_build":
                commands = self.strip_copies(commands)
            finally_commands = self.commands(p.get("finally"), where, f"{name} finally")
            failure = str(p.get("on-failure", "ABORT")).upper()
            if failure not in ("ABORT", "CONTINUE"):
                self.fail(where, f"phase {name}: on-failure {p.get('on-failure')!r} is not understood")
            if not commands and not finally_commands:
                continue
            out.append(plan.Phase(name, commands, finally_commands, failure.lower(),
                                  plan.PHASE_WHEN[name] if has_build else "success"))
        return tuple(out), runtimes

    def commands(self, value, where: str, what: str) -> tuple[str, ...]:
        out = []
        for c in _as_list(value):
            if isinstance(c, bool) or not isinstance(c, (str, int, float)):
                self.fail(where, f"{what}: command {c!r} is not text")
            out.append(str(c))
        return tuple(out)

    def strip_copies(self, commands: tuple[str, ...]) -> tuple[str, ...]:
        """``commands`` without the AWS target's trailing copies of an EC2 deployment's appspec into
        the revision this build produces (:meth:`outputs`, which runs first, finds the revisions)."""
        out = list(commands)
        while out:
            m = _APPSPEC_COPY.fullmatch(out[-1])
            if not m or m.group("dest") not in self._copy_dests:
                break
            artifact, deploys = self._copy_dests[m.group("dest")]
            src = m.group("src")
            if not any(src.endswith(f"aws/{self.name}/appspec/{d}.yml") for d in deploys):
                break
            self.copies[artifact] = src
            self._copied.add(artifact)
            out.pop()
        return tuple(out)

    def outputs(self, a: _Action, artifacts, where: str) -> tuple:
        self._copy_dests = {}
        if not a.outputs:
            if artifacts:
                self.fail(where, "declares artifacts, but the action has no output artifacts")
            return ()
        if not isinstance(artifacts, dict):
            self.fail(where, f"the action has output artifacts {a.outputs} but the buildspec no artifacts")
        secondary = artifacts.get("secondary-artifacts") or {}
        out = []
        for name in a.outputs:
            if len(a.outputs) == 1 and not secondary:
                spec = artifacts
            else:
                spec = secondary.get(name)
                if spec is None and len(a.outputs) == 1:
                    spec = artifacts
                if spec is None:
                    self.fail(where, f"output artifact {name!r} is not among the buildspec's secondary-artifacts")
            unknown = set(spec) - {"files", "base-directory", "discard-paths", "name", "secondary-artifacts"}
            if unknown:
                self.fail(where, f"artifact {name!r}: {', '.join(sorted(unknown))} not understood")
            files = [str(f) for f in _as_list(spec.get("files"))]
            base = spec.get("base-directory")
            base = None if base is None else str(base)
            flatten = _bool(spec.get("discard-paths"), False)
            if flatten is None:
                self.fail(where, f"artifact {name!r}: discard-paths {spec.get('discard-paths')!r} is not yes or no")
            if name in self.ec2_revisions:
                self._copy_dests[_dest(base)] = (name, self.ec2_revisions[name])
            out.append(plan.Artifact(name, tuple(files), base, flatten))
        return tuple(out)

    # ------------------------------------------------------------------ CodeDeploy
    def deployment_group(self, app_value, group_value, where: str, platform: str) -> tuple[str, dict]:
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

    def codedeploy_spec(self, a: _Action, group: str, props: dict, platform: str, appspec,
                        input_: str | None, target) -> tuple:
        gw = f"resource {group} (AWS::CodeDeploy::DeploymentGroup)"
        rollback = props.get("AutoRollbackConfiguration") or {}
        events = ()
        if _bool(self.value(rollback.get("Enabled")), False):
            events = tuple(sorted(self.text(e, gw, "a rollback event") for e in _as_list(rollback.get("Events"))))
        alarms_cfg = props.get("AlarmConfiguration") or {}
        alarms = ()
        if _bool(self.value(alarms_cfg.get("Enabled")), False):
            alarms = tuple(self.text(al.get("Name"), gw, "an alarm name") for al in _as_list(alarms_cfg.get("Alarms")))
        return plan.spec(platform=platform, input=input_, appspec=appspec,
                         config=self.deployment_config(props.get("DeploymentConfigName"), gw, platform),
                         rollback=events, alarms=alarms, target=target)

    def deployment_config(self, value, where: str, platform: str):
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

    def ec2_deploy(self, a: _Action) -> tuple:
        revision = self.one_input(a)
        group, props = self.deployment_group(a.raw_config.get("ApplicationName"),
                                             a.raw_config.get("DeploymentGroupName"), a.where, "ec2")
        gw = f"resource {group} (AWS::CodeDeploy::DeploymentGroup)"
        for key in ("Ec2TagSet", "OnPremisesInstanceTagFilters", "OnPremisesTagSet"):
            if props.get(key):
                self.fail(gw, f"{key} cannot be read (pipec selects instances with Ec2TagFilters)")
        tags = []
        for f in _as_list(props.get("Ec2TagFilters")):
            if self.text(f.get("Type"), gw, "Ec2TagFilters Type", "KEY_AND_VALUE") != "KEY_AND_VALUE":
                self.fail(gw, "only Ec2TagFilters of Type KEY_AND_VALUE can be read")
            tags.append((self.text(f.get("Key"), gw, "a tag key"), self.text(f.get("Value"), gw, "a tag value")))
        lb = props.get("LoadBalancerInfo") or {}
        if set(lb) - {"TargetGroupInfoList"} or len(_as_list(lb.get("TargetGroupInfoList"))) > 1:
            self.fail(gw, "LoadBalancerInfo other than one target group cannot be read")
        tg = [self.text(t.get("Name"), gw, "a target group name") for t in _as_list(lb.get("TargetGroupInfoList"))]
        target = ("ec2", tuple(tags), tuple(self.text(g, gw, "an Auto Scaling group")
                                            for g in _as_list(props.get("AutoScalingGroups"))),
                  tg[0] if tg else None)
        src = self.copies.get(revision)
        path = self.root / src if src else self.out / "aws" / self.name / "appspec" / f"{a.name}.yml"
        return self.codedeploy_spec(a, group, props, "ec2", self.load_appspec(path, a.where), revision, target)

    def ecs_deploy(self, a: _Action) -> tuple:
        cfg = a.raw_config
        group, props = self.deployment_group(cfg.get("ApplicationName"), cfg.get("DeploymentGroupName"),
                                             a.where, "ecs")
        gw = f"resource {group} (AWS::CodeDeploy::DeploymentGroup)"
        taskdef = self.text(cfg.get("TaskDefinitionTemplateArtifact"), a.where, "TaskDefinitionTemplateArtifact")
        path = self.text(cfg.get("AppSpecTemplatePath"), a.where, "AppSpecTemplatePath")
        if taskdef is None or path is None:
            self.fail(a.where, "needs TaskDefinitionTemplateArtifact and AppSpecTemplatePath")
        services = _as_list(props.get("ECSServices"))
        pairs = _as_list((props.get("LoadBalancerInfo") or {}).get("TargetGroupPairInfoList"))
        if len(services) != 1 or len(pairs) != 1:
            self.fail(gw, "needs exactly one ECSServices entry and one TargetGroupPairInfoList entry")
        pair = pairs[0]

        def listener(route):
            arns = _as_list((pair.get(route) or {}).get("ListenerArns"))
            if len(arns) > 1:
                self.fail(gw, f"{route} with more than one listener cannot be read")
            return self.text(arns[0], gw, f"{route} listener") if arns else None

        target = ("ecs", self.text(services[0].get("ClusterName"), gw, "ClusterName"),
                  self.text(services[0].get("ServiceName"), gw, "ServiceName"),
                  tuple(self.text(t.get("Name"), gw, "a target group name")
                        for t in _as_list(pair.get("TargetGroups"))),
                  listener("ProdTrafficRoute"), listener("TestTrafficRoute"))
        return self.codedeploy_spec(a, group, props, "ecs", self.load_appspec(self.root / path, a.where), taskdef,
                                    target)

    def lambda_deploy(self, a: _Action, lid: str, data: dict, text: str) -> tuple:
        where = f"{a.where} (Lambda deployer project {lid})"
        project_env = {}
        for v in _as_list((self.props(lid).get("Environment") or {}).get("EnvironmentVariables")):
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
        return self.codedeploy_spec(a, group, props, "lambda", self.load_appspec(path, where), None,
                                    ("lambda", function, alias))

    def ecs_rolling(self, a: _Action) -> tuple:
        cfg = a.raw_config
        return plan.spec(platform="ecs", input=self.one_input(a),
                         rolling=(self.text(cfg.get("ClusterName"), a.where, "ClusterName"),
                                  self.text(cfg.get("ServiceName"), a.where, "ServiceName"),
                                  self.text(cfg.get("FileName"), a.where, "FileName", "imagedefinitions.json")))

    # ------------------------------------------------------------------ the others
    def stack_spec(self, a: _Action, change_set: bool) -> tuple:
        cfg = a.raw_config
        path = self.text(cfg.get("TemplatePath"), a.where, "TemplatePath")
        if path is None or "::" not in path:
            self.fail(a.where, f"TemplatePath {path!r} is not ARTIFACT::FILE")
        artifact, template = path.split("::", 1)
        caps = []
        for c in (self.text(cfg.get("Capabilities"), a.where, "Capabilities") or "").split(","):
            c = c.strip()
            if not c:
                continue
            if c not in _CAPABILITIES:
                self.fail(a.where, f"unknown capability {c!r}")
            caps.append(_CAPABILITIES[c])
        params = ()
        raw = self.value(cfg.get("ParameterOverrides"))
        if isinstance(raw, dict) and set(raw) == {"Fn::ToJsonString"}:
            raw = json.dumps(raw["Fn::ToJsonString"])
        if raw is not None:
            if not isinstance(raw, str) or isinstance(raw, cfn.Unresolved):
                self.fail(a.where, "ParameterOverrides is not JSON text the template decides")
            try:
                values = json.loads(raw)
            except json.JSONDecodeError:
                self.fail(a.where, "ParameterOverrides is not JSON")
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                self.fail(a.where, "ParameterOverrides must map names to strings (pipec reads no Fn::GetParam)")
            params = tuple(sorted(values.items()))
        return plan.spec(stack=self.text(cfg.get("StackName"), a.where, "StackName"), template=template,
                         input=a.inputs[0] if a.inputs else artifact, parameters=params,
                         capabilities=tuple(sorted(caps)), change_set=change_set)

    def bucket(self, a: _Action) -> tuple:
        cfg = a.raw_config
        extract = _bool(self.value(cfg.get("Extract")))
        if extract is None:
            self.fail(a.where, f"Extract {cfg.get('Extract')!r} is not true or false")
        return plan.spec(bucket=self.text(cfg.get("BucketName"), a.where, "BucketName"), input=self.one_input(a),
                         extract=extract, key=self.text(cfg.get("ObjectKey"), a.where, "ObjectKey"),
                         cache_control=self.text(cfg.get("CacheControl"), a.where, "CacheControl"))

    def approval(self, a: _Action) -> tuple:
        cfg = a.raw_config
        notify = None
        arn = cfg.get("NotificationArn")
        if arn is not None:
            topic = self.resource(arn, "AWS::SNS::Topic", a.where, "NotificationArn")
            if topic is None:
                notify = self.text(arn, a.where, "NotificationArn")
            else:
                notify = self.emails(topic)
        return plan.spec(message=self.text(cfg.get("CustomData"), a.where, "CustomData"),
                         url=self.text(cfg.get("ExternalEntityLink"), a.where, "ExternalEntityLink"),
                         notify=notify,
                         timeout=self.number(a.decl.get("TimeoutInMinutes"), a.where, "TimeoutInMinutes", 7 * 24 * 60))

    def emails(self, topic: str):
        """The e-mail addresses subscribed to ``topic`` (a topic of the template), sorted."""
        tw = f"resource {topic} (AWS::SNS::Topic)"
        subs = list(_as_list(self.props(topic).get("Subscription")))
        for lid, res in self.t.of_type("AWS::SNS::Subscription").items():
            p = res.get("Properties") or {}
            if self.resource(p.get("TopicArn"), "AWS::SNS::Topic", f"resource {lid}", "TopicArn") == topic:
                subs.append(p)
        out = []
        for s in subs:
            if self.text(s.get("Protocol"), tw, "a subscription's Protocol") != "email":
                self.fail(tw, f"a subscription with Protocol {s.get('Protocol')!r} cannot be read (only email)")
            out.append(self.text(s.get("Endpoint"), tw, "a subscription's Endpoint"))
        return tuple(sorted(out)) or None

    def invoke(self, a: _Action) -> tuple:
        cfg = a.raw_config
        return plan.spec(function=self.text(cfg.get("FunctionName"), a.where, "FunctionName"),
                         parameters=self.text(cfg.get("UserParameters"), a.where, "UserParameters"),
                         inputs=tuple(a.inputs), outputs=tuple(a.outputs))
