"""Semantic model tests through pipec.compile_text: defaults, run orders, stage indexes, inputs,
CodeDeploy configurations, secrets, helpers of the model, and the reference example's model."""

from __future__ import annotations

import pathlib

import pytest

from pipec import compile_text, model

ROOT = pathlib.Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "02-reference.pipe"

SOURCE = 'source app github "my-org/my-repo"'


# ----------------------------------------------------------------------------- helpers


def _indent(text: str, depth: int) -> str:
    pad = "  " * depth
    return "\n".join(pad + line if line.strip() else line for line in text.split("\n"))


def compile_ok(text: str) -> model.Pipeline:
    pipeline, warnings = compile_text(text)
    assert isinstance(pipeline, model.Pipeline)
    return pipeline


def pipeline_with(stages: str, sources: str = SOURCE, top: str = "", name: str = "p") -> model.Pipeline:
    parts = [p for p in (top, sources, stages) if p]
    return compile_ok(f"pipeline {name} {{\n" + _indent("\n".join(parts), 1) + "\n}\n")


def one_action(body: str, head: str = "build b", sources: str = SOURCE, stage: str = "stage s"):
    p = pipeline_with(f"{stage} {{\n" + _indent(f"{head} {{\n" + _indent(body, 1) + "\n}", 1) + "\n}",
                      sources)
    (st,) = p.stages
    (act,) = st.actions
    return act


def one_source(body: str | None, head: str = SOURCE, name: str = "p") -> model.Source:
    src = head if body is None else head + " {\n" + _indent(body, 1) + "\n}"
    p = pipeline_with('stage s {\n  build b {\n    build "make"\n  }\n}', src, name=name)
    (source,) = p.sources
    return source


def deploy(platform: str, body: str) -> model.Deploy:
    return one_action(body, head=f"deploy d to {platform}")


EC2_TARGET = "from app\ninstances tag Env = test"
ECS_TARGET = "from app\ncluster c\nservice s"
ECS_SHIFT = ECS_TARGET + '\ncontainer web port 80\nlistener "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2"\ntarget_groups blue green'
LAMBDA_TARGET = 'function "fn"\nalias live'


# ----------------------------------------------------------------------------- build defaults


def test_build_defaults():
    b = one_action('build "make"')
    assert isinstance(b, model.Build)
    assert b.kind == "build"
    assert b.image == model.Image("ubuntu", None)
    assert b.compute == "small"
    assert b.timeout_minutes == 60
    assert b.privileged is False
    assert b.inputs == ("app",)
    assert b.stage == "s"
    assert b.run_order == 1
    assert b.phases == (model.Phase("build", (model.Command("make"),), (), "abort"),)
    assert b.runtimes == b.env == b.secrets == b.outputs == b.cache == b.reports == b.codeartifact == ()
    assert b.aws == b.github == model.PlatformSettings()
    assert b.platform_binding is None


def test_build_settings_override_defaults():
    b = one_action(
        'image amazonlinux 2023\ncompute 2xlarge\nprivileged\ntimeout 2h\nruntime python 3.12\n'
        'env A = "1"\nbuild "make"\nartifact out files "**/*" base dist discard_paths\ncache "a" "b" "a"\n'
        'report r junit files "r.xml"\ncodeartifact pip domain dom repository repo owner 123456789012'
    )
    assert b.image == model.Image("amazonlinux", "2023")
    assert b.compute == "2xlarge"
    assert b.privileged is True
    assert b.timeout_minutes == 120
    assert b.runtimes == (("python", "3.12"),)
    assert b.env == (model.EnvVar("A", "1"),)
    assert b.outputs == (model.OutputArtifact("out", ("**/*",), "dist", True),)
    assert b.cache == ("a", "b")
    assert b.reports == (model.Report("r", "junit", ("r.xml",)),)
    assert b.codeartifact == (model.CodeArtifactLogin("pip", "dom", "repo", "123456789012"),)


@pytest.mark.parametrize("text, minutes", [("5m", 5), ("300s", 5), ("1h", 60), ("36h", 2160), ("1d", 1440)])
def test_build_timeout_in_minutes(text, minutes):
    assert one_action(f'build "make"\ntimeout {text}').timeout_minutes == minutes


def test_phases_in_execution_order_with_block_details():
    b = one_action(
        'post_build "d"\nbuild {\n  run "c"\n  finally "cleanup"\n  on_failure continue\n}\n'
        'install "a"\npre_build "b"'
    )
    assert b.phases == (
        model.Phase("install", (model.Command("a"),)),
        model.Phase("pre_build", (model.Command("b"),)),
        model.Phase("build", (model.Command("c"),), (model.Command("cleanup"),), "continue"),
        model.Phase("post_build", (model.Command("d"),)),
    )


def test_script_commands_reach_the_model():
    b = one_action('build """\n  set -e\n  make\n"""')
    assert b.phases[0].commands == (model.Command("set -e\nmake", True),)


def test_test_action_kind_and_default_input():
    t = one_action('build "npm test"', head="test unit")
    assert t.kind == "test"
    assert t.inputs == ("app",)


def test_build_inputs_default_to_the_first_source():
    p = pipeline_with(
        'stage s {\n  build b {\n    build "x"\n  }\n}',
        sources='source first github "o/one"\nsource second codecommit two',
    )
    assert p.stages[0].actions[0].inputs == ("first",)


def test_build_explicit_inputs():
    p = pipeline_with(
        'stage s {\n  build b {\n    from second first\n    build "x"\n  }\n}',
        sources='source first github "o/one"\nsource second codecommit two',
    )
    assert p.stages[0].actions[0].inputs == ("second", "first")


# ----------------------------------------------------------------------------- secrets


def test_secrets_mapped_to_github_secrets():
    b = one_action(
        'secret NPM_TOKEN from ssm "/ci/npm"\n'
        'secret DB from secrets-manager "prod/db:password"\n'
        'build "make"\n'
        'github {\n  secret NPM_TOKEN from github "NPM_TOKEN_GH"\n}'
    )
    assert b.secrets == (
        model.Secret("NPM_TOKEN", "ssm", "/ci/npm", "NPM_TOKEN_GH"),
        model.Secret("DB", "secrets-manager", "prod/db:password", None),
    )
    # the mapping is not a github setting
    assert b.github == model.PlatformSettings()


def test_secret_without_mapping():
    b = one_action('secret K from ssm "/k"\nbuild "make"')
    assert b.secrets == (model.Secret("K", "ssm", "/k"),)


def test_platform_settings_of_a_build():
    b = one_action('build "make"\naws {\n  project_name proj\n}\ngithub {\n  runs_on a b\n  run_in_codebuild\n}')
    assert b.aws == model.PlatformSettings((("project_name", ("proj",)),))
    assert b.github.get("runs_on") == ("a", "b")
    assert b.github.has("run_in_codebuild")
    assert b.github.first("runs_on") == "a"
    assert b.github.first("missing", "dflt") == "dflt"


# ----------------------------------------------------------------------------- sources and triggers


def test_git_source_defaults():
    src = one_source(None)
    assert src == model.Source(
        "app", "github", "my-org/my-repo", "main", None, None, model.Connection("p-github", None), False,
        (model.PushTrigger(branches=model.Filter(("main",))),),
    )
    assert src.artifact == "app"
    assert src.is_git


@pytest.mark.parametrize("provider", ["github", "bitbucket", "gitlab"])
def test_connection_name_default_per_provider(provider):
    src = one_source(None, head=f'source app {provider} "o/r"', name="shop")
    assert src.connection == model.Connection(f"shop-{provider}", None)


def test_connection_name_default_is_at_most_32_characters():
    name = "a-very-long-pipeline-name-for-testing"
    src = one_source(None, name=name)
    assert src.connection.name == f"{name}-github"[:32]
    assert len(src.connection.name) == 32


def test_explicit_connection():
    assert one_source("connection shared").connection == model.Connection("shared", None)
    arn = "arn:aws:codeconnections:us-east-1:1:connection/x"
    assert one_source(f'connection arn "{arn}"').connection == model.Connection(None, arn)


def test_clone_full():
    assert one_source("clone full").full_clone is True
    assert one_source("clone shallow").full_clone is False


def test_codecommit_source_defaults():
    src = one_source(None, head="source app codecommit my-repo")
    assert src == model.Source("app", "codecommit", "my-repo", "main", None, None, None, False,
                               (model.PushTrigger(branches=model.Filter(("main",))),))


def test_s3_source():
    src = one_source('key "drop/app.zip"', head="source app s3 my-bucket")
    assert (src.provider, src.repository, src.branch, src.bucket, src.object_key, src.connection) == (
        "s3", None, None, "my-bucket", "drop/app.zip", None,
    )
    assert not src.is_git


def test_default_push_trigger_uses_the_branch():
    src = one_source("branch develop")
    assert src.branch == "develop"
    assert src.triggers == (model.PushTrigger(branches=model.Filter(("develop",))),)


def test_explicit_on_line_replaces_the_default_trigger():
    assert one_source("on manual").triggers == (model.ManualTrigger(),)


def test_push_without_filters_gets_the_branch():
    assert one_source("branch dev\non push").triggers == (model.PushTrigger(branches=model.Filter(("dev",))),)


def test_push_with_only_paths_gets_the_branch():
    src = one_source('branch dev\non push paths "src/**" !"docs/**"')
    assert src.triggers == (
        model.PushTrigger(branches=model.Filter(("dev",)), paths=model.Filter(("src/**",), ("docs/**",))),
    )


def test_push_with_branches():
    src = one_source('on push branches main "release/*"')
    assert src.triggers == (model.PushTrigger(branches=model.Filter(("main", "release/*"))),)


def test_filter_with_only_excludes_includes_everything():
    src = one_source("on push branches !wip !\"tmp/*\"")
    assert src.triggers == (model.PushTrigger(branches=model.Filter(("**",), ("wip", "tmp/*"))),)


def test_paths_with_only_excludes_includes_everything():
    src = one_source('on push paths !"docs/**"')
    assert src.triggers == (
        model.PushTrigger(branches=model.Filter(("main",)), paths=model.Filter(("**",), ("docs/**",))),
    )


def test_push_tags():
    src = one_source('on push tags "v*" !"v0.*"')
    assert src.triggers == (model.PushTrigger(tags=model.Filter(("v*",), ("v0.*",))),)


def test_pull_request_defaults():
    src = one_source("on pull_request")
    assert src.triggers == (model.PullRequestTrigger(("opened", "updated"), model.Filter(("**",))),)


def test_pull_request_events_sorted_and_filters():
    src = one_source('on pull_request closed opened into main !"wip/*" paths "src/**"')
    assert src.triggers == (
        model.PullRequestTrigger(("opened", "closed"), model.Filter(("main",), ("wip/*",)),
                                 model.Filter(("src/**",))),
    )


def test_pull_request_into_only_excludes():
    src = one_source("on pull_request updated into !legacy")
    assert src.triggers == (model.PullRequestTrigger(("updated",), model.Filter(("**",), ("legacy",))),)


def test_trigger_platforms_and_order():
    src = one_source("on push via aws\non pull_request via github\non manual via github")
    assert src.triggers == (
        model.PushTrigger(branches=model.Filter(("main",)), platform="aws"),
        model.PullRequestTrigger(("opened", "updated"), model.Filter(("**",)), platform="github"),
        model.ManualTrigger("github"),
    )


# ----------------------------------------------------------------------------- pipeline level


def test_pipeline_defaults():
    p = pipeline_with('stage s {\n  build b {\n    build "make"\n  }\n}')
    assert p.name == "p"
    assert p.mode == "superseded"
    assert p.variables == ()
    assert p.artifact_store == model.ArtifactStore(None, None)
    assert p.aws == p.github == model.PlatformSettings()


def test_pipeline_level_statements():
    p = pipeline_with(
        'stage s {\n  build b {\n    build "make"\n  }\n}',
        top='mode queued\nvariable ENV = staging description "target"\nvariable X = "1"\n'
            'artifact_store bucket bkt key "alias/k"\naws {\n  tag team web\n  tag cost 1\n}\n'
            'github {\n  workflow ci\n}',
    )
    assert p.mode == "queued"
    assert p.variables == (model.Variable("ENV", "staging", "target"), model.Variable("X", "1"))
    assert p.artifact_store == model.ArtifactStore("bkt", "alias/k")
    assert p.aws.items == (("tag", ("team", "web")), ("tag", ("cost", "1")))
    assert p.github.first("workflow") == "ci"


# ----------------------------------------------------------------------------- stages and run orders


def _orders(stage: model.Stage):
    return [(a.name, a.run_order) for a in stage.actions]


def test_sequential_actions_get_increasing_run_orders():
    p = pipeline_with(
        'stage s {\n  build a {\n    build "x"\n  }\n  build b {\n    build "x"\n  }\n'
        '  build c {\n    build "x"\n  }\n}'
    )
    assert _orders(p.stages[0]) == [("a", 1), ("b", 2), ("c", 3)]


def test_parallel_group_shares_one_run_order():
    p = pipeline_with(
        'stage s {\n  parallel {\n    build a {\n      build "x"\n    }\n    test b {\n      build "x"\n    }\n'
        '    approve c {\n    }\n  }\n}'
    )
    assert _orders(p.stages[0]) == [("a", 1), ("b", 1), ("c", 1)]


def test_mixed_sequential_and_parallel_run_orders():
    p = pipeline_with(
        "stage s {\n"
        '  build a {\n    build "x"\n  }\n'
        '  parallel {\n    test b {\n      build "x"\n    }\n    test c {\n      build "x"\n    }\n  }\n'
        "  approve d {\n  }\n"
        '  parallel {\n    invoke e {\n      function f\n    }\n    invoke f {\n      function f\n    }\n  }\n'
        "}"
    )
    assert _orders(p.stages[0]) == [("a", 1), ("b", 2), ("c", 2), ("d", 3), ("e", 4), ("f", 4)]


def test_run_orders_restart_in_each_stage_and_stage_indexes():
    p = pipeline_with(
        'stage one {\n  build a {\n    build "x"\n  }\n  build b {\n    build "x"\n  }\n}\n'
        "stage two {\n  approve c {\n  }\n}\n"
        "stage three {\n  approve d {\n  }\n}"
    )
    assert [(s.name, s.index) for s in p.stages] == [("one", 0), ("two", 1), ("three", 2)]
    assert _orders(p.stages[1]) == [("c", 1)]
    assert [a.stage for a in p.actions()] == ["one", "one", "two", "three"]


def test_transition_disabled():
    p = pipeline_with('stage s {\n  transition disabled "freeze"\n  approve a {\n  }\n}')
    assert p.stages[0].disabled_reason == "freeze"
    assert p.stages[0].actions[0].run_order == 1


def test_stage_defaults():
    p = pipeline_with("stage s {\n  approve a {\n  }\n}")
    assert p.stages[0].disabled_reason is None
    assert p.stages[0].platform is None


def test_artifacts_flow_between_stages():
    p = pipeline_with(
        'stage b {\n  build web {\n    build "x"\n    artifact dist files "**/*"\n  }\n}\n'
        'stage t {\n  test unit {\n    from dist app\n    build "x"\n  }\n}\n'
        'stage d {\n  deploy site to s3 {\n    from dist\n    bucket www\n    extract\n  }\n}'
    )
    assert p.stages[1].actions[0].inputs == ("dist", "app")
    assert p.stages[2].actions[0].inputs == ("dist",)


def test_artifact_from_an_earlier_action_in_the_same_stage():
    # 'web' runs first (run order 1), 'unit' after it (run order 2): 'dist' exists by then.
    p = pipeline_with(
        'stage b {\n  build web {\n    build "x"\n    artifact dist files "**/*"\n  }\n'
        '  test unit {\n    from dist\n    build "x"\n  }\n}'
    )
    web, unit = p.stages[0].actions
    assert (web.run_order, unit.run_order) == (1, 2)
    assert unit.inputs == ("dist",)


def test_artifact_from_an_earlier_parallel_group_in_the_same_stage():
    p = pipeline_with(
        'stage b {\n  parallel {\n    build web {\n      build "x"\n      artifact dist files "*"\n    }\n'
        '    build api {\n      build "x"\n    }\n  }\n'
        '  deploy site to s3 {\n    from dist\n    bucket www\n    extract\n  }\n}'
    )
    assert [a.run_order for a in p.stages[0].actions] == [1, 1, 2]
    assert p.stages[0].actions[2].inputs == ("dist",)


# ----------------------------------------------------------------------------- actions()


def test_pipeline_actions_order():
    p = pipeline_with(
        "stage one {\n"
        '  build a {\n    build "x"\n  }\n'
        '  parallel {\n    build b {\n      build "x"\n    }\n    build c {\n      build "x"\n    }\n  }\n'
        "}\n"
        "stage two {\n"
        '  approve d {\n  }\n'
        '  parallel {\n    invoke e {\n      function f\n    }\n    approve f {\n    }\n  }\n'
        "}"
    )
    assert [a.name for a in p.actions()] == ["a", "b", "c", "d", "e", "f"]
    assert [(a.stage, a.run_order) for a in p.actions()] == [
        ("one", 1), ("one", 2), ("one", 2), ("two", 1), ("two", 2), ("two", 2),
    ]
    assert list(p.actions()) == [a for s in p.stages for a in s.actions]


# ----------------------------------------------------------------------------- is_hybrid


def test_not_hybrid():
    assert pipeline_with("stage s {\n  approve a {\n  }\n}").is_hybrid is False


@pytest.mark.parametrize("platform", ["aws", "github"])
def test_hybrid_by_stage(platform):
    p = pipeline_with(f"stage s via {platform} {{\n  approve a {{\n  }}\n}}")
    assert p.is_hybrid is True
    assert p.stages[0].platform == platform
    assert p.stages[0].actions[0].platform_binding == platform


@pytest.mark.parametrize("trigger", ["on push via aws", "on pull_request via github", "on manual via github"])
def test_hybrid_by_trigger(trigger):
    p = pipeline_with("stage s {\n  approve a {\n  }\n}", sources=SOURCE + " {\n  " + trigger + "\n}")
    assert p.is_hybrid is True


def test_stage_binding_reaches_every_action_kind():
    p = pipeline_with(
        "stage s via github {\n"
        '  build b {\n    build "x"\n  }\n'
        "  approve a {\n  }\n"
        "  invoke i {\n    function f\n  }\n"
        "  deploy l to lambda {\n    function fn\n    alias live\n  }\n"
        "}"
    )
    assert [a.platform_binding for a in p.actions()] == ["github"] * 4


# ----------------------------------------------------------------------------- approvals and invokes


def test_approval_defaults():
    a = one_action("", head="approve release")
    assert a == model.Approval("release", "s", 1, timeout_minutes=10080, github_environment="release")
    assert a.timeout_minutes == 7 * 24 * 60
    assert a.inputs == ()
    assert a.message is a.url is a.topic_arn is None
    assert a.notify_emails == a.reviewers == ()


def test_approval_settings():
    a = one_action(
        'message "Check"\nurl "https://x.example.com"\nnotify email "a@example.com" "b@example.com"\n'
        'timeout 2h\ngithub {\n  environment production\n  reviewers alice bob\n}',
        head="approve release",
    )
    assert (a.message, a.url, a.notify_emails, a.timeout_minutes) == (
        "Check", "https://x.example.com", ("a@example.com", "b@example.com"), 120,
    )
    assert a.github_environment == "production"
    assert a.reviewers == ("alice", "bob")


def test_approval_topic():
    arn = "arn:aws:sns:us-east-1:123456789012:t"
    a = one_action(f'notify topic "{arn}"', head="approve a")
    assert (a.topic_arn, a.notify_emails) == (arn, ())


def test_invoke():
    i = one_action('function "fn"\nparameters "{}"\nartifact out\nartifact more', head="invoke i")
    assert i == model.Invoke("i", "s", 1, "fn", "{}", (), ("out", "more"))


def test_invoke_with_inputs():
    i = one_action('function "fn"\nfrom app', head="invoke i")
    assert i.inputs == ("app",)


# ----------------------------------------------------------------------------- deployments: defaults


def test_ec2_defaults():
    d = deploy("ec2", EC2_TARGET)
    assert d.platform == "ec2"
    assert d.inputs == ("app",)
    assert d.strategy == model.Strategy("rolling", "one-at-a-time")
    assert d.rollback == model.Rollback(True, ())
    assert d.rollback.enabled
    assert d.hooks == ()
    assert d.target == model.Ec2Target((("Env", "test"),), (), None, "linux", (), ())
    assert d.uses_codedeploy
    assert d.strategy.codedeploy_config("ec2") == "CodeDeployDefault.OneAtATime"


def test_ecs_defaults():
    d = deploy("ecs", ECS_TARGET)
    assert d.strategy == model.Strategy("rolling")
    assert d.rollback == model.Rollback(True, ())
    assert d.target == model.EcsTarget("c", "s")
    assert d.target.task_definition == "taskdef.json"
    assert d.target.image_file == "imagedefinitions.json"
    assert not d.uses_codedeploy
    assert d.strategy.codedeploy_config("ecs") is None


def test_lambda_defaults():
    d = deploy("lambda", LAMBDA_TARGET)
    assert d.strategy == model.Strategy("all-at-once")
    assert d.rollback == model.Rollback(True, ())
    assert d.inputs == ()
    assert d.target == model.LambdaTarget("fn", "live", None, None)
    assert d.uses_codedeploy
    assert d.strategy.codedeploy_config("lambda") == "CodeDeployDefault.LambdaAllAtOnce"


def test_rollback_forms():
    assert deploy("lambda", LAMBDA_TARGET + "\nrollback none").rollback == model.Rollback(False, ())
    assert not deploy("lambda", LAMBDA_TARGET + "\nrollback none").rollback.enabled
    assert deploy("lambda", LAMBDA_TARGET + "\nrollback on failure").rollback == model.Rollback(True, ())
    only_alarms = deploy("lambda", LAMBDA_TARGET + '\nrollback on alarm "A" B').rollback
    assert only_alarms == model.Rollback(False, ("A", "B"))
    assert only_alarms.enabled
    assert deploy("lambda", LAMBDA_TARGET + "\nrollback on failure alarm A").rollback == model.Rollback(True, ("A",))


def test_ec2_target_and_hooks():
    d = deploy(
        "ec2",
        "from app\ninstances tag Env = a\ninstances tag Role = web\nautoscaling asg1 asg2\ntarget_group tg\n"
        'os linux\ncopy "/" to "/srv"\npermission "/srv" owner www group www mode 755\n'
        "strategy blue-green terminate_after 1h\n"
        'hook before_install "stop.sh" timeout 2m as root\nhook validate_service "check.sh"',
    )
    assert d.target == model.Ec2Target(
        (("Env", "a"), ("Role", "web")), ("asg1", "asg2"), "tg", "linux", (("/", "/srv"),),
        (("/srv", "www", "www", "755"),),
    )
    assert d.strategy == model.Strategy("blue-green", terminate_after_minutes=60)
    assert d.hooks == (
        model.Hook("before_install", "stop.sh", 120, "root"),
        model.Hook("validate_service", "check.sh", None, None),
    )


def test_ecs_traffic_shifting_target():
    d = deploy(
        "ecs",
        ECS_SHIFT + '\ntest_listener "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/3"\ntask_definition td.json\nplatform_version 1.4.0\n'
        "network subnets subnet-0a1b2c3d subnet-0e1f2a3b security_groups sg-0a1b2c3d public_ip\nstrategy blue-green\n"
        "hook after_allow_test_traffic check-fn",
    )
    assert d.target == model.EcsTarget(
        "c", "s", "web", 80, "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/2", "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1/3", ("blue", "green"), "td.json", "imagedefinitions.json",
        "1.4.0", model.EcsNetwork(("subnet-0a1b2c3d", "subnet-0e1f2a3b"), ("sg-0a1b2c3d",), True),
    )
    assert d.hooks == (model.Hook("after_allow_test_traffic", "check-fn"),)
    assert d.uses_codedeploy


def test_lambda_versions():
    d = deploy("lambda", LAMBDA_TARGET + "\nversions current 3 target 4")
    assert d.target == model.LambdaTarget("fn", "live", "3", "4")


def test_cloudformation_defaults_and_settings():
    d = one_action("from app\nstack st\ntemplate t.yaml", head="deploy infra to cloudformation")
    assert d == model.StackDeploy("infra", "s", 1, ("app",), "st", "t.yaml", (), (), "pipec-infra")
    d = one_action(
        "from app\nstack st\ntemplate t.yaml\nparameter Env = prod\nparameter N = 2\ncapabilities iam auto-expand\n"
        "change_set none",
        head="deploy infra to cloudformation",
    )
    assert (d.parameters, d.capabilities, d.change_set) == ((("Env", "prod"), ("N", "2")), ("iam", "auto-expand"), None)
    d = one_action("from app\nstack st\ntemplate t.yaml\nchange_set mine", head="deploy infra to cloudformation")
    assert d.change_set == "mine"


def test_s3_deploy():
    d = one_action('from app\nbucket www\nextract\ncache_control "max-age=60"', head="deploy site to s3")
    assert d == model.BucketDeploy("site", "s", 1, ("app",), "www", True, None, "max-age=60")
    d = one_action('from app\nbucket www\nobject_key "rel/app.zip"', head="deploy site to s3")
    assert (d.extract, d.object_key) == (False, "rel/app.zip")


def test_deploy_github_environment_setting():
    d = deploy("lambda", LAMBDA_TARGET + "\ngithub {\n  environment prod\n}\naws {\n  application app\n}")
    assert d.github.first("environment") == "prod"
    assert d.aws.first("application") == "app"


# ----------------------------------------------------------------------------- strategies through the compiler


@pytest.mark.parametrize(
    "platform, body, strategy, config",
    [
        ("ec2", EC2_TARGET + "\nstrategy all-at-once", model.Strategy("all-at-once"), "CodeDeployDefault.AllAtOnce"),
        ("ec2", EC2_TARGET + "\nstrategy rolling one-at-a-time", model.Strategy("rolling", "one-at-a-time"),
         "CodeDeployDefault.OneAtATime"),
        ("ec2", EC2_TARGET + "\nstrategy rolling half-at-a-time", model.Strategy("rolling", "half-at-a-time"),
         "CodeDeployDefault.HalfAtATime"),
        ("ec2", EC2_TARGET + "\nstrategy rolling min_healthy 75%", model.Strategy("rolling", "min_healthy", 75),
         None),
        ("ecs", ECS_SHIFT + "\nstrategy blue-green", model.Strategy("blue-green"), "CodeDeployDefault.ECSAllAtOnce"),
        ("ecs", ECS_SHIFT + "\nstrategy canary 10% then rest after 5m", model.Strategy("canary", None, 10, 5),
         "CodeDeployDefault.ECSCanary10Percent5Minutes"),
        ("ecs", ECS_SHIFT + "\nstrategy canary 10% then rest after 15m", model.Strategy("canary", None, 10, 15),
         "CodeDeployDefault.ECSCanary10Percent15Minutes"),
        ("ecs", ECS_SHIFT + "\nstrategy linear 10% every 1m", model.Strategy("linear", None, 10, 1),
         "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
        ("ecs", ECS_SHIFT + "\nstrategy linear 10% every 180s", model.Strategy("linear", None, 10, 3),
         "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"),
        ("ecs", ECS_SHIFT + "\nstrategy canary 20% then rest after 5m", model.Strategy("canary", None, 20, 5), None),
        ("lambda", LAMBDA_TARGET + "\nstrategy canary 10% then rest after 30m", model.Strategy("canary", None, 10, 30),
         "CodeDeployDefault.LambdaCanary10Percent30Minutes"),
        ("lambda", LAMBDA_TARGET + "\nstrategy linear 10% every 1m", model.Strategy("linear", None, 10, 1),
         "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"),
        ("lambda", LAMBDA_TARGET + "\nstrategy linear 5% every 1m", model.Strategy("linear", None, 5, 1), None),
        ("lambda", LAMBDA_TARGET + "\nstrategy canary 10% then rest after 1h", model.Strategy("canary", None, 10, 60),
         None),
    ],
)
def test_strategy_from_source(platform, body, strategy, config):
    d = deploy(platform, body)
    assert d.strategy == strategy
    assert d.strategy.codedeploy_config(platform) == config


# ----------------------------------------------------------------------------- Strategy.codedeploy_config


@pytest.mark.parametrize(
    "strategy, config",
    [
        (model.Strategy("rolling", "one-at-a-time"), "CodeDeployDefault.OneAtATime"),
        (model.Strategy("rolling", "half-at-a-time"), "CodeDeployDefault.HalfAtATime"),
        (model.Strategy("all-at-once"), "CodeDeployDefault.AllAtOnce"),
        (model.Strategy("blue-green"), "CodeDeployDefault.AllAtOnce"),
        (model.Strategy("rolling", "min_healthy", 75), None),
        (model.Strategy("rolling", "min_healthy", 50), None),
    ],
)
def test_codedeploy_config_ec2(strategy, config):
    assert strategy.codedeploy_config("ec2") == config


@pytest.mark.parametrize(
    "strategy, config",
    [
        (model.Strategy("blue-green"), "CodeDeployDefault.ECSAllAtOnce"),
        (model.Strategy("all-at-once"), "CodeDeployDefault.ECSAllAtOnce"),
        (model.Strategy("canary", None, 10, 5), "CodeDeployDefault.ECSCanary10Percent5Minutes"),
        (model.Strategy("canary", None, 10, 15), "CodeDeployDefault.ECSCanary10Percent15Minutes"),
        (model.Strategy("linear", None, 10, 1), "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
        (model.Strategy("linear", None, 10, 3), "CodeDeployDefault.ECSLinear10PercentEvery3Minutes"),
        # custom configurations
        (model.Strategy("canary", None, 20, 5), None),
        (model.Strategy("canary", None, 10, 10), None),
        (model.Strategy("canary", None, 10, 30), None),
        (model.Strategy("linear", None, 10, 2), None),
        (model.Strategy("linear", None, 10, 10), None),
        (model.Strategy("linear", None, 20, 1), None),
        (model.Strategy("rolling"), None),
    ],
)
def test_codedeploy_config_ecs(strategy, config):
    assert strategy.codedeploy_config("ecs") == config


@pytest.mark.parametrize(
    "strategy, config",
    [
        (model.Strategy("all-at-once"), "CodeDeployDefault.LambdaAllAtOnce"),
        (model.Strategy("canary", None, 10, 5), "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
        (model.Strategy("canary", None, 10, 10), "CodeDeployDefault.LambdaCanary10Percent10Minutes"),
        (model.Strategy("canary", None, 10, 15), "CodeDeployDefault.LambdaCanary10Percent15Minutes"),
        (model.Strategy("canary", None, 10, 30), "CodeDeployDefault.LambdaCanary10Percent30Minutes"),
        (model.Strategy("linear", None, 10, 1), "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"),
        (model.Strategy("linear", None, 10, 2), "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes"),
        (model.Strategy("linear", None, 10, 3), "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes"),
        (model.Strategy("linear", None, 10, 10), "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"),
        # custom configurations
        (model.Strategy("canary", None, 20, 5), None),
        (model.Strategy("canary", None, 10, 1), None),
        (model.Strategy("canary", None, 10, 20), None),
        (model.Strategy("linear", None, 10, 5), None),
        (model.Strategy("linear", None, 25, 10), None),
    ],
)
def test_codedeploy_config_lambda(strategy, config):
    assert strategy.codedeploy_config("lambda") == config


@pytest.mark.parametrize("platform", ["cloudformation", "s3", "github"])
def test_codedeploy_config_other_platforms(platform):
    assert model.Strategy("all-at-once").codedeploy_config(platform) is None
    assert model.Strategy("canary", None, 10, 5).codedeploy_config(platform) is None


# ----------------------------------------------------------------------------- the reference example


@pytest.fixture(scope="module")
def reference():
    return compile_text(REFERENCE.read_text(encoding="utf-8"), str(REFERENCE))


def test_reference_compiles_without_warnings(reference):
    pipeline, warnings = reference
    assert warnings == []
    assert pipeline.name == "my-app"
    assert pipeline.filename == str(REFERENCE)
    assert pipeline.mode == "superseded"
    assert not pipeline.is_hybrid


def test_reference_source(reference):
    (src,) = reference[0].sources
    assert src == model.Source(
        "app", "github", "my-org/my-repo", "main", None, None, model.Connection("my-app-github"), False,
        (
            model.PushTrigger(branches=model.Filter(("main",)),
                              paths=model.Filter(("src/**", "package*.json"), ("docs/**",))),
        ),
    )


def test_reference_stages(reference):
    p = reference[0]
    assert [(s.name, s.index, len(s.actions), s.disabled_reason, s.platform) for s in p.stages] == [
        ("build", 0, 1, None, None), ("staging", 1, 1, None, None),
        ("approval", 2, 1, None, None), ("production", 3, 1, None, None),
    ]
    assert [(a.name, type(a).__name__, a.run_order, a.inputs) for a in p.actions()] == [
        ("web", "Build", 1, ("app",)),
        ("web-staging", "Deploy", 1, ("dist",)),
        ("release", "Approval", 1, ()),
        ("web-prod", "Deploy", 1, ("dist",)),
    ]


def test_reference_build(reference):
    web = reference[0].stages[0].actions[0]
    assert web.image == model.Image("ubuntu")
    assert web.compute == "medium"
    assert web.timeout_minutes == 60
    assert web.runtimes == (("nodejs", "20"),)
    assert web.env == (model.EnvVar("NODE_ENV", "production"),)
    assert web.secrets == (model.Secret("DB_PASSWORD", "ssm", "/myapp/db-password", None),)
    assert [(ph.name, [c.text for c in ph.commands]) for ph in web.phases] == [
        ("install", ["npm ci"]),
        ("pre_build", ["npm run lint", "npm run test"]),
        ("build", ["npm run build"]),
        ("post_build", ['echo "Build completed on $(date)"']),
    ]
    assert web.outputs == (model.OutputArtifact("dist", ("**/*",), "dist", False),)
    assert web.cache == ("node_modules/**/*",)


def test_reference_staging_deploy(reference):
    d = reference[0].stages[1].actions[0]
    assert d.platform == "ec2"
    assert d.target == model.Ec2Target((("Environment", "staging"),), files=(("/", "/var/www/myapp"),))
    assert d.strategy == model.Strategy("rolling", "one-at-a-time")
    assert d.strategy.codedeploy_config("ec2") == "CodeDeployDefault.OneAtATime"
    assert d.rollback == model.Rollback(True, ())
    assert d.hooks == (
        model.Hook("before_install", "scripts/stop_server.sh", 120, "root"),
        model.Hook("after_install", "scripts/install_dependencies.sh", 300, "root"),
        model.Hook("application_start", "scripts/start_server.sh", 120, "root"),
        model.Hook("validate_service", "scripts/validate_service.sh", 120, "root"),
    )


def test_reference_approval(reference):
    a = reference[0].stages[2].actions[0]
    assert a == model.Approval(
        "release", "approval", 1, "Verify staging before production", "https://staging.example.com",
        ("team@example.com",), None, 10080, "release", ("my-org/release-managers",),
        github=model.PlatformSettings((("reviewers", ("my-org/release-managers",)),)),
    )


def test_reference_production_deploy(reference):
    d = reference[0].stages[3].actions[0]
    assert d.platform == "ecs"
    assert d.target.cluster == "my-app-cluster"
    assert d.target.service == "my-app-service"
    assert (d.target.container, d.target.port) == ("web", 3000)
    assert d.target.listener.startswith("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/my-app-alb/")
    assert d.target.target_groups == ("my-app-blue", "my-app-green")
    assert d.strategy == model.Strategy("canary", None, 10, 5)
    assert d.strategy.codedeploy_config("ecs") == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert d.rollback == model.Rollback(True, ("HighErrorRate",))
    assert d.uses_codedeploy


# ----------------------------------------------------------------------------- equality ignores spans


def _reformat(text: str) -> str:
    """The same pipeline written differently: other indentation, blank lines and comments
    between statements, trailing comments, CRLF line endings."""
    out = ["# a leading comment", ""]
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        out.append("\t" + stripped + ("   # trailing" if not stripped.endswith('"""') else ""))
        out.append("")
        out.append("    # between statements")
    return "\r\n".join(out) + "\r\n"


def test_model_equality_ignores_spans(reference):
    text = REFERENCE.read_text(encoding="utf-8")
    other_text = _reformat(text)
    assert other_text != text
    other, warnings = compile_text(other_text, "elsewhere.pipe")
    assert warnings == []
    assert other == reference[0]
    assert other.stages[0].span != reference[0].stages[0].span
    assert other.stages[1].actions[0].strategy.span != reference[0].stages[1].actions[0].strategy.span


def test_model_equality_with_quoted_values(reference):
    text = REFERENCE.read_text(encoding="utf-8")
    quoted = (text.replace("branch main", 'branch "main"')
              .replace("cluster my-app-cluster", 'cluster "my-app-cluster"')
              .replace("runtime nodejs 20", 'runtime nodejs "20"'))
    assert quoted != text
    assert compile_text(quoted)[0] == reference[0]


def test_model_inequality_detects_a_change(reference):
    text = REFERENCE.read_text(encoding="utf-8").replace("compute medium", "compute large")
    assert compile_text(text)[0] != reference[0]
