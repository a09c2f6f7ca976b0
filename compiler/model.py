"""The validated, platform-neutral model of a pipeline: what the targets translate.

:func:`pipec.semantic.analyze` builds it from the syntax tree. By the time a model exists:

- every reference is resolved (each action's ``inputs`` name artifacts produced earlier);
- every default is applied and visible (compute size, image, timeouts, strategy, rollback,
  triggers), so a target never invents a default of its own;
- ordering is explicit: stages carry their ``index``, actions their ``run_order`` (actions in one
  ``parallel`` block share one run order; sequential actions get increasing ones);
- every value is checked against both platforms' limits.

Nodes are frozen :func:`pipec.node.node` classes; spans are kept for later diagnostics (targets
report what a platform cannot express at the place it was written) but excluded from equality.
"""

from __future__ import annotations

from typing import Union

from pipec.diagnostics import Span
from pipec.node import Node, field, node


def _span():
    return field(default=None, eq=False, repr=False, kw_only=True)


def _tuple():
    return field(default=())


# ----------------------------------------------------------------------------- pipeline level


@node
class Variable(Node):
    """A pipeline variable: set when a run starts (CodePipeline variables, workflow_dispatch
    inputs)."""

    name: str
    default: str
    description: str | None = None
    span: Span | None = _span()


@node
class ArtifactStore(Node):
    """Where artifacts are stored between actions. ``bucket`` None means pipec creates an
    encrypted bucket; ``kms_key`` None means a key pipec manages (AWS-managed S3 key otherwise)."""

    bucket: str | None = None
    kms_key: str | None = None


@node
class Patch(Node):
    """``patch set PATH = VALUE`` or ``patch remove PATH``: one change to a file the target
    generates, applied after it is built (:mod:`pipec.patches`). ``path`` is split at the dots;
    ``value`` is typed (str, int, float or bool; None for ``remove``)."""

    op: str
    path: tuple[str, ...]
    value: Union[str, int, float, bool, None] = None
    span: Span | None = _span()

    @property
    def text(self) -> str:
        """The patch as the user wrote it, for messages."""
        if self.op == "remove":
            return f"patch remove {'.'.join(self.path)}"
        shown = f'"{self.value}"' if isinstance(self.value, str) else str(self.value).lower() \
            if isinstance(self.value, bool) else str(self.value)
        return f"patch set {'.'.join(self.path)} = {shown}"


@node
class PlatformSettings(Node):
    """The settings of an ``aws { }`` or ``github { }`` block, validated against
    :data:`pipec.semantic.PLATFORM_SETTINGS`: ``items`` are (key, values) pairs in written order;
    ``patches`` are the block's ``patch`` lines, in written order."""

    items: tuple[tuple[str, tuple[str, ...]], ...] = _tuple()
    patches: tuple[Patch, ...] = _tuple()

    def get(self, key: str, default=None):
        for k, v in self.items:
            if k == key:
                return v
        return default

    def first(self, key: str, default: str | None = None) -> str | None:
        v = self.get(key)
        return v[0] if v else default

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.items)


# ----------------------------------------------------------------------------- sources and triggers


@node
class Filter(Node):
    """Include and exclude patterns in pipec's pattern syntax. A value matches when it matches
    at least one include and no exclude (excludes always win; order does not matter)."""

    includes: tuple[str, ...] = _tuple()
    excludes: tuple[str, ...] = _tuple()


@node
class PushTrigger(Node):
    """Start on a push. Exactly one of ``branches`` and ``tags`` is set; ``paths`` only with
    branches. ``platform`` is None (both platforms), ``aws`` or ``github``."""

    branches: Filter | None = None
    tags: Filter | None = None
    paths: Filter | None = None
    platform: str | None = None
    span: Span | None = _span()


@node
class PullRequestTrigger(Node):
    """Start on pull-request ``events`` (sorted subset of opened, updated, closed) whose target
    branch matches ``branches`` and, when set, whose changed files match ``paths``."""

    events: tuple[str, ...]
    branches: Filter
    paths: Filter | None = None
    platform: str | None = None
    span: Span | None = _span()


@node
class ManualTrigger(Node):
    """Runs may be started by hand (always true on CodePipeline; ``workflow_dispatch`` on GitHub)."""

    platform: str | None = None
    span: Span | None = _span()


@node
class ScheduleTrigger(Node):
    """Start the whole pipeline at the times of ``cron``: pipec's five-field cron in UTC
    (:mod:`pipec.cron`), as written with single spaces and names in capitals. Each source's
    latest revision is used (on CodePipeline its ``branch``; on GitHub the default branch of the
    workflow's repository, W515)."""

    cron: str
    platform: str | None = None
    span: Span | None = _span()


Trigger = Union[PushTrigger, PullRequestTrigger, ManualTrigger, ScheduleTrigger]


@node
class Connection(Node):
    """A CodeConnections connection: ``arn`` of an existing one, or ``name`` of one pipec creates
    (it must then be authorised once in the console)."""

    name: str | None = None
    arn: str | None = None


@node
class Source(Node):
    """A source action. Its output artifact has the source's ``name``.

    ``provider``: github, bitbucket, gitlab (through ``connection``), codecommit or s3.
    ``repository``: ``owner/repo`` or the CodeCommit repository; ``bucket`` and ``object_key``
    for S3. ``branch`` for Git providers. ``full_clone``: fetch Git metadata (CodeBuild clone)
    rather than a zip of the files. ``triggers`` with defaults applied (a Git source without any
    ``on`` line starts on pushes to its branch)."""

    name: str
    provider: str
    repository: str | None = None
    branch: str | None = None
    bucket: str | None = None
    object_key: str | None = None
    connection: Connection | None = None
    full_clone: bool = False
    triggers: tuple[Trigger, ...] = _tuple()
    span: Span | None = _span()

    @property
    def artifact(self) -> str:
        return self.name

    @property
    def is_git(self) -> bool:
        return self.provider in ("github", "bitbucket", "gitlab", "codecommit")


# ----------------------------------------------------------------------------- build and test


@node
class Image(Node):
    """The build environment: ``kind`` ubuntu or amazonlinux (a managed image, ``version`` None
    for the current one), ecr or docker (a custom image, ``ref`` is its URI) or codebuild
    (an exact CodeBuild image name in ``ref``)."""

    kind: str = "ubuntu"
    ref: str | None = None


@node
class Command(Node):
    """One command; ``script`` marks a multi-line block run as one shell script."""

    text: str
    script: bool = False
    span: Span | None = _span()


@node
class Phase(Node):
    """One of install, pre_build, build, post_build, with ``finally`` commands and
    ``on_failure`` (``abort``, the default, or ``continue``)."""

    name: str
    commands: tuple[Command, ...] = _tuple()
    finally_commands: tuple[Command, ...] = _tuple()
    on_failure: str = "abort"


PHASE_ORDER = ("install", "pre_build", "build", "post_build")


@node
class Matrix(Node):
    """A build run once per cell (docs/language.md, "Matrices"). ``axes``: (name, values) in
    written order, each name an environment variable of the build; ``exclude``: partial cells
    ((axis, value) pairs) whose matching cells are left out; ``include``: whole cells added
    after the excludes. ``fail_fast``: the first failed cell stops the others; ``max_parallel``:
    at most that many cells at once (None: no limit of pipec's)."""

    axes: tuple[tuple[str, tuple[str, ...]], ...]
    include: tuple[tuple[tuple[str, str], ...], ...] = _tuple()
    exclude: tuple[tuple[tuple[str, str], ...], ...] = _tuple()
    fail_fast: bool = False
    max_parallel: int | None = None

    def cells(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """Every cell as (axis, value) pairs in axis order: the product of the axes in written
        order, without the excluded ones, then the includes (GitHub's order for strategy.matrix)."""
        import itertools

        names = [n for n, _ in self.axes]
        out = []
        for values in itertools.product(*(v for _, v in self.axes)):
            cell = tuple(zip(names, values))
            if not any(set(x) <= set(cell) for x in self.exclude):
                out.append(cell)
        for inc in self.include:
            out.append(tuple(sorted(inc, key=lambda kv: names.index(kv[0]))))
        return tuple(out)


@node
class EnvVar(Node):
    name: str
    value: str


@node
class Secret(Node):
    """A secret by reference: ``store`` is ssm or secrets-manager; ``ref`` the parameter name or
    secret id (``id:json-key`` allowed). ``github_secret`` names the GitHub secret used instead
    when the target is GitHub Actions (None: fetch from AWS through the job's role)."""

    name: str
    store: str
    ref: str
    github_secret: str | None = None


@node
class OutputArtifact(Node):
    """An artifact an action produces: ``files`` globs relative to ``base`` (default: the
    working directory); ``discard_paths`` flattens directories."""

    name: str
    files: tuple[str, ...]
    base: str | None = None
    discard_paths: bool = False
    span: Span | None = _span()


@node
class Report(Node):
    """A test (junit, cucumber, testng, nunit, nunit3, trx) or coverage (clover, cobertura,
    jacoco, simplecov, lcov) report."""

    name: str
    format: str
    files: tuple[str, ...]
    base: str | None = None


@node
class CodeArtifactLogin(Node):
    """``aws codeartifact login --tool TOOL --domain D --repository R [--domain-owner O]``
    before the install phase."""

    tool: str
    domain: str
    repository: str
    owner: str | None = None


#: the tools ``aws codeartifact login --tool`` accepts (the AWS CLI's TOOL_MAP)
LOGIN_TOOLS = ("dotnet", "npm", "nuget", "pip", "swift", "twine")


def codeartifact_login(login: CodeArtifactLogin) -> str:
    """The command that logs ``login.tool`` in to CodeArtifact (AWS CLI v2 syntax):
    ``aws codeartifact login --tool T --domain D [--domain-owner O] --repository R``.

    ``aws codeartifact login`` has no Maven support: for maven the command exports the domain's
    authorization token as ``CODEARTIFACT_AUTH_TOKEN``, the variable that the CodeArtifact guide's
    Maven settings.xml (and Gradle) configuration reads; the repository URL belongs in the
    project's own Maven settings."""
    owner = [f"--domain-owner {login.owner}"] if login.owner else []
    if login.tool == "maven":
        token = " ".join(["aws codeartifact get-authorization-token", f"--domain {login.domain}", *owner,
                          "--query authorizationToken --output text"])
        return f"export CODEARTIFACT_AUTH_TOKEN=$({token})"
    if login.tool not in LOGIN_TOOLS:
        raise ValueError(f"CodeArtifact login: 'aws codeartifact login' has no tool {login.tool!r}")
    return " ".join(["aws codeartifact login", f"--tool {login.tool}", f"--domain {login.domain}", *owner,
                     f"--repository {login.repository}"])


@node
class Grant(Node):
    """``allow ACTION... on RESOURCE...``: an IAM statement added to a build's role (the CodeBuild
    service role pipec creates, and the GitHub job's OIDC role)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    span: Span | None = _span()


@node
class Build(Node):
    """A build or test action (``kind``): commands run in a fresh environment.

    Defaults applied: image ubuntu (current managed image), compute small, timeout 60 minutes,
    inputs the first source. ``phases`` holds only the phases that have commands, in execution
    order."""

    name: str
    kind: str
    stage: str
    run_order: int
    inputs: tuple[str, ...]
    image: Image = Image()
    compute: str = "small"
    privileged: bool = False
    timeout_minutes: int = 60
    runtimes: tuple[tuple[str, str], ...] = _tuple()
    env: tuple[EnvVar, ...] = _tuple()
    secrets: tuple[Secret, ...] = _tuple()
    phases: tuple[Phase, ...] = _tuple()
    outputs: tuple[OutputArtifact, ...] = _tuple()
    cache: tuple[str, ...] = _tuple()
    reports: tuple[Report, ...] = _tuple()
    codeartifact: tuple[CodeArtifactLogin, ...] = _tuple()
    aws: PlatformSettings = PlatformSettings()
    github: PlatformSettings = PlatformSettings()
    platform_binding: str | None = None
    grants: tuple[Grant, ...] = _tuple()
    #: the build's platform: ``os`` linux or windows, ``arch`` x86_64 or arm64
    os: str = "linux"
    arch: str = "x86_64"
    matrix: Matrix | None = None
    span: Span | None = _span()


# ----------------------------------------------------------------------------- deployments


@node
class Strategy(Node):
    """How a deployment replaces the old version.

    ``kind``: all-at-once, rolling, blue-green, canary or linear. For rolling on EC2, ``batch``
    is one-at-a-time, half-at-a-time or min_healthy (with ``percent`` the minimum healthy
    percentage); rolling on ECS is the ECS service's own rolling update (``batch`` None).
    Canary: ``percent`` first, the rest after ``interval_minutes``. Linear: ``percent`` every
    ``interval_minutes``. Blue/green: ``terminate_after_minutes`` before the old fleet goes."""

    kind: str
    batch: str | None = None
    percent: int | None = None
    interval_minutes: int | None = None
    terminate_after_minutes: int | None = None
    span: Span | None = _span()

    def codedeploy_config(self, platform: str) -> str | None:
        """The built-in ``CodeDeployDefault.*`` configuration that matches exactly, or None when
        a custom deployment configuration is needed (or CodeDeploy is not used)."""
        if platform == "ec2":
            if self.kind == "all-at-once":
                return "CodeDeployDefault.AllAtOnce"
            if self.kind == "blue-green":
                return "CodeDeployDefault.AllAtOnce"
            if self.batch == "one-at-a-time":
                return "CodeDeployDefault.OneAtATime"
            if self.batch == "half-at-a-time":
                return "CodeDeployDefault.HalfAtATime"
            return None
        prefix = {"ecs": "ECS", "lambda": "Lambda"}.get(platform)
        if prefix is None:
            return None
        if self.kind in ("all-at-once", "blue-green"):
            return f"CodeDeployDefault.{prefix}AllAtOnce"
        builtin = {
            "ecs": {("canary", 10, 5), ("canary", 10, 15), ("linear", 10, 1), ("linear", 10, 3)},
            "lambda": {("canary", 10, 5), ("canary", 10, 10), ("canary", 10, 15), ("canary", 10, 30),
                       ("linear", 10, 1), ("linear", 10, 2), ("linear", 10, 3), ("linear", 10, 10)},
        }[platform]
        key = (self.kind, self.percent, self.interval_minutes)
        if key not in builtin:
            return None
        if self.kind == "canary":
            return f"CodeDeployDefault.{prefix}Canary{self.percent}Percent{self.interval_minutes}Minutes"
        unit = "Minute" if platform == "lambda" and self.interval_minutes == 1 else "Minutes"
        return f"CodeDeployDefault.{prefix}Linear{self.percent}PercentEvery{self.interval_minutes}{unit}"


@node
class Rollback(Node):
    """Automatic rollback: on a failed deployment, and/or when one of ``alarms`` (CloudWatch
    alarm names) goes into ALARM during the deployment. Both false/empty: no rollback."""

    on_failure: bool = True
    alarms: tuple[str, ...] = _tuple()

    @property
    def enabled(self) -> bool:
        return self.on_failure or bool(self.alarms)


@node
class Hook(Node):
    """A lifecycle hook: ``event`` (snake_case, for example before_install), ``target`` (a script
    on EC2, a Lambda function name on ECS and Lambda), ``timeout_seconds`` and ``run_as`` (EC2
    only; CodeDeploy's default timeout is 3600 seconds)."""

    event: str
    target: str
    timeout_seconds: int | None = None
    run_as: str | None = None


@node
class Ec2Target(Node):
    """EC2/on-premises instances: by ``tags`` ((key, value) pairs; an instance matching any pair
    is included) and/or ``autoscaling_groups``; ``target_group`` for blue/green and
    load-balancer hooks; ``os`` linux or windows; ``files`` (source, destination) copies and
    ``permissions`` (path, owner, group, mode)."""

    tags: tuple[tuple[str, str], ...] = _tuple()
    autoscaling_groups: tuple[str, ...] = _tuple()
    target_group: str | None = None
    os: str = "linux"
    files: tuple[tuple[str, str], ...] = _tuple()
    permissions: tuple[tuple[str, str | None, str | None, str | None], ...] = _tuple()


@node
class EcsNetwork(Node):
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    public_ip: bool = False


@node
class EcsTarget(Node):
    """An ECS service. Rolling updates read ``image_file`` (imagedefinitions.json) from the input
    artifact; CodeDeploy blue/green reads ``task_definition`` (taskdef.json) and shifts
    ``listener`` traffic between ``target_groups`` (blue, green), with an optional
    ``test_listener``."""

    cluster: str
    service: str
    container: str | None = None
    port: int | None = None
    listener: str | None = None
    test_listener: str | None = None
    target_groups: tuple[str, ...] = _tuple()
    task_definition: str = "taskdef.json"
    image_file: str = "imagedefinitions.json"
    platform_version: str | None = None
    network: EcsNetwork | None = None


@node
class LambdaTarget(Node):
    """A Lambda function alias whose traffic shifts from ``current_version`` to
    ``target_version`` (None: decided at deploy time)."""

    function: str
    alias: str
    current_version: str | None = None
    target_version: str | None = None


@node
class Deploy(Node):
    """A deployment through CodeDeploy (``platform`` ec2 or lambda, ecs with blue-green/canary/
    linear) or the ECS service's rolling update (ecs with ``strategy.kind == 'rolling'``)."""

    name: str
    stage: str
    run_order: int
    platform: str
    inputs: tuple[str, ...]
    target: Union[Ec2Target, EcsTarget, LambdaTarget]
    strategy: Strategy
    rollback: Rollback = Rollback()
    hooks: tuple[Hook, ...] = _tuple()
    aws: PlatformSettings = PlatformSettings()
    github: PlatformSettings = PlatformSettings()
    platform_binding: str | None = None
    #: the AWS account and Region written in the action's own ``aws { }`` block (None: not
    #: written); :meth:`Pipeline.place_of` says where it runs (docs/language.md, "Accounts and Regions")
    account: str | None = None
    region: str | None = None
    span: Span | None = _span()

    @property
    def uses_codedeploy(self) -> bool:
        return not (self.platform == "ecs" and self.strategy.kind == "rolling")


@node
class StackDeploy(Node):
    """A CloudFormation (or SAM) deployment of ``template`` (a file in the input artifact) as
    ``stack``. ``change_set`` named: create a change set, then execute it; None: create or update
    directly."""

    name: str
    stage: str
    run_order: int
    inputs: tuple[str, ...]
    stack: str
    template: str
    parameters: tuple[tuple[str, str], ...] = _tuple()
    capabilities: tuple[str, ...] = _tuple()
    change_set: str | None = None
    aws: PlatformSettings = PlatformSettings()
    github: PlatformSettings = PlatformSettings()
    platform_binding: str | None = None
    #: the AWS account and Region written in the action's own ``aws { }`` block (None: not
    #: written); :meth:`Pipeline.place_of` says where it runs (docs/language.md, "Accounts and Regions")
    account: str | None = None
    region: str | None = None
    span: Span | None = _span()


@node
class BucketDeploy(Node):
    """Copy the input artifact into ``bucket``: its files (``extract``) or the zip as
    ``object_key``; ``cache_control`` sets the Cache-Control header."""

    name: str
    stage: str
    run_order: int
    inputs: tuple[str, ...]
    bucket: str
    extract: bool = True
    object_key: str | None = None
    cache_control: str | None = None
    aws: PlatformSettings = PlatformSettings()
    github: PlatformSettings = PlatformSettings()
    platform_binding: str | None = None
    #: the AWS account and Region written in the action's own ``aws { }`` block (None: not
    #: written); :meth:`Pipeline.place_of` says where it runs (docs/language.md, "Accounts and Regions")
    account: str | None = None
    region: str | None = None
    span: Span | None = _span()


# ----------------------------------------------------------------------------- approvals, invokes


@node
class Approval(Node):
    """A manual approval: ``message`` and ``url`` for the reviewer; notification by a new SNS
    topic with ``notify_emails`` or an existing ``topic_arn``; ``timeout_minutes`` (default
    7 days). On GitHub: the ``github_environment`` whose ``reviewers`` approve."""

    name: str
    stage: str
    run_order: int
    message: str | None = None
    url: str | None = None
    notify_emails: tuple[str, ...] = _tuple()
    topic_arn: str | None = None
    timeout_minutes: int = 7 * 24 * 60
    github_environment: str | None = None
    reviewers: tuple[str, ...] = _tuple()
    aws: PlatformSettings = PlatformSettings()
    github: PlatformSettings = PlatformSettings()
    platform_binding: str | None = None
    span: Span | None = _span()

    @property
    def inputs(self) -> tuple[str, ...]:
        return ()


@node
class Invoke(Node):
    """Invoke a Lambda ``function`` with ``parameters`` (a string passed as UserParameters /
    the payload); may read ``inputs`` and produce ``outputs`` (artifact names)."""

    name: str
    stage: str
    run_order: int
    function: str
    parameters: str | None = None
    inputs: tuple[str, ...] = _tuple()
    outputs: tuple[str, ...] = _tuple()
    aws: PlatformSettings = PlatformSettings()
    github: PlatformSettings = PlatformSettings()
    platform_binding: str | None = None
    #: the AWS account and Region written in the action's own ``aws { }`` block (None: not
    #: written); :meth:`Pipeline.place_of` says where it runs (docs/language.md, "Accounts and Regions")
    account: str | None = None
    region: str | None = None
    span: Span | None = _span()


Action = Union[Build, Deploy, StackDeploy, BucketDeploy, Approval, Invoke]


@node
class Stage(Node):
    """A stage: its position (``index`` 0 is the first stage after the sources), its actions
    sorted by ``run_order``, the reason its inbound transition is disabled (None: enabled), and
    the platform it is bound to in a hybrid pipeline (None: both)."""

    name: str
    index: int
    actions: tuple[Action, ...]
    disabled_reason: str | None = None
    platform: str | None = None
    #: the AWS account and Region written in the stage's ``aws { }`` block (None: not written):
    #: where its deploy and invoke actions run unless they say otherwise
    account: str | None = None
    region: str | None = None
    span: Span | None = _span()


@node
class Pipeline(Node):
    """The whole pipeline: ``mode`` (queued, superseded or parallel; default superseded),
    ``variables``, the ``artifact_store``, ``sources`` (the implicit first stage), ``stages`` in
    order, and pipeline-level platform settings."""

    name: str
    sources: tuple[Source, ...]
    stages: tuple[Stage, ...]
    mode: str = "superseded"
    variables: tuple[Variable, ...] = _tuple()
    artifact_store: ArtifactStore = ArtifactStore()
    aws: PlatformSettings = PlatformSettings()
    github: PlatformSettings = PlatformSettings()
    #: the AWS account and Region the pipeline itself runs in, when written (``aws { account
    #: region }``; None: wherever its template is deployed)
    account: str | None = None
    region: str | None = None
    filename: str = field(default="<input>", eq=False)
    #: where ``mode`` was written (None: the default), for diagnostics about it
    mode_span: Span | None = _span()
    #: the words ``pipeline NAME``, for diagnostics about the whole pipeline (E412)
    header_span: Span | None = _span()

    def actions(self):
        """Every action in execution order: by stage, then run order, then written order."""
        for stage in self.stages:
            yield from stage.actions

    @property
    def is_hybrid(self) -> bool:
        return any(s.platform for s in self.stages) or any(
            t.platform for src in self.sources for t in src.triggers
        )

    def place_of(self, act) -> tuple[str | None, str | None]:
        """(account, Region) where ``act`` runs, each None where it is the pipeline's own: the
        action's own ``aws { }`` setting, else its stage's, else the pipeline's (docs/language.md,
        "Accounts and Regions"). Builds, tests and approvals always run where the pipeline runs."""
        if not hasattr(act, "account"):
            return None, None
        stage = next((s for s in self.stages if s.name == act.stage), None)
        account = act.account or (stage.account if stage else None)
        region = act.region or (stage.region if stage else None)
        return (None if account == self.account else account, None if region == self.region else region)

    @property
    def placed(self) -> bool:
        """Whether an action runs in another account or Region than the pipeline."""
        return any(self.place_of(a) != (None, None) for a in self.actions())
