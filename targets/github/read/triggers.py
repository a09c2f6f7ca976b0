"""``on:`` read back: push, pull_request, schedule and workflow_dispatch as plan triggers, dispatch
inputs and env defaults as pipeline variables, and GitHub filter patterns as the pipec patterns
with the same meaning (the inverse of :mod:`pipec.targets.github.patterns`).
"""

from __future__ import annotations


from pipec import cron, plan
from pipec.targets.github.read.common import _fail, _plain, _Where


PR_EVENTS = {"opened": "opened", "synchronize": "updated", "closed": "closed"}


#: pipec pattern characters that have no literal spelling in pipec
_PIPEC_SPECIAL = set("*?[]{}")


def pipec_pattern(where, gh: str) -> str:
    """One GitHub filter pattern (without its ``!``) as the pipec pattern with the same meaning:
    the inverse of :func:`pipec.targets.github.patterns.translate_pattern` for what it writes."""
    from pipec import patterns as pipec_patterns

    out: list[str] = []
    i = 0
    while i < len(gh):
        c = gh[i]
        if c == "\\":
            if i + 1 == len(gh):
                _fail(where, f"pattern {gh!r} ends with a '\\' that escapes nothing")
            lit = gh[i + 1]
            if lit in _PIPEC_SPECIAL:
                _fail(where, f"pattern {gh!r} matches a literal {lit!r}, which pipec patterns cannot spell")
            out.append(lit)
            i += 2
        elif c in "?+":
            _fail(where, f"pattern {gh!r} uses GitHub's {c!r} (repeat the preceding character), "
                         "which pipec patterns do not have")
        elif c in "{}":
            _fail(where, f"pattern {gh!r} matches a literal {c!r}, which pipec patterns cannot spell")
        elif c == "[":
            close = gh.find("]", i + 1)
            if close == -1:
                _fail(where, f"pattern {gh!r} has a '[' without ']'")
            out.append(gh[i:close + 1])
            i = close + 1
        elif gh.startswith("*/**/", i) and i > 0 and gh[i - 1] not in "/*":
            out.append("**/")  # the emitter's spelling of pipec's 'a**/b'
            i += 5
        else:
            out.append(c)
            i += 1
    text = "".join(out)
    problem = pipec_patterns.check_pattern(text)
    if problem:
        _fail(where, f"pattern {gh!r} reads as pipec pattern {text!r}, which is not valid: {problem}")
    return text


def read_filter(where, patterns, ignore: bool = False) -> plan.Filter:
    """A GitHub ``branches``/``tags``/``paths`` list (or an ``-ignore`` list) as a plan filter."""
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not patterns:
        _fail(where, f"a filter must be a non-empty list of patterns, not {patterns!r}")
    includes, excludes = [], []
    for p in patterns:
        if not isinstance(p, str) or not p:
            _fail(where, f"filter pattern {p!r} is not a pattern")
        if ignore:
            if p.startswith("!"):
                _fail(where, f"an -ignore list cannot hold '!' patterns ({p!r})")
            excludes.append(pipec_pattern(where, p))
        elif p.startswith("!"):
            excludes.append(pipec_pattern(where, p[1:]))
        else:
            if excludes:
                _fail(where, f"pattern {p!r} comes after a '!' pattern: on GitHub it includes again what was "
                             "excluded, and pipec's excludes always win")
            includes.append(pipec_pattern(where, p))
    if not ignore and not includes:
        _fail(where, "a filter with '!' patterns needs a pattern without '!'")
    return plan.Filter.of(includes, excludes)


class Triggers:
    """The workflow's triggers and variables."""

    def triggers(self, on) -> frozenset:
        where = _Where(self.where.file + ": on")
        if on is None:
            _fail(where, "the workflow has no 'on'")
        if isinstance(on, str):
            on = {on: None}
        elif isinstance(on, list):
            on = {e: None for e in on}
        if not isinstance(on, dict):
            _fail(where, f"'on' must be an event, a list or a mapping, not {on!r}")
        out: list[plan.Trigger] = []
        for event, body in on.items():
            at = _Where(f"{self.where.file}: on.{event}")
            if event not in ("push", "pull_request", "workflow_dispatch", "schedule"):
                _fail(at, f"event '{event}' has no pipec trigger")
            if event == "schedule":
                out.extend(self.schedule(at, body))
                continue
            if body is not None and not isinstance(body, dict):
                _fail(at, f"the event's settings must be a mapping, not {body!r}")
            body = body or {}
            if event == "push":
                out.extend(self.push(at, body))
            elif event == "pull_request":
                out.append(self.pull_request(at, body))
            elif event == "workflow_dispatch":
                out.append(plan.Trigger("manual", self.need_source(at, "the workflow can be started by hand")))
                self.dispatch_inputs(at, body)
        return plan.normal_triggers(out)

    @staticmethod
    def schedule(where, body) -> list[plan.Trigger]:
        """``on.schedule``: a list of ``{cron: '...'}`` (UTC: a ``timezone`` cannot be read)."""
        if not isinstance(body, list) or not body:
            _fail(where, f"'schedule' must be a list of {{cron: ...}} entries, not {body!r}")
        out = []
        for i, entry in enumerate(body):
            at = _Where(f"{where}[{i}]")
            if not isinstance(entry, dict) or set(entry) != {"cron"} or not isinstance(entry["cron"], str):
                _fail(at, f"a schedule entry is {{cron: '...'}} (in UTC), not {entry!r}")
            try:
                out.append(plan.Trigger("schedule", "", cron=cron.canonical(entry["cron"])))
            except cron.CronError as exc:
                _fail(at, f"cron {entry['cron']!r}: {exc.message}")
        return out

    @staticmethod
    def _pair(where, body: dict, name: str):
        if name in body and f"{name}-ignore" in body:
            _fail(where, f"'{name}' and '{name}-ignore' cannot both be given")
        if name in body:
            return read_filter(_Where(f"{where}.{name}"), body[name])
        if f"{name}-ignore" in body:
            return read_filter(_Where(f"{where}.{name}-ignore"), body[f"{name}-ignore"], ignore=True)
        return None

    def push(self, where, body: dict) -> list[plan.Trigger]:
        for key in body:
            if key not in ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"):
                _fail(where, f"unknown push filter '{key}'")
        source = self.need_source(where, "the workflow starts on pushes")
        branches = self._pair(where, body, "branches")
        tags = self._pair(where, body, "tags")
        paths = self._pair(where, body, "paths")
        if branches is None and tags is None:  # neither: every branch and every tag
            branches = tags = plan.Filter.of(("**",))
        out = []
        if branches is not None:
            out.append(plan.Trigger("push", source, branches=branches, paths=paths))
        if tags is not None:  # GitHub does not evaluate path filters for tag pushes
            out.append(plan.Trigger("tag", source, tags=tags))
        return out

    def pull_request(self, where, body: dict) -> plan.Trigger:
        for key in body:
            if key not in ("types", "branches", "branches-ignore", "paths", "paths-ignore"):
                _fail(where, f"unknown pull_request filter '{key}'")
        source = self.need_source(where, "the workflow starts on pull requests")
        types = body.get("types")
        if types is None:
            _fail(where, "a pull_request without 'types' also runs for 'reopened', which pipec has no event for")
        if isinstance(types, str):
            types = [types]
        if not isinstance(types, list) or not types:
            _fail(where, f"'types' must be a list of event types, not {types!r}")
        events = set()
        for t in types:
            if t not in PR_EVENTS:
                _fail(where, f"pull request event type {t!r} has no pipec event (pipec has: "
                             f"{', '.join(PR_EVENTS)})")
            events.add(PR_EVENTS[t])
        branches = self._pair(where, body, "branches") or plan.Filter.of(("**",))
        return plan.Trigger("pull_request", source, branches=branches, paths=self._pair(where, body, "paths"),
                            events=tuple(sorted(events)))

    def dispatch_inputs(self, where, body: dict):
        for key in body:
            if key != "inputs":
                _fail(where, f"unknown workflow_dispatch setting '{key}'")
        inputs = body.get("inputs") or {}
        if not isinstance(inputs, dict):
            _fail(where, "'inputs' must be a mapping")
        for name, spec in inputs.items():
            at = _Where(f"{where}.inputs.{name}")
            if not isinstance(spec, dict):
                _fail(at, "an input is a mapping")
            if spec.get("type", "string") != "string":
                _fail(at, f"input type {spec.get('type')!r}: pipec variables are strings")
            if "default" not in spec:
                _fail(at, "an input without a default: every pipec variable has one")
            self.variable(at, str(name), _plain(at, spec["default"], "the default"))

    def variable(self, where, name: str, default: str):
        if self.variables.get(name, default) != default:
            _fail(where, f"variable {name} has default {default!r} here and {self.variables[name]!r} elsewhere")
        self.variables[name] = default
