"""Reading ``rules:``, ``only:``/``except:`` and ``workflow: rules`` into :class:`.rules.When`:
the ``if:`` expressions pipec understands (``$CI_PIPELINE_SOURCE``, ``$CI_COMMIT_BRANCH``,
``$CI_COMMIT_TAG``, ``$CI_COMMIT_REF_NAME``, ``$CI_DEFAULT_BRANCH``, ``$CI_MERGE_REQUEST_*``
compared with ``==``, ``!=``, ``=~``, ``!~`` or tested alone, joined by ``&&`` and ``||``), the
keywords of ``only``/``except``, and ``changes``. Everything else is a finding.
"""

from __future__ import annotations

import re

from pipec.patterns import check_pattern
from pipec.targets.gitlab.imports.common import scalar
from pipec.targets.gitlab.imports.rules import KEYWORDS, OTHER_KEYWORDS, SOURCES, Unmapped, When, \
    change_pattern, regex_patterns

_ATOM = re.compile(r"""\s*(?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)\s*
                       (?:(?P<op>==|!=|=~|!~)\s*(?P<rhs>"[^"]*"|'[^']*'|/(?:\\.|[^/])*/[a-z]*|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|null))?
                       \s*""", re.X)


class Conditions:
    """Conditions of the file being imported (uses ``self.default_branch``)."""

    # ------------------------------------------------------------------ if: expressions
    def parse_if(self, expr: str, base: When) -> list[When]:
        """The pipelines in which ``expr`` holds, within ``base``: a list of :class:`When` (one per
        ``||`` alternative), or :class:`Unmapped`."""
        expr = expr.strip()
        while expr.startswith("(") and expr.endswith(")") and _balanced(expr[1:-1]):
            expr = expr[1:-1].strip()
        out = []
        for alt in _split(expr, "||"):
            w = base.copy()
            for atom in _split(alt, "&&"):
                atom = atom.strip()
                while atom.startswith("(") and atom.endswith(")") and _balanced(atom[1:-1]):
                    atom = atom[1:-1].strip()
                if "||" in atom or "&&" in atom:
                    raise Unmapped(f"the nested condition {atom!r}")
                self.atom(atom, w)
            if not w.empty():
                out.append(w)
        return out

    def atom(self, text: str, w: When):
        m = _ATOM.fullmatch(text)
        if not m:
            raise Unmapped(f"the condition {text!r}")
        var = m.group("var").strip("${}")
        op, rhs = m.group("op"), m.group("rhs")
        value = None
        if rhs is not None:
            if rhs == "null":
                value = None
            elif rhs.startswith("$"):
                name = rhs.strip("${}")
                if name != "CI_DEFAULT_BRANCH":
                    raise Unmapped(f"the comparison with {rhs}")
                value = self.default_branch
                self.default_branch_used = True
            elif rhs.startswith("/"):
                value = rhs
            else:
                value = rhs[1:-1]
        if var == "CI_DEFAULT_BRANCH":
            raise Unmapped("a condition on the default branch's name")
        if var == "CI_PIPELINE_SOURCE":
            if op not in ("==", "!="):
                raise Unmapped(f"the pipeline source test {text!r}")
            kinds = SOURCES.get(value or "")
            self.schedules_named |= value == "schedule"
            if kinds is None and value not in {k.replace("triggers", "trigger") for k in OTHER_KEYWORDS} | {
                    "trigger", "api", "pipeline", "parent_pipeline", "chat", "external"}:
                raise Unmapped(f"the pipeline source {value!r}")
            (w.keep if op == "==" else w.drop)(kinds or ())
            return
        if var in ("CI_COMMIT_BRANCH", "CI_COMMIT_TAG", "CI_COMMIT_REF_NAME", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
            self.ref_atom(var, op, value, w, text)
            return
        if var in ("CI_MERGE_REQUEST_ID", "CI_MERGE_REQUEST_IID", "CI_OPEN_MERGE_REQUESTS") and op is None:
            if var == "CI_OPEN_MERGE_REQUESTS":
                raise Unmapped("a condition on open merge requests")
            w.keep(("mr",))
            return
        raise Unmapped(f"the condition on ${var}")

    def ref_atom(self, var, op, value, w: When, text):
        kinds = {"CI_COMMIT_BRANCH": ("push",), "CI_COMMIT_TAG": ("tag",), "CI_COMMIT_REF_NAME": ("push", "tag"),
                 "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": ("mr",)}[var]
        # schedules and "Run pipeline" build the source branch: they have a branch name too
        branchy = var in ("CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME")
        if op is None or (op in ("!=",) and value in (None, "")):      # set, not empty
            w.keep(kinds + (("schedule", "manual") if branchy else ()))
            return
        if op == "==" and value in (None, ""):                          # not set
            w.drop(kinds + (("schedule", "manual") if branchy else ()))
            return
        if op in ("=~", "!~"):
            if not isinstance(value, str) or not value.startswith("/"):
                raise Unmapped(f"the match {text!r}")
            pats, exact = regex_patterns(value)
            w.approx |= not exact
        else:
            if not isinstance(value, str) or value.startswith("/"):
                raise Unmapped(f"the comparison {text!r}")
            if check_pattern(value) is not None:
                raise Unmapped(f"the name {value!r}, which is not a branch or tag name pipec can match")
            pats = [value]
        default_hit = branchy and any(_matches(p, self.default_branch) for p in pats)
        if op in ("==", "=~"):
            w.keep(kinds + (("schedule", "manual") if default_hit else ()))
            for k in kinds:
                w.only_refs(k, pats)
        else:
            for k in kinds:
                w.exclude_refs(k, pats)
            if default_hit:
                w.drop(("schedule", "manual"))

    # ------------------------------------------------------------------ rules:
    def rules_when(self, owner, key, base: When, what: str):
        """(When or None, manual, notes) for ``owner[key]`` (a ``rules`` list): the union of the
        rules that run, first match first; ``when: never`` rules narrow the later ones where pipec
        can say so."""
        ctx = self.ctx
        rules = owner[key]
        if not isinstance(rules, list):
            ctx.skip(self.notes_for(owner), "gitlab: rules", f"the rules of {what} are not a list", owner, key)
            return base, False
        rest = base.copy()
        union: list[When] = []
        manual = False
        unmapped = 0
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                ctx.skip(self.notes_for(owner), "gitlab: rules", f"rule {i + 1} of {what} is not a mapping", rules, i)
                unmapped += 1
                continue
            when = scalar(rule.get("when", "on_success"))
            try:
                alts = self.parse_if(scalar(rule["if"]) or "", rest) if "if" in rule else [rest.copy()]
                if "changes" in rule:
                    paths = self.changes(rule["changes"])
                    for a in alts:
                        a.paths(paths)
                    self.changes_at = self.changes_at or (rule, "changes")
            except Unmapped as exc:
                ctx.skip(self.notes_for(owner), "gitlab: rule condition", f"rule {i + 1} of {what}: {exc} has no "
                         "pipec trigger; the rule is left out" + (" (so this job may run where GitLab excluded it)"
                                                                  if when == "never" else ""), rules, i)
                unmapped += 1
                continue
            for k in rule:
                if k not in ("if", "changes", "when", "allow_failure", "variables", "exists", "needs", "start_in",
                             "interruptible", "auto_cancel"):
                    ctx.skip(self.notes_for(owner), "gitlab: unknown key", f"rule key '{k}' is unknown", rule, k)
                elif k in ("exists", "variables", "needs", "start_in", "auto_cancel"):
                    ctx.skip(self.notes_for(owner), "gitlab: rule setting", f"rule {i + 1} of {what} sets '{k}', which "
                             "is not carried over: the rule is read without it", rule, k)
            if any(a.approx for a in alts):
                ctx.skip(self.notes_for(owner), "gitlab: ref pattern approximated", f"rule {i + 1} of {what} "
                         "matches names with a regular expression that pipec patterns only approximate: "
                         + "; ".join(" ".join(a.lines()) for a in alts), rules, i)
            if when == "never":
                for a in alts:
                    self.subtract(rest, a, owner, rules, i, what)
                continue
            if when == "manual":
                manual = True
            elif when in ("delayed", "on_failure", "always"):
                ctx.skip(self.notes_for(owner), "gitlab: rule when", f"rule {i + 1} of {what} runs the job "
                         f"'when: {when}'; here it runs when the jobs before it succeed", rule, "when")
            union += alts
        if not union and unmapped:
            # nothing readable: keep the job in every pipeline, with the findings above
            return base, manual
        out = _union(union) if union else None
        if out is not None and out.joined:
            ctx.skip(self.notes_for(owner), "gitlab: conditions joined", f"the rules of {what} select pipelines "
                     "by branch in one rule and by changed paths in another; one trigger cannot say both, so "
                     "the wider filter is used: " + "; ".join(out.lines()), owner, key)
        return out, manual

    def subtract(self, rest: When, never: When, owner, rules, i, what):
        """Remove from ``rest`` the pipelines ``never`` names, where pipec can say so."""
        kinds = [k for k, f in never.kinds.items() if f is not None]
        full = [k for k in kinds if never.kinds[k] == {"inc": None, "exc": [], "paths": None}]
        if len(full) == len(kinds):
            rest.drop(full)
            return
        ok = True
        for k in kinds:
            f = never.kinds[k]
            if f["inc"] and not f["exc"] and f["paths"] is None and k in ("push", "tag", "mr"):
                rest.exclude_refs(k, f["inc"])
            elif k in ("schedule", "manual"):
                continue
            else:
                ok = False
        if not ok:
            self.ctx.skip(self.notes_for(owner), "gitlab: rule condition", f"rule {i + 1} of {what} excludes "
                          "pipelines ('when: never') in a way pipec cannot subtract; the job may run where "
                          "GitLab excluded it", rules, i)

    # ------------------------------------------------------------------ only / except
    def only_except(self, job, key: str, base: When) -> When | None:
        w = base.copy()
        only = job.get("only")
        if only is None:
            w = When(("push", "tag", "schedule", "manual"))   # GitLab's default: only: [branches, tags]
        else:
            w = self.refs(job, "only", only, w, key, include=True)
        exc = job.get("except")
        if exc is not None and w is not None:
            w = self.refs(job, "except", exc, w, key, include=False)
        return w

    def refs(self, job, word, spec, w: When, key, include: bool) -> When | None:
        ctx = self.ctx
        if isinstance(spec, (str, list)):
            spec_refs, extra = (spec if isinstance(spec, list) else [spec]), {}
        elif isinstance(spec, dict):
            spec_refs, extra = spec.get("refs"), {k: x for k, x in spec.items() if k != "refs"}
            if isinstance(spec_refs, str):
                spec_refs = [spec_refs]
        else:
            ctx.skip(self.notes_for(job), "gitlab: only/except", f"'{word}' of job '{key}' is not a list or a "
                     "mapping", job, word)
            return w
        if spec_refs is not None:
            kinds: set = set()
            names: list = []
            for i, ref in enumerate(spec_refs if isinstance(spec_refs, list) else []):
                ref = scalar(ref)
                if ref is None:
                    continue
                if "@" in ref:
                    ctx.skip(self.notes_for(job), "gitlab: only/except project", f"'{ref}' in '{word}' of job '{key}'"
                             " limits the job to one project path (forks); read without it", job, word)
                    ref = ref.split("@", 1)[0]
                if ref in KEYWORDS:
                    kinds |= set(KEYWORDS[ref])
                    self.schedules_named |= ref == "schedules"
                elif ref in OTHER_KEYWORDS:
                    if include:
                        ctx.skip(self.notes_for(job), "gitlab: only/except source", f"'{ref}' in '{word}' of job "
                                 f"'{key}' is a kind of pipeline pipec has no trigger for", job, word)
                elif ref.startswith("/"):
                    try:
                        pats, exact = regex_patterns(ref)
                    except Unmapped as exc:
                        ctx.skip(self.notes_for(job), "gitlab: ref pattern", f"{exc}: '{word}' of job '{key}' is "
                                 "read without it", job, word)
                        continue
                    if not exact:
                        ctx.skip(self.notes_for(job), "gitlab: ref pattern approximated", f"the regular expression "
                                 f"{ref} in '{word}' of job '{key}' is approximated as {' '.join(pats)}", job, word)
                    names += pats
                elif check_pattern(ref) is not None:
                    ctx.skip(self.notes_for(job), "gitlab: ref pattern", f"'{ref}' in '{word}' of job '{key}' is not "
                             "a branch or tag name pipec can match; read without it", job, word)
                else:
                    names.append(ref)
            if include:
                out = When(())
                for k in kinds:
                    out.kinds[k] = {"inc": None, "exc": [], "paths": None}
                for k in ("push", "tag"):
                    if names and out.kinds[k] is None:
                        out.kinds[k] = {"inc": list(names), "exc": [], "paths": None}
                if names and any(_matches(p, self.default_branch) for p in names):
                    for k in ("schedule", "manual"):
                        out.kinds[k] = out.kinds[k] or {"inc": None, "exc": [], "paths": None}
                w = out
            else:
                w.drop(kinds)
                for k in ("push", "tag"):
                    w.exclude_refs(k, names)
                if any(_matches(p, self.default_branch) for p in names):
                    w.drop(("schedule", "manual"))
        for k, val in extra.items():
            if k == "changes" and include:
                paths = val.get("paths") if isinstance(val, dict) else val
                try:
                    w.paths(self.changes(paths))
                    self.changes_at = self.changes_at or (spec, k)
                except Unmapped as exc:
                    ctx.skip(self.notes_for(job), "gitlab: changes", f"{exc}; read without it", spec, k)
            elif k == "variables" and include and isinstance(val, list):
                for expr in val:
                    try:
                        alts = self.parse_if(scalar(expr) or "", w)
                    except Unmapped as exc:
                        ctx.skip(self.notes_for(job), "gitlab: rule condition", f"'{word}: variables' of job "
                                 f"'{key}': {exc} has no pipec trigger; read without it", spec, k)
                        continue
                    w = _union(alts) if alts else When(())
            else:
                ctx.skip(self.notes_for(job), "gitlab: only/except setting", f"'{word}: {k}' of job '{key}' has no pipec "
                         "equivalent; read without it", spec, k)
        return None if w.empty() else w

    def changes(self, raw) -> list[str]:
        paths = raw.get("paths") if isinstance(raw, dict) else raw
        if isinstance(raw, dict) and "compare_to" in raw:
            raise Unmapped("changes compared to another ref (compare_to)")
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not paths:
            raise Unmapped("changes that are not a list of paths")
        out = []
        for p in paths:
            text = scalar(p)
            if not text or "$" in text:
                raise Unmapped(f"the changes path {p!r}")
            pat = change_pattern(text)
            if pat not in out:
                out.append(pat)
        return out


def _union(ws: list[When]) -> When:
    """One :class:`When` for alternatives: per kind, the union of the filters. Where the union of
    two filters is not one filter (other branches and other paths), the wider one that holds both
    is taken and ``joined`` is set."""
    out = When(())
    out.joined = False
    for w in ws:
        out.approx |= w.approx
        out.joined |= getattr(w, "joined", False)
        for k, f in w.kinds.items():
            if f is None:
                continue
            o = out.kinds[k]
            if o is None:
                out.kinds[k] = {"inc": None if f["inc"] is None else list(f["inc"]), "exc": list(f["exc"]),
                                "paths": None if f["paths"] is None else list(f["paths"])}
                continue
            same_refs = o["inc"] == f["inc"] and o["exc"] == f["exc"]
            same_paths = o["paths"] == f["paths"] and o["exc"] == f["exc"]
            if not (same_refs or same_paths or _covers(o, f) or _covers(f, o)):
                out.joined = True
            if _covers(f, o) and not _covers(o, f):
                out.kinds[k] = {key: (None if val is None else list(val)) for key, val in f.items()}
                continue
            if _covers(o, f):
                continue
            o["inc"] = None if o["inc"] is None or f["inc"] is None else o["inc"] + [p for p in f["inc"]
                                                                                      if p not in o["inc"]]
            o["exc"] = [p for p in o["exc"] if p in f["exc"]]
            o["paths"] = None if o["paths"] is None or f["paths"] is None else o["paths"] + [
                p for p in f["paths"] if p not in o["paths"]]
    return out


def _covers(f, g) -> bool:
    """Whether filter ``f`` matches every event filter ``g`` matches (by the written patterns)."""
    return ((f["inc"] is None or (g["inc"] is not None and set(g["inc"]) <= set(f["inc"])))
            and set(f["exc"]) <= set(g["exc"])
            and (f["paths"] is None or (g["paths"] is not None and set(g["paths"]) <= set(f["paths"]))))


def _matches(pattern: str, value: str) -> bool:
    from pipec.patterns import matches

    try:
        return matches(pattern, value)
    except Exception:
        return False


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += (c == "(") - (c == ")")
        if depth < 0:
            return False
    return depth == 0


def _split(text: str, sep: str) -> list[str]:
    parts, depth, cur, i, quote = [], 0, "", 0, None
    while i < len(text):
        c = text[i]
        if quote:
            cur += c
            if c == quote:
                quote = None
            i += 1
            continue
        if c in "\"'":
            quote = c
        elif c == "/" and (cur.rstrip().endswith(("=~", "!~"))):
            j = i + 1
            while j < len(text) and text[j] != "/":
                j += 2 if text[j] == "\\" else 1
            cur += text[i:j + 1]
            i = j + 1
            continue
        depth += (c == "(") - (c == ")")
        if depth == 0 and text.startswith(sep, i):
            parts.append(cur)
            cur = ""
            i += len(sep)
            continue
        cur += c
        i += 1
    return parts + [cur]
