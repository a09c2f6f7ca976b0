"""The normal form of what a pipeline *does*, on one platform: a :class:`Plan`.

Equality of plans is pipec's definition of "equivalent". Three plans exist for a pipeline:

- :func:`from_model` projects the validated model onto a platform (``aws`` or ``github``): the
  stages and triggers bound to it, with that platform's documented differences applied (each one
  tied to the warning that announces it, see :data:`DIFFERENCES`);
- ``pipec.targets.aws.read`` reads the CloudFormation template, buildspecs and appspecs from disk;
- ``pipec.targets.github.read`` reads the workflow (and environment files) from disk.

The properties in tests/test_equivalence.py check ``from_model(p, "aws") == aws.read(...)`` and
``from_model(p, "github") == github.read(...)`` for generated pipelines, and that the two
platforms' plans differ only in fields that a warning announces.

**Normalisations** (each is an equivalence of pipec's semantics, so none hides a difference; the
list is repeated with reasons in docs/equivalence.md):

1. *Filters* are sets of canonical pattern alternatives (:func:`canonical_patterns`): braces
   expanded, each ``[...]`` set split into one set per character class (letters and digits stay
   ranges, ``_ . -`` become literals), and every ``**/`` at the start of a segment written both
   with and without it (pipec's ``**/`` matches zero directories too); ``**/**`` is ``**``.
   A filter with no include
   includes ``**``. Order does not matter (excludes always win).
2. *Ordering* is the transitive closure of "must finish before" between jobs (``after``), not the
   stage/run-order layout that produces it.
3. *Commands* are compared as the strings written in the ``.pipe`` file; each platform's own
   machinery around them (the AWS target's appspec copy into an EC2 revision, the GitHub target's
   shell-state helper and ``|| exit``) is removed by the reader that recognises it.
4. *Names* of things a platform generates for itself (logical IDs, role names, job display names,
   CodeDeploy application defaults, the CodeDeploy config resource's name) are not part of the
   plan; names the ``.pipe`` file gives are.
5. *Secrets* are compared by reference (store and parameter/secret id), never by value.
6. *Triggers* of one kind and source that differ only in their includes (push, tag) or only in
   their events (pull_request) are one trigger with the union (:func:`normal_triggers`).
7. *Test and build actions* are both ``build`` jobs: CodePipeline's Test category is a label in
   its console and changes nothing that runs.
8. *Cache paths* ``dir/**/*`` are ``dir``; *report files* are joined with their base directory.
9. *Java* ``N`` is ``correttoN``: Amazon Corretto is the only Java CodeBuild installs.
10. *Schedules* are the times they select, in UTC (:func:`pipec.cron.canonical`): names are
    numbers, steps are written out, a field that selects every value is ``*``; EventBridge's
    ``?`` is ``*`` and its days of the week 1-7 are 0-6. A schedule starts the whole pipeline, so
    its trigger has no source.
11. *Environment values* are those the build sees: a pipeline variable replaces a build ``env`` or
    secret of the same name (docs/language.md, "Values a build sees"), which is then not part of
    the plan; CodeBuild's built-in variables are ``builtins``, ``(name, meaning)``.
"""

from __future__ import annotations

from pipec import model
from pipec.node import Node, evolve, field, node


def _t():
    return field(default=())


# ----------------------------------------------------------------------------- filters


def _split_sets(alt: str) -> list[str]:
    """``alt`` with each ``[...]`` set split by character class: one alternative per group of
    letters/digit ranges, one per punctuation member."""
    from pipec.patterns import _set_ranges  # the checker's own set parser

    out = [""]
    i = 0
    while i < len(alt):
        c = alt[i]
        if c == "[":
            close = alt.index("]", i)
            ranges = _set_ranges(alt[i + 1:close])
            alnum = [(a, b) for a, b in ranges if a.isalnum()]
            punct = sorted({a for a, b in ranges if not a.isalnum()})
            choices = []
            if alnum:
                choices.append("[" + "".join(a if a == b else f"{a}-{b}" for a, b in sorted(alnum)) + "]")
            choices.extend(punct)
            out = [o + ch for o in out for ch in choices]
            i = close + 1
        else:
            out = [o + c for o in out]
            i += 1
    return out


def _dir_variants(alt: str) -> list[str]:
    """``alt`` and every variant without some ``**/`` that starts a segment (zero directories)."""
    out = {alt}
    changed = True
    while changed:
        changed = False
        for p in list(out):
            i = p.find("**/")
            while i != -1:
                if i == 0 or p[i - 1] == "/":
                    q = p[:i] + p[i + 3:]
                    if q and q not in out:
                        out.add(q)
                        changed = True
                i = p.find("**/", i + 1)
    return sorted(out)


def canonical_patterns(patterns) -> tuple[str, ...]:
    """The canonical set of ``patterns`` (normalisation 1), sorted."""
    from pipec.patterns import expand

    out: set[str] = set()
    for p in patterns:
        for alt in expand(p):
            for part in _split_sets(alt):
                while "**/**" in part:  # zero or more directories, then anything: anything
                    part = part.replace("**/**", "**")
                out.update(_dir_variants(part))
    return tuple(sorted(out))


@node
class Filter(Node):
    """Include and exclude patterns, canonical (normalisation 1)."""

    includes: tuple[str, ...]
    excludes: tuple[str, ...] = _t()

    @classmethod
    def of(cls, includes, excludes=()) -> "Filter":
        return cls(canonical_patterns(includes or ("**",)), canonical_patterns(excludes))


# ----------------------------------------------------------------------------- plan


@node
class Trigger(Node):
    """An event that starts a run: ``kind`` push (branches, optional paths), tag (tags),
    pull_request (``events`` among opened/updated/closed, ``branches`` the target branch,
    optional paths), manual or object (an S3 source's object changes), for the source called
    ``source``; or schedule, at the times of ``cron`` (canonical, :func:`pipec.cron.canonical`),
    which starts the whole pipeline and so has no source (``source`` is "")."""

    kind: str
    source: str
    branches: Filter | None = None
    tags: Filter | None = None
    paths: Filter | None = None
    events: tuple[str, ...] = _t()
    cron: str | None = None


#: when a phase runs (CodeBuild's phase transitions, docs/targets.md "Build phases"):
#: ``success`` only while every earlier phase succeeded; ``after-build`` whenever the build
#: phase ran, failed or not (post_build after a build phase)
PHASE_WHEN = {"install": "success", "pre_build": "success", "build": "success", "post_build": "after-build"}


#: the shell a build's commands run in, by how each platform names it: the buildspec's
#: ``env: shell`` (``bash`` or ``/bin/sh``; none is CodeBuild's undocumented default) and the
#: GitHub step's ``shell:`` (docs/language.md, "Run time")
SHELLS = {"bash": "bash", "/bin/sh": "sh", "sh": "sh", "bash --noprofile --norc {0}": "bash",
          # a Windows build: Windows PowerShell on both (docs/language.md, "Operating systems")
          "powershell.exe": "powershell", "powershell": "powershell"}
DEFAULT_SHELL = "codebuild-default"


@node
class Phase(Node):
    """A build phase: its commands, its ``finally`` commands (run whenever the phase ran), what a
    failure does (``abort`` or ``continue``; either way the job fails) and ``when`` it runs."""

    name: str
    commands: tuple[str, ...] = _t()
    finally_commands: tuple[str, ...] = _t()
    on_failure: str = "abort"
    when: str = "success"


@node
class Artifact(Node):
    """An output artifact: ``files`` globs relative to ``base``; ``flatten`` = discard paths;
    ``modes``: the jobs that read it get each file's mode (the executable bit) as the build left
    it."""

    name: str
    files: tuple[str, ...]
    base: str | None = None
    flatten: bool = False
    modes: bool = True


@node
class Job(Node):
    """One action as the platform runs it. ``after``: every job that must finish first
    (transitively). ``held``: a disabled transition waits in front of it. ``spec`` holds what
    the job does, as sorted (key, value) pairs whose values are plain data (see
    :func:`from_model` for the keys of each kind)."""

    id: str
    kind: str
    after: frozenset = frozenset()
    held: bool = False
    spec: tuple = _t()

    def get(self, key, default=None):
        for k, v in self.spec:
            if k == key:
                return v
        return default


@node
class Plan(Node):
    """What a pipeline does on one platform (``platform`` aws or github)."""

    pipeline: str
    platform: str
    triggers: frozenset = frozenset()
    variables: tuple = _t()           # (name, default), sorted
    concurrency: str = "superseded"   # superseded, queued or parallel
    jobs: tuple = _t()                # Job, sorted by id
    #: what one run holds so that no other run enters: "stage" (CodePipeline: one execution in a
    #: stage at a time), "run" (the whole run: a GitHub workflow-level concurrency group, which
    #: holds every stage lock too), "job" (each job alone: stages interleave) or "none" (parallel)
    lock: str = "stage"
    #: the branch a run started by hand builds and deploys (GitHub: the branch guard on the first
    #: jobs; None where no guard is written: CodePipeline always builds the source's branch)
    manual_branch: str | None = None
    #: the jobs a pull-request run skips (GitHub, a pull-request trigger bound 'via github')
    pull_request_skips: frozenset = frozenset()

    def job(self, job_id: str) -> Job:
        for j in self.jobs:
            if j.id == job_id:
                return j
        raise KeyError(job_id)


#: the fields in which the GitHub plan may differ from the AWS plan, with the warning that says so
DIFFERENCES = {
    "approval.timeout": "W508",  # GitHub: 30 days, always
    "held": "W510",              # a disabled transition is a variable condition (kept as held)
    "deploy.wait": "W516",       # GitHub waits at most as long as its job may run
    "lock": None,                # no warning: GitHub's lock covers the whole run, which holds every
                                 # stage lock too (docs/targets.md "Stage locks")
}


# ----------------------------------------------------------------------------- from the model


def spec(**fields) -> tuple:
    """A job spec from keyword fields: None values dropped, keys sorted."""
    return tuple(sorted((k, v) for k, v in fields.items() if v is not None))


def build_spec(b: model.Build, platform: str = "aws", revisions: frozenset = frozenset(),
               variables: frozenset = frozenset()) -> tuple:
    """The spec of a build job. ``revisions``: the artifacts EC2 deployments deploy, whose
    ``appspec.yml`` entry belongs to the deployment (the AWS target adds it), not to the build.

    ``env`` and ``secrets`` are the values the build *sees* (docs/language.md, "Values a build
    sees"): a pipeline variable (``variables``, their names) wins over an ``env`` or ``secret``
    of the same name, which is then not part of the plan. ``builtins`` are CodeBuild's built-in
    variables the build is given, with their meaning (:func:`pipec.builtins.provided`), without
    those its own values replace."""
    from pipec import builtins

    own = {e.name for e in b.env} | {s.name for s in b.secrets} | set(variables)
    logins = tuple(model.codeartifact_login(login) for login in b.codeartifact)
    phases = []
    by_name = {p.name: p for p in b.phases}
    for name in model.PHASE_ORDER:
        p = by_name.get(name)
        commands = tuple(c.text for c in p.commands) if p else ()
        if name == "install":
            commands = logins + commands
        if not commands and not (p and p.finally_commands):
            continue
        when = PHASE_WHEN[name] if "build" in by_name else "success"
        phases.append(Phase(name, commands, tuple(c.text for c in p.finally_commands) if p else (),
                            p.on_failure if p else "abort", when))
    return spec(
        inputs=tuple(b.inputs),
        # both targets run the commands in bash (docs/language.md, "Run time"); PowerShell on Windows
        shell="powershell" if b.os == "windows" else "bash",
        platform=None if (b.os, b.arch) == ("linux", "x86_64") else (b.os, b.arch),
        matrix=matrix_spec(b.matrix),
        phases=tuple(phases),
        env=tuple(sorted((e.name, str(e.value)) for e in b.env if e.name not in variables)),
        secrets=tuple(sorted((s.name, "github", s.github_secret) if platform == "github" and s.github_secret
                             else (s.name, s.store, s.ref) for s in b.secrets if s.name not in variables)),
        builtins=builtins.provided(frozenset(own)),
        outputs=tuple(Artifact(o.name, tuple(f for f in o.files if not (o.name in revisions and f == "appspec.yml")),
                               o.base, o.discard_paths) for o in b.outputs),
        cache=tuple(sorted(cache_path(c) for c in b.cache)),
        reports=tuple(sorted((r.name, tuple(f"{r.base.rstrip('/')}/{f}" if r.base else f for f in r.files))
                             for r in b.reports)),
        runtimes=tuple(sorted((r, _runtime_version(r, str(v))) for r, v in b.runtimes)),
        timeout=b.timeout_minutes,
        role=b.aws.first("role"),  # the commands run as this role on both platforms (None: pipec's own)
    )


def matrix_spec(m) -> tuple | None:
    """A matrix as both platforms run it: its cells (sorted; the order they start in is neither
    platform's promise), whether a failed cell stops the others, and how many run at once."""
    if m is None:
        return None
    return spec(cells=tuple(sorted(m.cells())), fail_fast=m.fail_fast, max_parallel=m.max_parallel)


def _runtime_version(runtime: str, version: str) -> str:
    """Normalisation 9: CodeBuild's only Java is Amazon Corretto, so ``java 21`` is ``corretto21``."""
    if runtime == "java" and version[:1].isdigit():
        return f"corretto{version}"
    return version


def cache_path(path: str) -> str:
    """Normalisation 8: ``dir/**/*`` (everything below dir) is ``dir``."""
    return path[:-5] if path.endswith("/**/*") else path


def deploy_spec(d: model.Deploy, platform: str = "aws", runs_on=()) -> tuple:
    """The spec of a deployment. ``wait``: the minutes the platform waits for it before failing it
    (:mod:`pipec.deploy_time`; on GitHub, up to the job limit of the runners ``runs_on``). An ECS
    rolling update also says what fails it (``checks``: the deployment's ``rolloutState``, which
    the circuit breaker sets to FAILED, and a rollback to another task definition); an EC2
    revision whether it keeps dot-files (``hidden_files``)."""
    from pipec import deploy_time
    from pipec.targets import codedeploy_appspec

    wait = deploy_time.github_wait(d, runs_on) if platform == "github" else deploy_time.aws_wait(d)
    s = d.strategy
    if d.uses_codedeploy:
        config = s.codedeploy_config(d.platform) or (s.kind, s.percent, s.interval_minutes)
        # a Lambda deployment shifts an alias between published versions: it reads no artifact
        # (a 'from' on it is ignored by both targets)
        return spec(platform=d.platform, input=d.inputs[0] if d.inputs and d.platform != "lambda" else None,
                    appspec=_freeze(codedeploy_appspec(d)), config=config,
                    rollback=tuple(sorted(_rollback_events(d))), alarms=tuple(d.rollback.alarms),
                    target=_target(d), wait=wait, hidden_files=True if d.platform == "ec2" else None)
    return spec(platform=d.platform, input=d.inputs[0], rolling=(d.target.cluster, d.target.service,
                                                                 d.target.image_file),
                wait=wait, checks="rollout-state")


def _rollback_events(d: model.Deploy) -> list[str]:
    out = []
    if d.rollback.on_failure:
        out.append("DEPLOYMENT_FAILURE")
    if d.rollback.alarms:
        out.append("DEPLOYMENT_STOP_ON_ALARM")
    return out


def _target(d: model.Deploy):
    t = d.target
    if d.platform == "ec2":
        return ("ec2", tuple(t.tags), tuple(t.autoscaling_groups), t.target_group)
    if d.platform == "ecs":
        return ("ecs", t.cluster, t.service, tuple(t.target_groups), t.listener, t.test_listener)
    return ("lambda", t.function, t.alias)


def _freeze(value):
    """Plain data as hashable, order-keeping tuples."""
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def action_spec(act, platform: str, revisions: frozenset = frozenset(),
                variables: frozenset = frozenset(), runs_on=()) -> tuple[str, tuple]:
    """(kind, spec) of an action; ``variables``: the names of the pipeline's variables;
    ``runs_on``: the labels of its GitHub job's runners."""
    if isinstance(act, model.Build):
        # normalisation 7: test and build are both builds
        return "build", build_spec(act, platform, revisions, variables)
    if isinstance(act, model.Deploy):
        return "deploy", deploy_spec(act, platform, runs_on)
    if isinstance(act, model.StackDeploy):
        return "stack", spec(stack=act.stack, template=act.template, input=act.inputs[0],
                             parameters=tuple(sorted(act.parameters)), capabilities=tuple(sorted(act.capabilities)),
                             change_set=act.change_set)
    if isinstance(act, model.BucketDeploy):
        return "bucket", spec(bucket=act.bucket, input=act.inputs[0], extract=act.extract,
                              key=act.object_key, cache_control=act.cache_control)
    if isinstance(act, model.Approval):
        # gate: a run passes only with someone's approval ("closed"); on GitHub the gate job
        # checks that its environment has required reviewers (targets/github/guards.py)
        return "approval", spec(message=act.message, url=act.url,
                                notify=tuple(sorted(act.notify_emails)) or act.topic_arn,
                                timeout=30 * 24 * 60 if platform == "github" else act.timeout_minutes,
                                gate="closed")
    return "invoke", spec(function=act.function, parameters=act.parameters,
                          inputs=tuple(act.inputs), outputs=tuple(act.outputs))


def placed(p, act, sp: tuple) -> tuple:
    """``sp`` with the ``account`` and ``region`` where ``act`` runs when that is another account
    or Region than the pipeline's (each left out where it is the pipeline's): its own or its
    stage's (:meth:`model.Pipeline.place_of`)."""
    extra = [(k, v) for k, v in zip(("account", "region"), p.place_of(act)) if v is not None]
    return tuple(sorted((*sp, *extra))) if extra else sp


def order(stages) -> dict[str, frozenset]:
    """job id -> every job that must finish before it (stage order, then run order). A
    CloudFormation deployment with a change set executes it after its ``parallel`` block (the
    execute action takes the next run order), so it also waits for the other actions of its
    block, except another change-set deployment, whose own execution runs beside it."""
    before: dict[str, frozenset] = {}
    done: set[str] = set()
    for st in stages:
        for run_order in sorted({a.run_order for a in st.actions}):
            group = [a for a in st.actions if a.run_order == run_order]
            for a in group:
                siblings = set()
                if executes_after_block(a):
                    siblings = {o.name for o in group if o is not a and not executes_after_block(o)}
                before[a.name] = frozenset(done | siblings)
            done.update(a.name for a in group)
    return before


def executes_after_block(act) -> bool:
    """A CloudFormation deployment with a change set: created with its block, executed after it."""
    return isinstance(act, model.StackDeploy) and act.change_set is not None


def trigger_sources(p: model.Pipeline, platform: str) -> list:
    """The sources whose triggers can start a run on ``platform``: every source on CodePipeline;
    on GitHub only the workflow's own repository ("a workflow starts only on events of its own
    repository")."""
    if platform != "github":
        return list(p.sources)
    repo = p.github.first("repository") or next((s.repository for s in p.sources if s.provider == "github"), None)
    return [s for s in p.sources if s.provider == "github" and s.repository == repo][:1]


def trigger_of(src: model.Source, t, platform: str) -> "Trigger | None":
    """The plan trigger of one ``.pipe`` trigger ``t`` of ``src`` on ``platform``, before
    normalisation 6; None when it does not apply there (bound to the other platform, or a
    manual trigger on CodePipeline, which can always be started by hand)."""
    if t.platform not in (None, platform):
        return None
    if isinstance(t, model.ScheduleTrigger):
        return Trigger("schedule", "", cron=canonical_cron(t.cron))
    if src.provider == "s3" and not isinstance(t, model.ManualTrigger):
        return Trigger("object", src.name)  # a new version of the S3 object
    if isinstance(t, model.ManualTrigger):
        return Trigger("manual", src.name) if platform == "github" else None
    if isinstance(t, model.PushTrigger) and t.tags is not None:
        return Trigger("tag", src.name, tags=Filter.of(t.tags.includes, t.tags.excludes))
    if isinstance(t, model.PushTrigger):
        branches = t.branches or model.Filter(includes=(src.branch,))
        return Trigger("push", src.name, branches=Filter.of(branches.includes, branches.excludes),
                       paths=Filter.of(t.paths.includes, t.paths.excludes) if t.paths else None)
    return Trigger("pull_request", src.name, branches=Filter.of(t.branches.includes, t.branches.excludes),
                   paths=Filter.of(t.paths.includes, t.paths.excludes) if t.paths else None,
                   events=tuple(sorted(t.events)))


def triggers(p: model.Pipeline, platform: str) -> frozenset:
    found = (trigger_of(src, t, platform) for src in trigger_sources(p, platform) for t in src.triggers)
    return normal_triggers(t for t in found if t is not None)


def normal_triggers(items) -> frozenset:
    """Triggers in normal form (normalisation 6): triggers of one kind and source whose other
    filters are equal are one trigger (push and tag: the union of their includes, when their
    excludes are equal; pull_request: the union of their events, when all filters are equal).
    Both readings select exactly the same events."""
    merged: dict = {}
    for t in items:
        if t.kind in ("push", "tag"):
            f = t.branches if t.kind == "push" else t.tags
            key = (t.kind, t.source, t.paths, f.excludes)
            if key in merged:
                old = merged[key]
                of = old.branches if t.kind == "push" else old.tags
                union = Filter(tuple(sorted(set(of.includes) | set(f.includes))), f.excludes)
                t = evolve(old, **{"branches" if t.kind == "push" else "tags": union})
            merged[key] = t
        elif t.kind == "pull_request":
            key = (t.kind, t.source, t.branches, t.paths)
            if key in merged:
                t = evolve(t, events=tuple(sorted(set(t.events) | set(merged[key].events))))
            merged[key] = t
        else:
            merged[(t.kind, t.source, t.cron)] = t
    return frozenset(merged.values())


def canonical_cron(text: str) -> str:
    """Normalisation 10: a schedule is the set of times it selects (:func:`pipec.cron.canonical`)."""
    from pipec import cron

    return cron.canonical(text)


def from_model(p: model.Pipeline, platform: str) -> Plan:
    """The plan of ``p`` on ``platform``, with that platform's documented differences applied."""
    from pipec import deploy_time

    stages = [s for s in p.stages if s.platform in (None, platform)]
    before = order(stages)
    revisions = frozenset(a.inputs[0] for a in p.actions()
                          if isinstance(a, model.Deploy) and a.platform == "ec2" and a.inputs)
    found = triggers(p, platform)
    if platform == "github" and not found:
        # a workflow needs an event: with none bound to GitHub it can only be started by hand,
        # as CodePipeline always can
        repo = p.github.first("repository") or next((s.repository for s in p.sources if s.provider == "github"), None)
        src = next((s for s in p.sources if s.provider == "github" and s.repository == repo), None)
        found = frozenset({Trigger("manual", src.name if src else "")})
    settable = platform != "github" or any(t.kind == "manual" for t in found)
    jobs = []
    for st in stages:
        first = min(a.run_order for a in st.actions)
        for act in st.actions:
            kind, sp = action_spec(act, platform, revisions, frozenset(v.name for v in p.variables),
                                   deploy_time.runs_on(p, act))
            sp = placed(p, act, sp)
            if kind == "build" and not settable and p.variables:
                # no run can set them (a workflow without workflow_dispatch): the jobs read each
                # variable's default as a plain environment variable (still winning over an env)
                sp = tuple((k, tuple(sorted({**dict(v), **{x.name: x.default for x in p.variables}}.items())))
                           if k == "env" else (k, v) for k, v in sp)
            jobs.append(Job(act.name, kind, before[act.name],
                            held=bool(st.disabled_reason) and act.run_order == first, spec=sp))
    mode = p.mode
    variables = tuple(sorted((v.name, v.default) for v in p.variables)) if settable else ()
    lock = "none" if mode == "parallel" else ("run" if platform == "github" else "stage")
    manual_branch, skips = None, frozenset()
    if platform == "github":
        repo = p.github.first("repository") or next((s.repository for s in p.sources if s.provider == "github"), None)
        src = next((s for s in p.sources if s.provider == "github" and s.repository == repo), None)
        if src is not None and any(t.kind == "manual" for t in found):
            manual_branch = src.branch
        if src is not None and any(isinstance(t, model.PullRequestTrigger) and t.platform == "github"
                                   for t in src.triggers):
            skips = frozenset(a.name for st in stages for a in st.actions if skipped_on_pull_requests(a))
    return Plan(p.name, platform, found, variables, mode,
                tuple(sorted(jobs, key=lambda j: j.id)), lock, manual_branch, skips)


def skipped_on_pull_requests(act) -> bool:
    """What a pull-request run bound to GitHub skips (pipec's semantics, docs/language.md "on
    pull_request"): deployments and approvals, which only runs of reviewed code reach."""
    return isinstance(act, (model.Deploy, model.StackDeploy, model.BucketDeploy, model.Approval))
