"""A deterministic failure-path simulator over a :class:`pipec.plan.Plan`.

:func:`simulate` answers "what runs when these things fail?" with a *trace*: a tuple of readable
strings in a canonical order. :func:`failure_points` lists everything that can fail in a plan, so
tests can draw subsets of it.

A failure point is one of::

    ("command", JOB, PHASE, I)   the I-th command (0-based) of PHASE fails
    ("finally", JOB, PHASE, I)   the I-th finally command (0-based) of PHASE fails
    ("deploy", JOB)              the deployment (or the stack, bucket or invoke action) fails
    ("alarm", JOB)               an alarm fires during that deployment
    ("reject", JOB)              an approval is rejected
    ("timeout", JOB)             a build runs past its timeout; an approval gets no answer in time

The trace lines::

    skip JOB                     a job in its ``after`` did not succeed
    held JOB                     a disabled transition holds it (and it is not released)
    JOB PHASE #I                 the I-th command of PHASE ran
    JOB PHASE finally #I         the I-th finally command of PHASE ran
    JOB PHASE succeeding=0|1     an ``after-build`` phase starts, with CODEBUILD_BUILD_SUCCEEDING
    JOB upload ARTIFACT          the job's output artifact is uploaded
    JOB deploy                   a deployment starts
    JOB stopped by alarm         an alarm stopped it
    JOB rollback                 CodeDeploy rolls it back
    JOB approved | JOB rejected  an approval's result
    JOB PHASE timed out          a build's timeout ran out in PHASE: nothing more of it runs
    JOB timed out                an approval's timeout ran out
    JOB ok | JOB failed          every other job's result (always its last line)

Jobs are serialised in one topological order of ``after`` with ties broken by job id (a heap of
ids), so the trace depends neither on dict or set iteration order nor on the hash seed. Jobs
that ran in parallel appear one after the other; the order says nothing about timing.

The rules, with where they come from (docs/targets.md, "Build phases: CodeBuild's rules as step
conditions"; docs/research/codebuild-vs-actions.md, cited as §N):

- a job runs only when every job in its ``after`` succeeded: a failed CodePipeline action fails
  its stage and the execution stops there (§17, "the pipeline status becomes Failed"); on GitHub
  a job whose ``needs`` failed or was skipped is skipped. Jobs that do not depend on the failed
  one (parallel actions, parallel jobs) still run.
- a ``held`` job waits at a disabled transition (§17 "transitions"; on GitHub the job is skipped,
  W510); a job whose predecessors did not all succeed is ``skip``, not ``held``: the execution
  never reached the transition.
- build phases: see :func:`_build`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from pipec.model import PHASE_ORDER
from pipec.plan import Job, Plan

KINDS = ("build", "deploy", "stack", "bucket", "invoke", "approval")


def failure_points(plan: Plan) -> tuple:
    """Every failure point of ``plan``, in plan order (jobs by id, then phases in order, each
    phase's commands before its finally commands). ``("alarm", JOB)`` is listed only for deploy
    jobs that have alarms (an alarm elsewhere changes nothing)."""
    out: list[tuple] = []
    for job in plan.jobs:
        if job.kind == "build":
            for phase in job.get("phases", ()):
                out.extend(("command", job.id, phase.name, i) for i in range(len(phase.commands)))
                out.extend(("finally", job.id, phase.name, i) for i in range(len(phase.finally_commands)))
        elif job.kind == "approval":
            out.append(("reject", job.id))
        else:
            out.append(("deploy", job.id))
            if job.kind == "deploy" and job.get("alarms"):
                out.append(("alarm", job.id))
    return tuple(out)


def simulate(plan: Plan, failing: Iterable = frozenset(), released: Iterable = frozenset()) -> tuple[str, ...]:
    """The trace of what runs in ``plan`` when the points in ``failing`` fail, with the held
    jobs in ``released`` released (their transition enabled). Raises ValueError for a failure
    point that names nothing in the plan (an alarm on a deploy job without alarms is allowed and
    changes nothing), an unknown released job, an unknown job in ``after``, or a cycle."""
    failing = frozenset(failing)
    released = frozenset(released)
    jobs = {j.id: j for j in plan.jobs}
    _check(plan, jobs, failing, released)

    trace: list[str] = []
    ok: dict[str, bool] = {}
    for jid in _order(jobs):
        job = jobs[jid]
        if not all(ok[a] for a in job.after):
            trace.append(f"skip {jid}")
            ok[jid] = False
        elif job.held and jid not in released:
            trace.append(f"held {jid}")
            ok[jid] = False  # not run: its dependents are skipped
        else:
            ok[jid] = _RUN[job.kind](job, failing, trace)
    return tuple(trace)


# ----------------------------------------------------------------------------- checks and order


def _check(plan: Plan, jobs: dict, failing: frozenset, released: frozenset) -> None:
    if len(jobs) != len(plan.jobs):
        raise ValueError("two jobs share an id")
    for job in plan.jobs:
        if job.kind not in KINDS:
            raise ValueError(f"job {job.id!r}: unknown kind {job.kind!r}")
        missing = sorted(set(job.after) - set(jobs))
        if missing:
            raise ValueError(f"job {job.id!r}: unknown jobs in after: {missing}")
        for phase in job.get("phases", ()) if job.kind == "build" else ():
            if phase.when not in ("success", "after-build"):
                raise ValueError(f"job {job.id!r} phase {phase.name!r}: unknown when {phase.when!r}")
            if phase.on_failure not in ("abort", "continue"):
                raise ValueError(f"job {job.id!r} phase {phase.name!r}: unknown on_failure {phase.on_failure!r}")
    allowed = set(failure_points(plan)) | {("alarm", j.id) for j in plan.jobs if j.kind == "deploy"} | {
        ("timeout", j.id) for j in plan.jobs if j.kind in ("build", "approval")}
    unknown = [p for p in failing if p not in allowed]
    if unknown:
        raise ValueError(f"failure points that name nothing in the plan: {sorted(map(repr, unknown))}")
    unknown = sorted(released - set(jobs))
    if unknown:
        raise ValueError(f"released jobs not in the plan: {unknown}")


def _order(jobs: dict) -> list[str]:
    """Kahn's algorithm with a heap of ids: the smallest ready id first."""
    waiting = {jid: set(j.after) for jid, j in jobs.items()}
    users: dict[str, list[str]] = {jid: [] for jid in jobs}
    for jid, j in jobs.items():
        for a in j.after:
            users[a].append(jid)
    ready = [jid for jid, w in waiting.items() if not w]
    heapq.heapify(ready)
    out = []
    while ready:
        jid = heapq.heappop(ready)
        out.append(jid)
        for u in users[jid]:
            waiting[u].discard(jid)
            if not waiting[u]:
                heapq.heappush(ready, u)
    if len(out) != len(jobs):
        raise ValueError(f"a cycle in after: {sorted(set(jobs) - set(out))}")
    return out


# ----------------------------------------------------------------------------- jobs


def _commands(job: Job, phase, finally_: bool, failing: frozenset, trace: list) -> bool:
    """Run the commands (or finally commands) of ``phase`` in order until the first failing one:
    "CodeBuild skips the remaining ... commands" (§2, build-spec-ref "finally"); each command
    runs "one at a time, in the order listed" (§5). True when none failed."""
    tag, label = ("finally", f"{job.id} {phase.name} finally") if finally_ else ("command", f"{job.id} {phase.name}")
    for i in range(len(phase.finally_commands if finally_ else phase.commands)):
        trace.append(f"{label} #{i}")
        if (tag, job.id, phase.name, i) in failing:
            return False
    return True


def _build(job: Job, failing: frozenset, trace: list) -> bool:
    """A build job (CodeBuild buildspec 0.2; the GitHub target's steps copy its rules):

    - ``when == "success"``: the phase runs only while no earlier phase failed with ``abort``
      ("if a command fails during the install phase, none of the commands in the pre_build,
      build, and post_build phases are run", §1).
    - ``when == "after-build"``: the phase runs when the phase named ``build`` ran, failed or not
      ("the POST_BUILD step is always run after BUILD, even if BUILD fails", §1); the trace
      records CODEBUILD_BUILD_SUCCEEDING first: 1 while no phase failed, 0 once one did (§4),
      a failure under ``on_failure continue`` included (§3: the AFT buildspec reads 0 then).
    - ``finally`` commands run whenever their phase ran, after its commands, even when one of
      them failed; a failing finally command fails the phase (§2).
    - ``on_failure continue``: the next phases run as if the phase had succeeded ("CONTINUE -
      Continue to the next phase", §3), and the job still fails at the end (pipec's choice,
      docs/targets.md: CodeBuild does not document the final status).
    - artifacts: "The UPLOAD_ARTIFACTS phase is always attempted, even if the BUILD phase fails"
      (§1): uploaded when the BUILD phase was reached, that is when install and pre_build did not
      stop the build. A buildspec without build commands still passes through its (empty) BUILD
      phase, so a failure in post_build does not keep the artifacts back either (the GitHub
      phases script marks the point, targets/github/phases.py ``script``).
    """
    phases = job.get("phases", ())
    if ("timeout", job.id) in failing:
        return _timed_out(job, phases, trace)
    stopped = False      # a phase failed with abort: "success" phases no longer run
    succeeding = True    # CODEBUILD_BUILD_SUCCEEDING
    build_ran = False
    reached_build = None  # whether the BUILD phase was reached (with commands or empty)
    for phase in phases:
        if reached_build is None and PHASE_ORDER.index(phase.name) >= PHASE_ORDER.index("build"):
            reached_build = not stopped
        if phase.when == "after-build":
            if not build_ran:
                continue
            trace.append(f"{job.id} {phase.name} succeeding={int(succeeding)}")
        elif stopped:
            continue
        passed = _commands(job, phase, False, failing, trace)
        passed = _commands(job, phase, True, failing, trace) and passed
        if phase.name == "build":
            build_ran = True
        if not passed:
            succeeding = False
            if phase.on_failure == "abort":
                stopped = True
    if reached_build is None:
        reached_build = not stopped
    if reached_build:
        for artifact in job.get("outputs", ()):
            trace.append(f"{job.id} upload {artifact.name}")
    trace.append(f"{job.id} {'ok' if succeeding else 'failed'}")
    return succeeding


def _timed_out(job: Job, phases, trace: list) -> bool:
    """A build whose timeout runs out (``("timeout", JOB)``): its phases run until the BUILD phase
    (or the last phase with commands, without one) has run its commands, then the build stops with
    the status TIMED_OUT (CodeBuild's BuildPhase status; the project's ``timeoutInMinutes``). The
    simulation runs nothing of it after that point: no later phase, no upload."""
    names = [p.name for p in phases if p.commands]
    at = "build" if "build" in names else (names[-1] if names else None)
    for phase in phases:
        if at is None:
            break
        for i in range(len(phase.commands)):
            trace.append(f"{job.id} {phase.name} #{i}")
        if phase.name == at:
            break
    trace.append(f"{job.id} {at or 'install'} timed out")
    trace.append(f"{job.id} failed")
    return False


def _deploy(job: Job, failing: frozenset, trace: list) -> bool:
    """A deployment. CodeDeploy's auto-rollback events (``rollback`` in the spec, the
    ``AutoRollbackConfiguration`` events the AWS target writes): DEPLOYMENT_FAILURE rolls back a
    failed deployment, DEPLOYMENT_STOP_ON_ALARM one that an alarm stopped; an alarm stops a
    deployment only when alarms are configured (``alarms``). When both an alarm and a failure
    are asked for, the alarm is taken to stop the deployment first. The result line comes last,
    after the rollback, as for every job."""
    trace.append(f"{job.id} deploy")
    rollback = job.get("rollback") or ()
    if ("alarm", job.id) in failing and job.get("alarms"):
        trace.append(f"{job.id} stopped by alarm")
        if "DEPLOYMENT_STOP_ON_ALARM" in rollback:
            trace.append(f"{job.id} rollback")
        trace.append(f"{job.id} failed")
        return False
    if ("deploy", job.id) in failing:
        if "DEPLOYMENT_FAILURE" in rollback:
            trace.append(f"{job.id} rollback")
        trace.append(f"{job.id} failed")
        return False
    trace.append(f"{job.id} ok")
    return True


def _approval(job: Job, failing: frozenset, trace: list) -> bool:
    """"If an approver rejects the action, or if no approval response is received within seven
    days [the action's timeout] ..., the pipeline status becomes Failed" (§17;
    https://docs.aws.amazon.com/codepipeline/latest/userguide/approvals-approve-or-reject.html)."""
    if ("reject", job.id) in failing:
        trace.append(f"{job.id} rejected")
        return False
    if ("timeout", job.id) in failing:  # "... or if no approval response is received within" its timeout
        trace.append(f"{job.id} timed out")
        trace.append(f"{job.id} failed")
        return False
    trace.append(f"{job.id} approved")
    return True


def _action(job: Job, failing: frozenset, trace: list) -> bool:
    """A stack, bucket or invoke action: it succeeds or fails as a whole."""
    result = ("deploy", job.id) not in failing
    trace.append(f"{job.id} {'ok' if result else 'failed'}")
    return result


_RUN = {"build": _build, "deploy": _deploy, "approval": _approval,
        "stack": _action, "bucket": _action, "invoke": _action}
