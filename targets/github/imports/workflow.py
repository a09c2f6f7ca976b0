"""The workflow importer's entry: :class:`_Workflow` checks the workflow's shape, names the
pipeline, sets its mode (from ``concurrency``) and runs the construct families in order:
triggers (:mod:`.triggers`), env (:mod:`.env`), jobs and stages (:mod:`.jobs`). It holds the state
they share; each family is a class of its own that it inherits, in the module named after it.
"""

from __future__ import annotations


from pathlib import Path

from pipec import importer
from pipec.targets.github.imports.grants import report_permissions
from pipec.importer import Doc, v
from pipec.targets.github.imports.actions import Actions
from pipec.targets.github.imports.commands import Commands
from pipec.targets.github.imports.common import SOURCE, _scalar
from pipec.targets.github.imports.conditions import Conditions
from pipec.targets.github.imports.env import Env
from pipec.targets.github.imports.jobs import Jobs
from pipec.targets.github.imports.matrices import Matrices
from pipec.targets.github.imports.places import Places
from pipec.targets.github.imports.steps import Steps
from pipec.targets.github.imports.third_party import ThirdParty
from pipec.targets.github.imports.triggers import Triggers


#: keys of the steps that wait for or cancel background steps (GitHub's parallel steps)
_WAIT_KEYS = {"wait", "wait-all", "cancel", "parallel"}


class _Workflow(Triggers, Env, Jobs, Matrices, Steps, Conditions, Commands, Actions, ThirdParty, Places):
    """One workflow being imported: the state the construct families share, and the order they run in."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.data = ctx.data
        self.taken: set[str] = {SOURCE}
        self.variables: dict[str, str] = {}
        self.produced: dict[str, tuple[str, str]] = {}   # GitHub artifact name -> (job key, .pipe name)
        self.job_artifacts: dict[str, dict[str, str]] = {}
        self.clone_full = False
        self.regions: set = set()
        self.region_unknown = False
        self.job_places: dict = {}  # job key -> (account, Region, the step's inputs): .places
        self.other_triggers = False
        self.inputs_used = False
        self.git_where = None
        self.current_key = ""
        self.os = "linux"
        self.combo = None
        self.sets_env = False
        self.placeholders: set[str] = set()
        self.owner: str | None = None
        self.events: list[str] = []
        self.job_guard: str | None = None

    # ------------------------------------------------------------------ entry
    def run(self) -> Doc | None:
        ctx, data = self.ctx, self.data
        if not self.validate():
            return None
        title = data.get("name")
        base = _scalar(title) if title is not None else None
        if not base or "${{" in base:
            base = Path(ctx.file).stem
        self.pipeline = importer.name(base, "workflow")
        ctx.pipeline_name = self.pipeline
        p = Doc(f"pipeline {self.pipeline}")
        self.doc = p
        self.mode(p)
        report_permissions(ctx, p, data, "permissions", "the workflow")
        known = {"name", "run-name", "on", "env", "defaults", "concurrency", "permissions", "jobs"}
        for key in data:
            if key not in known:
                ctx.skip(p, "workflow: unknown key", f"workflow key '{key}' has no .pipe equivalent", data, key)
        self.pipeline_github = Doc("github")
        p.items.append(("block", self.pipeline_github))
        source = self.source(p)
        self.wf_env = self.env_values(p, data, "env")
        self.jobs_and_stages(p)
        if self.git_where is not None and not self.clone_full:
            self.clone_full = True
            ctx.skip(source, "workflow: git history", "commands use git: the source is a full clone (GitHub's "
                     "checkout fetched one commit; CodeBuild's default copy has no .git at all)", *self.git_where)
        self.finish_source(source)
        if self.place_pipeline(p):  # role ARNs name accounts: the pipeline's aws { account region } (.places)
            pass
        elif self.regions and len(self.regions) == 1 and not self.region_unknown:
            self.pipeline_github.stmt("aws_region", v(next(iter(self.regions))))
        elif len(self.regions) > 1:  # a Region given by an expression is reported at its step (.places)
            ctx.skip(p, "workflow: AWS region", "the AWS credentials steps use several Regions; the jobs use the "
                     "pipeline's Region", data, "jobs")
        if not self.pipeline_github.items:
            p.items.remove(("block", self.pipeline_github))
        return p

    # ------------------------------------------------------------------ validation
    def validate(self) -> bool:
        ctx, data = self.ctx, self.data
        ok = True
        if "on" not in data:
            ctx.error("the workflow has no 'on': GitHub never runs it", data, None,
                      "Add the events that start it, for example 'on: push'.")
            ok = False
        else:
            on = data["on"]
            if not isinstance(on, (str, list, dict)):
                ctx.error("'on' must be an event, a list of events or a mapping", data, "on")
                ok = False
            elif isinstance(on, list) and not all(isinstance(e, str) for e in on):
                ctx.error("'on' lists events by name", data, "on")
                ok = False
        jobs = data.get("jobs")
        if not isinstance(jobs, dict) or not jobs:
            ctx.error("'jobs' must be a mapping of job ids to jobs", data, "jobs",
                      "Write jobs: {build: {runs-on: ubuntu-latest, steps: [...]}}.")
            return False
        for key, job in jobs.items():
            if not isinstance(job, dict):
                ctx.error(f"job '{key}' must be a mapping", jobs, key)
                ok = False
                continue
            needs = job.get("needs")
            for n in needs if isinstance(needs, list) else ([] if needs is None else [needs]):
                if not isinstance(n, str) or n not in jobs:
                    ctx.error(f"job '{key}' needs '{n}', which is not a job of this workflow", job, "needs")
                    ok = False
            if "uses" in job:
                continue
            steps = job.get("steps")
            if not isinstance(steps, list) or not steps:
                ctx.error(f"job '{key}' must have a list of steps (or 'uses' a reusable workflow)", job,
                          "steps" if "steps" in job else None)
                ok = False
                continue
            for i, step in enumerate(steps):
                if not isinstance(step, dict):
                    ctx.error(f"step {i + 1} of job '{key}' must be a mapping", steps, i)
                    ok = False
                elif "run" not in step and "uses" not in step and step.keys() & _WAIT_KEYS:
                    continue
                elif ("run" in step) == ("uses" in step):
                    ctx.error(f"step {i + 1} of job '{key}' must have exactly one of 'run' and 'uses'", steps, i)
                    ok = False
                elif "uses" in step and not isinstance(step["uses"], str):
                    ctx.error(f"'uses' of step {i + 1} of job '{key}' must be a string", step, "uses")
                    ok = False
                elif "run" in step and _scalar(step["run"]) is None:
                    ctx.error(f"'run' of step {i + 1} of job '{key}' must be a string", step, "run")
                    ok = False
        if ok:
            order = self.levels(jobs)
            if order is None:
                ctx.error("the jobs' 'needs' form a cycle", data, "jobs")
                ok = False
        return ok

    @staticmethod
    def needs_of(job) -> list[str]:
        needs = job.get("needs") if isinstance(job, dict) else None
        if isinstance(needs, str):
            return [needs]
        if isinstance(needs, list):
            return [n for n in needs if isinstance(n, str)]
        return []

    def levels(self, jobs) -> dict | None:
        level: dict[str, int] = {}
        visiting: set = set()

        def walk(k):
            if k in level:
                return level[k]
            if k in visiting:
                raise RecursionError
            visiting.add(k)
            deps = [d for d in self.needs_of(jobs[k]) if d in jobs]  # unknown needs are E602 already
            level[k] = 1 + max((walk(d) for d in deps), default=-1)
            visiting.discard(k)
            return level[k]

        try:
            for k in jobs:
                walk(k)
        except RecursionError:
            return None
        return level

    # ------------------------------------------------------------------ pipeline settings
    def mode(self, p: Doc):
        ctx, data = self.ctx, self.data
        conc = data.get("concurrency")
        if conc is None:
            p.stmt("mode", "parallel")
            return
        group, cancel = (conc, False) if isinstance(conc, str) else (
            (conc.get("group"), conc.get("cancel-in-progress", False)) if isinstance(conc, dict) else (None, None))
        if not isinstance(group, str):
            ctx.skip(p, "workflow: concurrency", "the concurrency setting has no group this importer can read; "
                     "runs are independent", data, "concurrency")
            p.stmt("mode", "parallel")
            return
        p.stmt("mode", "superseded")
        if cancel is True:
            ctx.skip(p, "workflow: cancel-in-progress", "concurrency cancels the running run on GitHub; in "
                     "'mode superseded' a newer run overtakes an older one only where it waits between stages",
                     data, "concurrency")
        elif cancel is not False:
            ctx.skip(p, "workflow: cancel-in-progress", "cancel-in-progress is an expression; read as false",
                     data, "concurrency")
        if "${{" in group:
            ctx.skip(p, "workflow: concurrency group per run", f"the concurrency group {group!r} depends on the "
                     "run (its ref or event), so runs of different refs do not wait for each other on GitHub; "
                     "a pipeline's mode applies to all its runs", data, "concurrency")
