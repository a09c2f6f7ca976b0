"""Helpers shared by the test modules (tests/conftest.py puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

import pipec
from pipec.build import EmitContext, generate
from pipec.diagnostics import ERROR, WARNING, Diagnostics
from pipec.targets import TARGETS


#: the examples folder: a curriculum of pipelines (examples/README.md)
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def example_pipes() -> list[Path]:
    """Every example pipeline: ``examples/*.pipe``, and the pipeline files of each folder example
    (``examples/NN-name/*.pipe``, whose ``lib/`` holds library files of templates, not pipelines)."""
    return sorted([*EXAMPLES_DIR.glob("*.pipe"), *EXAMPLES_DIR.glob("[0-9][0-9]-*/*.pipe")])


def example_stem(path: Path) -> str:
    """An example's name for its golden files: ``02-reference``, ``15-shared-template/billing``."""
    return Path(path).relative_to(EXAMPLES_DIR).with_suffix("").as_posix()


def example_text(path: Path) -> str:
    """An example's pipeline as one self-contained file: its text, or for a file that uses
    templates the expanded pipeline written out (pipec.templates: the same outputs, byte for byte),
    for tests that compile a text without its folder."""
    from pipec.formatter import format_module
    from pipec.parser import parse
    from pipec.templates import expand, uses_templates

    text = Path(path).read_text(encoding="utf-8")
    module = parse(text, str(path))
    return format_module(expand(module)) if uses_templates(module) else text


def diagnose(text: str, filename: str, platform_warnings: bool = False) -> list:
    """:func:`_diagnose` with the file's inline ``# pipec: ignore[...]`` comments applied, as the
    commands apply them (W106 for a comment that silences nothing)."""
    from pipec.diagnostics import PLATFORM_DIFFERENCES
    from pipec.ignores import apply

    diags = _diagnose(text, filename, platform_warnings)
    return apply(diags, text, filename, unchecked=frozenset() if platform_warnings else PLATFORM_DIFFERENCES)


def _diagnose(text: str, filename: str, platform_warnings: bool = False) -> list:
    """Every diagnostic pipec gives for ``text``, sorted by position: those of ``pipec check`` and,
    when it passes, those of building every target (E407 comes from the AWS target; E408-E410 and
    with ``platform_warnings``, the platform-difference warnings W508-W515 that the GitHub Actions
    target gives during a build). Only
    :class:`Diagnostics` may escape; errors are raised, never returned, and a raised
    :class:`Diagnostics` always holds an error."""
    try:
        pipeline, diags = pipec.compile_text(text, filename)
    except Diagnostics as exc:
        assert any(d.severity == ERROR for d in exc.diagnostics), "Diagnostics raised without an error in it"
        return list(exc.diagnostics)
    assert all(d.severity == WARNING for d in diags), "errors returned instead of raised"
    ctx = EmitContext(source=filename, prefix="ci")
    try:
        generate(pipeline, ctx, list(TARGETS))
    except Diagnostics as exc:
        return sorted([*diags, *exc.diagnostics], key=lambda d: d.sort_key())
    assert all(d.severity == WARNING for d in ctx.warnings), "a target returned an error as a warning"
    if not platform_warnings:  # the warnings of 'pipec check'; builds add the platform differences
        return list(diags)
    return sorted([*diags, *ctx.warnings], key=lambda d: d.sort_key())


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_statements(resources: dict):
    """(resource id, statement) for every statement of every identity policy among a template's
    ``resources`` (roles' inline policies, AWS::IAM::Policy and ManagedPolicy); trust policies
    are not included."""
    for lid, res in resources.items():
        props = res.get("Properties", {})
        docs = []
        if res["Type"] == "AWS::IAM::Role":
            docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            docs = [props["PolicyDocument"]]
        for doc in docs:
            for st in as_list(doc["Statement"]):
                yield lid, st


def language_pattern_table():
    """Rows of the first table under "### Examples" in language.md's "Patterns", as pytest
    params: pattern, values it matches, values it does not match."""
    import itertools
    import re
    from pathlib import Path

    import pytest

    text = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
    lines = text[text.index("### Examples", text.index("## Patterns")):].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| pattern |"))
    for line in itertools.takewhile(lambda ln: ln.startswith("|"), lines[first:]):
        m = re.fullmatch(r"\| `([^`]+)` \| (.*?) \| (.*?) \|", line.strip())
        if m:
            yield pytest.param(m.group(1), re.findall(r"`([^`]*)`", m.group(2)),
                               re.findall(r"`([^`]*)`", m.group(3)), id=m.group(1))
