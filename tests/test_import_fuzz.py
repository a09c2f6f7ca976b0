"""Fuzzing the importers: no input makes ``pipec import`` fail with anything but a status.

Each property takes a valid input of one kind (a workflow, a buildspec, an appspec, a
CodePipeline template with short tags), replaces values deep inside it with values of other
types and shapes (lists for mappings, mappings for strings, numbers, booleans, nulls, expressions,
odd patterns and names), deletes keys, and imports the result. Whatever comes in, the import must
end in one of the four statuses, with no exception; it must never write a pipeline that
``pipec check`` rejects (E699); and every diagnostic that points into the input must point at a
line that exists. A last property feeds raw mutated YAML text (truncations, indentation and
quote damage).

Example counts scale with the Hypothesis profile (tests/conftest.py): 100 per kind by default,
5,000 with ``PIPEC_DEEP=1``.
"""

from __future__ import annotations

import copy

import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from pipec import importer

PER_KIND = settings(max_examples=max(1, settings().max_examples // 2))

WORKFLOW = {
    "name": "ci",
    "on": {"push": {"branches": ["main", "release/**"], "paths-ignore": ["docs/**"]},
           "pull_request": {"types": ["opened", "synchronize"], "branches": ["main"]},
           "schedule": [{"cron": "0 3 * * MON-FRI"}],
           "workflow_dispatch": {"inputs": {"LEVEL": {"default": "info", "description": "log level"}}}},
    "concurrency": {"group": "ci", "cancel-in-progress": False},
    "env": {"A": "1", "TOKEN": "${{ secrets.TOKEN }}"},
    "jobs": {
        "build": {
            "runs-on": "ubuntu-latest", "timeout-minutes": 20,
            "strategy": {"matrix": {"node": [18, 20], "include": [{"node": 22, "extra": "x"}]}},
            "steps": [
                {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}},
                {"uses": "actions/setup-node@v4", "with": {"node-version": "${{ matrix.node }}"}},
                {"uses": "actions/cache@v4", "with": {"path": "node_modules", "key": "k-${{ hashFiles('x') }}"}},
                {"run": "npm ci\nnpm test -- --node ${{ matrix.node }}", "working-directory": "web"},
                {"if": "always()", "run": "echo done"},
                {"uses": "actions/upload-artifact@v4", "with": {"name": "dist", "path": "web/dist/**"}},
            ]},
        "deploy": {
            "needs": ["build"], "runs-on": "ubuntu-latest", "environment": "production",
            "if": "github.ref == 'refs/heads/main'",
            "steps": [{"uses": "actions/download-artifact@v4", "with": {"name": "dist"}},
                      {"uses": "aws-actions/configure-aws-credentials@v4",
                       "with": {"role-to-assume": "arn:aws:iam::123456789012:role/d", "aws-region": "us-east-1"}},
                      {"run": "aws s3 sync . s3://b", "env": {"X": "${{ env.A }}"}}]},
    },
}

BUILDSPEC = {
    "version": 0.2,
    "env": {"variables": {"A": "1"}, "parameter-store": {"P": "/p"}, "secrets-manager": {"S": "s:k"}},
    "phases": {"install": {"runtime-versions": {"nodejs": 20}, "commands": ["npm ci"]},
               "pre_build": {"commands": ["npm test"], "on-failure": "CONTINUE"},
               "build": {"commands": ["npm run build", "if true; then\n  echo x\nfi\n"], "finally": ["echo f"]},
               "post_build": {"commands": ["echo ok"]}},
    "artifacts": {"files": ["**/*"], "base-directory": "dist", "discard-paths": "no",
                  "secondary-artifacts": {"extra": {"files": ["x"], "base-directory": "y"}}},
    "reports": {"unit": {"files": ["*.xml"], "base-directory": "reports", "file-format": "JUNITXML"}},
    "cache": {"paths": ["node_modules/**/*"]},
}

APPSPECS = [
    {"version": 0.0, "os": "linux", "files": [{"source": "/", "destination": "/var/www"}],
     "permissions": [{"object": "/var/www", "owner": "www", "group": "www", "mode": "0755"}],
     "hooks": {"BeforeInstall": [{"location": "stop.sh", "timeout": 60, "runas": "root"}],
               "ApplicationStart": [{"location": "start.sh", "timeout": 120}]}},
    {"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
        "TaskDefinition": "<TASK_DEFINITION>", "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 80},
        "PlatformVersion": "LATEST"}}}], "Hooks": [{"AfterAllowTestTraffic": "check-fn"}]},
    {"version": 0.0, "Resources": [{"fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "Name": "f", "Alias": "live", "CurrentVersion": "1", "TargetVersion": "2"}}}],
     "Hooks": [{"BeforeAllowTraffic": "pre"}]},
]

TEMPLATE = """\
Parameters:
  Branch: {Type: String, Default: main}
  Prod: {Type: String, Default: "no"}
Conditions:
  IsProd: !Equals [!Ref Prod, "yes"]
Resources:
  Project:
    Type: AWS::CodeBuild::Project
    Properties:
      Environment: {Type: LINUX_CONTAINER, ComputeType: BUILD_GENERAL1_SMALL, Image: aws/codebuild/standard:7.0}
      Source: {Type: CODEPIPELINE, BuildSpec: "version: 0.2\\nphases:\\n  build:\\n    commands:\\n      - make\\n"}
      Artifacts: {Type: CODEPIPELINE}
      ServiceRole: !GetAtt Role.Arn
  Group:
    Type: AWS::CodeDeploy::DeploymentGroup
    Properties:
      ApplicationName: !Ref App
      Ec2TagFilters: [{Key: Env, Value: prod, Type: KEY_AND_VALUE}]
      DeploymentConfigName: CodeDeployDefault.OneAtATime
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      PipelineType: V2
      ExecutionMode: QUEUED
      Triggers:
        - ProviderType: CodeStarSourceConnection
          GitConfiguration:
            SourceActionName: Source
            Push: [{Branches: {Includes: [main]}, FilePaths: {Includes: ["src/**"]}}]
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: "1"}
              Configuration: {ConnectionArn: !Sub "arn:aws:codeconnections:${AWS::Region}:1:connection/x",
                              FullRepositoryId: acme/app, BranchName: !Ref Branch}
              OutputArtifacts: [{Name: src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: !Ref Project}
              InputArtifacts: [{Name: src}]
              OutputArtifacts: [{Name: out}]
        - !If
          - IsProd
          - Name: Deploy
            Actions:
              - Name: Deploy
                ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CodeDeploy, Version: "1"}
                Configuration: {ApplicationName: !Ref App, DeploymentGroupName: !Ref Group}
                InputArtifacts: [{Name: out}]
          - !Ref AWS::NoValue
        - Name: Approve
          Actions:
            - Name: Ok
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: "1"}
              Configuration: {CustomData: ship it?}
"""

#: values of other shapes and odd contents, put in place of existing ones
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", " ", "${{ github.sha }}", "${{ matrix.x }}", "**/*", "!x", "[a-", "a\nb", "\"\"\"",
                     "*/1 * * * *", "0 0 1 * 1", "ubuntu-latest", "windows-latest", "CodeDeployDefault.AllAtOnce",
                     "ABORT", "RETRY", "always()", "${{ secrets.X }}", "x" * 300, "é", "\t"]),
    st.lists(st.sampled_from(["a", 1, None, "**"]), max_size=3),
    st.dictionaries(st.sampled_from(["a", "run", "uses", "cron", "Name", "files"]),
                    st.sampled_from(["x", 1, None, []]), max_size=2),
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw, base):
    data = copy.deepcopy(base)
    paths = [p for p in _paths(data) if p]
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        parent = data
        try:
            for k in path[:-1]:
                parent = parent[k]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(ODD)
        except (KeyError, IndexError, TypeError):
            continue
    return data


def check(text: str, name: str = "input.yml", **kw):
    result = importer.import_one(name, text, **kw)
    event(result.status)
    assert result.status in importer.STATUSES
    assert not any(d.code == "E699" for d in result.diagnostics), [d.message for d in result.diagnostics]
    lines = text.count("\n") + 1
    for d in result.diagnostics:
        if d.span is not None and d.file == name:
            assert 1 <= d.span.line <= lines, (d.code, d.message, d.span)
    if result.source is not None:
        import pipec

        pipec.compile_text(result.source, "imported.pipe")  # what import writes, check accepts


@PER_KIND
@given(mutated(WORKFLOW))
def test_mutated_workflows(data):
    check(yaml.safe_dump(data, sort_keys=False), "ci.yml", repository="acme/app")


@PER_KIND
@given(mutated(BUILDSPEC))
def test_mutated_buildspecs(data):
    check(yaml.safe_dump(data, sort_keys=False), "buildspec.yml")


@PER_KIND
@given(st.sampled_from(APPSPECS).flatmap(mutated))
def test_mutated_appspecs(data):
    check(yaml.safe_dump(data, sort_keys=False), "appspec.yml")


@PER_KIND
@given(st.data())
def test_mutated_templates(data):
    base = importer.load(TEMPLATE, "t.yml")
    plain = yaml.safe_load(yaml.safe_dump(_plain(base)))
    check(yaml.safe_dump(data.draw(mutated(plain)), sort_keys=False), "t.yml")


def _plain(v):
    """The importer's YAML values as plain Python data (its numbers remember their text)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return str(v)
    return v


@PER_KIND
@given(st.sampled_from([yaml.safe_dump(WORKFLOW, sort_keys=False), yaml.safe_dump(BUILDSPEC, sort_keys=False),
                        TEMPLATE]),
       st.lists(st.tuples(st.integers(0, 3000), st.sampled_from(["", "\t", ":", "- ", "'", '"', "{", "]", "&a ",
                                                                 "*a", "!Ref ", "\n  ", "#"])), min_size=1,
                max_size=4),
       st.integers(0, 3000))
def test_damaged_text(text, edits, cut):
    for pos, piece in edits:
        pos = min(pos, len(text))
        text = text[:pos] + piece + text[pos + 1:]
    check(text[:max(cut, 1)] if cut < len(text) // 2 else text)
