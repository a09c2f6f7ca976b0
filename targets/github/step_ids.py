"""Stable ``id:``s for the workflow's steps, so that a step can be named from outside the file.

Every step the GitHub target writes gets an ``id`` derived from what it does, unique within its
job: ``checkout``, ``setup-node``, ``aws-credentials``, ``cache``, ``phases``, ``upload-dist``,
``download-dist``, ``deploy``. The ids do not depend on the step's position, so they stay the
same when steps are added before them: ``patch`` lines address steps by them
(``jobs.web.steps.setup-node.with.cache``, docs/language.md "Patches"), and so can other tools.
A step that already has an id keeps it (``phases`` and ``cache``, which later steps' expressions
read).

GitHub: "You can use the id to reference the step in contexts"; an id starts with a letter or
``_`` and holds only letters, digits, ``-`` and ``_`` (workflow syntax,
https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idstepsid;
actionlint checks both and that an id is unique in its job).
"""

from __future__ import annotations

import re

#: steps that run an action: the action (owner/repo[/path], without the ref) -> the id's base;
#: None means "the base below, from the action's inputs"
_ACTIONS = {
    "actions/checkout": "checkout",
    "aws-actions/configure-aws-credentials": "aws-credentials",
    "actions/cache/restore": "cache",
    "actions/cache/save": "save-cache",
    "aws-actions/amazon-ecs-deploy-task-definition": "deploy",
}

#: steps that run a script: a pattern of pipec's step name -> the id's base (\\1: the name in it)
_SCRIPTS = (
    (re.compile(r"Collect artifact (.+)"), r"collect-\1"),
    (re.compile(r"Fetch secrets"), "secrets"),
    (re.compile(r"Fetch source (.+) from S3"), r"fetch-\1"),
    (re.compile(r"Clone (.+) from CodeCommit"), r"clone-\1"),
    (re.compile(r"Move (.+) beside the working directory"), r"move-\1"),
    (re.compile(r"Run (.+) in CodeBuild"), "codebuild"),
    (re.compile(r"(Deploy|Shift) .* with CodeDeploy|Rolling update of .*|Deploy stack .*|Copy to s3://.*"),
     "deploy"),
    (re.compile(r"Invoke .*"), "invoke"),
    (re.compile(r"Ask for approval"), "request-approval"),
)

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NOT_IN_ID = re.compile(r"[^a-z0-9_]+")


def slug(text: str, limit: int = 40) -> str:
    """``text`` as an id: lower case, runs of other characters as one ``-``, at most ``limit``
    characters (cut at a ``-``), starting with a letter or ``_``."""
    out = _NOT_IN_ID.sub("-", text.lower()).strip("-")
    if len(out) > limit:
        out = out[:limit].rsplit("-", 1)[0] or out[:limit]
    if not out or not _ID.fullmatch(out):
        out = "step-" + out if out else "step"
    return out


def base(step: dict) -> str:
    """The id a step would have if it were alone in its job."""
    uses = step.get("uses")
    if isinstance(uses, str):
        action = uses.split("@", 1)[0]
        inputs = step.get("with") or {}
        if action == "actions/checkout" and inputs.get("path"):
            return slug("checkout-" + str(inputs["path"]))
        if action in _ACTIONS:
            return _ACTIONS[action]
        if action in ("actions/upload-artifact", "actions/download-artifact"):
            verb = "upload" if "upload" in action else "download"
            return slug(f"{verb}-{inputs['name']}") if inputs.get("name") else verb
        return slug(action.rsplit("/", 1)[-1])
    name = str(step.get("name", ""))
    for pattern, made in _SCRIPTS:
        m = pattern.fullmatch(name)
        if m:  # made holds at most the name (\1): Match.expand would parse it again each time
            return slug(made.replace("\\1", m.group(1)) if "\\1" in made else made)
    return slug(name) if name else "run"


def assign(steps: list[dict]) -> None:
    """Give every step of one job that has no ``id`` one, unique in the job, in place."""
    used = {s["id"] for s in steps if "id" in s}
    for step in steps:
        if "id" in step:
            continue
        candidate = base(step)
        n = 2
        chosen = candidate
        while chosen in used:
            chosen = f"{candidate}-{n}"
            n += 1
        used.add(chosen)
        step["id"] = chosen
