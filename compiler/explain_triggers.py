"""Patterns, schedules, triggers and sources in words.

:func:`pattern_text` says what a glob matches, :func:`cron_text` when a schedule runs,
:func:`trigger_text` what starts a run, :func:`source_where` where a source's files come from.
Used by the neutral voice (:mod:`pipec.explain_neutral`) and by both platform voices.
"""

from __future__ import annotations

from pipec import model
from pipec.explain_text import DAY_NAMES, PLATFORM_NAMES, PROVIDERS, join_words, quoted


def _literal(s: str) -> bool:
    return not any(c in s for c in "*?[]{},")


def pattern_text(p: str, kind: str) -> str:
    """One pipec pattern in words; ``kind`` is branch, tag or path. Falls back to quoting the
    pattern whenever a shape is not one of the simple ones below."""
    noun = {"branch": "any branch", "tag": "any tag", "path": "files"}[kind]
    if p == "**":
        return {"branch": "any branch", "tag": "any tag", "path": "any file"}[kind]
    if "{" in p:
        from pipec.patterns import expand

        alts = expand(p)
        if len(alts) <= 4 and all("{" not in a for a in alts):
            return join_words([pattern_text(a, kind) for a in alts], "or")
        return f"{noun} matching {quoted(p)}"
    if _literal(p):
        return {"branch": p, "tag": f"the tag {p}", "path": f"the file {p}"}[kind]
    if p.endswith("/**") and _literal(p[:-3]):
        return f"{noun} under {p[:-2]}"
    if kind == "path" and p.startswith("**/") and "/" not in p[3:]:
        rest = p[3:]
        if rest.startswith("*.") and _literal(rest[1:]):
            return f"files ending in {rest[1:]} in any directory"
        return f"files matching {quoted(rest)} in any directory"
    if p.endswith("*") and not p.endswith("**") and _literal(p[:-1]):
        prefix = p[:-1]
        if prefix.endswith("/"):
            return {"branch": f"any branch directly under {prefix}", "tag": f"any tag directly under {prefix}",
                    "path": f"files directly in {prefix}"}[kind]
        if kind == "path" and "/" not in prefix:
            return f"top-level files whose names start with {quoted(prefix)}"
        return f"{noun} whose name starts with {quoted(prefix)} (with no further '/')"
    if kind == "path" and "/" not in p and "**" not in p:
        if p.startswith("*.") and _literal(p[1:]):
            return f"top-level files ending in {p[1:]}"
        return f"top-level files matching {quoted(p)}"
    return f"{noun} matching {quoted(p)}"


def _filter(f: model.Filter, kind: str) -> str:
    includes = f.includes or ("**",)
    words = join_words([pattern_text(p, kind) for p in includes], "or")
    if f.excludes:
        words += ", except " + join_words([pattern_text(p, kind) for p in f.excludes], "and")
    return words


def cron_text(text: str) -> str:
    """A schedule in words for common shapes; otherwise the cron expression quoted."""
    from pipec.cron import parse

    fallback = f"at the times of the cron expression {quoted(text)} (cron, UTC)"
    try:
        sched = parse(text)
    except Exception:
        return fallback
    minute, hour, dom, month, dow = text.split()
    if month != "*" or not minute.isdigit():
        return fallback
    m = int(minute)
    hours = sorted(sched.hours)
    if hour == "*":
        when = f"every hour at {m} minutes past the hour, UTC" if m else "every hour on the hour, UTC"
    elif all(h.isdigit() for h in hour.split(",")) and len(hours) <= 4:
        when = "at " + join_words([f"{h:02d}:{m:02d}" for h in hours]) + " UTC"
    elif len(hours) >= 3 and hours == list(range(hours[0], hours[-1] + 1)):
        when = f"every hour from {hours[0]:02d}:{m:02d} to {hours[-1]:02d}:{m:02d} UTC"
    else:
        return fallback
    if dom == "*" and dow == "*":
        days = "every day"
    elif dom == "*":
        wd = sorted(sched.weekdays)
        if len(wd) >= 3 and wd == list(range(wd[0], wd[-1] + 1)):
            days = f"{DAY_NAMES[wd[0]]} to {DAY_NAMES[wd[-1]]}"
        else:
            days = "on " + join_words([DAY_NAMES[d] + "s" for d in wd])
    elif dow == "*":
        ds = sorted(sched.days)
        if len(ds) > 4:
            return fallback
        days = "on day " + join_words([str(d) for d in ds]) + " of each month"
    else:
        return fallback
    return f"{when}, {days}"


def via_text(platform: str | None) -> str:
    return f" ({PLATFORM_NAMES[platform]} only)" if platform else ""


def trigger_text(src: model.Source, t) -> str:
    if isinstance(t, model.PushTrigger):
        if src.provider == "s3":
            return f"a new upload of the object {src.object_key} in the bucket {src.bucket}"
        if t.tags is not None:
            return f"a push of {_filter(t.tags, 'tag')}"
        text = f"a push to {_filter(t.branches, 'branch')}"
        if t.paths is not None:
            text += f" that changes {_filter(t.paths, 'path')}"
        return text
    if isinstance(t, model.PullRequestTrigger):
        events = {"opened": "opened", "updated": "updated with new commits", "closed": "closed"}
        text = (f"a pull request into {_filter(t.branches, 'branch')} being "
                f"{join_words([events[e] for e in t.events], 'or')}")
        if t.paths is not None:
            text += f", when it changes {_filter(t.paths, 'path')}"
        return text
    if isinstance(t, model.ManualTrigger):
        return "a start by hand"
    return f"a schedule, {cron_text(t.cron)}"


def is_default_trigger(src: model.Source, t) -> bool:
    return isinstance(t, model.PushTrigger) and (t.span is None or t.span == src.span)


def source_where(src: model.Source) -> str:
    if src.provider == "s3":
        return f"the object {src.object_key} in the S3 bucket {src.bucket}"
    kind = PROVIDERS[src.provider]
    what = "repository" if src.provider != "codecommit" else "repository"
    clone = " (a Git clone with its history)" if src.full_clone else ""
    return f"the {kind} {what} {src.repository}, branch {src.branch}{clone}"
