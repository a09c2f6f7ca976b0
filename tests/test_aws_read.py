"""The AWS target's read side (``pipec.targets.aws.read``): the golden CloudFormation templates,
buildspecs and appspecs read back from disk give the plan of the model (``plan.from_model``),
the reader really reads those files, and what it cannot map is a clear ValueError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import example_pipes, example_stem

from pipec import builtins, compile_file, plan
from pipec.build import EmitContext, generate, write
from pipec.node import fields, has
from pipec.targets.aws import read as aws_read

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
# every example pipeline, a folder example's included (15-shared-template/billing)
EXAMPLES = [example_stem(p) for p in example_pipes()]

_MODELS: dict = {}


def model(stem: str):
    if stem not in _MODELS:
        _MODELS[stem], _ = compile_file(str(ROOT / "examples" / f"{stem}.pipe"))
    return _MODELS[stem]


# ----------------------------------------------------------------------------- diff


def _pairs(label: str, want, got) -> list[str]:
    """Lines describing how ``got`` differs from ``want``, element by element for tuples."""
    if want == got:
        return []
    if isinstance(want, tuple) and isinstance(got, tuple) and not has(type(want)):
        lines = []
        if len(want) != len(got):
            lines.append(f"{label}: {len(want)} item(s) expected, {len(got)} read")
        for i, (w, g) in enumerate(zip(want, got)):
            lines += _pairs(f"{label}[{i}]", w, g)
        for i in range(len(got), len(want)):
            lines.append(f"{label}[{i}]: missing, expected {want[i]!r}")
        for i in range(len(want), len(got)):
            lines.append(f"{label}[{i}]: extra {got[i]!r}")
        return lines or [f"{label}: expected {want!r}\n    read {got!r}"]
    if has(type(want)) and type(want) is type(got):
        lines = []
        for a in fields(type(want)):
            lines += _pairs(f"{label}.{a.name}", getattr(want, a.name), getattr(got, a.name))
        return lines
    return [f"{label}: expected {want!r}\n    read {got!r}"]


def explain(want: plan.Plan, got: plan.Plan) -> str:
    """A field-by-field account of how the plan read from disk differs from the model's."""
    lines = []
    for field in ("pipeline", "platform", "variables", "concurrency", "lock"):
        lines += _pairs(field, getattr(want, field), getattr(got, field))
    for t in sorted(want.triggers - got.triggers, key=repr):
        lines.append(f"trigger missing: {t!r}")
    for t in sorted(got.triggers - want.triggers, key=repr):
        lines.append(f"trigger extra:   {t!r}")
    wj, gj = {j.id: j for j in want.jobs}, {j.id: j for j in got.jobs}
    for jid in sorted(set(wj) | set(gj)):
        w, g = wj.get(jid), gj.get(jid)
        if w is None or g is None:
            lines.append(f"job {jid}: {'extra' if w is None else 'missing'}")
            continue
        for field in ("kind", "held"):
            lines += _pairs(f"job {jid}: {field}", getattr(w, field), getattr(g, field))
        if w.after != g.after:
            lines.append(f"job {jid}: after: missing {sorted(w.after - g.after)}, extra {sorted(g.after - w.after)}")
        ws, gs = dict(w.spec), dict(g.spec)
        for key in sorted(set(ws) | set(gs)):
            if key not in gs:
                lines.append(f"job {jid}: spec {key}: missing, expected {ws[key]!r}")
            elif key not in ws:
                lines.append(f"job {jid}: spec {key}: extra {gs[key]!r}")
            else:
                lines += _pairs(f"job {jid}: spec {key}", ws[key], gs[key])
    return "\n".join(lines)


def assert_same(want: plan.Plan, got: plan.Plan):
    assert got == want, "the plan read from disk differs from the model's:\n" + explain(want, got)


# ----------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("stem", EXAMPLES)
def test_golden_files_read_back_as_the_models_plan(stem):
    p = model(stem)
    assert_same(plan.from_model(p, "aws"), aws_read.read(GOLDEN / stem, p.name))


def test_every_example_has_golden_files():
    assert sorted({s.split("/")[0] for s in EXAMPLES}) == sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
    assert len(EXAMPLES) == 16


def test_examples_exercise_every_reading():
    """The examples cover each kind of job, deployment and trigger the reader maps."""
    seen = set()
    for stem in EXAMPLES:
        got = aws_read.read(GOLDEN / stem)  # the only template of the directory
        seen |= {f"trigger {t.kind}" for t in got.triggers}
        for j in got.jobs:
            seen.add(j.kind)
            if j.kind == "deploy":
                seen.add(f"deploy {j.get('platform')}" + (" rolling" if j.get("rolling") else ""))
                seen.add("custom config" if isinstance(j.get("config"), tuple) else "builtin config")
            if j.kind == "stack":
                seen.add(f"change_set {j.get('change_set') is not None}")
            if j.kind == "approval":
                notify = j.get("notify")
                seen.add("notify emails" if isinstance(notify, tuple) else f"notify {type(notify).__name__}")
            if j.held:
                seen.add("held")
    assert seen >= {"build", "deploy", "stack", "bucket", "approval", "invoke", "deploy ec2", "deploy ecs",
                    "deploy ecs rolling", "deploy lambda", "custom config", "builtin config", "change_set True",
                    "change_set False", "notify emails", "notify str", "held", "trigger push", "trigger tag",
                    "trigger pull_request", "trigger object"}, seen


def test_paths_are_read_relative_to_the_source_root(tmp_path):
    """Generated into ci/out of a repository: the template's paths start with ci/out."""
    for stem in ("02-reference", "04-lambda-sam", "12-everything-else"):
        p = model(stem)
        out = tmp_path / stem / "ci" / "out"
        write(str(out), generate(p, EmitContext(source=f"{stem}.pipe", prefix="ci/out"), ["aws"]))
        assert_same(plan.from_model(p, "aws"), aws_read.read(out, p.name, source_root=tmp_path / stem))


# ----------------------------------------------------------------------------- it reads the files


def _copy(stem: str, tmp_path: Path) -> Path:
    out = tmp_path / stem
    shutil.copytree(GOLDEN / stem / "aws", out / "aws")
    return out


def _edit(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _changed(stem: str, out: Path) -> list[str]:
    p = model(stem)
    want, got = plan.from_model(p, "aws"), aws_read.read(out, p.name)
    return [line for line in explain(want, got).splitlines() if not line.startswith("    ")]


def test_edits_to_the_files_show_in_the_plan(tmp_path):
    out = _copy("02-reference", tmp_path)
    _edit(out / "aws/my-app/buildspec/web.yml", "- npm run lint", "- npm run lint --fix")
    _edit(out / "aws/my-app/appspec/web-prod.yml", "ContainerPort: 3000", "ContainerPort: 3001")
    _edit(out / "aws/my-app/appspec/web-staging.yml", "timeout: 300", "timeout: 301")
    _edit(out / "aws/my-app.template.yaml", "DeploymentConfigName: CodeDeployDefault.OneAtATime",
          "DeploymentConfigName: CodeDeployDefault.HalfAtATime")
    _edit(out / "aws/my-app.template.yaml", "- Name: my-app-green", "- Name: my-app-teal")
    changed = _changed("02-reference", out)
    assert changed == [
        "job web: spec phases[1].commands[0]: expected 'npm run lint'",
        "job web-prod: spec appspec[1][1][0][0][1][1][1][1][1][1][1]: expected 3000",
        "job web-prod: spec target[3][1]: expected 'my-app-green'",
        "job web-staging: spec appspec[3][1][1][1][0][1][1]: expected 300",
        "job web-staging: spec config: expected 'CodeDeployDefault.OneAtATime'",
    ], changed


def test_edits_to_the_template_show_in_the_plan(tmp_path):
    out = _copy("04-lambda-sam", tmp_path)
    path = out / "aws/invoice-renderer.template.yaml"
    _edit(path, "ExecutionMode: SUPERSEDED", "ExecutionMode: PARALLEL")
    _edit(path, "CustomData: Staging renders", "CustomData: Staging shows")
    _edit(path, "'{\"Stage\":\"prod\",\"LogLevel\":\"INFO\"}'", "'{\"Stage\":\"prod\",\"LogLevel\":\"WARN\"}'")
    _edit(path, "Endpoint: billing-eng@example.com", "Endpoint: billing@example.com")
    _edit(path, "Default: invoice-renderer-prod-errors", "Default: renderer-prod-errors")
    # the deployer project's variable (CodeBuild: the project's value wins over the buildspec's)
    _edit(path, "- Name: FUNCTION\n          Value: invoice-renderer-staging",
          "- Name: FUNCTION\n          Value: invoice-renderer-stage")
    assert _changed("04-lambda-sam", out) == [
        "concurrency: expected 'superseded'",
        "lock: expected 'stage'",  # PARALLEL lets executions into a stage together
        "job go-live: spec message: expected 'Staging renders invoices correctly? Approve to update production.'",
        "job go-live: spec notify[0]: expected 'billing-eng@example.com'",
        "job renderer-prod: spec alarms[0]: expected 'invoice-renderer-prod-errors'",
        "job renderer-staging: spec target[1]: expected 'invoice-renderer-staging'",
        "job stack-prod: spec parameters[0][1]: expected 'INFO'",
    ]


def test_run_orders_decide_after_and_held(tmp_path):
    out = _copy("10-static-site-s3", tmp_path)
    path = out / "aws/www.template.yaml"
    text = path.read_text(encoding="utf-8")
    # www-prod and sitemap-prod (run orders 2 and 3 of production) become parallel
    head, tail = text.split("Name: sitemap-prod", 1)
    tail = tail.replace("RunOrder: 3", "RunOrder: 2", 1)
    path.write_text(head + "Name: sitemap-prod" + tail, encoding="utf-8")
    got = aws_read.read(out, "www")
    assert got.job("sitemap-prod").after == got.job("www-prod").after
    assert "www-prod" not in got.job("sitemap-prod").after
    assert {j.id for j in got.jobs if j.held} == {"publish"}


# ----------------------------------------------------------------------------- hand-written templates

TEMPLATE = """\
Resources:
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: !Sub "${AWS::StackName}-build"
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - make
      TimeoutInMinutes: 30
  Pipe:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: !Ref PipelineName
      Stages:
        - Name: Source
          Actions:
            - Name: src
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: repo, BranchName: trunk}
              OutputArtifacts: [{Name: src}]
        - Name: Build
          Actions:
%(actions)s
Parameters:
  PipelineName:
    Type: String
    Default: hand
"""

BUILD_ACTION = """\
            - Name: make
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration:
                ProjectName: !Ref Build
              InputArtifacts: [{Name: src}]
"""


def _hand(tmp_path: Path, actions: str = BUILD_ACTION, name: str = "hand") -> Path:
    (tmp_path / "aws").mkdir(exist_ok=True)
    (tmp_path / "aws" / f"{name}.template.yaml").write_text(TEMPLATE % {"actions": actions.rstrip("\n")},
                                                            encoding="utf-8")
    return tmp_path


def test_a_hand_written_template_with_short_forms_and_defaults(tmp_path):
    got = aws_read.read(_hand(tmp_path))
    assert got == plan.Plan(
        "hand", "aws",
        # CodeCommit polls its branch when PollForSourceChanges is not set
        triggers=frozenset({plan.Trigger("push", "src", branches=plan.Filter.of(["trunk"]))}),
        concurrency="superseded",
        jobs=(plan.Job("make", "build", spec=plan.spec(
            inputs=("src",), phases=(plan.Phase("build", ("make",)),), env=(), secrets=(), outputs=(),
            cache=(), reports=(), runtimes=(), shell="codebuild-default", timeout=30,
            builtins=builtins.provided())),))


def _error(tmp_path: Path, actions: str) -> str:
    with pytest.raises(ValueError) as info:
        aws_read.read(_hand(tmp_path, actions))
    return str(info.value)


def test_unknown_provider_is_a_clear_error(tmp_path):
    message = _error(tmp_path, BUILD_ACTION + """\
            - Name: scan
              ActionTypeId: {Category: Test, Owner: ThirdParty, Provider: Snyk, Version: "1"}
              InputArtifacts: [{Name: src}]
""")
    assert "hand.template.yaml" in message
    assert "action 'scan' (stage 'Build')" in message
    assert "Test/ThirdParty/Snyk is not one pipec reads" in message


@pytest.mark.parametrize("actions, expected", [
    (BUILD_ACTION.replace("ProjectName: !Ref Build", "ProjectName: !Ref Build\n                CombineArtifacts: 'true'"),
     "action 'make' (stage 'Build'): CodeBuild configuration CombineArtifacts is not understood"),
    # a batch build is a matrix: the buildspec must say which builds it runs
    (BUILD_ACTION.replace("ProjectName: !Ref Build", "ProjectName: !Ref Build\n                BatchEnabled: 'true'"),
     "action 'make' (stage 'Build'): BatchEnabled without a batch section in the buildspec"),
    (BUILD_ACTION.replace("ProjectName: !Ref Build", "ProjectName: elsewhere"),
     "ProjectName 'elsewhere' is not a CodeBuild project of this template"),
    (BUILD_ACTION + "              Region: eu-west-1\n",
     "action 'make' (stage 'Build'): declares Region, which pipec cannot express"),
    ("""\
            - Name: plan-change
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
              Configuration: {ActionMode: CHANGE_SET_REPLACE, StackName: s, ChangeSetName: c,
                              TemplatePath: "src::t.yaml"}
              InputArtifacts: [{Name: src}]
""", "creates change set 'c' of stack 's', which no later action of the stage executes"),
    ("""\
            - Name: ship
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
              Configuration: {ActionMode: DELETE_ONLY, StackName: s}
""", "ActionMode 'DELETE_ONLY' is not one pipec reads"),
    ("""\
            - Name: ship
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: S3, Version: "1"}
              Configuration: {BucketName: !Ref Bucket, Extract: "true"}
              InputArtifacts: [{Name: src}]
""", "BucketName depends on the deployment (${Bucket})"),
    ("""\
            - Name: ask
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
              Configuration: {NotificationArn: !Ref Topic}
""", "NotificationArn depends on the deployment"),
    ("""\
            - Name: ask
              ActionTypeId: [Approval]
""", "action 'ask' (stage 'Build'): cannot read it (AttributeError"),
])
def test_what_cannot_be_mapped_is_a_clear_error(tmp_path, actions, expected):
    assert expected in _error(tmp_path, actions)


def test_missing_files_are_clear_errors(tmp_path):
    out = _copy("02-reference", tmp_path)
    (out / "aws/my-app/buildspec/web.yml").unlink()
    with pytest.raises(ValueError, match=r"action 'web' \(stage 'build'\) \(project WebProject\): cannot read "
                                         r"the buildspec .*web\.yml"):
        aws_read.read(out, "my-app")
    with pytest.raises(ValueError, match=r"my-app\.template\.yaml: cannot read the template"):
        aws_read.read(tmp_path / "nowhere", "my-app")


def test_choosing_the_template(tmp_path):
    with pytest.raises(ValueError, match="expected exactly one"):
        aws_read.read(tmp_path)
    _hand(tmp_path, name="one")
    assert aws_read.read(tmp_path).pipeline == "hand"
    _hand(tmp_path, name="two")
    with pytest.raises(ValueError, match="found one.template.yaml, two.template.yaml; name the pipeline"):
        aws_read.read(tmp_path)
    assert aws_read.read(tmp_path, "two").pipeline == "hand"


def test_not_a_template(tmp_path):
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws" / "x.template.yaml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="the top level is not a mapping"):
        aws_read.read(tmp_path, "x")
    (tmp_path / "aws" / "x.template.yaml").write_text("Resources: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected one AWS::CodePipeline::Pipeline, found 0"):
        aws_read.read(tmp_path, "x")
