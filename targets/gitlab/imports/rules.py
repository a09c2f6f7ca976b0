"""When a job (or, with ``workflow: rules``, the pipeline) runs: ``rules``, ``only`` and ``except``
as pipec triggers. GitLab decides per job and per pipeline; a ``.pipe`` decides per pipeline (its
``on`` lines), so :mod:`.pipeline` writes the union of what the jobs run on and reports each job
that GitLab runs in fewer cases.

The model: a :class:`When` says, for each kind of pipeline pipec has a trigger for, whether it
runs and with which filters: ``push`` (a push to a branch: branch patterns, excluded ones, changed
paths), ``tag`` (a tag push: tag patterns), ``mr`` (a merge request: target branches, paths),
``schedule`` and ``manual`` (GitLab's "Run pipeline", source ``web``). ``rules`` are read in order,
first match wins (``when: never`` removes what it matches from the later rules, where pipec can say
so); ``only``/``except`` refs are branch or tag names, ``/regex/`` or keywords (``branches``,
``tags``, ``merge_requests``, ``schedules``, ``web``...); ``changes`` become ``paths`` filters.
GitLab's regular expressions become pipec patterns where the translation is exact, or marked
approximate (a finding); anything else is a finding and the rule is left out.
"""

from __future__ import annotations

import copy
import re

from pipec.patterns import check_pattern

KINDS = ("push", "tag", "mr", "schedule", "manual")
#: $CI_PIPELINE_SOURCE values -> the kinds they are
SOURCES = {"push": ("push", "tag"), "merge_request_event": ("mr",), "schedule": ("schedule",), "web": ("manual",)}
#: only/except keywords -> kinds
KEYWORDS = {"branches": ("push", "schedule", "manual"), "tags": ("tag",), "merge_requests": ("mr",),
            "schedules": ("schedule",), "web": ("manual",), "pushes": ("push", "tag")}
OTHER_KEYWORDS = {"api", "triggers", "pipelines", "external", "chat", "external_pull_requests", "trigger",
                  "pipeline", "parent_pipeline", "webide", "ondemand_dast_scan", "security_orchestration_policy",
                  "external_pull_request_event"}


class Unmapped(Exception):
    """A condition pipec cannot express: the message says which."""


class When:
    """The pipelines one job (or the pipeline) runs in; ``kinds[k]`` is None when it does not run
    in pipelines of kind ``k``, else ``{"inc": [patterns] | None (any), "exc": [...], "paths": ...}``."""

    def __init__(self, kinds=KINDS):
        self.kinds = {k: ({"inc": None, "exc": [], "paths": None} if k in kinds else None) for k in KINDS}
        self.approx = False
        self.joined = False      # an alternative of filters was widened to one filter
        self.widened: list[str] = []

    def copy(self) -> "When":
        out = When(())
        out.kinds = copy.deepcopy(self.kinds)
        out.approx = self.approx
        out.joined = self.joined
        return out

    def keep(self, kinds):
        for k in KINDS:
            if k not in kinds:
                self.kinds[k] = None

    def drop(self, kinds):
        for k in kinds:
            self.kinds[k] = None

    def only_refs(self, kind, patterns):
        f = self.kinds.get(kind)
        if f is None:
            return
        if f["inc"] is None:
            f["inc"] = list(patterns)
        else:
            both = [p for p in f["inc"] if p in patterns]
            if not both:
                self.kinds[kind] = None
            else:
                f["inc"] = both

    def exclude_refs(self, kind, patterns):
        f = self.kinds.get(kind)
        if f is not None:
            f["exc"] += [p for p in patterns if p not in f["exc"]]

    def paths(self, patterns):
        for k in ("push", "mr"):
            f = self.kinds[k]
            if f is not None:
                f["paths"] = list(patterns) if f["paths"] is None else [p for p in f["paths"] if p in patterns]

    def _fitted(self, kind):
        f = self.kinds[kind]
        if f is None:
            return None
        out = dict(f)
        for key, wide in (("inc", None), ("exc", []), ("paths", None)):
            if out[key] is not None and len(out[key]) > MAX_PATTERNS:
                joined = _join(out[key])
                if joined is None:
                    out[key] = wide
                    self.widened.append(f"{kind} {key}")
                else:
                    out[key] = joined
        return out

    def narrower(self, wider: "When") -> list[str]:
        """Where this When runs in fewer pipelines than ``wider`` (descriptions; [] when none)."""
        what = {"push": "branch pushes", "tag": "tag pushes", "mr": "merge requests",
                "manual": "pipelines started by hand"}
        out = []
        for k, label in what.items():
            f, g = self.kinds[k], wider.kinds[k]
            if g is None:
                continue
            if f is None:
                out.append(f"not in {label}")
                continue
            covers = ((f["inc"] is None or (g["inc"] is not None and set(g["inc"]) <= set(f["inc"])))
                      and set(f["exc"]) <= set(g["exc"])
                      and (f["paths"] is None or (g["paths"] is not None and set(g["paths"]) <= set(f["paths"]))))
            if not covers:
                line = [x for x in self.lines() if x.startswith(("on push branches" if k == "push" else
                                                                "on push tags" if k == "tag" else "on pull_request"))]
                out.append(f"in {label} only as '{line[0]}'" if line else f"in fewer {label}")
        return out

    def empty(self) -> bool:
        return all(v is None for v in self.kinds.values())

    def lines(self) -> list[str]:
        """The ``on`` lines, in a fixed order; a filter with more patterns than CodePipeline takes
        is joined into ``{a,b}`` groups, or else widened (``self.widened`` says which)."""
        from pipec.importer import v

        self.widened: list[str] = []
        out = []
        f = self._fitted("push")
        if f is not None:
            words = ["on push branches"] + [v(p) for p in (f["inc"] or ["**"])] + ["!" + v(p) for p in f["exc"]]
            if f["paths"]:
                words += ["paths"] + [v(p) for p in f["paths"]]
            out.append(" ".join(words))
        f = self._fitted("tag")
        if f is not None:
            out.append(" ".join(["on push tags"] + [v(p) for p in (f["inc"] or ["**"])]
                                + ["!" + v(p) for p in f["exc"]]))
        f = self._fitted("mr")
        if f is not None:
            words = ["on pull_request opened updated"]
            if f["inc"] or f["exc"]:
                words += ["into"] + [v(p) for p in (f["inc"] or ["**"])] + ["!" + v(p) for p in f["exc"]]
            if f["paths"]:
                words += ["paths"] + [v(p) for p in f["paths"]]
            out.append(" ".join(words))
        if self.kinds["manual"] is not None:
            out.append("on manual")
        return out


# ----------------------------------------------------------------------------- patterns

MAX_PATTERNS = 8     # CodePipeline's include (and exclude) patterns per filter (pipec's E304)


def _join(patterns: list[str]) -> list[str] | None:
    """At most :data:`MAX_PATTERNS` patterns meaning the same as ``patterns``, by joining the
    ones without braces into ``{a,b}`` groups; None when that is not possible."""
    plain = [p for p in patterns if "{" not in p and "," not in p]
    rest = [p for p in patterns if p not in plain]
    groups = MAX_PATTERNS - len(rest)
    if groups < 1:
        return None
    size = -(-len(plain) // groups)
    joined = ["{" + ",".join(plain[i:i + size]) + "}" if size > 1 else plain[i]
              for i in range(0, len(plain), size)]
    out = rest + joined
    return out if all(check_pattern(p) is None for p in out) and len(out) <= MAX_PATTERNS else None



def regex_patterns(rx: str) -> tuple[list[str], bool]:
    """GitLab's ``/regex/`` as pipec patterns and whether the translation is exact, or
    :class:`Unmapped`. Unanchored ends match anywhere (GitLab looks for the expression in the
    name), so they become ``**``."""
    m = re.fullmatch(r"/(.*)/([a-z]*)", rx, re.S)
    if not m:
        raise Unmapped(f"{rx!r} is not a /regular expression/")
    body, flags = m.group(1), m.group(2)
    if flags:
        raise Unmapped(f"the regular expression {rx} has flags ({flags})")
    out, exact = [], True
    for alt in _split_top(body, "|"):
        start = alt.startswith("^")
        end = alt.endswith("$") and not alt.endswith("\\$")
        core = alt[1 if start else 0:len(alt) - 1 if end else len(alt)]
        text, ok = _translate(core)
        exact &= ok
        text = ("" if start else "**") + text + ("" if end else "**")
        text = re.sub(r"\*{3,}", "**", text)
        for p in _expand_groups(text):
            if check_pattern(p) is not None:
                raise Unmapped(f"the regular expression {rx} has no pipec pattern")
            if p not in out:
                out.append(p)
    return out, exact


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur, i = [], 0, "", 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur += text[i:i + 2]
            i += 2
            continue
        depth += c in "([" and 1 or 0
        depth -= c in ")]" and 1 or 0
        if c == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    return parts + [cur]


_LITERAL = re.compile(r"[A-Za-z0-9_./\-@+=~#%:,]")


def _translate(core: str) -> tuple[str, bool]:
    out, exact, i = "", True, 0
    while i < len(core):
        c = core[i]
        nxt = core[i + 1] if i + 1 < len(core) else ""
        if c == "\\":
            if nxt == "d":
                atom = "[0-9]"
            elif nxt and _LITERAL.fullmatch(nxt):
                atom = nxt
            else:
                raise Unmapped(f"the escape \\{nxt} has no pipec pattern")
            i += 2
        elif c == ".":
            atom = None     # any one character
            i += 1
        elif c == "[":
            j = core.find("]", i)
            if j < 0 or core[i + 1:i + 2] in ("^", "!"):
                raise Unmapped("a negated or unclosed character class has no pipec pattern")
            atom = core[i:j + 1].replace("\\d", "0-9").replace("\\", "")
            i = j + 1
        elif c == "(":
            j = core.find(")", i)
            inner = core[i + 1:j]
            if j < 0 or not all(re.fullmatch(r"[A-Za-z0-9_./\-]*", a.replace("\\", "")) for a in inner.split("|")):
                raise Unmapped("a group other than literal alternatives has no pipec pattern")
            atom = "{" + ",".join(a.replace("\\", "") for a in inner.split("|")) + "}"
            i = j + 1
            if core[i:i + 1] == "?":
                atom = "{" + ",".join(a.replace("\\", "") for a in inner.split("|")) + ",}"
                i += 1
        elif _LITERAL.fullmatch(c):
            atom = c
            i += 1
        else:
            raise Unmapped(f"'{c}' has no pipec pattern")
        q = core[i:i + 1]
        if q in ("*", "+", "?") or q == "{":
            if q == "{":
                j = core.find("}", i)
                if j < 0 or not re.fullmatch(r"\d+(,\d*)?", core[i + 1:j]):
                    raise Unmapped("a '{' that is not a repetition count has no pipec pattern")
                i = j + 1
                q = "+"
            else:
                i += 1
            if atom is None:
                out += "**" if q == "*" else ("?**" if q == "+" else "")
                exact &= q == "*"
                continue
            if q == "?":
                raise Unmapped("an optional character has no pipec pattern")
            # one or more of a character class: a class then anything (approximate)
            out += (atom if q == "+" else "") + "*"
            exact = False
            continue
        if atom is None:
            out += "?"
            exact = False
        else:
            out += atom
    return out, exact


def _expand_groups(text: str) -> list[str]:
    """pipec allows one level of ``{a,b}``; an alternative group is kept as written."""
    return [text]


def change_pattern(path: str) -> str:
    """A ``changes`` path (Ruby ``File.fnmatch`` with FNM_PATHNAME|FNM_EXTGLOB|FNM_DOTMATCH) as a
    pipec path pattern, or :class:`Unmapped`. Under FNM_PATHNAME a ``**`` that is not followed by
    ``/`` is a ``*``."""
    p = path[2:] if path.startswith("./") else path
    if "\\" in p or "[!" in p or "[^" in p:
        raise Unmapped(f"the changes path {path!r} uses an escape or a negated set")
    if p.endswith("/"):
        p += "**"   # a folder: every file below it
    else:
        p = re.sub(r"\*\*(?!/)", "*", p)
    err = check_pattern(p)
    if err is not None:
        raise Unmapped(f"the changes path {path!r} is not a pattern pipec can read ({err})")
    return p
