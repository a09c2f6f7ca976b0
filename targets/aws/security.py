"""The security defaults of pipec's CloudFormation templates, shared by both targets.

The AWS target's template and the GitHub Actions target's companion template are built by the same
builder (:class:`pipec.targets.aws.pipeline.PipelineBuilder`); this module holds what they add for the findings of checkov (the CloudFormation
security scanner the test suite runs on every example) and the IAM statements whose scope is a
matter of judgement, each with the AWS page it relies on:

* :func:`log_key`: one customer managed KMS key per template that encrypts every CodeBuild log
  group (checkov CKV_AWS_158), with the key policy CloudWatch Logs needs.
* :func:`access_log_bucket`: an S3 bucket that receives the server access logs of the bucket
  pipec creates (CKV_AWS_18), unless ``aws { access_logs off }``.
* :func:`ecs_statements`, :data:`KMS_ARTIFACT_ACTIONS`, :data:`CODEDEPLOY_MANAGED_POLICIES`,
  :data:`AWS_TRANSFORMS`: the narrowed statements docs/targets.md ("IAM") lists.
* :func:`skip_checks`: checkov skips, only where a check does not apply, each with its reason in
  the resource's ``Metadata``.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, kms, s3

#: The CodeDeploy service roles' managed policies. ECS and Lambda use the "Limited" variants: they
#: invoke only hook functions named CodeDeployHook_* and publish only to CodeDeployTopic_* topics
#: (pipec adds an inline policy for the hooks it knows), instead of any function and any topic
#: (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForECSLimited.html,
#: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForLambdaLimited.html).
#: EC2/on-premises has no Limited variant.
CODEDEPLOY_MANAGED_POLICIES = {
    "ec2": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRole",
    "ecs": "arn:${AWS::Partition}:iam::aws:policy/AWSCodeDeployRoleForECSLimited",
    "lambda": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited",
}

#: What a role needs of the artifact key to read and write SSE-KMS objects: "To upload or download
#: an object encrypted with an AWS KMS key ... you need kms:GenerateDataKey and kms:Decrypt"
#: (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-express-UsingKMSEncryption.html), plus
#: DescribeKey and Encrypt, which CodePipeline and CodeBuild use on the key they are given. No
#: ReEncrypt (nothing re-encrypts artifacts) and no GenerateDataKey* wildcard.
KMS_ARTIFACT_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]

#: The transforms hosted by CloudFormation that a change set of a deployed template may use (the
#: `auto-expand` capability), by the name in their ARN ``arn:PARTITION:cloudformation:REGION:aws:
#: transform/NAME``. AWS's example policy names ``transform/Serverless-2016-10-31`` for SAM
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-template.html); the
#: transform reference lists the others
#: (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-reference.html).
AWS_TRANSFORMS = ("Include", "LanguageExtensions", "Serverless-2016-10-31")


def transform_arns() -> list[Sub]:
    return [Sub(f"arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:aws:transform/{name}")
            for name in AWS_TRANSFORMS]


def ecs_statements(arn, account_roles) -> list[dict]:
    """What an ECS deployment needs beyond its service: register and read task definitions (no
    resource type: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html),
    tag a task definition only while registering it (``ecs:CreateAction``, as in "Grant permission
    to tag resources on creation",
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html;
    TagResource accepts task definition ARNs:
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TagResource.html)
    and pass the account's roles (``account_roles``, ``role/*`` in the stack's account) to ECS tasks
    only: the task and execution roles are named in the task definition file, which pipec does not
    read. ``arn(service, resource)`` makes an ARN in the stack's account and Region."""
    return [
        {"Effect": "Allow", "Action": ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
         "Resource": ["*"]},
        {"Effect": "Allow", "Action": "ecs:TagResource", "Resource": [arn("ecs", "task-definition/*")],
         "Condition": {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}}},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": [account_roles],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
    ]


def skip_checks(resource, *checks: tuple[str, str]):
    """Record checkov skips (id, reason) in the resource's Metadata, where checkov reads them."""
    meta = dict(getattr(resource, "Metadata", None) or {})
    entries = meta.setdefault("checkov", {}).setdefault("skip", [])
    entries.extend({"id": check, "comment": reason} for check, reason in checks)
    resource.Metadata = meta


class LogKey:
    """The KMS key of a template's log groups. CloudWatch Logs uses it through the service principal
    ``logs.REGION.amazonaws.com``, limited by the encryption context to the template's own log
    groups; the account keeps full control of the key, as in the default key policy (without it the
    key could become unmanageable,
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html). The logs
    statement follows "Encrypt log data in CloudWatch Logs using AWS KMS", step 2
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html)."""

    def __init__(self, builder):
        self.groups: list[Sub] = []
        logs_statement = {
            "Sid": "CloudWatchLogsOfThisTemplate", "Effect": "Allow",
            "Principal": {"Service": Sub("logs.${AWS::Region}.amazonaws.com")},
            "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": self.groups}},
        }
        self.key = builder.add(kms.Key(
            "LogsKey", Description=f"Encrypts the CloudWatch Logs log groups of {builder.p.name} (pipec)",
            EnableKeyRotation=True, DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
            KeyPolicy={"Version": "2012-10-17", "Statement": [
                {"Sid": "AccountAdministersTheKey", "Effect": "Allow",
                 "Principal": {"AWS": Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                 "Action": "kms:*", "Resource": "*"},
                logs_statement,
            ]},
            Tags=builder.tags()))

    def encrypt(self, group_name: str):
        """The KmsKeyId for the log group ``group_name``, which the key policy now names."""
        self.groups.append(Sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:"
                               f"log-group:{group_name}"))
        return GetAtt(self.key, "Arn")


def log_key(builder) -> LogKey:
    if getattr(builder, "_log_key", None) is None:
        builder._log_key = LogKey(builder)
    return builder._log_key


def access_logs_on(p) -> bool:
    return p.aws.first("access_logs") != "off"


def access_log_bucket(builder, bucket_id: str):
    """An ``AccessLogBucket`` receiving the server access logs of bucket ``bucket_id``, and the
    ``LoggingConfiguration`` that sends them. The logging service writes with the principal
    ``logging.s3.amazonaws.com``, limited by ``aws:SourceArn`` and ``aws:SourceAccount`` to the
    logged bucket. With the bucket owner enforced setting (ACLs disabled) "permissions can only be
    granted using policies" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html).
    The log bucket is encrypted with S3 managed keys (SSE-S3)."""
    logs_bucket = builder.add(s3.Bucket(
        "AccessLogBucket", DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[
            s3.ServerSideEncryptionRule(ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                SSEAlgorithm="AES256"))]),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="ExpireOldAccessLogs", Status="Enabled", ExpirationInDays=365,
            NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=30))]),
        Tags=builder.tags()))
    skip_checks(logs_bucket, ("CKV_AWS_18", "This bucket receives the access logs of the artifact bucket; "
                              "logging it too would need another bucket, and that one another."))
    builder.add(s3.BucketPolicy(
        "AccessLogBucketPolicy", Bucket=Ref(logs_bucket),
        PolicyDocument={"Version": "2012-10-17", "Statement": [
            {"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
             "Action": "s3:PutObject", "Resource": Sub("${AccessLogBucket.Arn}/*"),
             "Condition": {"ArnLike": {"aws:SourceArn": GetAtt(bucket_id, "Arn")},
                           "StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [GetAtt(logs_bucket, "Arn"), Sub("${AccessLogBucket.Arn}/*")],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ]}))
    return s3.LoggingConfiguration(DestinationBucketName=Ref(logs_bucket), LogFilePrefix=f"{bucket_id}/")


def bucket_logging(builder, bucket) -> None:
    """Access logging for ``bucket`` (a troposphere Bucket), or the skip that says it is off."""
    if access_logs_on(builder.p):
        bucket.LoggingConfiguration = access_log_bucket(builder, bucket.title)
    else:
        skip_checks(bucket, ("CKV_AWS_18", "Server access logging is turned off in the .pipe file "
                             "(aws { access_logs off })."))
