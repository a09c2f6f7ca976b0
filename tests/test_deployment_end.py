"""One rule for when a deployment ends, and so whether an alarm can still roll it back: the
deployment lasts until the original (blue) fleet or task set is terminated, the
TerminationWaitTimeInMinutes the AWS target writes after the traffic has moved (pipec's default
when the .pipe gives no ``terminate_after``). ``pipec explain``, ``pipec simulate --fail
ACTION.alarm@M`` and ``--compare-strategies`` all follow it (pipec.timeline.deployment_end)."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipec import build, compile_text, model
from pipec.explain_strategies import rollback_text, strategy_text
from pipec.simulate_run import alarm_too_late
from pipec.timeline import deployment_end, play, render_compare, termination_wait

ROOT = Path(__file__).resolve().parent.parent
ECS = ROOT / "examples" / "03-ecs-blue-green-canary.pipe"


def _deploy(path=ECS, name="checkout-prod"):
    text = path.read_text(encoding="utf-8")
    pipeline = compile_text(text, path.name)[0]
    return pipeline, next(a for a in pipeline.actions() if a.name == name)


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _written_wait(pipeline, tmp_path, name) -> int:
    ctx = build.context_for(str(ECS), str(tmp_path / "out"), str(tmp_path))
    files = build.generate(pipeline, ctx, ["aws"])
    template = yaml.load(next(v for k, v in files.items() if k.endswith(".template.yaml")), Loader=_Loader)
    group = next(r for r in template["Resources"].values() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"
                 and name in str(r["Properties"].get("DeploymentGroupName", "")))
    return group["Properties"]["BlueGreenDeploymentConfiguration"]["TerminateBlueInstancesOnDeploymentSuccess"][
        "TerminationWaitTimeInMinutes"]


def test_a_canary_without_terminate_after_ends_after_the_wait_the_template_writes(tmp_path):
    pipeline, d = _deploy()
    assert d.strategy.kind == "canary" and d.strategy.terminate_after_minutes is None
    wait = _written_wait(pipeline, tmp_path, d.name)
    assert wait and termination_wait(d.strategy, "ecs") == wait
    shifted = 2 + d.strategy.interval_minutes  # the green task set starts (2), then the canary's interval
    assert deployment_end(d.strategy, "ecs") == shifted + wait
    # an alarm during the wait still finds the deployment in progress: simulate rolls it back...
    assert alarm_too_late(d, shifted + 1) is None and alarm_too_late(d, shifted + wait + 1) is not None
    # ...and so does the comparison, in the time traffic shifting takes to go back
    assert play(d.strategy, "ecs", detect=shifted + 1).rollback == 1
    assert play(d.strategy, "ecs", detect=shifted + wait + 1).rollback is None
    # explain says the same: the blue task set stays, and alarms are watched, until then
    assert f"stays until {wait} minutes after success" in " ".join(strategy_text(d)[1])
    assert f"terminated {wait} minutes after success" in rollback_text(d)


def test_an_ec2_blue_green_without_terminate_after_counts_the_default_wait():
    s = model.Strategy("blue-green")
    assert termination_wait(s, "ec2") > 0
    assert deployment_end(s, "ec2") == 2 + termination_wait(s, "ec2")
    assert termination_wait(model.Strategy("rolling", batch="one-at-a-time"), "ec2") == 0
    assert termination_wait(model.Strategy("canary", percent=10, interval_minutes=5), "lambda") == 0


def test_an_ecs_rolling_update_is_not_shown_rolling_back():
    """explain: "rollback: not done by CodeDeploy"; the comparison must not give it one."""
    text = ("pipeline p {\n  source app github \"a/b\" {\n    branch main\n  }\n  stage deploy {\n"
            "    deploy web to ecs {\n      cluster c\n      service s\n      image_file imagedefinitions.json\n"
            "      from app\n    }\n  }\n}\n")
    pipeline, diags = compile_text(text, "p.pipe")
    assert pipeline is not None, diags
    d = next(a for a in pipeline.actions() if isinstance(a, model.Deploy))
    assert d.strategy.kind == "rolling" and "not done by CodeDeploy" in " ".join(strategy_text(d)[1])
    out = render_compare(d, 3)
    row = next(line for line in out.splitlines() if line.startswith("| ECS rolling update"))
    assert "no automatic rollback" in row and "1 min" not in row


def test_simulate_shows_an_alarm_during_the_wait_after_every_event_passed():
    from pipec.simulate_cli import render_text, simulate_data

    pipeline, d = _deploy()
    text = ECS.read_text(encoding="utf-8")
    minute = deployment_end(d.strategy, "ecs") - 1  # traffic has moved; the blue task set still runs
    out = render_text(simulate_data(pipeline, text, "03.pipe", fail=[f"{d.name}.alarm@{minute}"], target="aws"))
    assert "AllowTraffic            Succeeded" in out and "AfterAllowTraffic       Succeeded" in out
    assert f"in ALARM at minute {minute}, during the {termination_wait(d.strategy, 'ecs')}-minute wait before the original task set is terminated" in out
    assert "rollbackInfo: automatic rollback (DEPLOYMENT_STOP_ON_ALARM)" in out


def test_a_minimum_healthy_percentage_that_keeps_a_small_fleet_whole():
    """W517 in check, and explain says the same: CodeDeploy rounds FLEET_PERCENT up."""
    from pipec.timeline import smallest_fleet

    assert smallest_fleet(99) == 100 and smallest_fleet(75) == 4 and smallest_fleet(50) == 2
    text = (ROOT / "tests" / "errors" / "w517_min_healthy_too_high.pipe").read_text(encoding="utf-8")
    pipeline, diags = compile_text(text, "w517.pipe")
    assert [d.code for d in diags] == ["W517"] and "fewer than 100 instances" in diags[0].message
    d = next(a for a in pipeline.actions() if isinstance(a, model.Deploy))
    assert "with fewer than 100 instances none may leave service" in strategy_text(d)[0]
    ok = compile_text(text.replace("99%", "75%"), "w517.pipe")[1]
    assert "W517" not in [x.code for x in ok]
