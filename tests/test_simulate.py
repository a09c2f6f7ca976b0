"""The failure-path simulator (pipec.simulate): exact traces for each rule on small hand-made
plans, and every example's plans on both platforms run deterministically."""

from __future__ import annotations

import random
from pathlib import Path

from pipec.node import evolve
import pytest

import pipec
from pipec import plan
from pipec.plan import Artifact, Job, Phase, Plan
from pipec.simulate import failure_points, simulate

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.pipe"))


def build(jid, *phases, after=(), outputs=(), held=False):
    return Job(jid, "build", frozenset(after), held=held,
               spec=plan.spec(phases=tuple(phases), outputs=tuple(Artifact(o, ("**/*",)) for o in outputs)))


def deploy(jid, after=(), rollback=(), alarms=()):
    return Job(jid, "deploy", frozenset(after),
               spec=plan.spec(platform="ecs", rollback=tuple(sorted(rollback)), alarms=tuple(alarms)))


def mk(*jobs):
    return Plan("p", "aws", jobs=tuple(sorted(jobs, key=lambda j: j.id)))


def cmd(job, phase, i):
    return ("command", job, phase, i)


FOUR = build("b",
             Phase("install", ("i0", "i1")),
             Phase("pre_build", ("p0",)),
             Phase("build", ("b0", "b1")),
             Phase("post_build", ("q0",), when="after-build"),
             outputs=("dist",))


# ----------------------------------------------------------------------------- build phases


def test_all_succeed():
    assert simulate(mk(FOUR), frozenset()) == (
        "b install #0", "b install #1", "b pre_build #0", "b build #0", "b build #1",
        "b post_build succeeding=1", "b post_build #0", "b upload dist", "b ok")


def test_post_build_and_upload_after_a_failed_build():
    assert simulate(mk(FOUR), frozenset({cmd("b", "build", 0)})) == (
        "b install #0", "b install #1", "b pre_build #0", "b build #0",
        "b post_build succeeding=0", "b post_build #0", "b upload dist", "b failed")


def test_nothing_after_a_failed_install():
    assert simulate(mk(FOUR), frozenset({cmd("b", "install", 0)})) == ("b install #0", "b failed")


def test_nothing_after_a_failed_pre_build():
    assert simulate(mk(FOUR), frozenset({cmd("b", "pre_build", 0)})) == (
        "b install #0", "b install #1", "b pre_build #0", "b failed")


def test_failed_post_build_still_uploads():
    assert simulate(mk(FOUR), frozenset({cmd("b", "post_build", 0)}))[-3:] == (
        "b post_build #0", "b upload dist", "b failed")


def test_finally_after_a_failing_command():
    job = build("b", Phase("build", ("c0", "c1", "c2"), ("f0", "f1")), Phase("post_build", ("q",), when="after-build"))
    assert simulate(mk(job), frozenset({cmd("b", "build", 0)})) == (
        "b build #0", "b build finally #0", "b build finally #1",
        "b post_build succeeding=0", "b post_build #0", "b failed")


def test_failing_finally_fails_the_phase_and_stops_the_finally_block():
    job = build("b", Phase("install", ("i",), ("f0", "f1")), Phase("build", ("c",)))
    assert simulate(mk(job), frozenset({("finally", "b", "install", 0)})) == (
        "b install #0", "b install finally #0", "b failed")


def test_finally_of_a_phase_that_never_ran_does_not_run():
    job = build("b", Phase("install", ("i",)), Phase("pre_build", ("p",), ("f",)), Phase("build", ("c",)))
    assert simulate(mk(job), frozenset({cmd("b", "install", 0)})) == ("b install #0", "b failed")


def test_continue_runs_the_next_phases_and_fails_the_job():
    job = build("b", Phase("install", ("i0", "i1"), on_failure="continue"), Phase("pre_build", ("p",)),
                Phase("build", ("c",)), Phase("post_build", ("q",), when="after-build"), outputs=("out",))
    assert simulate(mk(job), frozenset({cmd("b", "install", 0)})) == (
        "b install #0", "b pre_build #0", "b build #0",
        "b post_build succeeding=0", "b post_build #0", "b upload out", "b failed")


def test_continue_then_abort_stops():
    job = build("b", Phase("install", ("i",), on_failure="continue"), Phase("pre_build", ("p",)), Phase("build", ("c",)))
    assert simulate(mk(job), frozenset({cmd("b", "install", 0), cmd("b", "pre_build", 0)})) == (
        "b install #0", "b pre_build #0", "b failed")


def test_without_a_build_phase_uploads_when_the_empty_build_phase_is_reached():
    """CodeBuild passes through its BUILD phase with no commands too: a failed install stops
    the upload, a failed post_build does not ("UPLOAD_ARTIFACTS ... always attempted")."""
    job = build("b", Phase("install", ("i",)), Phase("post_build", ("q",)), outputs=("out",))
    assert simulate(mk(job), frozenset()) == ("b install #0", "b post_build #0", "b upload out", "b ok")
    assert simulate(mk(job), frozenset({cmd("b", "install", 0)})) == ("b install #0", "b failed")
    assert simulate(mk(job), frozenset({cmd("b", "post_build", 0)})) == (
        "b install #0", "b post_build #0", "b upload out", "b failed")


def test_after_build_phase_needs_the_build_phase_to_have_started():
    job = build("b", Phase("install", ("i",)), Phase("build", ("c",)), Phase("post_build", ("q",), when="after-build"),
                outputs=("out",))
    assert simulate(mk(job), frozenset({cmd("b", "install", 0)})) == ("b install #0", "b failed")


# ----------------------------------------------------------------------------- jobs and ordering


def test_later_jobs_skipped_after_a_failure():
    p = mk(build("a", Phase("build", ("x",))), build("b", Phase("build", ("y",)), after={"a"}),
           deploy("c", after={"a", "b"}))
    assert simulate(p, frozenset({cmd("a", "build", 0)})) == ("a build #0", "a failed", "skip b", "skip c")


def test_parallel_jobs_both_run_when_one_fails():
    p = mk(build("src", Phase("build", ("s",))),
           build("lint", Phase("build", ("l",)), after={"src"}),
           build("unit", Phase("build", ("u",)), after={"src"}),
           deploy("ship", after={"src", "lint", "unit"}))
    assert simulate(p, frozenset({cmd("lint", "build", 0)})) == (
        "src build #0", "src ok", "lint build #0", "lint failed", "unit build #0", "unit ok", "skip ship")


def test_order_is_topological_then_by_id():
    p = mk(build("z", Phase("build", ("z",))), build("a", Phase("build", ("a",)), after={"z"}),
           build("m", Phase("build", ("m",))))
    assert [line for line in simulate(p, frozenset()) if line.endswith(" ok")] == ["m ok", "z ok", "a ok"]


def test_rollback_on_deployment_failure():
    p = mk(deploy("d", rollback={"DEPLOYMENT_FAILURE"}))
    assert simulate(p, frozenset({("deploy", "d")})) == ("d deploy", "d rollback", "d failed")
    assert simulate(p, frozenset()) == ("d deploy", "d ok")
    assert simulate(mk(deploy("d")), frozenset({("deploy", "d")})) == ("d deploy", "d failed")


def test_rollback_on_alarm():
    p = mk(deploy("d", rollback={"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"}, alarms=("errors",)),
           deploy("e", after={"d"}))
    assert simulate(p, frozenset({("alarm", "d")})) == (
        "d deploy", "d stopped by alarm", "d rollback", "d failed", "skip e")
    no_rollback = mk(deploy("d", alarms=("errors",)))
    assert simulate(no_rollback, frozenset({("alarm", "d")})) == ("d deploy", "d stopped by alarm", "d failed")


def test_alarm_without_alarms_changes_nothing():
    p = mk(deploy("d", rollback={"DEPLOYMENT_FAILURE"}))
    assert simulate(p, frozenset({("alarm", "d")})) == simulate(p, frozenset()) == ("d deploy", "d ok")
    assert ("alarm", "d") not in failure_points(p)


def test_approval_and_other_actions():
    p = mk(Job("gate", "approval"), Job("stack", "stack", frozenset({"gate"})),
           Job("site", "bucket", frozenset({"gate", "stack"})))
    assert simulate(p, frozenset()) == ("gate approved", "stack ok", "site ok")
    assert simulate(p, frozenset({("reject", "gate")})) == ("gate rejected", "skip stack", "skip site")
    assert simulate(p, frozenset({("deploy", "stack")})) == ("gate approved", "stack failed", "skip site")


def test_held_and_released():
    p = mk(build("a", Phase("build", ("x",))), deploy("b", after={"a"}), deploy("c", after={"a", "b"}))
    held = mk(*(evolve(j, held=j.id == "b") for j in p.jobs))
    assert simulate(held, frozenset()) == ("a build #0", "a ok", "held b", "skip c")
    assert simulate(held, frozenset(), released=frozenset({"b"})) == simulate(p, frozenset())
    # a held job that the execution never reaches is skipped, not held
    assert simulate(held, frozenset({cmd("a", "build", 0)})) == ("a build #0", "a failed", "skip b", "skip c")



def test_bad_inputs_are_refused():
    p = mk(FOUR)
    with pytest.raises(ValueError):
        simulate(p, frozenset({cmd("b", "build", 5)}))
    with pytest.raises(ValueError):
        simulate(p, frozenset({("deploy", "b")}))
    with pytest.raises(ValueError):
        simulate(p, frozenset(), released=frozenset({"nope"}))
    with pytest.raises(ValueError):
        simulate(mk(build("a", Phase("build", ("x",)), after={"b"}), build("b", Phase("build", ("y",)), after={"a"})),
                 frozenset())


def test_failure_points():
    p = mk(FOUR, deploy("d", after={"b"}, alarms=("x",)), Job("g", "approval"))
    assert failure_points(p) == (
        cmd("b", "install", 0), cmd("b", "install", 1), cmd("b", "pre_build", 0), cmd("b", "build", 0),
        cmd("b", "build", 1), cmd("b", "post_build", 0), ("deploy", "d"), ("alarm", "d"), ("reject", "g"))


# ----------------------------------------------------------------------------- the examples


@pytest.fixture(scope="module")
def example_plans():
    out = []
    for path in EXAMPLES:
        pipeline, _ = pipec.compile_file(str(path))
        for platform in ("aws", "github"):
            out.append((f"{path.name}:{platform}", plan.from_model(pipeline, platform)))
    return out


def test_examples_simulate_deterministically(example_plans):
    assert example_plans
    rng = random.Random(20261126)
    for name, p in example_plans:
        points = failure_points(p)
        held = frozenset(j.id for j in p.jobs if j.held)
        every = simulate(p, frozenset(), released=held)
        assert every[-1].split()[-1] in ("ok", "approved"), name
        assert not any(line.startswith(("skip ", "held ")) for line in every), name
        sets = [frozenset(), frozenset(points)] + [frozenset(rng.sample(points, rng.randint(1, min(3, len(points)))))
                                                   for _ in range(6)]
        sets += [frozenset({pt}) for pt in points]
        for failing in sets:
            for rel in (frozenset(), held):
                trace = simulate(p, failing, released=rel)
                # the same again, from the points in another iteration order
                shuffled = list(failing)
                rng.shuffle(shuffled)
                assert simulate(p, shuffled, released=rel) == trace, name
                # one result line per job that ran, and every job accounted for once
                ids = {j.id for j in p.jobs}
                assert sum(1 for line in trace if _result(line, ids)) == len(ids), (name, trace)
            if failing:
                # with every job released all commands run, so the first point reached shows
                assert simulate(p, failing, released=held) != every, (name, failing)


def _result(line, ids):
    words = line.split(" ")
    if words[0] in ("skip", "held") and len(words) == 2 and words[1] in ids:
        return True
    return len(words) == 2 and words[0] in ids and words[1] in ("ok", "failed", "approved", "rejected")



def test_example_10_held_transition(example_plans):
    for name, p in example_plans:
        if name.startswith("10-"):
            trace = simulate(p, frozenset())
            assert "held publish" in trace, name
            assert not any(line.startswith("publish ") for line in trace), name
