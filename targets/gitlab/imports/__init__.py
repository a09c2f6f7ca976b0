"""``pipec import`` of a GitLab CI file (``.gitlab-ci.yml``): the pipeline as ``.pipe`` source.

This is the importer for :data:`pipec.importer.KINDS` ``gitlab-ci`` (see :mod:`pipec.importer`
for the machinery: positions, findings, tasks, the final ``pipec check``). It maps what has the
same meaning on GitLab, CodePipeline and GitHub Actions, and reports everything else as a finding
(a ``# not converted`` comment in the output and a W600 diagnostic pointing into the file).
docs/migration.md ("GitLab CI") has the table, with GitLab's documented semantics.

Mapping (GitLab -> ``.pipe``)::

    include: local (and a plain path)    followed, relative to the including file; merged as GitLab
                                         merges (the including file wins); remote, template,
                                         project and component includes: findings
    YAML anchors, <<, !reference, extends  resolved before mapping (extends: deep merge, bases first)
    default: and the global image, before_script, after_script, cache, services
                                         given to each job that does not set them (inherit honoured)
    workflow: name                       pipeline NAME (else the file name)
    (the repository)                     source app github "OWNER/REPO" (--repository or a
                                         placeholder + task); branch main
    workflow: rules, else the union of the jobs' rules/only/except
                                         on push branches ... paths ... / on push tags ... /
                                         on pull_request opened updated into ... / on manual
                                         (schedules: finding + task); a job that GitLab runs in
                                         fewer pipelines than the pipeline's triggers: finding
    stages (default build, test, deploy; .pre first, .post last)
                                         one stage each, in order; empty stages left out
    needs                                within a stage: after the jobs it needs; across stages:
                                         the stage order (a finding when that waits for more)
    job                                  build NAME (test NAME when its name has test, lint or check)
    parallel: matrix                     one action with matrix { } (jobs.matrix_of: same
                                         variables in every entry, no artifact files or cache, no
                                         CI_NODE_* read); otherwise, and for parallel: N, one action
                                         per instance, with CI_NODE_INDEX/CI_NODE_TOTAL or the
                                         matrix's variables as env, side by side
    before_script + script               the build phase's commands, in order, one shell
    after_script                         the build phase's finally commands (+ finding: GitLab runs
                                         them in a new shell and ignores their failure)
    image                                image docker "IMAGE"
    variables                            env NAME = VALUE; a value with $VAR: export NAME="..." as
                                         the first command (GitLab expands it, so does the shell);
                                         global variables with a description: pipeline variable
    variables read but never set         CI/CD settings (masked or not): secret NAME from ssm +
                                         github { secret NAME from github NAME } + task
    $CI_PROJECT_DIR, $CI_COMMIT_SHA, $CI_COMMIT_SHORT_SHA, $CI_JOB_NAME, $CI_JOB_STAGE, $CI
                                         exported from CodeBuild's variables; other CI_* findings
    timeout                              timeout Nm (CodeBuild's 5 to 2160 minutes)
    artifacts: paths, name               artifact NAME files ...; later jobs (needs, dependencies,
                                         or every earlier stage) take it with from + a copy into
                                         the working folder; reports junit/cobertura: report
    cache: paths                         cache PATH...
    environment (name)                   github { environment NAME } + task (reviewers)
    when: manual (job or rule)           an approve action before the job (its environment's url)
    retry, allow_failure, services, tags, resource_group, expire_in, ...   findings

Modules (one construct family each; :mod:`.pipeline` puts them together)::

    pipeline     the entry: source, triggers, stages, needs, artifacts passed, approvals
    config       include, !reference, extends, default and global keys
    conditions   rules, only/except, workflow: rules -> When
    rules        When (the pipelines a job runs in), regular expressions and changes as patterns
    jobs         one job -> actions: parallel, scripts, image, variables, timeout, artifacts, cache
    common       what they share: the action being written, YAML scalars
"""

from __future__ import annotations

from pipec.importer import Doc
from pipec.targets.gitlab.imports.pipeline import _Pipeline


def import_gitlab(ctx) -> Doc:
    return _Pipeline(ctx).run()
