"""The artifact store: the S3 bucket CodePipeline keeps artifacts in, and access to it.

:class:`ArtifactStoreMixin` creates the bucket (versioned, encrypted with S3's key or the
``artifacts { kms_key }``, public access blocked, old artifacts expired, TLS required) unless the
.pipe names an existing bucket, and writes the statements a role needs to read or write
artifacts, with the KMS key's. It is one of the parts of the builder in :mod:`.pipeline`, on top
of :class:`~pipec.targets.aws.template.TemplateBuilder`; the bucket's access logs are added by
:func:`pipec.targets.aws.security.bucket_logging`.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, s3

from pipec.targets.aws import iam as aws_iam
from pipec.targets.aws import security as aws_security


class ArtifactStoreMixin:
    """The artifact bucket (:meth:`artifact_store`, first thing the builder makes) and the
    statements that give access to it; sets ``bucket_ref`` and ``bucket_arn`` for the others."""

    def __init__(self, p, ctx):
        super().__init__(p, ctx)
        self.kms_key = p.artifact_store.kms_key
        self.bucket_ref = None
        self.bucket_arn = None

    def artifact_store(self):
        """The bucket named in ``artifacts { bucket }``, or a new one with its bucket policy."""
        store = self.p.artifact_store
        if store.bucket:
            self.bucket_ref = store.bucket
            self.bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{store.bucket}")
        else:
            bucket = self.add(artifact_bucket("ArtifactBucket", self.tags(), self.kms_key))
            aws_security.bucket_logging(self, bucket)
            self.bucket_ref = Ref(bucket)
            self.bucket_arn = GetAtt(bucket, "Arn")
            self.add(s3.BucketPolicy(
                "ArtifactBucketPolicy",
                Bucket=Ref(bucket),
                PolicyDocument=aws_iam.policy([{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [GetAtt(bucket, "Arn"), Sub("${ArtifactBucket.Arn}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }]),
            ))

    def artifact_access(self, write: bool = True) -> list[dict]:
        """The statements that let a role read (and, with ``write``, write) artifacts."""
        actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation", "s3:GetBucketVersioning"]
        if write:
            actions.append("s3:PutObject")
        sts = [{"Effect": "Allow", "Action": sorted(actions),
                "Resource": [self.bucket_arn, aws_iam.suffixed(self.bucket_arn, "/*")]}]
        if self.kms_key is not None and not isinstance(self.kms_key, str):
            # a key made by the template (targets/aws/accounts.py): its ARN, or the keys it may be
            sts.append({"Effect": "Allow", "Action": list(aws_security.KMS_ARTIFACT_ACTIONS),
                        "Resource": [self.kms_key]})
        elif self.kms_key:
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
        """The ARN of the artifact key, from a key ID, an alias or an ARN as written."""
        key = self.kms_key
        if not isinstance(key, str) or key.startswith("arn:"):
            return key
        if key.startswith("alias/"):
            return aws_iam.arn("kms", key)
        return aws_iam.arn("kms", f"key/{key}")


def artifact_bucket(title: str, tags, key_arn=None, name: str | None = None) -> s3.Bucket:
    """An artifact bucket: encrypted (with the KMS key ``key_arn``, else S3 managed keys),
    versioned, private, owner-enforced, old artifacts expired; named ``name`` when given (a
    support store in another Region, :mod:`.accounts`)."""
    if key_arn:
        enc = s3.ServerSideEncryptionByDefault(SSEAlgorithm="aws:kms", KMSMasterKeyID=key_arn)
    else:
        enc = s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256")
    return s3.Bucket(
        title, **({"BucketName": name} if name else {}), DeletionPolicy="Retain", UpdateReplacePolicy="Retain",
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[
            s3.ServerSideEncryptionRule(ServerSideEncryptionByDefault=enc, BucketKeyEnabled=bool(key_arn))]),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="ExpireOldArtifacts", Status="Enabled", ExpirationInDays=90,
            NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=30),
            AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7))]),
        Tags=tags)
