"""What a workflow grants and shows that a ``.pipe`` has no word for (issue 25, "nothing silent"):
``permissions`` beyond read, ``persist-credentials: true`` on a checkout, an environment's ``url``,
and job display names. None of them is dropped silently: each is a finding at its place, or (a
display name, which carries no behaviour) a comment in the action.

pipec computes least-privilege permissions for the workflows it writes from what the actions do
(docs/targets.md); it cannot know that a command pushes a tag or creates a release with the
token. GitHub's ``GITHUB_TOKEN`` gets, for each scope, the access ``permissions`` names, and
``read-all``/``write-all`` set every scope at once ("Controlling permissions for GITHUB_TOKEN",
https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token).
actions/checkout keeps the token in the local git config unless ``persist-credentials: false``
(its README), which is what lets a later ``git push`` authenticate.
"""

from __future__ import annotations

from pipec.importer import q
from pipec.targets.github.imports.common import _scalar


def write_scopes(perms) -> list[str]:
    """The scopes a ``permissions`` value grants write access to (``write-all``: every scope)."""
    if isinstance(perms, str):
        return ["every scope"] if perms.strip() == "write-all" else []
    if not isinstance(perms, dict):
        return []
    # id-token: write is how a job gets AWS credentials through OIDC, which pipec writes itself
    # for the jobs that use AWS (docs/targets.md): not a grant the import loses
    return [str(k) for k, x in perms.items() if _scalar(x) == "write" and str(k) != "id-token"]


def report_permissions(ctx, doc, where, key, whose: str) -> None:
    """A finding when ``where[key]`` grants more than read."""
    if not isinstance(where, dict) or key not in where:
        return
    perms = where[key]
    if isinstance(perms, dict):
        for scope, level in perms.items():
            if _scalar(level) not in ("read", "write", "none"):
                # GitHub accepts only read, write or none for a scope: a workflow with another value
                # does not run, so there is no access to carry
                ctx.skip(doc, "workflow: permission level", f"{whose} gives scope '{scope}' the access "
                         f"{_scalar(level)!r}, which is not a GitHub access level (read, write or none); GitHub "
                         "rejects the workflow", perms, scope)
    scopes = write_scopes(perms)
    if scopes:
        ctx.skip(doc, "workflow: write permission", f"{whose} grants the GitHub token write access to "
                 f"{', '.join(scopes)}; pipec gives its jobs only the permissions its own steps need, and "
                 "CodeBuild has no GitHub token: commands that push, tag or release need a token of their own "
                 "(a secret)", where, key)


def report_checkout_credentials(ctx, doc, with_, key) -> None:
    """A finding for ``persist-credentials: true`` written on a checkout."""
    if _scalar(with_.get(key)) == "true":
        ctx.skip(doc, "workflow: checkout credentials", "persist-credentials: true keeps the GitHub token in "
                 "git's configuration for later git commands (push, tag); CodeBuild's copy of the source has no "
                 "credentials to push with: give the build a token of its own (a secret)", with_, key)


def report_environment_url(ctx, doc, job) -> None:
    env = job.get("environment")
    if isinstance(env, dict) and "url" in env:
        ctx.skip(doc, "workflow: environment url", f"environment url {_scalar(env['url'])!r} (the link GitHub "
                 "shows on the deployment) has no .pipe form", env, "url")


def display_name(doc, job) -> None:
    """A job's display name, which carries no behaviour, kept as a comment in its action."""
    title = job.get("name")
    text = _scalar(title) if title is not None and not isinstance(title, (dict, list)) else None
    if text:
        doc.comment(f"GitHub shows this job as {q(' '.join(text.split()))}.")
