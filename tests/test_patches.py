"""``patch`` lines (docs/language.md, "Patches") and the stable step ids they address.

- the statement: parsed, typed, printed back by ``pipec fmt``;
- each operation on each kind of place: a new key, a replaced key, a list element by its name or
  value, a removed key or element, in the workflow, the template and a buildspec;
- escaping: a patched string is escaped for where it lands (``${{`` in a workflow, ``${`` in an
  ``Fn::Sub``), like every other string of the ``.pipe`` file;
- errors: E413 for each way a path can miss, E206 for a path of the wrong form;
- the check after patching: W540 names what a patch changes, W541 a file pipec cannot read back;
- realistic patches keep the validators clean (actionlint with shellcheck, zizmor, the workflow
  schema, cfn-lint, the buildspec schema);
- every workflow step of every example has an id, unique in its job and stable when steps are
  added before it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pipec
import pipec.explain
from pipec import patches as neutral
from pipec import yamlout
from pipec.build import EmitContext, generate
from pipec.diagnostics import Diagnostics
from pipec.formatter import format_text as format_source
from pipec.parser import parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))

BASE = """pipeline demo {
  source app github "my-org/app" {
    on push branches main
  }
%s
  stage build {
    build web {
      runtime python 3.12
      install "pip install -r requirements.txt"
      build "make"
      artifact dist files "**/*" base "out"
      cache ".cache/**/*"
%s
    }
  }
}
"""


def source(pipeline_block: str = "", action_block: str = "") -> str:
    return BASE % (pipeline_block, action_block)


def build(text: str, prefix: str = "", targets=("aws", "github")):
    """(files, warnings) of both targets (or ``targets``) for ``text``."""
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    ctx = EmitContext(source="demo.pipe", prefix=prefix)
    files = generate(pipeline, ctx, list(targets))
    return files, ctx.warnings


def errors(text: str) -> list:
    try:
        build(text)
    except Diagnostics as exc:
        return list(exc.diagnostics)
    raise AssertionError("no error")


def workflow(files) -> dict:
    return yamlout.load(files[".github/workflows/demo.yml"])


def template(files) -> dict:
    return yamlout.load(files["aws/demo.template.yaml"])


def buildspec(files) -> dict:
    return yamlout.load(files["aws/demo/buildspec/web.yml"])


def step(wf: dict, job: str, sid: str) -> dict:
    return next(s for s in wf["jobs"][job]["steps"] if s["id"] == sid)


# ----------------------------------------------------------------------------- the statement


def test_the_four_forms_parse_into_nodes():
    text = source(action_block="""      github {
        patch set timeout-minutes = 30
        patch set steps.setup-python.with.cache = "pip"
        patch set "steps.checkout.with.lfs" = true
        patch remove steps.save-cache
      }""")
    stage = [n for n in parse(text).pipeline.body if type(n).__name__ == "Stage"][0]
    block = [n for n in stage.body[0].body if type(n).__name__ == "PlatformBlock"][0]
    got = [(n.op, n.path, n.value, n.quoted) for n in block.body]
    assert got == [("set", "timeout-minutes", "30", False), ("set", "steps.setup-python.with.cache", "pip", True),
                   ("set", "steps.checkout.with.lfs", "true", False), ("remove", "steps.save-cache", None, False)]


@pytest.mark.parametrize("text,quoted,value", [
    ("30", False, 30), ("30", True, "30"), ("-2", False, -2), ("1.5", False, 1.5), ("true", False, True),
    ("false", False, False), ("true", True, "true"), ("pip", False, "pip"), ("3.12.1", False, "3.12.1"),
])
def test_a_bare_value_is_typed_and_a_quoted_one_is_a_string(text, quoted, value):
    got = neutral.typed(text, quoted)
    assert got == value and type(got) is type(value)


def test_fmt_prints_patches_back_as_written():
    messy = source(pipeline_block="""  github {
     patch   set jobs.web.timeout-minutes=30
    patch set "jobs.web.steps.checkout.with.fetch-depth" = "0"
  patch remove   jobs.web.concurrency
  }""")
    out = format_source(messy, "demo.pipe")
    assert "    patch set jobs.web.timeout-minutes = 30\n" in out
    assert '    patch set jobs.web.steps.checkout.with.fetch-depth = "0"\n' in out
    assert "    patch remove jobs.web.concurrency\n" in out
    assert format_source(out, "demo.pipe") == out
    assert parse(out) == parse(messy)


# ----------------------------------------------------------------------------- each operation


def test_github_set_adds_a_key_and_replaces_one():
    files, _ = build(source(action_block="""      github {
        patch set steps.checkout.with.fetch-depth = 0
        patch set steps.setup-python.with.python-version = "3.13"
      }"""))
    wf = workflow(files)
    assert step(wf, "web", "checkout")["with"]["fetch-depth"] == 0
    assert step(wf, "web", "setup-python")["with"]["python-version"] == "3.13"


def test_github_pipeline_level_paths_start_at_the_workflow():
    files, _ = build(source(pipeline_block="""  github {
    patch set on.push.branches.main = trunk
    patch set jobs.web.steps.setup-python.name = "Python"
  }"""))
    wf = workflow(files)
    assert wf["on"]["push"]["branches"] == ["trunk"]  # a scalar in a list, by its value
    assert step(wf, "web", "setup-python")["name"] == "Python"


def test_github_remove_takes_out_a_key_and_a_step():
    files, _ = build(source(action_block="""      github {
        patch remove steps.checkout.with.persist-credentials
        patch remove steps.cache
      }"""))
    wf = workflow(files)
    assert "persist-credentials" not in step(wf, "web", "checkout")["with"]
    assert "cache" not in [s["id"] for s in wf["jobs"]["web"]["steps"]]


def test_an_action_block_may_name_its_own_job_in_full():
    files, _ = build(source(action_block="""      github {
        patch set jobs.web.steps.checkout.with.fetch-depth = 2
      }"""))
    assert step(workflow(files), "web", "checkout")["with"]["fetch-depth"] == 2


def test_aws_template_patches_address_list_elements_by_name():
    files, _ = build(source(pipeline_block="""  aws {
    tag team web
    patch set Resources.Pipeline.Properties.Stages.build.Actions.web.Namespace = WebBuild
    patch remove Resources.WebProject.Properties.Tags.team
  }"""))
    t = template(files)
    stage = next(s for s in t["Resources"]["Pipeline"]["Properties"]["Stages"] if s["Name"] == "build")
    assert stage["Actions"][0]["Namespace"] == "WebBuild"
    assert "team" not in [tag["Key"] for tag in t["Resources"]["WebProject"]["Properties"]["Tags"]]
    assert "team" in [tag["Key"] for tag in t["Resources"]["WebBuildRole"]["Properties"]["Tags"]]


def test_aws_buildspec_patches_change_the_file_and_the_inline_copy():
    text = source(action_block="""      aws {
        patch set buildspec.env.variables.PIP_NO_CACHE_DIR = "1"
        patch remove buildspec.cache
      }""")
    files, _ = build(text)
    spec = buildspec(files)
    assert spec["env"]["variables"]["PIP_NO_CACHE_DIR"] == "1"  # variables: created on the way
    assert "cache" not in spec
    # a second source first: CodeBuild reads the buildspec inline from the template
    inline, _ = build(text.replace('      runtime python 3.12\n', '      from tools app\n      runtime python 3.12\n')
                      .replace('  stage build {', '  source tools s3 "my-bucket" {\n    key "tools.zip"\n  }\n  stage build {'), targets=["aws"])
    project = template(inline)["Resources"]["WebProject"]["Properties"]["Source"]["BuildSpec"]
    assert "PIP_NO_CACHE_DIR: '1'" in project and "cache:" not in project


def test_a_set_creates_only_mappings_the_format_defines():
    files, _ = build(source(action_block="""      github {
        patch set steps.setup-python.env.PIP_NO_INPUT = "1"
      }"""))
    assert step(workflow(files), "web", "setup-python")["env"] == {"PIP_NO_INPUT": "1"}
    found = errors(source(action_block="""      github {
        patch set steps.checkout.wiht.fetch-depth = 0
      }"""))
    assert [d.code for d in found] == ["E413"] and "Did you mean 'with'?" in found[0].help


# ----------------------------------------------------------------------------- escaping


def test_a_patched_string_cannot_become_a_github_expression():
    files, _ = build(source(action_block="""      github {
        patch set steps.collect-dist.run = "echo ${{ github.event.head_commit.message }}"
        patch set steps.checkout.with.ref = "${{ github.head_ref }}"
      }"""))
    text = files[".github/workflows/demo.yml"]
    assert "${{ github.event.head_commit.message }}" not in text
    wf = workflow(files)
    assert step(wf, "web", "collect-dist")["run"] == "echo ${{ '${{' }} github.event.head_commit.message }}"
    assert step(wf, "web", "checkout")["with"]["ref"] == "${{ '${{' }} github.head_ref }}"


def test_a_patched_string_in_an_fn_sub_cannot_start_a_substitution():
    files, _ = build(source(pipeline_block="""  aws {
    patch set "Outputs.PipelineConsoleUrl.Value.Fn::Sub" = "https://example.com/${AWS::AccountId}"
    patch set Resources.WebProject.Properties.Description = "${AWS::AccountId}"
  }"""))
    t = template(files)
    assert t["Outputs"]["PipelineConsoleUrl"]["Value"]["Fn::Sub"] == "https://example.com/${!AWS::AccountId}"
    assert t["Resources"]["WebProject"]["Properties"]["Description"] == "${AWS::AccountId}"  # not a Sub: text


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("block,where,message,hint", [
    ("  github {\n    patch set jobs.web.steps.chekout.with.fetch-depth = 0\n  }", "pipeline",
     "no 'chekout' at jobs.web.steps", "Did you mean 'checkout'?"),
    ("  github {\n    patch remove jobs.web.timeout\n  }", "pipeline",
     "no 'timeout' at jobs.web", "Did you mean 'timeout-minutes'?"),
    ("  github {\n    patch set jobs.web.runs-on.x = y\n  }", "pipeline",
     "jobs.web.runs-on is a single value", "stop the path before 'x'"),
    ("  github {\n    patch set jobs.deploy.timeout-minutes = 5\n  }", "pipeline",
     "no 'deploy' at jobs", "web"),
    ("  aws {\n    patch set Resources.WebProject.Properties.Cache.Location.Extra = 1\n  }", "pipeline",
     "no 'Location'", "Type"),
    ("      aws {\n        patch remove buildspec.phases.pre_build\n      }", "action",
     "no 'pre_build' at buildspec.phases", "install, build"),
    ("      github {\n        patch set jobs.other.timeout-minutes = 5\n      }", "action",
     "not one of the jobs of action 'web'", "jobs.web.KEY"),
])
def test_a_path_that_is_not_there_is_e413(block, where, message, hint):
    text = source(pipeline_block=block) if where == "pipeline" else source(action_block=block)
    found = errors(text)
    assert [d.code for d in found] == ["E413"]
    assert message in found[0].message
    assert hint.lower() in found[0].help.lower()
    assert found[0].span.line == text.splitlines().index(block.splitlines()[1]) + 1


def test_a_patch_of_an_action_on_the_other_platform_is_e413():
    text = source(action_block="""      aws {
        patch set buildspec.env.shell = bash
      }""").replace("stage build {", "stage build via github {")
    found = errors(text)
    assert [d.code for d in found] == ["E413"] and "runs on GitHub Actions" in found[0].message


@pytest.mark.parametrize("block,where,hint", [
    ("  github {\n    patch set jobs..timeout-minutes = 5\n  }", "pipeline", "no empty key"),
    ("  aws {\n    patch set buildspec.env.shell = bash\n  }", "pipeline", "build or test action"),
    ("  aws {\n    patch set Resorces.X.Y = 1\n  }", "pipeline", "Did you mean 'Resources'?"),
    ("  aws {\n    patch remove Resources\n  }", "pipeline", "inside a section"),
])
def test_a_path_of_the_wrong_form_is_e206(block, where, hint):
    text = source(pipeline_block=block)
    with pytest.raises(Diagnostics) as exc:
        pipec.compile_text(text, "demo.pipe")
    assert [d.code for d in exc.value.diagnostics] == ["E206"]
    assert hint in exc.value.diagnostics[0].help


# ----------------------------------------------------------------------------- the check after patching


def test_a_patch_that_changes_the_run_is_w540_naming_the_difference():
    text = source(pipeline_block="""  github {
    patch set jobs.web.steps.checkout.with.fetch-depth = 0
    patch set jobs.web.timeout-minutes = 15
  }
  aws {
    patch set Resources.WebProject.Properties.TimeoutInMinutes = 15
  }""", action_block="""      aws {
        patch set buildspec.phases.build.commands.make = "make all"
      }""")
    _, warnings = build(text)
    got = sorted((d.code, d.span.line, d.message) for d in warnings if d.code.startswith("W54"))
    lines = text.splitlines()
    assert [(c, ln) for c, ln, _ in got] == [
        ("W540", lines.index("    patch set jobs.web.timeout-minutes = 15") + 1),
        ("W540", lines.index("    patch set Resources.WebProject.Properties.TimeoutInMinutes = 15") + 1),
        ("W540", lines.index('        patch set buildspec.phases.build.commands.make = "make all"') + 1)]
    assert "on GitHub Actions: job web: timeout 60 becomes 15" in got[0][2]
    assert "on CodePipeline: job web: timeout 60 becomes 15" in got[1][2]
    assert "phases build commands 'make' becomes 'make all'" in got[2][2]


def test_patches_that_change_nothing_the_pipeline_does_give_no_warning():
    _, warnings = build(source(action_block="""      github {
        patch set steps.setup-python.with.cache = pip
        patch set steps.checkout.with.fetch-depth = 0
      }
      aws {
        patch set Resources.WebProject.Properties.Description = "Builds web"
      }"""))
    assert [d.code for d in warnings if d.code.startswith("W54")] == []


def test_a_patched_file_the_reader_refuses_is_w541():
    _, warnings = build(source(action_block="""      github {
        patch remove steps.build
      }"""))
    found = [d for d in warnings if d.code.startswith("W54")]
    assert [d.code for d in found] == ["W541"] and "cannot read the patched GitHub Actions files" in found[0].message


def test_the_check_reads_files_where_the_build_writes_them():
    """With an output folder below the source root, the template names buildspecs by their path
    from the root: the check must find them there (no W541 for an unchanged pipeline)."""
    _, warnings = build(source(action_block="""      aws {
        patch set buildspec.env.shell = bash
      }"""), prefix="out/ci")
    assert [d.code for d in warnings if d.code.startswith("W54")] == []


def test_explain_lists_the_patches_and_what_they_change():
    text = source(pipeline_block="""  github {
    patch set jobs.web.timeout-minutes = 15
  }""", action_block="""      github {
        patch set steps.setup-python.with.cache = pip
      }""")
    pipeline, warnings = pipec.compile_text(text, "demo.pipe")
    out = pipec.explain.explain(pipeline, warnings)
    section = " ".join(out.split("Patches to the generated files", 1)[1].split())
    assert "sets jobs.web.timeout-minutes to 15 in the workflow" in section
    assert "W540" in section
    assert "sets steps.setup-python.with.cache of the job web to 'pip'" in section
    assert "finds no change" in section
    github_only = pipec.explain.explain(pipeline, warnings, target="aws")
    assert "Patches to the generated files" not in github_only


# ----------------------------------------------------------------------------- validators


REALISTIC = source(pipeline_block="""  github {
    patch set jobs.web.steps.checkout.with.fetch-depth = 0
    patch set jobs.web.timeout-minutes = 20
  }
  aws {
    patch set Resources.WebProject.Properties.Description = "Builds the web app"
    patch set Resources.WebProject.Properties.TimeoutInMinutes = 20
  }""", action_block="""      github {
        patch set steps.setup-python.with.cache = pip
        patch set steps.setup-python.with.cache-dependency-path = requirements.txt
        patch set steps.build.env.PIP_DISABLE_PIP_VERSION_CHECK = "1"
      }
      aws {
        patch set buildspec.env.variables.PIP_DISABLE_PIP_VERSION_CHECK = "1"
      }""")


@pytest.fixture(scope="module")
def realistic(tmp_path_factory):
    out = tmp_path_factory.mktemp("patched")
    files, _ = build(REALISTIC)
    for rel, text in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return out, files


def test_realistic_patches_land(realistic):
    _, files = realistic
    wf = workflow(files)
    assert step(wf, "web", "setup-python")["with"]["cache"] == "pip"
    assert wf["jobs"]["web"]["timeout-minutes"] == 20
    assert buildspec(files)["env"]["variables"]["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"


def test_patched_workflow_passes_actionlint_zizmor_and_the_schema(realistic):
    import validators

    out, _ = realistic
    assert validators.actionlint_integrations()["shellcheck"], "shellcheck is off"
    wf = out / ".github" / "workflows" / "demo.yml"
    assert validators.actionlint_findings(wf) == []
    assert validators.zizmor_findings(wf) == []
    assert validators.schema_findings(wf) == []


def test_patched_template_passes_cfn_lint_and_buildspec_the_schema(realistic):
    from cfnlint.api import ManualArgs, lint

    from pipec.targets.aws import buildspec as spec

    _, files = realistic
    matches = lint(files["aws/demo.template.yaml"], config=ManualArgs(regions=["us-east-1"], include_checks=["I"]))
    assert [f"{m.rule.id}: {m.message}" for m in matches] == []
    assert spec.validate(buildspec(files)) == []


# ----------------------------------------------------------------------------- step ids

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_step_has_an_id_unique_in_its_job(path):
    pipeline, _ = pipec.compile_file(str(path))
    files = generate(pipeline, EmitContext(source=path.name, prefix=""), ["github"])
    for rel, text in files.items():
        if not rel.startswith(".github/workflows/"):
            continue
        for jid, job in yamlout.load(text)["jobs"].items():
            ids = [s.get("id") for s in job["steps"]]
            assert all(isinstance(i, str) and _ID.fullmatch(i) for i in ids), (jid, ids)
            assert len(set(ids)) == len(ids), (jid, ids)


def test_step_ids_do_not_depend_on_the_steps_before_them():
    plain, _ = build(source())
    more, _ = build(source().replace('      runtime python 3.12\n',
                                     '      runtime python 3.12\n      runtime nodejs 20\n'
                                     '      secret TOKEN from ssm "/demo/token"\n'))
    before = {s["id"]: s.get("uses", s.get("run")) for s in workflow(plain)["jobs"]["web"]["steps"]}
    after = {s["id"]: s.get("uses", s.get("run")) for s in workflow(more)["jobs"]["web"]["steps"]}
    assert set(after) - set(before) == {"setup-node", "secrets", "aws-credentials"}
    for sid in before:
        if sid != "phases":  # its script names the secret's variable
            assert before[sid] == after[sid], sid


def test_two_steps_of_one_kind_get_distinct_ids():
    from pipec.targets.github import step_ids

    steps = [{"uses": "actions/checkout@x"}, {"uses": "actions/checkout@x"}, {"name": "Fetch secrets"},
             {"name": "Échec: 1st step!"}, {"name": "9 lives"}, {"id": "checkout-2"}]
    step_ids.assign(steps)
    assert [s["id"] for s in steps] == ["checkout", "checkout-3", "secrets", "chec-1st-step", "step-9-lives",
                                        "checkout-2"]


def test_a_github_patch_without_a_workflow_is_e413():
    text = source(pipeline_block="""  github {
    patch set jobs.web.timeout-minutes = 5
  }""").replace("stage build {", "stage build via aws {")
    found = errors(text)
    assert [d.code for d in found] == ["E413"] and "no workflow to patch" in found[0].message


def test_a_patch_changes_one_job_even_where_jobs_share_a_value():
    text = source(pipeline_block="""  github {
    runs_on self-hosted linux
    patch set jobs.web.runs-on.linux = arm64
  }""").replace("  stage build {", """  stage lint {
    test style {
      build "make lint"
    }
  }
  stage build {""")
    wf = workflow(build(text)[0])
    assert wf["jobs"]["web"]["runs-on"] == ["self-hosted", "arm64"]
    assert wf["jobs"]["style"]["runs-on"] == ["self-hosted", "linux"]


@pytest.mark.parametrize("line", ["patch remove jobs", "patch set jobs = 1", "patch set jobs.web = x"])
def test_a_patch_that_breaks_the_workflow_s_shape_is_w541_not_a_crash(line):
    files, warnings = build(source(pipeline_block=f"  github {{\n    {line}\n  }}"))
    assert [d.code for d in warnings if d.code.startswith("W54")] == ["W541"]
    assert ".github/workflows/demo.yml" in files
