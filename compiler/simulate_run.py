"""``pipec simulate``: one run of a pipeline for one event, with injected failures, per platform.

This module decides *what happens*; :mod:`pipec.simulate_logs` writes what each platform would
show, and :mod:`pipec.simulate_cli` prints it. Nothing here calls AWS or GitHub: every output is
labelled as simulated.

- **Which triggers fire** (:func:`decide`): each ``.pipe`` trigger is turned into the plan
  trigger of that platform by :func:`pipec.plan.trigger_of`, the code that builds the plans whose
  equality with the generated files tests/test_equivalence.py checks, and matched with
  :mod:`pipec.patterns`, the matcher tests/test_trigger_equivalence.py checks against
  CodePipeline's and GitHub's own filter rules. A run starts when any trigger matches.
- **What runs** (:func:`run`): the plan of the platform (:func:`pipec.plan.from_model`) through
  :func:`pipec.simulate.simulate`, whose rules cite CodeBuild's and CodePipeline's documentation.
- **Failure points** (:func:`parse_failure`): the ``--fail`` syntax, checked against the model,
  so a typo is a usage error that lists what can fail.
"""

from __future__ import annotations

import re

from pipec import model, patterns, plan
from pipec.diagnostics import Span
from pipec.node import Node, node

PLATFORMS = ("aws", "github")
PLATFORM_NAMES = {"aws": "CodePipeline", "github": "GitHub Actions"}
PR_ACTIONS = ("opened", "updated", "closed")


class SimulateError(ValueError):
    """A bad ``--event`` or ``--fail``: a usage error (exit 2) with a hint that says the fix."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


# ----------------------------------------------------------------------------- events


@node
class Event(Node):
    """What happened: ``kind`` push, tag, pull_request, manual, schedule or object; ``ref`` the
    branch (push), tag (tag) or target branch (pull_request); ``files`` the changed files (None:
    not given, path filters are then taken to match); ``action`` of a pull request; ``source``
    the source it happened to (None: the pipeline's first source)."""

    kind: str
    ref: str | None = None
    files: tuple[str, ...] | None = None
    action: str | None = None
    source: str | None = None

    def describe(self) -> str:
        where = f" to source {self.source}" if self.source else ""
        if self.kind == "push":
            files = f", changing {', '.join(self.files)}" if self.files else _NO_FILES
            return f"a push to branch {self.ref}{where}{files}"
        if self.kind == "tag":
            return f"a push of tag {self.ref}{where}"
        if self.kind == "pull_request":
            files = f", changing {', '.join(self.files)}" if self.files else _NO_FILES
            return f"a pull request into {self.ref} {self.action}{where}{files}"
        if self.kind == "manual":
            return "a run started by hand"
        if self.kind == "object":
            return f"a new version of the S3 object of source {self.source}"
        return "the schedule"


_NO_FILES = " (no changed files given: path filters are taken to match)"
EVENT_SYNTAX = ("push:BRANCH[:PATH...], pull_request[.opened|.updated|.closed]:TARGET_BRANCH[:PATH...], "
                "tag:TAG, manual, schedule or object")


def parse_event(text: str | None, pipeline: model.Pipeline, source: str | None = None) -> Event:
    """The ``--event`` value as an :class:`Event`. None: a push to the first source's branch (or a
    new object, for an S3 source)."""
    names = [s.name for s in pipeline.sources]
    if source is not None and source not in names:
        raise SimulateError(f"--source {source!r}: the pipeline has no such source",
                            f"Give one of: {', '.join(names)}.")
    src = next((s for s in pipeline.sources if s.name == source), pipeline.sources[0])
    if text is None:
        if src.provider == "s3":
            return Event("object", source=src.name)
        return Event("push", src.branch, source=src.name)
    head, _, rest = text.partition(":")
    parts = [p for p in rest.split(":")] if rest else []
    kind, _, action = head.partition(".")
    if kind in ("manual", "schedule", "object") and not rest and not action:
        if kind == "object" and src.provider != "s3":
            # a new object version starts a run only from an S3 source: say so, not "no run"
            s3 = [s.name for s in pipeline.sources if s.provider == "s3"]
            if source is not None or not s3:
                raise SimulateError(f"--event object: source {src.name} is a {src.provider} repository, not an S3 "
                                    "bucket", "Give an S3 source with --source NAME (this pipeline has "
                                    + (", ".join(s3) if s3 else "none") + "), or another event such as push:BRANCH.")
            src = next(s for s in pipeline.sources if s.provider == "s3")
        return Event(kind, source=src.name)
    if kind in ("push", "tag", "pull_request") and parts and parts[0]:
        if kind == "tag" and (len(parts) > 1 or action):
            raise SimulateError(f"--event {text!r}: a tag push has no changed files",
                                "Write tag:NAME, for example tag:v1.2.0.")
        if kind == "push" and action:
            raise SimulateError(f"--event {text!r}: a push has no action", "Write push:BRANCH[:PATH...].")
        if kind == "pull_request":
            action = action or "opened"
            if action not in PR_ACTIONS:
                raise SimulateError(f"--event {text!r}: unknown pull-request action {action!r}",
                                    f"Use one of: {', '.join(PR_ACTIONS)}.")
        files = tuple(p for p in parts[1:] if p) or None
        return Event(kind, parts[0], files, action or None, src.name)
    raise SimulateError(f"--event {text!r} is not an event pipec can simulate", f"Write {EVENT_SYNTAX}.")


@node
class Decision(Node):
    """One ``.pipe`` trigger on one platform: its text, where it is written, and whether it fires."""

    text: str
    span: Span | None
    fires: bool
    note: str = ""


def _matches(f: plan.Filter | None, value: str) -> bool:
    return f is None or patterns.filter_matches(f.includes, f.excludes, value)


def _paths(f: plan.Filter | None, files) -> bool:
    return f is None or files is None or patterns.paths_match(f.includes, f.excludes, files)


def fires(t: plan.Trigger, ev: Event) -> bool:
    """Whether the plan trigger ``t`` starts a run for ``ev`` (pipec's rules, docs/language.md
    "Triggers"; the same decision as CodePipeline's and GitHub's filters, by the trigger
    property of tests/test_trigger_equivalence.py)."""
    if t.kind != ev.kind:
        return False
    if t.kind in ("schedule",):
        return True
    if t.source and ev.source and t.source != ev.source:
        return False
    if t.kind in ("manual", "object"):
        return True
    if t.kind == "push":
        return _matches(t.branches, ev.ref) and _paths(t.paths, ev.files)
    if t.kind == "tag":
        return _matches(t.tags, ev.ref)
    return ev.action in t.events and _matches(t.branches, ev.ref) and _paths(t.paths, ev.files)


def _trigger_text(src: model.Source, t) -> str:
    via = f" via {t.platform}" if t.platform else ""
    if isinstance(t, model.ScheduleTrigger):
        return f"schedule {t.cron}{via}"
    if isinstance(t, model.ManualTrigger):
        return f"manual{via}"
    if src.provider == "s3":
        return f"source {src.name}: a new object version"

    def filt(f):
        return " ".join([*f.includes, *(f"!{e}" for e in f.excludes)])

    if isinstance(t, model.PushTrigger) and t.tags is not None:
        return f"source {src.name}: push tags {filt(t.tags)}{via}"
    if isinstance(t, model.PushTrigger):
        branches = t.branches or model.Filter(includes=(src.branch,))
        paths = f" paths {filt(t.paths)}" if t.paths else ""
        return f"source {src.name}: push branches {filt(branches)}{paths}{via}"
    paths = f" paths {filt(t.paths)}" if t.paths else ""
    return f"source {src.name}: pull_request {' '.join(t.events)} into {filt(t.branches)}{paths}{via}"


def decide(pipeline: model.Pipeline, platform: str, ev: Event) -> tuple[list[Decision], bool]:
    """Each trigger bound to ``platform`` with whether it fires for ``ev``, and whether a run starts."""
    out = []
    for src in plan.trigger_sources(pipeline, platform):
        for t in src.triggers:
            pt = plan.trigger_of(src, t, platform)
            if pt is None:
                continue
            out.append(Decision(_trigger_text(src, t), t.span or src.span, fires(pt, ev)))
    the_plan = plan.from_model(pipeline, platform)
    if platform == "aws" and ev.kind == "manual":
        out.append(Decision("CodePipeline: a release started by hand (StartPipelineExecution)", None, True))
    elif not out and any(t.kind == "manual" for t in the_plan.triggers):
        src = next(iter(plan.trigger_sources(pipeline, platform)), None)
        out.append(Decision("workflow_dispatch (no trigger is bound to GitHub)", src.span if src else None,
                            ev.kind == "manual"))
    starts = any(d.fires for d in out)
    if starts:
        # the decision per trigger must agree with the plan's normalised triggers
        assert any(fires(t, ev) for t in the_plan.triggers) or (platform == "aws" and ev.kind == "manual")
    return out, starts


# ----------------------------------------------------------------------------- failure points


@node
class Failure(Node):
    """One ``--fail``: ``point`` the :mod:`pipec.simulate` failure point; ``hook`` the AppSpec
    lifecycle event of a failing hook; ``minute`` when an alarm fires; ``text`` as written."""

    text: str
    action: str
    point: tuple
    hook: str | None = None
    minute: int | None = None
    cause: str | None = None  # "health": an ECS deployment's new tasks fail their health checks


FAIL_SYNTAX = ("ACTION.PHASE[N], ACTION.PHASE.finally[N], ACTION.hook:EVENT, ACTION.alarm@MINUTES, "
               "ACTION.health (an ECS deployment), ACTION.timeout (a build or an approval), APPROVAL:reject or "
               "ACTION (a deployment, stack, bucket or invoke action failing as a whole)")
_FAIL = re.compile(r"^(?P<action>[A-Za-z0-9_-]+)(?:"
                   r"\.(?P<phase>install|pre_build|build|post_build)(?P<fin>\.finally)?(?:\[(?P<n>\d+)\])?"
                   r"|\.hook:(?P<hook>[A-Za-z_]+)"
                   r"|\.alarm@(?P<minute>\d+)"
                   r"|\.(?P<special>timeout|health)"
                   r"|:(?P<reject>reject)"
                   r")?$")


def failure_points_of(pipeline: model.Pipeline) -> list[str]:
    """Every ``--fail`` value the pipeline accepts (one per command, hook, alarm, approval and
    action), in pipeline order: what the usage error lists and the golden tests use."""
    out = []
    for act in pipeline.actions():
        if isinstance(act, model.Build):
            logins = len(act.codeartifact)
            for ph in _phases(act):
                count = len(ph.commands) + (logins if ph.name == "install" else 0)
                out.extend(f"{act.name}.{ph.name}[{i}]" for i in range(1, count + 1))
                out.extend(f"{act.name}.{ph.name}.finally[{i}]" for i in range(1, len(ph.finally_commands) + 1))
            out.append(f"{act.name}.timeout")
        elif isinstance(act, model.Approval):
            out.extend((f"{act.name}:reject", f"{act.name}.timeout"))
        elif isinstance(act, model.Deploy):
            out.extend(f"{act.name}.hook:{h.event}" for h in act.hooks)
            if act.platform == "ecs":
                out.append(f"{act.name}.health")
            if act.rollback.alarms:
                out.append(f"{act.name}.alarm@{alarm_minute(act)}")
            if whole_failure_allowed(act):
                out.append(act.name)
        else:
            out.append(act.name)
    return out


def alarm_minute(act: model.Deploy) -> int:
    """A minute at which an alarm shows the strategy at work (:func:`pipec.timeline.alarm_minute`)."""
    from pipec.timeline import alarm_minute as minute

    return minute(act.strategy, act.platform)


def alarm_too_late(act: model.Deploy, minute: int) -> int | None:
    """The minute ``act``'s deployment ended when an alarm at ``minute`` comes after it (None: the
    deployment is still in progress, and the alarm stops it). The same rule as
    ``--compare-strategies``: :func:`pipec.timeline.deployment_end`."""
    from pipec.timeline import deployment_end

    end = deployment_end(act.strategy, act.platform)
    return end if minute > end else None


def whole_failure_allowed(act: model.Deploy) -> bool:
    """A deployment may fail as a whole (without a hook or an alarm) on EC2, where instances fail
    their lifecycle events (HEALTH_CONSTRAINTS), and on an ECS rolling update, where the new tasks
    do not become healthy; ECS and Lambda deployments through CodeDeploy fail through a hook or
    an alarm."""
    return act.platform == "ec2" or not act.uses_codedeploy


def _phases(b: model.Build):
    by = {p.name: p for p in b.phases}
    for name in model.PHASE_ORDER:
        if name in by:
            yield by[name]
        elif name == "install" and b.codeartifact:
            yield model.Phase("install")


def parse_failure(text: str, pipeline: model.Pipeline) -> Failure:
    from pipec.targets import appspec_event_names

    EVENTS = appspec_event_names()

    m = _FAIL.match(text.strip())
    actions = {a.name: a for a in pipeline.actions()}
    points = failure_points_of(pipeline)
    listing = f"This pipeline can fail at: {', '.join(points)}." if points else "Nothing in this pipeline can fail."
    if not m:
        raise SimulateError(f"--fail {text!r} is not a failure point", f"Write {FAIL_SYNTAX}. {listing}")
    name = m["action"]
    act = actions.get(name)
    if act is None:
        raise SimulateError(f"--fail {text!r}: the pipeline has no action {name!r}", listing)
    if m["phase"]:
        if not isinstance(act, model.Build):
            raise SimulateError(f"--fail {text!r}: {name} is not a build or test action", listing)
        ph = next((p for p in _phases(act) if p.name == m["phase"]), None)
        logins = len(act.codeartifact) if m["phase"] == "install" else 0
        count = 0 if ph is None else (len(ph.finally_commands) if m["fin"] else len(ph.commands) + logins)
        n = int(m["n"] or 1)
        if not 1 <= n <= count:
            what = ("finally command" if m["fin"] else "command") + ("" if count == 1 else "s")
            raise SimulateError(f"--fail {text!r}: {name}'s {m['phase']} phase has {count} {what}",
                                f"Number them from 1. {listing}")
        return Failure(text, name, ("finally" if m["fin"] else "command", name, m["phase"], n - 1))
    if m["hook"]:
        if not isinstance(act, model.Deploy):
            raise SimulateError(f"--fail {text!r}: {name} is not a deployment", listing)
        by_appspec = {v: k for k, v in EVENTS.items()}
        event = by_appspec.get(m["hook"], m["hook"])
        if event not in {h.event for h in act.hooks}:
            hooks = ", ".join(h.event for h in act.hooks) or "none"
            raise SimulateError(f"--fail {text!r}: {name} has no {event} hook (its hooks: {hooks})", listing)
        return Failure(text, name, ("deploy", name), hook=event)
    if m["minute"] is not None:
        if not isinstance(act, model.Deploy) or not act.rollback.alarms:
            raise SimulateError(f"--fail {text!r}: {name} watches no CloudWatch alarms",
                                "Add 'rollback on failure alarm NAME' to the deployment, or fail a hook. " + listing)
        return Failure(text, name, ("alarm", name), minute=int(m["minute"]))
    if m["special"] == "timeout":
        if not isinstance(act, (model.Build, model.Approval)):
            raise SimulateError(f"--fail {text!r}: only a build or an approval has a timeout to run out", listing)
        return Failure(text, name, ("timeout", name))
    if m["special"] == "health":
        if not (isinstance(act, model.Deploy) and act.platform == "ecs"):
            raise SimulateError(f"--fail {text!r}: health checks fail on an ECS deployment's new tasks", listing)
        return Failure(text, name, ("deploy", name), cause="health")
    if m["reject"]:
        if not isinstance(act, model.Approval):
            raise SimulateError(f"--fail {text!r}: {name} is not an approval", listing)
        return Failure(text, name, ("reject", name))
    if isinstance(act, (model.Build, model.Approval)):
        raise SimulateError(f"--fail {text!r}: say what fails in {name}", listing)
    if isinstance(act, model.Deploy) and not whole_failure_allowed(act):
        raise SimulateError(f"--fail {text!r}: a {act.platform} deployment through CodeDeploy fails through a "
                            "hook or an alarm", listing)
    return Failure(text, name, ("deploy", name))


# ----------------------------------------------------------------------------- the run


@node
class Run(Node):
    """The run on one platform: the trigger decisions, whether it started, the plan, the
    :func:`pipec.simulate.simulate` trace and the failures that apply to this platform."""

    platform: str
    decisions: tuple
    started: bool
    plan: plan.Plan
    trace: tuple[str, ...]
    failures: tuple[Failure, ...]
    ignored: tuple[Failure, ...]   # failures of actions not on this platform
    late: tuple[Failure, ...] = ()  # alarms after their deployment ended: nothing stops or rolls back


def run(pipeline: model.Pipeline, platform: str, ev: Event, failures=(), released=frozenset()) -> Run:
    from pipec.simulate import simulate

    decisions, started = decide(pipeline, platform, ev)
    the_plan = plan.from_model(pipeline, platform)
    ids = {j.id for j in the_plan.jobs}
    actions = {a.name: a for a in pipeline.actions()}
    late = tuple(f for f in failures if f.action in ids and f.minute is not None and
                 alarm_too_late(actions[f.action], f.minute) is not None)
    here = tuple(f for f in failures if f.action in ids and f not in late)
    ignored = tuple(f for f in failures if f.action not in ids)
    trace = simulate(the_plan, frozenset(f.point for f in here), released) if started else ()
    return Run(platform, tuple(decisions), started, the_plan, trace, here, ignored, late)


def job_results(r: Run) -> dict[str, str]:
    """job id -> succeeded, failed, skipped (an earlier job failed), held (a disabled
    transition) or not-run (no run started)."""
    out = {}
    for j in r.plan.jobs:
        out[j.id] = "not-run"
    for line in r.trace:
        head, _, rest = line.partition(" ")
        if head == "skip":
            out[rest] = "skipped"
        elif head == "held":
            out[rest] = "held"
        elif rest in ("ok", "approved"):
            out[head] = "succeeded"
        elif rest in ("failed", "rejected"):
            out[head] = "failed"
    return out
