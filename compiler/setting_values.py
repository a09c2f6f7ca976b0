"""What the values of ``aws { }`` and ``github { }`` settings may be.

A setting's value ends up as a resource name in a CloudFormation template, a file name under the
output folder, a word in a shell script (``environments/apply.sh``) or a key in a workflow, so it is
checked here, once, against what the platform itself accepts; anything else is E206 with the rule
in words. The patterns are the platforms' own where they publish one, narrowed where the platform's
rule would let through characters that mean something to a shell, to ``Fn::Sub`` (``${``) or to a
path (``/``, ``..``):

- CodeBuild project names: ``[A-Za-z0-9][A-Za-z0-9\\-_]{1,254}`` (CreateProject, ``name``).
- CodeDeploy application and deployment group names: 1 to 100 characters (CreateApplication,
  CreateDeploymentGroup); pipec takes letters, digits and ``. _ + = , @ -``.
- SNS topic names: ASCII letters, digits, ``_`` and ``-``, 1 to 256 characters (CreateTopic).
- GitHub environment names: at most 255 characters; pipec takes letters, digits, ``. _ -``,
  starting with a letter or digit (the name is also a file name and a URL path segment).
- GitHub user logins: letters, digits and ``-``, at most 39 characters; team slugs likewise,
  written ``org/team``.
- Tags: CloudFormation tag keys take 1 to 128 and values 0 to 256 Unicode letters, digits, spaces
  and ``_ . : / = + - @``.
"""

from __future__ import annotations

from pipec.lazy_regex import LazyRegex, lazy
from pipec.resource_names import ACCOUNT, PARTITION, REGION

_ARN = rf"{PARTITION}:iam::{ACCOUNT}:"

#: key -> (pattern the whole value must match, what a valid value is, in words)
RULES: dict[str, tuple[LazyRegex, str]] = {
    "project_name": (lazy(r"[A-Za-z0-9][A-Za-z0-9_-]{1,254}"),
                     "2 to 255 letters, digits, '-' and '_', starting with a letter or digit "
                     "(CodeBuild's rule for project names)"),
    "application": (lazy(r"[A-Za-z0-9._+=,@-]{1,100}"),
                    "1 to 100 letters, digits and . _ + = , @ - (a CodeDeploy application name)"),
    "deployment_group": (lazy(r"[A-Za-z0-9._+=,@-]{1,100}"),
                         "1 to 100 letters, digits and . _ + = , @ - (a CodeDeploy deployment group name)"),
    "topic_name": (lazy(r"[A-Za-z0-9_-]{1,256}"),
                   "1 to 256 ASCII letters, digits, '-' and '_' (SNS's rule for topic names)"),
    "environment": (lazy(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}"),
                    "up to 255 letters, digits, '.', '_' and '-', starting with a letter or digit "
                    "(it names a GitHub environment, a file and a URL path segment)"),
    "workflow": (lazy(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"),
                 "up to 100 letters, digits, '.', '_' and '-', starting with a letter or digit "
                 "(it is the workflow's file name)"),
    "runs_on": (lazy(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"),
                "a runner label: letters, digits, '.', '_' and '-'"),
    "reviewers": (lazy(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?"),
                  "a GitHub login (letters, digits and '-', at most 39) or an org/team slug"),
    "repository": (lazy(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}"),
                   "a GitHub repository written OWNER/NAME"),
    "aws_region": (lazy(REGION), "an AWS Region code such as eu-west-1"),
    "role": (lazy(_ARN + r"role/[A-Za-z0-9+=,.@_/-]{1,512}"),
             "an IAM role ARN such as arn:aws:iam::123456789012:role/deploy"),
    "access_logs": (lazy(r"on|off"), "on (the default: pipec creates an access-log bucket) or off"),
    "oidc_provider": (lazy(_ARN + r"oidc-provider/[A-Za-z0-9._/-]{1,255}"),
                      "an IAM OIDC provider ARN such as "
                      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
}

_TAG_KEY = lazy(r"[\w .:/=+@-]{1,128}")
_TAG_VALUE = lazy(r"[\w .:/=+@-]{0,256}")


def problem(key: str, values: tuple[str, ...]) -> tuple[str, str] | None:
    """``(value, rule in words)`` for the first value of setting ``key`` that its platform would
    refuse or that could not be written safely, or None when every value is fine."""
    if key == "tag":
        key_, value = values
        if not _TAG_KEY.fullmatch(key_) or key_.lower().startswith("aws:"):
            return key_, ("a tag key: 1 to 128 letters, digits, spaces and _ . : / = + - @, "
                          "not starting with 'aws:'")
        if not _TAG_VALUE.fullmatch(value):
            return value, "a tag value: up to 256 letters, digits, spaces and _ . : / = + - @"
        return None
    rule = RULES.get(key)
    if rule is None:
        return None
    pattern, words = rule
    for value in values:
        if not pattern.fullmatch(value) or ".." in value:
            return value, words
    return None
