"""``pipec simulate`` (pipec.simulate_run, pipec.simulate_logs, pipec.simulate_cli).

Golden files: ``tests/golden-simulate/<stem>.txt`` holds the text output for every example with
no failure and then with each of its failure points (:func:`pipec.simulate_run.failure_points_of`),
each under the event that starts the run it fails in; ``<stem>.json`` the JSON output of the first
failure point. After an intended change::

    PIPEC_REGEN=1 .venv/bin/python -m pytest tests/test_simulate_cli.py -k golden
    git diff tests/golden-simulate
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipec import compile_text, plan
from pipec.simulate_cli import render_json, render_text, simulate_data
from pipec.simulate_run import (Event, SimulateError, decide, failure_points_of, fires, parse_event,
                                parse_failure)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
GOLDEN = Path(__file__).resolve().parent / "golden-simulate"
REGEN = os.environ.get("PIPEC_REGEN") == "1"
CANDIDATE_EVENTS = (None, "pull_request:main", "tag:v1.0.0", "manual", "schedule", "object")


def _compile(path: Path):
    text = path.read_text(encoding="utf-8")
    pipeline, _ = compile_text(text, f"examples/{path.name}")
    return pipeline, text


def _event_for(pipeline, text, name, point):
    """The first candidate event under which the failure ``point`` happens on some platform."""
    for ev in CANDIDATE_EVENTS:
        try:
            data = simulate_data(pipeline, text, name, ev, [point] if point else [])
        except SimulateError:
            continue
        if any(p["points"] for p in data["platforms"]) or (point is None and any(p["starts"] for p in data["platforms"])):
            return ev, data
    return None, simulate_data(pipeline, text, name, None, [point] if point else [])


def _golden_text(path: Path) -> str:
    pipeline, text = _compile(path)
    name = f"examples/{path.name}"
    out = []
    for point in [None, *failure_points_of(pipeline)]:
        ev, data = _event_for(pipeline, text, name, point)
        args = (f" --event {ev}" if ev else "") + (f" --fail {point}" if point else "")
        out.append(f"### pipec simulate {name}{args}\n{render_text(data)}")
    return "\n".join(out)


def _check(golden: Path, text: str):
    if REGEN:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(text.encode("utf-8"))
    assert golden.is_file(), f"missing {golden}; run with PIPEC_REGEN=1"
    assert text.encode("utf-8") == golden.read_bytes(), f"{golden.name} differs; PIPEC_REGEN=1 to update"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_golden_text(path):
    _check(GOLDEN / f"{path.stem}.txt", _golden_text(path))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_golden_json(path):
    pipeline, text = _compile(path)
    point = failure_points_of(pipeline)[0]
    _ev, data = _event_for(pipeline, text, f"examples/{path.name}", point)
    _check(GOLDEN / f"{path.stem}.json", render_json(data))


def test_no_stale_goldens():
    expected = {f"{p.stem}.{ext}" for p in EXAMPLES for ext in ("txt", "json")}
    assert {f.name for f in GOLDEN.iterdir() if not f.name.startswith("compare-")} == expected


# ----------------------------------------------------------------------------- back to the line


def _expected_line(text: str, pipeline, point: str) -> int:
    """Where a failure point is written, found in the text without the model's spans: the line
    that holds the command in quotes, the hook, the rollback line or the action's header."""
    lines = text.splitlines()
    f = parse_failure(point, pipeline)
    act = next(a for a in pipeline.actions() if a.name == f.action)

    def first(pred, start=0):
        return next(i + 1 for i, line in enumerate(lines) if i >= start and pred(line))

    header = first(lambda line: line.split()[:2] in (["build", act.name], ["test", act.name],
                                                     ["approve", act.name], ["deploy", act.name],
                                                     ["invoke", act.name]) or
                   (len(line.split()) > 1 and line.split()[1] == act.name and line.split()[0] in
                    ("deploy", "stack", "bucket", "invoke", "approve", "build", "test")))
    kind = f.point[0]
    if kind in ("command", "finally"):
        phase = next(p for p in act.phases if p.name == f.point[2]) if any(
            p.name == f.point[2] for p in act.phases) else None
        logins = len(act.codeartifact) if f.point[2] == "install" and kind == "command" else 0
        if f.point[3] < logins:
            return first(lambda line: line.split()[:1] == ["codeartifact"], header - 1)
        cmd = (phase.finally_commands if kind == "finally" else phase.commands)[f.point[3] - logins].text
        if "\n" in cmd:  # a script block: it starts on the line that opens it, before its first line
            return first(lambda line: line.strip() == cmd.splitlines()[0], header - 1) - 1
        try:
            return first(lambda line: json.dumps(cmd) in line, header - 1)
        except StopIteration:  # a bare word, written without quotes
            return first(lambda line: cmd in line.split(), header - 1)
    if f.hook:
        return first(lambda line: line.split()[:2] == ["hook", f.hook], header - 1)
    if kind == "timeout":  # the action's own 'timeout' line, or its header without one
        block = lines[header - 1:act.span.end_line]
        return next((header + i for i, line in enumerate(block) if line.split()[:1] == ["timeout"]), header)
    if kind == "alarm":
        return first(lambda line: line.split()[:1] == ["rollback"], header - 1)
    return header


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_failure_point_points_back_to_its_line(path):
    pipeline, text = _compile(path)
    name = f"examples/{path.name}"
    reached = 0
    for point in failure_points_of(pipeline):
        _ev, data = _event_for(pipeline, text, name, point)
        lines = {pt["line"] for p in data["platforms"] for pt in p["points"]}
        if not lines:
            # held behind a disabled transition (examples/10): nothing failed, and the run says so
            assert any(r == "held" for p in data["platforms"] for r in p["results"].values()), point
            continue
        reached += 1
        assert lines == {_expected_line(text, pipeline, point)}, point
        # the failing log line points there too
        failed = {e["line"] for p in data["platforms"] for b in p["logs"] for e in b["lines"] if e.get("failed")}
        assert _expected_line(text, pipeline, point) in failed | {
            pt["line"] for p in data["platforms"] for pt in p["points"]}, point
    assert reached


# ----------------------------------------------------------------------------- triggers


MONOREPO = ROOT / "examples" / "05-monorepo-filters.pipe"


@pytest.mark.parametrize("event,starts", [
    ("push:main:services/payments/src/a.ts", True),
    ("push:main:libs/money/x.ts", True),
    ("push:main:docs/readme.txt", False),            # no include matches
    ("push:main:services/payments/README.md", False),  # excluded by !"**/*.md"
    ("push:hotfix/payments-1:services/payments/a.ts", True),
    ("push:feature/x:services/payments/a.ts", False),
    ("tag:payments-v1.4.0", True),
    ("tag:web-v2.0.0", False),
])
def test_which_events_start_a_run(event, starts):
    pipeline, text = _compile(MONOREPO)
    data = simulate_data(pipeline, text, "m.pipe", event)
    assert {p["platform"]: p["starts"] for p in data["platforms"]} == {"aws": starts, "github": starts}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_trigger_decisions_agree_with_the_plan(path):
    """Per-trigger decisions (with their lines) and the plan's normalised triggers decide alike."""
    pipeline, _text = _compile(path)
    branches = {s.branch for s in pipeline.sources if s.branch} | {"feature/x", "release/1"}
    events = [Event("push", b, files, source=s.name) for s in pipeline.sources for b in branches
              for files in (None, ("docs/a.md",), ("src/a.py",))]
    events += [Event("pull_request", b, None, a, s.name) for s in pipeline.sources for b in branches
               for a in ("opened", "updated", "closed")]
    events += [Event("tag", "v1.0.0", source=s.name) for s in pipeline.sources]
    events += [Event(k, source=pipeline.sources[0].name) for k in ("manual", "schedule", "object")]
    for platform in ("aws", "github"):
        the_plan = plan.from_model(pipeline, platform)
        for ev in events:
            _decisions, starts = decide(pipeline, platform, ev)
            expected = any(fires(t, ev) for t in the_plan.triggers) or (platform == "aws" and ev.kind == "manual")
            assert starts == expected, (platform, ev)


def test_hybrid_pipeline_runs_each_stage_on_its_own_platform():
    pipeline, text = _compile(ROOT / "examples" / "08-hybrid-github-ci-aws-cd.pipe")
    pr = simulate_data(pipeline, text, "h.pipe", "pull_request:main")
    assert [p["starts"] for p in pr["platforms"]] == [False, True]
    assert set(pr["platforms"][1]["order"]) == {"lint", "unit", "integration"}
    push = simulate_data(pipeline, text, "h.pipe", "push:main")
    assert [p["starts"] for p in push["platforms"]] == [True, False]
    assert "image" in push["platforms"][0]["order"] and "lint" not in push["platforms"][0]["order"]


# ----------------------------------------------------------------------------- the logs


def _one(path, fail, target="aws", event=None):
    pipeline, text = _compile(ROOT / "examples" / path)
    data = simulate_data(pipeline, text, "x.pipe", event, [fail], target)
    return data["platforms"][0]


def test_codebuild_log_of_a_failed_build_runs_post_build_and_uploads():
    p = _one("03-ecs-blue-green-canary.pipe", "image.build[1]")
    log = [e["text"].split(" ", 3)[-1] for e in p["logs"][0]["lines"]]
    full = "\n".join(e["text"] for e in p["logs"][0]["lines"])
    assert "Command did not exit successfully docker build -t \"$IMAGE:$CODEBUILD_RESOLVED_SOURCE_VERSION\" . " \
           "exit status 1" in log
    assert "Phase complete: BUILD State: FAILED" in log
    i = log.index("Entering phase POST_BUILD")
    assert "Entering phase POST_BUILD\n# pipec: CODEBUILD_BUILD_SUCCEEDING=0 in post_build" in full
    assert log[-1] == "Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED"
    assert any(x.startswith("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing "
                            "command: docker build") and x.endswith("Reason: exit status 1") for x in log)


def test_codebuild_log_stops_after_a_failed_install():
    p = _one("03-ecs-blue-green-canary.pipe", "image.install[1]")
    log = [e["text"].split(" ", 3)[-1] for e in p["logs"][0]["lines"]]
    assert "Entering phase PRE_BUILD" not in log and "Entering phase POST_BUILD" not in log
    assert "Phase complete: INSTALL State: FAILED" in log


def test_ec2_hook_failure_is_script_failed_and_health_constraints():
    p = _one("02-reference.pipe", "web-staging.hook:validate_service")
    lines = [e["text"] for e in p["logs"][0]["lines"]]
    assert any("ValidateService" in x and "ScriptFailed" in x and "scripts/validate_service.sh" in x for x in lines)
    assert any(x.startswith("errorInformation: code HEALTH_CONSTRAINTS") for x in lines)
    assert any("automatic rollback (DEPLOYMENT_FAILURE)" in x for x in lines)
    assert p["results"]["web-prod"] == "skipped"


def test_canary_alarm_rolls_back_with_the_traffic_at_that_minute():
    early = _one("03-ecs-blue-green-canary.pipe", "checkout-prod.alarm@3")
    late = _one("03-ecs-blue-green-canary.pipe", "checkout-prod.alarm@7")  # tasks ready at 2, +5 minutes
    text = "\n".join(e["text"] for e in early["logs"][0]["lines"])
    assert "10% of traffic on the new version" in text and "ALARM_ACTIVE" in text
    assert "DEPLOYMENT_STOP_ON_ALARM" in text
    assert "100% of traffic" in "\n".join(e["text"] for e in late["logs"][0]["lines"])


def test_an_alarm_before_the_traffic_moves_stops_the_event_in_progress():
    """ECS starts the replacement task set first (minutes 0-1 here): an alarm then stops Install,
    with no traffic on the new version, and the events after it are skipped; AllowTraffic is not
    the failing event at a minute when it has not started."""
    p = _one("02-reference.pipe", "web-prod.alarm@0")
    lines = [e["text"] for e in p["logs"][-1]["lines"]]
    install = next(x for x in lines if x.strip().startswith("Install "))
    assert "Failed   alarm HighErrorRate in ALARM at minute 0: the replacement task set is starting" in install
    assert any(x.split() == ["AllowTraffic", "Skipped"] for x in lines)
    assert any("all traffic stayed on the original task set" in x for x in lines)
    moved = [e["text"] for e in _one("02-reference.pipe", "web-prod.alarm@2")["logs"][-1]["lines"]]
    assert any("AllowTraffic" in x and "10% of traffic on the new version" in x for x in moved)


def test_disabled_transition_holds_the_run():
    pipeline, text = _compile(ROOT / "examples" / "10-static-site-s3.pipe")
    data = simulate_data(pipeline, text, "s.pipe")
    aws = data["platforms"][0]
    assert "held" in aws["results"].values()
    assert any("transition into production disabled" in e["text"] for e in aws["console"])


def test_approval_rejected():
    p = _one("03-ecs-blue-green-canary.pipe", "promote:reject")
    assert p["results"]["promote"] == "failed" and p["results"]["checkout-prod"] == "skipped"


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("event", ["bogus", "push", "push:", "tag:v1:x", "pull_request.merged:main",
                                   "manual:x", "push.opened:main"])
def test_bad_events(event):
    pipeline, _text = _compile(MONOREPO)
    with pytest.raises(SimulateError) as exc:
        parse_event(event, pipeline)
    assert exc.value.hint


@pytest.mark.parametrize("fail", ["nope", "payments", "payments.build[0]", "payments.build[3]",
                                  "payments.hook:validate_service", "payments-staging.alarm@1",
                                  "payments:reject", "payments.deploy", ""])
def test_bad_failure_points(fail):
    pipeline, _text = _compile(MONOREPO)
    with pytest.raises(SimulateError) as exc:
        parse_failure(fail, pipeline)
    assert exc.value.hint


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipec", "simulate", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)


def test_cli_text_json_and_errors(tmp_path):
    ok = _cli("examples/03-ecs-blue-green-canary.pipe", "--fail", "image.pre_build[1]", "--target", "aws")
    assert ok.returncode == 0 and "SIMULATED" in ok.stdout and "COMMAND_EXECUTION_ERROR" in ok.stdout
    js = _cli("examples/03-ecs-blue-green-canary.pipe", "--fail", "image.pre_build[1]", "--json")
    assert js.returncode == 0 and json.loads(js.stdout)["simulated"] is True
    usage = _cli("examples/03-ecs-blue-green-canary.pipe", "--fail", "image.pre_build[9]")
    assert usage.returncode == 2 and "hint:" in usage.stderr and "Traceback" not in usage.stderr
    bad = tmp_path / "bad.pipe"
    bad.write_text("pipeline x {\n")
    broken = _cli(str(bad))
    assert broken.returncode == 1 and "error[E102]" in broken.stderr and "Traceback" not in broken.stderr
    missing = _cli(str(tmp_path / "none.pipe"))
    assert missing.returncode == 1 and "E001" in missing.stderr


# ----------------------------------------------------------------------------- pipec why, fed back


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_why_finds_every_simulated_failure_on_its_line(path):
    from pipec.why import why

    pipeline, text = _compile(path)
    name = f"examples/{path.name}"
    checked = 0
    for point in failure_points_of(pipeline):
        _ev, data = _event_for(pipeline, text, name, point)
        for p in data["platforms"]:
            if not p["points"]:
                continue
            expected = {pt["line"] for pt in p["points"]}
            log = render_text({**data, "platforms": [p]})
            lines = {f.line for f in why(pipeline, text, log) if f.line}
            assert lines == expected, (point, p["platform"], lines, expected)
            checked += 1
    assert checked


# ----------------------------------------------------------------------------- what the platforms print


def test_github_log_is_what_the_runner_prints_for_the_phases_step():
    """No '+ cmd' lines (the step runs without set -x): the step header the runner prints (Run and
    the script's first line, shell:), a group per phase, the phase failure line the step echoes."""
    import yaml

    from pipec.build import EmitContext, generate_by_target

    p = _one("09-database-migration.pipe", "migrate-staging.build[1]", "github")
    lines = [e["text"] for e in p["logs"][0]["lines"]]
    assert not [x for x in lines if x.startswith("+ ")]
    pipeline, _text = _compile(ROOT / "examples" / "09-database-migration.pipe")
    files = generate_by_target(pipeline, EmitContext(source="x.pipe", prefix=""), ["github"])["github"]
    step = next(s for s in yaml.safe_load(files[".github/workflows/accounts-api.yml"])["jobs"]["migrate-staging"]["steps"]
                if s.get("id") == "phases")
    assert lines[0] == "##[group]Run " + step["run"].split("\n")[0]
    assert "shell: /usr/bin/bash --noprofile --norc {0}" in lines
    assert lines.index("##[group]install") < lines.index("##[group]build")
    assert "##[error]Phase build failed with exit status 1" in lines
    assert lines[-1] == "##[error]Process completed with exit code 1."


def test_github_log_of_a_job_of_command_steps_is_a_header_per_command():
    """A build written one step a command: each command that ran has its own step header (Run and
    the command, GitHub's default shell), the failing one ends with the runner's exit line, and
    the steps after it are not in the log (GitHub skips them)."""
    p = _one("02-reference.pipe", "web.pre_build[2]", "github")
    lines = [e["text"] for e in p["logs"][0]["lines"]]
    assert not [x for x in lines if x.startswith("+ ")]
    assert lines[0] == "##[group]Run npm ci"
    assert "shell: /usr/bin/bash -e {0}" in lines
    assert lines.index("##[group]Run npm run lint") < lines.index("##[group]Run npm run test")
    assert lines[-1] == "##[error]Process completed with exit code 1."
    assert "##[group]Run npm run build" not in lines  # pre_build failed: build does not run


def test_codebuild_log_runs_every_command_of_the_generated_buildspec():
    """The AWS target adds a cp of the EC2 deployment's appspec.yml to post_build: the simulated
    log runs what the buildspec holds, that command included, pointing at the deployment."""
    import yaml

    from pipec.build import EmitContext, generate_by_target

    pipeline, text = _compile(ROOT / "examples" / "02-reference.pipe")
    files = generate_by_target(pipeline, EmitContext(source="x.pipe", prefix=""), ["aws"])["aws"]
    spec = yaml.safe_load(files["aws/my-app/buildspec/web.yml"])
    p = _one("02-reference.pipe", "web.build[1]")
    ran = [e for e in p["logs"][0]["lines"] if " Running command " in e["text"]]
    post = [e["text"].split(" Running command ", 1)[1] for e in ran][-len(spec["phases"]["post_build"]["commands"]):]
    assert post == spec["phases"]["post_build"]["commands"]
    assert post[-1].startswith("# pipec: CodeDeploy reads appspec.yml") and ran[-1]["line"] == _text_line(text, "deploy web-staging to ec2")


def test_ecs_rolling_update_on_github_prints_what_the_wait_step_prints():
    p = _one("05-monorepo-filters.pipe", "payments-staging", "github")
    lines = [e["text"] for e in p["logs"][0]["lines"]]
    assert lines[0].startswith("##[group]Run ") and "shell: /usr/bin/bash -e {0}" in lines
    assert any(x.startswith("the deployment of ") and x.endswith(" to service payments failed") for x in lines)
    assert not [x for x in lines if x.startswith("+ ") or "Waiter" in x]


def test_why_reads_the_simulated_github_log_without_pipec_notes():
    """What the runner really prints, the '# pipec:' notes taken out, still points to the failing
    command: in a job of command steps, the failed step's header repeats it."""
    from pipec.why import why

    pipeline, text = _compile(ROOT / "examples" / "03-ecs-blue-green-canary.pipe")
    data = simulate_data(pipeline, text, "x.pipe", None, ["image.pre_build[2]"], "github")
    log = "\n".join(e["text"] for e in data["platforms"][0]["logs"][0]["lines"] if not e["text"].startswith("# pipec:"))
    found = why(pipeline, text, log)
    assert [f.line for f in found] == [_text_line(text, 'run "aws ecr get-login-password')]


def _text_line(text: str, needle: str) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "rollback on failure alarm" in p.read_text()],
                         ids=lambda p: p.stem)
def test_an_alarm_after_the_deployment_ended_stops_nothing_and_compare_agrees(path):
    """CodeDeploy watches alarms while a deployment is in progress: simulate and
    --compare-strategies decide alike, minute by minute, whether an alarm rolls back."""
    from pipec.timeline import compare, deployment_end

    pipeline, text = _compile(path)
    for d in [a for a in pipeline.actions() if getattr(a, "rollback", None) and a.rollback.alarms]:
        end = deployment_end(d.strategy, d.platform)
        for minute in range(0, end + 3):
            data = simulate_data(pipeline, text, "x.pipe", "manual", [f"{d.name}.alarm@{minute}"], "aws")
            p = data["platforms"][0]
            if p["results"].get(d.name) in (None, "held", "skipped"):
                continue
            rolled = f"{d.name} rollback" in p["trace"]
            assert rolled == (compare(d, minute)[0].rollback is not None), (d.name, minute)
            assert (p["results"][d.name] == "succeeded") == (minute > end), (d.name, minute)
            if minute > end:
                assert p["after_the_deployment"] and not p["logs"] and not p["points"]


# ----------------------------------------------------------------------------- health checks, timeouts, minimum healthy


def test_ecs_health_check_failure_point():
    pipeline, _text = _compile(ROOT / "examples" / "03-ecs-blue-green-canary.pipe")
    assert "checkout-prod.health" in failure_points_of(pipeline)
    p = _one("03-ecs-blue-green-canary.pipe", "checkout-prod.health")
    lines = [e["text"] for e in p["logs"][0]["lines"]]
    assert any(x.split()[:2] == ["Install", "Failed"] and "health checks of target group checkout-prod-green" in x
               for x in lines)
    assert any("automatic rollback (DEPLOYMENT_FAILURE)" in x for x in lines)
    with pytest.raises(SimulateError):
        parse_failure("image.health", pipeline)


def test_build_timeout_failure_point():
    pipeline, _text = _compile(ROOT / "examples" / "02-reference.pipe")
    assert "web.timeout" in failure_points_of(pipeline) and "release.timeout" in failure_points_of(pipeline)
    aws = _one("02-reference.pipe", "web.timeout")
    log = [e["text"].split(" ", 3)[-1] for e in aws["logs"][0]["lines"]]
    assert "Phase complete: BUILD State: TIMED_OUT" in log
    assert "Entering phase POST_BUILD" not in log and "Entering phase UPLOAD_ARTIFACTS" not in log
    gh = _one("02-reference.pipe", "web.timeout", "github")
    assert any(e["text"].split()[1:] == ["web", "cancelled"] for e in gh["console"])
    assert gh["logs"][0]["lines"][-1]["text"].endswith("has exceeded the maximum execution time of 60 minutes.")
    approval = _one("02-reference.pipe", "release.timeout")
    assert "no response within its timeout (7 days)" in approval["logs"][0]["lines"][0]["text"]
    assert approval["results"]["web-prod"] == "skipped"


def test_a_custom_configuration_says_what_it_is():
    """A minimum-healthy deployment is not 'custom' alone: the configuration's percentage shows,
    and a minimum no fleet can meet is said in --compare-strategies."""
    from pipec.timeline import render_compare

    p = _one("09-database-migration.pipe", "accounts-prod", event="manual")
    head = next(e["text"] for b in p["logs"] for e in b["lines"] if e["text"].startswith("Deployment group of"))
    assert head.endswith("configuration custom (rolling, at least 75% healthy)")
    text = (ROOT / "examples" / "09-database-migration.pipe").read_text(encoding="utf-8").replace(
        "min_healthy 75%", "min_healthy 99%")
    pipeline, _ = compile_text(text, "x.pipe")
    d = next(a for a in pipeline.actions() if a.name == "accounts-prod")
    out = render_compare(d, 3)
    assert "rolling, at least 99% healthy (this pipeline)" in out and "none: the deployment cannot start" in out
    assert "HEALTH_CONSTRAINTS_INVALID: keeping 99% of 4 instances healthy lets none leave service" in out


def test_no_late_alarm_note_for_a_deployment_that_never_ran():
    """--fail web-prod.alarm@20 says the deployment had ended by then; with the approval before it
    rejected, the deployment never runs, and there is nothing to say about its alarms."""
    late = _one("02-reference.pipe", "web-prod.alarm@20", "aws")
    assert late["after_the_deployment"]
    never = simulate_data(*_compile(ROOT / "examples" / "02-reference.pipe"), "x.pipe", None,
                          ["release:reject", "web-prod.alarm@20"], "aws")["platforms"][0]
    assert never["results"].get("web-prod") != "succeeded" and never["after_the_deployment"] == []


@pytest.mark.parametrize("flags", [["--fleet", "6"], ["--notice", "5", "--batch-minutes", "3"]])
def test_comparison_settings_without_a_comparison_are_refused(flags):
    """--notice, --fleet and --batch-minutes shape --compare-strategies only: alone they were
    silently ignored."""
    out = _cli("examples/02-reference.pipe", *flags)
    assert out.returncode == 2 and "only appl" in out.stderr and "--compare-strategies" in out.stderr
    compared = _cli("examples/02-reference.pipe", "--compare-strategies", "web-staging", *flags)
    assert compared.returncode == 0 and "SIMULATED" in compared.stdout


def test_an_object_event_needs_an_s3_source():
    """--event object on a pipeline without an S3 source said 'no run'; with one among others it
    is that source's new object."""
    out = _cli("examples/02-reference.pipe", "--event", "object")
    assert out.returncode == 2 and "not an S3 bucket" in out.stderr and "Traceback" not in out.stderr
    ok = _cli("examples/12-everything-else.pipe", "--event", "object")
    assert ok.returncode == 0 and "a new version of the S3 object of source fonts" in ok.stdout


def test_a_failure_point_the_run_never_reaches_is_said():
    """Two --fail points where the first stops the run: the second was left out silently."""
    out = _cli("examples/02-reference.pipe", "--target", "aws", "--fail", "web.build[1]", "--fail",
               "web-prod.alarm@3")
    assert out.returncode == 0
    assert "Note: --fail web-prod.alarm@3: the run never got there (web-prod: skipped)" in out.stdout
    assert "never got there" not in _cli("examples/02-reference.pipe", "--target", "aws", "--fail",
                                         "web.build[1]").stdout
