"""CodeBuild: the project of each build and test action, with its role, logs and CodeArtifact.

:class:`CodeBuildMixin` makes, for a ``build`` or ``test`` action, the CodeBuild project (image,
compute, environment variables and secrets, cache, timeouts), its log group (encrypted with the
template's log key from :mod:`pipec.targets.aws.security`), its service role with the least
statements the action needs (logs, artifacts, reports, secrets, ECR, CodeArtifact, cloned
repositories, the action's ``allow`` lines), the CodeArtifact domain and repositories of its
``codeartifact`` logins, and the pipeline action that runs the project. The buildspec's text is
rendered by :mod:`pipec.targets.aws.buildspec`; the Lambda deployer of :mod:`.codedeploy` is a
project of this kind too. One of the parts of the builder in :mod:`.pipeline`.
"""

from __future__ import annotations

import json

from troposphere import GetAtt, Join, Output, Ref, Sub
from troposphere import codeartifact as ca
from troposphere import codebuild as cb
from troposphere import codepipeline as cp
from troposphere import iam, logs

from pipec import model
from pipec.targets.aws import batch as aws_batch
from pipec.targets.aws import iam as aws_iam
from pipec.targets.aws import security as aws_security
from pipec.targets.aws.template import logical_id, minutes

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
#: CodeArtifact tool -> the public upstream registry's external connection.
EXTERNAL_CONNECTIONS = {
    "npm": "public:npmjs",
    "pip": "public:pypi",
    "twine": "public:pypi",
    "maven": "public:maven-central",
    "dotnet": "public:nuget-org",
    "nuget": "public:nuget-org",
}


class CodeBuildMixin(aws_batch.BatchMixin):
    """CodeBuild projects (:meth:`project`) and the actions that run them (:meth:`build_action`);
    uses the artifact store's access statements and the sources' connections."""

    def __init__(self, p, ctx):
        super().__init__(p, ctx)
        self.ca_domains: dict[str, str] = {}
        self.ca_repos: dict[tuple[str, str], str] = {}
        #: CodeArtifact ARNs from names instead of the resources (the companion creates them only
        #: when its CreateCodeArtifact parameter says so)
        self.ca_arns_by_name = False

    def build_action(self, b: model.Build, order: int, text: str):
        """The CodeBuild action of build or test ``b``, whose buildspec is ``text``, with its project."""
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
        self.batch_action(b, config, project)
        return [cp.Actions(
            Name=b.name,
            ActionTypeId=cp.ActionTypeId(Category="Test" if b.kind == "test" else "Build", Owner="AWS",
                                         Provider="CodeBuild", Version="1"),
            Configuration=config,
            InputArtifacts=[cp.InputArtifacts(Name=n) for n in b.inputs],
            OutputArtifacts=[cp.OutputArtifacts(Name=o.name) for o in b.outputs],
            RunOrder=order)]

    def project(self, b: model.Build, buildspec_path: str, extra_statements=(), name_suffix="",
                buildspec_text: str | None = None):
        """The CodeBuild project that runs ``b`` with the buildspec at ``buildspec_path`` (or
        ``buildspec_text`` inline), with its log group and role (unless ``aws { role }``); its
        role gets ``extra_statements`` too. The pipeline's role may start it."""
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
             "Resource": [aws_iam.arn("codebuild", f"report-group/{name}-*")]},
        ]
        params = [s for s in b.secrets if s.store == "ssm"]
        secrets = [s for s in b.secrets if s.store == "secrets-manager"]
        if params:
            statements.append({"Effect": "Allow", "Action": "ssm:GetParameters",
                               "Resource": [aws_iam.parameter_arn(s.ref) for s in params]})
        if secrets:
            statements.append({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                               "Resource": [aws_iam.secret_arn(s.ref) for s in secrets]})
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
        statements.extend(aws_iam.grant_statements(b))
        role_arn = b.aws.first("role")
        if role_arn is None:
            role = self.add(iam.Role(lid + "BuildRole",
                                     AssumeRolePolicyDocument=aws_iam.trust("codebuild.amazonaws.com"),
                                     Policies=[iam.Policy(PolicyName="build",
                                                          PolicyDocument=aws_iam.policy(statements))],
                                     Tags=self.tags(), **self.boundary()))
            role_arn = GetAtt(role, "Arn")
            self.t.add_output(Output(lid + "BuildRoleArn", Value=role_arn,
                                     Description=f"Service role of CodeBuild project {name}"))
        env_vars = [cb.EnvironmentVariable(Name=e.name, Value=e.value, Type="PLAINTEXT") for e in b.env]
        for s in b.secrets:
            env_vars.append(cb.EnvironmentVariable(
                Name=s.name, Value=s.ref, Type="PARAMETER_STORE" if s.store == "ssm" else "SECRETS_MANAGER"))
        env_type, image_name = aws_batch.environment(b, image_name)
        environment = dict(ComputeType=COMPUTE_TYPES[b.compute], Image=image_name, Type=env_type,
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
            kwargs["QueuedTimeoutInMinutes"] = minutes(queued)
        if self.kms_key:
            kwargs["EncryptionKey"] = self.kms_key_arn()
        kwargs.update(self.batch_config(b, lid, name, COMPUTE_TYPES[b.compute]))
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

    def codeartifact(self, login: model.CodeArtifactLogin):
        """(domain ARN, repository ARN) of a ``codeartifact`` login: another account's as written,
        or the domain and repository this template creates (with the public upstream of its tool)."""
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
        by_name = (aws_iam.arn("codeartifact", f"domain/{login.domain}"),
                   aws_iam.arn("codeartifact", f"repository/{login.domain}/{login.repository}"))
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
