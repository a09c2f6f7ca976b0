"""Semantic analysis: :class:`pipec.ast.Module` -> validated :class:`pipec.model.Pipeline`.

One pass over the tree builds the model and collects diagnostics; nothing stops at the first
problem. Errors and warnings are returned together, sorted by position. The checks cover names
and references, settings given twice or in conflict, both platforms' limits, deployment
strategies per compute platform, and a few teaching warnings (see docs/diagnostics.md).

Every default the language promises is applied here, so the model says everything explicitly.
"""

from __future__ import annotations

import re
from typing import Iterable

import attrs

from pipec import ast, aws_calls, cron, model, secretscan, setting_values
from pipec.diagnostics import ERROR, WARNING, Diagnostic, Diagnostics, Span, did_you_mean, invalid_value, shown
from pipec.patterns import check_pattern

# ----------------------------------------------------------------------------- tables

#: Settings accepted in ``aws { }`` and ``github { }`` blocks, by where the block is.
#: Each entry: key -> (minimum values, maximum values or None for any, description).
PLATFORM_SETTINGS: dict[tuple[str, str], dict[str, tuple[int, int | None, str]]] = {
    ("pipeline", "aws"): {
        "role": (1, 1, "ARN of an existing pipeline service role to use instead of creating one"),
        "permissions_boundary": (1, 1, "ARN of a permissions boundary for every role pipec creates"),
        "tag": (2, 2, "a tag KEY VALUE for every resource (repeatable)"),
        "access_logs": (1, 1, "server access logging of the buckets pipec creates: on (default) or off"),
    },
    ("pipeline", "github"): {
        "repository": (1, 1, "OWNER/REPO the workflow runs in (default: the GitHub source's repository)"),
        "runs_on": (1, None, "runner labels for every job (default: ubuntu-24.04)"),
        "workflow": (1, 1, "the workflow file name, without .yml (default: the pipeline name)"),
        "aws_region": (1, 1, "the AWS Region the jobs use (default: us-east-1)"),
        "oidc_provider": (1, 1, "ARN of an existing GitHub OIDC provider in the AWS account"),
    },
    ("build", "aws"): {
        "project_name": (1, 1, "the CodeBuild project name (default: PIPELINE-ACTION)"),
        "role": (1, 1, "ARN of an existing service role for this project"),
        "cache": (1, 1, "cache location: local (default) or s3"),
        "queued_timeout": (1, 1, "how long a build may wait in the queue, such as 8h"),
    },
    ("build", "github"): {
        "runs_on": (1, None, "runner labels for this job"),
        "run_in_codebuild": (0, 0, "run this job's commands in a CodeBuild project (aws codebuild start-build)"),
        "environment": (1, 1, "a GitHub environment for this job"),
    },
    ("deploy", "aws"): {
        "application": (1, 1, "the CodeDeploy application name (default: PIPELINE-PLATFORM)"),
        "deployment_group": (1, 1, "the CodeDeploy deployment group name (default: the action name)"),
        "role": (1, 1, "ARN of an existing role for this deployment"),
    },
    ("deploy", "github"): {
        "environment": (1, 1, "a GitHub environment for this job (default: the stage name)"),
        "runs_on": (1, None, "runner labels for this job"),
    },
    ("approve", "aws"): {
        "topic_name": (1, 1, "the name of the SNS topic pipec creates for the notification"),
    },
    ("approve", "github"): {
        "environment": (1, 1, "the environment whose reviewers approve (default: the action name)"),
        "reviewers": (1, 6, "users or org/team slugs who may approve (at most 6)"),
        "wait": (1, 1, "a wait timer before the job may start, such as 10m"),
        "branches": (1, None, "branch patterns allowed to deploy to the environment"),
    },
    ("invoke", "aws"): {},
    ("invoke", "github"): {
        "runs_on": (1, None, "runner labels for this job"),
    },
}

RUNTIMES = ("android", "dotnet", "golang", "java", "nodejs", "php", "python", "ruby")
HOOKS = {
    "ec2": ("application_stop", "before_install", "after_install", "application_start",
            "validate_service", "before_block_traffic", "after_block_traffic",
            "before_allow_traffic", "after_allow_traffic"),
    "ecs": ("before_install", "after_install", "after_allow_test_traffic", "before_allow_traffic",
            "after_allow_traffic"),
    "lambda": ("before_allow_traffic", "after_allow_traffic"),
}
STRATEGIES = {
    "ec2": ("all-at-once", "rolling", "blue-green"),
    "ecs": ("rolling", "blue-green", "canary", "linear"),
    "lambda": ("all-at-once", "canary", "linear"),
}
MAX_PATTERNS = 8
MAX_ACTIONS_PER_STAGE = 50
#: stages in one pipeline, the source stage included (CodePipeline's quota)
MAX_STAGES = 50
#: variables, each a workflow_dispatch input on GitHub (25 inputs at most since 2025; 10 before)
MAX_DISPATCH_INPUTS = 25
MAX_PUSH_FILTERS = 3
MAX_PR_FILTERS = 3
NAME_MAX = 100
SECRETISH = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)",
                       re.I)
#: An IAM action in 'allow': a service prefix and an action name, wildcards allowed in the name.
IAM_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9*?]+")
#: Commands that run tests, for W502 (a heuristic: a 'test' action always counts).
TESTISH = re.compile(r"test|verify|jest|mocha|rspec|vitest|phpunit|\bspec\b|\bcheck\b", re.I)


def looks_production(*names: str) -> bool:
    """True when any name has a word that usually means production (prod, production, live, prd)."""
    for name in names:
        if any(w in ("prod", "production", "live", "prd") for w in re.split(r"[-_.\s]+", name.lower())):
            return True
    return False


# ----------------------------------------------------------------------------- the analyzer


class _Analyzer:
    def __init__(self, module: ast.Module):
        self.module = module
        self.file = module.filename
        self.diags: list[Diagnostic] = []
        self._invoke_output_spans: dict[str, Span] = {}

    # -- reporting
    def err(self, code, message, span, help="", notes=()):
        self.diags.append(Diagnostic(code, ERROR, message, span, help, tuple(notes), self.file))

    def warn(self, code, message, span, help="", notes=()):
        self.diags.append(Diagnostic(code, WARNING, message, span, help, tuple(notes), self.file))

    def at(self, span: Span | None) -> str:
        return f"line {span.line}" if span else "elsewhere"

    # -- helpers
    def once(self, seen: dict, key: str, node, what: str) -> bool:
        """Record ``key`` as set by ``node``; report E203 and return False if it was already set."""
        if key in seen:
            self.err("E203", f"{what} is given more than once", node.span,
                     f"Keep one '{key}' line; the first is at {self.at(seen[key].span)}.")
            return False
        seen[key] = node
        return True

    def check_name(self, name: str, span, what: str, limit: int = NAME_MAX):
        if len(name) > limit:
            self.err("E208", f"{what} name '{name[:20]}...' is {len(name)} characters long", span,
                     f"CodePipeline allows at most {limit} characters in a {what} name.")

    def minutes(self, d: ast.Duration, what: str, code="E402") -> int | None:
        if d.seconds % 60:
            self.err(code, f"{what} must be a whole number of minutes, not {d}", d.span or None,
                     "Both platforms count this in minutes; write it as, for example, 5m or 1h.")
            return None
        return d.seconds // 60

    def settings(self, blocks: list[ast.PlatformBlock], where: str, grants: list | None = None):
        """The blocks' settings, checked against PLATFORM_SETTINGS; ``secret`` lines are returned
        for the caller to check, ``allow`` lines appended to ``grants`` (None: not allowed here)."""
        out = {"aws": [], "github": []}
        secrets = []
        seen_blocks: dict = {}
        for block in blocks:
            self.once(seen_blocks, block.platform, block, f"the {block.platform} block")
            table = PLATFORM_SETTINGS.get((where, block.platform), {})
            seen_keys: dict = {}
            for item in block.body:
                if isinstance(item, ast.SecretStmt):
                    secrets.append(item)
                    continue
                if isinstance(item, ast.AllowStmt):
                    if grants is None:
                        self.err("E207", "'allow' gives permissions to the commands of a build or test action",
                                 item.span, "Move this line into the aws { } block of the build or test action "
                                 "whose commands need it; pipec grants other actions what they need itself.")
                    elif self.grant_ok(item):
                        grants.append(model.Grant(item.actions, item.resources, span=item.span))
                    continue
                spec = table.get(item.key)
                if spec is None:
                    known = ", ".join(sorted(table)) or "none"
                    self.err("E204", f"'{item.key}' is not a setting of {block.platform} blocks in "
                             f"{where} {'actions' if where != 'pipeline' else 'level'}", item.span,
                             f"Settings known here: {known}.{did_you_mean(item.key, table)}")
                    continue
                lo, hi, desc = spec
                if item.key != "tag":
                    self.once(seen_keys, item.key, item, f"'{item.key}'")
                if len(item.values) < lo or (hi is not None and len(item.values) > hi):
                    count = (f"exactly {lo}" if lo == hi else
                             f"at least {lo}" if hi is None else f"{lo} to {hi}")
                    self.err("E206", f"'{item.key}' takes {count} value{'s' if hi != 1 else ''}, "
                             f"got {len(item.values)}", item.span, f"'{item.key}': {desc}.")
                    continue
                bad = setting_values.problem(item.key, tuple(item.values))
                if bad:
                    value, rule = bad
                    self.err("E206", invalid_value(value, item.key), item.span,
                             f"'{item.key}' takes {rule}.")
                    continue
                out[block.platform].append((item.key, tuple(item.values)))
        return (model.PlatformSettings(tuple(out["aws"])), model.PlatformSettings(tuple(out["github"])),
                secrets)

    def grant_ok(self, item: ast.AllowStmt) -> bool:
        ok = True
        for action in item.actions:
            if not IAM_ACTION.fullmatch(action):
                self.err("E206", f"'{action}' is not an IAM action", item.span,
                         "An IAM action is SERVICE:Action, such as \"ecr:GetAuthorizationToken\" or "
                         "\"s3:PutObject\" (wildcards * and ? are allowed in the action name).")
                ok = False
        for resource in item.resources:
            if resource != "*" and not resource.startswith("arn:"):
                self.err("E206", f"'{resource}' is not a resource ARN", item.span,
                         "Write the ARN of the resource, such as \"arn:aws:s3:::my-bucket/*\", or \"*\" for an "
                         "action that has no resource-level permissions.")
                ok = False
        return ok

    # ------------------------------------------------------------------ top level
    def run(self) -> model.Pipeline:
        p = self.module.pipeline
        self.check_name(p.name, p.span, "pipeline")
        mode = "superseded"
        mode_span = None
        variables: list[model.Variable] = []
        store = model.ArtifactStore()
        sources: list[model.Source] = []
        stage_nodes: list[ast.Stage] = []
        blocks: list[ast.PlatformBlock] = []
        seen: dict = {}
        var_names: dict = {}
        for item in p.body:
            if isinstance(item, ast.ModeStmt):
                if self.once(seen, "mode", item, "the execution mode"):
                    mode = item.mode
                    mode_span = item.span
            elif isinstance(item, ast.VariableStmt):
                if item.name in var_names:
                    self.err("E200", f"variable '{item.name}' is defined twice", item.span,
                             f"Rename one of them; the first is at {self.at(var_names[item.name].span)}.")
                else:
                    var_names[item.name] = item
                    self.check_name(item.name, item.span, "variable", 128)
                    if "${{" in (item.default or "") + (item.description or ""):
                        self.err("E206", f"variable '{item.name}' has '${{{{' in its default or description",
                                 item.span, "GitHub reads '${{' in a workflow_dispatch input as the start of an "
                                 "expression, and no expression is allowed there, so the workflow would not "
                                 "load. Write the text another way (for example '$ {{').")
                    variables.append(model.Variable(item.name, item.default, item.description,
                                                    span=item.span))
            elif isinstance(item, ast.StoreStmt):
                if self.once(seen, "artifact_store", item, "the artifact store"):
                    if item.bucket is None and item.key is None:
                        self.err("E205", "the artifact store needs a bucket, a key or both", item.span,
                                 'Write \'artifact_store bucket "my-artifacts"\' to use an existing bucket, '
                                 '\'artifact_store key "alias/pipeline"\' to have pipec create one encrypted '
                                 "with that KMS key, or both.")
                    store = model.ArtifactStore(item.bucket, item.key)
            elif isinstance(item, ast.Source):
                sources.append(self.source(item))
            elif isinstance(item, ast.Stage):
                stage_nodes.append(item)
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
        aws, github, stray = self.settings(blocks, "pipeline")
        for s in stray:  # grammar allows secret lines in github blocks; not at pipeline level
            self.err("E207", "secrets belong to the build or test action that uses them", s.span,
                     "Move this 'secret' line into the github { } block of that action.")
        if len(variables) > MAX_DISPATCH_INPUTS:
            self.err("E409", f"pipeline '{p.name}' has {len(variables)} variables", variables[MAX_DISPATCH_INPUTS].span,
                     f"GitHub accepts at most {MAX_DISPATCH_INPUTS} workflow_dispatch inputs, and each variable is "
                     "one. Combine related settings into one variable (for example a JSON value).")
        if not sources:
            self.err("E300", f"pipeline '{p.name}' has no source", p.span,
                     "Add a source before the first stage, for example: "
                     'source app github "my-org/my-repo" { branch main }.')
        if not stage_nodes:
            self.err("E301", f"pipeline '{p.name}' has no stages", p.span,
                     "A pipeline needs at least two stages: the sources (made from the 'source' "
                     "lines) and at least one stage with an action, such as a build.")
        if len(stage_nodes) + 1 > MAX_STAGES:  # the sources make CodePipeline's first stage
            self.err("E303", f"pipeline '{p.name}' has {len(stage_nodes) + 1} stages, counting the "
                     "sources' stage", stage_nodes[MAX_STAGES - 1].span,
                     f"CodePipeline allows at most {MAX_STAGES} stages in a pipeline, the source stage "
                     "included; merge stages, or split the pipeline into several .pipe files.")
        self.unique([(s.name, s.span) for s in sources], "source")
        self.check_schedules(sources)

        # stages and actions
        self.produced: dict[str, tuple] = {}  # artifact -> (stage index, run order, action name, span, binding)
        for s in sources:
            self.produced[s.name] = (-1, 0, s.name, s.span, None)
        stage_names: dict = {}
        action_names: dict = {}
        for s in sources:
            action_names[s.name] = s
        stages = []
        for index, st in enumerate(stage_nodes):
            if st.name in stage_names:
                self.err("E200", f"stage '{st.name}' is defined twice", st.span,
                         f"Stage names must be unique; the first is at {self.at(stage_names[st.name].span)}.")
            stage_names[st.name] = st
            if st.name.lower() == "source":
                self.err("E200", "the stage name 'source' is taken by the sources", st.span,
                         "pipec puts the source actions in a first stage named Source; choose another name.")
            self.check_name(st.name, st.span, "stage")
            stages.append(self.stage(st, index, action_names, sources))
        self.check_bindings(sources, stages)
        pipeline = model.Pipeline(
            name=p.name, sources=tuple(sources), stages=tuple(stages), mode=mode,
            variables=tuple(variables), artifact_store=store, aws=aws, github=github,
            filename=self.file, mode_span=mode_span,
        )
        self.teaching(pipeline)
        return pipeline

    def unique(self, names: Iterable[tuple[str, Span]], what: str):
        seen: dict = {}
        for name, span in names:
            if name in seen:
                self.err("E200", f"{what} '{name}' is defined twice", span,
                         f"Names must be unique; the first is at {self.at(seen[name])}.")
            else:
                seen[name] = span

    # ------------------------------------------------------------------ sources
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
                self.err("E308", f"invalid pattern '{pat.text}': {problem}", pat.span,
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

    # ------------------------------------------------------------------ stages
    def stage(self, st: ast.Stage, index: int, action_names: dict, sources) -> model.Stage:
        actions = []
        disabled = None
        seen: dict = {}
        run_order = 0
        groups: list[tuple[int, list]] = []
        for item in st.body:
            if isinstance(item, ast.TransitionStmt):
                if self.once(seen, "transition", item, "the transition"):
                    disabled = item.reason
                    if not item.reason.strip():
                        self.err("E206", "a disabled transition needs a reason", item.span,
                                 "Say why runs are held here, for example \"change freeze until Monday\"; "
                                 "CodePipeline shows it to whoever looks at the stage.")
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
                for out in _outputs(act):
                    if out in self.produced and self.produced[out][2] != act.name:
                        prev = self.produced[out]
                        self.err("E200", f"artifact '{out}' is produced twice", self._output_span(act, out),
                                 f"Artifact names are unique in a pipeline; '{out}' is already produced by "
                                 f"'{prev[2]}' at {self.at(prev[3])}.")
                    else:
                        self.produced[out] = (index, act.run_order, act.name, self._output_span(act, out), st.via)
            actions.extend(group)
        return model.Stage(st.name, index, tuple(actions), disabled, st.via, span=st.span)

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

    # ------------------------------------------------------------------ actions
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

    def build(self, a: ast.BuildAction, st, index, order, sources) -> model.Build:
        seen: dict = {}
        image = model.Image()
        compute, privileged, timeout = "small", False, 60
        runtimes: dict[str, tuple] = {}
        env: list[model.EnvVar] = []
        secrets: list[ast.SecretStmt] = []
        var_names: dict = {}
        phases: dict[str, model.Phase] = {}
        outputs: list[model.OutputArtifact] = []
        cache: list[str] = []
        reports: list[model.Report] = []
        ca: list[model.CodeArtifactLogin] = []
        blocks: list[ast.PlatformBlock] = []
        from_stmt = None
        for item in a.body:
            if isinstance(item, ast.ImageStmt):
                if self.once(seen, "image", item, "the image"):
                    if item.kind in ("ecr", "docker", "codebuild") and not item.ref:
                        example = {"ecr": '"123456789012.dkr.ecr.us-east-1.amazonaws.com/builder:1"',
                                   "docker": '"public.ecr.aws/docker/library/node:20"',
                                   "codebuild": '"aws/codebuild/standard:7.0"'}[item.kind]
                        self.err("E205", f"'image {item.kind}' needs the image's name", item.span,
                                 f"Write, for example: image {item.kind} {example}.")
                    if item.kind == "ecr" and item.ref and ".dkr.ecr." not in item.ref:
                        self.err("E206", f"'{item.ref}' is not an ECR image URI", item.span,
                                 "An ECR image looks like ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG; "
                                 "for other registries use 'image docker'.")
                    image = model.Image(item.kind, item.ref)
            elif isinstance(item, ast.ComputeStmt):
                if self.once(seen, "compute", item, "the compute size"):
                    compute = item.size
            elif isinstance(item, ast.Flag):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    privileged = True
            elif isinstance(item, ast.TimeoutStmt):
                if self.once(seen, "timeout", item, "the timeout"):
                    m = self.minutes(item.duration, "a build timeout", "E306")
                    if m is not None:
                        if not 5 <= m <= 2160:
                            self.err("E306", f"build timeout {item.duration} is out of range", item.span,
                                     "CodeBuild accepts 5 minutes to 36 hours (2160 minutes).")
                        timeout = m
            elif isinstance(item, ast.RuntimeStmt):
                if item.name not in RUNTIMES:
                    self.err("E206", f"unknown runtime '{item.name}'", item.span,
                             f"Runtimes: {', '.join(RUNTIMES)}.{did_you_mean(item.name, RUNTIMES)}")
                elif item.name in runtimes:
                    self.err("E203", f"runtime '{item.name}' is given more than once", item.span,
                             "Choose one version per runtime.")
                else:
                    runtimes[item.name] = (item.name, item.version)
            elif isinstance(item, ast.EnvStmt):
                if self._var_name(var_names, item):
                    env.append(model.EnvVar(item.name, item.value))
                    if SECRETISH.search(item.name):
                        self.warn("W503", f"'{item.name}' looks like a secret but is a plain variable",
                                  item.span,
                                  "Plain variables are written into the build's configuration and logs in "
                                  f"clear text. Keep the value in Parameter Store or Secrets Manager and "
                                  f"write 'secret {item.name} from ssm \"/path\"'.")
            elif isinstance(item, ast.SecretStmt):
                if item.store == "github":
                    self.err("E207", "a GitHub secret belongs in the action's github { } block", item.span,
                             f"Write 'secret {item.name} from ssm|secrets-manager \"...\"' here, and "
                             f"'github {{ secret {item.name} from github \"NAME\" }}' to use a GitHub "
                             "secret on GitHub Actions instead.")
                elif self._var_name(var_names, item):
                    secrets.append(item)
            elif isinstance(item, ast.FromStmt):
                if self.once(seen, "from", item, "the input list"):
                    from_stmt = item
            elif isinstance(item, ast.Phase):
                if self.once(seen, f"phase:{item.name}", item, f"the {item.name} phase"):
                    if not item.commands:
                        self.err("E205", f"the {item.name} phase has no commands", item.span,
                                 "CodeBuild needs at least one command in a phase: add a 'run' line "
                                 "or remove the phase.")
                    phases[item.name] = model.Phase(
                        item.name, tuple(model.Command(c.text, c.script, span=c.span) for c in item.commands),
                        tuple(model.Command(c.text, c.script, span=c.span) for c in item.finally_commands),
                        item.on_failure or "abort")
            elif isinstance(item, ast.ArtifactStmt):
                if any(o.name == item.name for o in outputs):
                    self.err("E200", f"artifact '{item.name}' is produced twice", item.span,
                             "Give each output artifact its own name.")
                else:
                    self.check_name(item.name, item.span, "artifact")
                    outputs.append(model.OutputArtifact(item.name, item.files, item.base, item.discard_paths,
                                                        span=item.span))
            elif isinstance(item, ast.CacheStmt):
                cache.extend(p for p in item.paths if p not in cache)
            elif isinstance(item, ast.ReportStmt):
                if any(r.name == item.name for r in reports):
                    self.err("E200", f"report '{item.name}' is defined twice", item.span,
                             "Give each report its own name.")
                else:
                    reports.append(model.Report(item.name, item.format, item.files, item.base))
            elif isinstance(item, ast.CodeArtifactStmt):
                if any(c.tool == item.tool for c in ca):
                    self.err("E203", f"CodeArtifact login for {item.tool} is given twice", item.span,
                             "Log each tool in once.")
                else:
                    ca.append(model.CodeArtifactLogin(item.tool, item.domain, item.repository, item.owner))
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
        grants: list[model.Grant] = []
        aws, github, gh_secrets = self.settings(blocks, "build", grants)
        secret_models = []
        overrides = {}
        for s in gh_secrets:
            if s.store != "github":
                self.err("E207", f"secrets from {s.store} are written outside the github block", s.span,
                         "Inside github { } a secret maps an action secret to a GitHub secret: "
                         f"'secret {s.name} from github \"SECRET_NAME\"'.")
            elif s.name not in {x.name for x in secrets}:
                self.err("E206", f"the github block maps '{s.name}', which is not a secret of this action",
                         s.span, f"Declare it first: 'secret {s.name} from ssm \"/path\"' (used on "
                         "CodePipeline), then map it to a GitHub secret here.")
            elif s.name in overrides:
                self.err("E203", f"'{s.name}' is mapped twice", s.span, "Map each secret once.")
            else:
                overrides[s.name] = s.ref
        for s in secrets:
            secret_models.append(model.Secret(s.name, s.store, s.ref, overrides.get(s.name)))
        if not phases and not any(isinstance(i, ast.Phase) for i in a.body):
            self.err("E205", f"{a.kind} action '{a.name}' has no commands", a.span,
                     'Add at least one phase, for example: build "make".')
        queued = aws.first("queued_timeout")
        if queued is not None:
            m = re.fullmatch(r"([0-9]+)([mhd])", queued)
            minutes = int(m.group(1)) * {"m": 1, "h": 60, "d": 1440}[m.group(2)] if m else None
            if minutes is None or not 5 <= minutes <= 480:
                self.err("E206", f"queued_timeout '{queued}' is not a duration from 5m to 8h", a.span,
                         "CodeBuild lets a build wait in the queue 5 minutes to 8 hours; write, say, 1h.")
        if aws.first("cache") not in (None, "local", "s3"):
            self.err("E206", f"cache location '{aws.first('cache')}' is not local or s3", a.span,
                     "Write 'cache local' (on the build host) or 'cache s3' (in the artifact bucket).")
        inputs = self.inputs(from_stmt, index, order, True, sources)
        if len(inputs) > 5:
            self.err("E206", f"{a.kind} action '{a.name}' has {len(inputs)} inputs", seen["from"].span,
                     "CodeBuild accepts at most 5 input artifacts.")
        if len(outputs) > 5:
            self.err("E206", f"{a.kind} action '{a.name}' has {len(outputs)} output artifacts", outputs[5].span,
                     "A CodeBuild action in CodePipeline produces at most 5 output artifacts; put related files "
                     "in one artifact.")
        build = model.Build(
            name=a.name, kind=a.kind, stage=st.name, run_order=order, inputs=inputs, image=image,
            compute=compute, privileged=privileged, timeout_minutes=timeout,
            runtimes=tuple(runtimes.values()), env=tuple(env), secrets=tuple(secret_models),
            phases=tuple(phases[p] for p in model.PHASE_ORDER if p in phases),
            outputs=tuple(outputs), cache=tuple(cache), reports=tuple(reports),
            codeartifact=tuple(ca), aws=aws, github=github, platform_binding=st.via,
            grants=tuple(grants), span=a.span)
        self.diags.extend(aws_calls.check(build, self.file, self.module.source))
        return build

    def _var_name(self, names: dict, item) -> bool:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item.name):
            self.err("E208", f"'{item.name}' cannot be an environment variable name", item.span,
                     "Shells accept only letters, digits and '_' in variable names (not starting with a "
                     f"digit); write, for example, {item.name.replace('-', '_').upper()}.")
            return False
        if item.name in names:
            self.err("E200", f"variable '{item.name}' is set twice in this action", item.span,
                     f"A name can be a plain variable or a secret, once; the first is at "
                     f"{self.at(names[item.name].span)}.")
            return False
        names[item.name] = item
        return True

    # ------------------------------------------------------------------ deployments
    def strategy(self, node: ast.Strategy | None, platform: str, span) -> model.Strategy:
        if node is None:
            default = {"ec2": model.Strategy("rolling", "one-at-a-time"),
                       "ecs": model.Strategy("rolling"),
                       "lambda": model.Strategy("all-at-once")}[platform]
            return attrs.evolve(default, span=span)
        allowed = STRATEGIES[platform]
        if node.kind not in allowed:
            helps = {
                ("ec2", "canary"): "CodeDeploy shifts traffic in steps only for ECS and Lambda. On EC2, "
                                   "use 'strategy rolling one-at-a-time' or 'strategy blue-green'.",
                ("ec2", "linear"): "CodeDeploy shifts traffic in steps only for ECS and Lambda. On EC2, "
                                   "use 'strategy rolling half-at-a-time' or 'strategy blue-green'.",
                ("ecs", "all-at-once"): "On ECS, 'blue-green' shifts all traffic at once to a new task set "
                                        "(CodeDeploy), and 'rolling' replaces tasks in place (ECS).",
                ("lambda", "rolling"): "A Lambda alias has no instances to roll over: use 'all-at-once', "
                                       "'canary' or 'linear' traffic shifting.",
                ("lambda", "blue-green"): "On Lambda every deployment shifts the alias between two "
                                          "versions; 'all-at-once' is the blue/green switch.",
            }
            self.err("E400", f"strategy '{node.kind}' is not available when deploying to {platform}",
                     node.span, helps.get((platform, node.kind),
                                          f"Strategies for {platform}: {', '.join(allowed)}."))
            return model.Strategy(node.kind, span=node.span)
        percent = node.percent.value if node.percent else None
        interval = None
        if node.kind == "rolling":
            if platform == "ec2" and node.batch is None:
                self.err("E205", "a rolling deployment to EC2 needs a batch size", node.span,
                         "Write 'strategy rolling one-at-a-time', 'rolling half-at-a-time' or "
                         "'rolling min_healthy 75%'.")
            if platform == "ecs" and node.batch is not None:
                self.err("E400", f"'rolling {node.batch if node.batch != 'min_healthy' else 'min_healthy'}' "
                         "is for EC2 instances", node.span,
                         "An ECS rolling update is paced by the service's minimum and maximum healthy "
                         "percent; write plain 'strategy rolling'.")
            if node.batch == "min_healthy" and percent is not None and not 0 <= percent <= 99:
                self.err("E401", f"minimum healthy {percent}% is out of range", node.percent.span,
                         "Use 0% to 99% of the fleet.")
        if node.kind in ("canary", "linear"):
            if percent is not None and not 1 <= percent <= 99:
                self.err("E401", f"{node.kind} step {percent}% is out of range", node.percent.span,
                         "Traffic shifts in steps of 1% to 99%.")
            if node.interval is not None:
                interval = self.minutes(node.interval, f"the {node.kind} interval")
                if interval is not None and not 1 <= interval <= 2880:
                    self.err("E402", f"{node.kind} interval {node.interval} is out of range", node.interval.span,
                             "CodeDeploy waits 1 to 2880 minutes between traffic shifts.")
        terminate = None
        if node.kind == "blue-green" and node.interval is not None:
            terminate = self.minutes(node.interval, "terminate_after")
            if terminate is not None and terminate > 2880:
                self.err("E402", f"terminate_after {node.interval} is out of range", node.interval.span,
                         "CodeDeploy keeps the old fleet for at most 2880 minutes (2 days).")
        return model.Strategy(node.kind, node.batch, percent, interval, terminate, span=node.span)

    def deploy(self, a: ast.DeployAction, st, index, order, sources):
        p = a.platform
        seen: dict = {}
        fields: dict[str, str] = {}
        lists: dict[str, tuple] = {}
        strategy_node = None
        rollback = model.Rollback()
        hooks: list[model.Hook] = []
        hook_nodes: list[ast.HookStmt] = []
        tags, files, perms = [], [], []
        container = port = None
        network = versions = None
        params: list[tuple[str, str]] = []
        change_set = ...
        extract = False
        blocks = []
        from_stmt = None
        for item in a.body:
            if isinstance(item, ast.FromStmt):
                if self.once(seen, "from", item, "the input list"):
                    from_stmt = item
            elif isinstance(item, ast.Strategy):
                if self.once(seen, "strategy", item, "the strategy"):
                    strategy_node = item
            elif isinstance(item, ast.RollbackStmt):
                if self.once(seen, "rollback", item, "the rollback setting"):
                    rollback = model.Rollback(item.on_failure, item.alarms)
            elif isinstance(item, ast.HookStmt):
                hook_nodes.append(item)
            elif isinstance(item, ast.Field):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    fields[item.keyword] = item.value
            elif isinstance(item, ast.ListStmt):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    lists[item.keyword] = item.values
            elif isinstance(item, ast.InstancesStmt):
                seen.setdefault("instances", item)
                if (item.key, item.value) in tags:
                    self.err("E203", f"tag {item.key} = {item.value} is given twice", item.span, "Remove one.")
                else:
                    tags.append((item.key, item.value))
            elif isinstance(item, ast.CopyStmt):
                files.append((item.source, item.destination))
            elif isinstance(item, ast.PermissionStmt):
                perms.append((item.path, item.owner, item.group, item.mode))
                if item.mode is not None and not re.fullmatch(r"[0-7]{3,4}", item.mode):
                    self.err("E206", f"'{item.mode}' is not a file mode", item.span,
                             "Write the mode as octal digits, such as 644 or 0755.")
            elif isinstance(item, ast.ContainerStmt):
                if self.once(seen, "container", item, "the container"):
                    container, port = item.name, item.port
            elif isinstance(item, ast.NetworkStmt):
                if self.once(seen, "network", item, "the network"):
                    network = model.EcsNetwork(item.subnets, item.security_groups, item.public_ip)
            elif isinstance(item, ast.VersionsStmt):
                if self.once(seen, "versions", item, "the versions"):
                    versions = item
            elif isinstance(item, ast.ParameterStmt):
                if any(k == item.name for k, _ in params):
                    self.err("E200", f"parameter '{item.name}' is given twice", item.span, "Set it once.")
                else:
                    params.append((item.name, item.value))
            elif isinstance(item, ast.ChangeSetStmt):
                if self.once(seen, "change_set", item, "the change set"):
                    change_set = item.name
            elif isinstance(item, ast.Flag):
                if self.once(seen, item.keyword, item, f"'{item.keyword}'"):
                    extract = True
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
        aws, github, stray = self.settings(blocks, "deploy")
        for s in stray:
            self.err("E207", "secrets belong to build and test actions", s.span,
                     "A deployment reads no secrets; remove this line.")

        def need(key, example):
            if key not in fields and key not in lists:
                self.err("E205", f"deploy to {p} '{a.name}' needs '{key}'", a.span,
                         f"Add a line such as: {example}.")
                return False
            return True

        needs_input = p in ("ec2", "ecs", "cloudformation", "s3")
        if from_stmt is None and needs_input:
            what = {"ec2": "the revision (application files, scripts)",
                    "ecs": "imagedefinitions.json or taskdef.json",
                    "cloudformation": "the template", "s3": "the files to upload"}[p]
            self.err("E205", f"deploy '{a.name}' needs an input artifact", a.span,
                     f"Say which artifact holds {what}, for example: from dist.")
        inputs = self.inputs(from_stmt, index, order, False, sources)
        if p == "lambda" and from_stmt is not None:
            self.err("E207", "a deploy to lambda takes no input artifact", from_stmt.span,
                     "CodeDeploy moves the alias between versions the function already has; it reads no files. "
                     "Publish the new code in a build (for example 'aws lambda update-function-code' or "
                     "'sam deploy'), then deploy: remove the 'from' line.")
        if p in ("ec2", "ecs", "s3") and len(inputs) > 1:
            self.err("E206", f"deploy to {p} takes one input artifact, not {len(inputs)}", seen["from"].span,
                     "Combine the files into one artifact in the build.")
        common = dict(name=a.name, stage=st.name, run_order=order, inputs=inputs, aws=aws, github=github,
                      platform_binding=st.via, span=a.span)

        if p == "cloudformation":
            if len(inputs) > 10:
                self.err("E206", f"deploy to cloudformation takes at most 10 input artifacts, not {len(inputs)}",
                         seen["from"].span, "CodePipeline's CloudFormation action reads at most 10 artifacts.")
            need("stack", "stack my-stack")
            need("template", 'template "packaged.yaml"')
            caps = lists.get("capabilities", ())
            return model.StackDeploy(stack=fields.get("stack", ""), template=fields.get("template", ""),
                                     parameters=tuple(params), capabilities=tuple(caps),
                                     change_set=(f"pipec-{a.name}" if change_set is ... else change_set),
                                     **common)
        if p == "s3":
            need("bucket", 'bucket "my-site-bucket"')
            key = fields.get("object_key")
            if extract and key is not None:
                self.err("E207", "'extract' and 'object_key' cannot be used together", seen["object_key"].span,
                         "'extract' unpacks the artifact's files into the bucket; 'object_key' uploads the "
                         "artifact as one zip under that key. Keep one.")
            if not extract and key is None:
                self.err("E205", f"deploy to s3 '{a.name}' needs 'extract' or 'object_key'", a.span,
                         "Write 'extract' to upload the files, or 'object_key \"releases/app.zip\"' to "
                         "upload the zip.")
            return model.BucketDeploy(bucket=fields.get("bucket", ""), extract=extract or key is None,
                                      object_key=key, cache_control=fields.get("cache_control"), **common)

        strategy = self.strategy(strategy_node, p, a.span)
        for h in hook_nodes:
            if h.event not in HOOKS[p]:
                self.err("E403", f"hook '{h.event}' does not exist when deploying to {p}", h.span,
                         f"Hooks for {p}: {', '.join(HOOKS[p])}.{did_you_mean(h.event, HOOKS[p])}")
                continue
            secs = None
            if p != "ec2" and (h.timeout is not None or h.run_as is not None):
                self.err("E207", "'timeout' and 'as' are for EC2 hook scripts", h.span,
                         f"On {p} a hook is a Lambda function; its own timeout applies.")
            if h.timeout is not None:
                secs = h.timeout.seconds
                if not 1 <= secs <= 3600:
                    self.err("E307", f"hook timeout {h.timeout} is out of range", h.timeout.span,
                             "CodeDeploy allows a hook script at most 3600 seconds (1h).")
            if p != "ec2" and any(x.event == h.event for x in hooks):
                self.err("E203", f"hook '{h.event}' is given twice", h.span,
                         f"On {p} each hook runs one Lambda function.")
                continue
            hooks.append(model.Hook(h.event, h.target, secs, h.run_as))

        if p == "ec2":
            os_name = fields.get("os", "linux")
            if os_name == "windows" and any(h.run_as for h in hooks):
                self.err("E207", "'as USER' is not supported on Windows instances", seen["os"].span,
                         "CodeDeploy runs Windows hook scripts as the agent's user; remove 'as'.")
            if os_name == "windows" and perms:
                self.err("E207", "'permission' is not supported on Windows instances", seen["os"].span,
                         "The CodeDeploy agent fails a Windows deployment whose appspec sets permissions; "
                         "set file permissions in a hook script instead.")
            per_event: dict[str, list[int]] = {}
            for h in hooks:
                per_event.setdefault(h.event, []).append(h.timeout_seconds or 0)
            for event, timeouts in per_event.items():
                total = sum(timeouts)
                if len(timeouts) > 1 and total > 3600 and max(timeouts) <= 3600:
                    first = next(n for n in hook_nodes if n.event == event)
                    self.err("E307", f"the {event} hooks may take {total} seconds together", first.span,
                             "CodeDeploy allows the scripts of one lifecycle event 3600 seconds in total; "
                             "shorten their timeouts or merge the scripts.")
            asgs = lists.get("autoscaling", ())
            if not tags and not asgs:
                self.err("E406", f"deploy to ec2 '{a.name}' does not say which instances", a.span,
                         "Add 'instances tag KEY = VALUE' or 'autoscaling \"group-name\"'.")
            if strategy.kind == "blue-green" and (not asgs or "target_group" not in fields):
                self.err("E405", "blue/green on EC2 needs an Auto Scaling group and a target group",
                         strategy.span or a.span,
                         "CodeDeploy copies the Auto Scaling group to build the green fleet and moves the "
                         "target group's traffic to it: add 'autoscaling \"asg\"' and 'target_group \"tg\"'.")
            target = model.Ec2Target(tuple(tags), asgs, fields.get("target_group"), os_name,
                                     tuple(files), tuple(perms))
        elif p == "ecs":
            need("cluster", "cluster my-cluster")
            need("service", "service my-service")
            tgs = lists.get("target_groups", ())
            shifting = strategy.kind in ("blue-green", "canary", "linear")
            if shifting:
                missing = [k for k in ("listener", "target_groups") if k not in fields and k not in lists]
                if missing:
                    self.err("E404", f"{strategy.kind} on ECS needs {' and '.join(missing)}",
                             strategy.span or a.span,
                             "CodeDeploy moves traffic from the blue to the green target group behind a "
                             "load-balancer listener: add 'listener \"arn:...\"' and "
                             "'target_groups blue-tg green-tg'.")
                if container is None:
                    self.err("E205", f"{strategy.kind} on ECS needs the container and port", a.span,
                             "Add 'container NAME port N': the container the load balancer sends traffic to.")
            else:
                for key in ("listener", "test_listener", "target_groups", "network", "platform_version",
                            "task_definition"):
                    if key in seen:
                        self.err("E207", f"'{key}' is only used by blue/green, canary and linear deployments",
                                 seen[key].span,
                                 "A rolling ECS update keeps the service's load balancer and network as "
                                 "they are. Remove this line, or choose a traffic-shifting strategy.")
                for h in hook_nodes:
                    if h.event in HOOKS["ecs"]:
                        self.err("E403", "hooks run only in CodeDeploy deployments", h.span,
                                 "A rolling ECS update has no lifecycle hooks; use blue-green, canary or "
                                 "linear to run hook functions.")
            if shifting and "test_listener" not in fields:
                for h in hook_nodes:
                    if h.event == "after_allow_test_traffic":
                        self.err("E207", "'after_allow_test_traffic' never runs without a test listener",
                                 h.span, "CodeDeploy runs this hook after it routes test traffic, which needs "
                                 "'test_listener \"arn:...\"'; add one or remove the hook.")
            if "test_listener" in fields and "listener" not in fields:
                self.err("E207", "'test_listener' needs 'listener'", seen["test_listener"].span,
                         "The test listener is the second listener of the same load balancer.")
            target = model.EcsTarget(
                fields.get("cluster", ""), fields.get("service", ""), container, port,
                fields.get("listener"), fields.get("test_listener"), tgs,
                fields.get("task_definition", "taskdef.json"),
                fields.get("image_file", "imagedefinitions.json"), fields.get("platform_version"), network)
        else:  # lambda
            need("function", 'function "my-function"')
            need("alias", "alias live")
            if versions is not None:
                if not (versions.current.isdigit() and versions.target.isdigit()) or \
                        "0" in (versions.current.lstrip("0") or "0", versions.target.lstrip("0") or "0"):
                    self.err("E206", "Lambda versions are published version numbers, such as 3", versions.span,
                             "Write 'versions current 3 target 4' with the numbers Lambda gave the versions, "
                             "or leave 'versions' out to let the deployment find them.")
                elif int(versions.current) == int(versions.target):
                    self.err("E206", "the current and target versions are the same", versions.span,
                             "A deployment shifts traffic from one version to another; give two versions.")
            target = model.LambdaTarget(fields.get("function", ""), fields.get("alias", ""),
                                        versions.current if versions else None,
                                        versions.target if versions else None)
        return model.Deploy(platform=p, target=target, strategy=strategy, rollback=rollback,
                            hooks=tuple(hooks), **common)

    # ------------------------------------------------------------------ approvals and invokes
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
                                self.err("E206", f"'{e}' is not an e-mail address", item.span,
                                         "Write addresses such as \"team@example.com\".")
                    else:
                        topic = item.values[0]
                        if not re.fullmatch(r"arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}", topic):
                            self.err("E206", f"'{topic}' is not an SNS topic ARN", item.span,
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
                self.err("E308", f"invalid pattern '{pattern}': {problem}", a.span,
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

    # ------------------------------------------------------------------ whole-pipeline checks
    def _output_span(self, act, name: str) -> Span | None:
        """Where ``act`` declares the output artifact ``name`` (the action itself if unknown)."""
        if isinstance(act, model.Build):
            for o in act.outputs:
                if o.name == name and o.span is not None:
                    return o.span
        if isinstance(act, model.Invoke):
            return self._invoke_output_spans.get(name, act.span)
        return act.span

    def check_bindings(self, sources, stages):
        starts = {t.platform for s in sources for t in s.triggers}
        for st in stages:
            if st.platform and st.platform not in starts and None not in starts:
                self.err("E310", f"stage '{st.name}' runs only on {st.platform}, but nothing starts the "
                         f"pipeline there", st.span,
                         f"Every trigger is bound to another platform. Add a trigger 'via {st.platform}' (or "
                         "one without 'via'), or remove 'via' from this stage.")
        binding = {s.name: None for s in sources}
        for st in stages:
            for act in st.actions:
                for out in _outputs(act):
                    binding[out] = st.platform
        for st in stages:
            for act in st.actions:
                for name in act.inputs:
                    other = binding.get(name)
                    if other and st.platform != other:
                        where = f"only on {other}"
                        self.err("E310", f"'{act.name}' uses artifact '{name}', which is produced {where}",
                                 act.span,
                                 f"Stage '{st.name}' runs on {st.platform or 'both platforms'}, so its inputs "
                                 "must be produced there too. Bind both stages to the same platform, or "
                                 "produce the artifact in a stage that runs on both.")

    def teaching(self, p: model.Pipeline):
        """Teaching warnings. An approval or a test counts for a deployment only when it runs
        strictly before it: in an earlier stage, or earlier in the same stage (not in the same
        parallel group, not after it)."""
        deploys = [a for st in p.stages if st.platform != "github" for a in st.actions
                   if isinstance(a, (model.Deploy, model.StackDeploy, model.BucketDeploy))]
        if deploys:
            for src in p.sources:
                for t in src.triggers:
                    if isinstance(t, model.PullRequestTrigger) and t.platform != "github":
                        self.warn("W506", f"a pull request starts this pipeline, deployments included "
                                  f"('{deploys[0].name}')", t.span,
                                  "A CodePipeline run started by a pull request runs every stage, so "
                                  "unreviewed code would be deployed. Check pull requests on GitHub "
                                  "('on pull_request ... via github' with 'stage ... via github' for the "
                                  "checks), or keep pull-request pipelines free of deployments.")
        approved = tested = False
        for st in p.stages:
            orders = sorted({a.run_order for a in st.actions})
            for order in orders:
                group = [a for a in st.actions if a.run_order == order]
                for act in group:
                    self.check_deploy(st, act, approved, tested)
                for act in group:
                    if isinstance(act, model.Approval):
                        approved = True
                    if isinstance(act, model.Build) and (act.kind == "test" or any(
                            TESTISH.search(c.text) for ph in act.phases for c in ph.commands)):
                        tested = True

    def check_deploy(self, st: model.Stage, act, approved: bool, tested: bool):
        if isinstance(act, model.Deploy) and act.strategy.kind in ("canary", "linear") \
                and act.strategy.kind in STRATEGIES[act.platform] and not act.rollback.alarms:
            self.warn("W505", f"'{act.name}' shifts traffic in steps without alarms", act.strategy.span or act.span,
                      "Traffic shifting is only as safe as what watches it: name the CloudWatch alarms that "
                      "should stop the deployment, 'rollback on failure alarm \"HighErrorRate\"'.")
        if not isinstance(act, (model.Deploy, model.StackDeploy, model.BucketDeploy)):
            return
        if not looks_production(st.name, act.name):
            return
        if not approved:
            self.warn("W501", f"'{act.name}' deploys to production without an approval before it", act.span,
                      "Until automated tests earn the team's full trust, put an 'approve' action before "
                      "production (in an earlier stage, or earlier in this one) so that a person checks "
                      "staging first.")
        if not tested:
            self.warn("W502", f"'{act.name}' deploys to production without a test before it", act.span,
                      "Run tests before production: a 'test' action, or a build whose commands run the tests, "
                      "in an earlier stage or earlier in this one.")
        if isinstance(act, model.Deploy):
            if act.strategy.kind == "all-at-once":
                self.warn("W500", f"'{act.name}' deploys all at once to production", act.strategy.span or act.span,
                          "All-at-once updates every target together: a bad version hits every user and rolling "
                          "back means redeploying. Prefer rolling, blue-green or canary for production.")
            if not act.rollback.enabled:
                self.warn("W504", f"'{act.name}' deploys to production without automatic rollback", act.span,
                          "With 'rollback none' a failed deployment stays failed until someone redeploys by "
                          "hand; 'rollback on failure' is the safe default.")


def _outputs(act) -> tuple[str, ...]:
    if isinstance(act, model.Build):
        return tuple(o.name for o in act.outputs)
    if isinstance(act, model.Invoke):
        return act.outputs
    return ()


def _later_producers(module: ast.Module) -> dict[str, tuple[str, Span]]:
    """Every artifact produced anywhere in the file: name -> (action name, span). Used to tell
    'used before it is produced' (E202) from 'unknown' (E201)."""
    out: dict[str, tuple[str, Span]] = {}

    def visit(items):
        for it in items:
            if isinstance(it, ast.Stage):
                visit(it.body)
            elif isinstance(it, ast.Parallel):
                visit(it.body)
            elif isinstance(it, ast.BuildAction):
                for b in it.body:
                    if isinstance(b, ast.ArtifactStmt):
                        out.setdefault(b.name, (it.name, b.span))
            elif isinstance(it, ast.InvokeAction):
                for b in it.body:
                    if isinstance(b, ast.Field) and b.keyword == "artifact":
                        out.setdefault(b.value, (it.name, b.span))

    visit(module.pipeline.body)
    return out


def analyze(module: ast.Module) -> tuple[model.Pipeline, list[Diagnostic]]:
    """Build the validated model. Returns ``(pipeline, warnings)``; raises
    :class:`~pipec.diagnostics.Diagnostics` with every error and warning when there are errors."""
    an = _Analyzer(module)
    an._later_producers = _later_producers(module)
    pipeline = an.run()
    if not any(d.severity == ERROR for d in an.diags):
        from pipec import resource_names

        def invalid(node, what, value, rule):
            an.err("E206", invalid_value(value, what), getattr(node, "span", None),
                   f"The {what} must be {rule}.")

        resource_names.check(pipeline, invalid)
    # W503 from the values themselves (pipec.secretscan); it replaces the name-based W503 of the
    # same line, since it says more precisely what and where the secret is
    found = secretscan.check(module)
    by_value = {span for span, _ in found}
    diags = [d for d in an.diags if not (d.code == "W503" and d.span in by_value)] + [d for _, d in found]
    # detect-secrets' inline allowlist comment ('# pragma: allowlist secret') silences W503 there
    diags = [d for d in diags if not (d.code == "W503" and secretscan.allowlisted(module.source, d.span))]
    diags = sorted(diags, key=Diagnostic.sort_key)
    if any(d.severity == ERROR for d in diags):
        raise Diagnostics(diags)
    return pipeline, diags
