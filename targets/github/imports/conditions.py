"""``if:`` of jobs and steps: when each runs, decided with the values known when importing
(the matrix combination, the runner's OS, env, the workflow's one event, its repository) and
GitHub's status functions; :mod:`.expressions` evaluates. Used by :mod:`.jobs` and :mod:`.steps`.
"""

from __future__ import annotations


import re

from pipec.targets.github.imports.common import PLACEHOLDER_REPO, _Action, _scalar
from pipec.targets.github.imports.expressions import UNKNOWN, _Expr, _truthy


def _strip_expr(text: str) -> str:
    """An ``if:`` condition without its optional ``${{ }}``."""
    t = text.strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", t, re.S)
    return m.group(1).strip() if m and "${{" not in m.group(1) else t


class Conditions:
    """When a job or a step runs."""

    def when(self, where, a: _Action | None, job_level: bool = False):
        """When the step or job ``where`` runs: 'normal' (after the steps before it succeeded), 'always'
        (after failures too), 'never', 'failure' (only after a failure), or None (GitHub decides)."""
        cond = where.get("if")
        if cond is None:
            return "normal"
        text = _scalar(cond) if not isinstance(cond, (dict, list)) else None
        if text is None:
            return None
        text = _strip_expr(text)
        if not text:
            return "normal"

        def lookup(path):
            head = path[0].lower() if isinstance(path[0], str) else ""
            if head == "matrix" and not job_level:
                value = self.combo or {}
                for part in path[1:]:
                    if not isinstance(value, dict):
                        return None
                    value = value.get(part) if isinstance(part, str) else None
                return value
            if head == "runner" and len(path) == 2 and path[1] == "os" and not job_level:
                return {"linux": "Linux", "windows": "Windows", "macos": "macOS"}.get(self.os, UNKNOWN)
            if head == "env" and len(path) == 2 and a is not None and not job_level:
                name = path[1]
                if name in a.env:
                    return a.env[name]
                if name in a.secrets or self.sets_env:
                    return UNKNOWN
                return None
            if head == "github" and len(path) == 2:
                if path[1] == "event_name" and len(self.events) == 1:
                    return self.events[0]  # a workflow with one event: every run is that event
                if path[1] == "repository" and self.repo != PLACEHOLDER_REPO:
                    return self.repo
                if path[1] == "repository_owner" and self.owner:
                    return self.owner
            return UNKNOWN

        has_status = re.search(r"\b(success|failure|always|cancelled)\s*\(", text, re.I) is not None
        try:
            ok = _truthy(_Expr(text, lookup, {"success": True, "failure": False, "always": True,
                                              "cancelled": False}).run())
            bad = _truthy(_Expr(text, lookup, {"success": False, "failure": True, "always": True,
                                               "cancelled": False}).run()) if has_status else False
        except (ValueError, IndexError, TypeError, RecursionError):
            return None
        if ok is UNKNOWN or bad is UNKNOWN:
            return None
        return {(True, False): "normal", (True, True): "always", (False, False): "never",
                (False, True): "failure"}[(ok, bad)]
