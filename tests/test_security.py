"""Security regressions (issue 23): user strings stay data in every file pipec writes.

A hostile pipeline puts GitHub expressions (``${{ github.event.issue.title }}``), command
substitutions and quotes into every free-text field that reaches a workflow; the build must
pass actionlint (shellcheck on) and zizmor, and the strings must arrive as text."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

import pipec
from pipec.build import EmitContext
from pipec.diagnostics import Diagnostics
from pipec.targets.github import emit as github
from pipec.targets.escape import GITHUB_ENV_DELIMITER, LITERAL_OPEN, expression_text, path_segment, sub_text

import validators
from test_github import JobRun

EVIL = "${{ github.event.issue.title }}"

HOSTILE = f"""\
variable V = "$(id)'x" description "a 'quoted' $(id)"
source app github "acme/demo" {{
  on push branches main
  on manual
}}
stage build {{
  build b {{
    env E = "{EVIL}"
    secret S from secrets-manager "db-creds:password"
    build "test -n '{EVIL}'"
    post_build {{
      run "test -n '{EVIL}' # $(id)"
      finally "test -n '{EVIL}'"
    }}
    cache "c-$(id)'x/**/*"
    report r junit files "r-$(id)'.xml" base "out-`id`"
    artifact site files "a-$(id)'/**/*" base "dist-$(id)'"
  }}
}}
stage web {{
  deploy www to s3 {{
    from site
    bucket my-site
    object_key "releases/app.zip"
    cache_control "max-age={EVIL}"
  }}
}}
"""


def _pipeline(body: str) -> str:
    return "pipeline demo {\n" + "".join(f"  {line}\n" if line else "\n" for line in body.splitlines()) + "}\n"


@pytest.fixture(scope="module")
def hostile_workflow(tmp_path_factory):
    pipeline, _ = pipec.compile_text(_pipeline(HOSTILE), "demo.pipe")
    files = github.emit(pipeline, EmitContext(source="demo.pipe", prefix=""))
    out = tmp_path_factory.mktemp("hostile")
    path = out / "demo.yml"
    path.write_text(files[".github/workflows/demo.yml"], encoding="utf-8")
    return path


def test_no_user_expression_is_evaluated(hostile_workflow):
    """Every ``${{`` the user wrote is the literal expression ``${{ '${{' }}``."""
    text = hostile_workflow.read_text()
    assert EVIL in text.replace(LITERAL_OPEN, "${{") and EVIL not in text
    assert "github.event.issue.title" in text


def test_hostile_workflow_passes_actionlint_and_zizmor(hostile_workflow):
    assert validators.actionlint_findings(hostile_workflow) == []
    # the regular persona (zizmor's default, the project's bar): the pedantic one reports every
    # expression inside a script, the constant ${{ '${{' }} included, whose value is fixed text
    assert validators.zizmor_findings([hostile_workflow], persona="regular") == []


def test_hostile_strings_read_back_unchanged(tmp_path):
    """The read side undoes exactly the escaping: the plan read from the files equals the model's."""
    from pipec import plan
    from pipec.build import context_for, generate

    src = tmp_path / "demo.pipe"
    src.write_text(_pipeline(HOSTILE), encoding="utf-8")
    pipeline, _ = pipec.compile_file(str(src))
    ctx = context_for(str(src), str(tmp_path / "out"), str(tmp_path))
    for rel, text in generate(pipeline, ctx, ["github"]).items():
        dest = tmp_path / "out" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    assert github.read(tmp_path / "out") == plan.from_model(pipeline, "github")


def test_secret_value_cannot_end_its_github_env_block(tmp_path):
    """A fetched secret whose value holds a line like the old fixed delimiter and a variable
    assignment stays one value: nothing else lands in the job's environment."""
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n'
                     '    secret TOKEN from ssm "/app/token"\n    build "true"\n  }\n}')
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    wf = yaml.safe_load(github.emit(pipeline, EmitContext(source="demo.pipe", prefix=""))[".github/workflows/demo.yml"])
    step = next(s for s in wf["jobs"]["b"]["steps"] if s.get("name") == "Fetch secrets")
    assert step["run"].split("\n")[1] == GITHUB_ENV_DELIMITER
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    value = "first\nPIPEC_EOF\nLD_PRELOAD=/tmp/evil.so\nBASH_ENV=/tmp/evil"
    (bin_dir / "aws").write_text(f"#!/bin/sh\nprintf '%s\\n' '{value}'\n")
    (bin_dir / "aws").chmod(0o755)
    run = JobRun({"steps": [step]}, tmp_path, env={"PATH": f"{bin_dir}:{os.environ['PATH']}"}).run()
    assert run.result == "success", run.results
    assert run.github_env == {"TOKEN": value}


@pytest.mark.parametrize("value", ["prod$(touch /tmp/P)", "../../../../package", "a\nb", "prod env", "-rf"])
def test_environment_names_are_checked(value):
    text = _pipeline(f'source app github "acme/demo"\nstage s {{\n  build b {{\n    build "true"\n'
                     f'    github {{\n      environment "{value.replace(chr(10), chr(92) + "n")}"\n    }}\n  }}\n}}')
    with pytest.raises(Diagnostics) as exc:
        pipec.compile_text(text, "demo.pipe")
    assert [d.code for d in exc.value.diagnostics] == ["E206"]


def test_variable_cannot_hold_an_expression():
    text = _pipeline(f'variable V = "{EVIL}"\nsource app github "acme/demo"\nstage s {{\n  build b {{\n    build "true"\n  }}\n}}')
    with pytest.raises(Diagnostics) as exc:
        pipec.compile_text(text, "demo.pipe")
    assert [d.code for d in exc.value.diagnostics] == ["E206"]


def test_escaping_functions():
    assert expression_text("a ${{ x }} b") == "a ${{ '${{' }} x }} b"
    assert sub_text("k/${AWS::Region}/x") == "k/${!AWS::Region}/x"
    for bad in ("..", "../x", "a/b", ".hidden", "", "a\0b"):
        with pytest.raises(ValueError):
            path_segment(bad)
    assert path_segment("web-prod.yml") == "web-prod.yml"


def _codes(text: str) -> list[str]:
    with pytest.raises(Diagnostics) as exc:
        pipec.compile_text(text, "demo.pipe")
    return [d.code for d in exc.value.diagnostics]


def _stages(n: int) -> str:
    return _pipeline('source app github "acme/demo"\n' + "".join(
        f'stage s{i} {{\n  build b{i} {{\n    build "make"\n  }}\n}}\n' for i in range(n)))


def test_fifty_stages_at_most_counting_the_source_stage():
    pipec.compile_text(_stages(49), "demo.pipe")
    assert _codes(_stages(50)) == ["E303"]


def test_stages_bound_to_github_are_not_codepipeline_stages():
    """The limit is CodePipeline's: a stage 'via github' is not in the template (bench/perf.py's
    2,500-action pipeline, half of its stages via github, failed with E303)."""
    text = _stages(60)
    for i in range(0, 60, 2):
        text = text.replace(f"stage s{i} {{", f"stage s{i} via github {{", 1)
    pipec.compile_text(text, "demo.pipe")


@pytest.mark.parametrize("branch", ["rel$ease", "a b", "x^y", "a\\\\b", "[x]", "a,b", "caf\u00e9", "a..b",
                                    "-x", "x" * 256, "a@{b"])
def test_branches_pipec_cannot_translate_are_refused(branch):
    """Each of these passed 'check' and crashed 'build' with PatternError (exit 3) in 0.1."""
    text = _pipeline(f'source app github "acme/demo" {{\n  branch "{branch}"\n}}\nstage s {{\n'
                     '  build b {\n    build "make"\n  }\n}')
    assert _codes(text) == ["E206"]


@pytest.mark.parametrize("field,value", [("bucket", "my-${AWS::Region}"), ("object_key", "a/${x}.zip")])
def test_no_substitution_reaches_fn_sub(field, value):
    other = {"bucket": 'object_key "k.zip"', "object_key": "bucket my-site"}[field]
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n'
                     '    artifact site files "**/*"\n  }\n}\nstage d {\n  deploy www to s3 {\n    from site\n'
                     f'    {field} "{value}"\n    {other}\n  }}\n}}')
    assert _codes(text) == ["E206"]


def test_secret_reference_with_substitution_is_refused():
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n'
                     '    secret X from ssm "/a/${AWS::AccountId}"\n    build "make"\n  }\n}')
    assert _codes(text) == ["E206"]


@pytest.mark.parametrize("statement", ['artifact a files "../outside.txt"', 'artifact a files "/etc/shadow"',
                                       'artifact a files "**/*" base "../.."', 'cache "../x/**/*"',
                                       'report r junit files "x.xml" base "a/../../b"'])
def test_paths_outside_the_working_directory_are_refused(statement):
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n'
                     f'    {statement}\n  }}\n}}')
    assert _codes(text) == ["E206"]


def test_artifact_collection_stays_in_its_folder(tmp_path):
    """The GitHub collector copies what the patterns match and nothing else, even when a matched
    name is hostile: a file called '$(touch x)' is copied as that name."""
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "true"\n'
                     '    artifact site files "**/*" base "dist"\n  }\n}')
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    wf = yaml.safe_load(github.emit(pipeline, EmitContext(source="demo.pipe", prefix=""))[".github/workflows/demo.yml"])
    step = next(s for s in wf["jobs"]["b"]["steps"] if s.get("name") == "Collect artifact site")
    step = {k: v for k, v in step.items() if k != "if"}  # run as if the phases step had asked for it
    work = tmp_path / "workspace" / "dist"
    work.mkdir(parents=True)
    (work / "$(touch pwned)").write_text("x")
    (tmp_path / "outside.txt").write_text("secret")
    run = JobRun({"steps": [step]}, tmp_path).run()
    assert run.result == "success", run.results
    staged = tmp_path / "runner-temp" / "artifacts" / "site"
    assert sorted(p.name for p in staged.iterdir()) == ["$(touch pwned)"]
    assert not any(tmp_path.rglob("pwned"))


def test_lambda_deploy_takes_no_artifact():
    """0.1 accepted 'from' here and ignored it (the deployment never read the artifact)."""
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n'
                     '    artifact pkg files "x"\n  }\n}\nstage d {\n  deploy fn to lambda {\n    from pkg\n'
                     '    function "resize"\n    alias live\n  }\n}')
    assert _codes(text) == ["E207"]


# ----------------------------------------------------------------------------- diagnostics


def _diagnostic(text: str):
    with pytest.raises(Diagnostics) as exc:
        pipec.compile_text(text, "demo.pipe")
    (d,) = exc.value.diagnostics
    return d


@pytest.mark.parametrize("value,quoted", [("arn:aws:codeconnections:us-east-1:123456789012:connection/x",
                                           '"arn:aws:codeconnections:us-east-1:123456789012:connection/x"'),
                                          ("release/1.0", '"release/1.0"')])
def test_unquoted_value_with_punctuation_says_to_quote_it(value, quoted):
    d = _diagnostic(_pipeline(f'source app github "acme/demo" {{\n  branch {value}\n}}\nstage s {{\n'
                              '  build b {\n    build "make"\n  }\n}'))
    assert d.code == "E100" and quoted in d.help and "YAML" not in d.help


def test_non_ascii_name_says_what_names_are():
    d = _diagnostic("pipeline caf\u00e9 {\n}\n")
    assert d.code == "E100" and "ASCII" in d.help and "Expected" not in d.help


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f"])
@pytest.mark.parametrize("where", ["start", "string", "comment"])
def test_control_characters_are_refused_where_they_are(char, where):
    body = {"start": f"{char}pipeline p {{\n}}\n",
            "string": f'pipeline p {{\n  source app github "a{char}b"\n}}\n',
            "comment": f"# a{char}b\npipeline p {{\n}}\n"}[where]
    d = _diagnostic(body)
    assert d.code == "E100" and f"U+{ord(char):04X}" in d.message and "__" not in d.message
    line = body[:body.index(char)].count("\n") + 1
    assert (d.span.line, d.span.column) == (line, body.index(char) - body.rfind("\n", 0, body.index(char)))


def test_old_mac_line_endings_say_so():
    d = _diagnostic("# pipeline\rpipeline p {\r}\r")
    assert d.code == "E100" and "carriage return" in d.message


def test_codebuild_produces_at_most_five_artifacts():
    arts = "".join(f'    artifact a{i} files "x{i}"\n' for i in range(6))
    text = _pipeline(f'source app github "acme/demo"\nstage s {{\n  build b {{\n    build "make"\n{arts}  }}\n}}')
    assert _codes(text) == ["E206"]


def test_invoke_takes_at_most_five_artifacts():
    arts = "".join(f'    artifact o{i}\n' for i in range(6))
    text = _pipeline('source app github "acme/demo"\nstage s {\n  invoke i {\n    function "f"\n'
                     f'{arts}  }}\n}}')
    assert "E206" in _codes(text)


def test_import_reports_a_value_aws_refuses_as_a_placeholder(tmp_path):
    """A name the platform refuses is reported at its line in the imported file and written as a
    REPLACE-ME placeholder (issue 25: degrade, never fail), not an importer bug (E699) and not a
    .pipe file that 'check' rejects."""
    spec = tmp_path / "appspec.yml"
    spec.write_text("version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n"
                    "        Name: my.function\n        Alias: live\n", encoding="utf-8")
    run = subprocess.run([os.sys.executable, "-m", "pipec", "import", str(spec), "-o", str(tmp_path / "out.pipe")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "my.function" in run.stderr and "E699" not in run.stderr and "appspec.yml:6:" in run.stderr
    written = (tmp_path / "out.pipe").read_text(encoding="utf-8")
    assert "REPLACE-ME-lambda-function" in written and "function my.function" not in written
    pipeline, diags = pipec.compile_text(written, "out.pipe")
    assert any(d.code == "W601" for d in diags)


def test_variable_without_manual_start_uses_its_default(tmp_path):
    """0.1 wrote ${{ inputs.LEVEL || 'info' }} into a workflow without workflow_dispatch, whose
    runs have no inputs (actionlint: property "level" is not defined)."""
    text = _pipeline('variable LEVEL = info\nsource app github "acme/demo" {\n  on push branches main\n}\n'
                     'stage s {\n  build b {\n    build "make"\n  }\n}')
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    wf_text = github.emit(pipeline, EmitContext(source="demo.pipe", prefix=""))[".github/workflows/demo.yml"]
    assert yaml.safe_load(wf_text)["env"]["LEVEL"] == "info"
    from pipec import plan

    built = tmp_path / "out"
    for rel, body in github.emit(pipeline, EmitContext(source="demo.pipe", prefix="")).items():
        (built / rel).parent.mkdir(parents=True, exist_ok=True)
        (built / rel).write_text(body, encoding="utf-8")
    assert github.read(built) == plan.from_model(pipeline, "github")
    path = tmp_path / "demo.yml"
    path.write_text(wf_text, encoding="utf-8")
    assert validators.actionlint_findings(path) == []


@pytest.mark.parametrize("bad", ["../outside.yml", "/etc/cron.d/x", "a/../../b", "a//b", "a\\b"])
def test_no_target_can_write_outside_the_output_folder(tmp_path, monkeypatch, bad):
    """Whatever a target returns, a path outside the output folder stops the build before anything
    is written (an internal error: names are checked long before)."""
    from pipec import cli
    from pipec.targets.github import emit as gh

    src = tmp_path / "demo.pipe"
    src.write_text(_pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n  }\n}'))
    real = gh.emit
    monkeypatch.setattr(gh, "emit", lambda p, ctx: {**real(p, ctx), bad: "x"})
    status = cli.main(["build", str(src), "-o", str(tmp_path / "out"), "--source-root", str(tmp_path)])
    assert status == 3
    assert not (tmp_path / "out").exists() and not (tmp_path / "outside.yml").exists()


def test_at_most_25_variables():
    def text(n):
        return _pipeline("".join(f"variable V{i} = x\n" for i in range(n)) +
                         'source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n  }\n}')

    pipec.compile_text(text(25), "demo.pipe")
    assert _codes(text(26)) == ["E409"]


# ----------------------------------------------------------------------------- from the outside review


def _build(tmp_path, text, name="demo.pipe", out="out"):
    from pipec import cli

    src = tmp_path / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(text, encoding="utf-8")
    return cli.main(["build", str(src), "-o", str(tmp_path / out), "--source-root", str(tmp_path)])


_SIMPLE = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n  }\n}')


def test_a_pipe_path_with_a_line_break_is_refused(tmp_path):
    """The path goes into every generated file's first line: a line break there became YAML keys
    (defaults.run.shell) and shell lines in apply.sh."""
    status = _build(tmp_path, _SIMPLE, name="x\nrun-name: $(touch PWN)\n#.pipe")
    assert status == 2
    assert not (tmp_path / "out").exists()


def test_writes_do_not_follow_a_link_out_of_the_output_folder(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "out").mkdir()
    os.symlink(victim, tmp_path / "out" / "aws")
    assert _build(tmp_path, _SIMPLE) == 2
    assert list(victim.iterdir()) == []


@pytest.mark.parametrize("name", ["X || toJSON(secrets)", "X}}${{ github.token }}", "GITHUB_TOKEN", "1X", ""])
def test_github_secret_names_are_checked(name):
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    secret S from ssm "/a/b"\n'
                     f'    build "make"\n    github {{\n      secret S from github "{name}"\n    }}\n  }}\n}}')
    assert "E206" in _codes(text)


@pytest.mark.parametrize("statement", ['image docker "reg.example.com/img:${{ github.token }}"',
                                       'runtime nodejs "${{ github.token }}"'])
def test_image_and_runtime_values_stay_text(statement):
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n'
                     f'    {statement}\n  }}\n}}')
    pipeline, _ = pipec.compile_text(text, "demo.pipe")
    wf = github.emit(pipeline, EmitContext(source="demo.pipe", prefix=""))[".github/workflows/demo.yml"]
    assert "${{ github.token" not in wf.replace(LITERAL_OPEN, "<literal>")


@pytest.mark.parametrize("char", ["\x85", "\x9b", "\u202e", "\u2066"])
def test_c1_controls_and_bidi_overrides_are_refused(char):
    d = _diagnostic(f'pipeline p {{\n  source app github "a{char}b"\n}}\n')
    assert d.code == "E100" and f"U+{ord(char):04X}" in d.message


@pytest.mark.parametrize("statement", ['bucket ""', 'object_key ""'])
def test_empty_names_are_refused(statement):
    other = 'object_key "k.zip"' if "bucket" in statement else "bucket my-site"
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n'
                     '    artifact site files "**/*"\n  }\n}\nstage d {\n  deploy www to s3 {\n    from site\n'
                     f'    {statement}\n    {other}\n  }}\n}}')
    assert _codes(text) == ["E206"]


def test_artifact_base_starting_with_a_dash_is_refused():
    text = _pipeline('source app github "acme/demo"\nstage s {\n  build b {\n    build "make"\n'
                     '    artifact a files "**/*" base "-P"\n  }\n}')
    assert _codes(text) == ["E206"]


def test_messages_quote_a_long_value_cut():
    text = _pipeline('source app github "acme/demo" {\n  on push branches "' + "[" * 5 + "a" * 100_000 + '"\n}\n'
                     'stage s {\n  build b {\n    build "make"\n  }\n}')
    with pytest.raises(Diagnostics) as exc:
        pipec.compile_text(text, "demo.pipe")
    assert all(len(d.message) < 400 for d in exc.value.diagnostics)


@pytest.mark.parametrize("pipeline_block,source_block", [
    ('aws {\n  permissions_boundary "arn:aws:iam::${AWS::AccountId}:policy/x"\n}\n', ""),
    ("", '  connection "c${ZZ}x y/../$(id)"\n'),
])
def test_pipeline_level_names_are_checked(pipeline_block, source_block):
    text = _pipeline(pipeline_block + 'source app github "acme/demo" {\n' + source_block + '}\n'
                     'stage s {\n  build b {\n    build "make"\n  }\n}')
    assert "E206" in _codes(text)


def test_placeholders_of_the_importer_pass_every_rule():
    from pipec import resource_names

    assert resource_names.PLACEHOLDER.fullmatch("REPLACE-ME-listener-arn")
    assert not resource_names.PLACEHOLDER.fullmatch("REPLACE-ME-${x}")


def test_two_pipelines_with_one_name_do_not_overwrite_each_other(tmp_path):
    """Built by separate commands into one folder, the second used to overwrite the first's files
    silently (the manifest then listed them under both)."""
    assert _build(tmp_path, _SIMPLE, name="a/p.pipe") == 0
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert _build(tmp_path, _SIMPLE.replace('"make"', '"make other"'), name="b/p.pipe") == 2
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before
