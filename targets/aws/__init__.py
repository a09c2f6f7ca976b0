"""The AWS target: CodePipeline V2 with CodeBuild and CodeDeploy, as a CloudFormation template.

- :mod:`.emit`: the template (:func:`~pipec.targets.aws.emit.emit`), one buildspec per build
  and one appspec per CodeDeploy deployment; ``read`` hands over to :mod:`.read`.
- :mod:`.pipeline`: the builder that makes them, :class:`~pipec.targets.aws.pipeline.PipelineBuilder`
  (stages, the CodePipeline resource, approvals, stacks, buckets, invokes), on top of
  :mod:`.template` (logical IDs, tags, the pipeline role's statements) with one part per family
  of resources: :mod:`.artifacts` (S3, KMS), :mod:`.sources` (source actions, triggers,
  EventBridge), :mod:`.codebuild` (projects, roles, logs, CodeArtifact), :mod:`.codedeploy`
  (applications, groups, appspecs, the Lambda deployer). :mod:`.iam`: ARNs and policy documents.
- :mod:`.buildspec`, :mod:`.appspec`: the two file formats, with the JSON Schemas pipec ships for
  them (``schemas/``); the GitHub target writes them too (CodeDeploy from a workflow).
- :mod:`.patch`: the ``aws { }`` blocks' ``patch`` lines applied to the template and the
  buildspecs, and the check that reads the patched files back.
- :mod:`.checks`: the target's refusals (E407, E411) as functions of the model, which the builder
  calls while it makes the template and :mod:`.diagnose` calls without making it (``pipec check``
  and the language server: no troposphere, no YAML).
- :mod:`.security`: the templates' security defaults (log encryption, access logs, narrowed IAM),
  shared with the GitHub target's companion template.
- :mod:`.read`: the template, buildspecs and appspecs back into the normal form, with its parts
  :mod:`.read_sources`, :mod:`.read_actions`, :mod:`.read_codebuild`, :mod:`.read_codedeploy`
  (and :mod:`.read_common`); :mod:`.cfn` reads CloudFormation YAML and JSON (short tags included).
- :mod:`.imports`: CodePipeline templates written by hand into ``.pipe`` (a package, one module
  per construct family); :mod:`.spec_imports` the same for buildspecs and appspecs.
- :mod:`.intrinsics`: CloudFormation's intrinsic functions evaluated against their template, for
  the importer and (through :mod:`.cfn`) the read sides.
- :mod:`.patterns`: pipec's patterns as CodePipeline trigger filters.

The registry in :mod:`pipec.targets` names these modules; nothing else imports them by name
except the GitHub target, which builds its companion template with the same builder.
"""
