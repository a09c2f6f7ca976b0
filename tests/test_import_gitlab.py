"""``pipec import`` of GitLab CI files (targets/gitlab/imports).

Each folder under tests/gitlab-import/ holds a small ``.gitlab-ci.yml`` written for one construct
family (and, for ``composition``, the file it includes); its import is compared with its golden
``.pipe`` under tests/golden-import/ and built for both targets. After an intended change to the
importer, regenerate and review::

    PIPEC_REGEN=1 .venv/bin/python -m pytest tests/test_import_gitlab.py
    git diff tests/golden-import
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pipec
from pipec import importer
from pipec.build import EmitContext, generate
from pipec.targets.gitlab.imports.rules import Unmapped, change_pattern, regex_patterns

ROOT = Path(__file__).resolve().parent.parent
INPUTS = Path(__file__).resolve().parent / "gitlab-import"
GOLDEN = Path(__file__).resolve().parent / "golden-import"
REGEN = os.environ.get("PIPEC_REGEN") == "1"

#: folder -> (status, constructs that must be reported, constructs that must not)
CASES = {
    "basics": (importer.PARTIAL, {"gitlab: after_script"}, {"gitlab: predefined variable"}),
    "rules": (importer.PARTIAL, {"gitlab: job condition", "gitlab: changes", "gitlab: schedule",
                                 "gitlab: rule condition", "gitlab: ref pattern approximated"}, set()),
    "ordering": (importer.PARTIAL, {"gitlab: artifact expiry", "gitlab: needs"}, {"gitlab: parallel matrix"}),
    "composition": (importer.PARTIAL, {"gitlab: include elsewhere", "gitlab: retry"},
                    {"gitlab: extends", "gitlab: !reference", "gitlab: include missing"}),
    "approvals": (importer.PARTIAL, {"gitlab: manual job", "gitlab: retry", "gitlab: allow_failure",
                                     "gitlab: environment setting"}, set()),
}


def imported(name: str, repository: str | None = "acme/app") -> importer.Result:
    cwd = os.getcwd()
    os.chdir(ROOT)  # the output names the files as the repository does
    try:
        return importer.import_files([f"tests/gitlab-import/{name}/.gitlab-ci.yml"], repository=repository)
    finally:
        os.chdir(cwd)


def build_both(text: str):
    pipeline, _warnings = pipec.compile_text(text, "imported.pipe")
    return generate(pipeline, EmitContext(source="imported.pipe", prefix=""), ["aws", "github"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_matches_golden_and_builds(name):
    result = imported(name)
    status, present, absent = CASES[name]
    assert result.kind == "gitlab-ci"
    assert result.status == status, result.diagnostics
    found = {u.construct for u in result.unconverted}
    assert present <= found, present - found
    assert not absent & found, absent & found
    golden = GOLDEN / f"gitlab-{name}.pipe"
    if REGEN:
        golden.write_text(result.source, encoding="utf-8")
    assert result.source == golden.read_text(encoding="utf-8"), f"{name} differs from its golden copy"
    files = build_both(result.source)
    assert any(f.endswith(".template.yaml") for f in files)
    assert any(f.startswith(".github/workflows/") for f in files)


def test_every_finding_points_into_the_input():
    for name in CASES:
        result = imported(name)
        for u in result.unconverted:
            assert u.line, (name, u)
            lines = Path(ROOT / (u.file if Path(u.file).is_absolute() else u.file)).read_text().splitlines()
            assert 1 <= u.line <= len(lines), (name, u)


def test_scripts_variables_and_secrets():
    src = imported("basics").source
    # before_script then script, in one phase; after_script as finally
    assert src.index('run "npm ci"') < src.index('run "npm run build"') < src.index('finally "echo')
    # a value that refers to a variable is exported (the shell expands it, as GitLab does)
    assert 'run "export BUNDLE=\\"app-$CI_COMMIT_SHORT_SHA.tar.gz\\""' in src
    assert 'CI_COMMIT_SHORT_SHA=\\"${CODEBUILD_RESOLVED_SOURCE_VERSION:0:8}\\"' in src
    assert 'variable LEVEL = info description "Log level of the build"' in src
    assert "secret BUNDLE" not in src and "timeout 90m" in src
    appr = imported("approvals")
    assert 'secret DEPLOY_TOKEN from ssm "/app/DEPLOY_TOKEN"' in appr.source
    assert any(t.kind == "secret" and "DEPLOY_TOKEN" in t.text for t in appr.tasks)


def test_triggers_from_workflow_rules():
    src = imported("rules").source
    assert "on push branches main\n" in src
    assert 'on push tags "v[0-9]*.[0-9]*.[0-9]*"' in src
    assert "on pull_request opened updated\n" in src


def test_manual_job_with_environment_is_an_approval():
    src = imported("approvals").source
    assert src.index("approve production-approval") < src.index("build production {")
    assert 'url "https://example.com"' in src
    assert "environment production" in src


def test_matrix_needs_and_artifacts():
    src = imported("ordering").source
    for name in ("shards-1", "shards-2", "shards-3", "matrix"):
        assert f"build {name} {{" in src
    # issue 26: parallel:matrix is one action with a matrix block (its instances are its cells)
    assert "axis OS debian alpine" in src and "axis ARCH amd64" in src and "fail_fast off" in src
    assert 'artifact binaries files "bin/**/*" "lib/libapp.so"' in src
    assert src.count("from app binaries") == 6
    # smoke needs shards (same stage): it comes after them
    assert src.index("build smoke") > src.index("build shards-3")


def test_detects_gitlab_ci_by_content():
    assert importer.detect({"build": {"script": ["make"]}}) == "gitlab-ci"
    assert importer.detect({"stages": ["a"], ".t": {}}) == "gitlab-ci"
    assert importer.detect({"include": "ci.yml"}) == "gitlab-ci"
    assert importer.detect({"jobs": {"b": {"steps": []}}, "on": "push"}) == "workflow"
    assert importer.detect({"a": 1}) is None


def test_audit_finds_gitlab_ci_files(tmp_path):
    (tmp_path / ".gitlab-ci.yml").write_text("build:\n  script: make\n", encoding="utf-8")
    a = importer.audit(tmp_path)
    assert [r.kind for r in a.results] == ["gitlab-ci"]
    assert a.results[0].status == importer.SUCCESSFUL
    assert "| gitlab-ci | 1 |" in importer.audit_markdown(a)


def test_duplicate_key_keeps_the_last_with_a_finding(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("build:\n  script: make a\n  script: make b\n", encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.PARTIAL
    assert 'build "make b"' in r.source
    dup = [u for u in r.unconverted if u.construct == "gitlab: duplicate key"]
    assert dup and dup[0].line == 3


def test_unknown_job_key_is_a_finding_with_its_position(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("build:\n  script: make\n  scirpt: make x\n", encoding="utf-8")
    r = importer.import_one(str(f))
    u = [u for u in r.unconverted if u.construct == "gitlab: unknown key"]
    assert u and (u[0].line, u[0].column) == (3, 3)
    assert any(d.code == "W600" and d.span.line == 3 for d in r.diagnostics)


def test_jobs_only_in_unreadable_includes_build_with_a_placeholder(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("include:\n  - local: /ci/missing.yml\n  - template: Auto-DevOps.gitlab-ci.yml\n", encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.PARTIAL
    assert {"gitlab: include missing", "gitlab: include elsewhere", "gitlab: jobs in includes"} <= {
        u.construct for u in r.unconverted}
    assert "exit 1" in r.source
    build_both(r.source)


def test_templates_only_is_not_a_pipeline(tmp_path):
    f = tmp_path / "templates.yml"
    f.write_text(".base:\n  script: make\n  extends: .other\n", encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.UNSUPPORTED
    assert any("templates only" in u.message for u in r.unconverted)


def test_control_characters_are_findings_not_broken_output(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text('build:\n  script:\n    - "echo \\e[31mred"\n    - make\n', encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.PARTIAL, r.diagnostics
    assert "gitlab: control character" in {u.construct for u in r.unconverted}


def test_reference_loop_and_extends_loop_do_not_hang(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text(".a:\n  extends: .b\n.b:\n  extends: .a\nbuild:\n  extends: .a\n  script:\n"
                 "    - !reference [.c, script]\n    - make\n", encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.PARTIAL
    assert {"gitlab: extends", "gitlab: !reference"} <= {u.construct for u in r.unconverted}


@pytest.mark.parametrize("rx, patterns, exact", [
    ("/^main$/", ["main"], True),
    ("/^release\\/.*$/", ["release/**"], True),
    ("/^(main|develop)$/", ["{main,develop}"], True),
    ("/feature/", ["**feature**"], True),
    ("/^v\\d+\\.\\d+$/", ["v[0-9]*.[0-9]*"], False),
    ("/^hotfix-.$/", ["hotfix-?"], False),
])
def test_regular_expressions_as_patterns(rx, patterns, exact):
    assert regex_patterns(rx) == (patterns, exact)


@pytest.mark.parametrize("rx", ["/^(?!main)/", "/^[^a]$/", "/main/i", "/a{/"])
def test_regular_expressions_pipec_cannot_say(rx):
    with pytest.raises(Unmapped):
        regex_patterns(rx)


@pytest.mark.parametrize("path, pattern", [
    ("src/**/*", "src/**/*"),        # **/ is zero or more folders under FNM_PATHNAME
    ("docs/**", "docs/*"),           # a ** not followed by / is a *
    ("./Dockerfile", "Dockerfile"),
    ("docs/", "docs/**"),
    ("*.{md,txt}", "*.{md,txt}"),    # FNM_EXTGLOB
])
def test_changes_paths_as_patterns(path, pattern):
    assert change_pattern(path) == pattern


def test_cli_imports_a_gitlab_file(tmp_path, capsys):
    from pipec.cli import main

    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("build:\n  script: make\n", encoding="utf-8")
    out = tmp_path / "app.pipe"
    assert main(["import", str(f), "-o", str(out)]) == 0
    assert "build \"make\"" in out.read_text(encoding="utf-8") or 'build "make"' in out.read_text(encoding="utf-8")


def test_docs_show_the_example_verbatim():
    import re

    doc = (ROOT / "docs" / "migration.md").read_text(encoding="utf-8")
    assert (GOLDEN / "gitlab-approvals.pipe").read_text(encoding="utf-8") in re.findall(r"```pipe\n(.*?)```", doc, re.S)
    assert (INPUTS / "approvals" / ".gitlab-ci.yml").read_text(encoding="utf-8") in re.findall(
        r"```yaml\n(.*?)```", doc, re.S)


def test_docker_in_docker_service_makes_the_build_privileged(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("image:\n  name: docker:24\nservices: [docker:24-dind]\nbuild:\n  script: docker build .\n",
                 encoding="utf-8")
    r = importer.import_one(str(f))
    assert "    privileged\n" in r.source
    assert "gitlab: services" in {u.construct for u in r.unconverted}
    build_both(r.source)


def test_repository_names_the_pipeline_and_its_parameters():
    src = imported("approvals", repository="acme/shop").source
    assert src.splitlines()[6].startswith("pipeline shop {") or "pipeline shop {" in src
    assert '"/shop/DEPLOY_TOKEN"' in src


def test_many_patterns_are_joined_and_mixed_rules_widened_with_a_finding(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("build:\n  script: make\n  rules:\n"
                 "    - if: $CI_PIPELINE_SOURCE == 'merge_request_event'\n"
                 "      changes: [a/*, b/*, c/*, d/*, e/*, f/*, g/*, h/*, i/*, j/*]\n"
                 "    - if: $CI_COMMIT_BRANCH =~ /^(main|dev)$/\n"
                 "    - if: $CI_COMMIT_BRANCH == 'release'\n      changes: [src/**/*]\n", encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.PARTIAL, [d.message for d in r.diagnostics]
    assert 'paths "{a/*,b/*}" "{c/*,d/*}" "{e/*,f/*}" "{g/*,h/*}" "{i/*,j/*}"' in r.source
    assert "gitlab: conditions joined" in {u.construct for u in r.unconverted}
    build_both(r.source)


def test_settings_variables_github_names_and_aws_keys(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("build:\n  script:\n    - echo $AWS_ACCESS_KEY_ID $GITHUB_TOKEN ${OPTIONAL:-x} $HOME $lower\n"
                 "    - export MINE=1 && echo $MINE\n", encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.PARTIAL, [d.message for d in r.diagnostics]
    assert 'secret GITHUB_TOKEN from github GL_GITHUB_TOKEN' in r.source
    for name in ("AWS_ACCESS_KEY_ID", "OPTIONAL", "HOME", "lower", "MINE"):
        assert f"secret {name} " not in r.source
    assert "gitlab: AWS keys" in {u.construct for u in r.unconverted}
    build_both(r.source)


@pytest.mark.parametrize("name", sorted(CASES))
def test_nothing_is_lost_silently(name):
    """Each job, command, variable, artifact path and environment of the input is in the output or
    named by a finding (the jobs as GitLab composes them: includes, extends, defaults)."""
    from pipec.importer import q
    from pipec.targets.gitlab.imports.pipeline import _Pipeline

    result = imported(name)
    covering = {"gitlab: script", "gitlab: script not bash", "gitlab: control character", "gitlab: job when",
                "gitlab: job never runs", "gitlab: job with nothing to run", "gitlab: trigger"}
    src = result.source
    said = " ".join(u.message for u in result.unconverted if u.construct in covering)
    path = str(INPUTS / name / ".gitlab-ci.yml")
    text = Path(path).read_text(encoding="utf-8")
    composed = _Pipeline(importer.Context(path, text, importer.load(text, path), "gitlab-ci"))
    composed.compose()
    for key, job in composed.job_items():
        assert f" {importer.name(key)} {{" in src or f" {importer.name(key)}-" in src, key
        for part in ("before_script", "script", "after_script"):
            for item in composed.script_items(job, part):
                assert q(item) in src or f"'{key}'" in said, (key, item)
        for var in (job.get("variables") or {}):
            assert f"env {var} =" in src or f"export {var}=" in src or f"variable {var} " in src, (key, var)
        art = job.get("artifacts") or {}
        for p in art.get("paths") or []:
            assert p.rstrip("/") in src or p in said, (key, p)
        env = job.get("environment")
        if env:
            assert f"environment {env.get('name') if isinstance(env, dict) else env}" in src, key


def test_header_inputs_take_their_defaults(tmp_path):
    f = tmp_path / ".gitlab-ci.yml"
    f.write_text("spec:\n  inputs:\n    stage:\n      default: build\n    target:\n      type: string\n---\n"
                 "stages: [build]\ndefault:\n  colour: red\nbuild:\n  stage: $[[ inputs.stage ]]\n"
                 "  script: make $[[ inputs.target ]]\n", encoding="utf-8")
    r = importer.import_one(str(f))
    assert r.status == importer.PARTIAL, [d.message for d in r.diagnostics]
    assert "stage build {" in r.source
    assert {"gitlab: spec", "gitlab: unknown key"} <= {u.construct for u in r.unconverted}
    assert "gitlab: stage" not in {u.construct for u in r.unconverted}


def test_numbers_keep_the_text_written(tmp_path):
    """`PY: 3.10` is the text 3.10, not the float 3.1, and `010` stays `010`: the loader's numbers
    keep their text through the scalar reading the GitLab and workflow importers share."""
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text("stages: [test]\ntest:\n  stage: test\n  variables:\n    PY: 3.10\n    N: 010\n"
                    "  script:\n    - echo $PY $N\n", encoding="utf-8")
    result = importer.import_one(str(path), repository="acme/app")
    assert "env PY = 3.10" in result.source and "env N = 010" in result.source, result.source


def test_a_script_bash_cannot_read_makes_the_job_a_placeholder(tmp_path):
    """A Windows runner's PowerShell script (`$x = @( ... )`) is not bash: the job keeps its place
    with one failing command and a finding, and the pipeline checks and builds (it was E699)."""
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text("stages: [build]\nlinux:\n  stage: build\n  script: [make]\nwindows:\n  stage: build\n"
                    "  tags: [windows]\n  script:\n    - '$ARGS = @(\"--build-arg\", \"X=1\")'\n"
                    "    - docker build $ARGS .\n", encoding="utf-8")
    result = importer.import_one(str(path), repository="acme/app")
    assert result.status == importer.PARTIAL, [d.message for d in result.diagnostics]
    found = [u for u in result.unconverted if u.construct == "gitlab: script not bash"]
    assert len(found) == 1 and found[0].line == 8, result.unconverted
    assert "docker build" not in result.source and '"make"' in result.source
    assert "job windows was not converted" in result.source
    build_both(result.source)
