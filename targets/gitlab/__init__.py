"""GitLab CI: a source platform only. pipec does not emit GitLab pipelines; it imports them
(:mod:`pipec.targets.gitlab.imports`), so that a ``.gitlab-ci.yml`` becomes a ``.pipe`` that
builds for CodePipeline and GitHub Actions at once. Registered in :data:`pipec.targets.IMPORTERS`
under the kind ``gitlab-ci``; it has no entry in :data:`pipec.targets.TARGETS`.
"""
