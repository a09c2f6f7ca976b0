"""The workflow's ``on:`` and repository as the pipeline's source: ``push``, ``pull_request``,
``schedule`` and ``workflow_dispatch`` (with its inputs as pipeline variables) become ``on`` lines
of ``source app``; the repository comes from ``--repository`` or the workflow's own fork guard.
Next: :mod:`.env` (env and secrets), then :mod:`.jobs`.
"""

from __future__ import annotations


import re

from pipec.importer import Doc, YDict, q, v
from pipec.targets.github.imports.common import PLACEHOLDER_REPO, SOURCE, _SHELL_NAME, _scalar


MAX_PATTERNS = 8
_LITERAL_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./\-]*")
#: a condition naming the workflow's own repository, or its owner (fork guards)
_GUARD_REPO = re.compile(r"github\.repository\s*==\s*'(?P<repo>[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)'"
                         r"|'(?P<repo2>[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)'\s*==\s*github\.repository\b")
_GUARD_OWNER = re.compile(r"github\.repository_owner\s*==\s*'(?P<owner>[A-Za-z0-9_.\-]+)'")


class Triggers:
    """Source and triggers; sets ``repo``, ``owner``, ``branch``, ``events``, ``variables`` and
    ``other_triggers`` on the workflow, which later families read."""


    def source(self, p: Doc) -> Doc:
        ctx = self.ctx
        repo = ctx.repository
        if not (isinstance(repo, str) and re.fullmatch(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+", repo)):
            repo = None
        self.owner = repo.split("/")[0] if repo else None
        if repo is None:
            # A guard such as `if: github.repository == 'acme/app'` (it keeps forks from running a job)
            # names the workflow's own repository: use it, so that the guard holds here as it does there.
            named = _GUARD_REPO.search(ctx.text or "")
            owner = _GUARD_OWNER.search(ctx.text or "")
            if named:
                repo = named.group("repo") or named.group("repo2")
                self.owner = repo.split("/")[0]
                line = (ctx.text or "").count("\n", 0, named.start()) + 1
                p.comment(f"The repository is the one the workflow's own condition names (line {line}).")
                ctx.task("repository", f"check the repository {repo}, taken from the workflow's condition "
                                       f"github.repository == '{repo}' (or give --repository OWNER/REPO)")
            elif owner:
                self.owner = owner.group("owner")
        if repo is None:
            p.comment("Placeholder: the repository this workflow belongs to.")
            ctx.task("repository", f"replace the placeholder {PLACEHOLDER_REPO} with the repository the workflow "
                                   "came from (or give --repository OWNER/REPO)")
        self.repo = repo or PLACEHOLDER_REPO
        src = p.block(f"source {SOURCE} github {q(self.repo)}")
        self.triggers(src)
        return src

    def finish_source(self, src: Doc):
        if self.clone_full:
            src.items.insert(1 if src.items and src.items[0][0] == "stmt" else 0, ("stmt", "clone full"))

    def triggers(self, src: Doc):
        ctx, data = self.ctx, self.data
        on = data["on"]
        if isinstance(on, str):
            events = [(on, None, data, "on")]
        elif isinstance(on, list):
            events = [(e, None, on, i) for i, e in enumerate(on)]
        else:
            events = [(k, b, on, k) for k, b in on.items()]
        self.branch = "main"
        self.events = [str(e) for e, _b, _w, _k in events]
        lines: list[str] = []
        kinds: dict[str, bool] = {}
        ordered: list = []   # each event's findings, then its trigger lines: comments sit by their line
        for event, body, where, key in events:
            event = str(event)
            ev = Doc("")
            first = len(lines)
            if event == "push":
                ok = self.push(ev, body, where, key, lines)
            elif event == "pull_request":
                ok = self.pull_request(ev, body, where, key, lines)
            elif event == "workflow_dispatch":
                ok = self.dispatch(ev, body, where, key, lines)
            elif event == "schedule":
                ok = self.schedule(ev, body, where, key, lines)
            elif event == "workflow_call":
                # a reusable workflow: its caller starts it; here it starts by hand, with its inputs as
                # pipeline variables (degrade, never fail: issue 25)
                ctx.skip(ev, "workflow: workflow_call trigger", "the workflow is reusable (workflow_call): "
                         "another workflow started it; the pipeline starts by hand, its inputs become variables",
                         where, key)
                ok = self.dispatch(ev, body, where, key, lines, event="workflow_call")
            else:
                ctx.skip(ev, f"workflow: {event} trigger", f"the '{event}' event has no pipec trigger",
                         where, key)
                ok = False
            ordered += ev.items + [("stmt", line) for line in lines[first:]]
            kinds[event] = kinds.get(event, False) or ok
            if event not in ("workflow_dispatch", "workflow_call") and ok:
                self.other_triggers = True
        src.items.append(("stmt", f"branch {v(self.branch)}"))
        src.items.extend(ordered)
        if not lines:
            src.comment("No event of the workflow maps to a pipec trigger: the pipeline starts only by hand.")
            src.stmt("on manual")
        self.ctx.mapping["triggers"] = kinds

    def patterns(self, src, body, name, lines_kind):
        """(includes, excludes) of filter ``name`` or ``name-ignore`` in ``body``: None when absent,
        False when it cannot be mapped (finding recorded)."""
        from pipec.targets.github.read import pipec_pattern

        ctx = self.ctx
        if name in body and f"{name}-ignore" in body:
            ctx.error(f"'{name}' and '{name}-ignore' cannot both be given for one event", body, name)
            return False
        key = name if name in body else f"{name}-ignore" if f"{name}-ignore" in body else None
        if key is None:
            return None
        ignore = key.endswith("-ignore")
        raw = body[key]
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            ctx.skip(src, "workflow: filter", f"'{key}' must be a non-empty list of patterns", body, key)
            return False
        includes, excludes = [], []
        for item in raw:
            text = _scalar(item) if not isinstance(item, (float, bool)) else None
            if not text:
                ctx.skip(src, "workflow: filter", f"'{key}' holds {item!r}, which is not a pattern "
                         "(write it as a quoted string)", body, key)
                return False
            if name == "branches" and "$default-branch" in text:
                text = text.replace("$default-branch", "main")
                ctx.task("repository", "check that 'main' is the repository's default branch (the workflow, "
                                       "a starter template, says $default-branch)")
            negative = text.startswith("!")
            if negative and ignore:
                ctx.skip(src, "workflow: filter", f"'{key}' holds {text!r}: an -ignore list cannot hold '!' "
                         "patterns", body, key)
                return False
            if not negative and excludes and not ignore:
                # the trigger is kept (issue 25): the pattern is an include, and the finding says
                # that the names it re-included stay excluded here
                ctx.skip(src, "workflow: filter re-includes", f"in '{key}', {text!r} comes after a '!' pattern: "
                         "on GitHub it includes again what was excluded; pipec's excludes always win, so changes "
                         "to those names no longer start the pipeline", body, key)
            body_text = text[1:] if negative else text
            try:
                pat = pipec_pattern(f"on.{lines_kind}.{key}", body_text)
            except ValueError as exc:
                widened = body_text.replace("+", "*") if "+" in body_text and not negative else None
                try:
                    pat = pipec_pattern(f"on.{lines_kind}.{key}", widened) if widened else None
                except ValueError:
                    pat = None
                if pat is None:
                    ctx.skip(src, "workflow: filter pattern", str(exc).split(": ", 1)[-1], body, key)
                    return False
                # GitHub's `X+` (one or more X) is widened to `X*` (X, then anything): the trigger
                # is kept and starts on every name it started on, and on some more
                ctx.skip(src, "workflow: filter pattern", f"{text!r} uses GitHub's '+' (repeat the preceding "
                         f"character), which pipec patterns do not have: widened to {widened!r}, which also "
                         "matches other names", body, key)
            (excludes if negative or ignore else includes).append(pat)
        if not includes and not ignore:
            ctx.skip(src, "workflow: filter", f"'{key}' has only '!' patterns, which GitHub rejects", body, key)
            return False
        if len(includes) > MAX_PATTERNS or len(excludes) > MAX_PATTERNS:
            if len(includes) <= MAX_PATTERNS and name != "branches":
                # only the exclusions are too many: the trigger is kept without them (it starts on
                # more changes than on GitHub, never on fewer), with the finding (issue 25)
                ctx.skip(src, "workflow: too many patterns", f"'{key}' has more than {MAX_PATTERNS} exclude "
                         f"patterns, more than a CodePipeline filter holds (E304): the trigger is kept without "
                         "them, so it also starts on changes GitHub ignored", body, key)
                return (includes, []) if includes else None
            ctx.skip(src, "workflow: too many patterns", f"'{key}' has more than {MAX_PATTERNS} include or "
                     f"exclude patterns, more than a CodePipeline filter holds (E304)", body, key)
            return False
        if ignore:
            includes = []
        return includes, excludes

    @staticmethod
    def _words(word, filt) -> str:
        if not filt:
            return ""
        inc, exc = filt
        return " ".join([word] + [v(x) for x in inc] + ["!" + q(x) for x in exc])

    def push(self, src, body, where, key, lines) -> bool:
        ctx = self.ctx
        if body is None:
            body = YDict()
            body.pos, body.kpos, body.vpos = None, {}, {}
        if not isinstance(body, dict):
            ctx.skip(src, "workflow: push trigger", "the push event's settings are not a mapping", where, key)
            return False
        for k in body:
            if k not in ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"):
                ctx.skip(src, "workflow: push filter", f"push filter '{k}' is not a GitHub filter", body, k)
        branches = self.patterns(src, body, "branches", "push")
        tags = self.patterns(src, body, "tags", "push")
        paths = self.patterns(src, body, "paths", "push")
        if branches is False or tags is False or paths is False:
            return False
        if branches is None and tags is None:
            branches = tags = (["**"], [])
        if branches is not None:
            inc, exc = branches
            if not inc:
                branches = (["**"], exc)
            lines.append(" ".join(x for x in ("on push", self._words("branches", branches),
                                             self._words("paths", self._paths(paths))) if x))
            if len(branches[0]) == 1 and not branches[1] and _LITERAL_BRANCH.fullmatch(branches[0][0]) \
                    and not set(branches[0][0]) & set("*?[]{}"):
                self.branch = branches[0][0]
        if tags is not None:
            inc, exc = tags
            lines.append(" ".join(["on push", self._words("tags", (inc or ["**"], exc))]))
        return True

    @staticmethod
    def _paths(paths):
        if paths is None:
            return None
        inc, exc = paths
        return (inc or ["**"], exc)

    def pull_request(self, src, body, where, key, lines) -> bool:
        ctx = self.ctx
        if body is None:
            body = YDict()
            body.pos, body.kpos, body.vpos = None, {}, {}
        if not isinstance(body, dict):
            ctx.skip(src, "workflow: pull_request trigger", "the pull_request event's settings are not a mapping",
                     where, key)
            return False
        for k in body:
            if k not in ("types", "branches", "branches-ignore", "paths", "paths-ignore"):
                ctx.skip(src, "workflow: pull_request filter", f"pull_request filter '{k}' is not a GitHub filter",
                         body, k)
        types = body.get("types")
        at, at_key = (body, "types") if "types" in body else (where, key)
        if types is None:
            types = ["opened", "synchronize", "reopened"]
        elif isinstance(types, str):
            types = [types]
        if not isinstance(types, list):
            ctx.skip(src, "workflow: pull_request trigger", "'types' is not a list of event types", body, "types")
            return False
        from pipec.targets.github.read import PR_EVENTS

        events = []
        for t in types:
            if isinstance(t, str) and t in PR_EVENTS:
                if PR_EVENTS[t] not in events:
                    events.append(PR_EVENTS[t])
            else:
                ctx.skip(src, "workflow: pull_request event type", f"pull request activity '{t}' has no pipec "
                         "event (pipec has opened, updated = synchronize, closed)", at, at_key)
        branches = self.patterns(src, body, "branches", "pull_request")
        paths = self.patterns(src, body, "paths", "pull_request")
        if branches is False or paths is False or not events:
            return False
        order = [e for e in ("opened", "updated", "closed") if e in events]
        into = None
        if branches is not None:
            into = (branches[0] or ["**"], branches[1])
        lines.append(" ".join(x for x in ("on pull_request", " ".join(order), self._words("into", into),
                                         self._words("paths", self._paths(paths))) if x))
        ctx.skip(src, "workflow: pull request commit", "GitHub builds a pull request's merge commit (the change "
                 "merged into the target branch); CodePipeline builds the head commit of its source branch",
                 where, key)
        return True

    def schedule(self, src, body, where, key, lines) -> bool:
        """``on.schedule``: a list of ``{cron: ...}``, each an ``on schedule`` line (compiler/cron.py
        checks what both platforms run identically)."""
        from pipec import cron

        ctx = self.ctx
        if not isinstance(body, list):
            ctx.skip(src, "workflow: schedule", "the schedule event's settings are not a list of crons", where, key)
            return False
        seen: set = set()
        for i, entry in enumerate(body):
            if not isinstance(entry, dict) or "cron" not in entry:
                ctx.skip(src, "workflow: schedule", "a schedule entry without 'cron'", body, i)
                continue
            for k in entry:
                if k != "cron":
                    ctx.skip(src, "workflow: schedule", f"schedule setting '{k}' has no .pipe form", entry, k)
            text = _scalar(entry["cron"]) or ""
            try:
                normal = cron.normalize(text)
                canonical, every = cron.canonical(text), cron.interval(text)
            except cron.CronError as exc:
                ctx.skip(src, "workflow: schedule", f"cron {text!r}: {exc.message}", entry, "cron", hint=exc.hint)
                continue
            if every < cron.MIN_INTERVAL:
                ctx.skip(src, "workflow: schedule", f"cron {text!r} asks for a run every {every} minute(s); GitHub "
                         f"runs schedules at most every {cron.MIN_INTERVAL} minutes, and pipec refuses a schedule "
                         "that one platform would run more often than the other", entry, "cron",
                         hint="Write the schedule GitHub actually ran, every 5 minutes or more (for example "
                              "\"*/5 * * * *\"), or add it with 'via aws' to run it that often on CodePipeline only.")
                continue
            if canonical in seen:
                ctx.skip(src, "workflow: schedule", f"cron {text!r} repeats an earlier schedule", entry, "cron")
                continue
            if len(seen) >= cron.MAX_SCHEDULES:
                ctx.skip(src, "workflow: schedule", f"more than {cron.MAX_SCHEDULES} schedules (pipec's limit: "
                         "each is an EventBridge rule)", entry, "cron")
                continue
            seen.add(canonical)
            odd = sorted({f"U+{ord(ch):04X}" for ch in text if ch.isspace() and ch not in " \t"})
            if odd:  # a non-breaking space (a copy from a web page): said, not silently made plain
                ctx.skip(src, "workflow: schedule", f"cron {text!r} separates its fields with {', '.join(odd)} "
                         "(not a plain space), which GitHub's cron reader may not take as a separator: written "
                         "with plain spaces", entry, "cron")
            lines.append(f"on schedule {q(normal)}")
        return bool(seen)

    def dispatch(self, src, body, where, key, lines, event: str = "workflow_dispatch") -> bool:
        ctx = self.ctx
        if "on manual" not in lines:
            lines.append("on manual")
        if body is None:
            return True
        if not isinstance(body, dict):
            ctx.skip(src, "workflow: workflow_dispatch", "the workflow_dispatch settings are not a mapping",
                     where, key)
            return True
        for k in body:
            if event == "workflow_call" and k in ("secrets", "outputs"):
                ctx.skip(src, "workflow: workflow_call setting", f"workflow_call {k} (passed between a caller and "
                         "this reusable workflow) have no .pipe form", body, k)
            elif k != "inputs":
                ctx.skip(src, "workflow: workflow_dispatch" if event == "workflow_dispatch"
                         else "workflow: workflow_call setting", f"{event} setting '{k}' is unknown", body, k)
        inputs = body.get("inputs") or {}
        if not isinstance(inputs, dict):
            ctx.skip(src, "workflow: dispatch input", "'inputs' is not a mapping", body, "inputs")
            return True
        for name, spec in inputs.items():
            name = str(name)
            if not isinstance(spec, dict):
                spec = {}
            if not _SHELL_NAME.fullmatch(name) or len(name) > 128:
                ctx.skip(self.doc, "workflow: dispatch input", f"input '{name}' cannot be a pipeline variable "
                         "reaching commands (letters, digits and '_' only)", inputs, name)
                continue
            kind = spec.get("type", "string")
            if "default" not in spec:
                default = ""
                ctx.skip(self.doc, "workflow: dispatch input without default", f"input '{name}' has no default: "
                         "the variable's default is empty (pipeline variables always have one)", inputs, name)
            else:
                default = _scalar(spec["default"])
                if default is None or "${{" in default:
                    ctx.skip(self.doc, "workflow: dispatch input", f"the default of input '{name}' is not a "
                             "plain value", inputs, name)
                    continue
            if spec.get("required") is True:
                ctx.skip(self.doc, "workflow: required input", f"input '{name}' is required on GitHub; a pipeline "
                         "variable always has a value (its default), so a run started without it is not refused",
                         inputs, name)
            if kind not in ("string", None):
                ctx.skip(self.doc, "workflow: typed dispatch input", f"input '{name}' has type {kind!r}: pipeline "
                         "variables are free text (no choice list, check box or validation)", inputs, name)
            desc = spec.get("description")
            words = ["variable", name, "=", q(default)]
            if isinstance(desc, str) and desc.strip():
                words += ["description", q(desc.strip())]
            self.doc.stmt(*words)
            self.variables[name] = default
        return True
