"""Deployment timelines (pipec.timeline) and ``pipec simulate --compare-strategies``: the invariants
of issue 29 as properties, plus the comparison goldens (tests/golden-simulate/compare-*.txt)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipec import compile_text, model
from pipec.timeline import minimum_healthy, play, render_compare

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
GOLDEN = Path(__file__).resolve().parent / "golden-simulate"
REGEN = os.environ.get("PIPEC_REGEN") == "1"

percents = st.integers(1, 99)
minutes = st.integers(1, 30)


@st.composite
def strategies(draw):
    platform = draw(st.sampled_from(["ec2", "ecs", "lambda"]))
    kinds = {"ec2": ["all-at-once", "rolling", "blue-green"], "ecs": ["rolling", "blue-green", "canary", "linear"],
             "lambda": ["all-at-once", "canary", "linear"]}[platform]
    kind = draw(st.sampled_from(kinds))
    if kind in ("canary", "linear"):
        s = model.Strategy(kind, percent=draw(percents), interval_minutes=draw(minutes))
    elif kind == "rolling" and platform == "ec2":
        batch = draw(st.sampled_from(["one-at-a-time", "half-at-a-time", "min_healthy"]))
        s = model.Strategy(kind, batch=batch, percent=draw(percents) if batch == "min_healthy" else None)
    elif kind == "blue-green":
        s = model.Strategy(kind, terminate_after_minutes=draw(st.none() | st.integers(0, 60)))
    else:
        s = model.Strategy(kind)
    return s, platform


RUNS = settings(max_examples=300, deadline=None)


@RUNS
@given(strategies(), st.integers(1, 20), st.integers(1, 5), st.none() | st.integers(0, 60), st.booleans())
def test_traffic_always_sums_to_100(sp, fleet, step, detect, rollback):
    s, platform = sp
    r = play(s, platform, fleet, step, detect, rollback)
    assert [m.minute for m in r.timeline] == list(range(len(r.timeline)))
    for m in r.timeline:
        assert m.old + m.new + m.unserved == 100 and min(m.old, m.new, m.unserved) >= 0


@RUNS
@given(strategies(), st.integers(1, 20), st.integers(1, 5), st.none() | st.integers(0, 60), st.booleans())
def test_canary_exposure_never_exceeds_its_percentage(sp, fleet, step, detect, rollback):
    s, platform = sp
    if s.kind != "canary":
        return
    r = play(s, platform, fleet, step, detect, rollback)
    start = step if platform == "ecs" else 0  # the replacement task set starts first on ECS
    for m in r.timeline:
        if m.minute < start + s.interval_minutes:
            assert m.new <= s.percent, m


@RUNS
@given(strategies(), st.integers(1, 20), st.integers(1, 5), st.none() | st.integers(0, 60), st.booleans())
def test_healthy_capacity_never_below_the_configured_minimum(sp, fleet, step, detect, rollback):
    s, platform = sp
    r = play(s, platform, fleet, step, detect, rollback)
    floor = minimum_healthy(s, platform, fleet)
    if floor is None:
        assert all(m.healthy is None for m in r.timeline)
        return
    assert all(m.healthy >= floor for m in r.timeline)
    if s.batch == "min_healthy":
        assert floor >= math.ceil(fleet * s.percent / 100)
    if s.batch == "one-at-a-time":
        assert floor == fleet - 1
    if s.kind in ("blue-green", "canary", "linear") or platform == "ecs":
        assert floor == fleet  # a replacement fleet: the original keeps serving


def test_rollback_comparison_terms():
    """The seed's table: all at once has downtime, blue/green rolls back at once and costs double."""
    S = model.Strategy
    aao = play(S("all-at-once"), "ec2", 4, 2, 3)
    bg = play(S("blue-green", terminate_after_minutes=60), "ec2", 4, 2, 3)
    one = play(S("rolling", batch="one-at-a-time"), "ec2", 4, 2, 3)
    canary = play(S("canary", percent=10, interval_minutes=5), "ecs", 4, 2, 3)
    assert aao.downtime > 0 and bg.downtime == one.downtime == canary.downtime == 0
    assert bg.rollback == canary.rollback == 1 < one.rollback
    assert bg.extra == 100 and one.extra == aao.extra == 0
    assert canary.peak_exposure == 10 < one.peak_exposure < bg.peak_exposure == 100


def _deploys():
    for path in EXAMPLES:
        pipeline, _ = compile_text(path.read_text(encoding="utf-8"), f"examples/{path.name}")
        for a in pipeline.actions():
            if isinstance(a, model.Deploy):
                yield path, a


DEPLOYS = list(_deploys())


@pytest.mark.parametrize("path", sorted({p for p, _ in DEPLOYS}), ids=lambda p: p.stem)
def test_golden_compare(path):
    text = "".join(f"### pipec simulate examples/{path.name} --compare-strategies {d.name}\n"
                   + render_compare(d, 3) + "\n" for p, d in DEPLOYS if p == path)
    golden = GOLDEN / f"compare-{path.stem}.txt"
    if REGEN:
        golden.write_bytes(text.encode("utf-8"))
    assert golden.is_file(), f"missing {golden}; run with PIPEC_REGEN=1"
    assert text.encode("utf-8") == golden.read_bytes(), f"{golden.name} differs; PIPEC_REGEN=1 to update"


def test_cli_compare(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "pipec", "simulate", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=60)

    ok = run("examples/03-ecs-blue-green-canary.pipe", "--compare-strategies", "checkout-prod",
             "--fail", "checkout-prod.alarm@4")
    assert ok.returncode == 0 and "noticed 4 minutes" in ok.stdout and "(this pipeline)" in ok.stdout
    bad = run("examples/03-ecs-blue-green-canary.pipe", "--compare-strategies", "image")
    assert bad.returncode == 2 and "hint:" in bad.stderr and "Traceback" not in bad.stderr
    rng = run("examples/03-ecs-blue-green-canary.pipe", "--compare-strategies", "checkout-prod", "--fleet", "0")
    assert rng.returncode == 2 and "Traceback" not in rng.stderr


@pytest.mark.parametrize("batch", ["one-at-a-time", "half-at-a-time"])
def test_in_place_rollback_speed_is_until_no_traffic_reaches_the_bad_version(batch):
    """docs/simulate.md's one definition: the minutes from the notice until no traffic reaches the
    bad version. An in-place rollback gets there when the last bad batch leaves service to be
    redeployed, before that redeploy ends (it said 5 minutes for 02's web-staging, whose chart
    shows 0% from minute 6 with the notice at 3)."""
    from pipec import model
    from pipec.timeline import play

    detect = 3
    s = play(model.Strategy("rolling", batch=batch), "ec2", detect=detect)
    assert s.rollback is not None
    rows = s.timeline
    assert rows[detect + s.rollback].new == 0
    assert all(r.new > 0 for r in rows[detect:detect + s.rollback])
