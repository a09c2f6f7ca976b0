"""The shared part of the checker: the diagnostics it collects and the checks every construct uses.

:class:`Checker` holds the tree, the list of diagnostics and the helpers that report E203
(given twice), E208 (name too long), whole minutes (E402 and others) and E200 (names unique).
Each construct family is a mixin built on it: :mod:`pipec.semantic_settings`,
:mod:`pipec.semantic_sources`, :mod:`pipec.semantic_stages`, :mod:`pipec.semantic_builds`,
:mod:`pipec.semantic_deploys` and :mod:`pipec.semantic_pipeline`; :mod:`pipec.semantic`
composes them and walks the pipeline.
"""

from __future__ import annotations

from typing import Iterable

from pipec import ast, model
from pipec.diagnostics import ERROR, WARNING, Diagnostic, Span
from pipec.semantic_tables import NAME_MAX


class Checker:
    """What every part of the analysis shares: the tree being checked, the diagnostics collected
    so far, and the small checks that several constructs make (a setting given twice, a name too
    long, a duration in whole minutes, names unique in a list)."""

    def __init__(self, module: ast.Module):
        self.module = module
        self.file = module.filename
        self.diags: list[Diagnostic] = []
        self._invoke_output_spans: dict[str, Span] = {}

    # -- reporting
    def err(self, code, message, span, help="", notes=()):
        self.diags.append(Diagnostic(code, ERROR, message, span, help, tuple(notes), self.file))

    def warn(self, code, message, span, help="", notes=()):
        self.diags.append(Diagnostic(code, WARNING, message, span, help, tuple(notes), self.file))

    def at(self, span: Span | None) -> str:
        return f"line {span.line}" if span else "elsewhere"

    # -- helpers
    def once(self, seen: dict, key: str, node, what: str) -> bool:
        """Record ``key`` as set by ``node``; report E203 and return False if it was already set."""
        if key in seen:
            self.err("E203", f"{what} is given more than once", node.span,
                     f"Keep one '{key}' line; the first is at {self.at(seen[key].span)}.")
            return False
        seen[key] = node
        return True

    def check_name(self, name: str, span, what: str, limit: int = NAME_MAX):
        if len(name) > limit:
            self.err("E208", f"{what} name '{name[:20]}...' is {len(name)} characters long", span,
                     f"CodePipeline allows at most {limit} characters in a {what} name.")

    def minutes(self, d: ast.Duration, what: str, code="E402") -> int | None:
        if d.seconds % 60:
            self.err(code, f"{what} must be a whole number of minutes, not {d}", d.span or None,
                     "Both platforms count this in minutes; write it as, for example, 5m or 1h.")
            return None
        return d.seconds // 60

    def unique(self, names: Iterable[tuple[str, Span]], what: str):
        seen: dict = {}
        for name, span in names:
            if name in seen:
                self.err("E200", f"{what} '{name}' is defined twice", span,
                         f"Names must be unique; the first is at {self.at(seen[name])}.")
            else:
                seen[name] = span


def action_outputs(act) -> tuple[str, ...]:
    """The artifacts a model action produces (a build's artifacts, an invoke's outputs)."""
    if isinstance(act, model.Build):
        return tuple(o.name for o in act.outputs)
    if isinstance(act, model.Invoke):
        return act.outputs
    return ()
