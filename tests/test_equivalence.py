"""Cross-target equivalence (docs/equivalence.md): the CodePipeline output and the GitHub Actions
output of one pipeline mean the same thing.

1. Plans agree: the plan pipec's semantics give (``plan.from_model``) equals the plan read back
   from each target's files on disk, and the two platforms' plans are equal once the documented
   differences are applied.
3. Failure paths agree: the simulator's traces of both platforms' plans are equal for random
   sets of failures.
4. The properties bite: each mutation of an emitter in :data:`MUTATIONS` makes a property fail.

(Property 2, triggers, is in tests/test_trigger_equivalence.py.)
"""

from __future__ import annotations

import re

import contextlib
import os
import tempfile
from pathlib import Path

import yaml
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import pipec
from support import example_pipes, example_stem, example_text
from pipelines import FLOW_PIPELINES, pipelines
from pipec import deploy_time, plan
from pipec.build import EmitContext, generate, write
from pipec.diagnostics import Diagnostics
from pipec.node import evolve
from pipec.simulate import failure_points, simulate
from pipec.targets.aws import emit as aws
from pipec.targets.github import emit as github

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = example_pipes()  # folder examples (templates) included
#: drawn pipelines per property over generated pipelines: 100 in the suite (it runs in CI under a
#: 10-minute cap; each pipeline is built and its plans read back, about 0.09 s), the deep
#: profile's 10,000 with PIPEC_DEEP=1 (tests/conftest.py)
DRAWN = settings(max_examples=10_000 if os.environ.get("PIPEC_DEEP") == "1" else 100)


def built(text: str, out: Path, filename: str = "gen.pipe"):
    """Compile ``text`` (read from ``filename``: its ``use`` lines are relative to it) and write
    every target's files under ``out`` (the source root too). Returns the model, or None when a
    target refuses it (the refusal is a coded diagnostic)."""
    pipeline, _ = pipec.compile_text(text, filename)
    try:
        files = generate(pipeline, EmitContext(source="gen.pipe", prefix=""), ["aws", "github"])
    except Diagnostics as exc:
        event(f"refused: {exc.diagnostics[0].code}")
        return None
    write(str(out), files)
    return pipeline


def read_both(out: Path, name: str) -> tuple[plan.Plan, plan.Plan | None]:
    pa = aws.read(str(out), name)
    gh_dir = out / ".github" / "workflows"
    pg = github.read(str(out), name) if gh_dir.is_dir() and any(gh_dir.iterdir()) else None
    return pa, pg


def across_platforms(p: plan.Plan) -> plan.Plan:
    """``p`` with the documented differences (docs/equivalence.md) applied, so that the two
    platforms' plans of a pipeline without ``via`` must be equal."""
    jobs = []
    for j in p.jobs:
        sp = dict(j.spec)
        if j.kind == "approval":
            sp.pop("timeout", None)  # W508: GitHub waits 30 days, always
        if j.kind == "deploy":  # W516: a GitHub-hosted job waits at most 6 hours (a self-hosted one as AWS)
            sp["wait"] = min(sp["wait"], deploy_time.GITHUB_HOSTED_JOB_MINUTES)
        if "secrets" in sp:  # GitHub secrets the .pipe maps explicitly
            sp["secrets"] = tuple(s[0] for s in sp["secrets"])
        jobs.append(evolve(j, spec=tuple(sorted(sp.items()))))
    return evolve(
        p, platform="*", concurrency=p.concurrency,
        triggers=frozenset(t for t in p.triggers if t.kind != "manual"),  # always possible on AWS
        variables=(),  # compared on their own in check_plans
        # GitHub locks the whole run, which holds every stage lock (docs/targets.md "Stage locks")
        lock="stage" if p.lock == "run" else p.lock,
        # CodePipeline always builds the source's branch; GitHub guards runs started by hand
        manual_branch=None,
        jobs=tuple(jobs))


def explain(expected: plan.Plan, got: plan.Plan) -> str:
    lines = []
    for field in ("pipeline", "platform", "triggers", "variables", "concurrency", "lock", "manual_branch",
                  "pull_request_skips"):
        if getattr(expected, field) != getattr(got, field):
            lines.append(f"{field}: expected {getattr(expected, field)!r}\n      got {getattr(got, field)!r}")
    ej, gj = {j.id: j for j in expected.jobs}, {j.id: j for j in got.jobs}
    for jid in sorted(set(ej) | set(gj)):
        if ej.get(jid) != gj.get(jid):
            lines.append(f"job {jid}: expected {ej.get(jid)!r}\n      got {gj.get(jid)!r}")
    return "\n".join(lines)


def check_plans(pipeline, out: Path) -> tuple[plan.Plan, plan.Plan | None]:
    pa, pg = read_both(out, pipeline.name)
    want_a = plan.from_model(pipeline, "aws")
    assert pa == want_a, "AWS output differs from the model:\n" + explain(want_a, pa)
    if pg is not None:
        want_g = plan.from_model(pipeline, "github")
        assert pg == want_g, "GitHub output differs from the model:\n" + explain(want_g, pg)
        if not pipeline.is_hybrid:
            # run variables: settable on GitHub when the workflow can be started by hand; without
            # workflow_dispatch, each build job reads their defaults as plain environment variables
            manual = any(t.kind == "manual" for t in pg.triggers)
            assert pg.variables == (pa.variables if manual else ())
            a, g = across_platforms(pa), across_platforms(pg)
            if not manual and pa.variables:
                fixed = set(pa.variables)
                g = evolve(g, jobs=tuple(
                    evolve(j, spec=tuple((k, tuple(e for e in v if e not in fixed)) if k == "env" else (k, v)
                                         for k, v in j.spec)) if j.kind == "build" else j for j in g.jobs))
            assert a == g, "the platforms differ beyond the documented differences:\n" + explain(a, g)
    return pa, pg


@contextlib.contextmanager
def scratch():
    with tempfile.TemporaryDirectory(prefix="pipec-eq-") as d:
        yield Path(d)


# ----------------------------------------------------------------------------- property 1


@pytest.mark.parametrize("example", EXAMPLES, ids=[example_stem(p) for p in EXAMPLES])
def test_examples_plans_agree(example):
    with scratch() as out:
        pipeline = built(example.read_text(encoding="utf-8"), out, str(example))
        assert pipeline is not None
        check_plans(pipeline, out)


@DRAWN
@given(pipelines())
def test_generated_plans_agree(drawn):
    text, used = drawn
    for construct in sorted(used):
        event(f"uses {construct}")
    with scratch() as out:
        pipeline = built(text, out)
        if pipeline is None:
            return
        check_plans(pipeline, out)


# ----------------------------------------------------------------------------- property 3


def both_plans(text: str):
    """(AWS plan, GitHub plan) read from the built outputs of ``text``, or None when a target
    refuses it or the pipeline is hybrid (its platforms run different parts)."""
    with scratch() as out:
        pipeline = built(text, out)
        if pipeline is None:
            return None
        pa, pg = read_both(out, pipeline.name)
    if pg is None or pipeline.is_hybrid:
        return None
    return pa, pg


@DRAWN
@given(pipelines(), st.data())
def test_failure_traces_agree(drawn, data):
    text, _used = drawn
    plans = both_plans(text)
    if plans is None:
        return
    pa, pg = plans
    points = failure_points(pa)
    assert points == failure_points(pg), "the platforms' plans offer different failure points"
    failing = frozenset(data.draw(st.lists(st.sampled_from(points), min_size=1, max_size=4)) if points else [])
    released = frozenset(j.id for j in pa.jobs if j.held) if data.draw(st.booleans()) else frozenset()
    ta = simulate(pa, failing, released=released)
    tg = simulate(pg, failing, released=released)
    event(f"{len(failing)} failure(s)")
    event("some job failed" if any(t.endswith(" failed") for t in ta) else "every job ran")
    assert ta == tg, f"traces differ for {sorted(failing)}:\nAWS    {ta}\nGitHub {tg}"


# ----------------------------------------------------------------------------- property 4


def _wrap(monkeypatch, owner, name, after):
    """Replace ``owner.name`` by a function calling the original, then ``after(result, *args)``."""
    original = getattr(owner, name)

    def patched(*args, **kwargs):
        result = original(*args, **kwargs)
        out = after(result, *args)
        return result if out is None else out

    monkeypatch.setattr(owner, name, patched)


def _drop_needs(monkeypatch):
    _wrap(monkeypatch, github._Workflow, "job", lambda job, *a: job.pop("needs", None) and None)


def _edit_phases_script(monkeypatch, edit):
    """Wrap the GitHub target's phases step so that its script goes through ``edit``."""
    def after(steps, *a):
        for step in steps:
            if step.get("id") == "phases":
                step["run"] = edit(step["run"])
    _wrap(monkeypatch, github._Workflow, "phase_steps", after)


def _post_build_on_success_only(monkeypatch):
    _edit_phases_script(monkeypatch, lambda run: run.replace("pipec_start post_build after-build",
                                                             "pipec_start post_build success"))


def _drop_continue_on_error(monkeypatch):
    _edit_phases_script(monkeypatch, lambda run: re.sub(r"^(pipec_end \w+) continue$", r"\1 abort", run,
                                                        flags=re.M))


def _finally_only_on_success(monkeypatch):
    _edit_phases_script(monkeypatch, lambda run: re.sub(r"^(# \w+: finally)\n\{$", r'\1\n[ "$pipec_failed" = 0 ] && {',
                                                        run, flags=re.M))


def _reorder_phases(monkeypatch):
    def swap(run):
        blocks = run.split("\n\nif pipec_start ")
        names = [b.split(" ", 1)[0] for b in blocks]
        if "build" in names and "post_build" in names:
            i, j = names.index("build"), names.index("post_build")
            tail_i, tail_j = blocks[i].split("\nfi", 1), blocks[j].split("\nfi", 1)
            blocks[i], blocks[j] = tail_j[0] + "\nfi" + tail_i[1], tail_i[0] + "\nfi" + tail_j[1]
        return "\n\nif pipec_start ".join(blocks)
    _edit_phases_script(monkeypatch, swap)


def _failed_phase_does_not_stop(monkeypatch):
    from pipec.targets.github import phases as github_phases

    monkeypatch.setattr(github_phases, "PHASES_PRELUDE",
                        github_phases.PHASES_PRELUDE.replace("then pipec_stopped=1; fi", "then :; fi"))


def _buildspec_without_shell(monkeypatch):
    from pipec.targets.aws import buildspec

    def after(data, *a):
        data.get("env", {}).pop("shell", None)
        if data.get("env") == {}:
            del data["env"]
    _wrap(monkeypatch, buildspec, "emit", after)


def _lose_excludes(monkeypatch):
    def after(criteria, *a):
        return type(criteria)(Includes=criteria.Includes)
    _wrap(monkeypatch, aws._Builder, "filter_criteria", after)


def _drop_alarms(monkeypatch):
    def after(result, builder, d):
        for res in builder.t.resources.values():
            if res.resource_type == "AWS::CodeDeploy::DeploymentGroup" and "AlarmConfiguration" in res.properties:
                del res.properties["AlarmConfiguration"]
    _wrap(monkeypatch, aws._Builder, "deployment_group", after)


def _placed_region_dropped(monkeypatch):
    """Actions placed in another Region run in the pipeline's (their Region left out)."""
    from pipec.targets.aws import accounts

    def after(made, *args):
        for a in made:
            a.properties.pop("Region", None)
    _wrap(monkeypatch, accounts.Places, "action", after)


def _placed_jobs_in_the_pipelines_account(monkeypatch):
    """Jobs placed in another account assume a role of the pipeline's account instead."""
    def after(step, wf, job):
        if wf.p.account:
            step["with"]["role-to-assume"] = re.sub(r"::[0-9]{12}:", f"::{wf.p.account}:", step["with"]["role-to-assume"])
    _wrap(monkeypatch, github._Workflow, "credentials", after)


def _own_place_only(p, act):
    """Where ``act`` runs by its own aws { } block alone, its stage's left out (the mutation of
    the two :func:`_stage_place_ignored` mutations)."""
    account, region = getattr(act, "account", None), getattr(act, "region", None)
    account, region = (None if account == p.account else account), (None if region == p.region else region)
    return (account, region) if account or region else None


def _stage_place_ignored(target: str):
    """A target that places actions by their own aws { } block only, not their stage's."""
    def apply(monkeypatch):
        if target == "aws":
            from pipec.targets.aws import accounts, checks

            def own(p, act):
                where = _own_place_only(p, act)
                return None if where is None else (where[0] or p.account, where[1] or p.region)
            monkeypatch.setattr(checks, "place_of", own)
            monkeypatch.setattr(accounts, "place_of", own)
        else:
            from pipec.targets.github import places

            monkeypatch.setattr(places, "place_of", _own_place_only)
    return apply


def _no_rollback_on_failure(monkeypatch):
    def after(result, builder, d):
        for res in builder.t.resources.values():
            if res.resource_type == "AWS::CodeDeploy::DeploymentGroup":
                conf = res.properties.get("AutoRollbackConfiguration")
                if conf is not None and "DEPLOYMENT_FAILURE" in conf.properties.get("Events", []):
                    conf.properties["Events"] = [e for e in conf.properties["Events"] if e != "DEPLOYMENT_FAILURE"]
    _wrap(monkeypatch, aws._Builder, "deployment_group", after)


def _lock_per_job(monkeypatch):
    """Issue 22 item 1 reintroduced: a concurrency group per job, so a stage's jobs interleave
    with another run's."""
    monkeypatch.setattr(github._Workflow, "run_lock", lambda self: None)

    def after(job, wf, act, *a):
        if wf.p.mode != "parallel":
            job["concurrency"] = {"group": f"{wf.workflow}-{act.name}", "cancel-in-progress": False}
    _wrap(monkeypatch, github._Workflow, "job", after)


def _change_set_beside_its_block(monkeypatch):
    """Item 2: the stack job executes its change set without waiting for its parallel block."""
    monkeypatch.setattr(github._Workflow, "block_needs", lambda self, group: None)


def _manual_runs_on_any_branch(monkeypatch):
    """Item 5: no branch guard on the first jobs of a workflow started by hand."""
    from pipec.targets.github import guards

    monkeypatch.setattr(guards, "manual_guard", lambda branch: None)


def _pull_requests_deploy(monkeypatch):
    """Item 18: deployments run in pull-request runs bound to GitHub."""
    monkeypatch.setattr(github._Workflow, "pull_requests_skip_deploys", lambda self: False)


def _gates_fail_open(monkeypatch):
    """Item 20: approval jobs pass without checking their environment's reviewers."""
    monkeypatch.setattr(github._Workflow, "protect", lambda self, on, kinds: None)


def _drop_finally_from_buildspec(monkeypatch):
    from pipec.targets.aws import buildspec

    def after(phase, *a):
        if isinstance(phase, dict):
            phase.pop("finally", None)
    _wrap(monkeypatch, buildspec, "_phase", after)


def _env_wins_over_variables(monkeypatch):
    """Issue 22, item 3: the build's env replaces a pipeline variable of the same name on GitHub."""
    from pipec.targets.escape import expression_text

    def after(job, wf, b, *a):
        for e in b.env:
            if any(v.name == e.name for v in wf.p.variables):
                job.setdefault("env", {})[e.name] = expression_text(str(e.value))
    _wrap(monkeypatch, github._Workflow, "build_job", after)


def _variables_not_passed_to_codebuild(monkeypatch):
    """Issue 22, item 3, on AWS: without the action's EnvironmentVariables, the project's env
    (the build's ``env``) is what the build sees."""
    def after(actions, *a):
        for action in actions:
            action.Configuration.pop("EnvironmentVariables", None)
    _wrap(monkeypatch, aws._Builder, "build_action", after)


def _no_commit_variable(monkeypatch):
    """Issue 22, item 10: the GitHub build jobs lack CODEBUILD_RESOLVED_SOURCE_VERSION (the
    workflow's env, where the built-ins of the same meaning are)."""
    def after(result, wf, *a):
        wf.workflow_env.pop("CODEBUILD_RESOLVED_SOURCE_VERSION", None)
    _wrap(monkeypatch, github._Workflow, "shared_env", after)


def _execute_newest_change_set(monkeypatch):
    """Issue 22 item 14 as it was: the GitHub stack job executes the newest CREATE_COMPLETE
    change set of the stack, whichever run (or CodePipeline) created it."""
    from pipec.targets.github import stacks

    original = stacks.change_set_lines

    def newest(*args, **kwargs):
        return [('CHANGE_SET=$(aws cloudformation list-change-sets --stack-name "$STACK" --query '
                 '"sort_by(Summaries[?Status==\'CREATE_COMPLETE\'], &CreationTime)[-1].ChangeSetId" --output text)')
                if "execute-change-set" in line else line for line in original(*args, **kwargs)] + [
            'aws cloudformation execute-change-set --change-set-name "$CHANGE_SET"']
    monkeypatch.setattr(stacks, "change_set_lines", newest)


def _no_deploy_time_budget(monkeypatch):
    """Issue 22 item 6 as it was: the deploy steps name no timeout, so the job's 360 minutes apply
    whatever CodePipeline waits."""
    from pipec.targets.github import waits

    def none(self, d, job, step):
        return 360
    monkeypatch.setattr(waits.Waits, "deploy_wait", none)


def _ecs_waits_for_services_stable(monkeypatch):
    """Issue 22 item 7 as it was: 'aws ecs wait services-stable', which gives up after 10 minutes
    and calls a rolled-back service stable."""
    from pipec.targets.github import waits

    monkeypatch.setattr(waits, "ECS_ROLLOUT", ['aws ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE"',
                                               'echo "service $SERVICE runs $NEW"'])


def _push_without_dotfiles(monkeypatch):
    """Issue 22 item 8 as it was: the EC2 revision pushed with --ignore-hidden-files."""
    def after(job, self, d, *a):
        for step in job.get("steps", ()):
            if "aws deploy push" in step.get("run", ""):
                step["run"] = step["run"].replace("--no-ignore-hidden-files", "--ignore-hidden-files")
    _wrap(monkeypatch, github._Workflow, "deploy_job", after)


def _build_without_its_role(monkeypatch):
    """Issue 22 item 11 as it was: a build with aws { role } gets no credentials of that role on
    GitHub (its commands' 'aws ...' calls work on CodeBuild only)."""
    from pipec.targets.github import build_credentials

    original = build_credentials.BuildCredentials.build_credentials

    def own_role_only(self, b, jid, job):
        return original(self, b, jid, job)[:1]
    monkeypatch.setattr(build_credentials.BuildCredentials, "build_credentials", own_role_only)


def _upload_folder_without_modes(monkeypatch):
    """Issue 22 item 9 as it was: the staged folder uploaded as it is, which upload-artifact zips
    without the files' modes."""
    from pipec.targets.github import artifacts

    def after(steps, *a):
        for step in steps:
            if step.get("name", "").startswith("Collect artifact "):
                step["run"] = step["run"].replace("\n" + artifacts.PACK, "")
            elif step.get("name", "").startswith("Upload artifact "):
                step["with"]["path"] = step["with"]["path"].removesuffix(".tar")
    _wrap(monkeypatch, github._Workflow, "upload_steps", after)


def _command_steps_edit(monkeypatch, edit):
    """Wrap the one-step-a-command form so that its steps go through ``edit``."""
    from pipec.targets.github import phases as github_phases

    original = github_phases.command_steps

    def edited(*args, **kwargs):
        return edit(original(*args, **kwargs))
    monkeypatch.setattr(github_phases, "command_steps", edited)


def _post_build_steps_on_success_only(monkeypatch):
    _command_steps_edit(monkeypatch, lambda steps: [
        {k: v for k, v in st.items() if k != "if"} if st["id"].startswith("post_build") else st for st in steps])


def _command_steps_under_errexit(monkeypatch):
    """Every command step under GitHub's default shell, bash -e: 'a; b' stops at a failing a."""
    _command_steps_edit(monkeypatch, lambda steps: [{k: v for k, v in st.items() if k != "shell"} for st in steps])


def _shell_state_split_into_steps(monkeypatch):
    """One step a command even where a cd or a variable carries to the next command."""
    from pipec.targets.github import phases as github_phases

    monkeypatch.setattr(github_phases, "plain", lambda b, input_env: not input_env and not any(
        fin or on_failure != "abort" for _, _, fin, on_failure in github_phases._phases(b)))


def _queued_without_queue(monkeypatch):
    """Mode queued as it was: the superseded group, where a third run replaces the waiting one."""
    def after(lock, *a):
        if isinstance(lock, dict):
            lock.pop("queue", None)
    _wrap(monkeypatch, github._Workflow, "run_lock", after)


def _batch_drops_an_axis(monkeypatch):
    """A matrix's last axis left out of CodeBuild's batch tasks (their cells merge)."""
    from pipec.targets.aws import batch

    original = batch.batch

    def dropped(b):
        out = original(b)
        if out is not None:
            for task in out["build-list"]:
                variables = task["env"]["variables"]
                variables.pop(list(variables)[-1])
        return out
    monkeypatch.setattr(batch, "batch", dropped)


def _strategy_drops_an_axis(monkeypatch):
    """A matrix's last axis left out of GitHub's strategy.matrix."""
    from pipec.targets.github.matrix import Matrices

    original = Matrices.strategy

    def dropped(m):
        out = original(m)
        axis = [k for k in out["matrix"] if k not in ("include", "exclude")][-1]
        del out["matrix"][axis]
        for key in ("include", "exclude"):
            for cell in out["matrix"].get(key, ()):
                cell.pop(axis, None)
        return out
    monkeypatch.setattr(Matrices, "strategy", staticmethod(dropped))


def _runner_changed(platform):
    def apply(monkeypatch):
        """The build's platform runs on GitHub's Linux x86_64 runner."""
        from pipec.targets.github import matrix

        monkeypatch.setitem(matrix.RUNNERS, platform, "ubuntu-24.04")
    return apply


def _arm_on_x86(monkeypatch):
    """An arm64 build in CodeBuild's x86_64 environment."""
    from pipec.targets.aws import batch

    monkeypatch.setitem(batch.ENVIRONMENTS, ("linux", "arm64"), ("LINUX_CONTAINER", "aws/codebuild/standard:7.0"))


#: mutation -> (how, the properties expected to catch it)
MUTATIONS = {
    "AWS: a matrix axis dropped from the batch's tasks": (_batch_drops_an_axis, {"plans"}),
    "GitHub: a matrix axis dropped from strategy.matrix": (_strategy_drops_an_axis, {"plans"}),
    "GitHub: Windows builds on the Linux runner": (_runner_changed(("windows", "x86_64")), {"plans"}),
    "GitHub: arm64 builds on the x86_64 runner": (_runner_changed(("linux", "arm64")), {"plans"}),
    "AWS: arm64 builds in the x86_64 environment": (_arm_on_x86, {"plans"}),
    "GitHub: mode queued without queue: max": (_queued_without_queue, {"plans"}),
    "GitHub: post_build command steps only after a successful build": (_post_build_steps_on_success_only,
                                                                        {"plans"}),
    "GitHub: command steps under bash -e": (_command_steps_under_errexit, {"plans"}),
    "GitHub: commands that share shell state split into steps": (_shell_state_split_into_steps, {"plans"}),
    "GitHub: drop every job's needs": (_drop_needs, {"plans", "traces"}),
    "GitHub: post_build only after a successful build": (_post_build_on_success_only, {"plans", "traces"}),
    "GitHub: on_failure continue becomes abort": (_drop_continue_on_error, {"plans", "traces"}),
    "GitHub: finally only after successful commands": (_finally_only_on_success, {"plans", "traces"}),
    "GitHub: build and post_build steps swapped": (_reorder_phases, {"plans"}),
    "GitHub: a failed phase does not stop the later ones": (_failed_phase_does_not_stop, {"plans", "traces"}),
    "AWS: buildspec runs CodeBuild's default shell": (_buildspec_without_shell, {"plans"}),
    "AWS: trigger excludes lost": (_lose_excludes, {"plans"}),
    # the deployment groups of both platforms come from the AWS target's builder, so these
    # change both outputs alike: the traces agree, and comparing with the model catches them
    "AWS: deployment alarms dropped": (_drop_alarms, {"plans"}),
    "AWS: no rollback on a failed deployment": (_no_rollback_on_failure, {"plans"}),
    "GitHub: '?' passed to GitHub as written": (None, {"triggers"}),
    "AWS: finally commands dropped from buildspecs": (_drop_finally_from_buildspec, {"plans", "traces"}),
    "GitHub: a build's env wins over a pipeline variable": (_env_wins_over_variables, {"plans"}),
    "AWS: pipeline variables not passed to CodeBuild actions": (_variables_not_passed_to_codebuild, {"plans"}),
    "GitHub: CODEBUILD_RESOLVED_SOURCE_VERSION not set": (_no_commit_variable, {"plans"}),
    "GitHub: stack job executes the newest change set, not its own by name": (_execute_newest_change_set, {"plans"}),
    "GitHub: deploy steps without a time budget": (_no_deploy_time_budget, {"plans"}),
    "GitHub: ECS rolling update waits for services-stable": (_ecs_waits_for_services_stable, {"plans"}),
    "GitHub: EC2 revision pushed without dot-files": (_push_without_dotfiles, {"plans"}),
    "GitHub: a build with aws { role } runs without that role": (_build_without_its_role, {"plans"}),
    "GitHub: artifacts uploaded without their file modes": (_upload_folder_without_modes, {"plans"}),
    "GitHub: a concurrency group per job (stages interleave)": (_lock_per_job, {"plans"}),
    "GitHub: change set executed beside its parallel block": (_change_set_beside_its_block, {"plans", "traces"}),
    "GitHub: runs started by hand on any branch": (_manual_runs_on_any_branch, {"plans"}),
    "GitHub: pull-request runs bound to GitHub deploy": (_pull_requests_deploy, {"plans"}),
    "GitHub: approval gates that pass without reviewers": (_gates_fail_open, {"plans"}),
    # issue 27: where an action runs is part of both plans
    "AWS: an action placed in another Region runs in the pipeline's": (_placed_region_dropped, {"plans"}),
    "GitHub: a job placed in another account assumes the pipeline account's role": (
        _placed_jobs_in_the_pipelines_account, {"plans"}),
    "AWS: actions placed by their own aws { } block only, not their stage's": (_stage_place_ignored("aws"), {"plans"}),
    "GitHub: jobs placed by their own aws { } block only, not their stage's": (
        _stage_place_ignored("github"), {"plans"}),
}


def _plans_hold(text: str) -> None:
    with scratch() as out:
        pipeline = built(text, out)
        if pipeline is not None:
            check_plans(pipeline, out)


def _traces_hold(text: str, seed: int) -> None:
    import random

    plans = both_plans(text)
    if plans is None:
        return
    pa, pg = plans
    points = failure_points(pa)
    rng = random.Random(seed)
    for _ in range(8):
        failing = frozenset(rng.sample(points, min(len(points), rng.randint(1, 3)))) if points else frozenset()
        assert simulate(pa, failing) == simulate(pg, failing), sorted(failing)


def _first_failure(check) -> str | None:
    """Run ``check`` on every example and :data:`FLOW_PIPELINES`, then on generated pipelines;
    the first failure, or None."""
    from hypothesis import HealthCheck, Phase, settings

    for example in EXAMPLES:
        try:
            check(example_text(example))
        except (AssertionError, ValueError, KeyError) as exc:
            return f"{example_stem(example)}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    for name, text in FLOW_PIPELINES.items():
        try:
            check(text)
        except (AssertionError, ValueError, KeyError) as exc:
            return f"{name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"

    @settings(max_examples=60, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(pipelines())
    def generated(drawn):
        check(drawn[0])

    try:
        generated()
    except (AssertionError, ValueError, KeyError) as exc:
        return f"generated: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    return None


def _naive_question_mark(monkeypatch):
    """GitHub's '?' is 'zero or one of the preceding character'; pipec's is one character."""
    from pipec.targets.github import patterns as github_patterns

    original = github_patterns.translate_pattern

    def naive(pattern):
        if "?" in pattern:
            return (pattern,)
        return original(pattern)

    monkeypatch.setattr(github_patterns, "translate_pattern", naive)


MUTATIONS["GitHub: '?' passed to GitHub as written"] = (_naive_question_mark, {"triggers"})


def _triggers_hold(_text: str) -> None:
    """Property 2 on a pipeline whose trigger uses '?', for a spread of branch names."""
    import test_trigger_equivalence as t2

    text = ('pipeline q {\n  source app github "acme/q" {\n    branch main\n    on push branches "v?"\n'
            '  }\n  stage s {\n    build b {\n      build "make"\n    }\n  }\n}\n')
    pipeline, _ = pipec.compile_text(text, "q.pipe")
    files = t2._build(pipeline, "github")
    if isinstance(files, Diagnostics):  # refused (E409): nothing to disagree with
        return
    workflow = next(v for k, v in files.items() if k.startswith(".github/workflows/"))
    for branch in ("v", "v1", "vv", "v12", "main", ""):
        ev = t2.Event("push", branch)
        assert t2.github_decides(workflow, ev) == t2.model_decides(pipeline, "github", ev), branch


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutation_is_caught(mutation, monkeypatch):
    apply, catchers = MUTATIONS[mutation]
    apply(monkeypatch)
    checks = {"plans": _plans_hold, "traces": lambda text: _traces_hold(text, 7), "triggers": _triggers_hold}
    for prop in sorted(catchers):
        assert _first_failure(checks[prop]) is not None, f"property '{prop}' did not catch: {mutation}"


def test_unmutated_emitters_pass_the_mutation_checks():
    """The checks used above pass without a mutation (so a caught mutation is the mutation's doing)."""
    assert _first_failure(_plans_hold) is None
    assert _first_failure(lambda text: _traces_hold(text, 7)) is None
    _triggers_hold("")


def test_a_container_job_gets_the_containers_source_directory():
    """${{ github.workspace }} is the runner's path even in a container job (actions/runner issue
    2058), so the workflow's CODEBUILD_SRC_DIR would name a folder the container does not have: a
    container job sets it from the container's GITHUB_WORKSPACE first, and reads back equal."""
    text = """pipeline box {
  source app github "acme/box" {
    on push branches main
  }
  stage build {
    build web {
      image docker "public.ecr.aws/docker/library/python:3.12@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      build "make -C $CODEBUILD_SRC_DIR"
    }
  }
}
"""
    with scratch() as out:
        pipeline = built(text, out)
        check_plans(pipeline, out)
        wf = yaml.safe_load((out / ".github" / "workflows" / "box.yml").read_text(encoding="utf-8"))
    steps = wf["jobs"]["web"]["steps"]
    names = [st.get("name") for st in steps]
    fix = names.index("CodeBuild's source directory in the container")
    assert steps[fix]["run"] == 'echo "CODEBUILD_SRC_DIR=$GITHUB_WORKSPACE" >> "$GITHUB_ENV"'
    assert fix < next(i for i, st in enumerate(steps) if st.get("id") == "build")


def test_a_container_jobs_own_steps_run_in_bash():
    """A run step in a container job runs in sh unless it names a shell (GitHub docs, "Running
    jobs in a container"), and pipec's own steps are bash scripts: the secrets step (<<<) and the
    artifact collection (arrays, shopt) failed there. The job defaults to bash, reads back equal,
    and W524 says that the image's AWS CLI fetches the secrets on GitHub."""
    text = """pipeline box {
  source app github "acme/box" {
    on push branches main
  }
  stage build {
    build web {
      image docker "public.ecr.aws/docker/library/python:3.12@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      secret TOKEN from ssm "/box/token"
      build "make dist"
      artifact dist files "**/*" base dist
    }
  }
}
"""
    from support import diagnose

    diags = diagnose(text, "box.pipe", platform_warnings=True)
    assert any(d.code == "W524" and "Fetch secrets" in d.message for d in diags)
    with scratch() as out:
        pipeline = built(text, out)
        check_plans(pipeline, out)
        wf = yaml.safe_load((out / ".github" / "workflows" / "box.yml").read_text(encoding="utf-8"))
    job = wf["jobs"]["web"]
    assert job["defaults"] == {"run": {"shell": "bash"}}
    bash_only = [st["name"] for st in job["steps"] if "run" in st and "name" in st
                 and ("<<<" in st["run"] or "shopt" in st["run"])]
    assert bash_only == ["Fetch secrets", "Collect artifact dist"]


def test_a_pull_request_only_workflow_deploys_nothing():
    """A workflow whose only event is a pull request bound to GitHub still guards its
    deployments: a pull-request run never deploys (docs/language.md, "on pull_request"). The
    guard was left out when the workflow had no other event, and the Lambda deployment ran on
    every pull request."""
    text = """pipeline gen {
  source app github "acme/gen" {
    branch main
    on pull_request opened via github
  }
  stage build {
    build web {
      build "make"
    }
  }
  stage ship {
    deploy fn to lambda {
      function fn-web
      alias live
      strategy all-at-once
    }
  }
}
"""
    with scratch() as out:
        pipeline = built(text, out)
        _pa, pg = check_plans(pipeline, out)
        assert pg.pull_request_skips == frozenset({"fn"})


def test_a_workflow_of_pull_requests_only_skips_its_deployments_there():
    """A pipeline whose only trigger is a pull request bound to GitHub: its deployment job is
    skipped on pull-request runs as in every other workflow (the property test found the job
    running there, without the guard, once it drew this pipeline)."""
    text = """pipeline gen {
  source app github "acme/gen" {
    branch main
    on pull_request opened into "a" via github
  }
  stage s0 {
    build a1 {
      from app
      install "make"
    }
    deploy a2 to lambda {
      function fn-a2
      alias live
      strategy all-at-once
      rollback on failure
    }
  }
}
"""
    with scratch() as out:
        pipeline = built(text, out)
        check_plans(pipeline, out)
        workflow = yaml.safe_load((out / ".github" / "workflows" / "gen.yml").read_text())
        assert "github.event_name != 'pull_request'" in workflow["jobs"]["a2"]["if"]
