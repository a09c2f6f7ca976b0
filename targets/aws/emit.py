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

Where the code is: :mod:`.pipeline` (the builder, :class:`~pipec.targets.aws.pipeline.PipelineBuilder`:
stages, the pipeline's role, the CodePipeline resource, the approval, stack, bucket and invoke
actions), on top of :mod:`.template` (logical IDs, tags, the pipeline role's statements) and the
parts :mod:`.artifacts` (S3 and KMS), :mod:`.sources` (source actions, triggers, EventBridge),
:mod:`.codebuild` (projects, roles, logs, CodeArtifact) and :mod:`.codedeploy` (applications,
groups, appspecs, the Lambda deployer); ARNs and policy documents in :mod:`.iam`, the security
defaults in :mod:`.security`. This module is what the registry in :mod:`pipec.targets` loads.
"""

from __future__ import annotations

from pipec import model
from pipec.targets.aws.pipeline import PipelineBuilder

# used by the GitHub target's companion template (and by tests) under their earlier names
from pipec.targets.aws.codedeploy import WAIT_FOR_DEPLOYMENT, lambda_deployment_script
from pipec.targets.aws.iam import function_arn as _function_arn
from pipec.targets.aws.iam import grant_statements
from pipec.targets.aws.iam import merge as _merge
from pipec.targets.aws.iam import parameter_arn as _parameter_arn
from pipec.targets.aws.iam import policy as _policy
from pipec.targets.aws.iam import secret_arn as _secret_arn
from pipec.targets.aws.iam import suffixed as _suffix
from pipec.targets.aws.iam import trust as _trust
from pipec.targets.aws.template import minutes as _minutes
from pipec.targets.aws.template import reading_order as _ordered

_Builder = PipelineBuilder

__all__ = ["emit", "read",
           # used by the GitHub target's companion template
           "_Builder", "WAIT_FOR_DEPLOYMENT", "lambda_deployment_script", "grant_statements", "_function_arn",
           "_merge", "_minutes", "_ordered", "_parameter_arn", "_policy", "_secret_arn", "_suffix", "_trust"]


def emit(pipeline: model.Pipeline, ctx) -> dict[str, str]:
    """Every file of the AWS target for ``pipeline``: relative path -> text. The effect of its
    ``patch`` lines, if any, goes to ``ctx.warnings`` (W540, W541; :mod:`.patch`)."""
    from pipec.targets.aws import patch

    files = PipelineBuilder(pipeline, ctx).run()
    found = patch.check(files, pipeline, lambda m: PipelineBuilder(m, ctx).run(), getattr(ctx, "prefix", ""))
    report = getattr(ctx, "warnings", None)
    if report is not None:
        report.extend(found)
    return files


def read(out_dir, pipeline: str | None = None, source_root=None):
    """The read side: the :class:`pipec.plan.Plan` of the template, buildspecs and appspecs that
    :func:`emit` wrote under ``out_dir``, parsed from disk (implemented in
    :mod:`pipec.targets.aws.read`)."""
    from pipec.targets.aws.read import read as _read

    return _read(out_dir, pipeline, source_root)
