"""Reading what starts the pipeline: source actions, trigger declarations, EventBridge rules.

:class:`SourcesReaderMixin` checks the Source stage's actions and turns the pipeline's
``Triggers`` (push, tag and pull-request filters of connection sources), the sources that start
runs without one (``DetectChanges``, ``PollForSourceChanges``) and the template's EventBridge rules
(a CodeCommit or S3 change, a schedule) into the plan's triggers. A part of the reader in
:mod:`pipec.targets.aws.read` (it uses the reader's ``fail``, ``text`` and ``value``); the emit
side is :mod:`.sources`.
"""

from __future__ import annotations

import json

from pipec import cron, plan
from pipec.targets.aws.read_common import Action, as_bool, as_list

_PR_EVENTS = {"OPEN": "opened", "UPDATED": "updated", "CLOSED": "closed"}
_SOURCE_PROVIDERS = {"CodeStarSourceConnection", "CodeCommit", "S3"}


class SourcesReaderMixin:
    """The sources and triggers of the pipeline being read (``self.sources`` and ``self.name``,
    set by the reader's ``plan``); sets ``self.schedules``."""

    def check_source(self, a: Action):
        """A source action of a provider pipec reads, with a name; ValueError otherwise."""
        if a.owner != "AWS" or a.provider not in _SOURCE_PROVIDERS:
            self.fail(a.where, f"source provider {a.owner}/{a.provider} is not one pipec reads "
                               "(CodeStarSourceConnection, CodeCommit, S3)")
        if not a.name:
            self.fail(a.where, "has no Name")

    def triggers(self, props: dict, where: str) -> frozenset:
        """The plan's triggers: the pipeline's ``Triggers``, then the sources that start runs without
        a declaration (change detection, polling, an EventBridge rule), then the schedules."""
        out = []
        declared = set()
        for i, decl in enumerate(as_list(props.get("Triggers"))):
            w = f"{where}: Triggers[{i}]"
            if decl.get("ProviderType", "CodeStarSourceConnection") != "CodeStarSourceConnection":
                self.fail(w, f"unknown ProviderType {decl.get('ProviderType')!r}")
            git = decl.get("GitConfiguration") or {}
            src = self.text(git.get("SourceActionName"), w, "SourceActionName")
            a = self.sources.get(src)
            if a is None or a.provider != "CodeStarSourceConnection":
                self.fail(w, f"SourceActionName {src!r} is not a CodeStarSourceConnection source action")
            declared.add(src)
            branch = self.text(a.raw_config.get("BranchName"), a.where, "BranchName")
            for j, push in enumerate(as_list(git.get("Push"))):
                pw = f"{w}.Push[{j}]"
                unknown = set(push) - {"Branches", "FilePaths", "Tags"}
                if unknown:
                    self.fail(pw, f"unknown keys {', '.join(sorted(unknown))}")
                if "Tags" in push:
                    if "Branches" in push or "FilePaths" in push:
                        self.fail(pw, "a Tags filter with Branches or FilePaths cannot be read (pipec's tag "
                                      "triggers have neither)")
                    out.append(plan.Trigger("tag", src, tags=self.filter(push["Tags"], pw + ".Tags")))
                    continue
                branches = self.filter(push["Branches"], pw + ".Branches") if "Branches" in push else \
                    plan.Filter.of([branch])
                out.append(plan.Trigger("push", src, branches=branches,
                                        paths=self.filter(push.get("FilePaths"), pw + ".FilePaths")))
            for j, pr in enumerate(as_list(git.get("PullRequest"))):
                pw = f"{w}.PullRequest[{j}]"
                unknown = set(pr) - {"Events", "Branches", "FilePaths"}
                if unknown:
                    self.fail(pw, f"unknown keys {', '.join(sorted(unknown))}")
                events = []
                # without Events, CodePipeline starts on every pull-request event
                for e in as_list(pr.get("Events")) if "Events" in pr else list(_PR_EVENTS):
                    if e not in _PR_EVENTS:
                        self.fail(pw, f"unknown pull request event {e!r}")
                    events.append(_PR_EVENTS[e])
                out.append(plan.Trigger("pull_request", src,
                                        branches=self.filter(pr.get("Branches"), pw + ".Branches")
                                        or plan.Filter.of(()),
                                        paths=self.filter(pr.get("FilePaths"), pw + ".FilePaths"),
                                        events=tuple(sorted(set(events)))))
            for key in set(git) - {"SourceActionName", "Push", "PullRequest"}:
                self.fail(w, f"unknown GitConfiguration key {key}")
        rules = self.rules()
        for src, a in self.sources.items():
            if src in declared:
                continue
            cfg = a.raw_config
            if a.provider == "CodeStarSourceConnection":
                # without a trigger declaration, DetectChanges (default true) starts runs on pushes
                if as_bool(self.value(cfg.get("DetectChanges")), True):
                    branch = self.text(cfg.get("BranchName"), a.where, "BranchName")
                    out.append(plan.Trigger("push", src, branches=plan.Filter.of([branch])))
                continue
            polled = as_bool(self.value(cfg.get("PollForSourceChanges")), True)
            if not (polled or src in rules):
                continue
            if a.provider == "CodeCommit":
                branch = self.text(cfg.get("BranchName"), a.where, "BranchName")
                out.append(plan.Trigger("push", src, branches=plan.Filter.of([branch])))
            else:
                out.append(plan.Trigger("object", src))
        return plan.normal_triggers(out + self.schedules)

    def filter(self, criteria, where: str) -> plan.Filter | None:
        """A CodePipeline filter criteria (``Includes``, ``Excludes``) as a plan filter; None for none."""
        if criteria is None:
            return None
        if not isinstance(criteria, dict):
            self.fail(where, f"not a filter: {criteria!r}")
        unknown = set(criteria) - {"Includes", "Excludes"}
        if unknown:
            self.fail(where, f"unknown keys {', '.join(sorted(unknown))}")
        inc = [self.text(p, where, "a pattern") for p in as_list(criteria.get("Includes"))]
        exc = [self.text(p, where, "a pattern") for p in as_list(criteria.get("Excludes"))]
        return plan.Filter.of(inc, exc)

    def rules(self) -> set[str]:
        """Names of the sources an enabled EventBridge rule of the template starts this pipeline
        for; the rules that start it on a schedule go to ``self.schedules`` (as ``schedule``
        triggers, the cron in pipec's canonical form). A rule that starts the pipeline on anything
        else cannot be read."""
        out = set()
        self.schedules: list[plan.Trigger] = []
        for lid, res in self.t.of_type("AWS::Events::Rule").items():
            p = res.get("Properties") or {}
            where = f"resource {lid} (AWS::Events::Rule)"
            if not any(self.starts_pipeline(t) for t in as_list(p.get("Targets"))):
                continue
            if str(self.value(p.get("State", "ENABLED"))).upper() != "ENABLED":
                continue
            schedule = self.value(p.get("ScheduleExpression"))
            if schedule is not None:
                if p.get("EventPattern") is not None:
                    self.fail(where, "has both a ScheduleExpression and an EventPattern")
                try:
                    self.schedules.append(plan.Trigger("schedule", "", cron=cron.from_eventbridge(str(schedule))))
                except ValueError as exc:
                    self.fail(where, f"ScheduleExpression: {exc}")
                continue
            pattern = self.value(p.get("EventPattern"))
            if isinstance(pattern, str):
                try:
                    pattern = json.loads(pattern)
                except json.JSONDecodeError:
                    self.fail(where, "EventPattern is not JSON")
            if not isinstance(pattern, dict):
                self.fail(where, "starts the pipeline on an event pipec cannot read")
            src = self.rule_source(pattern)
            if src is None:
                self.fail(where, f"starts the pipeline on events that match none of its sources: {pattern!r}")
            out.add(src)
        return out

    def starts_pipeline(self, target) -> bool:
        """Whether an EventBridge rule's target is this pipeline."""
        arn = self.value((target or {}).get("Arn"))
        return isinstance(arn, str) and ":codepipeline:" in arn and arn.endswith(":" + self.name)

    def rule_source(self, pattern: dict) -> str | None:
        """The CodeCommit or S3 source whose changes the event ``pattern`` matches, if any."""
        kinds = as_list(pattern.get("source"))
        detail = pattern.get("detail") or {}
        for src, a in self.sources.items():
            cfg = a.raw_config
            if a.provider == "CodeCommit" and "aws.codecommit" in kinds:
                repo = self.value(cfg.get("RepositoryName"))
                resources = [str(r) for r in as_list(pattern.get("resources"))]
                refs = as_list(detail.get("referenceName"))
                if any(r.endswith(f":{repo}") for r in resources) and (
                        not refs or self.value(cfg.get("BranchName")) in refs):
                    return src
            if a.provider == "S3" and "aws.s3" in kinds:
                buckets = as_list((detail.get("bucket") or {}).get("name"))
                keys = as_list((detail.get("object") or {}).get("key"))
                if self.value(cfg.get("S3Bucket")) in buckets and (
                        not keys or self.value(cfg.get("S3ObjectKey")) in keys):
                    return src
        return None

