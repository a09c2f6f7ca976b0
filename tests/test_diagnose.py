"""The targets' diagnose path reports what emitting reports (issue 18).

``pipec check`` and the language server ask each target's ``diagnose`` module
(:data:`pipec.targets.DIAGNOSERS`) for its diagnostics instead of making the files. These tests
hold it to the emitters: for every example, exercise and error example, for valid pipelines drawn
by tests/pipelines.py and for token mutations of the examples, the diagnose path gives the same
diagnostics (codes, spans, messages, hints, notes, in the same order) as
:func:`pipec.build.generate_by_target`, errors or warnings. And that the bound under which the
diagnose path trusts a template to stay within CloudFormation's quotas holds for every example.
"""

from __future__ import annotations

from pathlib import Path

import pipelines as P
import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipec
from support import example_pipes
from pipec.build import EmitContext, diagnose_by_target, generate_by_target
from pipec.diagnostics import Diagnostics
from pipec.targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*example_pipes(), *ROOT.glob("examples/exercises/*.pipe"),
                *ROOT.glob("tests/errors/*.pipe")])
EXAMPLES = example_pipes()  # folder examples (templates) included


def _reported(run, pipeline, names) -> tuple[str, list[dict]]:
    ctx = EmitContext(source="pipeline.pipe", prefix="")
    try:
        run(pipeline, ctx, names)
    except Diagnostics as exc:
        return "errors", [d.to_dict() for d in exc.diagnostics]
    return "warnings", [d.to_dict() for d in ctx.warnings]


def assert_same(text: str, path: str = "pipeline.pipe") -> bool:
    """Whether ``text`` compiled; if so, the diagnose path must report what emitting does, for
    every target alone and for all of them."""
    try:
        pipeline, _ = pipec.compile_text(text, path)
    except Diagnostics:
        return False
    for names in ([name] for name in TARGETS):
        assert _reported(diagnose_by_target, pipeline, names) == _reported(generate_by_target, pipeline, names)
    names = list(TARGETS)
    assert _reported(diagnose_by_target, pipeline, names) == _reported(generate_by_target, pipeline, names)
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_files_diagnose_as_they_emit(path):
    assert_same(path.read_text(encoding="utf-8"), str(path))


def test_the_files_cover_the_targets_codes():
    """The files above reach the targets' own codes, errors and warnings, through the diagnose path
    (not only through its fallback to emitting)."""
    from pipec.targets.aws import diagnose as aws_diagnose
    from pipec.targets.github import diagnose as github_diagnose

    seen = set()
    for path in FILES:
        try:
            pipeline, _ = pipec.compile_text(path.read_text(encoding="utf-8"), str(path))
        except Diagnostics:
            continue
        ctx = EmitContext(source="pipeline.pipe", prefix="")
        if aws_diagnose.needs_files(pipeline) or github_diagnose.needs_files(pipeline, ctx):
            continue
        seen.update(d["code"] for d in _reported(diagnose_by_target, pipeline, list(TARGETS))[1])
    assert {"E407", "E408", "E409", "E410", "E411", "W508", "W509", "W510", "W511", "W512", "W513",
            "W515", "W516", "W519"} <= seen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(P.pipelines())
def test_generated_pipelines_diagnose_as_they_emit(drawn):
    text, _constructs = drawn
    assert assert_same(text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_examples_diagnose_as_they_emit(data):
    path = data.draw(st.sampled_from(EXAMPLES))
    assert_same(data.draw(S.mutations(path.read_text(encoding="utf-8"))), str(path))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_templates_stay_far_below_the_quotas_the_diagnose_path_assumes(path):
    """:data:`pipec.targets.aws.diagnose.EMIT_ABOVE`: a pipeline of at most that many sources,
    triggers and actions that places actions in other accounts or Regions (whose templates the
    bounds do not cover) is trusted to make templates within CloudFormation's quotas (500
    resources, 200 outputs, 200 parameters). Every example's templates must grow slowly enough
    per source, trigger and action for that bound to hold with room to spare (half of each
    quota)."""
    import yaml

    from pipec.targets.aws.diagnose import EMIT_ABOVE, size

    pipeline, _ = pipec.compile_text(path.read_text(encoding="utf-8"), str(path))
    files = generate_by_target(pipeline, EmitContext(source=path.name, prefix=""), list(TARGETS))
    units = size(pipeline)
    for made in files.values():
        for rel, text in made.items():
            if not rel.endswith(".template.yaml"):
                continue
            data = yaml.load(text, Loader=_CfnLoader)
            for key, quota in (("Resources", 500), ("Outputs", 200), ("Parameters", 200)):
                per_unit = len(data.get(key) or {}) / units
                assert per_unit * EMIT_ABOVE <= quota / 2, (rel, key, per_unit)


def _counts(text: str) -> tuple[int, int, int]:
    import yaml

    data = yaml.load(text, Loader=_CfnLoader)
    return tuple(len(data.get(key) or {}) for key in ("Resources", "Outputs", "Parameters"))


def _with_copies(pipeline, copies: int):
    """``pipeline`` with ``copies`` more of each action in its stage, renamed (and their outputs
    renamed), reading what the original reads."""
    from pipec.node import evolve

    def renamed(a, i: int):
        outs = getattr(a, "outputs", ())
        outs = tuple(o + f"c{i}" if isinstance(o, str) else evolve(o, name=o.name + f"c{i}") for o in outs)
        return evolve(a, name=f"{a.name}c{i}", **({"outputs": outs} if hasattr(a, "outputs") else {}))

    return evolve(pipeline, stages=tuple(
        evolve(st, actions=(*st.actions, *(renamed(a, i) for i in range(copies) for a in st.actions)))
        for st in pipeline.stages))


def assert_bounded(text: str, path: str = "pipeline.pipe") -> bool:
    """Whether ``text`` compiled to an unplaced pipeline that builds. If so, the AWS target's
    template and the GitHub target's companion hold at most what the diagnose modules' bounds say
    (resources, outputs, parameters); and so does the part of each bound that grows with the
    actions: with two more of each action, each template gains at most what its bound gains (the
    fixed part of a bound cannot hide an action that makes more than its bound says)."""
    from pipec.targets.aws import diagnose as aws_diagnose
    from pipec.targets.github import diagnose as github_diagnose

    def made(p):
        files = generate_by_target(p, EmitContext(source="pipeline.pipe", prefix=""), list(TARGETS))
        return {rel: _counts(out) for f in files.values() for rel, out in f.items()
                if rel in (f"aws/{p.name}.template.yaml", f"github/{p.name}.template.yaml")}

    try:
        pipeline, _ = pipec.compile_text(text, path)
        if pipeline.placed:
            return False
        before = made(pipeline)
    except Diagnostics:
        return False
    bigger = _with_copies(pipeline, 2)
    try:
        after = made(bigger)
    except Diagnostics:  # the copies collide (a name made from the action's is too long...)
        after = {}
    for p, counts_of in ((pipeline, before), (bigger, after)):
        for rel, counts in counts_of.items():
            bound = (aws_diagnose if rel.startswith("aws/") else github_diagnose).bound(p)
            assert all(c <= b for c, b in zip(counts, bound)), (rel, counts, bound)
    for rel, counts in after.items():
        module = aws_diagnose if rel.startswith("aws/") else github_diagnose
        grown = [a - b for a, b in zip(counts, before.get(rel, (0, 0, 0)))]
        allowed = [a - b for a, b in zip(module.bound(bigger), module.bound(pipeline))]
        assert all(g <= a for g, a in zip(grown, allowed)), (rel, grown, allowed)
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_stay_within_the_diagnose_bounds(path):
    """The bounds by which the diagnose modules trust a large pipeline's templates to be within
    CloudFormation's quotas without making them (:func:`pipec.targets.aws.diagnose.bound`,
    :func:`pipec.targets.github.diagnose.bound`) are never below what the templates hold, nor
    below what more actions add."""
    assert_bounded(path.read_text(encoding="utf-8"), str(path))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(P.pipelines())
def test_generated_pipelines_stay_within_the_diagnose_bounds(drawn):
    text, _constructs = drawn
    assert_bounded(text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_examples_stay_within_the_diagnose_bounds(data):
    path = data.draw(st.sampled_from(EXAMPLES))
    assert_bounded(data.draw(S.mutations(path.read_text(encoding="utf-8"))), str(path))


def test_the_bounds_are_used_and_can_fail():
    """A large pipeline of invokes and a few builds is diagnosed without making its files, and one
    of many builds is not; a quarter of each bound fails the check, and so does a bound that gives
    a build one resource where the builder makes three, once the actions are copied (the checks
    can fail)."""
    import sys

    from pipec.targets.aws import diagnose as aws_diagnose
    from pipec.targets.github import diagnose as github_diagnose

    sys.path.insert(0, str(ROOT / "bench"))
    from perf import generate_pipe

    big, _ = pipec.compile_text(generate_pipe(2500), "scale.pipe")
    assert not aws_diagnose.needs_files(big) and not github_diagnose.needs_files(big, None)
    many, _ = pipec.compile_text(_aws_builds(200), "many.pipe")
    assert aws_diagnose.needs_files(many)
    text = (ROOT / "examples" / "02-reference.pipe").read_text(encoding="utf-8")
    for module in (aws_diagnose, github_diagnose):
        real = module.bound
        module.bound = lambda p, real=real: tuple(max(0, b // 4) for b in real(p))  # a bound too low
        try:
            with pytest.raises(AssertionError):
                assert_bounded(text)
        finally:
            module.bound = real
    assert assert_bounded(text)
    from pipec import model

    real = aws_diagnose.bound

    def low(p):
        r, o, n = real(p)
        return r - 3 * sum(isinstance(a, model.Build) for st in p.stages if st.platform in (None, "aws")
                           for a in st.actions), o, n

    site = (ROOT / "examples" / "10-static-site-s3.pipe").read_text(encoding="utf-8")
    aws_diagnose.bound = low
    try:
        with pytest.raises(AssertionError, match="aws/"):
            assert_bounded(site)
    finally:
        aws_diagnose.bound = real
    assert assert_bounded(site)


def _cfn_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return Loader


_CfnLoader = _cfn_loader()


def test_check_and_lsp_use_the_diagnose_path():
    """``pipec check``'s targets' diagnostics come from the diagnose path: a pipeline whose emitter
    would fail is not emitted."""
    from pipec import cli

    text = (ROOT / "examples" / "02-reference.pipe").read_text(encoding="utf-8")
    pipeline, _ = pipec.compile_text(text, "02-reference.pipe")
    import pipec.targets as registry

    saved = dict(registry.TARGETS)
    registry.TARGETS["aws"] = "pipec.no_such_module"
    registry.TARGETS["github"] = "pipec.no_such_module"
    try:
        found = cli._target_diagnostics(pipeline, "02-reference.pipe", ["aws", "github"])
    finally:
        registry.TARGETS.update(saved)
    assert [d.code for d in found] and all(d.code.startswith("W5") for d in found)


def _aws_builds(n: int, patch: str = "") -> str:
    """A pipeline of ``n`` CodeBuild builds on CodePipeline, in stages of 50: past about 160 the
    template passes CloudFormation's 500 resources (E412)."""
    lines = ["pipeline many {", '  source app github "my-org/app" {', "    on push branches main", "  }"]
    for s in range(0, n, 50):
        lines.append(f"  stage s{s} via aws {{")
        for i in range(s, min(n, s + 50)):
            lines += [f"    build b{i} {{", f'      build "make part-{i}"', *([patch] if i == 0 and patch else []),
                      "    }"]
        lines.append("  }")
    return "\n".join(lines + ["}", ""])


def _ecs_deploys(n: int, alarms: int, via: str | None = None) -> str:
    """A pipeline of ``n`` ECS blue/green deployments through CodeDeploy, each rolled back on
    ``alarms`` CloudWatch alarms: every alarm's name is a parameter of the template (CodeDeploy
    takes ten per deployment group), so 30 deployments of 7 alarms pass CloudFormation's 200
    parameters (E412) with few resources."""
    names = " ".join(f"alarm-{k}" for k in range(alarms))
    lines = ["pipeline alarmed {", '  source app github "my-org/app" {', "    on push branches main", "  }",
             f"  stage release{f' via {via}' if via else ''} {{"]
    for i in range(n):
        lines += [f"    deploy d{i} to ecs {{", "      from app", "      cluster prod", f"      service svc-{i}",
                  "      container web port 8080",
                  '      listener "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/'
                  '0123456789abcdef/0123456789abcdef"',
                  f"      target_groups blue-{i} green-{i}", "      strategy canary 10% then rest after 5m",
                  f"      rollback on failure alarm {names}", "    }"]
    return "\n".join(lines + ["  }", "}", ""])


def test_the_bounds_count_each_rollback_alarm():
    """Each rollback alarm is a parameter of the AWS template and of the companion: a deployment
    of five alarms holds the bounds (which gave a deployment two parameters, whatever its alarms)."""
    assert assert_bounded(_ecs_deploys(1, 5))
    assert assert_bounded(_ecs_deploys(3, 10))


def _codeartifact_builds(n: int, via: str, emails: int = 0) -> str:
    """A pipeline of ``n`` builds, each logged in to seven CodeArtifact repositories of domains of
    their own (21 resources on each template), and an approval that e-mails ``emails`` addresses
    when ``emails``: 22 such builds on CodePipeline pass 500 resources (E412) with 24 sources,
    triggers and actions, fewer than EMIT_ABOVE."""
    tools = ["npm", "pip", "twine", "maven", "dotnet", "nuget", "swift"]
    lines = ["pipeline packages {", '  source app github "my-org/app" {', "    on push branches main", "  }",
             f"  stage build via {via} {{"]
    for i in range(n):
        lines += [f"    build b{i} {{", *(f"      codeartifact {t} domain d{i}-{t} repository r{i}-{t}" for t in tools),
                  '      build "make"', "    }"]
    if emails:
        addresses = " ".join(f'"team-{k}@example.com"' for k in range(emails))
        lines += ["    approve release {", f"      notify email {addresses}",
                  '      github {', '        reviewers "my-org/release"', "      }", "    }"]
    return "\n".join(lines + ["  }", "}", ""])


@pytest.mark.parametrize("text", [
    pytest.param(_aws_builds(40), id="40-aws-builds"),
    pytest.param(_codeartifact_builds(22, "aws"), id="22-codeartifact-builds-E412"),
    pytest.param(_codeartifact_builds(22, "github", emails=40), id="22-codeartifact-builds-github-E412"),
    pytest.param(_ecs_deploys(30, 7, "aws"), id="30-ecs-deploys-7-alarms-E412"),
    pytest.param(_ecs_deploys(30, 7, "github"), id="30-ecs-deploys-7-alarms-github-E412"),
    pytest.param(_aws_builds(200), id="200-aws-builds-E412"),
    pytest.param(_aws_builds(40, '      aws {\n        patch set Resources.B0Project.Properties.Description = "x"\n      }'),
                 id="40-aws-builds-patched"),
    pytest.param(_aws_builds(40, '      aws {\n        patch set Resources.Nothing.Properties.Description = "x"\n      }'),
                 id="40-aws-builds-patch-E413"),
])
def test_large_pipelines_diagnose_as_they_emit(text):
    """Above EMIT_ABOVE the diagnose modules emit, without the template's and the workflow's text
    (EmitContext.diagnose_only) unless the pipeline patches them: the same diagnostics, E412 and
    the patches' E413/W540/W541 included."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from perf import generate_pipe

    assert assert_same(text)
    assert assert_same(generate_pipe(120))


_LISTENER = '"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/0123456789abcdef/0123456789abcdef"'
_TOOLS = ("npm", "pip", "twine", "maven", "dotnet", "nuget", "swift")
#: one action of each kind the bounds price, with what makes it cost most; N is its name, made
#: unique per copy (so names written in it, domains and applications, are its own)
_CONSTRUCTS = {
    "build-codeartifact": ["build N {", *(f"  codeartifact {t} domain N-{t} repository N-{t}-repo" for t in _TOOLS),
                           '  build "make"', "}"],
    "build-secrets-allow": ["build N {", '  secret A from ssm "/app/N"', '  secret B from secrets-manager "N"',
                            '  build "make"', "  aws {", '    allow "s3:GetObject" on "arn:aws:s3:::bucket/N"', "  }", "}"],
    "build-role": ["build N {", '  build "make"', "  aws {", '    role "arn:aws:iam::123456789012:role/N"', "  }", "}"],
    "build-matrix": ["build N {", "  matrix {", "    axis PY 3.11 3.12", "  }", '  runtime python "$PY"',
                     '  build "make"', "}"],
    "build-in-codebuild": ["build N {", '  build "make"', '  cache "deps/**/*"',
                           *(f"  codeartifact {t} domain N-{t} repository N-{t}-repo" for t in _TOOLS[:6]),
                           "  aws {", "    cache s3", "  }", "  github {", "    run_in_codebuild", "  }", "}"],
    "build-s3-input": ["build N {", "  from app vendor", '  build "make"', "}"],
    "ecs-codedeploy": ["deploy N to ecs {", "  from app", "  cluster prod", "  service N", "  container web port 8080",
                       f"  listener {_LISTENER}", "  target_groups N-blue N-green", "  strategy canary 10% then rest after 5m",
                       "  rollback on failure alarm N-1 N-2 N-3 N-4 N-5", "  hook after_allow_traffic N-check",
                       "  aws {", "    application N-app", "  }", "}"],
    "lambda-codedeploy": ["deploy N to lambda {", "  function N", "  alias live", "  strategy linear 10% every 1m",
                          "  rollback on failure alarm N-1 N-2 N-3", "  hook before_allow_traffic N-check",
                          "  aws {", "    application N-app", "  }", "}"],
    "ec2-codedeploy": ["build N-make {", '  build "make"', '  artifact N-rev files "**/*"', "}",
                       "deploy N to ec2 {", "  from N-rev", "  instances tag Environment = N",
                       "  strategy rolling min_healthy 75%", "  rollback on failure alarm N-1 N-2 N-3",
                       '  hook application_start "start.sh" timeout 60s', "  aws {", "    application N-app", "  }", "}"],
    "stack": ["deploy N to cloudformation {", "  from app", "  stack N", "  template template.yaml",
              "  capabilities iam auto-expand", "  parameter Stage = prod", "  change_set N-release", "}"],
    "approval-emails": ["approve N {", '  message "Ship it?"',
                        '  notify email "a@example.com" "b@example.com" "c@example.com" "d@example.com"',
                        "  github {", '    reviewers "my-org/release"', "  }", "}"],
    "approval-topic": ["approve N {", '  notify topic "arn:aws:sns:us-east-1:123456789012:N"',
                       "  github {", '    reviewers "my-org/release"', "  }", "}"],
    "bucket": ["deploy N to s3 {", "  from app", "  bucket N", "  extract", "}"],
    "invoke": ["invoke N {", "  function N", '  parameters "{}"', "}"],
}


#: one source of each kind, with what makes it cost most (its own connection, change rule, events
#: role and a schedule rule); N as above, M a minute of its own (a schedule is given once, E203)
_SOURCES = {
    "codecommit": ["source N codecommit N-repo {", "  on push via aws", '  on schedule "M 3 * * *" via aws', "}"],
    "s3": ["source N s3 N-bucket {", '  key "drop.zip"', "  on push via aws", '  on schedule "M 4 * * *" via aws', "}"],
    "github-connection": ['source N github "my-org/N" {', "  connection N-conn", "  on push via aws",
                          '  on schedule "M 5 * * *" via aws', "}"],
    "github-connection-arn": ['source N github "my-org/N" {',
                              '  connection arn "arn:aws:codeconnections:us-east-1:123456789012:connection/N"',
                              "  on push via aws", "}"],
}


def _construct_copies(kind: str, copies: int) -> str:
    lines = ["pipeline kinds {", '  source app github "my-org/app" {', "    on push branches main", "  }",
             "  source vendor s3 vendor-drops {", '    key "drop.zip"', "    on push via aws", "  }"]
    if kind in _SOURCES:
        for i in range(copies):
            lines += ["  " + line.replace("N", f"{kind.replace('-', '')}{i}").replace("M", str(10 + i))
                      for line in _SOURCES[kind]]
        names = " ".join(f"{kind.replace('-', '')}{i}" for i in range(copies))
        return "\n".join(lines + ["  stage build {", "    build all {", f"      from app {names}",
                                  '      build "make"', "    }", "  }", "}", ""])
    lines.append("  stage release {")
    for i in range(copies):
        lines += ["    " + line.replace("N", f"{kind.replace('-', '')}{i}") for line in _CONSTRUCTS[kind]]
    return "\n".join(lines + ["  }", "}", ""])


@pytest.mark.parametrize("kind", [*_CONSTRUCTS, *_SOURCES])
def test_each_kind_of_action_grows_the_templates_within_its_bound(kind):
    """One kind of action at a time, at its costliest (CodeArtifact logins of domains of their own,
    rollback alarms, hooks, e-mail addresses, run_in_codebuild...), so that no other action's
    spare room hides it: one copy and four copies hold the bounds, and the three more copies add
    at most what the bounds add. The drawn pipelines have no CodeArtifact, allow, role or
    run_in_codebuild, and one alarm at most. The same for each kind of source with its triggers,
    which assert_bounded does not copy."""
    from pipec.targets.aws import diagnose as aws_diagnose
    from pipec.targets.github import diagnose as github_diagnose

    made = {}
    for copies in (1, 4):
        pipeline, _ = pipec.compile_text(_construct_copies(kind, copies), "kinds.pipe")
        files = generate_by_target(pipeline, EmitContext(source="kinds.pipe", prefix=""), list(TARGETS))
        made[copies] = pipeline, {rel: _counts(out) for f in files.values() for rel, out in f.items()
                                  if rel.endswith(".template.yaml")}
    (one, before), (four, after) = made[1], made[4]
    assert after  # the AWS template at least
    for rel, counts in after.items():
        module = aws_diagnose if rel.startswith("aws/") else github_diagnose
        assert all(c <= b for c, b in zip(counts, module.bound(four))), (rel, counts, module.bound(four))
        grown = [a - b for a, b in zip(counts, before.get(rel, (0, 0, 0)))]
        allowed = [a - b for a, b in zip(module.bound(four), module.bound(one))]
        assert all(g <= a for g, a in zip(grown, allowed)), (rel, grown, allowed)


def test_e412_over_the_parameters_names_the_rollback_alarms():
    """E412 for the 200 parameters says what fills them (a parameter per rollback alarm), not the
    builds and roles that fill the resources; it points at 'pipeline NAME'."""
    pipeline, _ = pipec.compile_text(_ecs_deploys(30, 7, "aws"), "alarmed.pipe")
    found = _reported(diagnose_by_target, pipeline, ["aws"])
    assert found[0] == "errors"
    (d,) = found[1]
    assert d["code"] == "E412" and "maximum parameters 200 reached" in d["message"]
    assert "name 210 rollback alarms" in d["help"] and "Split the pipeline" in d["help"]
    assert (d["line"], d["column"]) == (1, 1)
