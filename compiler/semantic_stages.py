"""Stages, run order and artifacts, and the two small actions: approvals and invokes.

:meth:`StageChecks.stage` numbers the run-order groups (a ``parallel`` block is one), records which
action produces each artifact and resolves ``from`` lines against them (E201, E202); it hands each
action to its family: builds in :mod:`pipec.semantic_builds`, deployments in
:mod:`pipec.semantic_deploys`, approvals and invokes here.
"""

from __future__ import annotations

import re

from pipec import ast, model, resource_names
from pipec.diagnostics import did_you_mean, shown
from pipec.patterns import check_pattern
from pipec.semantic_base import Checker, action_outputs
from pipec.semantic_tables import MAX_ACTIONS_PER_STAGE


class StageChecks(Checker):
    """Stages and ``from`` lines (:meth:`stage`, :meth:`inputs`), action dispatch, approvals and invokes."""

    def stage(self, st: ast.Stage, index: int, action_names: dict, sources) -> model.Stage:
        actions = []
        disabled = None
        seen: dict = {}
        run_order = 0
        groups: list[tuple[int, list]] = []
        blocks = []
        for item in st.body:
            if isinstance(item, ast.PlatformBlock):
                blocks.append(item)
            elif isinstance(item, ast.TransitionStmt):
                if self.once(seen, "transition", item, "the transition"):
                    disabled = item.reason
                    if not item.reason.strip():
                        self.err("E206", "a disabled transition needs a reason", item.span,
                                 "Say why runs are held here, for example \"change freeze until Monday\"; "
                                 "CodePipeline shows it to whoever looks at the stage.")
                    elif resource_names.transition_reason(item.reason) is None:
                        self.err("E206", "CodePipeline cannot show this reason for a disabled transition", item.span,
                                 "CodePipeline takes 1 to 300 letters, digits, spaces and ! @ ( ) . * ? -; pipec "
                                 "turns ; : , / into ' - ' and drops other characters (and accents), and this reason "
                                 "is empty or longer than 300 characters after that. Shorten it, in plain words.")
            elif isinstance(item, ast.Source):
                self.err("E302", f"source '{item.name}' is declared inside stage '{st.name}'", item.span,
                         "Sources form the pipeline's first stage: move this 'source' block to the top "
                         "of the pipeline, before the first 'stage'.")
            elif isinstance(item, ast.Parallel):
                members = [a for a in item.body if not isinstance(a, ast.Source)]
                for a in item.body:
                    if isinstance(a, ast.Source):
                        self.err("E302", f"source '{a.name}' is declared inside stage '{st.name}'", a.span,
                                 "Move this 'source' block to the top of the pipeline, before the first 'stage'.")
                if not members:
                    self.err("E311", "this parallel block has no actions", item.span,
                             "Put at least two actions in a parallel block, or remove it.")
                    continue
                run_order += 1
                groups.append((run_order, members))
            else:
                run_order += 1
                groups.append((run_order, [item]))
        count = sum(len(m) for _, m in groups)
        if count == 0:
            self.err("E311", f"stage '{st.name}' has no actions", st.span,
                     "Every stage needs at least one action (build, test, deploy, approve or invoke).")
        if count > MAX_ACTIONS_PER_STAGE:
            self.err("E303", f"stage '{st.name}' has {count} actions", st.span,
                     f"CodePipeline allows at most {MAX_ACTIONS_PER_STAGE} actions in a stage; split it "
                     "into several stages.")
        for order, members in groups:
            group = []
            for a in members:
                if a.name in action_names:
                    prev = action_names[a.name]
                    self.err("E200", f"action '{a.name}' is defined twice", a.span,
                             f"Action names are unique in the whole pipeline (they name CodeBuild projects "
                             f"and GitHub jobs); the first is at {self.at(prev.span)}.")
                action_names[a.name] = a
                self.check_name(a.name, a.span, "action")
                act = self.action(a, st, index, order, sources)
                if act is not None:
                    group.append(act)
            # a group's outputs are available to the groups after it, not to its own members
            for act in group:
                for out in action_outputs(act):
                    if out in self.produced and self.produced[out][2] != act.name:
                        prev = self.produced[out]
                        self.err("E200", f"artifact '{out}' is produced twice", self._output_span(act, out),
                                 f"Artifact names are unique in a pipeline; '{out}' is already produced by "
                                 f"'{prev[2]}' at {self.at(prev[3])}.")
                    else:
                        self.produced[out] = (index, act.run_order, act.name, self._output_span(act, out), st.via)
            actions.extend(group)
        aws, _, stray = self.settings(blocks, "stage")
        for line in (*stray, *aws.patches):
            self.err("E207", "a stage's aws { } block holds only 'account' and 'region'", line.span,
                     "Move this line into the aws { } block of the action it is for, or of the pipeline.")
        return model.Stage(st.name, index, tuple(actions), disabled, st.via, account=aws.first("account"),
                           region=aws.first("region"), span=st.span)

    def inputs(self, from_stmt: ast.FromStmt | None, stage_index, run_order, default_first_source,
               sources) -> tuple[str, ...]:
        """Resolve a ``from`` line; each problem points at that line."""
        names = from_stmt.names if from_stmt is not None else None
        node = from_stmt
        if names is None:
            if default_first_source and sources:
                return (sources[0].name,)
            return ()
        out = []
        for name in names:
            prod = self.produced.get(name)
            if prod is None:
                later = self._later_producers.get(name)
                if later:
                    self.err("E202", f"artifact '{name}' is used before it is produced", node.span,
                             f"'{name}' is produced by '{later[0]}' at {self.at(later[1])}, which runs "
                             "later. Move this action after it, or into a later stage.")
                else:
                    self.err("E201", f"unknown artifact '{name}'", node.span,
                             "Artifacts available here: "
                             f"{', '.join(sorted(self.produced)) or 'none'}."
                             f"{did_you_mean(name, self.produced)}")
            elif prod[0] == stage_index and prod[1] >= run_order:
                self.err("E202", f"artifact '{name}' is used before it is produced", node.span,
                         f"'{name}' is produced by '{prod[2]}', which runs at the same time as or after "
                         "this action in the same stage. Move this action after it.")
            if name in out:
                self.err("E200", f"artifact '{name}' is listed twice", node.span, "List it once.")
            out.append(name)
        return tuple(out)

    def action(self, a, st: ast.Stage, index, order, sources):
        if isinstance(a, ast.BuildAction):
            return self.build(a, st, index, order, sources)
        if isinstance(a, ast.DeployAction):
            return self.deploy(a, st, index, order, sources)
        if isinstance(a, ast.ApproveAction):
            return self.approve(a, st, index, order)
        if isinstance(a, ast.InvokeAction):
            return self.invoke(a, st, index, order, sources)
        raise AssertionError(f"unknown action node {type(a).__name__}")  # pragma: no cover

    def approve(self, a: ast.ApproveAction, st, index, order) -> model.Approval:
        seen: dict = {}
        fields: dict = {}
        emails: tuple = ()
        topic = None
        timeout = 7 * 24 * 60
        blocks = []
        for item in a.body:
            if isinstance(item, ast.Field):
                if self.once(seen, item.keyword, item, f"the {item.keyword}"):
                    fields[item.keyword] = item.value
                    if item.keyword == "url" and not re.match(r"https?://\S+$", item.value):
                        self.err("E206", f"'{item.value}' is not a web address", item.span,
                                 "The review URL must start with https:// (or http://).")
            elif isinstance(item, ast.NotifyStmt):
                if self.once(seen, "notify", item, "the notification"):
                    if item.kind == "email":
                        emails = item.values
                        for e in item.values:
                            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e):
                                self.err("E206", f"'{shown(e)}' is not an e-mail address", item.span,
                                         "Write addresses such as \"team@example.com\".")
                    else:
                        topic = item.values[0]
                        if not resource_names.SNS_TOPIC_ARN.fullmatch(topic):
                            self.err("E206", f"'{shown(topic)}' is not an SNS topic ARN", item.span,
                                     "An existing topic is given by its ARN, arn:aws:sns:REGION:ACCOUNT:NAME. "
                                     "To let pipec create one, use 'notify email ...'.")
            elif isinstance(item, ast.TimeoutStmt):
                if self.once(seen, "timeout", item, "the timeout"):
                    m = self.minutes(item.duration, "an approval timeout", "E305")
                    if m is not None:
                        if not 5 <= m <= 60 * 24 * 60:
                            self.err("E305", f"approval timeout {item.duration} is out of range", item.span,
                                     "CodePipeline waits 5 minutes to 60 days (86400 minutes) for an "
                                     "approval; the default is 7 days.")
                        timeout = m
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
        aws, github, stray = self.settings(blocks, "approve")
        for s in stray:
            self.err("E207", "secrets belong to build and test actions", s.span, "Remove this line.")
        for pattern in github.get("branches", ()):
            problem = check_pattern(pattern)
            if problem:
                self.err("E308", f"invalid pattern '{shown(pattern)}': {problem}", a.span,
                         "Patterns use *, **, ?, [a-z] and {a,b}; see 'Patterns' in docs/language.md.")
        wait = github.first("wait")
        if wait is not None and not re.fullmatch(r"[0-9]+[smhd]", wait):
            self.err("E206", f"'{wait}' is not a duration", a.span, "Write the wait timer as, say, 10m.")
        return model.Approval(
            name=a.name, stage=st.name, run_order=order, message=fields.get("message"),
            url=fields.get("url"), notify_emails=emails, topic_arn=topic, timeout_minutes=timeout,
            github_environment=github.first("environment", a.name), reviewers=github.get("reviewers", ()),
            aws=aws, github=github, platform_binding=st.via, span=a.span)

    def invoke(self, a: ast.InvokeAction, st, index, order, sources) -> model.Invoke:
        seen: dict = {}
        fields: dict = {}
        outputs: list[str] = []
        from_stmt = None
        blocks = []
        for item in a.body:
            if isinstance(item, ast.Field):
                if item.keyword == "artifact":
                    if item.value in outputs:
                        self.err("E200", f"artifact '{item.value}' is produced twice", item.span, "Name it once.")
                    else:
                        outputs.append(item.value)
                        self._invoke_output_spans[item.value] = item.span
                elif self.once(seen, item.keyword, item, f"the {item.keyword}"):
                    fields[item.keyword] = item.value
            elif isinstance(item, ast.FromStmt):
                if self.once(seen, "from", item, "the input list"):
                    from_stmt = item
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
        aws, github, stray = self.settings(blocks, "invoke")
        for s in stray:
            self.err("E207", "secrets belong to build and test actions", s.span, "Remove this line.")
        if "function" not in fields:
            self.err("E205", f"invoke '{a.name}' needs 'function'", a.span,
                     'Add a line such as: function "my-function".')
        inputs = self.inputs(from_stmt, index, order, False, sources)
        for what, items, span in (("inputs", inputs, from_stmt.span if from_stmt else a.span),
                                  ("output artifacts", outputs, a.span)):
            if len(items) > 5:
                self.err("E206", f"invoke '{a.name}' has {len(items)} {what}", span,
                         f"A Lambda invoke action in CodePipeline takes at most 5 {what}.")
        return model.Invoke(name=a.name, stage=st.name, run_order=order, function=fields.get("function", ""),
                            parameters=fields.get("parameters"), inputs=inputs, outputs=tuple(outputs),
                            aws=aws, github=github, platform_binding=st.via, span=a.span)
