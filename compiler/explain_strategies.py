"""What a deployment strategy and its rollback mean in practice, per compute platform.

"rollback: fast / medium / slow" is the rollback speed docs/simulate.md defines (minutes from the
alarm until no traffic reaches the bad version, while the deployment is in progress), in words;
``pipec simulate --compare-strategies`` gives the minutes.

:func:`strategy_text` gives a strategy's name in words and its trade-offs (downtime, rollback speed,
extra infrastructure, blast radius) for EC2, ECS or Lambda; :func:`rollback_text` what happens when
the deployment fails. Told by :class:`pipec.explain_actions.Narrator` for each deployment.
"""

from __future__ import annotations

import math

from pipec import model
from pipec.explain_text import join_words, minutes_text
from pipec.timeline import termination_wait


def strategy_text(d: model.Deploy) -> tuple[str, list[str]]:
    """(what happens, [downtime, rollback speed, extra infrastructure, blast radius])."""
    s, plat = d.strategy, d.platform
    t = d.target
    if plat == "ec2":
        where = []
        if t.tags:
            where.append("instances tagged " + join_words([f"{k}={v}" for k, v in t.tags], "or"))
        if t.autoscaling_groups:
            where.append("the instances of the Auto Scaling group" + ("s " if len(t.autoscaling_groups) > 1 else " ")
                         + join_words(t.autoscaling_groups))
        fleet = join_words(where, "and")
        the_fleet = fleet if fleet.startswith("the ") else f"the {fleet}"  # not "the the instances of"
        if s.kind == "all-at-once":
            return (f"CodeDeploy installs the new version on every one of {the_fleet} at the same time, "
                    "in place.",
                    ["downtime: likely, while the instances stop and restart the application, since none "
                     "keeps serving the old version",
                     "rollback: slow, the previous revision is deployed again to every instance",
                     "extra infrastructure: none",
                     "blast radius: every instance at once"])
        if s.kind == "rolling":
            batch = {"one-at-a-time": "one instance at a time",
                     "half-at-a-time": "up to half of the instances at a time"}.get(
                s.batch, f"in batches that keep at least {s.percent}% of the fleet healthy")
            if s.batch == "min_healthy" and s.percent is not None:
                from pipec.timeline import smallest_fleet

                # CodeDeploy rounds a FLEET_PERCENT minimum up to whole instances (W517)
                batch += (f" (CodeDeploy rounds {s.percent}% up to whole instances: with fewer than "
                          f"{smallest_fleet(s.percent)} instances none may leave service, and the deployment "
                          "fails with HEALTH_CONSTRAINTS_INVALID)")
            return (f"CodeDeploy updates {the_fleet} in place, {batch}, while the others keep serving.",
                    ["downtime: none, but capacity is reduced while a batch updates, and old and new "
                     "versions serve side by side until the last batch is done",
                     "rollback: medium, the previous revision is deployed again, batch by batch",
                     "extra infrastructure: none",
                     "blast radius: grows batch by batch; instances not yet updated keep the old version "
                     "if the deployment stops"])
        wait = termination_wait(s, plat)
        tg = f" {t.target_group}" if t.target_group else ""
        return (f"CodeDeploy copies {fleet} into a new (green) fleet, installs the new "
                f"version there, moves the target group{tg}'s traffic to it, and terminates the old "
                f"(blue) instances {minutes_text(wait)} after success.",
                ["downtime: none",
                 f"rollback: fast, traffic moves back to the blue fleet while it still runs (for "
                 f"{minutes_text(wait)} after success)",
                 "extra infrastructure: a second copy of the fleet while both run",
                 "blast radius: all traffic moves to the new version at once"])
    if plat == "ecs":
        svc = f"the service {t.service} in the ECS cluster {t.cluster}"
        if s.kind == "rolling":
            return (f"ECS's own rolling update of {svc} (not CodeDeploy): new tasks from "
                    f"{t.image_file} replace the old ones, paced by the service's minimum and maximum "
                    "healthy percent.",
                    ["downtime: none while the healthy percent keeps tasks running; old and new tasks "
                     "serve side by side during the update",
                     "rollback: not done by CodeDeploy; going back means deploying the previous image "
                     "again (any automatic rollback is up to the ECS service's own deployment settings, "
                     "which pipec does not set)",
                     "extra infrastructure: none beyond the service's maximum percent",
                     "blast radius: grows as tasks are replaced"])
        wait = termination_wait(s, plat)
        blue, green = (t.target_groups + (None, None))[:2]
        start = (f"CodeDeploy starts a new (green) task set of {svc} beside the old (blue) one and "
                 f"moves the production listener's traffic from target group {blue} to {green}")
        if t.test_listener:
            start += " (a test listener reaches the green task set first)"
        if s.kind == "blue-green":
            how, radius = ": all of it at once.", "all traffic moves at once (after the hooks pass)"
        elif s.kind == "canary":
            how = (f": {s.percent}% first, then, if nothing goes wrong for {minutes_text(s.interval_minutes)}, "
                   f"the remaining {100 - s.percent}%.")
            radius = f"{s.percent}% of the traffic for {minutes_text(s.interval_minutes)}"
        else:
            how = (f": {s.percent}% more every {minutes_text(s.interval_minutes)} until all of it has moved "
                   f"({math.ceil(100 / s.percent)} steps).")
            radius = f"grows by {s.percent}% of the traffic every {minutes_text(s.interval_minutes)}"
        return (start + how + f" The old task set is terminated {minutes_text(wait)} after success.",
                ["downtime: none",
                 f"rollback: fast, traffic moves back to the blue task set, which stays until "
                 f"{minutes_text(wait)} after success",
                 "extra infrastructure: a second task set runs beside the old one during the deployment",
                 f"blast radius: {radius}"])
    alias = f"the alias {t.alias} of the Lambda function {t.function}"
    if t.current_version or t.target_version:
        versions = f" from version {t.current_version} to version {t.target_version}"
    else:
        versions = " from its current version to a new version published at deploy time"
    if s.kind == "all-at-once":
        how, radius = "in one step", "every invocation moves to the new version at once"
    elif s.kind == "canary":
        how = (f"{s.percent}% of the invocations first, then, if nothing goes wrong for "
               f"{minutes_text(s.interval_minutes)}, the remaining {100 - s.percent}%")
        radius = f"{s.percent}% of the invocations for {minutes_text(s.interval_minutes)}"
    else:
        how = (f"{s.percent}% more of the invocations every {minutes_text(s.interval_minutes)} until all have "
               f"moved ({math.ceil(100 / s.percent)} steps)")
        radius = f"grows by {s.percent}% of the invocations every {minutes_text(s.interval_minutes)}"
    return (f"CodeDeploy moves {alias}{versions}: {how}.",
            ["downtime: none, the alias switches between versions",
             "rollback: fast, CodeDeploy points the alias back at the previous version",
             "extra infrastructure: none (a new function version)",
             f"blast radius: {radius}"])


def rollback_text(d: model.Deploy) -> str:
    r = d.rollback
    if d.platform == "ecs" and d.strategy.kind == "rolling":
        return ""
    alarms = join_words(list(r.alarms))
    # the deployment, and CodeDeploy's watch on its alarms, lasts until the original fleet or task
    # set is terminated (pipec.timeline.deployment_end, which simulate and --compare-strategies use)
    wait = termination_wait(d.strategy, d.platform)
    lasts = (f", which lasts until the original {'task set' if d.platform == 'ecs' else 'fleet'} is terminated "
             f"{minutes_text(wait)} after success" if wait else "")
    if r.on_failure and r.alarms:
        return (f"Automatic rollback: when the deployment fails, and when the CloudWatch alarm"
                f"{'s' if len(r.alarms) > 1 else ''} {alarms} go{'' if len(r.alarms) > 1 else 'es'} into "
                f"ALARM during the deployment{lasts} (the deployment stops and rolls back).")
    if r.on_failure:
        return "Automatic rollback: when the deployment fails."
    if r.alarms:
        return (f"Automatic rollback: only when the CloudWatch alarm{'s' if len(r.alarms) > 1 else ''} "
                f"{alarms} go{'' if len(r.alarms) > 1 else 'es'} into ALARM during the deployment{lasts}; a "
                "failed deployment is not rolled back.")
    return "No automatic rollback: a failed deployment stays as it is until the next deployment."
