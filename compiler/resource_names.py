"""Names of AWS resources and Git refs in a pipeline, checked against what AWS and Git accept.

These values land inside ARNs in IAM policies and ``Fn::Sub`` strings (where ``${`` starts a
substitution), in trigger filters that pipec translates for both platforms, and in ``env`` values
that scripts read. A value AWS or Git would refuse is an error here (E206) rather than a template
that fails at deployment, a filter pipec cannot translate, or a ``${...}`` that CloudFormation
would resolve. One pass over the finished model (:func:`check`), after the semantic analysis.

Sources of the rules (AWS API references unless noted): S3 bucket naming rules (3 to 63 lower-case
letters, digits, ``.`` and ``-``); SSM parameter names (letters, digits and ``_ . - /``); Secrets
Manager secret names (letters, digits and ``/ _ + = . @ -``); Lambda function names (1 to 64 letters,
digits, ``-`` and ``_``) and alias names (1 to 128, likewise); ECS cluster and service names (up to
255 letters, digits, ``-`` and ``_``); CloudFormation stack names (a letter, then letters, digits and
``-``, up to 128); CodeArtifact domains (2 to 50 lower-case letters, digits and ``-``) and
repositories (2 to 100 letters, digits and ``. _ -``); git check-ref-format for branches, narrowed
to the characters pipec's pattern translations handle on both platforms.
"""

from __future__ import annotations

import re
from typing import Iterator

from pipec import model
from pipec.lazy_regex import LazyRegex, lazy

#: the pieces every ARN and Region rule is made of (compiler/setting_values.py uses them too)
ACCOUNT = r"[0-9]{12}"
PARTITION = r"arn:aws(?:-[a-z]+)*"
REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}"

BUCKET = (lazy(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
          "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-'")
OBJECT_KEY = (lazy(r"(?!/)(?:(?!\$\{)[^\x00-\x1f\x7f])+"),
              "an S3 object key: printable characters, not starting with '/', without '${'")
SSM = (lazy(r"/?[A-Za-z0-9_.\-/]{1,2048}"), "an SSM parameter name: letters, digits and _ . - /")
SECRET = (lazy(rf"(?:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:)?[A-Za-z0-9/_+=.@-]{{1,512}}"
               r"(?::[A-Za-z0-9/_+=.@ -]*){0,3}"),
          "a Secrets Manager secret name or ARN (letters, digits and / _ + = . @ -), then optionally "
          ":JSON-KEY:VERSION-STAGE:VERSION-ID")
FUNCTION = (lazy(rf"(?:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:)?[A-Za-z0-9_-]{{1,64}}"
                 r"(?::[A-Za-z0-9_-]{1,128})?"),
            "a Lambda function name (1 to 64 letters, digits, '-' and '_') or its ARN")
ALIAS = (lazy(r"[A-Za-z0-9_-]{1,128}"), "a Lambda alias name: letters, digits, '-' and '_'")
ECS_NAME = (lazy(r"[A-Za-z0-9_-]{1,255}"), "an ECS name: up to 255 letters, digits, '-' and '_'")
STACK = (lazy(r"[A-Za-z][A-Za-z0-9-]{0,127}"),
         "a CloudFormation stack name: a letter, then letters, digits and '-', up to 128")
CODECOMMIT = (lazy(r"[A-Za-z0-9_.-]{1,100}"), "a CodeCommit repository name: letters, digits and . _ -")
DOMAIN = (lazy(r"[a-z][a-z0-9-]{1,49}"), "a CodeArtifact domain: lower-case letters, digits and '-'")
REPOSITORY = (lazy(r"[A-Za-z0-9][A-Za-z0-9._-]{1,99}"),
              "a CodeArtifact repository: letters, digits and . _ -")
SNS_TOPIC_ARN = lazy(rf"{PARTITION}:sns:{REGION}:{ACCOUNT}:[A-Za-z0-9_-]{{1,256}}")
OWNER = (lazy(ACCOUNT), "an AWS account id: 12 digits")
KMS_KEY = (lazy(rf"(?:{PARTITION}:kms:{REGION}:{ACCOUNT}:(?:key|alias)/)?[A-Za-z0-9:/_-]{{1,256}}"),
           "a KMS key id, alias or ARN")
GITHUB_SECRET = (lazy(r"(?![Gg][Ii][Tt][Hh][Uu][Bb]_)[A-Za-z_][A-Za-z0-9_]{0,99}"),
                 "a GitHub secret name: letters, digits and '_', not starting with a digit or GITHUB_")
CONNECTION = (lazy(r"[A-Za-z0-9_-]{1,32}"), "a CodeConnections name: 1 to 32 letters, digits, '-' and '_'")
LISTENER = (lazy(rf"{PARTITION}:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/[A-Za-z0-9/._-]{{1,512}}"),
            "an Elastic Load Balancing listener ARN")
TARGET_GROUP = (lazy(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"),
                "a target group name: 1 to 32 letters, digits and '-', not starting or ending with '-'")
ALARM = (lazy(r"(?!.*\$\{)[^\x00-\x1f\x7f]{1,255}"), "a CloudWatch alarm name: 1 to 255 characters, without '${'")
AUTOSCALING = (lazy(r"(?!.*\$\{)[^\x00-\x1f\x7f:]{1,255}"), "an Auto Scaling group name: 1 to 255 characters, "
               "without ':' or '${'")
CONTAINER = (lazy(r"[A-Za-z0-9_-]{1,255}"), "a container name: letters, digits, '-' and '_'")
SUBNET = (lazy(r"subnet-[0-9a-f]{1,17}"), "a subnet id such as subnet-0123456789abcdef0")
SECURITY_GROUP = (lazy(r"sg-[0-9a-f]{1,17}"), "a security group id such as sg-0123456789abcdef0")
PLATFORM_VERSION = (lazy(r"LATEST|[0-9]+\.[0-9]+\.[0-9]+"), "a Fargate platform version: LATEST or such as 1.4.0")
POLICY = (lazy(rf"{PARTITION}:iam::(?:[0-9]{{12}}|aws):policy/[A-Za-z0-9+=,.@_/-]{{1,512}}"),
          "an IAM policy ARN such as arn:aws:iam::123456789012:policy/boundary")
BRANCH = (lazy(r"(?!-)(?!.*(?:\.\.|//|@\{|\.lock$|[./]$))[A-Za-z0-9._/+@-]{1,255}"),
          "a branch name: up to 255 letters, digits and . _ / + @ -, not starting with '-' and "
          "without '..', '//' or '@{'")
PATH = (lazy(r"(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9._/+@=,-]{1,1024}"),
        "a relative path of letters, digits and . _ / + @ = , -, with no '..' segment")


def _path_rule(may_start: str) -> LazyRegex:
    """A path without a '..' segment, '${' or control characters; not starting with a drive
    letter, '\\', or any character of '/~-' except those in ``may_start``."""
    first = "".join(c for c in "/~-" if c not in may_start)
    return lazy(rf"(?![\\{first}])(?![A-Za-z]:)(?!(?:.*/)?\.\.(?:/|$))(?!.*\$\{{)"
                r"[^\x00-\x1f\x7f\u0085\u2028\u2029]{1,1024}")


#: a file or glob inside the build's working directory (artifacts, reports, cache); not starting
#: with '-', which a shell command would read as an option
WORKSPACE_PATH = (_path_rule(""),
                  "a path inside the build's working directory: relative, not starting with '-', without a "
                  "'..' segment, '${' or control characters")
#: a cache path: as :data:`WORKSPACE_PATH`, or absolute or under the home folder (CodeBuild caches
#: such as /root/.npm/**/*, ~/.npm)
CACHE_PATH = (_path_rule("/~-"),
              "a path relative to the working directory or absolute, without a '..' segment, '${' or control "
              "characters")


def _values(p: model.Pipeline) -> Iterator[tuple[object, str, str | None, tuple]]:
    """(node to report at, what the value is, the value, rule) for every checked field."""
    yield p, "artifact store bucket", p.artifact_store.bucket, BUCKET
    yield p, "artifact store key", p.artifact_store.kms_key, KMS_KEY
    yield p, "permissions boundary", p.aws.first("permissions_boundary"), POLICY
    for s in p.sources:
        if s.connection is not None:
            yield s, "connection name", s.connection.name, CONNECTION
        if s.provider == "s3":
            yield s, "bucket", s.bucket, BUCKET
            yield s, "object key", s.object_key, OBJECT_KEY
        if s.provider == "codecommit":
            yield s, "repository", s.repository, CODECOMMIT
        if s.is_git:
            yield s, "branch", s.branch, BRANCH
    for a in p.actions():
        if isinstance(a, model.Build):
            for out in a.outputs:
                for path in (*out.files, out.base):
                    yield out, f"path of artifact '{out.name}'", path, WORKSPACE_PATH
            for rep in a.reports:
                for path in (*rep.files, rep.base):
                    yield a, f"path of report '{rep.name}'", path, WORKSPACE_PATH
            for path in a.cache:
                yield a, "cache path", path, CACHE_PATH
            for sec in a.secrets:
                if sec.github_secret is not None:  # spliced into ${{ secrets.NAME }}
                    yield (sec if getattr(sec, "span", None) else a), "GitHub secret name", sec.github_secret, GITHUB_SECRET
                if sec.github_secret is None:
                    yield (sec if getattr(sec, "span", None) else a), "secret reference", sec.ref, SSM if sec.store == "ssm" else SECRET
            for login in a.codeartifact:
                yield a, "CodeArtifact domain", login.domain, DOMAIN
                yield a, "CodeArtifact repository", login.repository, REPOSITORY
                yield a, "CodeArtifact domain owner", login.owner, OWNER
        elif isinstance(a, model.Deploy):
            t = a.target
            if isinstance(t, model.EcsTarget):
                yield a, "ECS cluster", t.cluster, ECS_NAME
                yield a, "ECS service", t.service, ECS_NAME
                yield a, "task definition file", t.task_definition, WORKSPACE_PATH
                yield a, "image definitions file", t.image_file, WORKSPACE_PATH
                yield a, "container name", t.container, CONTAINER
                yield a, "listener", t.listener, LISTENER
                yield a, "test listener", t.test_listener, LISTENER
                yield a, "platform version", t.platform_version, PLATFORM_VERSION
                for tg in t.target_groups:
                    yield a, "target group", tg, TARGET_GROUP
                if t.network is not None:
                    for sn in t.network.subnets:
                        yield a, "subnet", sn, SUBNET
                    for sg in t.network.security_groups:
                        yield a, "security group", sg, SECURITY_GROUP
            elif isinstance(t, model.Ec2Target):
                yield a, "target group", t.target_group, TARGET_GROUP
                for asg in t.autoscaling_groups:
                    yield a, "Auto Scaling group", asg, AUTOSCALING
            elif isinstance(t, model.LambdaTarget):
                yield a, "Lambda function", t.function, FUNCTION
                yield a, "Lambda alias", t.alias, ALIAS
            for alarm in a.rollback.alarms:
                yield a, "alarm name", alarm, ALARM
            for h in a.hooks:
                if a.platform != "ec2":
                    yield a, "hook function", h.target, FUNCTION
        elif isinstance(a, model.StackDeploy):
            yield a, "stack name", a.stack, STACK
            yield a, "template path", a.template, PATH
        elif isinstance(a, model.BucketDeploy):
            yield a, "bucket", a.bucket, BUCKET
            yield a, "object key", a.object_key, OBJECT_KEY
        elif isinstance(a, model.Invoke):
            yield a, "Lambda function", a.function, FUNCTION


#: what CodePipeline accepts as the reason of a disabled transition: 1 to 300 of these characters
#: (CodePipeline API reference, DisableStageTransition ``reason``, and AWS::CodePipeline::Pipeline
#: StageTransition ``Reason``: pattern ``[a-zA-Z0-9!@ \(\)\.\*\?\-]+``, length 1 to 300)
TRANSITION_REASON = lazy(r"[a-zA-Z0-9!@ ().*?-]{1,300}")
#: characters that separate parts of a sentence: each run of them becomes " - "
_SEPARATORS = lazy(r"\s*[;:,/|\\\n\t]+\s*")


def transition_reason(text: str) -> str | None:
    """``text`` as the reason CodePipeline accepts (:data:`TRANSITION_REASON`), or None when it
    cannot be written so (nothing is left, or more than 300 characters): letters lose their
    accents (é: e), a run of separators (``; : , / |``, a line break) becomes " - ", any other
    character the pattern lacks (``# ' " & +`` ...) is dropped, and spaces are collapsed. A text
    the pattern accepts is returned as it is."""
    import unicodedata

    if TRANSITION_REASON.fullmatch(text):
        return text
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = _SEPARATORS.sub(" - ", plain)
    plain = re.sub(r"[^a-zA-Z0-9!@ ().*?-]", "", plain)
    plain = re.sub(r" {2,}", " ", plain).strip(" -")
    return plain if TRANSITION_REASON.fullmatch(plain) else None


#: the placeholders ``pipec import`` writes where the input does not say (each with a manual
#: task): plain words, harmless in every sink, so every rule lets them through
PLACEHOLDER = lazy(r"REPLACE-ME-[A-Za-z0-9-]*")


def check(p: model.Pipeline, report) -> None:
    """Call ``report(node, what, value, rule_in_words)`` for each value its service would refuse."""
    for node, what, value, (pattern, words) in _values(p):
        if value is None or PLACEHOLDER.search(value):  # an ARN with a placeholder in it, too
            continue
        if not pattern.fullmatch(value):  # "" too: every rule needs a character
            report(node, what, value, words)
