"""What starts the pipeline: the pipeline's ``Triggers`` (``on push`` and ``on pull_request`` of the
source named by ``SourceActionName``, with CodePipeline's globs rewritten into pipec patterns of the
same meaning, :func:`pattern_from_codepipeline`), change detection turned off (``on manual``) and
EventBridge rules that run it on a schedule (``on schedule``, called from :mod:`.pipeline` when it
sorts the template's other resources).
"""

from __future__ import annotations

import re

from pipec.importer import Doc, q
from pipec.targets.aws.imports.sources import CONNECTION_PROVIDERS

_PR_EVENTS = {"OPEN": "opened", "UPDATED": "updated", "CLOSED": "closed"}
_SET = re.compile(r"\[([^\]]*)\]")
_SET_BODY = re.compile(r"-?(?:[a-z]-[a-z]|[A-Z]-[A-Z]|[0-9]-[0-9]|[A-Za-z0-9_.])*")


def _readable_cron(expr: str, canonical: str) -> str:
    """The EventBridge ``cron(...)`` as the author wrote it, in pipec's five fields (``?`` is ``*``,
    days of the week 1-7 are 0-6, the year ``*`` dropped), when that means exactly ``canonical``;
    otherwise ``canonical`` (every value spelled out)."""
    from pipec import cron

    fields = expr[len("cron("):-1].split()
    if len(fields) != 6 or fields[5] != "*":
        return canonical
    fields = ["*" if f == "?" else f for f in fields[:5]]
    fields[4] = re.sub(r"\d+", lambda m: str(int(m.group()) - 1), fields[4])
    candidate = " ".join(fields)
    try:
        return cron.normalize(candidate) if cron.canonical(candidate) == cron.canonical(canonical) else canonical
    except cron.CronError:
        return canonical


def pattern_from_codepipeline(pattern: str) -> str | None:
    """A pipec pattern that matches exactly what the CodePipeline glob ``pattern`` matches, or
    None when there is none that pipec can write (escapes, negated sets, ``**`` inside groups,
    sets whose ranges pipec reads differently, characters pipec patterns do not hold).

    The one rewrite: CodePipeline's ``**/`` at the start of a segment needs at least one
    directory (Java's ``.*/``), pipec's also matches none; ``*/**/`` is pipec's "one or more"."""
    from pipec import patterns as P

    if not isinstance(pattern, str) or not pattern or "\\" in pattern:
        return None
    if "{" in pattern and "**" in pattern:
        return None
    for m in _SET.finditer(pattern):
        body = m.group(1)
        if body.startswith(("!", "^")) or not _SET_BODY.fullmatch(body):
            return None
        for lo, hi in re.findall(r"(?<!^)([A-Za-z0-9])-([A-Za-z0-9])", body):
            if lo > hi:
                return None
    out = re.sub(r"(?<![^/])\*\*/", "*/**/", pattern)
    if P.check_pattern(out) is not None:
        return None
    return out


class Triggers:
    """The ``on`` lines of the imported sources."""

    def triggers(self, props):
        triggered: set[str] = set()
        for i, t in enumerate(self.items(props.get("Triggers"), self.doc, props, "Triggers")):
            if not isinstance(t, dict):
                continue
            ptype = self.text(t.get("ProviderType"), None, t, "ProviderType", "ProviderType") \
                or "CodeStarSourceConnection"
            git = self.get(t, "GitConfiguration")
            if ptype != "CodeStarSourceConnection" or not isinstance(git, dict):
                self.ctx.skip(self.doc, "template: trigger", f"a trigger of type {ptype}", t, "ProviderType")
                continue
            src_action = self.text(git.get("SourceActionName"), None, git, "SourceActionName", "SourceActionName")
            src = self.source_actions.get(src_action or "")
            if src is None or self.sources[src][0] not in CONNECTION_PROVIDERS.values():
                self.ctx.skip(self.doc, "template: trigger",
                              f"a trigger for source action {src_action!r}, which is not an imported connection "
                              "source", git, "SourceActionName")
                continue
            block = self.sources[src][1]
            lines = []
            for push in self.items(git.get("Push"), block, git, "Push"):
                line = self.push_trigger(block, push) if isinstance(push, dict) else None
                if line:
                    lines.append(line)
            for pr in self.items(git.get("PullRequest"), block, git, "PullRequest"):
                line = self.pr_trigger(block, pr) if isinstance(pr, dict) else None
                if line:
                    lines.append(line)
            for k in git:
                if k not in ("SourceActionName", "Push", "PullRequest"):
                    self.ctx.skip(block, "template: trigger", f"GitConfiguration.{k}", git, k)
            if lines:
                triggered.add(src)
                for line in lines:
                    block.stmt(line)
            else:
                # a trigger declaration without usable filters: nothing starts the pipeline by itself
                block.stmt("on", "manual")
                triggered.add(src)
        for name in self.source_order:
            if name in triggered:
                continue
            block = self.sources[name][1]
            if getattr(block, "detect", True) is False:
                block.comment("Change detection is off in the template: runs start by hand.")
                block.stmt("on", "manual")

    def filter_words(self, block: Doc, crit, word: str) -> list[str] | None:
        """``word`` and its patterns for a CodePipeline filter ``crit``; [] for none; None after a finding."""
        if crit is None:
            return []
        if not isinstance(crit, dict):
            self.ctx.skip(block, "template: trigger filter", f"a {word} filter that is not a mapping", crit)
            return None
        out = []
        for key, neg in (("Includes", ""), ("Excludes", "!")):
            for pat in self.items(crit.get(key), block, crit, key):
                text = self.text(pat, block, crit, key, f"a {word} pattern")
                if text is None:
                    return None
                conv = pattern_from_codepipeline(text)
                if conv is None:
                    self.ctx.skip(block, "template: trigger pattern",
                                  f"the {word} pattern {text!r} has no pipec pattern of the same meaning", crit, key)
                    return None
                if conv != text:
                    block.comment(f"Pattern {text!r} written as {conv!r}: CodePipeline's '**/' needs at least one "
                                  "directory, pipec's does not.")
                out.append(neg + q(conv))
        for k in crit:
            if k not in ("Includes", "Excludes"):
                self.ctx.skip(block, "template: trigger filter", f"filter key {k}", crit, k)
        if not out:
            return []
        if not any(not w.startswith("!") for w in out):
            self.ctx.skip(block, "template: trigger filter without includes",
                          f"a {word} filter with only excludes (CodePipeline needs includes; pipec reads it as "
                          "'everything except')", crit)
        return [word, *out]

    def push_trigger(self, block: Doc, push) -> str | None:
        words = ["on", "push"]
        if push.get("Tags") is not None and (push.get("Branches") is not None or push.get("FilePaths") is not None):
            self.ctx.skip(block, "template: trigger filter", "a push filter on tags with branches or file paths",
                          push)
            return None
        return self.filter_line(block, words, push, {"Branches": "branches", "FilePaths": "paths", "Tags": "tags"},
                                set(), "push")

    def pr_trigger(self, block: Doc, pr) -> str | None:
        words = ["on", "pull_request"]
        events = self.items(pr.get("Events"), block, pr, "Events") if "Events" in pr else list(_PR_EVENTS)
        names = []
        for e in events:
            t = self.text(e, block, pr, "Events", "a pull request event")
            if t not in _PR_EVENTS:
                self.ctx.skip(block, "template: trigger filter", f"pull request event {t!r}", pr, "Events")
                return None
            if _PR_EVENTS[t] not in names:
                names.append(_PR_EVENTS[t])
        words += sorted(names, key=["opened", "updated", "closed"].index)
        return self.filter_line(block, words, pr, {"Branches": "into", "FilePaths": "paths"}, {"Events"},
                                "pull request")

    def filter_line(self, block: Doc, words: list[str], crit, filters: dict, other: set, what: str) -> str | None:
        """``words`` followed by the patterns of each filter of ``crit`` (its key -> the pipec word), as
        one ``on`` line; None after a finding. Keys neither in ``filters`` nor in ``other`` are findings."""
        for key, word in filters.items():
            got = self.filter_words(block, self.get(crit, key, block), word)
            if got is None:
                return None
            words += got
        for k in crit:
            if k not in filters and k not in other:
                self.ctx.skip(block, "template: trigger filter", f"{what} filter key {k}", crit, k)
        return " ".join(words)

    def schedule_rule(self, lid: str, res):
        """An EventBridge rule that starts the pipeline on a schedule: ``on schedule`` in the first
        source's block (a schedule starts the whole pipeline), ``via aws`` when it runs more often
        than GitHub's 5 minutes. ``rate(...)`` counts from the rule's creation, which no cron says."""
        from pipec import cron

        props = res.get("Properties") or {}
        expr = props.get("ScheduleExpression")
        where = (props, "ScheduleExpression") if isinstance(props, dict) and "ScheduleExpression" in props \
            else (self.resources, lid)
        src = next((d for kind, d in self.doc.items if kind == "block" and d.header.startswith("source ")), None)
        if src is None:
            return
        if not isinstance(expr, str) or not expr.startswith("cron("):
            self.ctx.skip(src, "template: scheduled run", f"rule {lid} starts the pipeline with {expr!r}: a rate "
                          "counts from the rule's creation, which no cron expression says", *where)
            return
        if str(props.get("State", "ENABLED")) != "ENABLED":
            self.ctx.skip(src, "template: scheduled run", f"rule {lid} is {props.get('State')}: its schedule "
                          "is not imported", *where)
            return
        try:
            text = cron.from_eventbridge(expr)
            every = cron.interval(text)
            text = _readable_cron(expr, text)
        except (ValueError, cron.CronError) as exc:
            self.ctx.skip(src, "template: scheduled run", f"rule {lid}: {expr} has no pipec cron ({exc})", *where)
            return
        self.schedules = getattr(self, "schedules", 0) + 1
        if self.schedules > cron.MAX_SCHEDULES:
            self.ctx.skip(src, "template: scheduled run", f"rule {lid}: more than {cron.MAX_SCHEDULES} schedules",
                          *where)
            return
        if not any(kind == "stmt" and str(item).startswith("on ") for kind, item in src.items):
            # a source without 'on' lines starts on its changes; with one, only on what is written
            src.stmt("on", "push")
        provider = src.header.split()[2] if len(src.header.split()) > 2 else ""
        # GitHub runs a schedule at most every 5 minutes, and only in the workflow's own repository
        only_aws = every < cron.MIN_INTERVAL or provider != "github"
        src.comment(f"From the EventBridge rule {lid} ({expr}).")
        src.stmt("on", "schedule", q(text), *(["via", "aws"] if only_aws else []))
