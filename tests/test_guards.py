"""Issue 22 items 1, 2, 5, 15, 18 and 20 on GitHub (targets/github/guards.py): the run lock,
change sets executed after their parallel block, the branch guard of runs started by hand and the
environments' branch policies, W519, pull-request runs bound to GitHub, and approval gates that
fail closed. Each test fails without its fix; the plan-level checks are in tests/test_equivalence.py
(FLOW_PIPELINES and the mutations)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import pipec
from pipec import plan
from pipec.build import EmitContext, generate, write
from pipec.simulate import simulate
from pipec.targets.aws import emit as aws
from pipec.targets.github import emit as github

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipelines import FLOW_PIPELINES  # noqa: E402
from validators import load_workflow  # noqa: E402


def build(text: str, name: str = "flow.pipe"):
    """(pipeline, files, warnings) of both targets."""
    pipeline, _ = pipec.compile_text(text, name)
    ctx = EmitContext(source=name, prefix="")
    files = generate(pipeline, ctx, ["aws", "github"])
    return pipeline, files, ctx.warnings


def workflow(files) -> dict:
    return load_workflow(next(v for k, v in files.items() if k.startswith(".github/workflows/")))


def both_plans(text: str):
    pipeline, files, _ = build(text)
    with tempfile.TemporaryDirectory() as d:
        write(d, files)
        return pipeline, aws.read(d, pipeline.name), github.read(d, pipeline.name)


FLOW = FLOW_PIPELINES["change-set-in-block"]
PRS = FLOW_PIPELINES["pull-requests-on-github"]


# ----------------------------------------------------------------------------- item 1: the lock


def test_one_lock_covers_the_whole_run():
    """deploy site-staging then test smoke: a group per job let run 2's deploy in between."""
    _, files, _ = build(FLOW)
    wf = workflow(files)
    assert wf["concurrency"] == {"group": "flow"}
    assert [k for k, j in wf["jobs"].items() if "concurrency" in j] == []
    _, pa, pg = both_plans(FLOW)
    assert (pa.lock, pg.lock) == ("stage", "run")


def test_a_group_per_job_reads_as_interleaving_stages():
    pipeline, files, _ = build(FLOW)
    wf = workflow(files)
    text = next(v for k, v in files.items() if k.startswith(".github/workflows/"))
    per_job = text.replace("concurrency:\n  group: flow\n", "")
    for key in wf["jobs"]:
        per_job = per_job.replace(f"\n  {key}:\n", f"\n  {key}:\n    concurrency:\n      group: flow-{key}\n"
                                                    "      cancel-in-progress: false\n", 1)
    with tempfile.TemporaryDirectory() as d:
        write(d, {**files, next(k for k in files if k.startswith(".github/")): per_job})
        got = github.read(d, pipeline.name)
    assert got.lock == "job" and got != plan.from_model(pipeline, "github")


def test_parallel_mode_has_no_lock():
    _, files, _ = build(FLOW.replace("pipeline flow {", "pipeline flow {\n  mode parallel"))
    assert "concurrency" not in workflow(files)
    _, pa, pg = both_plans(FLOW.replace("pipeline flow {", "pipeline flow {\n  mode parallel"))
    assert (pa.lock, pg.lock) == ("none", "none")


# ----------------------------------------------------------------------------- item 2: change sets


def test_change_set_waits_for_its_parallel_block():
    _, files, _ = build(FLOW)
    assert workflow(files)["jobs"]["stack"]["needs"] == ["web", "integration"]
    _, pa, pg = both_plans(FLOW)
    failing = {("command", "integration", "build", 0)}
    for p in (pa, pg):
        assert "skip stack" in simulate(p, failing)
    assert simulate(pa, failing) == simulate(pg, failing)


def test_two_change_sets_in_one_block_do_not_wait_for_each_other():
    text = FLOW.replace("""      test integration {
        build "make integration"
      }""", """      deploy db to cloudformation {
        from infra
        stack "flow-db"
        template "template.yaml"
        change_set flow-db
      }""")
    _, files, _ = build(text)
    jobs = workflow(files)["jobs"]
    assert jobs["stack"]["needs"] == "web" and jobs["db"]["needs"] == "web"
    _, pa, pg = both_plans(text)
    assert pa.job("stack").after == pg.job("stack").after == frozenset({"web"})


# ----------------------------------------------------------------------------- item 5: manual runs


GUARD = "github.event_name != 'workflow_dispatch' || github.ref == 'refs/heads/main'"


def test_runs_started_by_hand_go_through_on_the_source_branch_only():
    _, files, _ = build(FLOW)
    jobs = workflow(files)["jobs"]
    assert jobs["web"]["if"] == GUARD
    assert all("if" not in j or GUARD not in j["if"] for k, j in jobs.items() if k != "web")
    _, _, pg = both_plans(FLOW)
    assert pg.manual_branch == "main"


def test_environments_of_deployments_allow_the_source_branch():
    _, files, _ = build(FLOW)
    staging = json.loads(files["github/flow/environments/staging.json"])
    assert staging["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}
    assert staging["branch_policies"] == [{"name": "main", "type": "branch"}]
    assert "-f name='main' -f type=branch" in files["github/flow/environments/apply.sh"]


def test_push_tags_become_tag_policies_and_globs_leave_none():
    tags = FLOW.replace("    on push branches main\n", "    on push branches main\n    on push tags v1 v2\n")
    _, files, _ = build(tags)
    policies = json.loads(files["github/flow/environments/staging.json"])["branch_policies"]
    assert policies == [{"name": "main", "type": "branch"}, {"name": "v1", "type": "tag"},
                        {"name": "v2", "type": "tag"}]
    assert "-f name='v1' -f type=tag" in files["github/flow/environments/apply.sh"]
    globs = FLOW.replace("on push branches main", 'on push branches main "release/**"')
    _, files, _ = build(globs)
    assert json.loads(files["github/flow/environments/staging.json"])["deployment_branch_policy"] is None
    assert workflow(files)["jobs"]["web"]["if"] == GUARD  # the guard holds without a policy


def test_no_guard_without_a_manual_trigger():
    _, files, _ = build(FLOW.replace("    on manual\n", ""))
    assert "if" not in workflow(files)["jobs"]["web"]


def test_deployment_environments_keep_a_branch_policy_without_a_manual_trigger():
    """A deployment role trusts its job by environment (the OIDC sub claim names only the
    environment), so anyone who can push a branch could push a workflow naming 'staging' and take
    the role: the environment's branch policy limits it to the branches the pipeline runs from,
    with or without 'on manual' (an outside review of example 13 found the production roles of
    other accounts open to any branch)."""
    _, files, _ = build(FLOW.replace("    on manual\n", ""))
    env = json.loads(files["github/flow/environments/staging.json"])
    assert env["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}
    assert env["branch_policies"] == [{"name": "main", "type": "branch"}]
    # the deploy jobs check the policy only when a run may come from any branch (started by hand)
    steps = [st.get("name", "") for job in workflow(files)["jobs"].values() for st in job["steps"]]
    assert not any(name.startswith("Check the protection of environment staging") for name in steps)


# ----------------------------------------------------------------------------- item 15: W519


def test_w519_once_where_a_tag_trigger_both_platforms_watch():
    """Only a tag trigger raises W519 (the three-tag rule); the pushes GitHub skips for every
    pipeline ([skip ci], GITHUB_TOKEN) are named in its help, not warned on alone."""
    _, _, warnings = build(FLOW)
    assert "W519" not in [w.code for w in warnings]
    tags = FLOW.replace("    on push branches main\n", "    on push branches main\n    on push tags v1\n    on push tags v2\n")
    _, _, warnings = build(tags)
    w519 = [w for w in warnings if w.code == "W519"]
    assert len(w519) == 1 and "more than three tags" in w519[0].help and "[skip ci]" in w519[0].help
    assert (w519[0].span.line, w519[0].span.column) == (5, 5)


def test_no_w519_for_pushes_bound_to_one_platform():
    _, _, warnings = build(FLOW.replace("on push branches main", "on push tags v1 via github"))
    assert "W519" not in [w.code for w in warnings]


# ----------------------------------------------------------------------------- item 18: pull requests


def test_pull_request_runs_bound_to_github_skip_deployments():
    pipeline, files, _ = build(PRS)
    jobs = workflow(files)["jobs"]
    assert jobs["site"]["if"] == "github.event_name != 'pull_request'"
    assert "if" not in jobs["web"]
    _, _, pg = both_plans(PRS)
    assert pg.pull_request_skips == frozenset({"site"})


def test_w506_hint_binds_the_trigger_and_names_the_guard():
    text = PRS.replace(" via github", "")
    diags = [d for d in pipec.compile_text(text, "prs.pipe")[1] if d.code == "W506"]
    assert diags and "'on pull_request ... via github'" in diags[0].help
    assert "skip every deployment" in diags[0].help and "stage ... via github" not in diags[0].help
    assert "W506" not in [d.code for d in pipec.compile_text(PRS, "prs.pipe")[1]]


def test_pull_request_runs_bound_to_github_have_a_group_per_pull_request():
    """They deploy nothing, so they must not replace a waiting run that delivers."""
    _, files, _ = build(PRS)
    group = workflow(files)["concurrency"]["group"]
    assert group == ("${{ github.event_name == 'pull_request' && format('{0}-pull-request-{1}', 'prs', "
                     "github.event.pull_request.number) || 'prs' }}")
    _, files, _ = build(PRS.replace(" via github", ""))  # pull requests deploy on both: one lock
    assert workflow(files)["concurrency"]["group"] == "prs"


def test_approvals_skip_pull_request_runs_on_their_request_job():
    text = PRS.replace("  stage release {\n", '  stage release {\n    approve go {\n      message "ok?"\n'
                       '      notify email "team@example.com"\n    }\n')
    _, files, _ = build(text)
    jobs = workflow(files)["jobs"]
    assert jobs["go-request"]["if"] == "github.event_name != 'pull_request'"
    assert "if" not in jobs["go"]
    _, _, pg = both_plans(text)
    assert pg.pull_request_skips == frozenset({"go", "site"})


def test_an_approval_without_notify_is_one_job_with_the_message_in_its_summary():
    """Only 'notify' needs a job before the gate (issue 24): without it the gate job alone holds
    the message and link (its environment's url, its summary) and the pull-request condition."""
    text = PRS.replace("  stage release {\n", '  stage release {\n    approve go {\n      message "ok?"\n'
                       '      url "https://staging.example.com"\n    }\n')
    _, files, _ = build(text)
    jobs = workflow(files)["jobs"]
    assert "go-request" not in jobs
    assert jobs["go"]["if"] == "github.event_name != 'pull_request'"
    assert jobs["go"]["environment"] == {"name": "go", "url": "https://staging.example.com"}
    assert jobs["go"]["timeout-minutes"] == 5
    (approved,) = [s for s in jobs["go"]["steps"] if s["name"] == "Approved"]
    assert approved["env"] == {"ACTION": "go", "MESSAGE": "ok?", "URL": "https://staging.example.com"}
    _, pa, pg = both_plans(text)
    assert pg.job("go").get("message") == pa.job("go").get("message") == "ok?"
    assert pg.job("go").get("url") == pa.job("go").get("url") == "https://staging.example.com"


# ----------------------------------------------------------------------------- item 20: gates


def _protection_step(files, job: str) -> dict:
    (step,) = [s for s in workflow(files)["jobs"][job]["steps"] if s.get("name", "").startswith("Check the protection")]
    return step


#: a stand-in ``gh`` for ``gh api PATH --jq FILTER``: prints FILTER applied (by libjq, through
#: the jq library of the test extras) to the environment in $ENV_JSON, or fails with 404 as the
#: API does for an environment that does not exist
GH_STUB = f"""#!{sys.executable}
import json, os, sys
import jq
args = sys.argv[1:]
assert args[0] == "api" and args[1] == "repos/acme/flow/environments/" + os.environ["ENVIRONMENT"], args
body = os.environ.get("ENV_JSON")
if body is None:
    sys.exit("gh: Not Found (HTTP 404)")
print(jq.compile(args[args.index("--jq") + 1]).input_value(json.loads(body)).first())
"""


def _run_check(step: dict, environment: dict | None, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run the step's script with the stand-in ``gh``; ``environment`` is the REST API's answer."""
    fake = tmp_path / "gh"
    fake.write_text(GH_STUB)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, **{k: str(v) for k, v in step["env"].items()}, "PATH": f"{tmp_path}:{os.environ['PATH']}",
           "GITHUB_REPOSITORY": "acme/flow"}
    env.pop("ENV_JSON", None)
    if environment is not None:
        env["ENV_JSON"] = json.dumps(environment)
    return subprocess.run(["bash", "-c", step["run"]], env=env, capture_output=True, text=True)


#: GET /repos/{owner}/{repo}/environments/{name} answers (docs/targets.md "Stage locks, guards and gates")
REVIEWERS = {"type": "required_reviewers", "id": 1, "reviewers": [{"type": "Team"}]}
POLICY = {"protected_branches": False, "custom_branch_policies": True}
PROTECTED = {"name": "x", "protection_rules": [{"type": "wait_timer", "wait_timer": 0}, REVIEWERS],
             "deployment_branch_policy": POLICY}
BARE = {"name": "x", "protection_rules": [], "deployment_branch_policy": None}  # made by a workflow run


def test_approval_gate_fails_without_required_reviewers(tmp_path):
    _, files, _ = build(FLOW)
    jobs = workflow(files)["jobs"]
    step = _protection_step(files, "release")
    assert jobs["release"]["steps"][0]["name"] == step["name"]  # before anything else
    assert jobs["release"]["permissions"]["actions"] == "read"
    assert step["env"]["REQUIRE"] == "reviewers branches"
    ok = _run_check(step, PROTECTED, tmp_path)
    assert ok.returncode == 0, ok.stderr + ok.stdout
    bare = _run_check(step, BARE, tmp_path)
    assert bare.returncode == 1 and "must have its reviewers rule and has none" in bare.stdout
    assert "github/flow/environments/apply.sh" in bare.stdout
    assert _run_check(step, {**PROTECTED, "deployment_branch_policy": None}, tmp_path).returncode == 1
    no_rules = {k: v for k, v in PROTECTED.items() if k != "protection_rules"}
    assert _run_check(step, no_rules, tmp_path).returncode == 1
    missing = _run_check(step, None, tmp_path)
    assert missing.returncode == 1 and "has nothing (it cannot be read)" in missing.stdout


def test_deployments_with_a_branch_policy_fail_without_it(tmp_path):
    _, files, _ = build(FLOW)
    step = _protection_step(files, "site-staging")
    assert step["env"]["REQUIRE"] == "branches"
    assert _run_check(step, {**BARE, "deployment_branch_policy": POLICY}, tmp_path).returncode == 0
    assert "must have its branches rule and has none" in _run_check(step, BARE, tmp_path).stdout
    # no policy, no check: a deployment without 'on manual' runs as before
    _, files, _ = build(FLOW.replace("    on manual\n", ""))
    assert [s for s in workflow(files)["jobs"]["site-staging"]["steps"] if s.get("name", "").startswith("Check")] == []


def test_the_gate_reads_as_closed_only_with_its_check():
    _, pa, pg = both_plans(FLOW)
    assert pa.job("release").get("gate") == pg.job("release").get("gate") == "closed"


@pytest.mark.parametrize("name", sorted(FLOW_PIPELINES))
def test_flow_pipelines_read_back_as_their_model(name):
    pipeline, pa, pg = both_plans(FLOW_PIPELINES[name])
    assert pa == plan.from_model(pipeline, "aws")
    assert pg == plan.from_model(pipeline, "github")
