"""The reader of one workflow: :class:`_Reader` holds its state (the files beside it, the source,
the variables), reads the whole workflow (its keys, its own source, the concurrency that is the
execution mode) and assembles the plan's jobs (``after`` from ``needs``, approvals with their
request jobs). Each part of a workflow is read by a class of its own that it inherits.
"""

from __future__ import annotations


import re
from pathlib import Path

from pipec import plan
from pipec.targets.aws import cfn
from pipec.targets.github.read.approvals import APPROVAL_TIMEOUT, Approvals
from pipec.targets.github.read.builds import Builds
from pipec.targets.github.read.common import _action_of, _fail, _Job, _Where
from pipec.targets.github.read.deploys import Deploys
from pipec.targets.github.read.jobs import Jobs
from pipec.targets.github.read.phases import Phases
from pipec.targets.github.read.triggers import Triggers


class _Reader(Triggers, Jobs, Builds, Phases, Deploys, Approvals):
    """One workflow being read: the state every part shares, the workflow as a whole, the plan's jobs."""

    def __init__(self, out: Path, path: Path, pipeline: str, data):
        self.out = out
        self.pipeline = pipeline
        self.data = data
        try:
            rel = path.relative_to(out)
        except ValueError:
            rel = path
        self.where = _Where(str(rel))
        self._companion = None
        self.variables: dict[str, str] = {}
        self.source: str | None = None
        # pipec's second line names the workflow repository's source, for workflows in which no
        # job checks it out
        m = re.match(r"# Source: (\S+) \(", path.read_text(encoding="utf-8").split("\n", 2)[1] + " ")
        self.source_line: str | None = m.group(1) if m else None

    # ------------------------------------------------------------------ files beside the workflow
    def companion(self, where):
        if self._companion is None:
            path = self.out / "github" / f"{self.pipeline}.template.yaml"
            if not path.is_file():
                _fail(where, f"needs the companion template {path.relative_to(self.out)}, which is missing")
            self._companion = cfn.Template.from_text(path.read_text(encoding="utf-8"))
        return self._companion

    def beside(self, where, kind: str, action: str) -> Path:
        path = self.out / "github" / self.pipeline / kind / f"{action}.yml"
        if not path.is_file():
            _fail(where, f"needs {path.relative_to(self.out)}, which is missing")
        return path

    # ------------------------------------------------------------------ the whole workflow
    def plan(self) -> plan.Plan:
        data = self.data
        where = self.where
        if not isinstance(data, dict):
            _fail(where, "a workflow is a mapping")
        for key in data:
            if key == "defaults":
                _fail(where, f"a workflow-level '{key}' has no pipec equivalent (pipec maps per-job settings)")
            if key not in ("name", "run-name", "on", "permissions", "env", "jobs", "concurrency"):
                _fail(where, f"unknown top-level key {key!r}")
        jobs = data.get("jobs")
        if not isinstance(jobs, dict) or not jobs:
            _fail(where, "the workflow has no jobs")
        for key, job in jobs.items():
            if not isinstance(job, dict):
                _fail(_Where(where.file, str(key)), "a job is a mapping")
        self.source = self.own_source(jobs)
        read = [self.job(str(key), job) for key, job in jobs.items()]
        triggers = self.triggers(data.get("on"))
        # run variables are settable only in runs started by hand (workflow_dispatch inputs);
        # otherwise the jobs use the defaults, as the plan's build env does not list them
        settable = any(t.kind == "manual" for t in triggers)
        mode, lock = self.concurrency(data.get("concurrency"), jobs)
        firsts = [j for j in read if not j.needs]
        branches = {j.manual_branch for j in firsts}
        if len(branches) > 1 and None not in branches:
            _fail(where, f"the first jobs let runs started by hand through on different branches: {sorted(branches)}")
        manual_branch = branches.pop() if len(branches) == 1 else None
        skips = frozenset(j.request_of or j.action for j in read if j.skips_pull_requests)
        return plan.Plan(self.pipeline, "github", triggers,
                         tuple(sorted(self.variables.items())) if settable else (),
                         mode, self.assemble(read), lock, manual_branch, skips)

    def own_source(self, jobs: dict) -> str | None:
        """The name of the workflow repository's source: ``Check out NAME`` of a checkout with no
        ``repository`` input (the deploy jobs' sparse appspec checkout names no source)."""
        names: dict[str, _Where] = {}
        for key, job in jobs.items():
            steps = job.get("steps")
            for i, step in enumerate(steps if isinstance(steps, list) else []):
                if not isinstance(step, dict) or not isinstance(step.get("uses"), str):
                    continue
                if _action_of(step["uses"]) != "actions/checkout":
                    continue
                with_ = step.get("with") or {}
                if not isinstance(with_, dict) or "repository" in with_ or "sparse-checkout" in with_:
                    continue
                at = _Where(self.where.file, str(key)).step_at(i, step)
                names.setdefault(self.checkout_name(at, step), at)
        if len(names) > 1:
            _fail(self.where, "the workflow's own repository is checked out under several source names: "
                              + ", ".join(f"'{n}' ({w})" for n, w in names.items()))
        return next(iter(names), None)

    def need_source(self, where, why: str) -> str:
        if self.source is None:
            self.source = self.source_line
        if self.source is None:
            _fail(where, f"{why}, but no job checks out the workflow's repository, and nothing else in the "
                         "workflow or beside it names that source")
        return self.source

    @staticmethod
    def checkout_name(where, step) -> str:
        m = re.fullmatch(r"Check out (\S+)", str(step.get("name") or ""))
        if not m:
            _fail(where, "a checkout must be named 'Check out SOURCE' so that the source is known")
        return m.group(1)

    def concurrency(self, run, jobs: dict) -> tuple[str, str]:
        """(execution mode, lock): a workflow-level group without cancelling is ``superseded``
        with the whole run locked (targets/github/guards.py); a group on every job is
        ``superseded`` with each job locked alone (stages interleave); none is ``parallel``."""
        with_group = [k for k, j in jobs.items() if "concurrency" in j]
        if run is not None:
            if with_group:
                _fail(self.where, f"jobs {', '.join(map(str, with_group))} have a concurrency group inside the "
                                  "workflow's own")
            if not isinstance(run, dict) or not isinstance(run.get("group"), str) \
                    or run.get("cancel-in-progress") is not False:
                _fail(self.where, f"concurrency {run!r} is not a group with cancel-in-progress: false (the "
                                  "superseded execution mode)")
            return "superseded", "run"
        if not with_group:
            return "parallel", "none"
        if len(with_group) != len(jobs):
            without = [str(k) for k in jobs if k not in with_group]
            _fail(self.where, f"jobs {', '.join(without)} have no concurrency group while others have one: "
                              "pipec's execution modes give every job one or none")
        for k in with_group:
            c = jobs[k]["concurrency"]
            if not isinstance(c, dict) or not isinstance(c.get("group"), str) \
                    or c.get("cancel-in-progress") is not False:
                _fail(_Where(self.where.file, str(k)), f"concurrency {c!r} is not a group with "
                      "cancel-in-progress: false (the superseded execution mode)")
        return "superseded", "job"

    # ------------------------------------------------------------------ the plan's jobs
    def assemble(self, read: list[_Job]) -> tuple:
        by_key = {j.key: j for j in read}
        requests = {}
        for j in read:
            if j.kind == "request":
                if j.request_of in requests:
                    _fail(_Where(self.where.file, j.key), f"a second request job for approval '{j.request_of}'")
                requests[j.request_of] = j
        used: set[str] = set()
        for j in read:
            for n in j.needs:
                if n not in by_key:
                    _fail(_Where(self.where.file, j.key), f"needs unknown job '{n}'")
            if j.kind != "approval":
                continue
            request = requests.get(j.action)
            gate = dict(j.spec)  # what the approval job itself says: whether its gate fails closed
            if request is None:
                j.spec = plan.spec(timeout=APPROVAL_TIMEOUT, **gate)
                continue
            if {"message", "url"} & set(gate):
                _fail(_Where(self.where.file, j.key), "the message and link of an approval with a request job are "
                                                       "the request job's")
            if j.needs != [request.key]:
                _fail(_Where(self.where.file, j.key), f"the approval must need exactly its request job '{request.key}'")
            if j.held:
                _fail(_Where(self.where.file, j.key), "the condition of an approval with a request job is on the "
                                                       "request job")
            if j.skips_pull_requests:
                _fail(_Where(self.where.file, j.key), "the pull-request condition of an approval with a request "
                                                       "job is on the request job")
            j.spec, j.held = plan.spec(**dict(request.spec), **gate), request.held
            used.add(request.key)
        for action, request in requests.items():
            if request.key not in used:
                _fail(_Where(self.where.file, request.key), f"no approval job '{action}' waits after this request job")

        closures: dict[str, frozenset] = {}
        visiting: set[str] = set()

        def before(key: str) -> frozenset:
            """Every job ``key`` needs, transitively: each job's closure is computed once (a memo on
            the path as well would walk every path of the graph, and a stage of 50 jobs after a
            stage of 50 jobs has 2,500 of them per pair of stages)."""
            if key in closures:
                return closures[key]
            if key in visiting:
                _fail(_Where(self.where.file, key), "the jobs' needs form a cycle")
            visiting.add(key)
            out = set()
            for n in by_key[key].needs:
                out.add(n)
                out |= before(n)
            visiting.discard(key)
            closures[key] = frozenset(out)
            return closures[key]

        # an EC2 deployment copies its generated appspec over the revision's appspec.yml, so that
        # file of a build's artifact belongs to the deployment (plan.from_model's 'revisions')
        revisions = {dict(j.spec).get("input") for j in read
                     if j.kind == "deploy" and dict(j.spec).get("platform") == "ec2"}
        for j in read:
            outputs = dict(j.spec).get("outputs") if j.kind == "build" else None
            if outputs and any(o.name in revisions for o in outputs):
                outputs = tuple(plan.Artifact(o.name, tuple(f for f in o.files if f != "appspec.yml"), o.base,
                                              o.flatten) if o.name in revisions else o for o in outputs)
                j.spec = tuple((k, outputs if k == "outputs" else v) for k, v in j.spec)
        jobs = []
        ids: dict[str, str] = {}
        for j in read:
            if j.kind == "request":
                continue
            if j.action in ids:
                _fail(_Where(self.where.file, j.key), f"jobs '{ids[j.action]}' and '{j.key}' are both action "
                                                       f"'{j.action}'")
            ids[j.action] = j.key
            after = frozenset(by_key[k].action for k in before(j.key) if by_key[k].kind != "request")
            jobs.append(plan.Job(j.action, j.kind, after, j.held, j.spec))
        return tuple(sorted(jobs, key=lambda job: job.id))
