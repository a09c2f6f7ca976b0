"""The migration walk-through of docs/migration.md, kept true by tests.

examples/migration/ holds the same web app twice: as a GitHub Actions workflow
(github-actions/.github/workflows/web.yml) and as a CodePipeline template with its buildspec
(codepipeline/). Each is imported and compared with its golden ``.pipe`` under
tests/golden-import/, which docs/migration.md shows verbatim; each import then builds for both
targets. After an intended change to an importer, regenerate and review::

    PIPEC_REGEN=1 .venv/bin/python -m pytest tests/test_migration.py
    git diff tests/golden-import
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import pipec
from pipec import importer
from pipec.build import EmitContext, generate

ROOT = Path(__file__).resolve().parent.parent
MIGRATION = ROOT / "examples" / "migration"
GOLDEN = Path(__file__).resolve().parent / "golden-import"
DOC = ROOT / "docs" / "migration.md"
REGEN = os.environ.get("PIPEC_REGEN") == "1"

CASES = {
    "github-actions-web": ([MIGRATION / "github-actions" / ".github" / "workflows" / "web.yml"], "my-org/web",
                           importer.PARTIAL, ["workflow: pull request commit", "workflow: environment protection"]),
    "codepipeline-web": ([MIGRATION / "codepipeline" / "pipeline.yaml", MIGRATION / "codepipeline" / "buildspec.yml"],
                         None, importer.SUCCESSFUL, []),
}


def imported(name: str) -> importer.Result:
    files, repo, _status, _constructs = CASES[name]
    rel = [str(f.relative_to(ROOT)) for f in files]
    cwd = os.getcwd()
    os.chdir(ROOT)  # the output's header and comments name the files as the docs show them
    try:
        return importer.import_files(rel, repository=repo)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_matches_golden(name):
    result = imported(name)
    _files, _repo, status, constructs = CASES[name]
    assert result.status == status, result.diagnostics
    assert [u.construct for u in result.unconverted] == constructs
    golden = GOLDEN / f"{name}.pipe"
    if REGEN:
        golden.write_text(result.source, encoding="utf-8")
    assert result.source == golden.read_text(encoding="utf-8"), f"{name} differs from its golden copy"


@pytest.mark.parametrize("name", sorted(CASES))
def test_docs_show_the_golden_output(name):
    doc = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```pipe\n(.*?)```", doc, re.S)
    assert (GOLDEN / f"{name}.pipe").read_text(encoding="utf-8") in blocks, (
        f"docs/migration.md must show tests/golden-import/{name}.pipe verbatim in a ```pipe block")


@pytest.mark.parametrize("name", sorted(CASES))
def test_imported_pipeline_builds_for_both_targets(name):
    text = (GOLDEN / f"{name}.pipe").read_text(encoding="utf-8")
    pipeline, _warnings = pipec.compile_text(text, f"{name}.pipe")
    files = generate(pipeline, EmitContext(source=f"{name}.pipe", prefix=""), ["aws", "github"])
    assert any(f.endswith(".template.yaml") for f in files)
    assert any(f.startswith(".github/workflows/") for f in files)


def test_both_directions_reach_the_same_work():
    """The two imports of the one app build, test and publish with the same commands."""
    def commands(name):
        pipeline, _ = pipec.compile_text((GOLDEN / f"{name}.pipe").read_text(encoding="utf-8"), name)
        return [c.text for a in pipeline.actions() for ph in getattr(a, "phases", ()) for c in ph.commands]

    gha, cp = commands("github-actions-web"), commands("codepipeline-web")
    assert gha[:4] == cp == ["npm ci", "npm run lint", "npm test", "npm run build"]


def _constructs_in(module: str) -> set[str]:
    """The construct names an importer can report (its string literals 'KIND: ...'), in the module
    ``targets/PACKAGE/NAME.py`` or in every module of the package ``targets/PACKAGE/NAME/``."""
    path = ROOT / "targets" / module
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    assert files, f"no module at {path}"
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    return set(re.findall(r'f?"((?:workflow|buildspec|appspec|template|gitlab): [^"]+)"', text))


@pytest.mark.parametrize("module", ["github/imports", "aws/spec_imports", "aws/imports", "gitlab/imports"])
def test_every_construct_is_in_the_table(module):
    doc = DOC.read_text(encoding="utf-8")
    table = doc[doc.index("## What does not convert"):doc.index("## Fidelity, measured")]
    missing = sorted(c for c in _constructs_in(module) if f"`{c}`" not in table)
    assert not missing, f"docs/migration.md 'What does not convert' lacks: {missing}"
