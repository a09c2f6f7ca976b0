"""The workflow's ``on:``: the pipeline's push, pull request, schedule and manual triggers as
GitHub events and filters (patterns through :mod:`.patterns`), with the errors (E408, E409) and
warnings (W509, W511, W515) where GitHub cannot do the same. The roles' trust follows these
triggers in :mod:`.companion`.
"""

from __future__ import annotations


from pipec import model
from pipec.node import evolve
from pipec.targets.github import patterns as gp


PR_TYPES = {"opened": "opened", "updated": "synchronize", "closed": "closed"}


class Triggers:
    """``on:`` from the pipeline's sources and triggers; sets ``dispatch_inputs``."""

    def triggers(self) -> dict:
        on: dict = {}
        push_branch, push_tag, prs, schedules = [], [], [], []
        manual = False
        for src in self.p.sources:
            for t in src.triggers:
                if t.platform not in (None, "github"):
                    continue
                if src is not self.repo_source and t.platform is None \
                        and self.p.is_hybrid and not self.read_on_github(src):
                    continue  # in a hybrid pipeline, a source only CodePipeline stages read is theirs
                if src is not self.repo_source:
                    what = (f"another repository ({src.repository})" if src.provider == "github" else
                            f"{'an' if src.provider == 's3' else 'a'} {src.provider} source")
                    self.error("E408", t if t.span else src,
                               f"source '{src.name}' cannot start the GitHub Actions workflow: it is {what}",
                               f"A workflow in {self.repo or 'this repository'} starts only on events of its own "
                               "repository. Add 'via aws' to this trigger (an 'on push via aws' line if the "
                               "source has none) so that only CodePipeline watches it.")
                    continue
                if isinstance(t, model.ManualTrigger):
                    manual = True
                elif isinstance(t, model.ScheduleTrigger):
                    schedules.append((src, t))
                elif isinstance(t, model.PushTrigger):
                    if t.tags is None and t.branches is None:  # the source's own branch


                        t = evolve(t, branches=model.Filter(includes=(src.branch,)))
                    (push_tag if t.tags is not None else push_branch).append(t)
                else:
                    prs.append(t)

        def patterns(node, f: model.Filter | None, default: str | None = None):
            if f is None:
                return [gp.escape_literal(default)] if default else None
            try:
                return gp.translate(f.includes, f.excludes)
            except gp.Untranslatable as exc:
                self.error("E409", node, f"pattern '{exc.pattern}' has no faithful GitHub Actions equivalent: "
                           f"{exc.reason}", exc.hint)
                return None

        def merge(items, kind):
            """GitHub has one ``on.push`` and one ``on.pull_request``: several pipec triggers of a
            kind merge only when the result selects exactly the same events."""
            if len(items) <= 1:
                return items[0] if items else None
            first = items[0]
            for other in items[1:]:
                if kind == "pr":
                    same = (other.branches, other.paths) == (first.branches, first.paths)
                else:  # branch pushes: the same paths and branch excludes, so includes can add up
                    same = (other.tags is None and first.tags is None and other.paths == first.paths
                            and other.branches.excludes == first.branches.excludes) or (
                        other.tags is not None and first.tags is not None
                        and other.tags.excludes == first.tags.excludes)
                if not same:
                    self.error("E409", other, f"GitHub Actions has one '{'pull_request' if kind == 'pr' else 'push'}' "
                               "filter per workflow, and this trigger's filters differ from the first one's",
                               "On GitHub, the branch, tag and path filters of one event type apply together. "
                               "Merge the two lines into one, or bind one of them to CodePipeline with 'via aws'.")
                    return None


            if kind == "pr":
                return evolve(first, events=tuple(sorted({e for t in items for e in t.events})))
            field = "tags" if first.tags is not None else "branches"
            includes = tuple(dict.fromkeys(p for t in items for p in getattr(t, field).includes))
            merged = evolve(getattr(first, field), includes=includes)
            return evolve(first, **{field: merged})

        branch = merge(push_branch, "push")
        tag = merge(push_tag, "push")
        pr = merge(prs, "pr")
        if branch is not None or tag is not None:
            push: dict = {}
            if branch is not None:
                got = patterns(branch, branch.branches)
                if got is not None:
                    push["branches"] = got
            if tag is not None:
                got = patterns(tag, tag.tags)
                if got is not None:
                    push["tags"] = got
            if branch is not None and branch.paths is not None:
                got = patterns(branch, branch.paths)
                if got is not None:
                    push["paths"] = got
                self.paths_warning(branch, "A push")
            on["push"] = push
        if pr is not None:
            body: dict = {"types": [PR_TYPES[e] for e in ("opened", "updated", "closed") if e in pr.events]}
            got = patterns(pr, pr.branches)
            if got is not None and got != ["**"]:
                body["branches"] = got
            if pr.paths is not None:
                got = patterns(pr, pr.paths)
                if got is not None:
                    body["paths"] = got
                self.paths_warning(pr, "A pull request")
            if "closed" in pr.events:
                self.warn("W511", pr, "'closed' differs between the platforms",
                          "GitHub's pull_request 'closed' fires for merged and unmerged closes alike; CodePipeline "
                          "documents its CLOSED event as 'closed (merged)'. Check github.event.pull_request.merged "
                          "in the commands if only merges should count.")
            on["pull_request"] = body
        if schedules:
            on["schedule"] = [{"cron": t.cron} for _, t in schedules]
            for src, t in schedules:
                self.schedule_warning(src, t)
        if not (push_branch or push_tag or prs or schedules):
            manual = True  # a workflow needs an event: with none, it is started by hand
        self.dispatch_inputs = manual and bool(self.p.variables)
        if manual:
            dispatch: dict = {}
            if self.p.variables:
                dispatch["inputs"] = {
                    v.name: {**({"description": v.description} if v.description else {}),
                             "type": "string", "required": False, "default": v.default}
                    for v in self.p.variables}
            on["workflow_dispatch"] = dispatch or None
        return on

    def schedule_warning(self, src: model.Source, t: model.ScheduleTrigger):
        both = t.platform is None
        self.warn("W515", t, f"GitHub runs the schedule '{t.cron}' on the default branch, and may delay or drop runs",
                  "A scheduled workflow runs on the latest commit of the repository's default branch"
                  + (f", where CodePipeline builds branch '{src.branch}'" if both else "")
                  + f"; the jobs' AWS roles trust branch '{src.branch}', so make it the default branch. GitHub "
                  "may also delay scheduled runs under load (most at the start of an hour) or drop them, and "
                  "disables schedules in public repositories after 60 days without activity"
                  + (", while EventBridge starts CodePipeline on time." if both else "."))

    def paths_warning(self, trigger, what: str):
        self.warn("W509", trigger, "GitHub evaluates path filters on the first 300 changed files only",
                  f"{what} that changes more than 300 files may not start the workflow on GitHub when the "
                  "matching files are not among the first 300; CodePipeline has no such limit.")

    def read_on_github(self, src: model.Source) -> bool:
        return any(src.name in getattr(a, "inputs", ()) for st in self.stages for a in st.actions)
