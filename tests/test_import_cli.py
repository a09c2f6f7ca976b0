"""``pipec import`` as a command: recognising inputs by content, positions in diagnostics, the
import codes (E600-E603, E699, W600, each with the example in docs/diagnostics.md), writing
nothing on failure, ``--report`` and ``--audit``. The importers themselves have their own tests
(test_import_github.py, test_import_specs.py, test_import_template.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipec import cli, importer
from pipec.diagnostics import CODES, IMPORT_CODES

DOCS = Path(__file__).parent.parent / "docs"

WORKFLOW = """\
name: CI
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""

SCHEDULED = """\
on:
  issues:
    types: [opened]
  push:
    branches: [main]
jobs:
  nightly:
    runs-on: ubuntu-latest
    steps:
      - run: make nightly
"""

BUILDSPEC = """\
version: 0.2
phases:
  build:
    commands:
      - make
artifacts:
  files:
    - "**/*"
  base-directory: dist
"""

APPSPEC = """\
version: 0.0
os: linux
files:
  - source: /
    destination: /var/www/app
hooks:
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 60
      runas: root
"""


def run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def write(tmp_path, name, text):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return str(p)


# ----------------------------------------------------------------------------- loading


def test_load_keeps_positions():
    data = importer.load("on: push\njobs:\n  build:\n    steps:\n      - run: make\n", "w.yml")
    assert data["on"] == "push"  # YAML 1.2: 'on' is a string, not True
    assert data.kpos["jobs"] == (2, 1)
    assert data["jobs"].kpos["build"] == (3, 3)
    steps = data["jobs"]["build"]["steps"]
    assert steps.ipos[0] == (5, 9)
    assert steps[0].src == "w.yml"


def test_load_expands_cloudformation_short_tags():
    data = importer.load("a: !Ref Bucket\nb: !GetAtt Role.Arn\nc: !Sub '${AWS::Region}'\n", "t.yml")
    assert data["a"] == {"Ref": "Bucket"}
    assert data["b"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert data["c"] == {"Fn::Sub": "${AWS::Region}"}


def test_load_json_and_yaml_booleans():
    data = importer.load('{"version": 0.0, "Resources": [], "flag": true, "yes": "no"}', "a.json")
    assert data["flag"] is True and data["yes"] == "no"
    assert importer.load("x: yes\ny: on\n", "a.yml") == {"x": "yes", "y": "on"}


@pytest.mark.parametrize("text,kind", [
    (WORKFLOW, "workflow"), (BUILDSPEC, "buildspec"), (APPSPEC, "appspec"),
    ("Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n", "pipeline-template"),
    ('{"Resources": {"P": {"Type": "AWS::CodePipeline::Pipeline"}}}', "pipeline-template"),
    ("Resources:\n  B:\n    Type: AWS::S3::Bucket\n", None),
    ("services:\n  web:\n    image: nginx\n", None),
    ("- a\n- b\n", None),
])
def test_detect_by_content(text, kind):
    assert importer.detect(importer.load(text, "x.yml")) == kind


# ----------------------------------------------------------------------------- codes


def _doc_example(code: str) -> str | None:
    text = (DOCS / "diagnostics.md").read_text(encoding="utf-8")
    m = re.search(rf"^## {code}: .*?(?=^## )", text + "\n## ", re.S | re.M)
    assert m, f"docs/diagnostics.md has no section for {code}"
    block = re.search(r"```yaml\n(.*?)```", m.group(0), re.S)
    return block.group(1) if block else None


def test_import_codes_are_documented():
    assert IMPORT_CODES <= set(CODES)


@pytest.mark.parametrize("code", ["E600", "E601", "E602", "W600"])
def test_doc_example_gives_its_code(code, tmp_path, capsys):
    example = _doc_example(code)
    assert example, f"the {code} section needs a ```yaml example"
    path = write(tmp_path, "input.yml", example)
    status, out, err = run(["import", path], capsys)
    assert f"[{code}]" in err, err
    if code.startswith("E"):
        assert status == 1 and out == ""
    else:
        assert status == 0 and out.startswith("# Imported by pipec")


def test_e601_points_at_the_line(tmp_path, capsys):
    path = write(tmp_path, "ci.yml", "on: push\njobs:\n  build:\n    runs-on: [ubuntu\n")
    status, out, err = run(["import", path], capsys)
    assert status == 1
    assert re.search(rf"--> {re.escape(path)}:\d+:\d+", err)
    assert "^" in err  # a caret under the source line


def test_e602_duplicate_key(tmp_path, capsys):
    path = write(tmp_path, "ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n  a:\n    runs-on: y\n")
    status, _out, err = run(["import", path], capsys)
    assert status == 1 and "[E602]" in err and f"{path}:5:3" in err


def test_e603_two_workflows(tmp_path, capsys):
    a = write(tmp_path, "a.yml", WORKFLOW)
    b = write(tmp_path, "b.yml", WORKFLOW)
    status, out, err = run(["import", a, b], capsys)
    assert status == 1 and "[E603]" in err and out == ""


def test_e603_unused_companion(tmp_path, capsys):
    a = write(tmp_path, "buildspec.yml", BUILDSPEC)
    b = write(tmp_path, "other.yml", BUILDSPEC)
    status, _out, err = run(["import", a, b], capsys)
    assert status == 1 and "[E603]" in err


def test_e699_when_the_output_does_not_check():
    ctx = importer.Context("x.yml", "", {}, "workflow")
    doc = importer.Doc("pipeline p")  # no source, no stage: pipec check rejects it
    assert importer.finish(ctx, doc) is None
    assert [d.code for d in ctx.errors] == ["E699"]


def test_missing_file(tmp_path, capsys):
    status, _out, err = run(["import", str(tmp_path / "nope.yml")], capsys)
    assert status == 1 and "[E001]" in err


# ----------------------------------------------------------------------------- output


def test_writes_output_and_report(tmp_path, capsys):
    path = write(tmp_path, "ci.yml", SCHEDULED)
    out_pipe, report = tmp_path / "ci.pipe", tmp_path / "report.md"
    status, out, err = run(["import", path, "-o", str(out_pipe), "--report", str(report)], capsys)
    assert status == 0 and out == ""
    text = out_pipe.read_text(encoding="utf-8")
    assert "# not converted (ci.yml:" in text and "issues" in text
    from pipec import compile_text

    compile_text(text, "ci.pipe")  # what import writes, check accepts
    md = report.read_text(encoding="utf-8")
    assert "**Partial**" in md and "issues" in md
    assert "Partial" in err and "not converted" in err


def test_report_json(tmp_path, capsys):
    path = write(tmp_path, "ci.yml", SCHEDULED)
    report = tmp_path / "report.json"
    status, _out, _err = run(["import", path, "-o", str(tmp_path / "o.pipe"), "--report", str(report)], capsys)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert status == 0 and data["status"] == "Partial" and data["kind"] == "workflow"
    assert any("issues" in u["construct"] for u in data["unconverted"])
    assert all(u["line"] for u in data["unconverted"])


def test_nothing_written_on_failure(tmp_path, capsys):
    path = write(tmp_path, "ci.yml", "on: push\njobs: [1, 2]\n")
    out_pipe = tmp_path / "ci.pipe"
    out_pipe.write_text("keep me\n", encoding="utf-8")
    status, _out, err = run(["import", path, "-o", str(out_pipe)], capsys)
    assert status == 1 and "nothing written" in err
    assert out_pipe.read_text(encoding="utf-8") == "keep me\n"


def test_buildspec_with_appspec_make_one_pipeline(tmp_path, capsys):
    b = write(tmp_path, "buildspec.yml", BUILDSPEC)
    a = write(tmp_path, "appspec.yml", APPSPEC)
    status, out, err = run(["import", b, a], capsys)
    assert status == 0, err
    assert "build " in out and "to ec2" in out


def test_json_format(tmp_path, capsys):
    path = write(tmp_path, "ci.yml", WORKFLOW)
    status, out, _err = run(["import", path, "--format", "json"], capsys)
    data = json.loads(out)
    assert status == 0 and data["source"].startswith("# Imported by pipec")


def test_repository_option(tmp_path, capsys):
    path = write(tmp_path, "ci.yml", WORKFLOW)
    status, out, _err = run(["import", path, "--repository", "acme/shop"], capsys)
    assert status == 0 and '"acme/shop"' in out and "OWNER/REPO" not in out


# ----------------------------------------------------------------------------- audit


def _audit_tree(tmp_path):
    write(tmp_path, "repo/.github/workflows/ci.yml", WORKFLOW)
    write(tmp_path, "repo/.github/workflows/nightly.yml", SCHEDULED)
    write(tmp_path, "repo/.github/workflows/broken.yml", "on: push\njobs:\n  a: [\n")
    write(tmp_path, "repo/buildspec.yml", BUILDSPEC)
    write(tmp_path, "repo/deploy/appspec.yml", APPSPEC)
    write(tmp_path, "repo/docker-compose.yml", "services:\n  web:\n    image: nginx\n")
    write(tmp_path, "repo/node_modules/x/buildspec.yml", BUILDSPEC)  # dependency folders are skipped
    return tmp_path / "repo"


def test_audit_summary(tmp_path):
    a = importer.audit(_audit_tree(tmp_path))
    d = a.to_dict()
    assert d["files"] == 5 and d["not_pipeline_files"] == 1 and not a.crashed
    assert d["statuses"]["Failed"] == 1  # broken.yml
    assert d["statuses"]["Successful"] + d["statuses"]["Partial"] == 4
    assert d["kinds"]["workflow"]["files"] == 3
    assert any("issues" in c["construct"] for c in d["constructs"])
    assert any(t["kind"] == "repository" for t in d["tasks"])


def test_audit_command_writes_markdown_json_and_pipes(tmp_path, capsys):
    root = _audit_tree(tmp_path)
    out_dir = tmp_path / "audit"
    status, out, _err = run(["import", "--audit", str(root), "-o", str(out_dir)], capsys)
    assert status == 0 and "audited 5 pipeline file(s)" in out
    md = (out_dir / "audit_summary.md").read_text(encoding="utf-8")
    assert "| Failed | 1 |" in md and "## Constructs not converted" in md and "## Manual tasks" in md
    assert "broken.yml:3:" in md  # the error with its position
    data = json.loads((out_dir / "audit_summary.json").read_text(encoding="utf-8"))
    assert data["statuses"]["Failed"] == 1
    pipes = sorted(p.relative_to(out_dir / "pipelines").as_posix() for p in (out_dir / "pipelines").rglob("*.pipe"))
    assert ".github/workflows/ci.yml.pipe" in pipes and "buildspec.yml.pipe" in pipes


def test_audit_to_stdout(tmp_path, capsys):
    root = _audit_tree(tmp_path)
    status, out, _err = run(["import", "--audit", str(root)], capsys)
    assert status == 0 and out.startswith("# pipec import audit")
    status, out, _err = run(["import", "--audit", str(root), "--format", "json"], capsys)
    assert json.loads(out)["files"] == 5


def test_audit_needs_a_folder(tmp_path, capsys):
    status, _out, err = run(["import", "--audit", str(tmp_path / "nope")], capsys)
    assert status == 2 and "needs a folder" in err


def test_audit_records_a_crash_instead_of_dying(tmp_path, monkeypatch):
    root = _audit_tree(tmp_path)

    from pipec.targets import IMPORTERS

    monkeypatch.setitem(IMPORTERS, "buildspec", f"{__name__}:_boom")
    a = importer.audit(root)
    assert a.crashed == ["buildspec.yml"]
    assert any(d.code == "E699" for r in a.results for d in r.diagnostics)


def _boom(ctx):  # an importer with a bug
    raise RuntimeError("boom")


def test_recursive_alias_is_e602_not_a_crash():
    r = importer.import_one("w.yml", "on: push\njobs: &j\n  a:\n    steps: *j\n")
    assert r.status == "Failed" and [d.code for d in r.diagnostics] == ["E602"]
    assert r.diagnostics[0].span.line == 2  # the anchor of the mapping the alias is inside


def test_alias_bomb_is_built_once():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10**9 leaves if copied
    data = importer.load("\n".join(lines) + "\n", "bomb.yml")
    assert data["a8"][0] is data["a7"]


def test_output_is_identical_across_hash_seeds(tmp_path):
    """Imports are deterministic: the same bytes whatever PYTHONHASHSEED is (sets and dicts of
    names must never decide an order)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    template = root / "examples" / "migration" / "codepipeline" / "pipeline.yaml"
    workflow = write(tmp_path, "ci.yml", WORKFLOW.replace("jobs:", "env:\n  A: 1\n  B: 2\n  C: 3\njobs:")
                     + "  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n"
                     + "  docs:\n    needs: [test, lint]\n    runs-on: ubuntu-latest\n    steps:\n"
                     + "      - run: make docs\n")
    for path in (workflow, str(template)):
        outs = set()
        for seed in ("0", "1", "12345"):
            done = subprocess.run([sys.executable, "-m", "pipec", "import", path],
                                  env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            outs.add(done.stdout)
        assert len(outs) == 1, f"the import of {path} changed with the hash seed"


def test_an_anchor_defined_twice_refers_to_the_latest():
    """YAML 1.2 (and GitHub) let an anchor be defined again; an alias means the latest one."""
    data = importer.load("a: &x one\nb: *x\nc: &x two\nd: *x\n", "w.yml")
    assert data == {"a": "one", "b": "one", "c": "two", "d": "two"}
    assert data.kpos["d"] == (4, 1)


@pytest.mark.parametrize("where", ["folder", "missing-folder"])
def test_an_output_path_that_cannot_be_written_is_a_usage_error(where, tmp_path, capsys):
    path = write(tmp_path, "ci.yml", WORKFLOW)
    out = str(tmp_path) if where == "folder" else str(tmp_path / "nope" / "ci.pipe")
    for argv in (["import", path, "-o", out], ["import", path, "--report", out]):
        status, _out, err = run(argv, capsys)
        assert status == 2 and "pipec: error: cannot write" in err and "internal error" not in err


def test_audit_output_over_a_file_is_a_usage_error(tmp_path, capsys):
    root = _audit_tree(tmp_path)
    blocker = write(tmp_path, "audit", "a file, not a folder\n")
    status, _out, err = run(["import", "--audit", str(root), "-o", blocker], capsys)
    assert status == 2 and "a file has that name" in err
