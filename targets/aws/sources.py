"""Sources and what starts the pipeline: source actions, triggers and EventBridge rules.

:class:`SourcesMixin` writes the Source stage (one action per ``source``: a CodeConnections
connection for GitHub, Bitbucket and GitLab, CodeCommit, or an S3 object), the pipeline's
``Triggers`` for pushes, tags and pull requests (pipec's patterns translated by
:mod:`pipec.targets.aws.patterns`; E411 when CodePipeline cannot say the same), and the
EventBridge rules that start the pipeline on a CodeCommit or S3 change and on a schedule, with the
role they use. It is one of the parts of the builder in :mod:`.pipeline`, on top of
:class:`~pipec.targets.aws.template.TemplateBuilder`.
"""

from __future__ import annotations

from troposphere import GetAtt, Output, Parameter, Ref, Sub
from troposphere import codeconnections as cc
from troposphere import codepipeline as cp
from troposphere import events, iam

from pipec import model
from pipec.diagnostics import Diagnostics
from pipec.targets.aws import checks
from pipec.targets.aws import iam as aws_iam
from pipec.targets.aws.template import logical_id

from pipec.targets.aws.checks import _NOT_SOURCE_EVENTS, CONNECTION_PROVIDERS
PR_EVENTS = {"opened": "OPEN", "updated": "UPDATED", "closed": "CLOSED"}


class SourcesMixin:
    """The source actions and everything that starts the pipeline (:meth:`sources`); the
    CodeConnections connections it creates, which builds that clone a repository use too
    (:meth:`connection_arn`)."""

    def __init__(self, p, ctx):
        super().__init__(p, ctx)
        self.connections: dict[str, str] = {}
        self.events_roles: dict = {}  # source name -> the role its EventBridge rules use

    def sources(self):
        """(the Source stage's actions, the pipeline's trigger declarations); adds the connections,
        parameters, EventBridge rules and roles they need."""
        actions, triggers = [], []
        for src in self.p.sources:
            config: dict = {}
            if src.provider in CONNECTION_PROVIDERS:
                conn = src.connection
                if conn.arn:
                    param = self.t.add_parameter(Parameter(
                        self.key(src.name) + "ConnectionArn", Type="String", Default=conn.arn,
                        Description=f"CodeConnections connection for source {src.name} ({src.provider})"))
                    conn_arn = Ref(param)
                else:
                    if conn.name not in self.connections:
                        res = self.add(cc.Connection(self.unique(logical_id(conn.name, "Connection")),
                                                     ConnectionName=conn.name[:32],
                                                     ProviderType=CONNECTION_PROVIDERS[src.provider],
                                                     Tags=self.tags()))
                        self.connections[conn.name] = res.title
                    conn_arn = GetAtt(self.connections[conn.name], "ConnectionArn")
                config = {"ConnectionArn": conn_arn, "FullRepositoryId": src.repository,
                          "BranchName": src.branch,
                          "OutputArtifactFormat": "CODEBUILD_CLONE_REF" if src.full_clone else "CODE_ZIP"}
                automatic = checks.automatic_triggers(src)
                config["DetectChanges"] = "true" if automatic else "false"
                self.allow(["codestar-connections:UseConnection", "codeconnections:UseConnection"], conn_arn)
                if automatic:
                    triggers.append(self.trigger(src, automatic))
                type_id = cp.ActionTypeId(Category="Source", Owner="AWS", Provider="CodeStarSourceConnection",
                                          Version="1")
            elif src.provider == "codecommit":
                config = {"RepositoryName": src.repository, "BranchName": src.branch,
                          "PollForSourceChanges": "false"}
                repo_arn = aws_iam.arn("codecommit", src.repository)
                self.allow(["codecommit:GetBranch", "codecommit:GetCommit", "codecommit:UploadArchive",
                            "codecommit:GetUploadArchiveStatus", "codecommit:CancelUploadArchive"], repo_arn)
                if any(not isinstance(t, _NOT_SOURCE_EVENTS) for t in src.triggers):
                    self.change_rule(src, {
                        "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
                        "resources": [repo_arn],
                        "detail": {"event": ["referenceCreated", "referenceUpdated"],
                                   "referenceType": ["branch"], "referenceName": [src.branch]}})
                type_id = cp.ActionTypeId(Category="Source", Owner="AWS", Provider="CodeCommit", Version="1")
            else:
                config = {"S3Bucket": src.bucket, "S3ObjectKey": src.object_key, "PollForSourceChanges": "false"}
                self.allow(["s3:GetObject", "s3:GetObjectVersion"],
                           Sub(f"arn:${{AWS::Partition}}:s3:::{src.bucket}/{src.object_key}"))
                self.allow(["s3:GetBucketVersioning"], Sub(f"arn:${{AWS::Partition}}:s3:::{src.bucket}"))
                if any(not isinstance(t, _NOT_SOURCE_EVENTS) for t in src.triggers):
                    self.change_rule(src, {
                        "source": ["aws.s3"], "detail-type": ["Object Created"],
                        "detail": {"bucket": {"name": [src.bucket]}, "object": {"key": [src.object_key]}}})
                type_id = cp.ActionTypeId(Category="Source", Owner="AWS", Provider="S3", Version="1")
            actions.append(cp.Actions(Name=src.name, ActionTypeId=type_id, Configuration=config,
                                      OutputArtifacts=[cp.OutputArtifacts(Name=src.name)], RunOrder=1))
        for src in self.p.sources:
            for t in src.triggers:
                if isinstance(t, model.ScheduleTrigger) and t.platform in (None, "aws"):
                    self.schedule_rule(src, t)
        return actions, [t for t in triggers if t is not None]

    def filter_criteria(self, cls, includes, excludes):
        """CodePipeline filter criteria ``cls`` of the patterns that
        :func:`pipec.targets.aws.checks.translated_filter` made from a pipec filter."""
        kwargs = {"Includes": includes}
        if excludes:
            kwargs["Excludes"] = excludes
        return cls(**kwargs)

    def trigger(self, src: model.Source, items):
        """The trigger declaration of a connection source for its push, tag and pull-request
        triggers ``items``; E411 for each pattern CodePipeline cannot express
        (:func:`pipec.targets.aws.checks.translated_filter`)."""
        criteria_of = {"Tags": cp.GitTagFilterCriteria, "Branches": cp.GitBranchFilterCriteria,
                       "FilePaths": cp.GitFilePathFilterCriteria}
        push, prs, problems = [], [], []
        for t in items:
            kwargs = {} if isinstance(t, model.PushTrigger) else {"Events": [PR_EVENTS[e] for e in t.events]}
            for key, f in checks.trigger_filters(src, t):
                got = checks.translated_filter(self.p, src, t, f, problems)
                if got is None:
                    kwargs[key] = None
                    continue
                kwargs[key] = self.filter_criteria(criteria_of[key], *got)
            (push if isinstance(t, model.PushTrigger) else prs).append(kwargs)
        if problems:
            raise Diagnostics(problems)
        push = [cp.GitPushFilter(**kwargs) for kwargs in push]
        prs = [cp.GitPullRequestFilter(**kwargs) for kwargs in prs]
        git = {"SourceActionName": src.name}
        if push:
            git["Push"] = push
        if prs:
            git["PullRequest"] = prs
        return cp.PipelineTriggerDeclaration(ProviderType="CodeStarSourceConnection",
                                             GitConfiguration=cp.GitConfiguration(**git))

    def events_role(self, src: model.Source):
        """The role EventBridge assumes to start this pipeline for ``src``'s rules (its change rule
        and its schedules share it): it may only ``StartPipelineExecution`` on this pipeline."""
        roles = self.events_roles
        if src.name not in roles:
            role = self.add(iam.Role(
                self.key(src.name) + "EventsRole",
                AssumeRolePolicyDocument=aws_iam.trust("events.amazonaws.com"),
                Policies=[iam.Policy(PolicyName="start-pipeline", PolicyDocument=aws_iam.policy([{
                    "Effect": "Allow", "Action": "codepipeline:StartPipelineExecution",
                    "Resource": [aws_iam.arn("codepipeline", "${Pipeline}")]}]))],
                **self.boundary()))
            self.t.add_output(Output(role.title + "Arn", Value=GetAtt(role, "Arn"),
                                     Description=f"Role EventBridge uses to start the pipeline for source {src.name}"))
            roles[src.name] = role
        return roles[src.name]

    def schedule_rule(self, src: model.Source, t: model.ScheduleTrigger):
        """An EventBridge rule that starts the pipeline at the times of ``t`` (UTC); the run
        takes each source's latest revision, as a run started by hand does. Every events role
        may do the same (start this pipeline), so the first one made serves the schedules too."""
        from pipec import cron

        role = next(iter(self.events_roles.values()), None) or self.events_role(src)
        self.add(events.Rule(
            self.unique(self.key(src.name) + "ScheduleRule"), State="ENABLED",
            Description=f"Start pipeline {self.p.name} on schedule '{t.cron}' (UTC)",
            ScheduleExpression=cron.eventbridge(t.cron),
            Targets=[events.Target(Id="pipeline", Arn=aws_iam.arn("codepipeline", "${Pipeline}"),
                                   RoleArn=GetAtt(role, "Arn"))]))

    def change_rule(self, src: model.Source, pattern: dict):
        """An EventBridge rule that starts the pipeline on the events of ``src`` that ``pattern`` matches."""
        role = self.events_role(src)
        self.add(events.Rule(
            self.key(src.name) + "ChangeRule", State="ENABLED",
            Description=f"Start pipeline {self.p.name} when source {src.name} changes",
            EventPattern=pattern,
            Targets=[events.Target(Id="pipeline", Arn=aws_iam.arn("codepipeline", "${Pipeline}"),
                                   RoleArn=GetAtt(role, "Arn"))]))

    def connection_arn(self, src):
        """The ARN of the connection of source ``src``, made by :meth:`sources`."""
        if src.connection.arn:
            return Ref(self.key(src.name) + "ConnectionArn")
        return GetAtt(self.connections[src.connection.name], "ConnectionArn")
