"""``pipec import`` of a GitHub Actions workflow written by hand: the workflow as ``.pipe`` source.

This is the importer for :data:`pipec.importer.KINDS` ``workflow`` (see :mod:`pipec.importer` for
the machinery: positions, findings, tasks, the final ``pipec check``). It maps what has the same
meaning on CodePipeline and GitHub Actions, and reports everything else as a finding (a
``# not converted`` comment in the output and a W600 diagnostic pointing into the workflow).

Mapping (workflow -> ``.pipe``)::

    name (or the file stem)                  pipeline NAME
    (the repository)                         source app github "OWNER/REPO" (ctx.repository or a
                                             placeholder + task); branch: the one literal branch of
                                             on.push.branches, else main ($default-branch: main + task)
    on.push branches/tags/paths (+ -ignore)  on push branches ... paths ...   (branch pushes)
                                             on push tags ...                 (tag pushes; GitHub does
                                             not evaluate paths for tags, so neither does this line)
                                             neither branches nor tags: both lines, with "**"
    on.pull_request types/branches/paths     on pull_request opened|updated|closed into ... paths ...
                                             (default types: opened updated + finding for reopened;
                                             other types: finding; the run builds the head commit,
                                             GitHub the merge commit: finding)
    on.workflow_dispatch (+ inputs)          on manual; variable NAME = DEFAULT description "..."
    any other event                          finding per event; no trigger left: on manual
    concurrency (workflow)                   mode superseded (the GitHub target writes superseded
                                             as a group without cancel-in-progress, so that is the
                                             exact inverse); cancel-in-progress true and per-ref
                                             groups: findings; no concurrency: mode parallel
    env (workflow, job; literal values)      env NAME = VALUE in each action
    ${{ secrets.X }}                         secret NAME from ssm "/PIPELINE/X" + github { secret
                                             NAME from github X } + task (create the parameter)
    jobs + needs                             one stage per longest-path level of the needs DAG,
                                             several actions of a level in parallel { }; a job that
                                             now waits for more than its needs: one finding
    job                                      build NAME, or test NAME when its key contains test,
                                             lint or check
    runs-on ubuntu-*                         image ubuntu (+ github { runs_on LABEL } unless
                                             ubuntu-latest); other runners: github { runs_on ... } and
                                             a finding (CodeBuild runs Ubuntu); windows: os windows
                                             with the PowerShell steps as written when the job has
                                             only those, checkout and artifact steps (a finding for
                                             pwsh 7 vs Windows PowerShell); otherwise its PowerShell
                                             run steps are findings
    container IMAGE                          image docker IMAGE
    timeout-minutes (default 360)            timeout Nm
    environment NAME                         github { environment NAME } + task (reviewers) +
                                             finding (no gate on CodePipeline)
    strategy.matrix                          matrix { } of one action when it means the same
                                             (plain axes, excludes, includes of whole new cells,
                                             matrix.X read in commands, as $X, and as a setup
                                             version, Linux, no artifact or cache: matrices.py);
                                             otherwise expanded as GitHub does (product, exclude,
                                             include): one action per combination (NAME-V1-V2), all
                                             in one parallel { } group (max-parallel 1: one after
                                             another); ${{ matrix.X }} replaced by its value
    run steps                                build-phase commands (below)
    steps with if: always() / !cancelled()   at the end: finally commands of the build phase
    actions/checkout                         (the source); fetch-depth 0: clone full
    setup actions (github_read.SETUP_ACTIONS) runtime NAME VERSION
    actions/cache                            cache PATHS (finding when the key is not a hashFiles key)
    actions/upload-artifact                  artifact NAME files ... base LCA
    actions/download-artifact                from NAME + a copy into the download path
    aws-actions/configure-aws-credentials    nothing (pipec creates the roles) + task; the account
                                             of role ARNs and the Region: the pipeline's aws {
                                             account A region R }, jobs elsewhere and expressions
                                             findings (:mod:`.places`); without a role ARN, a
                                             literal aws-region: github { aws_region R }
    aws-codebuild-run-build, setup-sam,      the commands they run (:mod:`.third_party`)
    amazon-ecr-login, docker/login-action,
    Swatinem/rust-cache
    echo ... >> $GITHUB_ENV/PATH/OUTPUT      export statements, or emulated files (:mod:`.runner_files`)

Commands. GitHub runs each ``run`` step in a fresh ``bash -e {0}`` (``bash -eo pipefail`` with
``shell: bash``, ``sh -e`` with ``shell: sh``) in the workspace root; the commands of a ``.pipe``
phase share one shell and each command's status is checked (docs/language.md, "Phases"). A step
whose every line is a simple command (no ``;``, ``&``, heredoc, continuation, compound command,
``&&``/``!`` except on the last line, ``|`` under pipefail, nothing that changes the shell's state:
``cd``, ``export``, assignments, ``source``, ``set``, ``exit``...) becomes one command per line,
which fails exactly when GitHub's step fails. Any other step becomes one script run in a subshell,
``(`` / ``set -e[o pipefail]`` / ``cd DIR`` / ``export K=V`` / body / ``)``, so nothing leaks
into later steps. Expressions in commands: ``matrix.X`` is its value (textual, as GitHub does),
``env.X`` and ``secrets.X`` are ``${X}``, ``inputs.X`` is the pipeline variable ``${X}``,
``vars.X`` a pipeline variable with a placeholder value, ``steps.ID.outputs.N`` the variable an
earlier step's runner-file write set; ``github.workspace`` is ``${CODEBUILD_SRC_DIR}``, and
``github.sha`` ``${CODEBUILD_RESOLVED_SOURCE_VERSION}`` in a workflow without pull requests; other
``github.*``/``runner.*`` values GitHub also exports (``github.ref``...) are their variables
(``${GITHUB_REF}``) with a finding, since CodeBuild does not set them; an expression whose values
are all known at import (matrix, literal env, ``fromJSON`` of a literal) is written as its text;
anything else (``needs.*``, other functions) skips the step with a finding.

Deliberately ignored, because pipec derives them itself or they carry no behaviour:
``permissions`` (workflow and job: pipec computes least-privilege permissions), ``name`` and
``run-name`` of the workflow apart from the pipeline name, ``name`` of jobs and steps and step
``id`` (display names; references to steps are findings), the inputs of actions/checkout
``token``, ``ssh-key``, ``persist-credentials``, ``clean``, ``show-progress``,
``set-safe-directory``, ``fetch-depth`` other than 0 (credentials and cosmetics), the caching
and tooling inputs of setup actions (``cache``, ``cache-dependency-path``, ``check-latest``,
``token``, ``allow-prereleases``, ``update-environment``: performance only), ``fail-fast`` and
``max-parallel`` above 1 of a matrix (they change how much work runs after a failure or at once,
never the outcome of the run), upload-artifact's ``retention-days``, ``compression-level``,
``if-no-files-found`` and ``overwrite``, ``always()`` running on cancellation too. The shell
default of ``defaults.run.shell: bash`` is mapped (it adds pipefail), not ignored.

Modules (one construct family each; :mod:`.workflow` puts them together)::

    workflow     the importer's entry: validation, the pipeline's name and mode, the order of work
    triggers     on: (push, pull_request, schedule, workflow_dispatch) -> source and on lines
    env          env mappings and ${{ secrets.X }} -> env and secret lines
    jobs         jobs, needs and stages; one job's settings (runner, container, timeout, environment)
    matrices     strategy.matrix as a matrix { } block, or expanded into one action per combination
    steps        the steps of a job, in order, with their if: and the action's inputs
    commands     run steps -> commands or scripts, expressions inside commands
    actions      uses steps: the table of actions pipec translates (checkout, setup-*, cache,
                 upload/download-artifact, configure-aws-credentials)
    places       the accounts and Regions of the credentials steps -> the pipeline's aws { }
    third_party  third-party actions whose documented effect is a few commands
    runner_files $GITHUB_ENV, $GITHUB_PATH and $GITHUB_OUTPUT writes -> shell statements or emulated files
    conditions   if: of jobs and steps -> when it runs (normal, always, never, failure, unknown)
    expressions  GitHub's expression language, evaluated where the values are known
    common       what they share: the action being written, the _Skip signal, YAML scalars
"""

from __future__ import annotations


from pipec.importer import Doc
from pipec.targets.github.imports.workflow import _Workflow


def import_workflow(ctx) -> Doc | None:
    return _Workflow(ctx).run()
