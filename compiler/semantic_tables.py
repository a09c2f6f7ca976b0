"""The language's tables and platform limits that the checker applies.

:data:`PLATFORM_SETTINGS` (what ``aws { }`` and ``github { }`` blocks accept where), the runtimes,
hook events and strategies per compute platform, both platforms' counts and lengths (each with the
place it is documented), and the patterns behind the heuristic warnings. Plain data and one
predicate, :func:`looks_production`; the checks that use them are the ``semantic_*`` modules,
starting from :mod:`pipec.semantic`.
"""

from __future__ import annotations

import re

from pipec.lazy_regex import lazy

#: Settings accepted in ``aws { }`` and ``github { }`` blocks, by where the block is.
#: Each entry: key -> (minimum values, maximum values or None for any, description).
PLATFORM_SETTINGS: dict[tuple[str, str], dict[str, tuple[int, int | None, str]]] = {
    ("pipeline", "aws"): {
        "role": (1, 1, "ARN of an existing pipeline service role to use instead of creating one"),
        "permissions_boundary": (1, 1, "ARN of a permissions boundary for every role pipec creates"),
        "tag": (2, 2, "a tag KEY VALUE for every resource (repeatable)"),
        "access_logs": (1, 1, "server access logging of the buckets pipec creates: on (default) or off"),
        "account": (1, 1, "the AWS account ID (12 digits) the pipeline runs in"),
        "region": (1, 1, "the AWS Region the pipeline runs in"),
    },
    ("pipeline", "github"): {
        "repository": (1, 1, "OWNER/REPO the workflow runs in (default: the GitHub source's repository)"),
        "runs_on": (1, None, "runner labels for every job (default: ubuntu-24.04)"),
        "workflow": (1, 1, "the workflow file name, without .yml (default: the pipeline name)"),
        "aws_region": (1, 1, "the AWS Region the jobs use (default: the pipeline's aws { region }, else us-east-1)"),
        "oidc_provider": (1, 1, "ARN of an existing GitHub OIDC provider in the AWS account"),
    },
    ("stage", "aws"): {
        "account": (1, 1, "the AWS account ID (12 digits) the stage's deploy and invoke actions run in "
                          "(default: the pipeline's)"),
        "region": (1, 1, "the AWS Region the stage's deploy and invoke actions run in (default: the pipeline's)"),
    },
    ("build", "aws"): {
        "project_name": (1, 1, "the CodeBuild project name (default: PIPELINE-ACTION)"),
        "role": (1, 1, "ARN of an existing service role for this project"),
        "cache": (1, 1, "cache location: local (default) or s3"),
        "queued_timeout": (1, 1, "how long a build may wait in the queue, such as 8h"),
        "account": (1, 1, "refused (E222): builds run in the pipeline's account"),
        "region": (1, 1, "refused (E222): builds run in the pipeline's Region"),
    },
    ("build", "github"): {
        "runs_on": (1, None, "runner labels for this job"),
        "run_in_codebuild": (0, 0, "run this job's commands in a CodeBuild project (aws codebuild start-build)"),
        "environment": (1, 1, "a GitHub environment for this job"),
    },
    ("deploy", "aws"): {
        "application": (1, 1, "the CodeDeploy application name (default: PIPELINE-PLATFORM)"),
        "deployment_group": (1, 1, "the CodeDeploy deployment group name (default: the action name)"),
        "role": (1, 1, "ARN of an existing role for this deployment, in the account the deployment runs in (E222)"),
        "account": (1, 1, "the AWS account ID (12 digits) this action runs in (default: the pipeline's)"),
        "region": (1, 1, "the AWS Region this action runs in (default: the pipeline's)"),
    },
    ("deploy", "github"): {
        "environment": (1, 1, "a GitHub environment for this job (default: the stage name)"),
        "runs_on": (1, None, "runner labels for this job"),
    },
    ("approve", "aws"): {
        "topic_name": (1, 1, "the name of the SNS topic pipec creates for the notification"),
        "account": (1, 1, "refused (E222): approvals run in the pipeline's account"),
        "region": (1, 1, "refused (E222): approvals run in the pipeline's Region"),
    },
    ("approve", "github"): {
        "environment": (1, 1, "the environment whose reviewers approve (default: the action name)"),
        "reviewers": (1, 6, "users or org/team slugs who may approve (at most 6)"),
        "wait": (1, 1, "a wait timer before the job may start, such as 10m"),
        "branches": (1, None, "branch patterns allowed to deploy to the environment"),
    },
    ("invoke", "aws"): {
        "account": (1, 1, "the AWS account ID (12 digits) this action runs in (default: the pipeline's)"),
        "region": (1, 1, "the AWS Region this action runs in (default: the pipeline's)"),
    },
    ("invoke", "github"): {
        "runs_on": (1, None, "runner labels for this job"),
    },
}

RUNTIMES = ("android", "dotnet", "golang", "java", "nodejs", "php", "python", "ruby")
#: the runtimes an ``os windows`` build may set up, with the versions both platforms install: those
#: CodeBuild's Windows Server 2019 image (aws/codebuild/windows-base:2019-3.0, the one pipec uses)
#: offers in ``runtime-versions`` (CodeBuild user guide, "Available runtimes", "Windows image
#: runtimes"), spelt as pipec writes them there; GitHub's setup actions install each on windows-2022
WINDOWS_RUNTIMES = {
    "dotnet": ("8.0",),
    "golang": ("1.21", "1.22", "1.23"),
    "java": ("corretto8", "corretto11", "corretto17", "corretto21"),
    "nodejs": ("20.18", "22.13"),
    "php": ("8.3", "8.4"),
    "python": ("3.10", "3.11", "3.12", "3.13"),
    "ruby": ("3.2", "3.3", "3.4"),
}
HOOKS = {
    "ec2": ("application_stop", "before_install", "after_install", "application_start",
            "validate_service", "before_block_traffic", "after_block_traffic",
            "before_allow_traffic", "after_allow_traffic"),
    "ecs": ("before_install", "after_install", "after_allow_test_traffic", "before_allow_traffic",
            "after_allow_traffic"),
    "lambda": ("before_allow_traffic", "after_allow_traffic"),
}
STRATEGIES = {
    "ec2": ("all-at-once", "rolling", "blue-green"),
    "ecs": ("rolling", "blue-green", "canary", "linear"),
    "lambda": ("all-at-once", "canary", "linear"),
}
MAX_PATTERNS = 8
MAX_ACTIONS_PER_STAGE = 50
#: stages in one pipeline, the source stage included (CodePipeline's quota)
MAX_STAGES = 50
#: variables, each a workflow_dispatch input on GitHub (25 inputs at most since 2025; 10 before)
MAX_DISPATCH_INPUTS = 25
MAX_PUSH_FILTERS = 3
MAX_PR_FILTERS = 3
NAME_MAX = 100
SECRETISH = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)",
                       re.I)
#: An IAM action in 'allow': a service prefix and an action name, wildcards allowed in the name.
IAM_ACTION = lazy(r"[a-z0-9-]+:[A-Za-z0-9*?]+")
#: Commands that run tests, for W502 (a heuristic: a 'test' action always counts).
TESTISH = re.compile(r"test|verify|jest|mocha|rspec|vitest|phpunit|\bspec\b|\bcheck\b", re.I)


def looks_production(*names: str) -> bool:
    """True when any name has a word that usually means production (prod, production, live, prd)."""
    for name in names:
        if any(w in ("prod", "production", "live", "prd") for w in re.split(r"[-_.\s]+", name.lower())):
            return True
    return False
