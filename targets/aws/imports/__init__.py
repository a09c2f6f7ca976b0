"""``pipec import`` for CloudFormation templates with an ``AWS::CodePipeline::Pipeline``.

:func:`import_template` reads a template that people wrote (YAML or JSON, short or long
intrinsic forms, as :func:`pipec.importer.load` gives it) and writes the ``.pipe`` pipeline it
describes. The inverse of :mod:`pipec.targets.aws` (docs/targets.md, "Mapping"), for hand-written
templates: tolerant of what is optional, and explicit about what it cannot carry.

Where things are: :mod:`pipec.targets.aws.intrinsics` evaluates the template's intrinsic
functions; in this package, :mod:`.pipeline` holds the importer (the pipeline and its
properties), :mod:`.values` the template's values as ``.pipe`` needs them, and one module per
construct family: :mod:`.sources`, :mod:`.triggers`, :mod:`.stages` (the walk over the stages
after the source stage), :mod:`.builds` (with :mod:`.specs`, where buildspecs and appspecs come
from), :mod:`.deployment_groups` and :mod:`.deploys`, :mod:`.stacks`, :mod:`.approvals`,
:mod:`.invokes`.

What is read
------------

- **One pipeline**: the first ``AWS::CodePipeline::Pipeline``; each other one is a finding.
  Its name is its ``Name`` when the template decides it, otherwise its logical ID.
- **Values**: ``Ref``/``Fn::Sub``/``Fn::Join``/``Fn::Select``/``Fn::Split``/``Fn::FindInMap``
  are resolved against the template. A parameter with a ``Default`` gives that default (a comment
  names the parameter); a parameter without one, a pseudo parameter (``AWS::Region``,
  ``AWS::AccountId``...; ``AWS::Partition`` is taken as ``aws``), an attribute (``Fn::GetAtt``)
  or an import (``Fn::ImportValue``) is known only at deployment: where ``.pipe`` needs the value
  it becomes a ``REPLACE-ME-...`` placeholder and a task, elsewhere a finding.
- **Conditions** (``Fn::If``, a resource's ``Condition``): evaluated with the parameters'
  defaults (``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Condition``); the branch taken
  is named in a comment. A condition that cannot be evaluated is a finding and its part is left
  out (neither branch is taken silently).
- **Pipeline properties**: ``Name``, ``PipelineType`` (pipec always writes V2), ``ExecutionMode``
  (``mode``), ``Variables`` (``variable``), ``Triggers`` (``on push``/``on pull_request`` of the
  source named by ``SourceActionName``; CodePipeline globs are rewritten into pipec patterns of
  the same meaning, or reported), ``ArtifactStore`` (``artifact_store`` for an existing bucket or
  key; a bucket of the template is replaced by the one pipec creates), ``RoleArn`` (``aws { role }``
  for an existing role; a role of the template is replaced by pipec's least-privilege roles),
  ``DisableInboundStageTransitions`` (``transition disabled``), ``Tags`` (``aws { tag }``).
  ``RestartExecutionOnUpdate: true`` is a finding. ``ArtifactStores``, and ``Region``/``RoleArn``
  on deploy and invoke actions, become the actions' ``aws { account region }`` and the pipeline's
  own place (:mod:`.places`); ``ArtifactStores`` with no action elsewhere is a finding.
- **Sources**: CodeStarSourceConnection (github/bitbucket/gitlab by the connection's
  ``ProviderType`` when the template creates it), GitHub version 1 (OAuth: a github source, a
  connection task and a finding for the token), CodeCommit and S3. A source is named after its
  output artifact (in ``.pipe`` a source *is* its artifact).
- **Actions** (ordered by ``RunOrder``; equal run orders become ``parallel { }``): CodeBuild
  (the project of the template: image, compute, privileged mode, timeout, variables, and the
  buildspec, inline or found among the companions or next to the template, through
  :mod:`pipec.targets.aws.spec_imports`), CodeDeploy (EC2/Lambda through the deployment group of the
  template and an appspec companion), CodeDeployToECS, ECS, CloudFormation (change set pairs or
  ``CREATE_UPDATE``), S3 deploy, Lambda invoke and manual approvals. Every other provider is a
  finding ``template: action provider``.

Deliberately not imported (pipec generates them from the ``.pipe`` file): IAM roles and
policies, the artifact bucket and its policy, CodeBuild projects (their settings are read into
the actions that use them), CodeDeploy applications, deployment groups and configurations (read
into the deployments), SNS topics and subscriptions of approvals, CodeConnections/CodeStar
connections, EventBridge rules and webhooks that start the pipeline on changes, CodeBuild log
groups; the template's ``Outputs``, ``Metadata``, ``Description``, ``Transform`` and ``Rules``;
a resource's ``DependsOn``, ``DeletionPolicy`` and ``UpdateReplacePolicy``; an action's
``Namespace`` when no configuration of the template uses its variables; ``ArtifactStore.Type``
(always S3). Every other resource (VPCs, clusters, load balancers, functions...) is
infrastructure outside the pipeline: one comment lists them, without findings.
"""

from __future__ import annotations

from pipec.importer import Doc
from pipec.targets.aws.imports.pipeline import TemplateImporter
from pipec.targets.aws.imports.triggers import pattern_from_codepipeline


def import_template(ctx) -> Doc | None:
    """The ``.pipe`` pipeline of the first ``AWS::CodePipeline::Pipeline`` of ``ctx.data``."""
    return TemplateImporter(ctx).run()


__all__ = ["import_template", "pattern_from_codepipeline"]
