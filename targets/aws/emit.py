"""The AWS target: one CloudFormation template per pipeline, plus buildspec and appspec files.

From the validated model this emits (paths relative to the output directory)::

    aws/<pipeline>.template.yaml   CodePipeline V2, CodeBuild, CodeDeploy, IAM, S3, SNS, ...
    aws/<pipeline>/buildspec/<action>.yml  one per build or test action (and per Lambda deployer)
    aws/<pipeline>/appspec/<action>.yml    one per CodeDeploy deployment

Everything in the template is built with troposphere objects; the text is made from
``to_dict()`` with pipec's YAML writer (troposphere's ``to_yaml()`` goes through cfn_flip and is
many times slower). How each construct maps is documented in docs/targets.md; the IAM rules are:
one role per CodeBuild project, one for the pipeline, one per CodeDeploy compute platform, one per
CloudFormation deployment; no ``Action: "*"`` anywhere; ``Resource: "*"`` only for the actions
AWS offers no resource-level permission for (listed in docs/targets.md, "IAM").

How files reach CodeBuild and CodeDeploy: the generated files are committed with the repository,
so the source artifact carries them. CodeBuild projects read ``<prefix>/aws/<pipeline>/buildspec/<action>.yml``;
an EC2 revision needs ``appspec.yml`` at its root, so the build that produces the revision copies
the generated appspec there as its last post_build command; CodeDeployToECS reads the appspec
straight from the source artifact; Lambda deployments run through CodeDeploy from a small
CodeBuild "deployer" project (CodePipeline's own Lambda deploy action runs no hooks), which fills
in the function versions and waits for the deployment.
"""

from __future__ import annotations

import json
import re

from troposphere import (
    GetAtt,
    Join,
    Output,
    Parameter,
    Ref,
    Sub,
    Tags,
    Template,
)
from troposphere import codebuild as cb
from troposphere import codedeploy as cd
from troposphere import codepipeline as cp
from troposphere import events, iam, logs, s3, sns
from troposphere import codeartifact as ca
from troposphere import codeconnections as cc

from pipec import model, yamlout
from pipec.targets.aws import security as aws_security
from pipec.diagnostics import ERROR, Diagnostic, Diagnostics

# ----------------------------------------------------------------------------- tables

#: Managed CodeBuild images for ``image ubuntu|amazonlinux [VERSION]``.
MANAGED_IMAGES = {
    "ubuntu": ("aws/codebuild/standard", "7.0"),
    "amazonlinux": ("aws/codebuild/amazonlinux-x86_64-standard", "5.0"),
}
COMPUTE_TYPES = {
    "small": "BUILD_GENERAL1_SMALL",
    "medium": "BUILD_GENERAL1_MEDIUM",
    "large": "BUILD_GENERAL1_LARGE",
    "2xlarge": "BUILD_GENERAL1_2XLARGE",
}
CONNECTION_PROVIDERS = {"github": "GitHub", "bitbucket": "Bitbucket", "gitlab": "GitLab"}
PR_EVENTS = {"opened": "OPEN", "updated": "UPDATED", "closed": "CLOSED"}
CODEDEPLOY_PLATFORMS = {"ec2": "Server", "ecs": "ECS", "lambda": "Lambda"}
#: CodeArtifact tool -> the public upstream registry's external connection.
EXTERNAL_CONNECTIONS = {
    "npm": "public:npmjs",
    "pip": "public:pypi",
    "twine": "public:pypi",
    "maven": "public:maven-central",
    "dotnet": "public:nuget-org",
    "nuget": "public:nuget-org",
}
CAPABILITIES = {"iam": "CAPABILITY_IAM", "named-iam": "CAPABILITY_NAMED_IAM",
                "auto-expand": "CAPABILITY_AUTO_EXPAND"}


def logical_id(*parts: str) -> str:
    """A CloudFormation logical ID from names: ``web-prod`` + ``Project`` -> ``WebProdProject``."""
    out = []
    for part in parts:
        for word in re.split(r"[^A-Za-z0-9]+", part):
            if word:
                out.append(word[0].upper() + word[1:])
    return "".join(out) or "X"


def _arn(service: str, resource: str, region: bool = True, account: bool = True) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:{service}:{'${AWS::Region}' if region else ''}:"
               f"{'${AWS::AccountId}' if account else ''}:{resource}")


#: triggers that are not events of a source: CodePipeline can always be started by hand, and a
#: schedule has an EventBridge rule of its own
_NOT_SOURCE_EVENTS = (model.ManualTrigger, model.ScheduleTrigger)


def _policy(statements: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": statements}


def grant_statements(b: model.Build) -> list[dict]:
    """The action's ``allow`` lines as IAM statements, for the role its commands run with."""
    return [{"Effect": "Allow", "Action": list(g.actions) if len(g.actions) > 1 else g.actions[0],
             "Resource": list(g.resources)} for g in b.grants]


def _trust(service: str) -> dict:
    return _policy([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


def _secret_arn(ref: str):
    """Secrets Manager ARN for a secret id as written (``name``, ``name:json-key`` or a full ARN,
    which may be followed by ``:json-key:version-stage:version-id``)."""
    if ref.startswith("arn:"):
        return ":".join(ref.split(":")[:7])
    name = ref.split(":", 1)[0]
    return _arn("secretsmanager", f"secret:{name}-*")


def _deployment_group_arn(app, group) -> Sub:
    return Sub("arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:${App}/${Group}",
               App=app, Group=group)


def _application_arn(app) -> Sub:
    return Sub("arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:application:${App}", App=app)


def _deployment_config_arn(config) -> Sub:
    """The ARN of a deployment configuration: a name (or ``*``) as written, or a Ref to one."""
    prefix = "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentconfig:"
    if isinstance(config, str):
        return Sub(prefix + config)
    return Sub(prefix + "${Config}", Config=config)


def _function_arn(name: str):
    return name if name.startswith("arn:") else _arn("lambda", f"function:{name}")


def _parameter_arn(name: str):
    if name.startswith("arn:"):
        return name
    return _arn("ssm", f"parameter/{name.lstrip('/')}")


#: wait for a CodeDeploy deployment $ID: 'aws deploy wait' gives up after 30 minutes, and canary
#: and linear traffic shifts may take longer
WAIT_FOR_DEPLOYMENT = [
    'echo "CodeDeploy deployment $ID"',
    "while true; do",
    '  STATUS=$(aws deploy get-deployment --deployment-id "$ID" --query deploymentInfo.status --output text)',
    '  case "$STATUS" in',
    '    Succeeded) echo "deployment $ID succeeded"; break ;;',
    '    Failed|Stopped) echo "deployment $ID: $STATUS" >&2; exit 1 ;;',
    "  esac",
    "  sleep 15",
    "done",
]


def lambda_deployment_script(t: model.LambdaTarget, appspec: str, tmp: str) -> list[str]:
    """Shell lines that shift a Lambda alias through CodeDeploy and wait: fill the generated
    appspec's versions (the alias's current one, a newly published one, or the ones the .pipe
    pins), create the deployment from the appspec's content, wait for it. Reads $FUNCTION,
    $ALIAS, $APPLICATION and $GROUP; ``appspec`` is a shell word naming the appspec file and
    ``tmp`` a scratch directory. The AWS target runs it in CodeBuild, the GitHub target in a job."""
    current = t.current_version or '$(aws lambda get-alias --function-name "$FUNCTION" --name "$ALIAS" ' \
        "--query FunctionVersion --output text)"
    target = t.target_version or '$(aws lambda publish-version --function-name "$FUNCTION" ' \
        "--query Version --output text)"
    return [
        f"CURRENT={current}",
        f"TARGET={target}",
        f'sed -e "s/<CURRENT_VERSION>/$CURRENT/" -e "s/<TARGET_VERSION>/$TARGET/" {appspec} > "{tmp}/appspec.yml"',
        "python3 -c 'import json,sys; print(json.dumps({\"revisionType\": \"AppSpecContent\", "
        "\"appSpecContent\": {\"content\": open(sys.argv[1]).read()}}))' "
        f'"{tmp}/appspec.yml" > "{tmp}/revision.json"',
        'ID=$(aws deploy create-deployment --application-name "$APPLICATION" '
        f'--deployment-group-name "$GROUP" --revision "file://{tmp}/revision.json" --query deploymentId --output text)',
        *WAIT_FOR_DEPLOYMENT,
    ]

class _Builder:
    def __init__(self, p: model.Pipeline, ctx):
        self.p = p
        self.ctx = ctx
        self.t = Template()
        self.t.set_version("2010-09-09")
        self.t.set_description(f"{p.name}: generated by pipec from {ctx.source}. Do not edit; change the "
                               ".pipe file and run pipec build.")
        self.t.set_metadata({"pipec": {"source": ctx.source, "pipeline": p.name}})
        self.stages = [s for s in p.stages if s.platform in (None, "aws")]
        self.pipeline_role_statements: list[dict] = []
        self.codedeploy_roles: dict[str, str] = {}
        self.codedeploy_apps: dict[str, str] = {}
        self.deployment_configs: dict = {}  # deploy action name -> its configuration (name or Ref)
        self.ca_domains: dict[str, str] = {}
        self.ca_repos: dict[tuple[str, str], str] = {}
        self.files: dict[str, str] = {}
        self.kms_key = p.artifact_store.kms_key
        self.bucket_ref = None
        self.bucket_arn = None
        self.connections: dict[str, str] = {}
        self.events_roles: dict = {}  # source name -> the role its EventBridge rules use
        #: added to the names written in the .pipe file (project_name, application, topic_name):
        #: the GitHub companion template's "-github", so that both templates can live in one account
        self.name_suffix = ""
        #: CodeArtifact ARNs from names instead of the resources (the companion creates them only
        #: when its CreateCodeArtifact parameter says so)
        self.ca_arns_by_name = False
        self._ids: dict[str, str] = {}
        git = [src for src in p.sources if src.is_git]
        #: the repository that carries the committed generated files (buildspecs, appspecs)
        self.repo_source = git[0].name if git else None

    def refusal(self, node, message: str, help: str) -> Diagnostic:
        """E407: what the pipeline asks for cannot be delivered on CodePipeline as generated."""
        return Diagnostic("E407", ERROR, message, node.span, help=help, file=self.p.filename)

    def no_repository(self, node) -> Diagnostic:
        return self.refusal(node, f"'{node.name}' needs a Git source to carry its generated appspec",
                            "The generated appspec is committed with the repository, where CodeDeploy (or "
                            "the build that makes the revision) reads it; add a GitHub, Bitbucket, GitLab or "
                            "CodeCommit source.")

    def unique(self, candidate: str) -> str:
        """``candidate`` as a logical ID, with a number added if a resource or parameter has it."""
        taken = set(self.t.resources) | set(self.t.parameters)
        out, n = candidate, 2
        while out in taken:
            out, n = f"{candidate}{n}", n + 1
        return out

    def named(self, name: str | None) -> str | None:
        """A name written in the .pipe file, as this template gives it to the resource."""
        return None if name is None else name + self.name_suffix

    def key(self, name: str) -> str:
        """A logical-ID stem for a pipeline name, unique even when two names differ only in
        punctuation (``a-b`` and ``a_b``)."""
        if name not in self._ids:
            base = logical_id(name)
            stem, n = base, 2
            while stem in self._ids.values():
                stem, n = f"{base}{n}", n + 1
            self._ids[name] = stem
        return self._ids[name]

    # ------------------------------------------------------------------ helpers
    def add(self, obj):
        return self.t.add_resource(obj)

    def allow(self, actions, resources, condition=None):
        st = {"Effect": "Allow", "Action": sorted(set(actions)) if len(actions) > 1 else actions[0],
              "Resource": resources if isinstance(resources, list) else [resources]}
        if condition:
            st["Condition"] = condition
        self.pipeline_role_statements.append(st)

    def tags(self):
        extra = {}
        for k, v in self.p.aws.items:
            if k == "tag":
                extra[v[0]] = v[1]
        return Tags(**{"pipec:pipeline": self.p.name, **extra})

    # ------------------------------------------------------------------ artifact store
    def artifact_store(self):
        store = self.p.artifact_store
        if store.bucket:
            self.bucket_ref = store.bucket
            self.bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{store.bucket}")
        else:
            if self.kms_key:
                enc = s3.ServerSideEncryptionByDefault(SSEAlgorithm="aws:kms", KMSMasterKeyID=self.kms_key)
            else:
                enc = s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256")
            bucket = self.add(s3.Bucket(
                "ArtifactBucket",
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
                BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[
                    s3.ServerSideEncryptionRule(ServerSideEncryptionByDefault=enc,
                                                BucketKeyEnabled=bool(self.kms_key))]),
                VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
                PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
                    BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True,
                    RestrictPublicBuckets=True),
                OwnershipControls=s3.OwnershipControls(Rules=[
                    s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
                LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
                    Id="ExpireOldArtifacts", Status="Enabled", ExpirationInDays=90,
                    NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=30),
                    AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
                )]),
                Tags=self.tags(),
            ))
            aws_security.bucket_logging(self, bucket)
            self.bucket_ref = Ref(bucket)
            self.bucket_arn = GetAtt(bucket, "Arn")
            self.add(s3.BucketPolicy(
                "ArtifactBucketPolicy",
                Bucket=Ref(bucket),
                PolicyDocument=_policy([{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [GetAtt(bucket, "Arn"), Sub("${ArtifactBucket.Arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }]),
            ))

    def artifact_access(self, write: bool = True) -> list[dict]:
        actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation", "s3:GetBucketVersioning"]
        if write:
            actions.append("s3:PutObject")
        sts = [{"Effect": "Allow", "Action": sorted(actions),
                "Resource": [self.bucket_arn, _suffix(self.bucket_arn, "/*")]}]
        if self.kms_key:
            st = {"Effect": "Allow", "Action": list(aws_security.KMS_ARTIFACT_ACTIONS)}
            alias = self.kms_key.split(":alias/")[-1] if ":alias/" in self.kms_key else (
                self.kms_key[len("alias/"):] if self.kms_key.startswith("alias/") else None)
            if alias is not None:
                # IAM matches keys, not aliases: an alias is named through kms:ResourceAliases
                st["Resource"] = ["*"]
                st["Condition"] = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{alias}"}}
            else:
                st["Resource"] = [self.kms_key_arn()]
            sts.append(st)
        return sts

    def kms_key_arn(self):
        key = self.kms_key
        if key.startswith("arn:"):
            return key
        if key.startswith("alias/"):
            return _arn("kms", key)
        return _arn("kms", f"key/{key}")

    # ------------------------------------------------------------------ sources
    def sources(self):
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
                aws_triggers = [t for t in src.triggers if t.platform in (None, "aws")]
                automatic = [t for t in aws_triggers if not isinstance(t, _NOT_SOURCE_EVENTS)]
                config["DetectChanges"] = "true" if automatic else "false"
                self.allow(["codestar-connections:UseConnection", "codeconnections:UseConnection"], conn_arn)
                if automatic:
                    triggers.append(self.trigger(src, automatic))
                type_id = cp.ActionTypeId(Category="Source", Owner="AWS", Provider="CodeStarSourceConnection",
                                          Version="1")
            elif src.provider == "codecommit":
                config = {"RepositoryName": src.repository, "BranchName": src.branch,
                          "PollForSourceChanges": "false"}
                repo_arn = _arn("codecommit", src.repository)
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

    def filter_criteria(self, cls, f: model.Filter):
        """CodePipeline filter criteria that select exactly the values pipec's filter ``f``
        matches (:mod:`pipec.targets.aws.patterns`: ``**/x`` is also written as ``x``,
        for example). Raises its ``Untranslatable`` when CodePipeline cannot express ``f``."""
        from pipec.targets.aws import patterns as codepipeline_patterns

        includes, excludes = codepipeline_patterns.translate(f.includes, f.excludes)
        kwargs = {"Includes": includes}
        if excludes:
            kwargs["Excludes"] = excludes
        return cls(**kwargs)

    def trigger(self, src: model.Source, items):
        from pipec.patterns import PatternError
        from pipec.targets.aws.patterns import Untranslatable

        push, prs, problems = [], [], []

        def criteria(t, cls, f: model.Filter):
            try:
                return self.filter_criteria(cls, f)
            except (Untranslatable, PatternError) as exc:  # E411: no CodePipeline filter means the same
                reason = exc.reason if exc.reason.endswith(".") else exc.reason + "."
                hint = getattr(exc, "hint", "Correct the pattern; see 'Patterns' in docs/language.md.")
                problems.append(Diagnostic(
                    "E411", ERROR, f"pattern '{exc.pattern}' has no faithful CodePipeline equivalent: {reason}",
                    t.span or src.span, help=hint, file=self.p.filename))
                return None

        for t in items:
            if isinstance(t, model.PushTrigger):
                kwargs = {}
                if t.tags is not None:
                    kwargs["Tags"] = criteria(t, cp.GitTagFilterCriteria, t.tags)
                else:
                    branches = t.branches if t.branches is not None else model.Filter((src.branch,))
                    kwargs["Branches"] = criteria(t, cp.GitBranchFilterCriteria, branches)
                    if t.paths is not None:
                        kwargs["FilePaths"] = criteria(t, cp.GitFilePathFilterCriteria, t.paths)
                push.append(kwargs)
            else:
                kwargs = {"Events": [PR_EVENTS[e] for e in t.events],
                          "Branches": criteria(t, cp.GitBranchFilterCriteria, t.branches)}
                if t.paths is not None:
                    kwargs["FilePaths"] = criteria(t, cp.GitFilePathFilterCriteria, t.paths)
                prs.append(kwargs)
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
                self.key(src.name) + "EventsRole", AssumeRolePolicyDocument=_trust("events.amazonaws.com"),
                Policies=[iam.Policy(PolicyName="start-pipeline", PolicyDocument=_policy([{
                    "Effect": "Allow", "Action": "codepipeline:StartPipelineExecution",
                    "Resource": [_arn("codepipeline", "${Pipeline}")]}]))],
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
            Targets=[events.Target(Id="pipeline", Arn=_arn("codepipeline", "${Pipeline}"),
                                   RoleArn=GetAtt(role, "Arn"))]))

    def change_rule(self, src: model.Source, pattern: dict):
        role = self.events_role(src)
        self.add(events.Rule(
            self.key(src.name) + "ChangeRule", State="ENABLED",
            Description=f"Start pipeline {self.p.name} when source {src.name} changes",
            EventPattern=pattern,
            Targets=[events.Target(Id="pipeline", Arn=_arn("codepipeline", "${Pipeline}"),
                                   RoleArn=GetAtt(role, "Arn"))]))

    def boundary(self) -> dict:
        b = self.p.aws.first("permissions_boundary")
        return {"PermissionsBoundary": b} if b else {}

    # ------------------------------------------------------------------ build projects
    def project(self, b: model.Build, buildspec_path: str, extra_statements=(), name_suffix="",
                buildspec_text: str | None = None):
        name = self.named(b.aws.first("project_name")) or f"{self.p.name}-{b.name}{name_suffix}"
        lid = self.key(b.name) + (logical_id(name_suffix) if name_suffix else "")
        group_name = f"/aws/codebuild/{name}"
        log_group = self.add(logs.LogGroup(lid + "Logs", LogGroupName=group_name,
                                           KmsKeyId=aws_security.log_key(self).encrypt(group_name),
                                           RetentionInDays=30, DeletionPolicy="Delete",
                                           UpdateReplacePolicy="Delete"))
        statements = [
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": [GetAtt(log_group, "Arn")]},
            # a project with no artifacts (run_in_codebuild on GitHub) has no artifact bucket
            *(self.artifact_access(write=True) if self.bucket_arn is not None else []),
            {"Effect": "Allow", "Action": ["codebuild:BatchPutCodeCoverages", "codebuild:BatchPutTestCases",
                                           "codebuild:CreateReport", "codebuild:CreateReportGroup",
                                           "codebuild:UpdateReport"],
             "Resource": [_arn("codebuild", f"report-group/{name}-*")]},
        ]
        params = [s for s in b.secrets if s.store == "ssm"]
        secrets = [s for s in b.secrets if s.store == "secrets-manager"]
        if params:
            statements.append({"Effect": "Allow", "Action": "ssm:GetParameters",
                               "Resource": [_parameter_arn(s.ref) for s in params]})
        if secrets:
            statements.append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                               "Resource": [_secret_arn(s.ref) for s in secrets]})
        for login in b.codeartifact:
            domain_arn, repo_arn = self.codeartifact(login)
            statements.append({"Effect": "Allow", "Action": "codeartifact:GetAuthorizationToken",
                               "Resource": [domain_arn]})
            statements.append({"Effect": "Allow", "Action": ["codeartifact:GetRepositoryEndpoint",
                                                             "codeartifact:ReadFromRepository"],
                               "Resource": [repo_arn]})
            statements.append({"Effect": "Allow", "Action": "sts:GetServiceBearerToken", "Resource": ["*"],
                               "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}})
        image = b.image
        pull = {}
        if image.kind in MANAGED_IMAGES:
            base, default_version = MANAGED_IMAGES[image.kind]
            image_name = f"{base}:{image.ref or default_version}"
        else:
            image_name = image.ref
            if image.kind == "ecr":
                pull = {"ImagePullCredentialsType": "SERVICE_ROLE"}
                repo = image.ref.split("/", 1)[1].split(":")[0].split("@")[0]
                region = image.ref.split(".dkr.ecr.")[1].split(".")[0]
                account = image.ref.split(".")[0]
                statements.append({"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": ["*"]})
                statements.append({"Effect": "Allow", "Action": ["ecr:BatchCheckLayerAvailability",
                                                                 "ecr:BatchGetImage",
                                                                 "ecr:GetDownloadUrlForLayer"],
                                   "Resource": [Sub(f"arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repo}")]})
        if any(src.full_clone for src in self.p.sources if src.name in b.inputs):
            for src in self.p.sources:
                if src.name in b.inputs and src.full_clone:
                    statements.append({"Effect": "Allow", "Action": ["codestar-connections:UseConnection",
                                                                     "codeconnections:UseConnection"],
                                       "Resource": [self.connection_arn(src)]})
        statements.extend(extra_statements)
        statements.extend(grant_statements(b))
        role_arn = b.aws.first("role")
        if role_arn is None:
            role = self.add(iam.Role(lid + "BuildRole", AssumeRolePolicyDocument=_trust("codebuild.amazonaws.com"),
                                     Policies=[iam.Policy(PolicyName="build", PolicyDocument=_policy(statements))],
                                     Tags=self.tags(), **self.boundary()))
            role_arn = GetAtt(role, "Arn")
            self.t.add_output(Output(lid + "BuildRoleArn", Value=role_arn,
                                     Description=f"Service role of CodeBuild project {name}"))
        env_vars = [cb.EnvironmentVariable(Name=e.name, Value=e.value, Type="PLAINTEXT") for e in b.env]
        for s in b.secrets:
            env_vars.append(cb.EnvironmentVariable(
                Name=s.name, Value=s.ref, Type="PARAMETER_STORE" if s.store == "ssm" else "SECRETS_MANAGER"))
        environment = dict(ComputeType=COMPUTE_TYPES[b.compute], Image=image_name, Type="LINUX_CONTAINER",
                           PrivilegedMode=b.privileged, **pull)
        if env_vars:
            environment["EnvironmentVariables"] = env_vars
        kwargs = {}
        if b.cache:
            if b.aws.first("cache") == "s3":
                kwargs["Cache"] = cb.ProjectCache(Type="S3", Location=Join("/", [self.bucket_ref, "cache", name]))
            else:
                kwargs["Cache"] = cb.ProjectCache(Type="LOCAL", Modes=["LOCAL_CUSTOM_CACHE"])
        queued = b.aws.first("queued_timeout")
        if queued:
            kwargs["QueuedTimeoutInMinutes"] = _minutes(queued)
        if self.kms_key:
            kwargs["EncryptionKey"] = self.kms_key_arn()
        project = self.add(cb.Project(
            lid + "Project", Name=name, ServiceRole=role_arn,
            Description=f"{b.kind} action {b.name} of pipeline {self.p.name} (pipec)",
            Source=cb.Source(Type="CODEPIPELINE",
                             BuildSpec=buildspec_path if buildspec_text is None else buildspec_text),
            Artifacts=cb.Artifacts(Type="CODEPIPELINE"),
            Environment=cb.Environment(**environment),
            TimeoutInMinutes=b.timeout_minutes,
            LogsConfig=cb.LogsConfig(CloudWatchLogs=cb.CloudWatchLogs(Status="ENABLED",
                                                                      GroupName=Ref(log_group))),
            Tags=self.tags(), **kwargs))
        self.allow(["codebuild:BatchGetBuilds", "codebuild:StartBuild"], GetAtt(project, "Arn"))
        return project

    def connection_arn(self, src):
        if src.connection.arn:
            return Ref(self.key(src.name) + "ConnectionArn")
        return GetAtt(self.connections[src.connection.name], "ConnectionArn")

    def codeartifact(self, login: model.CodeArtifactLogin):
        owner = login.owner
        if owner:  # an existing domain in another account: reference it, create nothing
            domain_arn = Sub(f"arn:${{AWS::Partition}}:codeartifact:${{AWS::Region}}:{owner}:domain/{login.domain}")
            repo_arn = Sub(f"arn:${{AWS::Partition}}:codeartifact:${{AWS::Region}}:{owner}:repository/"
                           f"{login.domain}/{login.repository}")
            return domain_arn, repo_arn
        if login.domain not in self.ca_domains:
            dom = self.add(ca.Domain(self.unique(logical_id("CodeArtifact", login.domain, "Domain")),
                                     DomainName=login.domain,
                                     DeletionPolicy="Retain", UpdateReplacePolicy="Retain"))
            self.ca_domains[login.domain] = dom.title
        key = (login.domain, login.repository)
        by_name = (_arn("codeartifact", f"domain/{login.domain}"),
                   _arn("codeartifact", f"repository/{login.domain}/{login.repository}"))
        if key not in self.ca_repos:
            upstream_name = f"{login.repository}-upstream"
            ext = EXTERNAL_CONNECTIONS.get(login.tool)
            upstream = None
            if ext:
                upstream = self.add(ca.Repository(
                    self.unique(logical_id("CodeArtifact", login.repository, "Upstream")),
                    RepositoryName=upstream_name,
                    DomainName=GetAtt(self.ca_domains[login.domain], "Name"), ExternalConnections=[ext],
                    DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
                    Description=f"Public registry proxy ({ext}) for {login.repository}"))
            repo_kwargs = {"Upstreams": [GetAtt(upstream, "Name")]} if upstream else {}
            repo = self.add(ca.Repository(
                self.unique(logical_id("CodeArtifact", login.repository, "Repository")),
                RepositoryName=login.repository,
                DomainName=GetAtt(self.ca_domains[login.domain], "Name"),
                Description=f"Packages for pipeline {self.p.name}", DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain", **repo_kwargs))
            self.ca_repos[key] = repo.title
        if self.ca_arns_by_name:
            return by_name
        return GetAtt(self.ca_domains[login.domain], "Arn"), GetAtt(self.ca_repos[key], "Arn")

    # ------------------------------------------------------------------ CodeDeploy
    def codedeploy_role(self, platform: str):
        if platform not in self.codedeploy_roles:
            role = self.add(iam.Role(
                logical_id("CodeDeploy", CODEDEPLOY_PLATFORMS[platform], "Role"),
                AssumeRolePolicyDocument=_trust("codedeploy.amazonaws.com"),
                ManagedPolicyArns=[Sub(aws_security.CODEDEPLOY_MANAGED_POLICIES[platform])],
                Tags=self.tags(), **self.boundary()))
            self.codedeploy_roles[platform] = role.title
            self.t.add_output(Output(role.title + "Arn", Value=GetAtt(role, "Arn"),
                                     Description=f"CodeDeploy service role for {CODEDEPLOY_PLATFORMS[platform]} deployments"))
        return GetAtt(self.codedeploy_roles[platform], "Arn")

    def codedeploy_app(self, d: model.Deploy):
        name = self.named(d.aws.first("application"))
        key = name or d.platform
        if key not in self.codedeploy_apps:
            app = self.add(cd.Application(
                self.unique(logical_id(name or f"CodeDeploy-{CODEDEPLOY_PLATFORMS[d.platform]}", "Application")),
                ApplicationName=name or f"{self.p.name}-{d.platform}",
                ComputePlatform=CODEDEPLOY_PLATFORMS[d.platform], Tags=self.tags()))
            self.codedeploy_apps[key] = app.title
        return Ref(self.codedeploy_apps[key])

    def deployment_config(self, d: model.Deploy):
        builtin = d.strategy.codedeploy_config(d.platform)
        if builtin:
            return builtin
        s = d.strategy
        lid = self.key(d.name) + "DeploymentConfig"
        if d.platform == "ec2":
            cfg = cd.DeploymentConfig(lid, ComputePlatform="Server", MinimumHealthyHosts=cd.MinimumHealthyHosts(
                Type="FLEET_PERCENT", Value=s.percent))
        else:
            if s.kind == "canary":
                routing = cd.TrafficRoutingConfig(Type="TimeBasedCanary", TimeBasedCanary=cd.TimeBasedCanary(
                    CanaryPercentage=s.percent, CanaryInterval=s.interval_minutes))
            else:
                routing = cd.TrafficRoutingConfig(Type="TimeBasedLinear", TimeBasedLinear=cd.TimeBasedLinear(
                    LinearPercentage=s.percent, LinearInterval=s.interval_minutes))
            cfg = cd.DeploymentConfig(lid, ComputePlatform=CODEDEPLOY_PLATFORMS[d.platform],
                                      TrafficRoutingConfig=routing)
        self.add(cfg)
        return Ref(cfg)

    def deployment_group(self, d: model.Deploy):
        app = self.codedeploy_app(d)
        config = self.deployment_config(d)
        self.deployment_configs[d.name] = config
        events_ = []
        if d.rollback.on_failure:
            events_.append("DEPLOYMENT_FAILURE")
        if d.rollback.alarms:
            events_.append("DEPLOYMENT_STOP_ON_ALARM")
        kwargs = dict(
            ApplicationName=app,
            DeploymentGroupName=d.aws.first("deployment_group") or d.name,
            ServiceRoleArn=d.aws.first("role") or self.codedeploy_role(d.platform),
            DeploymentConfigName=config,
            AutoRollbackConfiguration=cd.AutoRollbackConfiguration(Enabled=bool(events_), Events=events_)
            if events_ else cd.AutoRollbackConfiguration(Enabled=False),
            Tags=self.tags(),
        )
        if d.rollback.alarms:
            # alarm names differ per account: each is a parameter whose default is the .pipe's name
            alarms = []
            for i, name in enumerate(d.rollback.alarms, 1):
                param = self.t.add_parameter(Parameter(
                    self.key(d.name) + f"Alarm{i}", Type="String", Default=name,
                    Description=f"CloudWatch alarm that stops and rolls back deployment {d.name}"))
                alarms.append(cd.Alarm(Name=Ref(param)))
            kwargs["AlarmConfiguration"] = cd.AlarmConfiguration(Enabled=True, Alarms=alarms)
        tgt = d.target
        if d.platform == "ec2":
            if tgt.tags:
                kwargs["Ec2TagFilters"] = [cd.Ec2TagFilters(Key=k, Value=v, Type="KEY_AND_VALUE") for k, v in tgt.tags]
            if tgt.autoscaling_groups:
                kwargs["AutoScalingGroups"] = list(tgt.autoscaling_groups)
            if tgt.target_group:
                kwargs["LoadBalancerInfo"] = cd.LoadBalancerInfo(
                    TargetGroupInfoList=[cd.TargetGroupInfo(Name=tgt.target_group)])
            if d.strategy.kind == "blue-green":
                kwargs["DeploymentStyle"] = cd.DeploymentStyle(DeploymentType="BLUE_GREEN",
                                                               DeploymentOption="WITH_TRAFFIC_CONTROL")
                kwargs["BlueGreenDeploymentConfiguration"] = cd.BlueGreenDeploymentConfiguration(
                    DeploymentReadyOption=cd.DeploymentReadyOption(ActionOnTimeout="CONTINUE_DEPLOYMENT"),
                    GreenFleetProvisioningOption=cd.GreenFleetProvisioningOption(Action="COPY_AUTO_SCALING_GROUP"),
                    TerminateBlueInstancesOnDeploymentSuccess=cd.BlueInstanceTerminationOption(
                        Action="TERMINATE", TerminationWaitTimeInMinutes=d.strategy.terminate_after_minutes or 5))
            else:
                kwargs["DeploymentStyle"] = cd.DeploymentStyle(
                    DeploymentType="IN_PLACE",
                    DeploymentOption="WITH_TRAFFIC_CONTROL" if tgt.target_group else "WITHOUT_TRAFFIC_CONTROL")
        elif d.platform == "ecs":
            route = {"ProdTrafficRoute": cd.TrafficRoute(ListenerArns=[tgt.listener])}
            if tgt.test_listener:
                route["TestTrafficRoute"] = cd.TrafficRoute(ListenerArns=[tgt.test_listener])
            kwargs["ECSServices"] = [cd.ECSService(ClusterName=tgt.cluster, ServiceName=tgt.service)]
            kwargs["LoadBalancerInfo"] = cd.LoadBalancerInfo(TargetGroupPairInfoList=[cd.TargetGroupPairInfo(
                TargetGroups=[cd.TargetGroupInfo(Name=n) for n in tgt.target_groups], **route)])
            kwargs["DeploymentStyle"] = cd.DeploymentStyle(DeploymentType="BLUE_GREEN",
                                                           DeploymentOption="WITH_TRAFFIC_CONTROL")
            kwargs["BlueGreenDeploymentConfiguration"] = cd.BlueGreenDeploymentConfiguration(
                DeploymentReadyOption=cd.DeploymentReadyOption(ActionOnTimeout="CONTINUE_DEPLOYMENT"),
                TerminateBlueInstancesOnDeploymentSuccess=cd.BlueInstanceTerminationOption(
                    Action="TERMINATE", TerminationWaitTimeInMinutes=d.strategy.terminate_after_minutes or 5))
        else:
            kwargs["DeploymentStyle"] = cd.DeploymentStyle(DeploymentType="BLUE_GREEN",
                                                           DeploymentOption="WITH_TRAFFIC_CONTROL")
        group = self.add(cd.DeploymentGroup(self.key(d.name) + "DeploymentGroup", **kwargs))
        if d.platform in ("ecs", "lambda") and d.hooks and not d.aws.first("role"):
            # the managed CodeDeploy roles may invoke only functions named CodeDeployHook_*
            self.codedeploy_role(d.platform)
            self.add(iam.PolicyType(self.key(d.name) + "HookPolicy", PolicyName=f"{d.name}-hooks",
                                Roles=[Ref(self.codedeploy_roles[d.platform])],
                                PolicyDocument=_policy([{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                                         "Resource": [_function_arn(h.target) for h in d.hooks]}])))
        app_name, group_name = app, Ref(group)
        self.allow(["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                   _deployment_group_arn(app_name, group_name))
        self.allow(["codedeploy:GetApplication", "codedeploy:GetApplicationRevision",
                    "codedeploy:RegisterApplicationRevision"], _application_arn(app_name))
        self.allow(["codedeploy:GetDeploymentConfig"], _deployment_config_arn(config))
        return app_name, group_name

    # ------------------------------------------------------------------ actions
    def build_action(self, b: model.Build, order: int, text: str):
        path = self.ctx.path("aws", self.p.name, "buildspec", f"{b.name}.yml")
        # CodeBuild reads a buildspec path from the build's primary (first) input; when that is
        # not the repository holding the generated files, the buildspec goes inline instead
        inline = None if (b.inputs and b.inputs[0] == self.repo_source) else text
        project = self.project(b, path, buildspec_text=inline)
        config = {"ProjectName": Ref(project)}
        if len(b.inputs) > 1:
            config["PrimarySource"] = b.inputs[0]
        if self.p.variables:
            config["EnvironmentVariables"] = json.dumps(
                [{"name": v.name, "value": f"#{{variables.{v.name}}}", "type": "PLAINTEXT"}
                 for v in self.p.variables], separators=(",", ":"))
        return [cp.Actions(
            Name=b.name,
            ActionTypeId=cp.ActionTypeId(Category="Test" if b.kind == "test" else "Build", Owner="AWS",
                                         Provider="CodeBuild", Version="1"),
            Configuration=config,
            InputArtifacts=[cp.InputArtifacts(Name=n) for n in b.inputs],
            OutputArtifacts=[cp.OutputArtifacts(Name=o.name) for o in b.outputs],
            RunOrder=order)]

    def deploy_action(self, d: model.Deploy, order: int):
        type_id = lambda provider: cp.ActionTypeId(Category="Deploy", Owner="AWS", Provider=provider,  # noqa: E731
                                                   Version="1")
        if d.platform == "ecs" and not d.uses_codedeploy:
            t = d.target
            self.ecs_permissions(t)
            return [cp.Actions(Name=d.name, ActionTypeId=type_id("ECS"),
                               Configuration={"ClusterName": t.cluster, "ServiceName": t.service,
                                              "FileName": t.image_file},
                               InputArtifacts=[cp.InputArtifacts(Name=d.inputs[0])], RunOrder=order)]
        zipped = [src.name for src in self.p.sources if src.is_git and not src.full_clone]
        if d.platform == "ecs" and self.repo_source is not None and self.repo_source not in zipped:
            raise Diagnostics([self.refusal(
                d, f"'{d.name}' cannot read its appspec from a 'clone full' source",
                "CodeDeployToECS reads the appspec from a zip of the repository; the source "
                f"'{self.repo_source}' delivers a Git clone reference instead. Remove 'clone full' from it.")])
        if d.platform in ("ecs", "lambda") and self.repo_source is None:
            raise Diagnostics([self.no_repository(d)])
        self.files[f"aws/{self.p.name}/appspec/{d.name}.yml"] = self.appspec_text(d)
        app, group = self.deployment_group(d)
        if d.platform == "ec2":
            return [cp.Actions(Name=d.name, ActionTypeId=type_id("CodeDeploy"),
                               Configuration={"ApplicationName": app, "DeploymentGroupName": group},
                               InputArtifacts=[cp.InputArtifacts(Name=d.inputs[0])], RunOrder=order)]
        if d.platform == "ecs":
            source = self.repo_source
            self.ecs_permissions(d.target)
            inputs = list(dict.fromkeys([d.inputs[0], source]))
            return [cp.Actions(
                Name=d.name, ActionTypeId=type_id("CodeDeployToECS"),
                Configuration={"ApplicationName": app, "DeploymentGroupName": group,
                               "TaskDefinitionTemplateArtifact": d.inputs[0],
                               "TaskDefinitionTemplatePath": d.target.task_definition,
                               "AppSpecTemplateArtifact": source,
                               "AppSpecTemplatePath": self.ctx.path("aws", self.p.name, "appspec", f"{d.name}.yml")},
                InputArtifacts=[cp.InputArtifacts(Name=n) for n in inputs], RunOrder=order)]
        return self.lambda_deployer(d, app, group, order)

    def appspec_text(self, d: model.Deploy) -> str:
        from pipec.targets.aws import appspec

        return appspec.render(d, self.ctx.source)

    def ecs_permissions(self, t: model.EcsTarget):
        service_arn = _arn("ecs", f"service/{t.cluster}/{t.service}")
        self.allow(["ecs:DescribeServices", "ecs:UpdateService"], service_arn)
        # task definitions, tagging while registering them and PassRole to ECS tasks
        # (aws_security.ecs_statements; docs/targets.md, IAM)
        self.pipeline_role_statements.extend(aws_security.ecs_statements(_arn, _arn("iam", "role/*", region=False)))
        # the deploy actions watch the service's tasks; these are limited to the cluster
        self.allow(["ecs:DescribeTasks", "ecs:ListTasks"], "*",
                   {"ArnEquals": {"ecs:cluster": _arn("ecs", f"cluster/{t.cluster}")}})

    def lambda_deployer(self, d: model.Deploy, app, group, order):
        """A CodeBuild action that runs the CodeDeploy Lambda deployment and waits for it."""
        t = d.target
        appspec_path = self.ctx.path("aws", self.p.name, "appspec", f"{d.name}.yml")
        script = "\n".join(lambda_deployment_script(t, f'"{appspec_path}"', "/tmp"))
        data = {"version": 0.2,
                "env": {"variables": {"FUNCTION": t.function, "ALIAS": t.alias}},
                "phases": {"build": {"commands": [script]}}}
        path = self.ctx.path("aws", self.p.name, "buildspec", f"{d.name}.yml")
        self.files[f"aws/{self.p.name}/buildspec/{d.name}.yml"] = yamlout.header(
            self.ctx.source, f"CodeDeploy deployer for Lambda action {d.name}") + yamlout.dump(data)
        function_arn = _function_arn(t.function)
        s_ = d.strategy
        shifting = (s_.interval_minutes or 0) * (1 if s_.kind == "canary" else
                                                 -(-100 // (s_.percent or 100)) if s_.kind == "linear" else 0)
        deployer = model.Build(name=d.name, kind="build", stage=d.stage, run_order=order,
                               inputs=(self.repo_source,), timeout_minutes=min(2160, 60 + shifting),
                               env=(model.EnvVar("FUNCTION", t.function), model.EnvVar("ALIAS", t.alias)))
        extra = [
            {"Effect": "Allow", "Action": ["lambda:GetAlias", "lambda:PublishVersion"],
             "Resource": [function_arn, _suffix(function_arn, ":*")]},
            {"Effect": "Allow", "Action": ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
             "Resource": [_deployment_group_arn(app, group)]},
            {"Effect": "Allow", "Action": ["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
             "Resource": [_application_arn(app)]},
            {"Effect": "Allow", "Action": "codedeploy:GetDeploymentConfig",
             "Resource": [_deployment_config_arn(self.deployment_configs[d.name])]},
        ]
        project = self.project(deployer, path, extra_statements=extra)
        project.Environment.EnvironmentVariables = [
            cb.EnvironmentVariable(Name="FUNCTION", Value=t.function, Type="PLAINTEXT"),
            cb.EnvironmentVariable(Name="ALIAS", Value=t.alias, Type="PLAINTEXT"),
            cb.EnvironmentVariable(Name="APPLICATION", Value=app, Type="PLAINTEXT"),
            cb.EnvironmentVariable(Name="GROUP", Value=group, Type="PLAINTEXT"),
        ]
        return [cp.Actions(Name=d.name, ActionTypeId=cp.ActionTypeId(Category="Build", Owner="AWS",
                                                                      Provider="CodeBuild", Version="1"),
                           Configuration={"ProjectName": Ref(project)},
                           InputArtifacts=[cp.InputArtifacts(Name=self.repo_source)], RunOrder=order)]

    def stack_actions(self, d: model.StackDeploy, order: int):
        role_arn = d.aws.first("role")
        if role_arn is None:
            role = self.add(iam.Role(
                self.key(d.name) + "StackRole", AssumeRolePolicyDocument=_trust("cloudformation.amazonaws.com"),
                ManagedPolicyArns=[Ref(self.stack_policy_parameter(d))],
                Policies=[iam.Policy(PolicyName="artifacts", PolicyDocument=_policy(self.artifact_access(write=False)))],
                Tags=self.tags(), **self.boundary()))
            role_arn = GetAtt(role, "Arn")
            self.t.add_output(Output(role.title + "Arn", Value=role_arn,
                                     Description=f"Role CloudFormation uses to deploy stack {d.stack}"))
        stack_arn = _arn("cloudformation", f"stack/{d.stack}/*")
        self.allow(["cloudformation:CreateChangeSet", "cloudformation:CreateStack", "cloudformation:DeleteChangeSet",
                    "cloudformation:DescribeChangeSet", "cloudformation:DescribeStacks",
                    "cloudformation:ExecuteChangeSet", "cloudformation:UpdateStack"], stack_arn)
        self.allow(["iam:PassRole"], role_arn)
        if "auto-expand" in d.capabilities:
            # a change set of a template with a transform (SAM) needs the transform too
            self.allow(["cloudformation:CreateChangeSet"], aws_security.transform_arns())
        artifact, template = d.inputs[0], d.template
        config = {"StackName": d.stack, "TemplatePath": f"{artifact}::{template}", "RoleArn": role_arn}
        if d.capabilities:
            config["Capabilities"] = ",".join(CAPABILITIES[c] for c in d.capabilities)
        if d.parameters:
            config["ParameterOverrides"] = json.dumps(dict(d.parameters), separators=(",", ":"))
        type_id = cp.ActionTypeId(Category="Deploy", Owner="AWS", Provider="CloudFormation", Version="1")
        inputs = [cp.InputArtifacts(Name=n) for n in d.inputs]
        if d.change_set is None:
            return [cp.Actions(Name=d.name, ActionTypeId=type_id, Configuration={**config, "ActionMode": "CREATE_UPDATE"},
                               InputArtifacts=inputs, RunOrder=order)]
        return [
            cp.Actions(Name=f"{d.name}-change-set", ActionTypeId=type_id,
                       Configuration={**config, "ActionMode": "CHANGE_SET_REPLACE", "ChangeSetName": d.change_set},
                       InputArtifacts=inputs, RunOrder=order),
            cp.Actions(Name=d.name, ActionTypeId=type_id,
                       Configuration={"ActionMode": "CHANGE_SET_EXECUTE", "StackName": d.stack,
                                      "ChangeSetName": d.change_set},
                       RunOrder=order + 1),
        ]

    def stack_policy_parameter(self, d: model.StackDeploy) -> Parameter:
        return self.t.add_parameter(Parameter(
            self.key(d.name) + "StackPolicyArn", Type="String",
            Description=(f"ARN of the managed policy CloudFormation may use to create the resources of stack "
                         f"{d.stack} (pipec cannot know what the template creates; give it only what the "
                         "template needs)"),
            AllowedPattern=r"^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$"))

    def bucket_action(self, d: model.BucketDeploy, order: int):
        bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{d.bucket}")
        self.allow(["s3:PutObject", "s3:PutObjectAcl"], _suffix(bucket_arn, "/*"))
        config = {"BucketName": d.bucket, "Extract": "true" if d.extract else "false"}
        if not d.extract:
            config["ObjectKey"] = d.object_key
        if d.cache_control:
            config["CacheControl"] = d.cache_control
        return [cp.Actions(Name=d.name, ActionTypeId=cp.ActionTypeId(Category="Deploy", Owner="AWS",
                                                                      Provider="S3", Version="1"),
                           Configuration=config, InputArtifacts=[cp.InputArtifacts(Name=d.inputs[0])],
                           RunOrder=order)]

    def approval_action(self, a: model.Approval, order: int):
        config = {}
        if a.message:
            config["CustomData"] = a.message
        if a.url:
            config["ExternalEntityLink"] = a.url
        topic_arn = None
        if a.topic_arn:
            param = self.t.add_parameter(Parameter(self.key(a.name) + "TopicArn", Type="String",
                                                   Default=a.topic_arn,
                                                   Description=f"Existing SNS topic for approval {a.name}"))
            topic_arn = Ref(param)
        elif a.notify_emails:
            topic_arn = Ref(self.approval_topic(a))
        if topic_arn is not None:
            config["NotificationArn"] = topic_arn
            self.allow(["sns:Publish"], topic_arn)
        kwargs = {"Configuration": config} if config else {}
        return [cp.Actions(Name=a.name, ActionTypeId=cp.ActionTypeId(Category="Approval", Owner="AWS",
                                                                      Provider="Manual", Version="1"),
                           TimeoutInMinutes=a.timeout_minutes, RunOrder=order, **kwargs)]

    def approval_topic(self, a: model.Approval):
        """The encrypted SNS topic pipec creates for an approval's e-mails, subscribed to each."""
        topic = self.add(sns.Topic(self.key(a.name) + "Topic",
                                   TopicName=self.named(a.aws.first("topic_name")) or f"{self.p.name}-{a.name}",
                                   KmsMasterKeyId="alias/aws/sns", Tags=self.tags()))
        for i, email in enumerate(a.notify_emails, 1):
            self.add(sns.SubscriptionResource(self.key(a.name) + f"Subscription{i}", Protocol="email",
                                              Endpoint=email, TopicArn=Ref(topic)))
        return topic

    def invoke_action(self, a: model.Invoke, order: int):
        config = {"FunctionName": a.function}
        if a.parameters is not None:
            config["UserParameters"] = a.parameters
        self.allow(["lambda:InvokeFunction"], _function_arn(a.function))
        return [cp.Actions(Name=a.name, ActionTypeId=cp.ActionTypeId(Category="Invoke", Owner="AWS",
                                                                      Provider="Lambda", Version="1"),
                           Configuration=config, InputArtifacts=[cp.InputArtifacts(Name=n) for n in a.inputs],
                           OutputArtifacts=[cp.OutputArtifacts(Name=n) for n in a.outputs], RunOrder=order)]

    # ------------------------------------------------------------------ assembly
    def appspec_copies(self) -> tuple[dict[str, list[str]], dict[str, str]]:
        """An EC2 revision needs appspec.yml at its root: the build that produces the revision
        copies the generated appspec there as its last post_build command, and the file is added
        to that artifact's file list. Returns (commands per build, artifact -> deploy that owns
        its appspec). A revision that no build produces, or two EC2 deployments of one revision
        with different appspecs, cannot work: E407."""
        from pipec.targets.aws import appspec

        producers = {}
        for st in self.stages:
            for act in st.actions:
                if isinstance(act, model.Build):
                    for out in act.outputs:
                        producers[out.name] = (act, out)
        copies: dict[str, list[str]] = {}
        dests: dict[str, set[str]] = {}
        owners: dict[str, model.Deploy] = {}
        problems = []
        for st in self.stages:
            for act in st.actions:
                if not (isinstance(act, model.Deploy) and act.platform == "ec2" and act.inputs):
                    continue
                name = act.inputs[0]
                hit = producers.get(name)
                if hit is None:
                    problems.append(self.refusal(
                        act, f"'{act.name}' deploys '{name}', which no build action produces",
                        "CodeDeploy reads appspec.yml from the root of the revision, and pipec puts it there "
                        "from the build that produces the revision. Deploy an artifact of a 'build' action "
                        "(it can simply copy the files you need)."))
                    continue
                if self.repo_source is None:
                    problems.append(self.no_repository(act))
                    continue
                if name in owners:
                    other = owners[name]
                    if appspec.emit(other) != appspec.emit(act):
                        problems.append(self.refusal(
                            act, f"'{act.name}' and '{other.name}' deploy the same revision '{name}' with "
                            "different appspecs",
                            "A revision carries one appspec.yml. Produce one artifact per deployment (two "
                            "'artifact' lines in the build), or give both deployments the same files and hooks."))
                    continue
                owners[name] = act
                build, out = hit
                dest = f"{out.base.strip('/')}/appspec.yml" if out.base and out.base.strip("/") else "appspec.yml"
                if not build.inputs or build.inputs[0] != self.repo_source:
                    problems.append(self.refusal(
                        act, f"'{build.name}' produces the revision of '{act.name}' but does not read the "
                        "repository first",
                        f"The build copies the generated appspec from the repository, so its first input must "
                        f"be the source '{self.repo_source}': write 'from {self.repo_source} ...' in "
                        f"'{build.name}'."))
                    continue
                if dest in dests.setdefault(build.name, set()):
                    problems.append(self.refusal(
                        act, f"'{act.name}' needs its appspec.yml where another revision of '{build.name}' has one",
                        "Each revision's appspec.yml is copied to its base directory; give the build's artifacts "
                        "different 'base' directories (stage each revision's files in its own folder)."))
                    continue
                dests[build.name].add(dest)
                src = self.ctx.path("aws", self.p.name, "appspec", f"{act.name}.yml")
                copies.setdefault(build.name, []).append(f'cp "$CODEBUILD_SRC_DIR/{src}" "{dest}"')
        if problems:
            raise Diagnostics(problems)
        return copies, owners

    def with_appspec_file(self, b: model.Build, owners: dict[str, model.Deploy]) -> model.Build:
        """``b`` with appspec.yml in the file list of each output that is an EC2 revision."""
        import attrs

        outs = tuple(attrs.evolve(o, files=o.files + ("appspec.yml",))
                     if o.name in owners and "appspec.yml" not in o.files else o for o in b.outputs)
        return attrs.evolve(b, outputs=outs) if outs != b.outputs else b

    def run(self) -> dict[str, str]:
        from pipec.targets.aws import buildspec

        self.artifact_store()
        source_actions, triggers = self.sources()
        copies, owners = self.appspec_copies()
        stages = [cp.Stages(Name="Source", Actions=source_actions)]
        disabled = []
        for st in self.stages:
            actions = []
            order = 0
            for run_order in sorted({a.run_order for a in st.actions}):
                order += 1
                width = 1
                for act in (a for a in st.actions if a.run_order == run_order):
                    if isinstance(act, model.Build):
                        act = self.with_appspec_file(act, owners)
                        text = buildspec.render(act, self.ctx.source,
                                                extra_post_build=tuple(copies.get(act.name, ())))
                        self.files[f"aws/{self.p.name}/buildspec/{act.name}.yml"] = text
                        made = self.build_action(act, order, text)
                    elif isinstance(act, model.Deploy):
                        made = self.deploy_action(act, order)
                    elif isinstance(act, model.StackDeploy):
                        made = self.stack_actions(act, order)
                    elif isinstance(act, model.BucketDeploy):
                        made = self.bucket_action(act, order)
                    elif isinstance(act, model.Approval):
                        made = self.approval_action(act, order)
                    else:
                        made = self.invoke_action(act, order)
                    width = max(width, len(made))
                    actions.extend(made)
                order += width - 1
            stages.append(cp.Stages(Name=st.name, Actions=actions))
            if st.disabled_reason:
                disabled.append(cp.DisableInboundStageTransitions(StageName=st.name, Reason=st.disabled_reason))

        role_arn = self.p.aws.first("role")
        if role_arn is None:
            statements = self.artifact_access(write=True) + _merge(self.pipeline_role_statements)
            role = self.add(iam.Role("PipelineRole", AssumeRolePolicyDocument=_trust("codepipeline.amazonaws.com"),
                                     Policies=[iam.Policy(PolicyName="pipeline", PolicyDocument=_policy(statements))],
                                     Tags=self.tags(), **self.boundary()))
            role_arn = GetAtt(role, "Arn")
            self.t.add_output(Output("PipelineRoleArn", Value=role_arn, Description="The pipeline's service role"))
        store = {"Type": "S3", "Location": self.bucket_ref}
        if self.kms_key:
            store["EncryptionKey"] = cp.EncryptionKey(Id=self.kms_key, Type="KMS")
        kwargs = {}
        if triggers:
            kwargs["Triggers"] = triggers
        if self.p.variables:
            kwargs["Variables"] = [cp.VariableDeclaration(Name=v.name, DefaultValue=v.default,
                                                          **({"Description": v.description} if v.description else {}))
                                   for v in self.p.variables]
        if disabled:
            kwargs["DisableInboundStageTransitions"] = disabled
        pipeline = self.add(cp.Pipeline(
            "Pipeline", Name=self.p.name, PipelineType="V2", ExecutionMode=self.p.mode.upper(),
            RoleArn=role_arn, ArtifactStore=cp.ArtifactStore(**store), Stages=stages,
            Tags=self.tags(), **kwargs))
        self.t.add_output(Output("PipelineName", Value=Ref(pipeline), Description="The pipeline's name"))
        self.t.add_output(Output("PipelineConsoleUrl", Description="The pipeline in the AWS console",
                                 Value=Sub("https://${AWS::Region}.console.aws.amazon.com/codesuite/codepipeline/"
                                           "pipelines/${Pipeline}/view?region=${AWS::Region}")))
        text = yamlout.header(self.ctx.source, f"CloudFormation template for pipeline {self.p.name}")
        text += yamlout.dump(_ordered(self.t.to_dict()))
        self.files[f"aws/{self.p.name}.template.yaml"] = text
        return dict(sorted(self.files.items()))


_SECTIONS = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Conditions", "Resources",
             "Outputs")
_RESOURCE_KEYS = ("Type", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "Metadata",
                  "Properties")


def _ordered(template: dict) -> dict:
    """Sections in the order people read them; in each resource, Type first and Properties last."""
    out = {k: template[k] for k in _SECTIONS if k in template}
    out.update({k: v for k, v in template.items() if k not in out})
    resources = out.get("Resources", {})
    for name, res in resources.items():
        ordered = {k: res[k] for k in _RESOURCE_KEYS if k in res}
        ordered.update({k: v for k, v in res.items() if k not in ordered})
        resources[name] = ordered
    return out


def _suffix(arn, suffix: str):
    """``arn`` + ``suffix`` as a plain string or an Fn::Sub (cfn-lint prefers Sub to Join with an
    empty delimiter)."""
    if isinstance(arn, str):
        return arn + suffix
    if isinstance(arn, Sub):
        data = arn.to_dict()["Fn::Sub"]
        if isinstance(data, str):
            return Sub(data + suffix)
        return Sub(data[0] + suffix, **data[1])
    if isinstance(arn, GetAtt):
        name, attr = arn.to_dict()["Fn::GetAtt"]
        return Sub(f"${{{name}.{attr}}}{suffix}")
    return Sub(f"${{Value}}{suffix}", Value=arn)


def _minutes(text: str) -> int:
    value, unit = int(text[:-1]), text[-1]
    return value * {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}[unit]


def _merge(statements: list[dict]) -> list[dict]:
    """Combine statements with the same actions and condition; keep first-seen order."""
    out: list[dict] = []
    index: dict[str, dict] = {}
    for st in statements:
        key = json.dumps([st["Action"], st.get("Condition")], sort_keys=True, default=str)
        if key in index:
            existing = index[key]
            for r in st["Resource"]:
                if all(json.dumps(r, sort_keys=True, default=_enc) != json.dumps(x, sort_keys=True, default=_enc)
                       for x in existing["Resource"]):
                    existing["Resource"].append(r)
        else:
            copy = dict(st, Resource=list(st["Resource"]))
            index[key] = copy
            out.append(copy)
    return out


def _enc(obj):
    return obj.to_dict() if hasattr(obj, "to_dict") else str(obj)


def emit(pipeline: model.Pipeline, ctx) -> dict[str, str]:
    """Every file of the AWS target for ``pipeline``: relative path -> text."""
    return _Builder(pipeline, ctx).run()


def read(out_dir, pipeline: str | None = None, source_root=None):
    """The read side: the :class:`pipec.plan.Plan` of the template, buildspecs and appspecs that
    :func:`emit` wrote under ``out_dir``, parsed from disk (implemented in
    :mod:`pipec.targets.aws.read`)."""
    from pipec.targets.aws.read import read as _read

    return _read(out_dir, pipeline, source_root)
