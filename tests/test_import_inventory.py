"""Issue 25 item 2, "nothing silent": every job, step, command, trigger condition, permission,
variable, artifact (with its name) and environment of an imported file is in the ``.pipe`` or in
a finding (pipec.targets.import_inventory).

In CI this runs on small inputs written here, one per kind and feature (the corpus is not part of
the repository). With ``PIPEC_CORPUS=DIR`` (the shared corpus), it also runs on every workflow,
buildspec, appspec and template of the corpus: ``PIPEC_CORPUS=../shared/corpus pytest
tests/test_import_inventory.py``.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import attrs
import pytest

from pipec import importer
from pipec.targets.import_inventory import account, shares

WORKFLOW = """\
name: release
on:
  push:
    branches: [main, 'release/**']
    tags: ['v[0-9]+.[0-9]+']
    paths: ['src/**', '!src/docs/**', 'src/docs/api/**']
  pull_request:
    types: [opened, synchronize, reopened]
  schedule:
    - cron: '0 3 * * 1'
  workflow_dispatch:
    inputs:
      level:
        required: true
        default: info
permissions:
  contents: read
  packages: write
env:
  APP: web
jobs:
  build:
    name: Build it
    runs-on: ubuntu-latest
    env:
      MODE: prod
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: true
      - uses: actions/setup-python@v5
        with:
          python-version: 3.10
      - run: |
          # install
          pip install -r requirements.txt
          make build MODE=$MODE
      - run: echo "sha=${{ github.sha }}" >> $GITHUB_OUTPUT
      - if: github.event_name == 'push'
        run: make publish
      - uses: actions/upload-artifact@v4
        with:
          name: site-files
          path: dist/**
      - uses: codecov/codecov-action@v4
  deploy:
    needs: build
    runs-on: windows-latest
    permissions:
      id-token: write
      contents: write
    environment:
      name: production
      url: https://example.com
    steps:
      - run: Get-ChildItem
        shell: pwsh
      - run: ./deploy.sh ${{ inputs.level }}
"""

BUILDSPEC = """\
version: 0.2
env:
  variables:
    NODE_ENV: production
  parameter-store:
    TOKEN: /app/token
  exported-variables:
    - IMAGE_TAG
phases:
  install:
    runtime-versions:
      nodejs: 20
    commands:
      - npm ci
  build:
    commands:
      - npm run build
      - |
        if [ -n "$X" ]; then
          echo yes
        fi
    finally:
      - echo done
artifacts:
  files: ['**/*']
  base-directory: dist
  secondary-artifacts:
    docs:
      name: documentation
      files: ['site/**/*']
"""

APPSPEC = """\
version: 0.0
os: linux
files:
  - source: /
    destination: /var/www/html
hooks:
  BeforeInstall:
    - location: scripts/install.sh
      timeout: 300
  ApplicationStart:
    - location: scripts/start.sh
"""

TEMPLATE = """\
Parameters:
  Group:
    Type: String
Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::123456789012:role/cp
      ArtifactStore: {Type: S3, Location: my-artifacts}
      Variables:
        - Name: STAGE
          DefaultValue: prod
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: "1"}
              Configuration: {RepositoryName: app, BranchName: main}
              OutputArtifacts: [{Name: Src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration: {ProjectName: other-stack}
              InputArtifacts: [{Name: Src}]
              OutputArtifacts: [{Name: Built}]
        - Name: Deploy
          Actions:
            - Name: Deploy
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CodeDeploy, Version: "1"}
              Configuration: {ApplicationName: app, DeploymentGroupName: !Ref Group}
              InputArtifacts: [{Name: Renamed}]
"""

SMALL = {"release.yml": WORKFLOW, "buildspec.yml": BUILDSPEC, "appspec.yml": APPSPEC, "pipeline.yaml": TEMPLATE}


def lost(path: str, text: str, **kw) -> tuple[importer.Result, list]:
    r = importer.import_one(path, text, **kw)
    assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), (path, [d.message for d in r.diagnostics])
    items = account(r, importer.load(text, path))
    return r, items


@pytest.mark.parametrize("name", sorted(SMALL))
def test_nothing_is_lost_silently(name):
    r, items = lost(name, textwrap.dedent(SMALL[name]))
    missing = [(i.category, i.text, i.line) for i in items if i.status == "lost"]
    assert not missing, missing
    assert {i.category for i in items} >= {"command", "step"} or name == "pipeline.yaml"


def test_every_category_is_listed_for_a_workflow():
    _r, items = lost("release.yml", WORKFLOW)
    cats = {i.category for i in items}
    assert cats == {"job", "step", "command", "trigger", "permission", "variable", "artifact", "environment"}
    by_text = {(i.category, i.text): i.status for i in items}
    assert by_text[("permission", "packages: write")] == "reported"
    assert by_text[("permission", "contents: read")] == "ignored"
    assert by_text[("artifact", "site-files")] == "mapped"
    assert by_text[("environment", "production")] == "mapped"
    assert by_text[("command", "make build MODE=$MODE")] == "mapped"


def test_a_secondary_artifact_name_is_accounted_for():
    _r, items = lost("buildspec.yml", BUILDSPEC)
    named = [i for i in items if i.category == "artifact" and "documentation" in i.text]
    assert named and named[0].status == "reported"


def test_the_inventory_catches_a_command_dropped_without_a_finding():
    """The test can fail: an import that loses a command silently is caught."""
    r, _ = lost("buildspec.yml", BUILDSPEC)
    broken = attrs.evolve(r, source=r.source.replace('"npm run build"', '"true"'))
    items = account(broken, importer.load(BUILDSPEC, "buildspec.yml"))
    assert [i.text for i in items if i.status == "lost"] == ["npm run build"]


def test_shares_count_mapped_items_per_category():
    _r, items = lost("release.yml", WORKFLOW)
    s = shares(items)
    assert s["command"][1] >= 5 and 0 < s["command"][0] <= s["command"][1]
    assert s["permission"] == (0, 2)  # packages: write and contents: write are findings, not mapped


def _corpus_files(root: Path):
    sep = "__"
    for sub in ("gha", "buildspec", "appspec", "cfn-pipeline"):
        for p in sorted((root / sub).glob("*")):
            if p.suffix not in (".yml", ".yaml", ".json"):
                continue
            comps = {}
            if sub == "cfn-pipeline":
                repo = sep.join(p.name.split(sep)[:2])
                for s2 in ("buildspec", "appspec"):
                    for c in sorted((root / s2).glob("*")):
                        if sep.join(c.name.split(sep)[:2]) == repo:
                            try:
                                comps["/".join(c.name.split(sep)[2:])] = importer.read_input(str(c))
                            except importer.InputError:
                                pass
            yield p, comps


if os.environ.get("PIPEC_CORPUS"):  # the shared corpus is outside the repository: run on request

    def test_nothing_is_lost_silently_in_the_corpus():
        root = Path(os.environ["PIPEC_CORPUS"])
        assert (root / "gha").is_dir(), f"PIPEC_CORPUS={root} holds no gha/ folder"
        missing = []
        for p, comps in _corpus_files(root):
            text = p.read_text(encoding="utf-8")
            r = importer.import_one(str(p), text, companions=comps or None)
            assert r.status in (importer.SUCCESSFUL, importer.PARTIAL), (p.name, r.status)
            for i in account(r, importer.load(text, str(p))):
                if i.status == "lost":
                    missing.append((p.name, i.category, i.text, i.line))
        assert not missing, missing[:20]


def _roundtrip():
    import sys

    bench = str(Path(__file__).resolve().parent.parent / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import roundtrip

    return roundtrip


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_round_trip_over_everything_finds_no_loss(name):
    """Issue 25 item 6: each item the original says is in the rebuilt file, a documented
    normalisation, or a finding."""
    text = textwrap.dedent(SMALL[name])
    r = importer.import_one(name, text)
    out = _roundtrip().everything(r, name, text)
    assert out["counts"]["loss"] == 0, out["losses"]
    assert out["counts"]["equal"] > 0


def test_the_round_trip_over_everything_counts_a_loss():
    """The round trip can fail: a command missing from the rebuilt file with no finding is a loss."""
    r = importer.import_one("buildspec.yml", BUILDSPEC)
    broken = attrs.evolve(r, source=r.source.replace('"npm run build"', '"true"'))
    out = _roundtrip().everything(broken, "buildspec.yml", BUILDSPEC)
    assert out["counts"]["loss"] == 1 and out["losses"] == ["command: npm run build"]


# ----------------------------------------------------------------------------- silent losses fixed


def _statuses(path: str, text: str) -> dict[tuple[str, str], str]:
    r = importer.import_one(path, textwrap.dedent(text))
    return {(i.category, i.text): i.status for i in account(r, importer.load(textwrap.dedent(text), path))}


def test_a_job_id_starting_with_a_digit_is_found_under_the_importers_name():
    """The importer names job '2d-game' 'job-2d-game' (a .pipe name starts with a letter)."""
    s = _statuses("w.yml", """\
        on: push
        jobs:
          2d-game:
            runs-on: ubuntu-latest
            steps:
              - run: make game
        """)
    assert s[("job", "2d-game")] == "mapped"


def test_a_continuation_line_of_expressions_only_is_found_as_its_variable():
    s = _statuses("w.yml", """\
        on:
          workflow_dispatch:
            inputs:
              target: {default: all}
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  make \\
                    ${{ inputs.target }}
        """)
    assert s[("command", "${{ inputs.target }}")] == "mapped"


def test_an_empty_schedule_and_an_unknown_permission_level_are_accounted_for():
    s = _statuses("w.yml", """\
        on:
          push:
          schedule: []
        permissions:
          pages: execute
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: make
        """)
    assert s[("trigger", "schedule")] == "ignored"
    assert s[("permission", "pages: execute")] == "reported"


def test_an_artifact_name_is_read_trimmed_as_the_action_reads_it():
    """'name: >' folds to 'coverage-helm\\n'; upload-artifact trims its inputs."""
    text = """\
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: make coverage
              - uses: actions/upload-artifact@v4
                with:
                  name: >
                    coverage-helm
                  path: files/coverage.xml
          report:
            needs: build
            runs-on: ubuntu-latest
            steps:
              - uses: actions/download-artifact@v4
                with:
                  name: >
                    coverage-helm
                  path: reports
              - run: ls reports
        """
    s = _statuses("w.yml", text)
    assert s[("artifact", "coverage-helm")] == "mapped"
    source = importer.import_one("w.yml", textwrap.dedent(text)).source
    assert "\\n" not in source.split("artifact coverage", 1)[1].split("\n", 1)[0]
    assert "coverage-helm\\n" not in source


def test_an_artifact_named_by_a_matrix_value_is_found_in_each_cell():
    """A matrix job that uploads is expanded (E315 keeps it from being a matrix block), and each
    cell's artifact carries the cell's value: 'test-results-${{ matrix.setup }}' is found as
    'test_results_linux', not lost (netty's and parcel's workflows in the real-world corpus)."""
    text = """\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                setup: [linux, musl]
            steps:
              - uses: actions/checkout@v4
              - run: make test SETUP=${{ matrix.setup }}
              - uses: actions/upload-artifact@v4
                with:
                  name: test-results-${{ matrix.setup }}
                  path: target/reports
        """
    s = _statuses("w.yml", text)
    assert s[("artifact", "test-results-${{ matrix.setup }}")] == "mapped"


def test_a_schedule_written_with_non_breaking_spaces_is_a_finding_not_a_silent_change():
    """Real-world dataset: a cron whose fields are separated by U+00A0 was written with plain
    spaces and no finding (the one item lost silently in 1,503 workflows)."""
    text = "on:\n  schedule:\n    - cron: '0\u00a00\u00a0*\u00a0*\u00a01'\njobs:\n  b:\n    runs-on: ubuntu-latest\n" \
           "    steps:\n      - uses: actions/checkout@v4\n      - run: make\n"
    r = importer.import_one("w.yml", text)
    assert 'on schedule "0 0 * * 1"' in r.source
    assert any("U+00A0" in u.message and u.line == 3 for u in r.unconverted)
    s = {(i.category, i.text): i.status for i in account(r, importer.load(text, "w.yml"))}
    assert s[("trigger", "schedule 0\u00a00\u00a0*\u00a0*\u00a01")] == "reported"
