"""The GitHub Actions target: the same pipeline as one workflow, plus what it needs on AWS.

From the validated model this emits (paths relative to the output directory)::

    .github/workflows/<workflow>.yml          the workflow (copy or build it to the repository root)
    github/<pipeline>.template.yaml           AWS side: OIDC provider, one role per job that
                                              uses AWS, CodeDeploy, revision bucket, SNS, CodeBuild
    github/<pipeline>/appspec/<action>.yml    one per CodeDeploy deployment
    github/<pipeline>/buildspec/<action>.yml  one per job run in CodeBuild (``run_in_codebuild``)
    github/<pipeline>/environments/<env>.json the REST API body of each environment
    github/<pipeline>/environments/apply.sh   applies them with ``gh api`` (reviewers, timers, branches)

The mapping is documented in docs/targets.md ("GitHub Actions") as a table next to CodePipeline.
In short: each action is a job; ``needs`` reproduces the stage and run-order sequence; a build's
phases are steps whose ``if:`` conditions follow CodeBuild's phase transitions; artifacts are
staged with CodeBuild's file rules and uploaded under the same names; deployments go through the
same CodeDeploy configurations with the same alarms; approvals are jobs in environments.

Secure by default: ``permissions: {}`` at the top and the least each job needs; every ``uses:``
pinned to a full commit SHA from :data:`PINS` (``actions.json``, with where each SHA was
confirmed); no expression inside ``run:`` (values reach scripts through ``env:``); checkouts
keep no credentials; AWS is reached through OIDC roles trusted only for this repository and the
job's environment or triggering refs.

Where GitHub cannot do what CodePipeline does, the build stops with an error (E408-E410) or
goes on with a warning that says exactly what differs (W508-W515, W519); docs/diagnostics.md
explains each code.

Where each part is written (each a class that :class:`_Workflow` inherits, in its own module):

- :mod:`.triggers`: ``on:`` from the pipeline's triggers;
- :mod:`.jobs`: the job skeleton, inputs (checkouts, downloads, S3/CodeCommit sources), build
  and test jobs, secrets, CodeArtifact, ``run_in_codebuild``; :mod:`.phases`: a build's phases
  as steps with CodeBuild's transitions; :mod:`.artifacts`: artifact uploads and downloads;
- :mod:`.deploys`: CodeDeploy, ECS, CloudFormation stacks, S3 buckets, Lambda invokes;
  :mod:`.approvals`: approvals as jobs in environments;
- :mod:`.companion`: the companion CloudFormation template (OIDC roles and what the jobs use on
  AWS); :mod:`.environments`: the environments' settings and ``apply.sh``;
- :mod:`.guards`: the workflow's concurrency (one lock for the run), change sets after their
  ``parallel`` block, the guards of runs started by hand and of pull-request runs, the
  environment checks that make gates fail closed, and W519;
- :mod:`.pins`: the pinned actions of ``actions.json``.

This module holds the workflow's shared state, the assembly of the files (:meth:`_Workflow.run`)
and the entry points the registry calls, :func:`emit` and :func:`read`.
"""

from __future__ import annotations


from pipec import model, yamlout
from pipec.diagnostics import Diagnostics
from pipec.targets.escape import expression_text
from pipec.targets.github import patch as _patch
from pipec.targets.github import step_ids
from pipec.targets.github.approvals import Approvals
from pipec.targets.github.artifacts import Artifacts
from pipec.targets.github.build_credentials import BuildCredentials
from pipec.targets.github.checks import Checks
from pipec.targets.github.codebuild_run import CodeBuildRun
from pipec.targets.github.companion import Companion
from pipec.targets.github.deploys import Deploys
from pipec.targets.github.environments import Environments
from pipec.targets.github.guards import Guards
from pipec.targets.github.jobs import Jobs, job_id
from pipec.targets.github.matrix import Matrices
from pipec.targets.github.phases import PHASES_FILE, Phases, phases_file
from pipec.targets.github.pins import commented_pin
from pipec.targets.github.triggers import Triggers
from pipec.targets.github.waits import Waits


DEFAULT_REGION = "us-east-1"


STEP_KEYS = ("name", "id", "if", "uses", "with", "env", "shell", "run", "continue-on-error")
#: the comment beside a job's permission (scope, level)
PERMISSION_COMMENTS = {
    ("contents", "read"): "check out the repository",
    ("id-token", "write"): "assume this job's AWS role through OIDC",
    ("actions", "read"): "read the protection rules of this job's environment",
}


def _ordered_step(step: dict) -> dict:
    out = {k: step[k] for k in STEP_KEYS if k in step}
    out.update({k: v for k, v in step.items() if k not in out})
    return out


def _commented_permissions(permissions: dict) -> dict:
    """A job's permissions, each that :data:`PERMISSION_COMMENTS` explains with its reason beside
    it (a comment in the data, so that nothing else in the file can be mistaken for it)."""
    return {scope: yamlout.Commented(level, PERMISSION_COMMENTS[(scope, level)], gap="  ")
            if (scope, level) in PERMISSION_COMMENTS else level for scope, level in permissions.items()}


class _Workflow(Triggers, Matrices, Jobs, CodeBuildRun, BuildCredentials, Phases, Artifacts, Deploys, Waits, Approvals, Companion,
                Environments, Guards, Checks):
    """The GitHub Actions target for one pipeline: the state every part shares, and the assembly."""

    def __init__(self, p: model.Pipeline, ctx):
        self.setup(p)  # .checks: the pipeline, its GitHub stages, repository and runners, the findings
        self.ctx = ctx
        # the pipeline's own Region and account, when its aws { } block says them (issue 27)
        self.region = p.github.first("aws_region") or p.region or DEFAULT_REGION
        provider = p.github.first("oidc_provider")
        account = provider.split(":")[4] if provider and provider.count(":") >= 5 else ""
        self.account = account or p.account or "${{ vars.AWS_ACCOUNT_ID }}"
        self.workflow = p.github.first("workflow") or p.name
        self.on_pull_requests = self.repo_source is not None and any(
            isinstance(t, model.PullRequestTrigger) and t.platform in (None, "github")
            for t in self.repo_source.triggers)
        self.jobs: dict[str, dict] = {}
        self.jobs_of: dict[str, list[str]] = {}   # action name -> the ids of the jobs it made
        self.files: dict[str, str] = {}
        self.roles: dict[str, dict] = {}          # job id -> {"statements": [...], "subjects": [...]}
        self.environments: dict[str, dict] = {}   # name -> settings for the setup file
        self.aws_side = None                      # the companion template builder, made on first use
        self.workflow_env: dict[str, str] = {}    # what every build job's env holds alike (.jobs)
        self.phases_file_needed = False           # a build job sources .github/pipec/phases.sh
        self.producers: dict[str, model.Build] = {}
        self.out_specs: dict[str, model.OutputArtifact] = {}
        for st in self.stages:
            for act in st.actions:
                for out in getattr(act, "outputs", ()):
                    if isinstance(out, model.OutputArtifact):
                        self.producers[out.name] = act
                        self.out_specs[out.name] = out

    # ------------------------------------------------------------------ assembly
    def run(self) -> dict[str, str]:
        if not self.stages:
            if _patch.without_workflow(self.p):
                raise Diagnostics(_patch.without_workflow(self.p))
            return {}
        if self.repo_source is None:
            self.no_repository_source()
            raise Diagnostics(self.problems)
        on = self.triggers()
        self.events = set(on)
        self.unseen_pushes_warning()
        prev: list[str] = []
        made_for: dict[str, list[str]] = {}   # action -> its job ids (an approval's request job first)
        kinds: dict[str, str] = {}            # job id -> build, deploy, approval, request or invoke
        for stage in self.stages:
            for n, order in enumerate(sorted({a.run_order for a in stage.actions})):
                group: list[str] = []
                for act in (a for a in stage.actions if a.run_order == order):
                    jid = job_id(act.name)
                    job = self.job(act, prev, stage, n == 0)
                    if isinstance(act, model.Build):
                        made = [(jid, self.platform_job(act, self.build_job(act, job)))]
                    elif isinstance(act, model.Deploy):
                        made = [(jid, self.deploy_job(act, job))]
                    elif isinstance(act, model.StackDeploy):
                        made = [(jid, self.stack_job(act, job))]
                    elif isinstance(act, model.BucketDeploy):
                        made = [(jid, self.bucket_job(act, job))]
                    elif isinstance(act, model.Approval):
                        made = self.approval_jobs(act, job)
                    else:
                        made = [(jid, self.invoke_job(act, job))]
                    self.jobs_of[act.name] = [k for k, _ in made]
                    for k, v in made:
                        if k in self.jobs:
                            self.error("E408", act, f"two jobs would be called '{k}'",
                                       "Rename one of the actions.")
                        self.jobs[k] = v
                        kinds[k] = _kind(act) if k == jid else "request"
                    made_for[act.name] = [k for k, _ in made]
                    group.append(jid)
                if not self.problems:
                    self.block_needs([a for a in stage.actions if a.run_order == order])
                prev = group
        if self.problems:
            raise Diagnostics(self.problems)
        self.guard_jobs(on, made_for)
        self.protect(on, kinds)
        for jid, job in self.jobs.items():
            if "id-token" in job["permissions"] or jid in self.roles:
                job["permissions"]["id-token"] = "write"
                self.roles.setdefault(jid, {"statements": []})["subjects"] = self.trust_subjects(job)
        if getattr(self.ctx, "diagnose_only", False):
            # no patches: what is left is the workflow's presentation (permission comments, step
            # ids and order, pin comments, the text), which no check reads; the companion
            # template is still made, for its quotas (E412)
            return self.other_files()
        for job in self.jobs.values():
            if not job["permissions"]:
                job["permissions"] = {}
            job["permissions"] = _commented_permissions(dict(sorted(job["permissions"].items())))
        for job in self.jobs.values():
            step_ids.assign(job["steps"])
            job["steps"] = [_ordered_step(commented_pin(_literal_text(st))) for st in job["steps"]]
        for job in self.jobs.values():
            if isinstance(job.get("needs"), list):
                job["needs"] = job["needs"][0] if len(job["needs"]) == 1 else yamlout.Flow(job["needs"])
        workflow: dict = {"name": self.workflow, "on": _flow_filters(on), "permissions": {}}
        lock = self.run_lock()
        if lock:
            workflow["concurrency"] = lock
        if self.workflow_env:
            workflow["env"] = dict(sorted(self.workflow_env.items()))
        workflow["jobs"] = self.jobs
        patched, wrong = _patch.apply_all(workflow, self.p, self.stages, self.jobs_of, job_id)
        if wrong:
            raise Diagnostics(wrong)
        jobs = patched.get("jobs") if isinstance(patched.get("jobs"), dict) else {}
        if patched is not workflow:  # a patch may have replaced anything: order the steps left
            for job in jobs.values():
                if isinstance(job, dict) and isinstance(job.get("steps"), list):
                    job["steps"] = [_ordered_step(st) if isinstance(st, dict) else st for st in job["steps"]]
        workflow = patched
        _share_repeated_steps(jobs)
        wf_path = f".github/workflows/{self.workflow}.yml"
        text = (f"# Generated by pipec from {self.ctx.source} (pipeline {self.p.name}; source {self.repo_source.name} "
                f"is {self.repo}, where this workflow runs). Do not edit: change the .pipe file and run pipec build.\n")
        self.files[wf_path] = text + yamlout.dump(workflow)
        return self.other_files()

    def other_files(self) -> dict[str, str]:
        """The files beside the workflow (the phases script, the companion template, the
        environments' settings) added to :attr:`files`; all of them, by path."""
        if self.phases_file_needed:
            self.files[PHASES_FILE] = phases_file()
        if self.roles or self.aws_side is not None:
            self.files[f"github/{self.p.name}.template.yaml"] = self.companion()
        if self.environments:
            self.files.update(self.environment_files())
        return dict(sorted(self.files.items()))


#: the fewest lines of a step that a later job repeats by an alias rather than in full
SHARED_STEP_LINES = 3


def _share_repeated_steps(jobs: dict) -> None:
    """Write a step that a later job repeats word for word once, with an anchor named after its
    id (``- &checkout``), and the later copies as aliases (``- *checkout``): GitHub Actions reads
    YAML anchors and aliases (changelog 2025-09-18, "Actions: YAML anchors"), so jobs that check
    out and set up alike share those steps instead of repeating the same block. Steps shorter
    than :data:`SHARED_STEP_LINES` lines are left as they are."""
    import json

    text_of = json.JSONEncoder(sort_keys=True, default=repr).encode  # json.dumps's, made once
    first: dict[str, tuple[list, int]] = {}   # the step's text -> (its job's steps, index)
    anchors: dict[str, yamlout.Anchored] = {}
    used: set[str] = set()
    short: set[str] = set()                   # steps too short to share
    for job in jobs.values():
        steps = job.get("steps") if isinstance(job, dict) else None
        if not isinstance(steps, list):
            continue
        mine: set[str] = set()
        for i, st in enumerate(steps):
            if not isinstance(st, dict):
                continue
            key = text_of(st)
            if key in mine:
                continue
            mine.add(key)
            if key not in first:
                first[key] = (steps, i)
                continue
            if key in short:
                continue
            if key not in anchors:
                if yamlout.dump([st]).count("\n") < SHARED_STEP_LINES:  # once per step text
                    short.add(key)
                    continue
                owner, j = first[key]
                base = str(st.get("id") or "step")
                name, n = base, 2
                while name in used:
                    name, n = f"{base}-{n}", n + 1
                used.add(name)
                anchors[key] = owner[j] = yamlout.Anchored(name, owner[j])
            steps[i] = yamlout.Alias(anchors[key].name, anchors[key].value)


#: the filters of an event written as flow lists, ``branches: [main]``
_FILTERS = ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore", "types")


def _flow_filters(on: dict) -> dict:
    """``on`` with each event's filter lists as :class:`pipec.yamlout.Flow` lists."""
    for event in on.values():
        if isinstance(event, dict):
            for key in _FILTERS:
                if isinstance(event.get(key), list):
                    event[key] = yamlout.Flow(event[key])
    return on


def _kind(act) -> str:
    if isinstance(act, model.Build):
        return "build"
    if isinstance(act, model.Approval):
        return "approval"
    if isinstance(act, model.Invoke):
        return "invoke"
    return "deploy"


class _At:
    """Something to report at ``span``."""

    def __init__(self, span):
        self.span = span


def _literal_text(step: dict) -> dict:
    """A step whose script and name are free of GitHub expressions, whatever the commands,
    paths and names in them say: pipec writes no expression into either (its own values reach
    scripts through ``env``), so every ``${{`` there is the user's and must stay text."""
    for key in ("name", "run"):
        if key in step:
            step[key] = expression_text(step[key])
    return step


def emit(pipeline: model.Pipeline, ctx) -> dict[str, str]:
    """Every file of the GitHub Actions target for ``pipeline``: relative path -> text. Warnings
    (platform differences) go to ``ctx.warnings``; errors are raised as :class:`Diagnostics`.
    The action pins are the shipped table's, with the source root's pipec.lock over them."""
    from pathlib import Path

    from pipec.targets.github import pin_lock, pins

    root = getattr(ctx, "root", "")
    locked = pin_lock.load(pin_lock.lock_path(Path(root)), pins.bundled()) if root else ()
    wf = _Workflow(pipeline, ctx)
    try:
        with pins.locked(locked):
            files = wf.run()
            wf.notes.extend(_patch.check(files, pipeline, lambda m: _Workflow(m, ctx).run(),
                                         getattr(ctx, "prefix", "")))
            return files
    finally:
        report = getattr(ctx, "warnings", None)
        if report is not None:
            report.extend(wf.notes)


def read(out_dir, pipeline: str | None = None):
    """The read side: the :class:`pipec.plan.Plan` of the workflow (and its companion files) that
    :func:`emit` wrote under ``out_dir``, parsed from disk (implemented in
    :mod:`pipec.targets.github.read`)."""
    from pipec.targets.github.read import read as _read

    return _read(out_dir, pipeline)
