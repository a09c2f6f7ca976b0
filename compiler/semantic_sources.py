"""Sources and their triggers: repositories, connections, branch and path filters, schedules.

Builds :class:`pipec.model.Source` with its triggers (defaults applied: a Git source without
``on`` lines is started by pushes to its branch), checks patterns (E308) and the platforms' limits
on filters, and the pipeline's schedules together (:meth:`SourceChecks.check_schedules`, with
:mod:`pipec.cron`). The stages come next, in :mod:`pipec.semantic_stages`.
"""

from __future__ import annotations

import re

from pipec import ast, cron, model
from pipec.diagnostics import shown
from pipec.patterns import check_pattern
from pipec.semantic_base import Checker
from pipec.semantic_tables import MAX_PATTERNS, MAX_PR_FILTERS, MAX_PUSH_FILTERS


class SourceChecks(Checker):
    """Sources (:meth:`source`), their filters and triggers, and the schedules of the whole pipeline."""

    def source(self, node: ast.Source) -> model.Source:
        self.check_name(node.name, node.span, "source")
        seen: dict = {}
        branch = key = None
        connection = None
        full_clone = False
        triggers_ast: list[ast.Trigger] = []
        for item in node.body:
            if isinstance(item, ast.Field):
                if not self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    continue
                if item.keyword == "branch":
                    branch = item.value
                elif item.keyword == "key":
                    key = item.value
                elif item.keyword == "clone":
                    full_clone = item.value == "full"
            elif isinstance(item, ast.ConnectionStmt):
                if self.once(seen, "connection", item, "the connection"):
                    if item.is_arn and not item.value.startswith("arn:"):
                        self.err("E206", f"'{item.value}' is not an ARN", item.span,
                                 "A connection ARN looks like arn:aws:codeconnections:REGION:ACCOUNT:"
                                 "connection/ID. To let pipec create a connection, write "
                                 "'connection NAME' without 'arn'.")
                    connection = model.Connection(None if item.is_arn else item.value,
                                                  item.value if item.is_arn else None)
            elif isinstance(item, ast.Trigger):
                triggers_ast.append(item)
        provider = node.provider
        git_conn = provider in ("github", "bitbucket", "gitlab")
        repository = bucket = None
        if git_conn:
            if not re.fullmatch(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-/]+", node.location):
                self.err("E206", f"'{node.location}' is not a repository like owner/name", node.span,
                         f"A {provider} source names its repository as \"owner/name\".")
            repository = node.location
            branch = branch or "main"
            connection = connection or model.Connection(name=f"{self.module.pipeline.name}-{provider}"[:32])
        elif provider == "codecommit":
            repository = node.location
            branch = branch or "main"
            if "connection" in seen:
                self.err("E207", "a CodeCommit source does not use a connection", seen["connection"].span,
                         "CodeCommit is reached directly; remove the 'connection' line.")
                connection = None
        else:  # s3
            bucket = node.location
            if "branch" in seen:
                self.err("E207", "an S3 source has no branch", seen["branch"].span,
                         "An S3 source watches one object: give its 'key' instead of a branch.")
                branch = None
            if "connection" in seen:
                self.err("E207", "an S3 source does not use a connection", seen["connection"].span,
                         "Remove the 'connection' line.")
                connection = None
            if key is None:
                self.err("E205", f"S3 source '{node.name}' needs the object key", node.span,
                         'Add a line such as: key "source/app.zip".')
        if key is not None and provider != "s3":
            self.err("E207", "'key' is only for S3 sources", seen["key"].span,
                     "Git sources are identified by repository and branch.")
        if full_clone and not git_conn:
            self.err("E207", "'clone full' needs a connection source (GitHub, Bitbucket, GitLab)",
                     seen["clone"].span, "CodeCommit and S3 sources always deliver a zip of the files.")
        triggers = self.triggers(node, triggers_ast, branch, git_conn)
        return model.Source(node.name, provider, repository, branch, bucket, key, connection,
                            full_clone, tuple(triggers), span=node.span)

    def filter(self, f: ast.Filter | None) -> model.Filter | None:
        if f is None:
            return None
        inc, exc = [], []
        for pat in f.patterns:
            problem = check_pattern(pat.text)
            if problem:
                self.err("E308", f"invalid pattern '{shown(pat.text)}': {problem}", pat.span,
                         "Patterns use *, **, ?, [a-z] and {a,b}; see 'Patterns' in docs/language.md.")
            (exc if pat.negated else inc).append(pat.text)
        for lst, what in ((inc, "include"), (exc, "exclude")):
            if len(lst) > MAX_PATTERNS:
                self.err("E304", f"{len(lst)} {what} patterns in one '{f.kind}' filter", f.span,
                         f"CodePipeline accepts at most {MAX_PATTERNS} include and {MAX_PATTERNS} "
                         "exclude patterns per filter. Combine patterns with {a,b} or split the "
                         "trigger into several 'on' lines.")
        if not inc:
            inc = ["**"]
        return model.Filter(tuple(inc), tuple(exc))

    def triggers(self, node: ast.Source, items: list[ast.Trigger], branch, git_conn) -> list:
        out: list = []
        pushes = prs = 0
        for t in items:
            kinds: dict = {}
            for f in t.filters:
                if f.kind in kinds:
                    self.err("E203", f"'{f.kind}' is given twice in one trigger", f.span,
                             f"Put all {f.kind} patterns after one '{f.kind}'.")
                kinds[f.kind] = f
            if t.via == "github" and node.provider != "github":
                self.err("E310", f"a {node.provider} source cannot trigger GitHub Actions", t.span,
                         "GitHub Actions only starts on events of GitHub repositories; bind this trigger "
                         "to aws, or remove 'via github'.")
            if t.kind == "manual":
                out.append(model.ManualTrigger(t.via, span=t.span))
                continue
            if t.kind == "schedule":
                try:
                    out.append(model.ScheduleTrigger(cron.normalize(t.cron or ""), t.via, span=t.span))
                except cron.CronError as exc:
                    self.err("E313", f"invalid schedule: {exc.message}", t.span, exc.hint)
                continue
            if not git_conn and (t.kind == "pull_request" or t.filters):
                why = ("CodeCommit sources start on pushes to their branch through EventBridge, "
                       "without filters." if node.provider == "codecommit" else
                       "An S3 source starts when its object changes; it has no branches, tags or "
                       "pull requests.")
                self.err("E309", f"'on {t.kind}{' with filters' if t.filters else ''}' is not "
                         f"supported by a {node.provider} source", t.span,
                         why + " Use 'on push' without filters, or a GitHub, Bitbucket or GitLab source.")
                continue
            if t.kind == "push":
                pushes += t.via != "github"
                if "tags" in kinds and ("branches" in kinds or "paths" in kinds):
                    self.err("E309", "a push trigger filters on tags, or on branches and paths, not both",
                             t.span,
                             "CodePipeline does not combine tag and branch/path filters in one push "
                             "filter, and GitHub ignores path filters on tag pushes. Write two lines: "
                             "'on push tags ...' and 'on push branches ... paths ...'.")
                    continue
                if "tags" in kinds:
                    out.append(model.PushTrigger(tags=self.filter(kinds["tags"]), platform=t.via, span=t.span))
                else:
                    branches = self.filter(kinds.get("branches")) or model.Filter((branch,) if branch else ("**",))
                    out.append(model.PushTrigger(branches=branches, paths=self.filter(kinds.get("paths")),
                                                 platform=t.via, span=t.span))
            else:
                prs += t.via != "github"
                events = tuple(sorted(set(t.events), key=("opened", "updated", "closed").index)) or ("opened", "updated")
                if len(set(t.events)) != len(t.events):
                    self.err("E203", "a pull-request event is listed twice", t.span,
                             "List each of opened, updated and closed at most once.")
                out.append(model.PullRequestTrigger(
                    events, self.filter(kinds.get("into")) or model.Filter(("**",)),
                    self.filter(kinds.get("paths")), t.via, span=t.span))
        if pushes > MAX_PUSH_FILTERS or prs > MAX_PR_FILTERS:
            kind, n, lim = ("push", pushes, MAX_PUSH_FILTERS) if pushes > MAX_PUSH_FILTERS else (
                "pull_request", prs, MAX_PR_FILTERS)
            self.err("E312", f"{n} '{kind}' triggers on source '{node.name}'", node.span,
                     f"CodePipeline accepts at most {lim} {kind} filters per source; combine patterns "
                     "into fewer lines.")
        if not items:
            out.append(model.PushTrigger(branches=model.Filter((branch,)) if branch else None,
                                         span=node.span) if branch else model.PushTrigger(
                branches=None, span=node.span))
        return out

    def check_schedules(self, sources):
        """The schedules of the whole pipeline: at most MAX_SCHEDULES (E312), none given twice
        for the same platform (E203), and none more often than GitHub runs one (E409)."""
        schedules = [t for s in sources for t in s.triggers if isinstance(t, model.ScheduleTrigger)]
        if len(schedules) > cron.MAX_SCHEDULES:
            self.err("E312", f"{len(schedules)} 'schedule' triggers in pipeline '{self.module.pipeline.name}'",
                     schedules[cron.MAX_SCHEDULES].span,
                     f"pipec allows at most {cron.MAX_SCHEDULES} schedules per pipeline: each one is an EventBridge "
                     "rule, and an account has 300 rules per event bus and Region (100 in some Regions) for "
                     "everything it does. Combine schedules with lists and ranges (0 6,18 * * *).")
        seen: dict = {}
        for t in schedules:
            key = cron.canonical(t.cron)
            for platform in ("aws", "github"):
                if t.platform not in (None, platform):
                    continue
                first = seen.get((key, platform))
                if first is not None:
                    self.err("E203", f"the schedule '{t.cron}' is given twice", t.span,
                             f"It runs at the same times as the schedule at {self.at(first.span)}; two schedules "
                             "would start two runs each time. Remove one of them.")
                    break
                seen[(key, platform)] = t
            if t.platform != "aws":
                every = cron.interval(t.cron)
                if every < cron.MIN_INTERVAL:
                    self.err("E409", f"the schedule '{t.cron}' runs {every} minute{'s' if every != 1 else ''} "
                             "apart, more often than GitHub Actions runs a schedule", t.span,
                             f"GitHub documents that the shortest interval between scheduled runs is "
                             f"{cron.MIN_INTERVAL} minutes, so the workflow would not run at these times. Space the "
                             "runs at least 5 minutes apart (*/5), or bind this schedule to CodePipeline with "
                             "'via aws'.")
