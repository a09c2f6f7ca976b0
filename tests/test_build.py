"""``pipec build``: the files it writes, golden copies of them, and how it writes them.

Golden files
    ``tests/golden/<stem>/`` holds what ``pipec build examples/<stem>.pipe -o tests/golden/<stem>
    --source-root tests/golden/<stem>`` writes (every target), generated in-process with
    ``context_for(pipe, out_dir, source_root=out_dir)`` so that headers and paths do not depend on
    where the repository is checked out. :func:`test_golden_files` compares every generated file
    byte for byte with its golden copy and fails on golden files that are no longer generated.

    After an intended change to the output, regenerate them and review the diff::

        PIPEC_REGEN=1 .venv/bin/python -m pytest tests/test_build.py -k golden
        git diff tests/golden

    (see tests/golden/README.md).

The command
    The documented layout, idempotent second runs, ``--check`` (which must write nothing: the
    directory listing, bytes and mtimes are compared), stale files, errors that write nothing,
    an output directory outside the source root, all-or-nothing writes when generation or
    writing fails midway, byte-identical output across runs and ``PYTHONHASHSEED`` values, and
    pipec's header on every generated file.

Timing is measured by ``bench/time_build.py``, not asserted here.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pipec
from pipec import compile_file, model
from pipec.build import GENERATED_MARK, MANIFEST, context_for, digest, generate, write
from pipec.cli import main
from pipec.targets import TARGETS
from support import EXAMPLES_DIR, example_pipes, example_stem

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
#: every example pipeline's golden name, folder examples included (``15-shared-template/billing``)
STEMS = [example_stem(p) for p in example_pipes()]
GOLDEN = Path(__file__).resolve().parent / "golden"
REGEN = os.environ.get("PIPEC_REGEN") == "1"
REFERENCE = ROOT / "examples" / "02-reference.pipe"


# ----------------------------------------------------------------------------- helpers


def run(capsys, *argv) -> tuple[int, str, str]:
    """Run pipec in-process: (exit status, stdout, stderr)."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def tree(path: Path) -> dict | None:
    """Everything under ``path`` (hidden files included): relative path -> ("dir",) or
    ("file", bytes, mtime_ns). None when ``path`` does not exist."""
    if not path.exists():
        return None
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), path)] = ("dir",)
        for f in filenames:
            full = os.path.join(dirpath, f)
            out[os.path.relpath(full, path)] = ("file", Path(full).read_bytes(), os.stat(full).st_mtime_ns)
    return out


def files_under(path: Path) -> dict[str, bytes]:
    """The generated files under ``path``: every file but the manifest (tests/test_writes.py)."""
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and p.relative_to(path).as_posix() != MANIFEST}


def age(path: Path, seconds: int = 1_000_000_000):
    """Give every file under ``path`` an old mtime, so any rewrite is visible."""
    for p in path.rglob("*"):
        if p.is_file():
            os.utime(p, (seconds, seconds))


def repo_with(tmp_path: Path, text_or_example, name: str = "app.pipe") -> Path:
    """A repository directory holding one .pipe file (copied from an example or given as text)."""
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    pipe = repo / name
    if isinstance(text_or_example, Path):
        shutil.copyfile(text_or_example, pipe)
    else:
        pipe.write_text(text_or_example, encoding="utf-8")
    return pipe


def expected_aws_layout(pipeline: model.Pipeline) -> set[str]:
    """The files docs/targets.md promises for the AWS target."""
    files = {f"aws/{pipeline.name}.template.yaml"}
    for stage in pipeline.stages:
        if stage.platform not in (None, "aws"):
            continue
        for act in stage.actions:
            if isinstance(act, model.Build):
                files.add(f"aws/{pipeline.name}/buildspec/{act.name}.yml")
            elif isinstance(act, model.Deploy) and act.uses_codedeploy:
                files.add(f"aws/{pipeline.name}/appspec/{act.name}.yml")
                if act.platform == "lambda":  # the CodeBuild deployer
                    files.add(f"aws/{pipeline.name}/buildspec/{act.name}.yml")
            # an action in another account or Region: the template of that place, and the
            # artifact store of its Region when that is not the pipeline's (targets/aws/accounts.py)
            account, region = pipeline.place_of(act)
            if account or region:
                account, region = account or pipeline.account, region or pipeline.region
                files.add(f"aws/{pipeline.name}/targets/{account}-{region}.template.yaml")
                if region != pipeline.region:
                    files.add(f"aws/{pipeline.name}/support/{region}.template.yaml")
    return files


TWO_BUILDS = """\
pipeline demo {
  source app github "acme/demo"

  stage build {
    build web {
      build "make"
      artifact dist files "**/*" base dist
    }
    test unit {
      build "make test"
    }
  }
}
"""
ONE_BUILD = TWO_BUILDS.replace('    test unit {\n      build "make test"\n    }\n', "")

# E203: the compute size is given twice.
BAD = """\
pipeline demo {
  source app github "acme/demo"
  stage build {
    build web {
      build "make"
      compute small
      compute large
    }
  }
}
"""


# ----------------------------------------------------------------------------- golden files


def golden_files(stem: str) -> dict[str, str]:
    pipe = ROOT / "examples" / f"{stem}.pipe"
    out = GOLDEN / stem
    pipeline, _warnings = compile_file(str(pipe))
    return generate(pipeline, context_for(str(pipe), str(out), source_root=str(out)), list(TARGETS))


@pytest.mark.parametrize("stem", STEMS)
def test_golden_files(stem):
    files = golden_files(stem)
    out = GOLDEN / stem
    if REGEN:
        write(str(out), files)
        for rel in set(files_under(out)) - set(files):  # no longer generated
            (out / rel).unlink()
    golden = files_under(out)
    assert sorted(golden) == sorted(files), f"golden files of {stem} differ in name; run PIPEC_REGEN=1"
    for rel, text in files.items():
        assert golden[rel] == text.encode("utf-8"), f"{stem}/{rel} differs from its golden copy; run PIPEC_REGEN=1"


def test_golden_directory_has_only_examples():
    """A removed or renamed example leaves no orphaned golden directory behind."""
    dirs = {p.name for p in GOLDEN.iterdir() if p.is_dir()}
    assert dirs == {stem.split("/")[0] for stem in STEMS}
    for folder in {stem.split("/")[0] for stem in STEMS if "/" in stem}:  # a folder example's pipelines
        assert {p.name for p in (GOLDEN / folder).iterdir()} == {s.split("/")[1] for s in STEMS
                                                                if s.startswith(folder + "/")}


# ----------------------------------------------------------------------------- layout and re-runs


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_build_writes_the_documented_layout(capsys, tmp_path, example):
    pipe = repo_with(tmp_path, example)
    out = pipe.parent / "generated"
    status, stdout, err = run(capsys, "build", pipe, "-o", out, "--target", "aws")
    assert status == 0, err
    pipeline, _ = compile_file(str(pipe))
    expected = expected_aws_layout(pipeline)
    assert set(files_under(out)) == expected
    assert f"wrote {len(expected)} file(s), 0 unchanged, removed 0 stale" in stdout
    # the paths the template gives CodeBuild and CodeDeploy resolve from the source root
    import yaml

    template = yaml.safe_load((out / "aws" / f"{pipeline.name}.template.yaml").read_text())
    written = {v.decode() for k, v in files_under(out).items() if "/buildspec/" in k}
    for res in template["Resources"].values():
        if res["Type"] == "AWS::CodeBuild::Project":
            spec = res["Properties"]["Source"]["BuildSpec"]
            assert (pipe.parent / spec).is_file() if "\n" not in spec else spec in written
    for stage in template["Resources"]["Pipeline"]["Properties"]["Stages"]:
        for action in stage["Actions"]:
            path = action.get("Configuration", {}).get("AppSpecTemplatePath")
            if path:
                assert (pipe.parent / path).is_file()


def test_target_all_writes_what_every_target_generates(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "generated"
    assert run(capsys, "build", pipe, "-o", out)[0] == 0
    pipeline, _ = compile_file(str(pipe))
    ctx = context_for(str(pipe), str(out), None)
    assert files_under(out) == {k: v.encode() for k, v in generate(pipeline, ctx, list(TARGETS)).items()}


def test_second_run_changes_nothing(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "generated"
    assert run(capsys, "build", pipe, "-o", out)[0] == 0
    age(out)
    before = tree(out)
    status, stdout, _ = run(capsys, "build", pipe, "-o", out)
    assert status == 0
    n = len(before) - sum(v == ("dir",) for v in before.values()) - 1  # the manifest is not counted
    assert f"wrote 0 file(s), {n} unchanged, removed 0 stale" in stdout
    assert tree(out) == before


def test_default_source_root_is_the_pipe_files_directory(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "ci" / "generated"
    assert run(capsys, "build", pipe, "-o", out)[0] == 0
    text = (out / "aws" / "my-app" / "buildspec" / "web.yml").read_text()
    assert text.startswith(f"# {GENERATED_MARK}app.pipe ")
    template = (out / "aws" / "my-app.template.yaml").read_text()
    assert "BuildSpec: ci/generated/aws/my-app/buildspec/web.yml" in template


# ----------------------------------------------------------------------------- --check


def test_check_up_to_date_exits_0_and_writes_nothing(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "generated"
    run(capsys, "build", pipe, "-o", out)
    age(out)
    before = tree(out)
    status, stdout, err = run(capsys, "build", pipe, "-o", out, "--check")
    assert status == 0, err
    assert "up to date" in stdout
    assert tree(out) == before


def test_check_lists_missing_differing_and_stale_files_and_writes_nothing(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "generated"
    run(capsys, "build", pipe, "-o", out)
    (out / "aws" / "my-app" / "appspec" / "web-prod.yml").unlink()
    differing = out / "aws" / "my-app" / "buildspec" / "web.yml"
    differing.write_text(differing.read_text() + "# edited by hand\n")
    stale = out / "aws" / "my-app" / "buildspec" / "old-action.yml"
    stale.write_text(f"# {GENERATED_MARK}app.pipe (buildspec for build action old-action). Do not edit.\n")
    # as if an earlier build had generated it: the manifest lists it for this source
    manifest = out / MANIFEST
    data = json.loads(manifest.read_text())
    data["sources"]["../app.pipe"]["aws"]["aws/my-app/buildspec/old-action.yml"] = digest(stale.read_bytes())
    manifest.write_text(json.dumps(data))
    age(out)
    before = tree(out)
    status, stdout, err = run(capsys, "build", pipe, "-o", out, "--check")
    assert status == 1
    lines = set(stdout.splitlines())
    assert f"missing  {out / 'aws/my-app/appspec/web-prod.yml'}" in lines
    assert f"differs  {differing}" in lines
    assert f"differs  {manifest}" not in lines  # pipec's record follows the files: not counted
    assert f"stale    {stale}" in lines
    assert len(lines) == 3
    assert "3 file(s) out of date" in err
    assert tree(out) == before


def test_check_on_a_missing_directory_creates_nothing(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "generated"
    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--check", "--target", "aws")
    assert status == 1
    assert stdout.count("missing  ") == len(expected_aws_layout(compile_file(str(pipe))[0]))  # not the manifest
    assert not out.exists()


# ----------------------------------------------------------------------------- stale files


def test_removed_action_is_stale_and_build_removes_it_but_not_hand_written_files(capsys, tmp_path):
    pipe = repo_with(tmp_path, TWO_BUILDS)
    out = pipe.parent / "generated"
    assert run(capsys, "build", pipe, "-o", out, "--target", "aws")[0] == 0
    old = out / "aws" / "demo" / "buildspec" / "unit.yml"
    assert old.is_file()
    hand = out / "aws" / "demo" / "buildspec" / "custom.yml"
    hand.write_text("# written by a person\nversion: 0.2\nphases: {build: {commands: [make]}}\n")
    notes = out / "aws" / "NOTES.md"
    notes.write_text("Generated by pipec? No: by me.\n")

    pipe.write_text(ONE_BUILD)
    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--check", "--target", "aws")
    assert status == 1
    assert stdout.splitlines() == [f"differs  {out / 'aws/demo.template.yaml'}", f"stale    {old}"]

    status, stdout, _ = run(capsys, "build", pipe, "-o", out, "--target", "aws")
    assert status == 0
    assert "removed 1 stale" in stdout
    assert not old.exists()
    assert hand.read_text().startswith("# written by a person")
    assert notes.exists()
    assert run(capsys, "build", pipe, "-o", out, "--check", "--target", "aws")[0] == 0


def test_building_another_pipeline_into_the_same_directory_keeps_the_first(capsys, tmp_path):
    """Files generated from a different .pipe file are not this pipeline's stale files."""
    # (no action name in common with the reference: buildspec paths do not name the pipeline)
    first = repo_with(tmp_path, TWO_BUILDS.replace("build web", "build compile"), "demo.pipe")
    second = repo_with(tmp_path, REFERENCE, "app.pipe")
    out = first.parent / "generated"
    assert run(capsys, "build", first, "-o", out)[0] == 0
    demo_files = files_under(out)
    status, stdout, _ = run(capsys, "build", second, "-o", out, "--check")
    assert "stale" not in stdout
    assert run(capsys, "build", second, "-o", out)[0] == 0
    after = files_under(out)
    assert {k: after.get(k) for k in demo_files} == demo_files


# ----------------------------------------------------------------------------- errors write nothing


def test_input_with_errors_writes_nothing_and_exits_1(capsys, tmp_path):
    pipe = repo_with(tmp_path, BAD)
    out = pipe.parent / "generated"
    status, stdout, err = run(capsys, "build", pipe, "-o", out)
    assert status == 1
    assert "E203" in err and "nothing written" in err
    assert not out.exists()


def test_one_bad_input_among_several_writes_nothing(capsys, tmp_path):
    good = repo_with(tmp_path, REFERENCE, "app.pipe")
    run(capsys, "build", good, "-o", good.parent / "generated")
    age(good.parent / "generated")
    before = tree(good.parent / "generated")
    good.write_text(good.read_text().replace('"npm run build"', '"npm run build:prod"'))
    bad = repo_with(tmp_path, BAD, "bad.pipe")
    status, _, err = run(capsys, "build", good, bad, "-o", good.parent / "generated")
    assert status == 1
    assert tree(good.parent / "generated") == before


def test_strict_warnings_write_nothing(capsys, tmp_path):
    pipe = repo_with(tmp_path, TWO_BUILDS.replace('build "make"\n', 'build "make"\n      env API_TOKEN = "abc"\n', 1))
    out = pipe.parent / "generated"
    status, _, err = run(capsys, "build", pipe, "-o", out, "--strict")
    assert status == 1
    assert "W503" in err
    assert not out.exists()
    assert run(capsys, "build", pipe, "-o", out)[0] == 0  # warnings alone do not stop a build


def test_output_outside_the_source_root_exits_2(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = tmp_path / "elsewhere"
    status, stdout, err = run(capsys, "build", pipe, "-o", out)
    assert status == 2
    assert err.startswith("pipec: error: the output directory")
    assert "is not inside the source root" in err and "--source-root" in err
    assert not out.exists()
    # naming a source root that contains it is the way out
    assert run(capsys, "build", pipe, "-o", out, "--source-root", tmp_path)[0] == 0


# ----------------------------------------------------------------------------- all or nothing


def _prepared(capsys, tmp_path) -> tuple[Path, Path, dict]:
    """A repository built once from the reference pipeline without its deploy stages, then
    given them back and a changed build command, so that the next build writes new files in a
    new directory (aws/my-app/appspec/) and changes existing ones (the buildspec and the template).
    Returns (pipe, out, tree before) with old mtimes."""
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "generated"
    full = pipe.read_text()
    staging, approval, production = (full.index(f"  stage {s} {{") for s in ("staging", "approval", "production"))
    pipe.write_text(full[:staging] + full[approval:production].rstrip() + "\n}\n")
    assert run(capsys, "build", pipe, "-o", out)[0] == 0
    assert not (out / "aws" / "my-app" / "appspec").exists()
    pipe.write_text(full.replace('"npm run build"', '"npm run build:prod"'))
    age(out)
    return pipe, out, tree(out)


def test_generation_failing_midway_changes_nothing(capsys, tmp_path, monkeypatch):
    import pipec.targets.aws.appspec as appspec

    pipe, out, before = _prepared(capsys, tmp_path)
    real, calls = appspec.render, []

    def render(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("generation failed midway")
        return real(*args, **kwargs)

    monkeypatch.setattr(appspec, "render", render)
    status, _, err = run(capsys, "build", pipe, "-o", out)
    assert status == 3 and "internal error" in err
    assert len(calls) == 2
    assert tree(out) == before


def test_write_failing_midway_changes_nothing_and_is_not_an_internal_error(capsys, tmp_path, monkeypatch):
    import builtins

    import pipec.transaction

    pipe, out, before = _prepared(capsys, tmp_path)
    opened = []

    def failing_open(file, mode="r", *args, **kwargs):
        if "w" in mode:
            opened.append(file)
            if len(opened) == 2:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(pipec.transaction, "open", failing_open, raising=False)
    status, _, err = run(capsys, "build", pipe, "-o", out)
    assert len(opened) == 2
    assert tree(out) == before
    # a full disk is a problem with the output directory (exit 2), not a bug in pipec (exit 3)
    assert status == 2, err
    assert "No space left on device" in err and "bug in pipec" not in err


def test_destination_that_is_a_directory_changes_nothing(capsys, tmp_path):
    pipe, out, _ = _prepared(capsys, tmp_path)
    # the buildspec is missing (so it is written first) and a directory stands where the
    # template must go: nothing may be renamed into place, and no temporary file may remain
    (out / "aws" / "my-app" / "buildspec" / "web.yml").unlink()
    (out / "aws" / "my-app.template.yaml").unlink()
    (out / "aws" / "my-app.template.yaml" / "x").mkdir(parents=True)
    (out / "aws" / "my-app.template.yaml" / "x" / "keep").write_text("keep\n")
    age(out)
    before = tree(out)
    status, _, err = run(capsys, "build", pipe, "-o", out)
    assert tree(out) == before
    assert status == 2, err
    assert "my-app.template.yaml" in err and "bug in pipec" not in err


def test_fresh_directory_with_a_blocked_path_is_left_empty(capsys, tmp_path):
    pipe = repo_with(tmp_path, REFERENCE)
    out = pipe.parent / "generated"
    (out / "aws" / "my-app.template.yaml").mkdir(parents=True)
    before = tree(out)
    status, _, err = run(capsys, "build", pipe, "-o", out)
    assert status == 2, err
    assert tree(out) == before  # no new directories, no temporary files


# ----------------------------------------------------------------------------- determinism and headers

#: Examples whose action names collide (unit, image) cannot share one output directory.
GROUPS = [[p for p in EXAMPLES if p.stem not in ("06-parallel-tests", "08-hybrid-github-ci-aws-cd")],
          [ROOT / "examples" / "06-parallel-tests.pipe", ROOT / "examples" / "08-hybrid-github-ci-aws-cd.pipe"],
          [p for p in example_pipes() if p.parent != EXAMPLES_DIR]]  # folder examples (templates)


def _subprocess_build(out: Path, seed: str):
    env = dict(os.environ, PYTHONHASHSEED=seed)
    for i, group in enumerate(GROUPS):
        dest = out / f"group{i}"
        dest.mkdir(parents=True)
        proc = subprocess.run([sys.executable, "-m", "pipec", "build", *map(str, group), "-o", str(dest),
                               "--source-root", str(dest)], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr


def test_output_is_identical_across_runs_and_hash_seeds(tmp_path):
    _subprocess_build(tmp_path / "a", "0")
    _subprocess_build(tmp_path / "b", "12345")
    a, b = files_under(tmp_path / "a"), files_under(tmp_path / "b")
    assert len(a) > 12 * 2
    assert a == b
    # and the same as the in-process golden files (same source root relation, same names)
    for stem in STEMS:
        group = next(f"group{i}" for i, g in enumerate(GROUPS) if any(example_stem(p) == stem for p in g))
        for rel, text in golden_files(stem).items():
            assert a[f"{group}/{rel}"] == text.encode(), (stem, rel)


def test_generation_is_deterministic_in_process():
    for stem in STEMS:
        assert golden_files(stem) == golden_files(stem)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_file_starts_with_the_header_naming_its_source(capsys, tmp_path, example):
    repo = tmp_path / "repo"
    (repo / "pipelines").mkdir(parents=True)
    pipe = repo / "pipelines" / example.name
    shutil.copyfile(example, pipe)
    out = repo / "generated"
    assert run(capsys, "build", pipe, "-o", out, "--source-root", repo)[0] == 0
    files = files_under(out)
    assert files
    for rel, data in files.items():
        first = data.decode("utf-8").split("\n", 1)[0]
        if rel == ".github/pipec/phases.sh":  # one file for every pipeline of the repository
            assert first.startswith("# Generated by pipec: "), rel
        elif rel.endswith((".yml", ".yaml")):
            assert first.startswith(f"# {GENERATED_MARK}pipelines/{example.name} ("), rel
        else:
            assert f"{GENERATED_MARK}pipelines/{example.name} " in first, rel


@pytest.mark.parametrize("builds,target", [(170, "aws"), (210, "github")])
def test_cloudformation_quotas_are_a_diagnostic(builds, target):
    """A pipeline whose template CloudFormation would refuse (500 resources, 200 outputs) is E412 with
    a hint, never an internal error (troposphere stops at the quota with a ValueError)."""
    from pipec.build import EmitContext, generate
    from pipec.diagnostics import Diagnostics

    uses_aws = ' secret TOKEN from ssm "/t"' if target == "github" else ""
    stages = []
    for s in range(-(-builds // 50)):
        acts = "\n".join(f"      build b{s}-{i} {{\n       {uses_aws}\n        build \"make {i}\"\n      }}"
                         for i in range(min(50, builds - 50 * s)))
        stages.append(f"  stage s{s} {{\n    parallel {{\n{acts}\n    }}\n  }}")
    text = 'pipeline big {\n  source app github "o/r"\n' + "\n".join(stages) + "\n}\n"
    pipeline, _ = pipec.compile_text(text, "big.pipe")
    with pytest.raises(Diagnostics) as exc:
        generate(pipeline, EmitContext(source="big.pipe", prefix=""), [target])
    (d,) = exc.value.diagnostics
    assert d.code == "E412" and f"of the {target} target" in d.message and "Split the pipeline" in d.help
    assert d.file == "big.pipe"
    # it points at the words 'pipeline big' (a caret under them, as every diagnostic has)
    assert (d.span.line, d.span.column, d.span.end_line, d.span.end_column) == (1, 1, 1, 12)
    assert text[d.span.start_pos:d.span.end_pos] == "pipeline big"


_ONE_PROCESS = """pipeline {name} {{
  source app github "acme/{name}" {{
    on push branches main
  }}
  stage build {{
    build web {{
      install "cd sub"
      build "{command}"
    }}
  }}
}}
"""


def test_two_pipelines_share_the_phase_rules_file(capsys, tmp_path):
    """.github/pipec/phases.sh is the same for every pipeline: pipelines built one at a time into
    one folder both write it, and it goes only when no pipeline needs it any more."""
    for name in ("one", "two"):
        (tmp_path / f"{name}.pipe").write_text(_ONE_PROCESS.format(name=name, command="make"), encoding="utf-8")
    out = tmp_path / "out"
    rules = out / ".github" / "pipec" / "phases.sh"
    for name in ("one", "two"):
        assert run(capsys, "build", tmp_path / f"{name}.pipe", "-o", out, "--source-root", tmp_path)[0] == 0
    assert rules.is_file()
    # 'one' no longer needs one process (nothing carries from install to build): the file stays for 'two'
    (tmp_path / "one.pipe").write_text(_ONE_PROCESS.format(name="one", command="make").replace(
        'install "cd sub"', 'install "true"'), encoding="utf-8")
    assert run(capsys, "build", tmp_path / "one.pipe", "-o", out, "--source-root", tmp_path)[0] == 0
    assert rules.is_file()
    (tmp_path / "two.pipe").write_text(_ONE_PROCESS.format(name="two", command="make").replace(
        'install "cd sub"', 'install "true"'), encoding="utf-8")
    assert run(capsys, "build", tmp_path / "two.pipe", "-o", out, "--source-root", tmp_path)[0] == 0
    assert not rules.exists()
