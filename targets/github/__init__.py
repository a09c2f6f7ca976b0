"""The GitHub Actions target: the same pipeline as one workflow, plus what it needs on AWS.

- :mod:`.emit`: the workflow (:func:`~pipec.targets.github.emit.emit`) and ``read``, which hands
  over to :mod:`.read`. The parts of the workflow are written by :mod:`.triggers` (``on:``),
  :mod:`.jobs` (job skeletons, inputs, build and test jobs), :mod:`.phases` (a build's phases: one
  ``run:`` step a command, or one bash process with the rules of ``.github/pipec/phases.sh``), :mod:`.artifacts` (artifact uploads and downloads), :mod:`.deploys` (deployments),
  :mod:`.codebuild_run` (builds run in CodeBuild), :mod:`.waits` (how long deploy jobs wait, and the
  scripts they share: the CodeDeploy wait, the ECS rolling update), :mod:`.approvals`; what it
  needs beside it
  by :mod:`.companion` (the companion CloudFormation template: OIDC roles, CodeDeploy, SNS, built
  with the AWS target's builder) and :mod:`.environments` (the environments' settings with
  ``apply.sh``); :mod:`.guards` holds the run's lock, the guards on jobs (change sets after
  their block, runs started by hand, pull-request runs) and the checks that make gates fail
  closed.
- :mod:`.checks`: what the target reports (E408-E410, W508-W516, W519), one method per check, which
  the workflow builder calls while it makes the jobs and :mod:`.diagnose` calls without making
  them (``pipec check`` and the language server: no troposphere, no YAML).
- :mod:`.step_ids`: every step's stable ``id``; :mod:`.patch`: the ``github { }`` blocks' ``patch``
  lines applied to the workflow, and the check that reads the patched workflow back.
- :mod:`.pins`: the pinned actions of ``actions.json`` (each with its release tag, commit SHA and
  how it was confirmed); :mod:`.pin_lock`: the repository's ``pipec.lock``, which wins over them,
  and ``pipec pins``.
- :mod:`.account`: the companion template's resources an AWS account holds only once (the OIDC
  provider, CodeArtifact domains).
- :mod:`.read` (a package): the workflow and its companion files back into the normal form.
- :mod:`.imports` (a package): workflows written by hand into ``.pipe``, one construct family a
  module.
- :mod:`.patterns`: pipec's patterns as GitHub Actions filters (and back).
"""
