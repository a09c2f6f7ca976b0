"""The run copy of a workflow: what ``pipec run`` hands to act instead of the file ``pipec build``
writes (which is never edited).

From the workflow the GitHub target emitted, :func:`run_copy` keeps the jobs of the selected
actions and of the actions whose artifacts they read, and changes only what must not or cannot
run on this machine:

- deployments, stacks, buckets, invokes, approvals, Windows builds and builds run in CodeBuild become one step
  that prints what would happen (the action narrated by :mod:`pipec.explain_actions`) and
  succeeds; nothing reaches AWS;
- in build and test jobs, the step that fetches secrets from AWS is dropped: a ``secret``
  variable is set from ``--secret`` or left unset with a warning; sources fetched from S3 or
  CodeCommit are left as empty folders with a warning; a ``container:`` is dropped in host mode;
- ``on:`` is the one event asked for; every ``uses:`` stays as written and is served by a local
  stand-in (:mod:`pipec.targets.github.run`), so a step the stand-ins cannot serve is refused
  before act starts (act would try to download it).
"""

from __future__ import annotations

import attrs

from pipec import model, yamlout
from pipec.targets.escape import expression_text
from pipec.targets.github.jobs import job_id

#: pipec run's events -> the GitHub event names act is started with
EVENTS = {"push": "push", "pull_request": "pull_request", "manual": "workflow_dispatch", "schedule": "schedule"}

#: the name of the step that replaces a job pipec does not run locally
STAND_IN_STEP = "Not run locally: what would happen"


class RunError(Exception):
    """Something pipec itself got wrong: the workflow has a step no stand-in serves."""


@attrs.define
class JobInfo:
    """One job of the run copy: its id, its display name (``stage / action`` as in the .pipe),
    the action, and whether it runs for real (``True``) or through a stand-in step."""

    id: str
    name: str
    action: str
    runs: bool


@attrs.define
class RunCopy:
    workflow: dict
    jobs: list[JobInfo]
    labels: list[str]        # every runs-on label, for act's -P
    notes: list[str]         # warnings for the user: what differs from a run on GitHub


def actions_of(p: model.Pipeline) -> list:
    """The actions the GitHub target turns into jobs, in pipeline order."""
    return [a for s in p.stages if s.platform in (None, "github") for a in s.actions]


def with_what_they_need(p: model.Pipeline, names: set[str]) -> set[str]:
    """``names`` and, transitively, the actions that produce the artifacts they read."""
    producers = {}
    for a in actions_of(p):
        for out in getattr(a, "outputs", ()):
            producers[out.name if isinstance(out, model.OutputArtifact) else out] = a.name
    by_name = {a.name: a for a in actions_of(p)}
    todo, keep = list(names), set()
    while todo:
        name = todo.pop()
        if name in keep or name not in by_name:
            continue
        keep.add(name)
        todo.extend(producers[i] for i in by_name[name].inputs if i in producers)
    return keep


def run_copy(p: model.Pipeline, workflow_text: str, selected: set[str] | None, event: str,
             secrets: dict[str, str], docker: bool, step_shell: str | None = None) -> RunCopy:
    """The run copy of ``workflow_text`` (the emitted workflow of ``p``); ``selected`` is a set of
    action names (None: every action), ``secrets`` the values given for ``secret`` variables;
    ``step_shell``, when given, is a program every ``run:`` step's shell is started through
    (:func:`wrap_shell`)."""
    wf = yamlout.load(workflow_text)
    jobs: dict = wf["jobs"]
    notes: list[str] = []
    actions = actions_of(p)
    keep = with_what_they_need(p, selected if selected is not None else {a.name for a in actions})
    owner: dict[str, object] = {}
    for a in actions:
        jid = job_id(a.name)
        for k in (jid, f"{jid}-request"):
            if k in jobs:
                owner[k] = a
    kept = [k for k in jobs if owner.get(k) is not None and owner[k].name in keep]
    ancestors = _ancestors(jobs)
    out_jobs: dict = {}
    infos: list[JobInfo] = []
    for k in kept:
        job = dict(jobs[k])
        needs = [n for n in jobs if n in ancestors[k] and n in kept]
        # only the nearest kept jobs: the others are reached through them
        needs = [n for n in needs if not any(n in ancestors[m] for m in needs)]
        job.pop("needs", None)
        if needs:
            job = {"name": job["name"], "needs": needs, **{x: v for x, v in job.items() if x != "name"}}
        act = owner[k]
        # a Windows build's PowerShell steps cannot run on this (Linux) machine: narrated instead
        real = isinstance(act, model.Build) and not act.github.has("run_in_codebuild") and act.os == "linux"
        if real:
            job = _build_job(act, job, secrets, docker, notes)
        else:
            job = _stand_in_job(p, act, k, job)
        # an action step the workflow leaves unnamed is shown by its action, without the pin
        job["steps"] = [{"name": st["uses"].split("@", 1)[0], **st} if "uses" in st and "name" not in st else st
                        for st in job["steps"]]
        if step_shell:
            job["steps"] = [wrap_shell(st, step_shell) for st in job["steps"]]
        out_jobs[k] = job
        infos.append(JobInfo(k, job["name"], act.name, real))
    on = {EVENTS[event]: None}
    if event == "manual" and isinstance(wf.get("on"), dict) and wf["on"].get("workflow_dispatch"):
        on = {"workflow_dispatch": wf["on"]["workflow_dispatch"]}
    elif event == "schedule":
        on = {"schedule": [{"cron": "0 0 * * *"}]}
    copy = {"name": wf.get("name"), "on": on, "permissions": wf.get("permissions", {}), "jobs": out_jobs}
    if wf.get("env"):  # what every build job sees (the built-ins of the same meaning, the variables)
        copy = {**{k: v for k, v in copy.items() if k != "jobs"}, "env": wf["env"], "jobs": out_jobs}
    labels: list[str] = []
    for job in out_jobs.values():
        runs_on = job.get("runs-on")
        for label in runs_on if isinstance(runs_on, list) else [runs_on]:
            if isinstance(label, str) and label not in labels:
                labels.append(label)
    return RunCopy(copy, infos, labels, notes)


#: the shell act (like GitHub's runner) starts a ``run:`` step with when the step names none
DEFAULT_SHELL = "bash -e {0}"


def wrap_shell(step: dict, program: str) -> dict:
    """``step`` with its shell started through ``program`` (a path without spaces), which runs
    the shell as it was and, when the step fails, waits a moment before exiting. act 0.2.89 runs a
    host step in a pseudo-terminal and, when the step exits non-zero, closes it without reading
    what is left (pkg/container/host_environment.go, ``exec``): the last lines of a failing
    command, its error message, could be lost or come after the step's result."""
    if "run" not in step:
        return step
    return {**step, "shell": f"{program} {step.get('shell') or DEFAULT_SHELL}"}


def uses_of(workflow: dict) -> list[str]:
    """Every ``uses:`` of the workflow's steps, in order."""
    return [st["uses"] for job in workflow["jobs"].values() for st in job.get("steps", ()) if "uses" in st]


def _ancestors(jobs: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}

    def walk(k):
        if k not in out:
            needs = jobs[k].get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            out[k] = set(needs)
            for n in needs:
                out[k] |= walk(n)
        return out[k]

    for k in jobs:
        walk(k)
    return out


def _build_job(b: model.Build, job: dict, secrets: dict[str, str], docker: bool, notes: list[str]) -> dict:
    env = dict(job.get("env", {}))
    for s in b.secrets:
        env.pop(s.name, None)
        if s.name in secrets:
            env[s.name] = f"${{{{ secrets.{s.name} }}}}"
        else:
            notes.append(f"'{b.name}': the secret variable {s.name} is unset "
                         f"(give it with --secret {s.name}=VALUE or --secret-file)")
    if env:
        job["env"] = env
    else:
        job.pop("env", None)
    if "container" in job and not docker:
        notes.append(f"'{b.name}' runs in the image {job['container'].get('image')} on GitHub; in host mode "
                     "it runs on this machine (use --docker to run it in the image)")
        del job["container"]
    steps = []
    for st in job["steps"]:
        name = st.get("name", "")
        if name == "Fetch secrets" and "run" in st:
            continue
        if name.startswith(("Fetch source ", "Clone ")) and "run" in st:
            what = name.split(" ", 2)[-1].split(" from ")[0]
            notes.append(f"'{b.name}': the source {what} is not fetched locally; its folder is empty")
            steps.append({"name": name, "run": 'echo "::warning::not fetched locally: this source\'s folder '
                                               'is empty"'})
            continue
        steps.append(st)
    job["steps"] = steps
    return job


def _stand_in_job(p: model.Pipeline, act, jid: str, job: dict) -> dict:
    from pipec.explain_actions import Narrator, action_title
    from pipec.explain_text import Doc

    doc = Doc()
    given = f"{act.name}: approval, taken as given (nobody is asked locally)"
    if isinstance(act, model.Approval) and not jid.endswith("-request") and (act.notify_emails or act.topic_arn):
        text = given  # its request job, before it, described the approval
    else:
        Narrator(p, "github").action(doc, act)
        title = action_title(act)
        if isinstance(act, model.Build) and act.os == "windows":
            title += " (a Windows build: its PowerShell commands do not run on this machine)"
        elif isinstance(act, model.Build):
            title += f" (run in CodeBuild: {act.github.first('run_in_codebuild') or 'its project'})"
        text = title + "\n" + doc.text().rstrip("\n")
        if isinstance(act, model.Approval) and not jid.endswith("-request"):  # one job: no request job
            text += "\n" + given
    lines = ['printf \'%s\\n\' "$PIPEC_WOULD"']
    made = [o for o in getattr(act, "outputs", ()) if isinstance(o, str)]
    for i, name in enumerate(made):  # an invoke's artifacts: empty, so that later downloads work
        lines.append(f'mkdir -p "$PIPEC_RUN_STORE/artifacts/$PIPEC_MADE_{i}"')
        lines.append(f'echo "::warning::artifact $PIPEC_MADE_{i} is empty: {type(act).__name__.lower()} '
                     'actions do not run locally"')
    env = {"PIPEC_WOULD": expression_text(text), **{f"PIPEC_MADE_{i}": n for i, n in enumerate(made)}}
    keep = {k: v for k, v in job.items() if k in ("name", "needs", "if", "runs-on", "permissions", "concurrency")}
    return {**keep, "steps": [{"name": STAND_IN_STEP, "env": env, "run": "\n".join(lines)}]}
