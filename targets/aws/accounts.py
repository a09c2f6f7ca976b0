"""Actions in other AWS accounts and Regions: the pipeline's stores, the support and target templates.

When a deploy or invoke action of the pipeline runs in another ``account`` or ``region`` (its own
or its stage's, :meth:`pipec.model.Pipeline.place_of`), the AWS target writes, beside the
pipeline's template:

``aws/<pipeline>/support/<region>.template.yaml``
    one per Region other than the pipeline's where an action runs, deployed in the pipeline's
    account and in that Region: the artifact bucket and customer-managed KMS key of the Region.
    CodePipeline needs "an artifact store for the pipeline Region and for each cross-region action"
    (``ArtifactStores``, AWS::CodePipeline::Pipeline ArtifactStoreMap) and copies the artifacts there.
``aws/<pipeline>/targets/<account>-<region>.template.yaml``
    one per account and Region where an action runs, deployed there once: the role the pipeline's
    actions assume there (``RoleArn`` on the action, trusting the pipeline's role only), and what
    those actions need in that place (the CodeDeploy application, deployment groups and service
    roles; the CloudFormation service role of each stack; for an EC2 deployment, the instances'
    role and instance profile, :func:`instance_profile`).

and the pipeline's template changes in four ways, only then: the artifact bucket and the pipeline
role get names made from the pipeline's account and Region (the other accounts' policies name
them), the artifact bucket is encrypted with a customer-managed key that the template creates
(AWS-managed keys cannot be shared with other accounts, and "for cross-account actions, you can
only use the key ID or key ARN", AWS::CodePipeline::Pipeline EncryptionKey), ``ArtifactStore``
becomes ``ArtifactStores`` when an action runs in another Region (one store per Region; the
support stores' key ARNs are parameters, since a key's ARN is known only once it exists), and the
key and bucket policies let exactly the target accounts' roles read (and, where an action produces
an artifact, write) the artifacts: the CodePipeline User Guide's cross-account walkthrough ("Create
a pipeline in CodePipeline that uses resources from another AWS account") grants the other account
in the bucket policy and the key policy, and the role there through its own IAM policy; pipec
narrows the account to the roles it creates there with an ``aws:PrincipalArn`` condition (the
action role, the stacks' service roles, the instances' role).

docs/targets.md ("Accounts and Regions") gives the order in which to deploy the templates.
"""

from __future__ import annotations

import hashlib
import re

from troposphere import GetAtt, Output, Parameter, Ref, Sub, Template, kms, s3
from troposphere import codepipeline as cp
from troposphere import iam

from pipec import model, yamlout
from pipec.diagnostics import Diagnostics
from pipec.targets.aws import checks
from pipec.targets.aws import iam as aws_iam
from pipec.targets.aws.checks import place_of
from pipec.targets.aws import security as aws_security
from pipec.targets.aws.artifacts import artifact_bucket
from pipec.targets.aws.template import logical_id, template_data
from pipec.targets.escape import sub_text

#: IAM role names are at most 64 characters, S3 bucket names at most 63 (lowercase letters,
#: digits, hyphens): IAM User Guide "IAM object quotas"; S3 User Guide "Bucket naming rules"
ROLE_NAME_MAX = 64
BUCKET_NAME_MAX = 63
#: what a target account may do with the key of a store: read artifacts, and write those its
#: actions produce (security.KMS_ARTIFACT_ACTIONS explains each)
KMS_READ = ["kms:Decrypt", "kms:DescribeKey"]
KMS_WRITE = ["kms:Encrypt", "kms:GenerateDataKey"]
S3_READ = ["s3:GetObject", "s3:GetObjectVersion"]
S3_WRITE = ["s3:PutObject"]


def fit(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` characters, with 8 characters of its hash so that two long names
    stay different."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[: limit - 9].rstrip("-") + "-" + digest


def bucket_name(p: model.Pipeline, region: str) -> str:
    """The artifact bucket of pipeline ``p`` in ``region``: S3 bucket names are global, so the
    pipeline's account and the Region are part of it."""
    stem = re.sub(r"[^a-z0-9-]+", "-", p.name.lower()).strip("-") or "pipeline"
    # an import placeholder for the account or Region (REPLACE-ME-...) is lowercased like the rest
    name = re.sub(r"[^a-z0-9-]+", "-", f"pipec-{p.account}-{region}-{stem}".lower())
    return fit(name, BUCKET_NAME_MAX)


def pipeline_role_name(p: model.Pipeline) -> str:
    return fit(f"{p.name}-pipeline", ROLE_NAME_MAX)


def action_role_name(p: model.Pipeline, region: str) -> str:
    """The role the pipeline's actions assume in a target account, one per Region there (IAM
    names are global to an account, the template that creates it is regional)."""
    return fit(f"{p.name}-actions-{region}", ROLE_NAME_MAX)


def instance_role_name(p: model.Pipeline, region: str) -> str:
    """The role (and instance profile) of the EC2 instances a placed deployment reaches in one
    account and Region (one per Region, as :func:`action_role_name`)."""
    return fit(f"{p.name}-instances-{region}", ROLE_NAME_MAX)


def artifact_prefix(p: model.Pipeline) -> str:
    """The key prefix CodePipeline writes the pipeline's artifacts under: the first 20 characters
    of the pipeline's name (AWS::CodePipeline::Pipeline ArtifactStore, ``Location``)."""
    return p.name[:20]


def deploys_to_instances(acts) -> bool:
    return any(isinstance(a, model.Deploy) and a.platform == "ec2" for a in acts)


def instance_profile(b, name: str, revisions: list, key=None) -> None:
    """In builder ``b``'s template: the role ``name`` of the EC2 instances a deployment group
    reaches, and its instance profile of the same name (output ``InstanceProfileName``: launch
    the instances with it). The CodeDeploy agent downloads the revision with the instance's
    credentials ("Create an IAM instance profile for your Amazon EC2 instances", CodeDeploy User
    Guide; the managed AmazonEC2RoleforAWSCodeDeploy allows s3:GetObject and s3:GetObjectVersion),
    so the role may read exactly the ``revisions`` objects, decrypt with ``key`` when they are
    KMS-encrypted, and read the agent's own bucket of the Region, which the same page says the
    profile must reach for the agent to install and update itself."""
    statements = [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": revisions},
                  {"Effect": "Allow", "Action": "s3:GetObject",
                   "Resource": Sub("arn:${AWS::Partition}:s3:::aws-codedeploy-${AWS::Region}/*")}]
    if key is not None:  # only through S3, which decrypts the objects it returns (kms:ViaService)
        statements.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
                           "Condition": {"StringEquals": {"kms:ViaService": Sub("s3.${AWS::Region}.amazonaws.com")}}})
    role = b.add(iam.Role(
        b.unique("InstanceRole"), RoleName=name, Description="The EC2 instances' role: the CodeDeploy agent reads revisions",
        AssumeRolePolicyDocument=aws_iam.policy([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]),
        Policies=[iam.Policy(PolicyName="codedeploy-agent", PolicyDocument=aws_iam.policy(statements))],
        Tags=b.tags(), **b.boundary()))
    profile = b.add(iam.InstanceProfile(b.unique("InstanceProfile"), InstanceProfileName=name, Roles=[Ref(role)]))
    b.t.add_output(Output("InstanceProfileName", Value=Ref(profile),
                          Description="Launch the instances the deployments reach with this instance profile"))


def role_arn(account: str, name: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:iam::{account}:role/{name}")


def root(account: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:iam::{account}:root")


def writes(act) -> bool:
    return bool(getattr(act, "outputs", ()))


class Places:
    """The cross-account and cross-Region part of one AWS target build: made by the pipeline's
    builder when the pipeline places an action elsewhere (:attr:`model.Pipeline.placed`)."""

    def __init__(self, builder):
        self.b = builder
        self.p = builder.p
        problem = checks.placed_store_problem(builder.p)
        if problem is not None:
            raise Diagnostics([problem])
        # the pipeline's own place, which the readers need to tell the others from it
        builder.t.set_metadata({"pipec": {"source": builder.ctx.source, "pipeline": self.p.name,
                                          "account": self.p.account, "region": self.p.region}})
        self.places: dict[tuple[str, str], list] = {}
        for act in self.p.actions():
            where = place_of(self.p, act)
            if where is not None:
                self.places.setdefault(where, []).append(act)
        self.regions = sorted({r for _, r in self.places} - {self.p.region})
        self.targets: dict[tuple[str, str], "TargetBuilder"] = {}
        self.key_parameters: dict[str, Parameter] = {}

    # ------------------------------------------------------------------ who reads what
    def readers(self, region: str) -> tuple[list[str], list[str], list[str]]:
        """(accounts that read the store of ``region``, those that also write to it, those whose
        EC2 instances read revisions from it), sorted."""
        read, write, instances = set(), set(), set()
        for (account, r), acts in self.places.items():
            if r == region and account != self.p.account:
                read.add(account)
                if any(writes(a) for a in acts):
                    write.add(account)
                if deploys_to_instances(acts):
                    instances.add(account)
        return sorted(read), sorted(write), sorted(instances)

    def _grant(self, sid: str, accounts: list[str], roles, actions, resource) -> dict:
        """A statement of a store's policy: the ``accounts``, and in them only the roles
        ``roles(account)`` names (an account principal with an ``aws:PrincipalArn`` condition: a
        role named as the principal would have to exist before this policy, the condition does not)."""
        return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": [root(a) for a in accounts]},
                "Action": actions, "Resource": resource,
                "Condition": {"ArnEquals": {"aws:PrincipalArn": [r for a in accounts for r in roles(a)]}}}

    def _role(self, region: str):
        """The roles that write artifacts in an account: the pipeline's action role there."""
        return lambda account: [role_arn(account, action_role_name(self.p, region))]

    def _readers(self, region: str):
        """The roles that read artifacts in an account: the action role, and the CloudFormation
        service roles of its stacks, which read the artifacts a template names at deployment
        (a Lambda function's code, say: aws-cdk issue 3765 is that failure)."""
        def roles(account: str) -> list:
            tb = self.targets.get((account, region))
            return [role_arn(account, action_role_name(self.p, region)), *(tb.stack_roles if tb else ())]
        return roles

    def _instances(self, region: str):
        return lambda account: [role_arn(account, instance_role_name(self.p, region))]

    def key_policy(self, region: str) -> dict:
        """The store key's policy: the account administers it (as the default key policy does);
        the target accounts' action roles may decrypt (and encrypt where they write), their
        instance roles decrypt; nobody else."""
        statements = [{"Sid": "AccountAdministersTheKey", "Effect": "Allow",
                       "Principal": {"AWS": Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                       "Action": "kms:*", "Resource": "*"}]
        read, write, instances = self.readers(region)
        if read:
            statements.append(self._grant("TargetAccountsReadArtifacts", read, self._readers(region), KMS_READ, "*"))
        if write:
            statements.append(self._grant("TargetAccountsWriteArtifacts", write, self._role(region), KMS_WRITE, "*"))
        if instances:
            grant = self._grant("TargetInstancesReadRevisions", instances, self._instances(region), ["kms:Decrypt"], "*")
            grant["Condition"]["StringEquals"] = {"kms:ViaService": f"s3.{region}.amazonaws.com"}
            statements.append(grant)
        return aws_iam.policy(statements)

    def bucket_statements(self, region: str, bucket_arn, objects, bucket_name_) -> list[dict]:
        """The bucket policy's statements: TLS only, and the target accounts' roles' access."""
        statements = [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": [bucket_arn, objects], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]
        read, write, instances = self.readers(region)
        if read:
            # what the target roles' own policies allow (ArtifactStoreMixin.artifact_access)
            statements.append(self._grant("TargetAccountsFindTheBucket", read, self._readers(region),
                                          ["s3:GetBucketLocation", "s3:GetBucketVersioning"], bucket_arn))
            statements.append(self._grant("TargetAccountsReadArtifacts", read, self._readers(region), S3_READ,
                                          objects))
        if write:
            statements.append(self._grant("TargetAccountsWriteArtifacts", write, self._role(region), S3_WRITE, objects))
        if instances:
            statements.append(self._grant("TargetInstancesReadRevisions", instances, self._instances(region), S3_READ,
                                          self.revisions(bucket_name_)))
        return statements

    def revisions(self, bucket: str) -> Sub:
        """The objects of the pipeline's artifacts in ``bucket``: what an instance role may read."""
        return Sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{sub_text(artifact_prefix(self.p))}/*")

    # ------------------------------------------------------------------ the pipeline's template
    def store(self):
        """The pipeline Region's store, in place of :meth:`ArtifactStoreMixin.artifact_store`: a
        named bucket encrypted with a key the template creates."""
        b, region = self.b, self.p.region
        key = b.add(kms.Key(
            "ArtifactKey", Description=f"Encrypts the artifacts of pipeline {self.p.name} in {region} (pipec)",
            EnableKeyRotation=True, DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
            KeyPolicy=self.key_policy(region), Tags=b.tags()))
        b.kms_key = GetAtt(key, "Arn")
        bucket = b.add(artifact_bucket("ArtifactBucket", b.tags(), GetAtt(key, "Arn"), bucket_name(self.p, region)))
        aws_security.bucket_logging(b, bucket)
        b.bucket_ref = Ref(bucket)
        b.bucket_arn = GetAtt(bucket, "Arn")
        policy = b.add(s3.BucketPolicy("ArtifactBucketPolicy", Bucket=Ref(bucket), PolicyDocument=aws_iam.policy(
            self.bucket_statements(region, GetAtt(bucket, "Arn"), Sub("${ArtifactBucket.Arn}/*"),
                                   bucket_name(self.p, region)))))
        self.own_policies = (key, policy, bucket)
        for r in self.regions:
            self.key_parameters[r] = b.t.add_parameter(Parameter(
                logical_id("ArtifactKey", r), Type="String",
                AllowedPattern=rf"^arn:aws[a-z-]*:kms:{r}:{self.p.account}:key/[a-f0-9-]+$",
                Description=f"ARN of the artifact key in {r}: output ArtifactKeyArn of the support stack "
                            f"aws/{self.p.name}/support/{r}.template.yaml"))

    def finish_policies(self) -> None:
        """The pipeline Region's key and bucket policies again, once every action is made: the
        target templates' CloudFormation service roles are named only then."""
        key, policy, bucket = self.own_policies
        region = self.p.region
        key.KeyPolicy = self.key_policy(region)
        policy.PolicyDocument = aws_iam.policy(self.bucket_statements(
            region, GetAtt(bucket, "Arn"), Sub("${ArtifactBucket.Arn}/*"), bucket_name(self.p, region)))

    def pipeline_statements(self) -> list[dict]:
        """What the pipeline's role needs beyond its own Region's store: the other Regions'
        stores (CodePipeline copies artifacts there) and the target roles it assumes."""
        out = []
        for r in self.regions:
            arn = Sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name(self.p, r)}")
            out.append({"Effect": "Allow", "Action": sorted(["s3:GetBucketLocation", "s3:GetBucketVersioning",
                                                             *S3_READ, *S3_WRITE]),
                        "Resource": [arn, aws_iam.suffixed(arn, "/*")]})
            out.append({"Effect": "Allow", "Action": list(aws_security.KMS_ARTIFACT_ACTIONS),
                        "Resource": [Ref(self.key_parameters[r])]})
        roles = [role_arn(account, action_role_name(self.p, region)) for account, region in sorted(self.places)]
        out.append({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles})
        return out

    def artifact_stores(self, own: dict) -> list | None:
        """``ArtifactStores`` (one per Region, the pipeline's first), or None with one Region."""
        if not self.regions:
            return None
        stores = [cp.ArtifactStoreMap(Region=self.p.region, ArtifactStore=cp.ArtifactStore(**own))]
        for r in self.regions:
            stores.append(cp.ArtifactStoreMap(Region=r, ArtifactStore=cp.ArtifactStore(
                Type="S3", Location=bucket_name(self.p, r),
                EncryptionKey=cp.EncryptionKey(Id=Ref(self.key_parameters[r]), Type="KMS"))))
        return stores

    def action(self, act, order: int) -> list:
        """The pipeline actions of ``act``, which runs in another account or Region: made by the
        builder of that place's template, then pointed there (``RoleArn``, ``Region``)."""
        where = place_of(self.p, act)
        if where not in self.targets:
            self.targets[where] = TargetBuilder(self, *where)
        tb = self.targets[where]
        made = tb.make(act, order)
        for a in made:
            a.RoleArn = role_arn(where[0], action_role_name(self.p, where[1]))
            if where[1] != self.p.region:
                a.Region = where[1]
        return made

    def files(self) -> dict[str, str]:
        """The support and target templates, with the files the target builders made."""
        out = {}
        for r in self.regions:
            out[f"aws/{self.p.name}/support/{r}.template.yaml"] = self.support_template(r)
        for (account, region), tb in sorted(self.targets.items()):
            out.update(tb.finish())
        return out

    def support_template(self, region: str) -> str:
        """The store of ``region``: a bucket and its key, in the pipeline's account."""
        side = _Side(self.p, f"{self.p.name}: the artifact store of {region} (deploy in account {self.p.account}, "
                     f"Region {region}). Generated by pipec from {self.b.ctx.source}.", self.b.ctx.source)
        key = side.add(kms.Key(
            "ArtifactKey", Description=f"Encrypts the artifacts of pipeline {self.p.name} in {region} (pipec)",
            EnableKeyRotation=True, DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
            KeyPolicy=self.key_policy(region), Tags=side.tags()))
        bucket = side.add(artifact_bucket("ArtifactBucket", side.tags(), GetAtt(key, "Arn"),
                                          bucket_name(self.p, region)))
        aws_security.bucket_logging(side, bucket)
        side.add(s3.BucketPolicy("ArtifactBucketPolicy", Bucket=Ref(bucket), PolicyDocument=aws_iam.policy(
            self.bucket_statements(region, GetAtt(bucket, "Arn"), Sub("${ArtifactBucket.Arn}/*"),
                                   bucket_name(self.p, region)))))
        side.t.add_output(Output("ArtifactKeyArn", Value=GetAtt(key, "Arn"),
                                 Description=f"Give it to the pipeline's stack as its ArtifactKey{logical_id(region)}"))
        side.t.add_output(Output("ArtifactBucketName", Value=Ref(bucket), Description="The artifact bucket"))
        return side.text(f"CloudFormation template: the artifact store of pipeline {self.p.name} in {region}")


class _Side:
    """A small template of its own (a support store): what :mod:`.security` needs of a builder."""

    def __init__(self, p, description: str, source: str):
        self.p = p
        self.source = source
        self.t = Template()
        self.t.set_version("2010-09-09")
        self.t.set_description(description)
        self.t.set_metadata({"pipec": {"source": source, "pipeline": p.name}})

    def add(self, obj):
        return self.t.add_resource(obj)

    def tags(self):
        from troposphere import Tags

        extra = {v[0]: v[1] for k, v in self.p.aws.items if k == "tag"}
        return Tags(**{"pipec:pipeline": self.p.name, **extra})

    def text(self, title: str) -> str:
        return yamlout.header(self.source, title) + yamlout.dump(template_data(self.t))


def _target_builder_class():
    from pipec.targets.aws.pipeline import PipelineBuilder

    return PipelineBuilder


class TargetBuilder:
    """The template of one target place (account, Region): a pipeline builder of its own, so that
    a deploy action is made there exactly as in a single-account pipeline, then the action's
    references to that template's resources are written as the names the resources are given."""

    def __init__(self, places: Places, account: str, region: str):
        self.places = places
        self.account, self.region = account, region
        p, ctx = places.p, places.b.ctx
        self.inner = _target_builder_class()(p, ctx)
        self.inner.t.set_description(
            f"{p.name}: what the pipeline's actions need in account {account}, Region {region} (deploy it there "
            f"once, before the pipeline runs). Generated by pipec from {ctx.source}. Do not edit.")
        self.inner.bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name(p, region)}")
        self.inner.bucket_ref = bucket_name(p, region)
        # the store's key is in the pipeline's account: its ARN is known only there, so the roles
        # here name the keys of that account and Region, and the key policy decides (docs/targets.md)
        self.inner.kms_key = Sub(f"arn:${{AWS::Partition}}:kms:{region}:{p.account}:key/*")
        self.acts: list = []
        #: the ARNs of the CloudFormation service roles of the stacks deployed here, made here or
        #: given with aws { role } (the stores' policies name them)
        self.stack_roles: list = []
        self._stack_role_keys: set[str] = set()

    def make(self, act, order: int) -> list:
        b = self.inner
        problem = checks.placed_deploy_problem(b.p, act) or checks.placed_artifact_problem(b.p, act)
        if problem is not None:
            raise Diagnostics([problem])
        made = b.delivery_actions(act, order)
        self.acts.append(act)
        if isinstance(act, model.StackDeploy) and act.aws.first("role"):  # an existing service role
            self.stack_role(act.aws.first("role"), act.aws.first("role"))
        for a in made:
            if hasattr(a, "Configuration"):
                a.Configuration = {k: self.literal(v) for k, v in a.Configuration.items()}
        return made

    def stack_role(self, key: str, arn) -> None:
        if key not in self._stack_role_keys:
            self._stack_role_keys.add(key)
            self.stack_roles.append(arn)

    def literal(self, value):
        """A Ref or GetAtt of this place's template as the pipeline's template can write it."""
        res = self.inner.t.resources
        if isinstance(value, Ref):
            title = value.to_dict()["Ref"]
            r = res.get(title)
            prop = {"AWS::CodeDeploy::Application": "ApplicationName",
                    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName"}.get(getattr(r, "resource_type", None))
            if prop is not None and isinstance(r.properties.get(prop), str):
                return r.properties[prop]
        if isinstance(value, GetAtt):
            title, attr = value.to_dict()["Fn::GetAtt"]
            r = res.get(title)
            if r is not None and r.resource_type == "AWS::IAM::Role" and attr == "Arn":
                name = fit(f"{self.places.p.name}-{title}-{self.region}", ROLE_NAME_MAX)
                r.RoleName = name
                self.stack_role(name, role_arn(self.account, name))
                return role_arn(self.account, name)
        return value

    def finish(self) -> dict[str, str]:
        b, p = self.inner, self.places.p
        statements = aws_iam.merge(b.pipeline_role_statements)
        statements += b.artifact_access(write=any(writes(a) for a in self.acts))
        if deploys_to_instances(self.acts):
            instance_profile(b, instance_role_name(p, self.region),
                             [self.places.revisions(bucket_name(p, self.region))], b.kms_key)
        role = b.add(iam.Role(
            "PipelineActionsRole", RoleName=action_role_name(p, self.region),
            AssumeRolePolicyDocument=aws_iam.policy([{
                "Effect": "Allow", "Principal": {"AWS": root(p.account)}, "Action": "sts:AssumeRole",
                # only the pipeline's role (by name: it may be created after this stack)
                "Condition": {"ArnEquals": {"aws:PrincipalArn": p.aws.first("role")
                                            or role_arn(p.account, pipeline_role_name(p))}}}]),
            Policies=[iam.Policy(PolicyName="pipeline-actions", PolicyDocument=aws_iam.policy(statements))],
            Tags=b.tags(), **b.boundary()))
        b.t.add_output(Output("PipelineActionsRoleArn", Value=GetAtt(role, "Arn"),
                              Description=f"The role pipeline {p.name} assumes for its actions here"))
        files = {k: v for k, v in b.files.items()}
        text = yamlout.header(b.ctx.source, f"CloudFormation template for pipeline {p.name}: account "
                              f"{self.account}, Region {self.region}")
        files[f"aws/{p.name}/targets/{self.account}-{self.region}.template.yaml"] = \
            text + yamlout.dump(template_data(b.t))
        return files
