"""The GitHub Actions target: the same pipeline as one workflow, plus what it needs on AWS.

- :mod:`.emit`: the workflow (:func:`~pipec.targets.github.emit.emit`), the companion
  CloudFormation template (OIDC roles, CodeDeploy, SNS, built with the AWS target's builder), the
  appspecs its deployments use and the environments' settings with ``apply.sh``; ``read`` hands
  over to :mod:`.read`.
- :mod:`.account`: the companion template's resources an AWS account holds only once (the OIDC
  provider, CodeArtifact domains).
- :mod:`.read`: the workflow and its companion files back into the normal form.
- :mod:`.imports`: workflows written by hand into ``.pipe``.
- :mod:`.patterns`: pipec's patterns as GitHub Actions filters (and back).
- ``actions.json``: the pinned actions, each with its release tag, commit SHA and how it was
  confirmed.
"""
