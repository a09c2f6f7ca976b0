"""Parser tests: one small snippet per construct of grammar/pipe.lark, compared with the exact
syntax tree (pipec.ast nodes; spans are excluded from equality), plus lexical details (strings,
scripts, comments, line endings, spans) and the parser cache."""

from __future__ import annotations

import pathlib

import pytest

from pipec import ast
from pipec import parser as parser_mod
from pipec.diagnostics import Diagnostics, Span
from pipec.parser import parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "02-reference.pipe"

# ----------------------------------------------------------------------------- helpers


def _indent(text: str, depth: int) -> str:
    pad = "  " * depth
    return "\n".join(pad + line if line.strip() else line for line in text.split("\n"))


def wrap_pipeline(stmt: str) -> str:
    """The minimal pipeline holding ``stmt`` at pipeline level."""
    return "pipeline p {\n" + _indent(stmt, 1) + "\n}\n"


def pipeline_body(stmt: str) -> tuple:
    return parse(wrap_pipeline(stmt)).pipeline.body


def source_body(stmt: str, head: str = 'source app github "o/r"') -> tuple:
    (src,) = pipeline_body(head + " {\n" + _indent(stmt, 1) + "\n}")
    assert isinstance(src, ast.Source)
    return src.body


def stage_body(stmt: str, head: str = "stage s") -> tuple:
    (stage,) = pipeline_body(head + " {\n" + _indent(stmt, 1) + "\n}")
    assert isinstance(stage, ast.Stage)
    return stage.body


def action(stmt: str, head: str) -> ast.Action:
    (act,) = stage_body(head + " {\n" + _indent(stmt, 1) + "\n}")
    return act


def build_body(stmt: str, kind: str = "build") -> tuple:
    act = action(stmt, f"{kind} b")
    assert act == ast.BuildAction(kind, "b", act.body)
    return act.body


def deploy_body(platform: str, stmt: str) -> tuple:
    act = action(stmt, f"deploy d to {platform}")
    assert act == ast.DeployAction("d", platform, act.body)
    return act.body


def approve_body(stmt: str) -> tuple:
    act = action(stmt, "approve a")
    assert act == ast.ApproveAction("a", act.body)
    return act.body


def invoke_body(stmt: str) -> tuple:
    act = action(stmt, "invoke i")
    assert act == ast.InvokeAction("i", act.body)
    return act.body


def pat(text: str, negated: bool = False) -> ast.Pattern:
    return ast.Pattern(text, negated)


def cmd(text: str, script: bool = False) -> ast.Command:
    return ast.Command(text, script)


def dur(value: int, unit: str) -> ast.Duration:
    return ast.Duration(value, unit)


# ----------------------------------------------------------------------------- pipeline level


def test_empty_pipeline():
    module = parse("pipeline p {\n}\n")
    assert module == ast.Module(ast.Pipeline("p", ()))
    assert module.pipeline.name == "p"


def test_leading_and_trailing_blank_lines():
    text = "\n\n\npipeline p {\n\n\n  mode parallel\n\n\n}\n\n\n"
    assert parse(text).pipeline == ast.Pipeline("p", (ast.ModeStmt("parallel"),))


def test_no_trailing_newline():
    assert parse("pipeline p {\n  mode queued\n}").pipeline == ast.Pipeline("p", (ast.ModeStmt("queued"),))


@pytest.mark.parametrize("mode", ["queued", "superseded", "parallel"])
def test_mode(mode):
    assert pipeline_body(f"mode {mode}") == (ast.ModeStmt(mode),)


def test_variable_without_description():
    assert pipeline_body('variable ENV = "staging"') == (ast.VariableStmt("ENV", "staging"),)


def test_variable_with_description():
    assert pipeline_body('variable ENV = staging description "Where to deploy"') == (
        ast.VariableStmt("ENV", "staging", "Where to deploy"),
    )


def test_artifact_store_bucket_only():
    assert pipeline_body('artifact_store bucket "my-bucket"') == (ast.StoreStmt("my-bucket"),)


def test_artifact_store_with_key():
    assert pipeline_body('artifact_store bucket my-bucket key "alias/pipe"') == (
        ast.StoreStmt("my-bucket", "alias/pipe"),
    )


def test_pipeline_level_platform_blocks():
    body = pipeline_body(
        'aws {\n  role "arn:aws:iam::1:role/r"\n  tag team web\n  tag cost 42\n}\n'
        "github {\n  runs_on ubuntu-24.04 self-hosted\n  workflow deploy\n}"
    )
    assert body == (
        ast.PlatformBlock("aws", (
            ast.Setting("role", ("arn:aws:iam::1:role/r",)),
            ast.Setting("tag", ("team", "web")),
            ast.Setting("tag", ("cost", "42")),
        )),
        ast.PlatformBlock("github", (
            ast.Setting("runs_on", ("ubuntu-24.04", "self-hosted")),
            ast.Setting("workflow", ("deploy",)),
        )),
    )


def test_empty_platform_block():
    assert pipeline_body("aws {\n}") == (ast.PlatformBlock("aws", ()),)


def test_pipeline_body_keeps_written_order():
    body = pipeline_body(
        'mode queued\nvariable V = x\nsource app codecommit repo\nartifact_store bucket b\n'
        'stage s {\n  approve a {\n  }\n}\naws {\n}'
    )
    assert [type(n) for n in body] == [
        ast.ModeStmt, ast.VariableStmt, ast.Source, ast.StoreStmt, ast.Stage, ast.PlatformBlock,
    ]


# ----------------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    "provider, location",
    [("github", "my-org/my-repo"), ("bitbucket", "team/repo"), ("gitlab", "group/project"),
     ("codecommit", "my-repo"), ("s3", "my-bucket")],
)
def test_source_without_block(provider, location):
    assert pipeline_body(f'source app {provider} "{location}"') == (
        ast.Source("app", provider, location, ()),
    )


@pytest.mark.parametrize(
    "provider, location",
    [("github", "my-org/my-repo"), ("bitbucket", "team/repo"), ("gitlab", "group/project"),
     ("codecommit", "my-repo")],
)
def test_source_with_block(provider, location):
    assert pipeline_body(f'source app {provider} "{location}" {{\n  branch develop\n}}') == (
        ast.Source("app", provider, location, (ast.Field("branch", "develop"),)),
    )


def test_s3_source_with_key():
    assert pipeline_body('source drop s3 my-bucket {\n  key "incoming/app.zip"\n}') == (
        ast.Source("drop", "s3", "my-bucket", (ast.Field("key", "incoming/app.zip"),)),
    )


def test_source_with_empty_block():
    assert pipeline_body('source app github "o/r" {\n}') == (ast.Source("app", "github", "o/r", ()),)


def test_branch():
    assert source_body('branch "release/1.x"') == (ast.Field("branch", "release/1.x"),)


def test_connection_named():
    assert source_body("connection my-conn") == (ast.ConnectionStmt("my-conn", False),)


def test_connection_arn():
    arn = "arn:aws:codeconnections:us-east-1:123456789012:connection/abc"
    assert source_body(f'connection arn "{arn}"') == (ast.ConnectionStmt(arn, True),)


def test_key():
    assert source_body('key "a/b.zip"', head="source s s3 bkt") == (ast.Field("key", "a/b.zip"),)


@pytest.mark.parametrize("depth", ["full", "shallow"])
def test_clone(depth):
    assert source_body(f"clone {depth}") == (ast.Field("clone", depth),)


# ----------------------------------------------------------------------------- triggers


def test_push_trigger_bare():
    assert source_body("on push") == (ast.Trigger("push"),)


def test_schedule_trigger():
    assert source_body('on schedule "30 5 * * MON-FRI"') == (ast.Trigger("schedule", cron="30 5 * * MON-FRI"),)
    assert source_body('on schedule "0 0 * * *" via aws') == (ast.Trigger("schedule", via="aws", cron="0 0 * * *"),)


@pytest.mark.parametrize("platform", ["aws", "github"])
def test_push_trigger_via(platform):
    assert source_body(f"on push via {platform}") == (ast.Trigger("push", via=platform),)


def test_push_trigger_branches():
    assert source_body('on push branches main "release/*"') == (
        ast.Trigger("push", filters=(ast.Filter("branches", (pat("main"), pat("release/*"))),)),
    )


def test_push_trigger_tags():
    assert source_body('on push tags "v*"') == (
        ast.Trigger("push", filters=(ast.Filter("tags", (pat("v*"),)),)),
    )


def test_push_trigger_paths():
    assert source_body('on push paths "src/**" "package*.json"') == (
        ast.Trigger("push", filters=(ast.Filter("paths", (pat("src/**"), pat("package*.json"))),)),
    )


def test_push_trigger_several_filters_and_via():
    assert source_body('on push branches main paths "src/**" !"docs/**" via aws') == (
        ast.Trigger("push", filters=(
            ast.Filter("branches", (pat("main"),)),
            ast.Filter("paths", (pat("src/**"), pat("docs/**", True))),
        ), via="aws"),
    )


def test_filters_keep_written_order():
    assert source_body("on push paths a branches b") == (
        ast.Trigger("push", filters=(ast.Filter("paths", (pat("a"),)), ast.Filter("branches", (pat("b"),)))),
    )


@pytest.mark.parametrize("text", ["!wip", "! wip", '!"wip"'])
def test_negated_pattern(text):
    assert source_body(f"on push branches main {text}") == (
        ast.Trigger("push", filters=(ast.Filter("branches", (pat("main"), pat("wip", True))),)),
    )


def test_quoted_bang_is_not_negation():
    assert source_body('on push branches "!wip"') == (
        ast.Trigger("push", filters=(ast.Filter("branches", (pat("!wip"),)),)),
    )


def test_pull_request_bare():
    assert source_body("on pull_request") == (ast.Trigger("pull_request"),)


@pytest.mark.parametrize(
    "events", [("opened",), ("updated",), ("closed",), ("opened", "updated"), ("closed", "opened", "updated")]
)
def test_pull_request_events_in_written_order(events):
    assert source_body("on pull_request " + " ".join(events)) == (
        ast.Trigger("pull_request", events=events),
    )


def test_pull_request_into_paths_via():
    assert source_body('on pull_request opened into main !"dev" paths "src/**" via github') == (
        ast.Trigger("pull_request", ("opened",), (
            ast.Filter("into", (pat("main"), pat("dev", True))),
            ast.Filter("paths", (pat("src/**"),)),
        ), "github"),
    )


def test_pull_request_into_without_events():
    assert source_body("on pull_request into main") == (
        ast.Trigger("pull_request", filters=(ast.Filter("into", (pat("main"),)),)),
    )


def test_manual_trigger():
    assert source_body("on manual") == (ast.Trigger("manual"),)


def test_manual_trigger_via():
    assert source_body("on manual via aws") == (ast.Trigger("manual", via="aws"),)


def test_source_body_in_written_order():
    assert source_body("branch main\nconnection c\nclone full\non push\non manual") == (
        ast.Field("branch", "main"), ast.ConnectionStmt("c"), ast.Field("clone", "full"),
        ast.Trigger("push"), ast.Trigger("manual"),
    )


# ----------------------------------------------------------------------------- stages


def test_stage():
    assert pipeline_body("stage s {\n  approve a {\n  }\n}") == (
        ast.Stage("s", None, (ast.ApproveAction("a", ()),)),
    )


@pytest.mark.parametrize("platform", ["aws", "github"])
def test_stage_via(platform):
    assert pipeline_body(f"stage s via {platform} {{\n  approve a {{\n  }}\n}}") == (
        ast.Stage("s", platform, (ast.ApproveAction("a", ()),)),
    )


def test_empty_stage():
    assert pipeline_body("stage s {\n}") == (ast.Stage("s"),)


def test_parallel():
    body = stage_body("parallel {\n  approve a {\n  }\n  invoke i {\n    function f\n  }\n}")
    assert body == (
        ast.Parallel((ast.ApproveAction("a", ()), ast.InvokeAction("i", (ast.Field("function", "f"),)))),
    )


def test_sequential_and_parallel_mixed():
    body = stage_body(
        "approve a {\n}\nparallel {\n  approve b {\n  }\n  approve c {\n  }\n}\napprove d {\n}"
    )
    assert body == (
        ast.ApproveAction("a"),
        ast.Parallel((ast.ApproveAction("b"), ast.ApproveAction("c"))),
        ast.ApproveAction("d"),
    )


def test_source_inside_stage_and_parallel_parses():
    # The grammar accepts these so that semantic analysis can explain the mistake (E302).
    body = stage_body('source x github "o/r"\nparallel {\n  source y s3 b\n}')
    assert body == (
        ast.Source("x", "github", "o/r"),
        ast.Parallel((ast.Source("y", "s3", "b"),)),
    )


def test_transition():
    assert stage_body('transition disabled "change freeze"\napprove a {\n}') == (
        ast.TransitionStmt("change freeze"), ast.ApproveAction("a"),
    )


# ----------------------------------------------------------------------------- build and test


def test_build_action():
    assert stage_body('build web {\n  build "make"\n}') == (
        ast.BuildAction("build", "web", (ast.Phase("build", (cmd("make"),)),)),
    )


def test_test_action():
    assert stage_body('test unit {\n  build "make test"\n}') == (
        ast.BuildAction("test", "unit", (ast.Phase("build", (cmd("make test"),)),)),
    )


def test_empty_build_action():
    assert stage_body("build b {\n}") == (ast.BuildAction("build", "b", ()),)


@pytest.mark.parametrize(
    "stmt, node",
    [
        ("image ubuntu", ast.ImageStmt("ubuntu")),
        ("image ubuntu 24.04", ast.ImageStmt("ubuntu", "24.04")),
        ("image amazonlinux", ast.ImageStmt("amazonlinux")),
        ("image amazonlinux 2023", ast.ImageStmt("amazonlinux", "2023")),
        ('image ecr "1.dkr.ecr.us-east-1.amazonaws.com/b:1"',
         ast.ImageStmt("ecr", "1.dkr.ecr.us-east-1.amazonaws.com/b:1")),
        ('image docker "public.ecr.aws/docker/library/node:20"',
         ast.ImageStmt("docker", "public.ecr.aws/docker/library/node:20")),
        ('image codebuild "aws/codebuild/standard:7.0"', ast.ImageStmt("codebuild", "aws/codebuild/standard:7.0")),
        ("image docker", ast.ImageStmt("docker")),
    ],
)
def test_image(stmt, node):
    assert build_body(stmt) == (node,)


@pytest.mark.parametrize("size", ["small", "medium", "large", "2xlarge"])
def test_compute(size):
    assert build_body(f"compute {size}") == (ast.ComputeStmt(size),)


def test_privileged():
    assert build_body("privileged") == (ast.Flag("privileged"),)


@pytest.mark.parametrize("text, value, unit", [("90m", 90, "m"), ("2h", 2, "h"), ("300s", 300, "s"), ("1d", 1, "d")])
def test_timeout(text, value, unit):
    (node,) = build_body(f"timeout {text}")
    assert node == ast.TimeoutStmt(dur(value, unit))
    assert node.duration.seconds == {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit] * value


def test_runtime():
    assert build_body("runtime nodejs 20\nruntime python 3.12") == (
        ast.RuntimeStmt("nodejs", "20"), ast.RuntimeStmt("python", "3.12"),
    )


def test_env():
    assert build_body('env NODE_ENV = "production"\nenv LEVEL = 3') == (
        ast.EnvStmt("NODE_ENV", "production"), ast.EnvStmt("LEVEL", "3"),
    )


@pytest.mark.parametrize(
    "store, ref", [("ssm", "/myapp/db-password"), ("secrets-manager", "prod/db:password")]
)
def test_secret(store, ref):
    assert build_body(f'secret DB_PASSWORD from {store} "{ref}"') == (ast.SecretStmt("DB_PASSWORD", store, ref),)


def test_secret_from_github_inside_github_block():
    body = build_body(
        'secret TOKEN from ssm "/t"\n'
        'github {\n  secret TOKEN from github "NPM_TOKEN"\n  runs_on ubuntu-latest\n  run_in_codebuild\n}'
    )
    assert body == (
        ast.SecretStmt("TOKEN", "ssm", "/t"),
        ast.PlatformBlock("github", (
            ast.SecretStmt("TOKEN", "github", "NPM_TOKEN"),
            ast.Setting("runs_on", ("ubuntu-latest",)),
            ast.Setting("run_in_codebuild", ()),
        )),
    )


def test_build_aws_block():
    assert build_body("aws {\n  project_name my-proj\n  queued_timeout 8h\n}") == (
        ast.PlatformBlock("aws", (
            ast.Setting("project_name", ("my-proj",)),
            ast.Setting("queued_timeout", ("8h",)),
        )),
    )


@pytest.mark.parametrize("value", ["s3", "local"])
def test_build_aws_block_cache_setting(value):
    # 'cache' is a documented setting of a build's aws block (PLATFORM_SETTINGS), even though
    # 'cache' is also a build statement keyword.
    assert build_body(f"aws {{\n  cache {value}\n}}") == (
        ast.PlatformBlock("aws", (ast.Setting("cache", (value,)),)),
    )


def test_setting_keys_that_are_keywords_elsewhere():
    assert pipeline_body("aws {\n  tag team web\n}") == (
        ast.PlatformBlock("aws", (ast.Setting("tag", ("team", "web")),)),
    )
    assert approve_body("github {\n  branches main\n}") == (
        ast.PlatformBlock("github", (ast.Setting("branches", ("main",)),)),
    )


def test_from_one_name():
    assert build_body("from app") == (ast.FromStmt(("app",)),)


def test_from_several_names():
    assert build_body("from app lib tools") == (ast.FromStmt(("app", "lib", "tools")),)


@pytest.mark.parametrize("phase", ["install", "pre_build", "build", "post_build"])
def test_phase_inline(phase):
    assert build_body(f'{phase} "one" "two"') == (ast.Phase(phase, (cmd("one"), cmd("two"))),)


@pytest.mark.parametrize("phase", ["install", "pre_build", "build", "post_build"])
def test_phase_block(phase):
    body = build_body(
        f'{phase} {{\n  run "a" "b"\n  run "c"\n  finally "d" "e"\n  on_failure continue\n}}'
    )
    assert body == (
        ast.Phase(phase, (cmd("a"), cmd("b"), cmd("c")), (cmd("d"), cmd("e")), "continue"),
    )


@pytest.mark.parametrize("mode", ["abort", "continue"])
def test_phase_block_on_failure(mode):
    assert build_body(f'build {{\n  run "x"\n  on_failure {mode}\n}}') == (
        ast.Phase("build", (cmd("x"),), (), mode),
    )


def test_phase_block_finally_only_and_empty():
    assert build_body('post_build {\n  finally "cleanup"\n}\ninstall {\n}') == (
        ast.Phase("post_build", (), (cmd("cleanup"),)),
        ast.Phase("install"),
    )


def test_phase_inline_equals_block():
    inline = build_body('build "a" "b"')
    block = build_body('build {\n  run "a" "b"\n}')
    assert inline == block


def test_phase_mixed_string_and_script():
    body = build_body('build "make" """\n  echo one\n  echo two\n"""')
    assert body == (ast.Phase("build", (cmd("make"), cmd("echo one\necho two", True))),)


@pytest.mark.parametrize(
    "stmt, node",
    [
        ('artifact dist files "**/*"', ast.ArtifactStmt("dist", ("**/*",))),
        ('artifact dist files "a/*" "b/*"', ast.ArtifactStmt("dist", ("a/*", "b/*"))),
        ('artifact dist files "**/*" base "dist"', ast.ArtifactStmt("dist", ("**/*",), "dist")),
        ('artifact dist files "**/*" discard_paths', ast.ArtifactStmt("dist", ("**/*",), None, True)),
        ('artifact dist files a b base out discard_paths', ast.ArtifactStmt("dist", ("a", "b"), "out", True)),
    ],
)
def test_artifact(stmt, node):
    assert build_body(stmt) == (node,)


def test_cache():
    assert build_body('cache "node_modules/**/*" ".m2/**/*"') == (
        ast.CacheStmt(("node_modules/**/*", ".m2/**/*")),
    )


@pytest.mark.parametrize(
    "fmt",
    ["junit", "cucumber", "testng", "nunit", "nunit3", "trx", "clover", "cobertura", "jacoco", "simplecov", "lcov"],
)
def test_report_formats(fmt):
    assert build_body(f'report r {fmt} files "out/*.xml"') == (ast.ReportStmt("r", fmt, ("out/*.xml",)),)


def test_report_with_base_and_several_files():
    assert build_body('report cov cobertura files "a.xml" "b.xml" base "coverage"') == (
        ast.ReportStmt("cov", "cobertura", ("a.xml", "b.xml"), "coverage"),
    )


@pytest.mark.parametrize("tool", ["npm", "pip", "twine", "maven", "dotnet", "nuget", "swift"])
def test_codeartifact(tool):
    assert build_body(f"codeartifact {tool} domain my-domain repository my-repo") == (
        ast.CodeArtifactStmt(tool, "my-domain", "my-repo"),
    )


def test_codeartifact_with_owner():
    assert build_body('codeartifact npm domain d repository r owner "123456789012"') == (
        ast.CodeArtifactStmt("npm", "d", "r", "123456789012"),
    )


def test_build_items_keep_written_order():
    body = build_body(
        'post_build "z"\nimage amazonlinux\nbuild "y"\ncompute large\nfrom a\ninstall "x"'
    )
    assert [type(n).__name__ for n in body] == [
        "Phase", "ImageStmt", "Phase", "ComputeStmt", "FromStmt", "Phase",
    ]
    assert [n.name for n in body if isinstance(n, ast.Phase)] == ["post_build", "build", "install"]


def test_test_action_accepts_build_items():
    assert build_body("compute small\nprivileged", kind="test") == (ast.ComputeStmt("small"), ast.Flag("privileged"))


# ----------------------------------------------------------------------------- scripts


def test_script_is_dedented_and_first_newline_dropped():
    body = build_body('build """\n      npm ci\n      npm test\n    """')
    assert body == (ast.Phase("build", (cmd("npm ci\nnpm test", True),)),)


def test_script_keeps_relative_indentation():
    body = build_body('build """\n  if true; then\n    echo yes\n  fi\n"""')
    assert body[0].commands == (cmd("if true; then\n  echo yes\nfi", True),)


def test_script_keeps_blank_lines_inside():
    body = build_body('build """\n    echo a\n\n    echo b\n\n\n    echo c\n  """')
    assert body[0].commands == (cmd("echo a\n\necho b\n\n\necho c", True),)


def test_script_whitespace_only_lines_do_not_block_dedent():
    body = build_body('build """\n    echo a\n  \n    echo b\n  """')
    assert body[0].commands == (cmd("echo a\n\necho b", True),)


def test_script_trailing_spaces_stripped():
    body = build_body('build """\n    echo a   \n    echo b\t\n  """')
    assert body[0].commands == (cmd("echo a\necho b", True),)


def test_script_closing_line_indentation_ignored():
    # The closing """ may be indented less or more than the script; that line is dropped.
    less = build_body('build """\n        echo a\n  """')
    more = build_body('build """\n    echo a\n            """')
    assert less[0].commands == more[0].commands == (cmd("echo a", True),)


def test_script_closing_on_last_line():
    body = build_body('build """\n    echo a\n    echo b"""')
    assert body[0].commands == (cmd("echo a\necho b", True),)


def test_script_on_one_line():
    assert build_body('build """echo "quoted" here"""')[0].commands == (cmd('echo "quoted" here', True),)


def test_script_keeps_backslashes_and_hashes():
    body = build_body('build """\n  echo \\n # not a comment\n  printf "%s\\t" x\n"""')
    assert body[0].commands == (cmd('echo \\n # not a comment\nprintf "%s\\t" x', True),)


def test_script_content_is_not_a_comment():
    module = parse(wrap_pipeline('stage s {\n  build b {\n    build "echo #1" """\n      # setup\n      echo 2\n    """\n  }\n}'))
    assert module.comments == ()


def test_script_with_tabs():
    body = build_body('build """\n\t\techo a\n\t\t\techo b\n\t"""')
    assert body[0].commands == (cmd("echo a\n\techo b", True),)


def test_script_in_phase_block_and_finally():
    body = build_body('build {\n  run """\n    make\n  """\n  finally """\n    rm -rf tmp\n  """\n}')
    assert body == (ast.Phase("build", (cmd("make", True),), (cmd("rm -rf tmp", True),)),)


# ----------------------------------------------------------------------------- deploy: common


@pytest.mark.parametrize("platform", ["ec2", "ecs", "lambda", "cloudformation", "s3"])
def test_deploy_platforms(platform):
    assert stage_body(f"deploy d to {platform} {{\n  from dist\n}}") == (
        ast.DeployAction("d", platform, (ast.FromStmt(("dist",)),)),
    )


@pytest.mark.parametrize(
    "stmt, node",
    [
        ("strategy all-at-once", ast.Strategy("all-at-once")),
        ("strategy rolling", ast.Strategy("rolling")),
        ("strategy rolling one-at-a-time", ast.Strategy("rolling", "one-at-a-time")),
        ("strategy rolling half-at-a-time", ast.Strategy("rolling", "half-at-a-time")),
        ("strategy rolling min_healthy 75%", ast.Strategy("rolling", "min_healthy", ast.Percent(75))),
        ("strategy blue-green", ast.Strategy("blue-green")),
        ("strategy blue-green terminate_after 1h", ast.Strategy("blue-green", interval=dur(1, "h"))),
        ("strategy canary 10% then rest after 5m", ast.Strategy("canary", None, ast.Percent(10), dur(5, "m"))),
        ("strategy linear 20% every 3m", ast.Strategy("linear", None, ast.Percent(20), dur(3, "m"))),
    ],
)
def test_strategy(stmt, node):
    assert deploy_body("ec2", stmt) == (node,)


def test_strategy_in_ecs_and_lambda():
    assert deploy_body("ecs", "strategy blue-green") == (ast.Strategy("blue-green"),)
    assert deploy_body("lambda", "strategy linear 10% every 1m") == (
        ast.Strategy("linear", None, ast.Percent(10), dur(1, "m")),
    )


@pytest.mark.parametrize(
    "stmt, node",
    [
        ("rollback none", ast.RollbackStmt(False, (), True)),
        ("rollback on failure", ast.RollbackStmt(True, (), False)),
        ('rollback on alarm "HighErrorRate"', ast.RollbackStmt(False, ("HighErrorRate",), False)),
        ('rollback on failure alarm "A" B', ast.RollbackStmt(True, ("A", "B"), False)),
        ("rollback on alarm A failure", ast.RollbackStmt(True, ("A",), False)),
    ],
)
def test_rollback(stmt, node):
    assert deploy_body("ecs", stmt) == (node,)


@pytest.mark.parametrize(
    "stmt, node",
    [
        ('hook before_install "scripts/stop.sh"', ast.HookStmt("before_install", "scripts/stop.sh")),
        ('hook after_install "s.sh" timeout 300s', ast.HookStmt("after_install", "s.sh", dur(300, "s"))),
        ('hook application_start "s.sh" as root', ast.HookStmt("application_start", "s.sh", None, "root")),
        ('hook validate_service "v.sh" timeout 2m as "deploy"',
         ast.HookStmt("validate_service", "v.sh", dur(2, "m"), "deploy")),
    ],
)
def test_hook(stmt, node):
    assert deploy_body("ec2", stmt) == (node,)


@pytest.mark.parametrize(
    "event",
    ["application_stop", "before_install", "after_install", "application_start", "validate_service",
     "before_block_traffic", "after_block_traffic", "before_allow_traffic", "after_allow_traffic",
     "after_allow_test_traffic"],
)
def test_hook_events(event):
    assert deploy_body("ecs", f"hook {event} fn") == (ast.HookStmt(event, "fn"),)


def test_deploy_platform_blocks():
    assert deploy_body("ec2", "aws {\n  application app\n  deployment_group dg\n}\ngithub {\n  environment prod\n}") == (
        ast.PlatformBlock("aws", (ast.Setting("application", ("app",)), ast.Setting("deployment_group", ("dg",)))),
        ast.PlatformBlock("github", (ast.Setting("environment", ("prod",)),)),
    )


# ----------------------------------------------------------------------------- deploy: ec2


def test_ec2_statements():
    body = deploy_body(
        "ec2",
        'instances tag Environment = staging\n'
        'instances tag "Role" = "web server"\n'
        'autoscaling asg-1 "asg-2"\n'
        'target_group my-tg\n'
        'copy "/" to "/var/www/app"\n'
        'permission "/var/www/app" owner www group www mode 755\n'
        'permission "/tmp"',
    )
    assert body == (
        ast.InstancesStmt("Environment", "staging"),
        ast.InstancesStmt("Role", "web server"),
        ast.ListStmt("autoscaling", ("asg-1", "asg-2")),
        ast.Field("target_group", "my-tg"),
        ast.CopyStmt("/", "/var/www/app"),
        ast.PermissionStmt("/var/www/app", "www", "www", "755"),
        ast.PermissionStmt("/tmp"),
    )


@pytest.mark.parametrize("os_name", ["linux", "windows"])
def test_os(os_name):
    assert deploy_body("ec2", f"os {os_name}") == (ast.Field("os", os_name),)


@pytest.mark.parametrize(
    "stmt, node",
    [
        ('permission "/a" owner u', ast.PermissionStmt("/a", "u")),
        ('permission "/a" group g', ast.PermissionStmt("/a", None, "g")),
        ('permission "/a" mode 0644', ast.PermissionStmt("/a", None, None, "0644")),
        ('permission "/a" owner u mode 600', ast.PermissionStmt("/a", "u", None, "600")),
    ],
)
def test_permission_optional_parts(stmt, node):
    assert deploy_body("ec2", stmt) == (node,)


# ----------------------------------------------------------------------------- deploy: ecs


def test_ecs_statements():
    listener = "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/b/c"
    body = deploy_body(
        "ecs",
        "cluster my-cluster\n"
        'service "my-service"\n'
        "container web port 3000\n"
        f'listener "{listener}"\n'
        'test_listener "arn:test"\n'
        "target_groups blue-tg green-tg\n"
        "task_definition taskdef.json\n"
        'image_file "imagedefinitions.json"\n'
        "platform_version 1.4.0",
    )
    assert body == (
        ast.Field("cluster", "my-cluster"),
        ast.Field("service", "my-service"),
        ast.ContainerStmt("web", 3000),
        ast.Field("listener", listener),
        ast.Field("test_listener", "arn:test"),
        ast.ListStmt("target_groups", ("blue-tg", "green-tg")),
        ast.Field("task_definition", "taskdef.json"),
        ast.Field("image_file", "imagedefinitions.json"),
        ast.Field("platform_version", "1.4.0"),
    )


def test_network():
    assert deploy_body("ecs", "network subnets subnet-a subnet-b security_groups sg-1") == (
        ast.NetworkStmt(("subnet-a", "subnet-b"), ("sg-1",), False),
    )


def test_network_public_ip():
    assert deploy_body("ecs", 'network subnets "subnet-a" security_groups sg-1 sg-2 public_ip') == (
        ast.NetworkStmt(("subnet-a",), ("sg-1", "sg-2"), True),
    )


@pytest.mark.parametrize("port", [1, 80, 65535])
def test_container_port_bounds(port):
    assert deploy_body("ecs", f"container app port {port}") == (ast.ContainerStmt("app", port),)


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_container_port_out_of_range_is_a_diagnostic(port):
    # The transformer's TransformError must come out of parse() as Diagnostics (E206), not as
    # lark's VisitError.
    with pytest.raises(Diagnostics) as info:
        deploy_body("ecs", f"container app port {port}")
    (diag,) = info.value.diagnostics
    assert diag.code == "E206"
    assert diag.span is not None and diag.span.line == 4


@pytest.mark.parametrize("command", ['""', '"   "', '"""\n    \n  """'])
def test_empty_command_is_a_diagnostic(command):
    with pytest.raises(Diagnostics) as info:
        build_body(f"build {command}")
    (diag,) = info.value.diagnostics
    assert diag.code == "E206"


# ----------------------------------------------------------------------------- deploy: lambda, cfn, s3


def test_lambda_statements():
    assert deploy_body("lambda", 'function "my-fn"\nalias live\nversions current 3 target 4') == (
        ast.Field("function", "my-fn"),
        ast.Field("alias", "live"),
        ast.VersionsStmt("3", "4"),
    )


def test_cloudformation_statements():
    body = deploy_body(
        "cloudformation",
        "stack my-stack\n"
        'template "packaged.yaml"\n'
        'parameter Env = "prod"\n'
        "parameter Size = 3\n"
        "capabilities iam named-iam auto-expand",
    )
    assert body == (
        ast.Field("stack", "my-stack"),
        ast.Field("template", "packaged.yaml"),
        ast.ParameterStmt("Env", "prod"),
        ast.ParameterStmt("Size", "3"),
        ast.ListStmt("capabilities", ("iam", "named-iam", "auto-expand")),
    )


@pytest.mark.parametrize("cap", ["iam", "named-iam", "auto-expand"])
def test_capability(cap):
    assert deploy_body("cloudformation", f"capabilities {cap}") == (ast.ListStmt("capabilities", (cap,)),)


def test_change_set_named():
    assert deploy_body("cloudformation", "change_set my-changes") == (ast.ChangeSetStmt("my-changes"),)


def test_change_set_none():
    assert deploy_body("cloudformation", "change_set none") == (ast.ChangeSetStmt(None),)


def test_change_set_quoted_none_is_a_name():
    assert deploy_body("cloudformation", 'change_set "none"') == (ast.ChangeSetStmt("none"),)


def test_s3_statements():
    body = deploy_body(
        "s3", 'bucket "my-site"\nextract\nobject_key "releases/app.zip"\ncache_control "max-age=3600"'
    )
    assert body == (
        ast.Field("bucket", "my-site"),
        ast.Flag("extract"),
        ast.Field("object_key", "releases/app.zip"),
        ast.Field("cache_control", "max-age=3600"),
    )


# ----------------------------------------------------------------------------- approve and invoke


def test_approve_statements():
    body = approve_body(
        'message "Check staging"\n'
        'url "https://staging.example.com"\n'
        'notify email "a@example.com" "b@example.com"\n'
        "timeout 2d\n"
        "aws {\n  topic_name approvals\n}\n"
        'github {\n  environment production\n  reviewers alice "org/team"\n  wait 10m\n}'
    )
    assert body == (
        ast.Field("message", "Check staging"),
        ast.Field("url", "https://staging.example.com"),
        ast.NotifyStmt("email", ("a@example.com", "b@example.com")),
        ast.TimeoutStmt(dur(2, "d")),
        ast.PlatformBlock("aws", (ast.Setting("topic_name", ("approvals",)),)),
        ast.PlatformBlock("github", (
            ast.Setting("environment", ("production",)),
            ast.Setting("reviewers", ("alice", "org/team")),
            ast.Setting("wait", ("10m",)),
        )),
    )


def test_notify_topic():
    arn = "arn:aws:sns:us-east-1:123456789012:approvals"
    assert approve_body(f'notify topic "{arn}"') == (ast.NotifyStmt("topic", (arn,)),)


def test_empty_approve():
    assert approve_body("") == ()


def test_invoke_statements():
    body = invoke_body(
        'function "notify-slack"\n'
        'parameters "{\\"channel\\": \\"#deploys\\"}"\n'
        "from dist report\n"
        "artifact result\n"
        "github {\n  runs_on ubuntu-latest\n}"
    )
    assert body == (
        ast.Field("function", "notify-slack"),
        ast.Field("parameters", '{"channel": "#deploys"}'),
        ast.FromStmt(("dist", "report")),
        ast.Field("artifact", "result"),
        ast.PlatformBlock("github", (ast.Setting("runs_on", ("ubuntu-latest",)),)),
    )


# ----------------------------------------------------------------------------- strings and values


@pytest.mark.parametrize(
    "source, value",
    [
        (r'"a\"b"', 'a"b'),
        (r'"a\\b"', "a\\b"),
        (r'"a\nb"', "a\nb"),
        (r'"a\tb"', "a\tb"),
        (r'"a\qb"', "a\\qb"),  # unknown escape kept as written
        (r'"trailing\\"', "trailing\\"),
        (r'"\"\""', '""'),
        (r'"\\n"', "\\n"),
        ('"with # hash"', "with # hash"),
        ('""', ""),
    ],
)
def test_string_escapes(source, value):
    assert pipeline_body(f"variable V = {source}") == (ast.VariableStmt("V", value),)


def test_escapes_in_string_terminal():
    assert stage_body(r'transition disabled "say \"no\"\tthen\\stop"') == (
        ast.TransitionStmt('say "no"\tthen\\stop'),
    )


def test_escapes_in_command():
    assert build_body(r'build "printf \"%s\n\" \$HOME"')[0].commands == (cmd('printf "%s\n" \\$HOME'),)


def test_bare_and_quoted_values_give_equal_trees():
    bare = parse(wrap_pipeline(
        "variable V = x description \"d\"\n"
        "artifact_store bucket b key k\n"
        "source app codecommit repo {\n  branch main\n  on push branches main\n}\n"
        "stage s {\n"
        "  build b {\n    image ubuntu 7.0\n    runtime nodejs 20\n    env A = b\n"
        "    artifact d files x base y\n    cache c\n  }\n"
        "  deploy d to ecs {\n    from d\n    cluster c\n    service s\n    container web port 80\n"
        "    target_groups b g\n    rollback on alarm a\n  }\n"
        "}"
    ))
    quoted = parse(wrap_pipeline(
        'variable V = "x" description "d"\n'
        'artifact_store bucket "b" key "k"\n'
        'source app codecommit "repo" {\n  branch "main"\n  on push branches "main"\n}\n'
        "stage s {\n"
        '  build b {\n    image ubuntu "7.0"\n    runtime nodejs "20"\n    env A = "b"\n'
        '    artifact d files "x" base "y"\n    cache "c"\n  }\n'
        '  deploy d to ecs {\n    from d\n    cluster "c"\n    service "s"\n    container "web" port 80\n'
        '    target_groups "b" "g"\n    rollback on alarm "a"\n  }\n'
        "}"
    ))
    assert bare == quoted


def test_names_may_contain_hyphens_and_underscores():
    assert stage_body("approve web-prod_2 {\n}") == (ast.ApproveAction("web-prod_2"),)


# ----------------------------------------------------------------------------- keywords as names


def test_keywords_as_names_build_in_build():
    assert pipeline_body('stage build {\n  build build {\n    build "make"\n  }\n}') == (
        ast.Stage("build", None, (ast.BuildAction("build", "build", (ast.Phase("build", (cmd("make"),)),)),)),
    )


def test_stage_named_deploy_with_deploy_named_deploy():
    assert pipeline_body("stage deploy {\n  deploy deploy to s3 {\n    from x\n    bucket b\n    extract\n  }\n}") == (
        ast.Stage("deploy", None, (ast.DeployAction("deploy", "s3", (
            ast.FromStmt(("x",)), ast.Field("bucket", "b"), ast.Flag("extract"),
        )),)),
    )


def test_more_keywords_as_names():
    module = parse(
        "pipeline pipeline {\n"
        "  source source github \"o/r\"\n"
        "  stage stage {\n"
        "    test test {\n      from source\n      build \"x\"\n      artifact artifact files \"*\"\n    }\n"
        "    approve approve {\n    }\n"
        "  }\n"
        "}\n"
    )
    assert module.pipeline == ast.Pipeline("pipeline", (
        ast.Source("source", "github", "o/r"),
        ast.Stage("stage", None, (
            ast.BuildAction("test", "test", (
                ast.FromStmt(("source",)),
                ast.Phase("build", (cmd("x"),)),
                ast.ArtifactStmt("artifact", ("*",)),
            )),
            ast.ApproveAction("approve"),
        )),
    ))


def test_keywords_as_names_inside_actions():
    assert build_body(
        'env install = x\nsecret build from ssm "/x"\nartifact build files x\n'
        "report test junit files x\nfrom deploy stage"
    ) == (
        ast.EnvStmt("install", "x"),
        ast.SecretStmt("build", "ssm", "/x"),
        ast.ArtifactStmt("build", ("x",)),
        ast.ReportStmt("test", "junit", ("x",)),
        ast.FromStmt(("deploy", "stage")),
    )
    assert deploy_body("cloudformation", "parameter stack = template") == (ast.ParameterStmt("stack", "template"),)
    assert stage_body("invoke function {\n  function function\n  artifact artifact\n}") == (
        ast.InvokeAction("function", (ast.Field("function", "function"), ast.Field("artifact", "artifact"))),
    )


def test_keyword_words_are_values_where_only_a_value_fits():
    assert source_body("branch push") == (ast.Field("branch", "push"),)
    assert deploy_body("ecs", "cluster deploy") == (ast.Field("cluster", "deploy"),)


def test_keyword_as_value_must_be_quoted_where_ambiguous():
    # After the file list, 'base' is the keyword: a file called base must be quoted.
    with pytest.raises(Diagnostics):
        build_body("artifact d files a base")
    assert build_body('artifact d files a "base"') == (ast.ArtifactStmt("d", ("a", "base")),)
    # 'failure' after an alarm list is the keyword, not an alarm name...
    assert deploy_body("ec2", "rollback on alarm a failure") == (ast.RollbackStmt(True, ("a",)),)
    # ...unless quoted.
    assert deploy_body("ec2", 'rollback on alarm a "failure"') == (ast.RollbackStmt(False, ("a", "failure")),)
    # 'discard_paths' after files is the flag; quoted it is a file.
    assert build_body('artifact d files a "discard_paths"') == (ast.ArtifactStmt("d", ("a", "discard_paths")),)


# ----------------------------------------------------------------------------- line endings, tabs


REF_SNIPPET = (
    'pipeline p { # c1\n'
    '  source app github "o/r" {\n'
    '    branch main\n'
    '  }\n'
    '  stage s {\n'
    '    build b {\n'
    '      build """\n'
    '        echo a\n'
    '          echo b\n'
    '\n'
    '        echo c\n'
    '      """\n'
    '    }\n'
    '  }\n'
    '}\n'
)


def test_crlf_input_gives_the_same_tree():
    lf = parse(REF_SNIPPET)
    crlf = parse(REF_SNIPPET.replace("\n", "\r\n"))
    assert crlf == lf
    assert crlf.pipeline.body[1].body[0].body[0].commands == (cmd("echo a\n  echo b\n\necho c", True),)
    assert crlf.comments == (ast.Comment(" c1", 1, 14),)


def test_crlf_reference_example():
    text = REFERENCE.read_text(encoding="utf-8")
    assert parse(text.replace("\n", "\r\n")) == parse(text)


def test_crlf_spans_count_lines():
    crlf = parse(REF_SNIPPET.replace("\n", "\r\n"))
    branch = crlf.pipeline.body[0].body[0]
    assert (branch.span.line, branch.span.column) == (3, 5)


def test_tabs_as_indentation_and_separators():
    text = 'pipeline p {\n\tsource app github "o/r" {\n\t\tbranch\tmain\n\t}\n\tmode\t\tqueued\n}\n'
    assert parse(text).pipeline == ast.Pipeline("p", (
        ast.Source("app", "github", "o/r", (ast.Field("branch", "main"),)),
        ast.ModeStmt("queued"),
    ))


def test_reference_example_indentation_does_not_matter():
    text = REFERENCE.read_text(encoding="utf-8")
    flat = "\n".join(line.strip() for line in text.split("\n"))
    tabbed = "\n".join(line.replace("  ", "\t") for line in text.split("\n"))
    assert parse(flat) == parse(text) == parse(tabbed)


# ----------------------------------------------------------------------------- comments


def test_comments_everywhere_are_collected():
    text = (
        "# header\n"                                  # 1
        "pipeline p { # after brace\n"                # 2
        "  # inside pipeline\n"                       # 3
        '  source app github "o/r" { # src\n'         # 4
        "    branch main # trailing\n"                # 5
        "    # in source\n"                           # 6
        "  }\n"                                       # 7
        "  stage s {\n"                               # 8
        "    build b {\n"                             # 9
        '      build "echo #no" # yes\n'              # 10
        "      #tight\n"                              # 11
        "    }\n"                                     # 12
        "  } # after stage\n"                         # 13
        "}\n"                                         # 14
        "# footer\n"                                  # 15
    )
    module = parse(text)
    assert module.comments == (
        ast.Comment(" header", 1, 1),
        ast.Comment(" after brace", 2, 14),
        ast.Comment(" inside pipeline", 3, 3),
        ast.Comment(" src", 4, 29),
        ast.Comment(" trailing", 5, 17),
        ast.Comment(" in source", 6, 5),
        ast.Comment(" yes", 10, 24),
        ast.Comment("tight", 11, 7),
        ast.Comment(" after stage", 13, 5),
        ast.Comment(" footer", 15, 1),
    )
    without = (
        "pipeline p {\n"
        '  source app github "o/r" {\n'
        "    branch main\n"
        "  }\n"
        "  stage s {\n"
        "    build b {\n"
        '      build "echo #no"\n'
        "    }\n"
        "  }\n"
        "}\n"
    )
    assert parse(without) == module
    assert parse(without).comments == ()


def test_comments_do_not_change_the_tree():
    text = REFERENCE.read_text(encoding="utf-8")
    commented = "\n".join(line + "  # note" if line.strip() else "# blank" for line in text.split("\n"))
    assert parse(commented) == parse(text)


def test_reference_example_comments():
    module = parse(REFERENCE.read_text(encoding="utf-8"))
    assert [(c.line, c.column) for c in module.comments] == [(1, 1), (2, 1), (3, 1)]
    assert module.comments[0].text.startswith(" Teaches:")


def test_comments_reset_between_parses():
    parse("# one\npipeline p {\n}\n")
    assert parse("pipeline p {\n}\n").comments == ()


# ----------------------------------------------------------------------------- spans


SPAN_TEXT = (
    "pipeline p {\n"                       # 1
    '  source app github "o/r" {\n'        # 2
    "    branch main\n"                    # 3
    "  }\n"                                # 4
    "  stage s {\n"                        # 5
    "    build b {\n"                      # 6
    "      timeout 10m\n"                  # 7
    "    }\n"                              # 8
    "  }\n"                                # 9
    "}\n"                                  # 10
)


def test_spans_are_one_based_and_right():
    module = parse(SPAN_TEXT)
    pipe = module.pipeline
    assert pipe.span == Span(1, 1, 10, 1, 0, len(SPAN_TEXT) - 1)
    src = pipe.body[0]
    assert (src.span.line, src.span.column, src.span.end_line, src.span.end_column) == (2, 3, 4, 3)
    branch = src.body[0]
    assert (branch.span.line, branch.span.column, branch.span.end_line, branch.span.end_column) == (3, 5, 3, 15)
    assert SPAN_TEXT[branch.span.start_pos:branch.span.end_pos] == "branch main"
    stage = pipe.body[1]
    assert (stage.span.line, stage.span.column) == (5, 3)
    build = stage.body[0]
    assert (build.span.line, build.span.column) == (6, 5)
    timeout = build.body[0]
    assert (timeout.span.line, timeout.span.column, timeout.span.end_column) == (7, 7, 17)
    assert timeout.duration.span == Span(7, 15, 7, 17, SPAN_TEXT.index("10m"), SPAN_TEXT.index("10m") + 3)


def test_trigger_and_pattern_spans():
    text = wrap_pipeline('source app github "o/r" {\n  on push branches main !"wip"\n}')
    trig = parse(text).pipeline.body[0].body[0]
    assert (trig.span.line, trig.span.column) == (3, 5)
    neg = trig.filters[0].patterns[1]
    assert (neg.span.line, neg.span.column) == (3, 27)
    assert text[neg.span.start_pos:neg.span.end_pos] == '!"wip"'


def test_spans_excluded_from_equality():
    a = parse(wrap_pipeline("mode queued")).pipeline
    b = parse("\n\n\npipeline p {\n\n      mode    queued\n}\n").pipeline
    assert a == b
    assert a.body[0].span != b.body[0].span
    assert ast.Field("branch", "x", span=Span(1, 1, 1, 1)) == ast.Field("branch", "x")


def test_module_keeps_filename_and_source():
    text = wrap_pipeline("mode queued")
    module = parse(text, "my.pipe")
    assert module.filename == "my.pipe"
    assert module.source == text


# ----------------------------------------------------------------------------- the reference example


def test_reference_example_tree():
    pipe = parse(REFERENCE.read_text(encoding="utf-8")).pipeline
    assert pipe.name == "my-app"
    assert [type(n).__name__ for n in pipe.body] == ["Source", "Stage", "Stage", "Stage", "Stage"]
    src = pipe.body[0]
    assert src == ast.Source("app", "github", "my-org/my-repo", (
        ast.Field("branch", "main"),
        ast.Trigger("push", filters=(
            ast.Filter("branches", (pat("main"),)),
            ast.Filter("paths", (pat("src/**"), pat("package*.json"), pat("docs/**", True))),
        )),
    ))
    prod = pipe.body[4]
    assert prod.name == "production"
    deploy = prod.body[0]
    assert deploy.platform == "ecs"
    assert ast.Strategy("canary", None, ast.Percent(10), dur(5, "m")) in deploy.body
    assert ast.RollbackStmt(True, ("HighErrorRate",)) in deploy.body
    staging = pipe.body[2].body[0]
    assert ast.HookStmt("before_install", "scripts/stop_server.sh", dur(120, "s"), "root") in staging.body


# ----------------------------------------------------------------------------- the parser object


def test_parser_is_built_once():
    first = parser_mod._parser()
    second = parser_mod._parser()
    assert first is second
    parse(wrap_pipeline("mode queued"))
    assert parser_mod._parser() is first
