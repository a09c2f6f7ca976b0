"""The AWS target on every example: cfn-lint finds nothing, and the template keeps pipec's rules.

* :func:`test_cfn_lint_finds_nothing` lints each example's CloudFormation template with cfn-lint's
  Python API (region us-east-1, informational rules included) and expects no match at all: no
  error, no warning, no informational finding. No rule is ignored.
* The policy tests read the emitted template back (as YAML) and check it against the model:
  IAM least privilege, the artifact bucket's protections, encrypted SNS topics, secrets only as
  references, CodeBuild logs and timeouts, the pipeline's type, mode, triggers, stage and
  action order, disabled transitions, CodeDeploy configurations and rollback.
* :func:`test_reference_resource_counts` prints the reference example's resource counts (run
  pytest with ``-s`` to see them) and checks each against what the model asks for.
  ``bench/compare_cdk.py`` puts them next to the AWS CDK peer's template.

Everything is built in-process with the same context as the golden files (output directory and
source root ``tests/golden/<stem>``), so the paths seen here are the committed ones.
"""

from __future__ import annotations

import functools
import re
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipec import compile_file, model
from pipec.build import context_for, generate
from support import as_list, example_pipes, example_stem, policy_statements
from pipec.targets.aws import codedeploy
from pipec.targets.aws import patterns as codepipeline_patterns
from pipec.targets.aws import read_codebuild

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = example_pipes()  # folder examples (templates) included
GOLDEN = Path(__file__).resolve().parent / "golden"
STEMS = [example_stem(p) for p in EXAMPLES]


# ----------------------------------------------------------------------------- building


class Built:
    """One example built for the AWS target: the model, the files and the parsed template."""

    def __init__(self, stem: str):
        self.stem = stem
        self.pipe = ROOT / "examples" / f"{stem}.pipe"
        self.pipeline, _warnings = compile_file(str(self.pipe))
        out = GOLDEN / stem
        self.ctx = context_for(str(self.pipe), str(out), source_root=str(out))
        self.files = generate(self.pipeline, self.ctx, ["aws"])
        self.template_path = f"aws/{self.pipeline.name}.template.yaml"
        self.template_text = self.files[self.template_path]
        self.template = yaml.safe_load(self.template_text)
        self.resources: dict = self.template["Resources"]
        self.homes: dict = {}  # (account, region) -> the Built view of that place's template

    def home(self, act) -> "Built":
        """The view of the template that holds ``act``'s resources: this one, or the template of
        the account and Region the action runs in (targets/aws/accounts.py)."""
        account, region = self.pipeline.place_of(act)
        if not (account or region):
            return self
        account, region = account or self.pipeline.account, region or self.pipeline.region
        if (account, region) not in self.homes:
            view = object.__new__(Built)
            view.__dict__.update(self.__dict__)
            view.template_text = self.files[f"aws/{self.pipeline.name}/targets/{account}-{region}.template.yaml"]
            view.template = yaml.safe_load(view.template_text)
            view.resources = view.template["Resources"]
            self.homes[(account, region)] = view
        return self.homes[(account, region)]

    # -- views of the template
    def of_type(self, type_: str) -> dict[str, dict]:
        return {k: r for k, r in self.resources.items() if r["Type"] == type_}

    def resolve(self, value):
        """A ``Ref`` to a template parameter as the parameter's default; anything else as is."""
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in self.template.get("Parameters", {}):
            return self.template["Parameters"][value["Ref"]].get("Default")
        return value

    def repo_source(self) -> str | None:
        """The source whose repository carries the committed generated files (the first Git one)."""
        return next((s.name for s in self.pipeline.sources if s.is_git), None)

    @property
    def pipeline_props(self) -> dict:
        (res,) = self.of_type("AWS::CodePipeline::Pipeline").values()
        return res["Properties"]

    @property
    def stages(self) -> list[dict]:
        return self.pipeline_props["Stages"]

    def aws_stages(self) -> list[model.Stage]:
        return [s for s in self.pipeline.stages if s.platform in (None, "aws")]

    def stage_actions(self, name: str) -> list[dict]:
        (stage,) = [s for s in self.stages if s["Name"] == name]
        return stage["Actions"]

    def project_of(self, action: dict) -> dict:
        """The CodeBuild project a CodeBuild pipeline action runs."""
        ref = action["Configuration"]["ProjectName"]["Ref"]
        res = self.resources[ref]
        assert res["Type"] == "AWS::CodeBuild::Project"
        return res["Properties"]

    def action_named(self, name: str) -> dict:
        hits = [a for s in self.stages for a in s["Actions"] if a["Name"] == name]
        assert len(hits) == 1, f"{len(hits)} pipeline actions named {name}"
        return hits[0]


@functools.lru_cache(maxsize=None)
def built(stem: str) -> Built:
    return Built(stem)


def model_actions(b: Built):
    for stage in b.aws_stages():
        yield from stage.actions


# ----------------------------------------------------------------------------- cfn-lint

LINT_SECONDS: dict[str, float] = {}


@pytest.mark.parametrize("stem", STEMS)
def test_cfn_lint_finds_nothing(stem):
    from cfnlint.api import ManualArgs, lint

    b = built(stem)
    start = time.perf_counter()
    matches = lint(b.template_text, config=ManualArgs(regions=["us-east-1"], include_checks=["I"]))
    LINT_SECONDS[stem] = time.perf_counter() - start
    print(f"cfn-lint {stem}: {len(matches)} match(es) in {LINT_SECONDS[stem]:.2f}s")
    found = [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches]
    assert found == [], f"{stem}: cfn-lint reports\n" + "\n".join(found)


# ----------------------------------------------------------------------------- IAM

#: The only actions that may be allowed on ``Resource: "*"`` (AWS offers no resource-level
#: permission for them), with the condition key each must be limited by (None: no condition).
WILDCARD_RESOURCE_ACTIONS: dict[str, str | None] = {
    "ecr:GetAuthorizationToken": None,
    "sts:GetServiceBearerToken": "sts:AWSServiceName",
    "ecs:DescribeTaskDefinition": None,
    "ecs:RegisterTaskDefinition": None,
    # not here: ecs:TagResource (task-definition/* while registering, ecs:CreateAction) and
    # iam:PassRole (the account's roles, to ECS tasks): both accept resource ARNs
    # the ECS deploy actions watch the service's tasks; both are limited to the cluster by a
    # condition (ListTasks has no resource-level permission; DescribeTasks would need task ARNs,
    # which are not known in advance)
    "ecs:ListTasks": "ecs:cluster",
    "ecs:DescribeTasks": "ecs:cluster",
}
#: Condition operators that limit a statement to the listed values.
LIMITING_OPERATORS = ("StringEquals", "StringEqualsIfExists", "ArnEquals", "ArnLike")
SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:\*$")


@pytest.mark.parametrize("stem", STEMS)
def test_no_wildcard_actions(stem):
    b = built(stem)
    problems = []
    for lid, st in policy_statements(b.resources):
        assert "NotAction" not in st and "NotResource" not in st, f"{lid}: {st}"
        if st["Effect"] != "Allow":
            continue
        for action in as_list(st["Action"]):
            if action == "*" or SERVICE_WILDCARD.match(action):
                problems.append(f"{lid}: Allow {action}")
    assert problems == []


@pytest.mark.parametrize("stem", STEMS)
def test_resource_star_only_for_allow_listed_actions(stem):
    b = built(stem)
    problems = []
    for lid, st in policy_statements(b.resources):
        if "*" not in as_list(st["Resource"]):
            continue
        for action in as_list(st["Action"]):
            if action not in WILDCARD_RESOURCE_ACTIONS:
                problems.append(f"{lid}: {action} on Resource '*'")
                continue
            key = WILDCARD_RESOURCE_ACTIONS[action]
            if key is None:
                continue
            condition = st.get("Condition", {})
            limited = [op for op in LIMITING_OPERATORS if key in condition.get(op, {})]
            if not limited:
                problems.append(f"{lid}: {action} on Resource '*' without a {key} condition")
    assert problems == []


def test_wildcard_allow_list_is_exercised():
    """The allow-list is not dead weight: every entry is used by some example (if an emitter
    stops needing one, drop it from the list so it cannot hide a regression)."""
    used = set()
    for stem in STEMS:
        for _lid, st in policy_statements(built(stem).resources):
            if "*" in as_list(st["Resource"]):
                used.update(as_list(st["Action"]))
    assert set(WILDCARD_RESOURCE_ACTIONS) <= used  # (anything beyond the list fails the test above)


# ----------------------------------------------------------------------------- storage and topics


@pytest.mark.parametrize("stem", STEMS)
def test_artifact_bucket_is_protected(stem):
    b = built(stem)
    # with actions in other Regions, the pipeline's own Region's store comes first (test_accounts.py)
    store = b.pipeline_props.get("ArtifactStore") or b.pipeline_props["ArtifactStores"][0]["ArtifactStore"]
    buckets = b.of_type("AWS::S3::Bucket")
    if b.pipeline.artifact_store.bucket:
        assert store["Location"] == b.pipeline.artifact_store.bucket
        assert buckets == {}, "an existing artifact bucket was given: pipec must not create one"
        return
    lid = store["Location"]["Ref"]
    assert lid in buckets
    for name, res in buckets.items():
        props = res["Properties"]
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse")
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True}
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any(r["Status"] == "Enabled" for r in rules)
        policies = [p["Properties"] for p in b.of_type("AWS::S3::BucketPolicy").values()
                    if p["Properties"]["Bucket"] == {"Ref": name}]
        assert len(policies) == 1, f"bucket {name} needs exactly one bucket policy"
        denies = [st for st in as_list(policies[0]["PolicyDocument"]["Statement"])
                  if st["Effect"] == "Deny"
                  and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)]
        assert denies, f"bucket {name}: no statement denies aws:SecureTransport false"
        (deny,) = denies
        assert deny["Principal"] in ("*", {"AWS": "*"})
        assert "s3:*" in as_list(deny["Action"])
        resources = as_list(deny["Resource"])
        assert {"Fn::GetAtt": [name, "Arn"]} in resources
        assert len(resources) == 2, "the bucket and its objects"


@pytest.mark.parametrize("stem", STEMS)
def test_sns_topics_are_encrypted(stem):
    b = built(stem)
    for lid, res in b.of_type("AWS::SNS::Topic").items():
        assert res["Properties"].get("KmsMasterKeyId"), f"topic {lid} is not encrypted"


# ----------------------------------------------------------------------------- secrets

SECRET_TYPES = {"ssm": "PARAMETER_STORE", "secrets-manager": "SECRETS_MANAGER"}
BUILDSPEC_SECRET_SECTIONS = {"ssm": "parameter-store", "secrets-manager": "secrets-manager"}


def _leaves(node, path=()):
    """(path, string) for every string in a parsed document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, path + (i,))
    elif isinstance(node, str):
        yield path, node


def _at(node, path):
    for p in path:
        node = node[p]
    return node


def model_secrets(b: Built):
    for act in model_actions(b):
        if isinstance(act, model.Build):
            for s in act.secrets:
                yield act, s


def test_some_examples_have_secrets():
    stores = {s.store for stem in STEMS for _a, s in model_secrets(built(stem))}
    assert stores == {"ssm", "secrets-manager"}


@pytest.mark.parametrize("stem", STEMS)
def test_secrets_only_as_references(stem):
    """A secret's reference appears in the template only as the value of a PARAMETER_STORE or
    SECRETS_MANAGER environment variable of its own project (and inside IAM resource ARNs that
    grant reading it); never as a PLAINTEXT variable or an action configuration value."""
    b = built(stem)
    for act, secret in model_secrets(b):
        project = b.project_of(b.action_named(act.name))
        variables = project["Environment"]["EnvironmentVariables"]
        assert {"Name": secret.name, "Value": secret.ref, "Type": SECRET_TYPES[secret.store]} in variables
        for path, text in _leaves(b.template):
            if secret.ref not in text:
                continue
            if path[-2:] == ("Source", "BuildSpec") and "\n" in text:  # an inline buildspec
                assert buildspec_secret_problems(yaml.safe_load(text), secret) == [], path
                continue
            if text == secret.ref:
                parent = _at(b.template, path[:-1])
                assert path[-1] == "Value" and parent.get("Type") == SECRET_TYPES[secret.store], \
                    f"secret {secret.name} appears in plain text at {'/'.join(map(str, path))}"
            else:
                assert "Resource" in path and path[2] == "Properties" and \
                    b.resources[path[1]]["Type"] == "AWS::IAM::Role", \
                    f"secret {secret.name} appears inside {text!r} at {'/'.join(map(str, path))}"
        # and no action configuration carries it (CodeBuild EnvironmentVariables JSON included)
        for stage in b.stages:
            for action in stage["Actions"]:
                for _p, text in _leaves(action.get("Configuration", {})):
                    assert secret.ref not in text


def buildspec_secret_problems(spec: dict, secret: model.Secret) -> list[str]:
    """Places a secret's reference appears in a buildspec other than its own reference entry."""
    problems = [f"{secret.name} at {'/'.join(map(str, path))}" for path, text in _leaves(spec)
                if secret.ref in text and path != ("env", BUILDSPEC_SECRET_SECTIONS[secret.store], secret.name)]
    if secret.ref in (spec.get("env", {}).get("variables") or {}).values():
        problems.append(f"{secret.name} as a plain variable")
    return problems


@pytest.mark.parametrize("stem", STEMS)
def test_buildspecs_carry_secrets_as_references(stem):
    b = built(stem)
    for act, secret in model_secrets(b):
        spec = yaml.safe_load(b.files[f"aws/{b.pipeline.name}/buildspec/{act.name}.yml"])
        assert buildspec_secret_problems(spec, secret) == [], act.name


# ----------------------------------------------------------------------------- CodeBuild


@pytest.mark.parametrize("stem", STEMS)
def test_codebuild_projects_have_logs_and_timeouts(stem):
    b = built(stem)
    projects = b.of_type("AWS::CodeBuild::Project")
    assert projects
    for lid, res in projects.items():
        props = res["Properties"]
        assert 5 <= props["TimeoutInMinutes"] <= 2160, lid
        logs = props["LogsConfig"]["CloudWatchLogs"]
        assert logs["Status"] == "ENABLED", lid
        group = b.resources[logs["GroupName"]["Ref"]]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"]["RetentionInDays"] > 0
    for act in model_actions(b):
        if isinstance(act, model.Build):
            props = b.project_of(b.action_named(act.name))
            assert props["TimeoutInMinutes"] == act.timeout_minutes
            # CodeBuild reads a BuildSpec path from the primary input: the repository's builds name
            # the committed file, the others carry the same text inline
            if act.inputs[0] == b.repo_source():
                assert props["Source"]["BuildSpec"] == b.ctx.path("aws", b.pipeline.name, "buildspec", f"{act.name}.yml")
            else:
                assert props["Source"]["BuildSpec"] == b.files[f"aws/{b.pipeline.name}/buildspec/{act.name}.yml"]


# ----------------------------------------------------------------------------- the pipeline


@pytest.mark.parametrize("stem", STEMS)
def test_pipeline_type_and_mode(stem):
    b = built(stem)
    props = b.pipeline_props
    assert props["Name"] == b.pipeline.name
    assert props["PipelineType"] == "V2"
    assert props["ExecutionMode"] == b.pipeline.mode.upper()


def test_examples_cover_execution_modes():
    assert {built(s).pipeline.mode for s in STEMS} >= {"superseded", "queued"}


PR_EVENT_NAMES = {"OPEN": "opened", "UPDATED": "updated", "CLOSED": "closed"}
CONNECTION_PROVIDERS = ("github", "bitbucket", "gitlab")


def _filter(f) -> tuple | None:
    """A model Filter or a template filter criteria as (includes, excludes)."""
    if f is None:
        return None
    if isinstance(f, model.Filter):
        includes, excludes = codepipeline_patterns.translate(f.includes, f.excludes)
        return tuple(includes), tuple(excludes)
    return tuple(f["Includes"]), tuple(f.get("Excludes", ()))


def _model_trigger(t) -> tuple:
    if isinstance(t, model.PushTrigger):
        return ("push", _filter(t.branches), _filter(t.tags), _filter(t.paths))
    return ("pr", tuple(sorted(t.events)), _filter(t.branches), _filter(t.paths))


def _template_triggers(git: dict) -> list[tuple]:
    out = []
    for f in git.get("Push", []):
        out.append(("push", _filter(f.get("Branches")), _filter(f.get("Tags")), _filter(f.get("FilePaths"))))
    for f in git.get("PullRequest", []):
        out.append(("pr", tuple(sorted(PR_EVENT_NAMES[e] for e in f["Events"])), _filter(f.get("Branches")),
                    _filter(f.get("FilePaths"))))
    return out


def _automatic_aws_triggers(src: model.Source):
    return [t for t in src.triggers if t.platform in (None, "aws") and not isinstance(t, model.ManualTrigger)]


@pytest.mark.parametrize("stem", STEMS)
def test_trigger_filters_equal_the_model(stem):
    b = built(stem)
    declared = {t["GitConfiguration"]["SourceActionName"]: t for t in b.pipeline_props.get("Triggers", [])}
    for t in declared.values():
        assert t["ProviderType"] == "CodeStarSourceConnection"
    expected_sources = set()
    for src in b.pipeline.sources:
        automatic = _automatic_aws_triggers(src)
        action = b.action_named(src.name)
        if src.provider in CONNECTION_PROVIDERS:
            assert action["Configuration"]["DetectChanges"] == ("true" if automatic else "false")
            if automatic:
                expected_sources.add(src.name)
                got = _template_triggers(declared[src.name]["GitConfiguration"])
                assert got == [_model_trigger(t) for t in automatic if isinstance(t, model.PushTrigger)] + \
                    [_model_trigger(t) for t in automatic if isinstance(t, model.PullRequestTrigger)]
        else:
            # CodeCommit and S3 sources start the pipeline through an EventBridge rule
            assert action["Configuration"]["PollForSourceChanges"] == "false"
            rules = [r for r in b.of_type("AWS::Events::Rule").values()
                     if f"source {src.name} " in r["Properties"]["Description"]]
            assert len(rules) == (1 if automatic else 0), src.name
    assert set(declared) == expected_sources


def test_examples_cover_trigger_kinds():
    kinds = Counter()
    for stem in STEMS:
        for t in built(stem).pipeline_props.get("Triggers", []):
            git = t["GitConfiguration"]
            kinds.update(k for k in ("Push", "PullRequest") if k in git)
            for f in git.get("Push", []):
                kinds.update(k for k in ("Tags", "FilePaths") if k in f)
                kinds.update("Excludes" for v in f.values() if "Excludes" in v)
    assert set(kinds) == {"Push", "PullRequest", "Tags", "FilePaths", "Excludes"}


@pytest.mark.parametrize("stem", STEMS)
def test_stage_order_equals_the_model(stem):
    b = built(stem)
    assert [s["Name"] for s in b.stages] == ["Source"] + [s.name for s in b.aws_stages()]
    source_actions = b.stages[0]["Actions"]
    assert [a["Name"] for a in source_actions] == [s.name for s in b.pipeline.sources]
    assert {a["RunOrder"] for a in source_actions} == {1}


def _template_names(act) -> list[str]:
    """The pipeline actions one model action becomes, in order."""
    if isinstance(act, model.StackDeploy) and act.change_set is not None:
        return [f"{act.name}-change-set", act.name]
    return [act.name]


@pytest.mark.parametrize("stem", STEMS)
def test_run_order(stem):
    """Actions of one parallel group share a RunOrder; sequential actions' RunOrders increase
    (an action made of two steps, a change set then its execution, takes two)."""
    b = built(stem)
    for stage in b.aws_stages():
        actions = b.stage_actions(stage.name)
        orders = {a["Name"]: a["RunOrder"] for a in actions}
        expected_names = [n for act in stage.actions for n in _template_names(act)]
        assert sorted(orders) == sorted(expected_names), stage.name
        assert len(orders) == len(actions), f"duplicate action names in stage {stage.name}"
        assert min(orders.values()) == 1
        spans = {act.name: [orders[n] for n in _template_names(act)] for act in stage.actions}
        for names in spans.values():
            assert names == sorted(names) and len(set(names)) == len(names)
        for x in stage.actions:
            for y in stage.actions:
                if x.run_order == y.run_order:
                    assert spans[x.name][0] == spans[y.name][0], (stage.name, x.name, y.name)
                elif x.run_order < y.run_order:
                    assert spans[x.name][-1] < spans[y.name][0], (stage.name, x.name, y.name)


def test_examples_cover_parallel_groups():
    assert any(len({a.run_order for a in s.actions}) < len(s.actions)
               for stem in STEMS for s in built(stem).aws_stages())


@pytest.mark.parametrize("stem", STEMS)
def test_disabled_transitions(stem):
    b = built(stem)
    got = [(d["StageName"], d["Reason"]) for d in b.pipeline_props.get("DisableInboundStageTransitions", [])]
    from pipec.resource_names import transition_reason

    assert got == [(s.name, transition_reason(s.disabled_reason)) for s in b.aws_stages() if s.disabled_reason]


# ----------------------------------------------------------------------------- CodeDeploy

CODEDEPLOY_PLATFORMS = {"ec2": "Server", "ecs": "ECS", "lambda": "Lambda"}


def model_deploys(b: Built):
    return [a for a in model_actions(b) if isinstance(a, model.Deploy)]


def deployment_group(b: Built, d: model.Deploy) -> dict:
    name = d.aws.first("deployment_group") or d.name
    b = b.home(d)
    hits = [r["Properties"] for r in b.of_type("AWS::CodeDeploy::DeploymentGroup").values()
            if r["Properties"]["DeploymentGroupName"] == name]
    assert len(hits) == 1, name
    return hits[0]


@pytest.mark.parametrize("stem", STEMS)
def test_deployment_configs(stem):
    b = built(stem)
    groups = [g for view in {id(b.home(d)): b.home(d) for d in [*model_deploys(b), None]}.values()
              for g in view.of_type("AWS::CodeDeploy::DeploymentGroup")]
    assert len(groups) == sum(d.uses_codedeploy for d in model_deploys(b))
    custom_refs = set()
    for d in model_deploys(b):
        if not d.uses_codedeploy:
            assert b.action_named(d.name)["ActionTypeId"]["Provider"] == "ECS"
            continue
        group = deployment_group(b, d)
        app = b.home(d).resources[group["ApplicationName"]["Ref"]]["Properties"]
        assert app["ComputePlatform"] == CODEDEPLOY_PLATFORMS[d.platform]
        builtin = d.strategy.codedeploy_config(d.platform)
        config = group["DeploymentConfigName"]
        if builtin is not None:
            assert config == builtin, d.name
            continue
        res = b.home(d).resources[config["Ref"]]
        custom_refs.add(config["Ref"])
        assert res["Type"] == "AWS::CodeDeploy::DeploymentConfig"
        props = res["Properties"]
        assert props["ComputePlatform"] == CODEDEPLOY_PLATFORMS[d.platform]
        s = d.strategy
        if d.platform == "ec2":
            assert s.batch == "min_healthy"
            assert props["MinimumHealthyHosts"] == {"Type": "FLEET_PERCENT", "Value": s.percent}
        elif s.kind == "canary":
            assert props["TrafficRoutingConfig"] == {"Type": "TimeBasedCanary", "TimeBasedCanary": {
                "CanaryPercentage": s.percent, "CanaryInterval": s.interval_minutes}}
        else:
            assert s.kind == "linear"
            assert props["TrafficRoutingConfig"] == {"Type": "TimeBasedLinear", "TimeBasedLinear": {
                "LinearPercentage": s.percent, "LinearInterval": s.interval_minutes}}
    # no unused custom configurations
    assert custom_refs == set(b.of_type("AWS::CodeDeploy::DeploymentConfig"))


def test_examples_cover_builtin_and_custom_configs():
    builtin = custom = 0
    for stem in STEMS:
        for d in model_deploys(built(stem)):
            if d.uses_codedeploy:
                if d.strategy.codedeploy_config(d.platform):
                    builtin += 1
                else:
                    custom += 1
    assert builtin and custom


@pytest.mark.parametrize("stem", STEMS)
def test_rollback_matches_the_model(stem):
    b = built(stem)
    for d in model_deploys(b):
        if not d.uses_codedeploy:
            continue
        group = deployment_group(b, d)
        auto = group["AutoRollbackConfiguration"]
        expected_events = set()
        if d.rollback.on_failure:
            expected_events.add("DEPLOYMENT_FAILURE")
        if d.rollback.alarms:
            expected_events.add("DEPLOYMENT_STOP_ON_ALARM")
        assert auto["Enabled"] is d.rollback.enabled, d.name
        assert set(auto.get("Events", [])) == expected_events, d.name
        alarms = group.get("AlarmConfiguration")
        if d.rollback.alarms:
            assert alarms["Enabled"] is True
            assert [b.home(d).resolve(a["Name"]) for a in alarms["Alarms"]] == list(d.rollback.alarms)
        else:
            assert alarms is None or alarms.get("Enabled") is False, d.name


def test_examples_cover_rollback_kinds():
    seen = set()
    for stem in STEMS:
        for d in model_deploys(built(stem)):
            seen.add((d.rollback.on_failure, bool(d.rollback.alarms)))
    assert {(True, False), (True, True), (False, False)} <= seen


# ----------------------------------------------------------------------------- resource counts

#: What the reference pipeline (examples/02-reference.pipe) asks for, resource by resource.
REFERENCE_COUNTS = {
    "AWS::CodePipeline::Pipeline": 1,
    "AWS::S3::Bucket": 2,                     # the artifact bucket and its access-log bucket
    "AWS::S3::BucketPolicy": 2,               # ... denying plain HTTP (and letting S3 write the logs)
    "AWS::KMS::Key": 1,                       # encrypts the log groups
    "AWS::CodeConnections::Connection": 1,    # source app (github, no connection ARN given)
    "AWS::CodeBuild::Project": 1,             # build web
    "AWS::Logs::LogGroup": 1,                 # ... its log group
    "AWS::CodeDeploy::Application": 2,        # one per compute platform: Server, ECS
    "AWS::CodeDeploy::DeploymentGroup": 2,    # web-staging, web-prod
    "AWS::SNS::Topic": 1,                     # approve release: notify email
    "AWS::SNS::Subscription": 1,              # ... team@example.com
    "AWS::IAM::Role": 4,                      # pipeline, CodeBuild web, CodeDeploy Server, CodeDeploy ECS
}


def resource_counts(stem: str) -> Counter:
    return Counter(r["Type"] for r in built(stem).resources.values())


def test_reference_resource_counts():
    counts = resource_counts("02-reference")
    width = max(map(len, counts))
    print("\nexamples/02-reference.pipe: resources in the AWS template")
    for type_, n in sorted(counts.items()):
        print(f"  {type_:<{width}}  {n}")
    print(f"  {'total':<{width}}  {sum(counts.values())}")
    assert dict(counts) == REFERENCE_COUNTS


# ----------------------------------------------------------------------------- EC2 revisions

CP_APPSPEC = re.compile(r'^cp "\$CODEBUILD_SRC_DIR/(?P<src>[^"]+)" "\$CODEBUILD_SRC_DIR/(?P<dest>[^"]+)"$')


def _body(text: str) -> str:
    """A generated file without its header line (which names the action it was made for)."""
    return text.split("\n", 1)[1]


def ec2_revision_problems(pipeline: model.Pipeline, files: dict[str, str], ctx) -> list[str]:
    """For every EC2 deployment: the appspec.yml that the producing build leaves at the root of
    the deployed artifact (the last ``cp`` to that place wins) must be that deployment's own."""
    producers = {}
    for act in pipeline.actions():
        if isinstance(act, model.Build):
            for out in act.outputs:
                producers[out.name] = (act, out)
    problems = []
    for act in pipeline.actions():
        if not (isinstance(act, model.Deploy) and act.platform == "ec2"):
            continue
        if act.inputs[0] not in producers:
            problems.append(f"{act.name}: deploys {act.inputs[0]}, which no build makes; nothing puts "
                            "its appspec.yml at the root of the revision")
            continue
        build, out = producers[act.inputs[0]]
        spec = yaml.safe_load(files[f"aws/{pipeline.name}/buildspec/{build.name}.yml"])
        dest = f"{out.base.rstrip('/')}/appspec.yml" if out.base else "appspec.yml"
        final = None
        commands = spec.get("phases", {}).get("post_build", {}).get("commands", [])
        for command in commands[-1:]:
            lines = command.split("\n")
            if lines[:2] != [codedeploy.APPSPEC_COPY_LABEL, codedeploy.APPSPEC_COPY_IF] or lines[-1] != "fi":
                continue
            for line in lines[2:-1]:
                m = CP_APPSPEC.match(line.strip())
                if m and m["dest"] == dest:
                    final = m["src"]
        own = files[f"aws/{pipeline.name}/appspec/{act.name}.yml"]
        prefix = f"{ctx.prefix}/" if ctx.prefix else ""
        if final is None:
            problems.append(f"{act.name}: build {build.name} does not put an appspec.yml in {dest}")
        elif _body(files[final[len(prefix):]]) != _body(own):
            problems.append(f"{act.name}: revision {act.inputs[0]} carries {final}, not its own appspec")
    return problems


def test_the_appspec_copy_is_pipecs_own_labelled_command_after_a_successful_build_only():
    """Issue 24 item 2: the copy is not one more command of the user's post_build, it runs only
    when the build succeeded, and appspec.yml is not listed again after a pattern that takes it."""
    b = built("02-reference")
    spec = yaml.safe_load(b.files["aws/my-app/buildspec/web.yml"])
    *users, own = spec["phases"]["post_build"]["commands"]
    assert users == ['echo "Build completed on $(date)"']
    assert own.split("\n") == [codedeploy.APPSPEC_COPY_LABEL, codedeploy.APPSPEC_COPY_IF,
                                '  cp "$CODEBUILD_SRC_DIR/aws/my-app/appspec/web-staging.yml" '
                                '"$CODEBUILD_SRC_DIR/dist/appspec.yml"', "fi"]
    assert spec["artifacts"]["files"] == ["**/*"]
    assert (read_codebuild.APPSPEC_COPY_LABEL, read_codebuild.APPSPEC_COPY_IF) == (
        codedeploy.APPSPEC_COPY_LABEL, codedeploy.APPSPEC_COPY_IF)


def test_the_appspec_copy_runs_only_after_a_successful_build(tmp_path):
    import subprocess

    (tmp_path / "aws" / "my-app" / "appspec").mkdir(parents=True)
    (tmp_path / "aws" / "my-app" / "appspec" / "web-staging.yml").write_text("version: 0.0\n", encoding="utf-8")
    (tmp_path / "dist").mkdir()
    command = codedeploy.appspec_copy_command([("aws/my-app/appspec/web-staging.yml", "dist/appspec.yml")])
    for succeeding, copied in (("0", False), ("1", True)):
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                              env={"CODEBUILD_SRC_DIR": str(tmp_path), "CODEBUILD_BUILD_SUCCEEDING": succeeding,
                                   "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "dist" / "appspec.yml").exists() is copied


def test_appspec_yml_is_added_to_the_files_only_when_no_pattern_takes_it():
    assert codedeploy.covers_appspec(("**/*",)) and codedeploy.covers_appspec(("*.yml",))
    assert not codedeploy.covers_appspec(("index.html", "assets/**"))


@pytest.mark.parametrize("stem", STEMS)
def test_each_ec2_deployment_gets_its_own_appspec(stem):
    b = built(stem)
    assert ec2_revision_problems(b.pipeline, b.files, b.ctx) == []


TWO_EC2_DEPLOYS_OF_ONE_ARTIFACT = """\
pipeline demo {
  source app github "acme/demo"

  stage build {
    build web {
      build "make"
      artifact dist files "**/*" base dist
    }
  }

  stage staging {
    deploy web-staging to ec2 {
      from dist
      instances tag Environment = staging
      strategy rolling one-at-a-time
      copy "/" to "/srv/staging"
      hook application_start "scripts/start-staging.sh" timeout 60s as root
    }
  }

  stage production {
    approve release {
      timeout 1d
    }
    deploy web-prod to ec2 {
      from dist
      instances tag Environment = prod
      strategy rolling one-at-a-time
      copy "/" to "/srv/prod"
      hook application_start "scripts/start-prod.sh" timeout 60s as root
    }
  }
}
"""

EC2_DEPLOY_OF_A_SOURCE = """\
pipeline demo {
  source app github "acme/demo"

  stage staging {
    deploy web-staging to ec2 {
      from app
      instances tag Environment = staging
      strategy rolling one-at-a-time
      copy "/" to "/srv/app"
      hook application_start "scripts/start.sh" timeout 60s as root
    }
  }
}
"""


@pytest.mark.parametrize("text", [TWO_EC2_DEPLOYS_OF_ONE_ARTIFACT, EC2_DEPLOY_OF_A_SOURCE],
                         ids=["two-deploys-one-artifact", "deploy-of-a-source"])
def test_ec2_revision_carries_its_appspec_or_pipec_says_why_not(text):
    """Either every EC2 deployment's revision carries its own appspec.yml, or pipec reports the
    problem (an error, or a warning naming the deployment): never a pipeline that deploys with
    another deployment's hooks and destinations, or with none."""
    from pipec import compile_text
    from pipec.build import EmitContext
    from pipec.diagnostics import Diagnostics

    try:
        pipeline, warnings = compile_text(text, "demo.pipe")
        ctx = EmitContext(source="demo.pipe", prefix="")
        files = generate(pipeline, ctx, ["aws"])
    except Diagnostics:
        return  # rejected with an error: fine
    problems = ec2_revision_problems(pipeline, files, ctx)
    if problems:
        deploys = {p.split(":", 1)[0] for p in problems}
        warned = {d for d in deploys if any(d in w.message for w in warnings)}
        assert warned == deploys, "pipec generated, without a word:\n" + "\n".join(problems)


def test_appspec_copy_into_a_revision_survives_a_cd_in_the_builds_commands(tmp_path):
    """All commands of a build run in one shell: a 'cd' in the user's install phase used to move
    the copy's relative destination, and the build failed on CodeBuild only (issue 22 review)."""
    import os
    import subprocess

    import pipec
    from pipec.build import EmitContext

    text = ('pipeline rev {\n  source app github "acme/rev" {\n    branch main\n  }\n  stage build {\n'
            '    build image {\n      install "mkdir -p web/dist && cd web"\n      build "echo hi > dist/index.html"\n'
            '      artifact files files "**/*" base "web/dist"\n    }\n  }\n  stage staging {\n'
            '    deploy ec to ec2 {\n      from files\n      instances tag Name = web\n'
            '      copy "/" to "/var/www"\n    }\n  }\n}\n')
    pipeline, _ = pipec.compile_text(text, "rev.pipe")
    files = generate(pipeline, EmitContext(source="rev.pipe", prefix=""), ["aws"])
    spec = yaml.safe_load(files["aws/rev/buildspec/image.yml"])
    src = tmp_path / "src"
    (src / "aws/rev/appspec").mkdir(parents=True)
    (src / "aws/rev/appspec/ec.yml").write_text(files["aws/rev/appspec/ec.yml"])
    script = "\n".join(c for p in ("install", "build", "post_build") for c in spec["phases"][p]["commands"])
    proc = subprocess.run(["bash", "-c", "set -e\n" + script], cwd=src, env={**os.environ, "CODEBUILD_SRC_DIR": str(src),
                                                                     "CODEBUILD_BUILD_SUCCEEDING": "1"},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (src / "web/dist/appspec.yml").read_text() == files["aws/rev/appspec/ec.yml"]


def test_invoke_parameters_with_a_dollar_brace_stay_text_and_lint_clean(tmp_path):
    """'${' in an invoke's parameters is the user's text: not a plain string that cfn-lint reads as
    a forgotten Fn::Sub (E1029), nor an Fn::Sub of escapes only (W1020); it reads back unchanged.
    The fuzz test's sample found it (tests/test_fuzz_build.py)."""
    from cfnlint.api import ManualArgs, lint

    import pipec
    from pipec.build import EmitContext, write
    from pipec.targets.aws import emit as aws_emit

    text = """pipeline gen {
  source app github "acme/gen"
  stage s0 {
    build a1 {
      build "make"
    }
    invoke a6 {
      function fn-a6
      parameters "{\\"account\\": \\"${AWS::AccountId}\\"}"
    }
  }
}
"""
    pipeline, _ = pipec.compile_text(text, "gen.pipe")
    files = generate(pipeline, EmitContext(source="gen.pipe", prefix=""), ["aws"])
    template = files["aws/gen.template.yaml"]
    assert [f"{m.rule.id}: {m.message}" for m in lint(template, config=ManualArgs(regions=["us-east-1"],
                                                                                include_checks=["I"]))] == []
    write(str(tmp_path), files)
    from pipec import plan

    assert aws_emit.read(str(tmp_path), "gen") == plan.from_model(pipeline, "aws")
