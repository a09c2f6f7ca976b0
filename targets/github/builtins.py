"""CodeBuild's built-in variables for GitHub Actions build jobs: the value of the same meaning
where GitHub has one, else pipec's documented stand-in (:mod:`pipec.builtins` lists them and
warns, W521, when a command reads a stand-in). The ones of the same meaning go into the
workflow's ``env`` once (:meth:`pipec.targets.github.jobs.Jobs.shared_env`); a stand-in goes into
the ``env`` of a job whose commands name it. docs/targets.md, "Built-in variables", has the
table and the pages it relies on.

Only the ``github`` context is used: it is available in the workflow's and in ``jobs.<job_id>.env``
(GitHub Docs, "Contexts reference", context availability), whereas ``runner`` and ``job`` are not. Its
``github.workspace`` is the runner's path even in a container job (actions/runner issue 2058),
so ``CODEBUILD_SRC_DIR`` is right for jobs on the runner; in a container job use ``$PWD`` at the
start of the build, or ``$GITHUB_WORKSPACE``.
"""

from __future__ import annotations

from pipec.targets.escape import expression_text

RUN_URL = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"


def values(pipeline: str, action: str, region: str) -> dict[str, str]:
    """name -> the value a build job's ``env`` gives each built-in variable of
    :func:`pipec.builtins.provided`, in that order."""
    from pipec.targets.github.jobs import HEAD_COMMIT  # the commit the job checks out

    return {
        "AWS_DEFAULT_REGION": expression_text(region),
        "AWS_REGION": expression_text(region),
        "CODEBUILD_BUILD_ARN": RUN_URL,
        # the default CodeBuild project name is PIPELINE-ACTION: the same PROJECT:ID shape
        "CODEBUILD_BUILD_ID": expression_text(f"{pipeline}-{action}") + ":${{ github.run_id }}-${{ github.run_attempt }}",
        "CODEBUILD_BUILD_NUMBER": "${{ github.run_number }}",
        "CODEBUILD_INITIATOR": "github-actions/${{ github.workflow }}",
        "CODEBUILD_RESOLVED_SOURCE_VERSION": HEAD_COMMIT,
        "CODEBUILD_SOURCE_REPO_URL": "${{ github.server_url }}/${{ github.repository }}.git",
        "CODEBUILD_SOURCE_VERSION": HEAD_COMMIT,
        "CODEBUILD_SRC_DIR": "${{ github.workspace }}",
    }
