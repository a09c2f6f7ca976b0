"""Deployment timelines: a strategy played minute by minute, and strategies compared for one failure
(``pipec simulate --compare-strategies ACTION``).

A timeline is a list of :class:`Minute`: the share of traffic on the old version, on the new one
and unserved (the three always sum to 100), and the healthy and running capacity in instances or
tasks. It is a teaching model with stated assumptions, not a measurement:

- the fleet has ``fleet`` instances (EC2) or tasks (ECS), 4 unless told; one batch of EC2
  instances, or one set of ECS tasks, takes ``step`` minutes (2 unless told) to install and pass
  its health check; traffic spreads evenly over the healthy instances;
- CodeDeploy's traffic shifting (ECS and Lambda canary and linear, ECS and EC2 blue/green):
  canary ``percent`` first and everything after ``interval``; linear ``percent`` more every
  ``interval``; all at once at minute 0 (the CodeDeployDefault configurations,
  https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html); the
  replacement (green) fleet runs beside the original one, which stays until the traffic has moved
  and then as many minutes more as the deployment group's termination wait says
  (:func:`termination_wait`: the TerminationWaitTimeInMinutes the AWS target writes, the
  ``terminate_after`` of the .pipe or pipec's default; every ECS deployment through CodeDeploy,
  canary and linear included, is blue/green and has one);
- EC2 in-place: OneAtATime takes one instance out of service at a time, HalfAtATime up to half,
  a minimum-healthy percentage P leaves at least ceil(P% of the fleet) healthy, AllAtOnce all of
  them (the minimum healthy hosts rule, AWS::CodeDeploy::DeploymentConfig MinimumHealthyHosts);
- an ECS rolling update (no CodeDeploy) starts the new tasks before stopping old ones: ECS's
  default maximumPercent for a REPLICA service is 200%
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html);
  pipec writes no minimumHealthyPercent, and 100% is assumed. pipec sets no deployment circuit
  breaker or alarms on the service, so nothing rolls it back automatically (as ``pipec explain``
  says): :func:`compare` plays it without rollback;
- the failure: the new version is bad, and an alarm (or the operator) notices it ``detect``
  minutes after the deployment starts. With automatic rollback, and while the deployment is in
  progress (:func:`deployment_end`, which counts the termination wait: the original fleet or
  task set is still there to go back to), CodeDeploy stops the deployment then: traffic shifting
  sends all traffic back to the original fleet within a minute; an
  in-place deployment redeploys the old revision batch by batch, as slowly as it deployed.
  Lambda has no instances: its capacity is not modelled (None).
"""

from __future__ import annotations

import math

from pipec import model
from pipec.node import Node, evolve, node

FLEET = 4
STEP = 2


@node
class Minute(Node):
    minute: int
    old: int            # % of traffic on the old version
    new: int            # % of traffic on the new version
    unserved: int       # % of traffic no healthy instance serves
    healthy: int | None  # instances or tasks in service
    running: int | None  # instances or tasks running (both versions)
    note: str = ""


@node
class Summary(Node):
    strategy: str
    downtime: int           # minutes with unserved traffic
    peak_exposure: int      # highest % of traffic on the bad version
    exposure: int           # % x minutes of traffic on the bad version
    rollback: int | None    # rollback speed (docs/simulate.md): minutes from detection until no traffic
                            # reaches the bad version; None when the deployment had ended first
    extra: int | None       # most instances/tasks running beyond the fleet, in % of the fleet
    minimum_healthy: int | None  # the configuration's floor of healthy capacity
    timeline: tuple
    problem: str | None = None  # why the deployment cannot start at all (None: it can)


def _traffic_shift(s: model.Strategy, t: int) -> int:
    if s.kind == "canary":
        return s.percent if t < s.interval_minutes else 100
    if s.kind == "linear":
        return min(100, s.percent * (t // s.interval_minutes + 1))
    return 100


def _shift_end(s: model.Strategy) -> int:
    if s.kind == "canary":
        return s.interval_minutes
    if s.kind == "linear":
        return s.interval_minutes * (math.ceil(100 / s.percent) - 1)
    return 0


def _batch(s: model.Strategy, fleet: int) -> int:
    if s.kind == "all-at-once":
        return fleet
    if s.batch == "one-at-a-time":
        return 1
    if s.batch == "half-at-a-time":
        return max(1, fleet // 2)
    if s.batch == "min_healthy":  # 0: no instance may go: CodeDeploy fails HEALTH_CONSTRAINTS_INVALID
        return fleet - math.ceil(fleet * s.percent / 100)
    return 1


def smallest_fleet(percent: int) -> int:
    """The fewest instances with which a minimum of ``percent``% healthy lets one instance leave
    service: CodeDeploy "converts the percentage to the equivalent number of instances and rounds
    up fractional instances" at the start of the deployment (CreateDeploymentConfig
    minimumHealthyHosts, FLEET_PERCENT); with fewer, none may leave and the deployment fails
    (HEALTH_CONSTRAINTS_INVALID). 99% needs 100 instances."""
    n = 1
    while n - math.ceil(n * percent / 100) < 1:
        n += 1
    return n


def minimum_healthy(s: model.Strategy, platform: str, fleet: int) -> int | None:
    """The floor of healthy capacity the configuration promises (None: not modelled)."""
    if platform == "lambda":
        return None
    if platform == "ec2" and s.kind in ("rolling", "all-at-once"):
        return fleet - _batch(s, fleet)
    return fleet


def termination_wait(s: model.Strategy, platform: str) -> int:
    """The minutes the original (blue) fleet or task set stays after the traffic has moved: the
    TerminationWaitTimeInMinutes the AWS target writes into the deployment group (0: none)."""
    from pipec.targets import termination_wait_minutes

    return termination_wait_minutes(s, platform) or 0


def deployment_end(s: model.Strategy, platform: str, fleet: int = FLEET, step: int = STEP) -> int:
    """The minute (from the deployment's start) at which the deployment of ``s`` ends. CodeDeploy
    watches the deployment group's alarms while a deployment is in progress: "If any of the
    specified alarms are activated, the deployment stops"
    (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html); an
    alarm at a later minute finds no deployment to stop, and nothing rolls back automatically.
    A blue/green deployment (every ECS one through CodeDeploy) ends when the original fleet or task
    set is terminated, :func:`termination_wait` minutes after the traffic has moved ("For an
    Amazon ECS deployment, the number of minutes before deleting the original (blue) task set",
    AWS::CodeDeploy::DeploymentGroup BlueInstanceTerminationOption): until then there is something
    to roll back to, and ``pipec explain`` says the rollback is fast "while it still runs".
    ``pipec simulate --fail ACTION.alarm@M``, ``--compare-strategies`` and ``explain`` all decide
    with this."""
    if platform == "ec2" and s.kind in ("rolling", "all-at-once"):
        b = _batch(s, fleet)
        return math.ceil(fleet / b) * step if b else 0
    if platform == "ecs" and s.kind == "rolling":
        return 2 * step
    green_ready = step if platform in ("ecs", "ec2") else 0
    return green_ready + _shift_end(s) + termination_wait(s, platform)


def replacement_ready(s: model.Strategy, platform: str, step: int = STEP) -> int:
    """The minute at which traffic starts moving to the new version of a traffic-shifting
    deployment (ECS and EC2 blue/green start the replacement task set or fleet first, for ``step``
    minutes; Lambda shifts at once); 0 for in-place deployments, which have no replacement."""
    if (platform == "ec2" and s.kind in ("rolling", "all-at-once")) or (platform == "ecs" and s.kind == "rolling"):
        return 0
    return step if platform in ("ecs", "ec2") else 0


def traffic_at(s: model.Strategy, platform: str, minute: int, fleet: int = FLEET, step: int = STEP) -> int:
    """The % of traffic on the new version ``minute`` minutes after the deployment starts, with
    nothing going wrong (the row of :func:`play`'s timeline; after the end the last state holds)."""
    rows = play(s, platform, fleet, step).timeline
    return rows[min(minute, len(rows) - 1)].new


def alarm_minute(s: model.Strategy, platform: str, fleet: int = FLEET, step: int = STEP) -> int:
    """A minute at which an alarm shows the strategy at work: halfway into the first traffic
    step (the first batch, on EC2 in place), and never after the deployment's end."""
    if platform == "ec2" and s.kind in ("rolling", "all-at-once"):
        start = 0
    else:
        start = step if platform in ("ecs", "ec2") else 0
    return min(deployment_end(s, platform, fleet, step), start + max(1, (s.interval_minutes or 2) // 2))


#: minutes after the detection that a comparison counts: a version nobody rolls back keeps
#: serving, and its exposure grows until this horizon
AFTER = 15


def play(s: model.Strategy, platform: str, fleet: int = FLEET, step: int = STEP, detect: int | None = None,
         rollback: bool = True, horizon: int | None = None) -> Summary:
    """The timeline of ``s`` on ``platform`` (ec2, ecs or lambda) and its summary, minute 0 to
    ``horizon`` (default: ``detect`` + :data:`AFTER`, or the end of the deployment without a
    failure). After the deployment ends the last state holds."""
    if platform == "ec2" and s.kind in ("rolling", "all-at-once"):
        rows, rb = _in_place(s, fleet, step, detect, rollback)
    elif platform == "ecs" and s.kind == "rolling":
        rows, rb = _ecs_rolling(fleet, step, detect, rollback)
    else:
        rows, rb = _shifting(s, platform, fleet, step, detect, rollback)
    if horizon is None:
        horizon = detect + AFTER if detect is not None else len(rows)
    last = rows[-1]
    rows = rows[:horizon] + [evolve(last, minute=t, note="") for t in range(len(rows), horizon)]
    running = [r.running for r in rows if r.running is not None]
    problem = None
    if platform == "ec2" and s.kind == "rolling" and _batch(s, fleet) == 0:
        problem = (f"HEALTH_CONSTRAINTS_INVALID: keeping {s.percent}% of {fleet} instances healthy lets none leave "
                   "service, so CodeDeploy cannot deploy at all")
    return Summary(strategy_text(s, platform), sum(1 for r in rows if r.unserved), max(r.new for r in rows),
                   sum(r.new for r in rows), rb, (max(running) - fleet) * 100 // fleet if running else None,
                   minimum_healthy(s, platform, fleet), tuple(rows), problem)


def strategy_text(s: model.Strategy, platform: str) -> str:
    if s.kind == "rolling" and platform == "ecs":
        return "ECS rolling update"
    if s.kind == "rolling":
        return {"one-at-a-time": "rolling, one at a time", "half-at-a-time": "rolling, half at a time"}.get(
            s.batch, f"rolling, at least {s.percent}% healthy")
    if s.kind == "canary":
        return f"canary {s.percent}%, rest after {s.interval_minutes}m"
    if s.kind == "linear":
        return f"linear {s.percent}% every {s.interval_minutes}m"
    return {"blue-green": "blue/green", "all-at-once": "all at once"}[s.kind]


def _shifting(s, platform, fleet, step, detect, rollback):
    cap = platform != "lambda"
    green_ready = replacement_ready(s, platform, step)   # the replacement fleet starts first
    end = green_ready + _shift_end(s)
    keep = termination_wait(s, platform)
    rows, rolled = [], None
    for t in range(0, end + keep + 2):
        if detect is not None and rollback and detect <= end + keep and t > detect:
            rolled = rolled if rolled is not None else t - detect
            new, note = 0, "rolled back: all traffic on the original fleet"
        elif t < green_ready:
            new, note = 0, "replacement fleet starting"
        else:
            new, note = _traffic_shift(s, t - green_ready), ""
        both = t <= end + keep and rolled is None
        running = (2 * fleet if both else fleet) if cap else None
        rows.append(Minute(t, 100 - new, new, 0, fleet if cap else None, running, note))
    return rows, (rolled if detect is not None and rollback else None)


def _in_place(s, fleet, step, detect, rollback):
    """EC2 in-place: batch by batch; a batch being installed is out of service. Detection is seen
    between batches; the rollback redeploys the old revision with the same batches."""
    b = _batch(s, fleet)
    if b == 0:
        return [Minute(0, 100, 0, 0, fleet, fleet, "HEALTH_CONSTRAINTS_INVALID: no instance may leave service")], None
    rows, t, updated = [], 0, 0
    while updated < fleet and (detect is None or t < detect):
        n = min(b, fleet - updated)
        for _ in range(step):
            rows.append(_served(t, fleet, updated, n, "installing a batch"))
            t += 1
        updated += n
    while detect is not None and t < detect:  # deployed; the bad version serves until noticed
        rows.append(_served(t, fleet, updated, 0, "deployed"))
        t += 1
    if detect is None or not rollback or detect > math.ceil(fleet / b) * step:
        # no automatic rollback once the deployment has ended (deployment_end)
        rows.append(_served(t, fleet, updated, 0, "deployed"))
        return rows, None
    while updated > 0:  # CodeDeploy redeploys the last good revision, batch by batch
        n = min(b, updated)
        for _ in range(step):
            rows.append(_served(t, fleet, updated - n, n, "rolling back a batch"))
            t += 1
        updated -= n
    rows.append(_served(t, fleet, 0, 0, "rolled back"))
    # the rollback speed (docs/simulate.md): until no traffic reaches the bad version, which is
    # when its last batch leaves service to be redeployed, before that batch's redeploy ends
    gone = next(r.minute for r in rows if r.minute >= detect and r.new == 0)
    return rows, gone - detect


def _served(t, fleet, new_in_service, out, note):
    """Minute ``t``: ``new_in_service`` instances serve the new version, ``out`` are out of
    service; traffic spreads evenly over the healthy ones."""
    healthy = fleet - out
    if healthy <= 0:
        return Minute(t, 0, 0, 100, 0, fleet, note)
    new = round(100 * new_in_service / healthy)
    return Minute(t, 100 - new, new, 0, healthy, fleet, note)


def _ecs_rolling(fleet, step, detect, rollback):
    rows, rolled = [], None
    end = 2 * step
    for t in range(0, end + 2):
        if detect is not None and rollback and detect <= end and t > detect:
            rolled = rolled if rolled is not None else t - detect
            # the circuit breaker rolls back to the last completed deployment: new tasks stop
            new, running, note = 0, fleet, "rolled back"
            if t - detect <= step:
                new, running = 0, 2 * fleet
        elif t < step:
            new, running, note = 0, 2 * fleet, "new tasks starting (maximumPercent 200)"
        elif t < end:
            new, running, note = 50, 2 * fleet, "old and new tasks both in service"
        else:
            new, running, note = 100, fleet, "old tasks stopped"
        rows.append(Minute(t, 100 - new, new, 0, fleet, running, note))
    return rows, (rolled if detect is not None and rollback else None)


# ----------------------------------------------------------------------------- comparing


def alternatives(d: model.Deploy) -> list[model.Strategy]:
    """The deployment's own strategy first, then the usual alternatives on its platform."""
    S = model.Strategy
    usual = {
        "ec2": [S("all-at-once"), S("rolling", batch="one-at-a-time"), S("rolling", batch="half-at-a-time"),
                S("blue-green", terminate_after_minutes=60)],
        "ecs": [S("rolling"), S("blue-green", terminate_after_minutes=60), S("canary", percent=10, interval_minutes=5),
                S("linear", percent=10, interval_minutes=3)],
        "lambda": [S("all-at-once"), S("canary", percent=10, interval_minutes=5),
                   S("linear", percent=10, interval_minutes=1)],
    }[d.platform]
    own = evolve(d.strategy, span=None)
    return [own] + [s for s in usual if strategy_text(s, d.platform) != strategy_text(own, d.platform)]


def rolls_back(s: model.Strategy, platform: str) -> bool:
    """Whether anything rolls the deployment back automatically when it goes wrong: CodeDeploy
    does (the comparison assumes automatic rollback on); an ECS rolling update has no CodeDeploy,
    and pipec sets no circuit breaker on the service (explain_strategies says the same)."""
    return not (platform == "ecs" and s.kind == "rolling")


def compare(d: model.Deploy, detect: int = 3, fleet: int = FLEET, step: int = STEP) -> list[Summary]:
    return [play(s, d.platform, fleet, step, detect, rollback=rolls_back(s, d.platform)) for s in alternatives(d)]


def render_compare(d: model.Deploy, detect: int, fleet: int = FLEET, step: int = STEP) -> str:
    rows = compare(d, detect, fleet, step)
    unit = {"ec2": "instances", "ecs": "tasks", "lambda": "(no instances)"}[d.platform]
    # the comparison plays CodeDeploy stopping the deployment when the bad version is noticed, which
    # it does by itself only through an alarm of the deployment group: say where that comes from
    noticed = (f"automatic rollback on (CodeDeploy's, when alarm {d.rollback.alarms[0]} goes into ALARM); "
               if d.rollback.alarms else
               f"automatic rollback assumed on ({d.name} watches no CloudWatch alarm, so CodeDeploy would not "
               "notice a bad version by itself: add 'alarm NAME' to its rollback line); ")
    out = [f"Strategies for {d.name} ({d.platform}), SIMULATED: the new version is bad and is noticed "
           f"{detect} minutes after the deployment starts; " + noticed
           + (f"{fleet} {unit}, {step} minutes per batch; " if d.platform != "lambda" else "")
           + f"counted over {detect + AFTER} minutes (assumptions: docs/simulate.md).", ""]
    head = ("Strategy", "Downtime", "Users exposed (peak, %-min)", "Rollback speed", "Infrastructure cost")
    table = [head]
    for i, (r, s) in enumerate(zip(rows, alternatives(d))):
        name = r.strategy + (" (this pipeline)" if i == 0 else "")
        down = f"{r.downtime} min" if r.downtime else "none"
        exposed = f"{r.peak_exposure}%, {r.exposure}"
        rb = ("none: the deployment cannot start" if r.problem else
              "no automatic rollback: pipec sets no circuit breaker"
              if not rolls_back(s, d.platform) else
              "no automatic rollback: the deployment had ended" if r.rollback is None else f"{r.rollback} min")
        extra = "none to provision (Lambda)" if r.extra is None else ("normal" if r.extra == 0 else f"+{r.extra}% during the deployment")
        table.append((name, down, exposed, rb, extra))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for k, row in enumerate(table):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if k == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [f"Note: {r.strategy}: {r.problem}." for r in rows if r.problem]
    out += ["", "Traffic on the new version, minute by minute (%; '.' = 0, '#' = unserved):"]
    span = max(len(r.timeline) for r in rows)
    out.append(" " * 34 + "".join(f"{m:>4}" for m in range(span)))
    for r in rows:
        cells = "".join(f"{'#' if x.unserved else ('.' if x.new == 0 else x.new):>4}" for x in r.timeline)
        out.append(f"{r.strategy[:33]:<34}{cells}")
    return "\n".join(out) + "\n"
