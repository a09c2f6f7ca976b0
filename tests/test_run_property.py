"""What act executes equals what ``pipec.simulate`` predicts (docs/equivalence.md).

Generated pipelines of shell-only build and test actions (stages, run orders, parallel blocks,
any subset of the four phases, ``finally`` commands, ``on_failure continue``, artifacts) whose
every command writes a marker, ``PIPEC-MARK JOB PHASE I $CODEBUILD_BUILD_SUCCEEDING``, and ends
with ``false`` at drawn failure points (``exit`` would end the build's one shell: W530). The GitHub workflow pipec emits for each is run by act
(host mode, offline, the run copy of ``pipec run``), and the trace read back from the markers,
the artifacts in the run folder's store and act's job results must equal
``simulate(from_model(pipeline, "github"), failing)``.

The markers go to a file (``$PIPEC_TRACE``), not through act's log: act 0.2.89 reads a host
step's output from a pseudo-terminal and may deliver the last lines of a failing step after the
job's result, or not at all (``pipec run`` starts each step's shell through a program that
waits a moment after a failure, which helps but cannot be sure under load); a file records
exactly what ran, in order.

The per-phase workflow that came before the one-step build job differed from simulate in one
case, found here: in an action without a ``build`` phase, a failing ``finally`` command of a phase
with ``on_failure continue`` failed the job at that step, so the artifacts were not uploaded;
simulate (CodeBuild's rule) continues and uploads. The one-step job decides the upload in the
script (``upload-artifacts``), and the case is drawn again.

Jobs run in parallel under act, so traces are compared per job (simulate's own order "says
nothing about timing"); a job that never started is ``skip JOB``.

Several pipelines share one act run (one workflow each, distinct job ids): each Hypothesis
example is a batch of :data:`BATCH` pipelines, and the test runs :data:`EXAMPLES` batches, 200
pipelines in all, 2,000 with ``PIPEC_DEEP=1``. :func:`test_the_property_catches_an_emitter_bug`
shows it failing for a mutated GitHub emitter.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import pipec
from pipec import plan
from pipec.build import EmitContext, generate
from pipec.simulate import failure_points, simulate
from pipec.targets.github import emit as github_emit
from pipec.targets.github.run import find_act, log, prepare_many

BATCH = 8
EXAMPLES = 250 if os.environ.get("PIPEC_DEEP") else 25
PHASES = ("install", "pre_build", "build", "post_build")


# ----------------------------------------------------------------------------- generation


@st.composite
def build_actions(draw, name: str):
    """(text of a build or test action, its failure points)."""
    failing: set = set()
    lines = [f"    {draw(st.sampled_from(['build', 'test']))} {name} {{"]
    names = draw(st.lists(st.sampled_from(PHASES), min_size=1, max_size=4, unique=True))
    artifact = draw(st.booleans())
    for phase in (p for p in PHASES if p in names):
        lines.append(f"      {phase} {{")
        cont = draw(st.integers(0, 4)) == 0
        for i in range(draw(st.integers(1, 2))):
            fails = draw(st.integers(0, 5)) == 0
            tail = " && false" if fails else ""
            lines.append(f'        run "echo PIPEC-MARK {name} {phase} {i} $CODEBUILD_BUILD_SUCCEEDING >> $PIPEC_TRACE{tail}"')
            if fails:
                failing.add(("command", name, phase, i))
        for i in range(draw(st.integers(0, 2))):
            fails = draw(st.integers(0, 5)) == 0
            tail = " && false" if fails else ""
            lines.append(f'        finally "echo PIPEC-MARK {name} {phase} finally {i} >> $PIPEC_TRACE{tail}"')
            if fails:
                failing.add(("finally", name, phase, i))
        if cont:
            lines.append("        on_failure continue")
        lines.append("      }")
    if artifact:
        lines.append(f'      artifact {name}-out files "marker.txt"')
    lines.append("    }")
    return "\n".join(lines), failing


@st.composite
def pipelines(draw, k: int):
    """(pipeline text, failure points) of pipeline number ``k``."""
    failing: set = set()
    body = [f"pipeline p{k} {{", f'  source app github "acme/p{k}" {{', "    branch main",
            "    on push branches main", "  }"]
    for s in range(draw(st.integers(1, 2))):
        body.append(f"  stage s{s} {{")
        n = draw(st.integers(1, 2))
        parallel = n > 1 and draw(st.booleans())
        if parallel:
            body.append("    parallel {")
        for a in range(n):
            text, points = draw(build_actions(f"p{k}s{s}a{a}"))
            body.append(text)
            failing |= points
        if parallel:
            body.append("    }")
        body.append("  }")
    body.append("}")
    return "\n".join(body) + "\n", frozenset(failing)


# ----------------------------------------------------------------------------- act's trace


def act_traces(cases, tmp: Path) -> tuple[list[dict], list[dict]]:
    """Run every case's workflow in one act run: (expected, got) traces per case, each a dict
    job -> its lines."""
    items, expected, plans = [], [], []
    for text, failing in cases:
        pipeline, _ = pipec.compile_text(text, "gen.pipe")
        files = generate(pipeline, EmitContext(source="gen.pipe", prefix=""), ["github"])
        p = plan.from_model(pipeline, "github")
        assert failing <= set(failure_points(p))
        items.append((pipeline, files, None))
        plans.append(p)
        expected.append(_by_job(simulate(p, failing)))
    root = tmp / "repo"
    root.mkdir()
    (root / "marker.txt").write_text("marker\n", encoding="utf-8")
    # the markers go to a file, so the pause pipec run makes after a failing step (for act's log)
    # is not needed here: it would cost 0.3 s per failing step
    prepared = prepare_many(items, tmp / "run", root, "push", {}, False, find_act(), pause_after_failure=False)
    # a small environment: the jobs inherit it (host mode), and the emitted phase steps save every
    # shell variable between steps, so fewer variables make a run about a quarter cheaper
    env = {k: v for k, v in prepared.env.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "GIT_TERMINAL_PROMPT")}
    trace = tmp / "trace"
    trace.write_text("", encoding="utf-8")
    env["PIPEC_TRACE"] = str(trace)
    done = subprocess.run(prepared.argv, cwd=prepared.cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    lines: dict[str, list[str]] = {}
    for line in trace.read_text(encoding="utf-8").splitlines():
        words = line.split()
        job, phase = words[1], words[2]
        if words[3] == "finally":
            lines.setdefault(job, []).append(f"{job} {phase} finally #{words[4]}")
            continue
        if words[3] == "0" and _when(plans, job, phase) == "after-build":
            lines.setdefault(job, []).append(f"{job} {phase} succeeding={words[4]}")
        lines.setdefault(job, []).append(f"{job} {phase} #{words[3]}")
    store = tmp / "run" / "store" / "artifacts"
    results = {ev.job: ev.text for ev in map(log.parse, done.stdout.splitlines() + done.stderr.splitlines())
               if ev is not None and ev.kind == "job-result"}
    for p in plans:
        for j in p.jobs:
            for artifact in j.get("outputs", ()):
                if (store / artifact.name).is_dir():
                    lines.setdefault(j.id, []).append(f"{j.id} upload {artifact.name}")
            if j.id in results:
                lines.setdefault(j.id, []).append(f"{j.id} {'ok' if results[j.id] == 'success' else 'failed'}")
    got = []
    for p in plans:
        got.append({j.id: lines.get(j.id, [f"skip {j.id}"]) for j in p.jobs})
    return expected, got


def _when(plans, job: str, phase: str) -> str | None:
    for p in plans:
        for j in p.jobs:
            if j.id == job:
                return next((ph.when for ph in j.get("phases", ()) if ph.name == phase), None)
    return None


def _by_job(trace) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in trace:
        words = line.split()
        job = words[1] if words[0] in ("skip", "held") else words[0]
        out.setdefault(job, []).append(line)
    return out


def check(cases) -> None:
    with tempfile.TemporaryDirectory(prefix="pipec-prop-") as tmp:
        expected, got = act_traces(cases, Path(tmp))
    for (text, failing), want, have in zip(cases, expected, got):
        for job in want:
            assert have.get(job) == want[job], (f"failing {sorted(failing)}: job {job}\n  simulate: {want[job]}\n"
                                                f"  act:      {have.get(job)}\n{text}")


def batches():
    return st.tuples(*(pipelines(k) for k in range(BATCH)))


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(batches())
def test_act_runs_what_simulate_predicts(cases):
    check(list(cases))


# ----------------------------------------------------------------------------- the property bites


def test_the_property_catches_an_emitter_bug(monkeypatch):
    """With a mutated GitHub emitter (jobs lose their ``needs``, as MUTATIONS in
    tests/test_equivalence.py), act runs a job that simulate says is skipped."""
    case = ("""pipeline mut {
  source app github "acme/mut" {
    branch main
    on push branches main
  }
  stage one {
    build first {
      build "echo PIPEC-MARK first build 0 $CODEBUILD_BUILD_SUCCEEDING >> $PIPEC_TRACE && false"
    }
  }
  stage two {
    test second {
      build "echo PIPEC-MARK second build 0 $CODEBUILD_BUILD_SUCCEEDING >> $PIPEC_TRACE"
    }
  }
}
""", frozenset({("command", "first", "build", 0)}))
    check([case])  # the property holds for the real emitter
    original = github_emit._Workflow.job

    def job_without_needs(self, *args, **kwargs):
        job = original(self, *args, **kwargs)
        job.pop("needs", None)
        return job

    monkeypatch.setattr(github_emit._Workflow, "job", job_without_needs)
    with pytest.raises(AssertionError, match="failing"):
        check([case])
