"""Helpers shared by the test modules (tests/conftest.py puts this folder on sys.path)."""

from __future__ import annotations

import pipec
from pipec.build import EmitContext, generate
from pipec.diagnostics import ERROR, WARNING, Diagnostics
from pipec.targets import TARGETS


def diagnose(text: str, filename: str, platform_warnings: bool = False) -> list:
    """Every diagnostic pipec gives for ``text``, sorted by position: those of ``pipec check`` and,
    when it passes, those of building every target (E407 comes from the AWS target; E408-E410 and
    with ``platform_warnings``, the platform-difference warnings W507-W514 that the GitHub Actions
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
