"""Reading the stages after the source stage: actions into jobs, and the actions with no files.

:class:`ActionsReaderMixin` checks each action's type and keys, orders the jobs of a stage by run
order (a job waits for the jobs of its stage that end before it starts), makes one ``stack`` job
of a CloudFormation change-set pair (``X-change-set`` then ``X``), and hands each action to the
part that reads it: :mod:`.read_codebuild` for CodeBuild, :mod:`.read_codedeploy` for CodeDeploy
and ECS, and this module for the ones whose whole meaning is in the template (a CloudFormation
stack, an S3 bucket deployment, a manual approval and its SNS topic, a Lambda invoke). A part of
the reader in :mod:`pipec.targets.aws.read`.
"""

from __future__ import annotations

import json

from pipec import plan
from pipec.targets.aws import cfn
from pipec.targets.aws.read_common import Action, as_bool, as_list

#: CodePipeline ActionMode of a CloudFormation action that creates or updates a stack directly
_DIRECT_MODES = {"CREATE_UPDATE"}
_CAPABILITIES = {"CAPABILITY_IAM": "iam", "CAPABILITY_NAMED_IAM": "named-iam",
                 "CAPABILITY_AUTO_EXPAND": "auto-expand"}

#: (category, provider) of every action the reader understands -> the configuration keys it knows
_KNOWN_CONFIG = {
    ("Build", "CodeBuild"): {"ProjectName", "PrimarySource", "EnvironmentVariables", "BatchEnabled"},
    ("Test", "CodeBuild"): {"ProjectName", "PrimarySource", "EnvironmentVariables", "BatchEnabled"},
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
#: keys of an action declaration the reader accepts (Namespace only names the action's variables)
_ACTION_KEYS = {"Name", "ActionTypeId", "Configuration", "InputArtifacts", "OutputArtifacts", "RunOrder",
                "TimeoutInMinutes", "Namespace",
                # where it runs: another account's role, another Region (read_places.py)
                "RoleArn", "Region"}


class _Job:
    """A job being assembled: its actions' run orders decide its place in the stage."""

    def __init__(self, job_id: str, stage: str, kind: str, spec: tuple, start: int, end: int):
        self.id, self.stage, self.kind, self.spec, self.start, self.end = job_id, stage, kind, spec, start, end


class ActionsReaderMixin:
    """The jobs of the stages (:meth:`jobs`) and the specs of the actions with no files."""

    def jobs(self, work, held_stages) -> list[plan.Job]:
        """The jobs of the stages in ``work`` ((stage, actions) after the source stage), each with
        the jobs it waits for; the first jobs of a stage in ``held_stages`` are held."""
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
                        stage_jobs.append(_Job(a.name, sname, "stack",
                                               self.placed_spec(first, self.stack_spec(first, key[1])), start, order))
                        continue
                    if mode not in _DIRECT_MODES:
                        self.fail(a.where, f"ActionMode {mode!r} is not one pipec reads "
                                           "(CREATE_UPDATE, or CHANGE_SET_REPLACE then CHANGE_SET_EXECUTE)")
                    stage_jobs.append(_Job(a.name, sname, "stack", self.placed_spec(a, self.stack_spec(a, None)),
                                           order, order))
                    continue
                with self.at_home(a):
                    kind, sp = self.action_spec(a)
                stage_jobs.append(_Job(a.name, sname, kind, self.placed_spec(a, sp), order, order))
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
                # (its last action's run order) before its last action's run order: a change set
                # is executed only when the actions beside its creation succeeded
                after = done | {k.id for k in stage_jobs if k is not j and k.end < j.end}
                out.append(plan.Job(j.id, j.kind, frozenset(after), held=sname in held_stages and j.start == first,
                                    spec=j.spec))
            done |= {j.id for j in stage_jobs}
        return out

    def check_action(self, a: Action):
        """ValueError for an action type, declaration key or configuration key pipec cannot read."""
        if not a.name:
            self.fail(a.where, "has no Name")
        known = _KNOWN_CONFIG.get((a.category, a.provider))
        if a.owner != "AWS" or known is None:
            self.fail(a.where, f"action type {a.category}/{a.owner}/{a.provider} is not one pipec reads "
                               "(CodeBuild, CodeDeploy, CodeDeployToECS, ECS, CloudFormation, S3, Manual, Lambda)")
        extra = set(a.decl) - _ACTION_KEYS
        if a.provider in ("CodeBuild", "Manual"):  # builds and approvals run where the pipeline runs
            extra |= set(a.decl) & {"RoleArn", "Region"}
        if extra:
            self.fail(a.where, f"declares {', '.join(sorted(extra))}, which pipec cannot express")
        if not isinstance(a.raw_config, dict):
            self.fail(a.where, "Configuration is not a mapping")
        unknown = set(a.raw_config) - known
        if unknown:
            self.fail(a.where, f"{a.provider} configuration {', '.join(sorted(unknown))} is not understood")
        if "TimeoutInMinutes" in a.decl and a.provider != "Manual":
            self.fail(a.where, "TimeoutInMinutes on an action other than a manual approval is not understood")

    def action_spec(self, a: Action) -> tuple[str, tuple]:
        """(job kind, spec) of an action other than a CloudFormation one."""
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

    def one_input(self, a: Action) -> str:
        """The one input artifact of ``a``; ValueError for none or several."""
        if len(a.inputs) != 1:
            self.fail(a.where, f"takes {len(a.inputs)} input artifacts; pipec reads exactly one here")
        return a.inputs[0]

    def stack_spec(self, a: Action, change_set: str | None) -> tuple:
        """The spec of a CloudFormation deployment (``change_set``: the name of the change set it
        goes through, which the CHANGE_SET_EXECUTE action executes by that name; None: directly)."""
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

    def bucket(self, a: Action) -> tuple:
        """The spec of an S3 deploy action."""
        cfg = a.raw_config
        extract = as_bool(self.value(cfg.get("Extract")))
        if extract is None:
            self.fail(a.where, f"Extract {cfg.get('Extract')!r} is not true or false")
        return plan.spec(bucket=self.text(cfg.get("BucketName"), a.where, "BucketName"), input=self.one_input(a),
                         extract=extract, key=self.text(cfg.get("ObjectKey"), a.where, "ObjectKey"),
                         cache_control=self.text(cfg.get("CacheControl"), a.where, "CacheControl"))

    def approval(self, a: Action) -> tuple:
        """The spec of a manual approval: message, link, who is notified, timeout."""
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
                         timeout=self.number(a.decl.get("TimeoutInMinutes"), a.where, "TimeoutInMinutes", 7 * 24 * 60),
                         # a manual approval action always waits for an approve or reject
                         gate="closed")

    def emails(self, topic: str):
        """The e-mail addresses subscribed to ``topic`` (a topic of the template), sorted."""
        tw = f"resource {topic} (AWS::SNS::Topic)"
        subs = list(as_list(self.props(topic).get("Subscription")))
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

    def invoke(self, a: Action) -> tuple:
        """The spec of a Lambda invoke action."""
        cfg = a.raw_config
        return plan.spec(function=self.text(cfg.get("FunctionName"), a.where, "FunctionName"),
                         parameters=self.text(cfg.get("UserParameters"), a.where, "UserParameters"),
                         inputs=tuple(a.inputs), outputs=tuple(a.outputs))
