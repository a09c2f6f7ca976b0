"""The syntax tree of a ``.pipe`` file: what was written, in the order it was written.

Every node is a frozen :func:`pipec.node.node` class. Every node carries a ``span``
(:class:`~pipec.diagnostics.Span`) that is excluded from equality and ``repr``, so two trees that say the same thing compare equal
wherever they came from (the parser, the formatter's round trip, a test strategy).

The tree keeps statements as ordered ``body`` tuples rather than interpreting them: duplicate or
conflicting settings, unknown references and platform limits are found later, when
:mod:`pipec.semantic` builds the validated :mod:`pipec.model`. This keeps the parser simple, the
formatter faithful (it prints what is here, in order) and the diagnostics precise.

Values in generic positions (a branch name, a bucket, a file path) are plain ``str``: ``main`` and
``"main"`` are the same value. Durations and percentages keep their own types where the grammar
requires them.
"""

from __future__ import annotations

from typing import Union

from pipec.diagnostics import Span
from pipec.node import Node, field, node


def _span():
    return field(default=None, eq=False, repr=False, kw_only=True)


# ----------------------------------------------------------------------------- values


@node
class Duration(Node):
    """A length of time as written: ``value`` and ``unit`` (``s``, ``m``, ``h`` or ``d``).
    ``120s`` and ``2m`` are different nodes (the formatter keeps the author's unit) with equal
    :attr:`seconds`."""

    value: int
    unit: str
    span: Span | None = _span()

    _FACTORS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    @property
    def seconds(self) -> int:
        return self.value * self._FACTORS[self.unit]

    def __str__(self) -> str:
        return f"{self.value}{self.unit}"


@node
class Percent(Node):
    """A whole percentage as written, for example ``10%`` (``value`` is 10)."""

    value: int
    span: Span | None = _span()

    def __str__(self) -> str:
        return f"{self.value}%"


@node
class Command(Node):
    """One command of a build phase. ``script`` is True for a triple-quoted multi-line block,
    whose ``text`` is the dedented script (run as one shell script, like a YAML block scalar in
    a buildspec)."""

    text: str
    script: bool = False
    span: Span | None = _span()


@node
class Pattern(Node):
    """One pattern of a trigger filter: ``text`` in pipec's glob syntax (docs/language.md,
    "Patterns"), ``negated`` when written with a leading ``!`` (an exclusion)."""

    text: str
    negated: bool = False
    span: Span | None = _span()


# ----------------------------------------------------------------------------- simple statements


@node
class Field(Node):
    """A statement made of one keyword and one value, for the many settings of that shape:
    ``branch main``, ``cluster prod``, ``message "..."``, ``function "fn"``, ``bucket "b"``...
    ``keyword`` is the statement's keyword as written in the grammar."""

    keyword: str
    value: str
    span: Span | None = _span()


@node
class Flag(Node):
    """A statement that is a single keyword: ``privileged`` or ``extract``."""

    keyword: str
    span: Span | None = _span()


@node
class ModeStmt(Node):
    """``mode queued|superseded|parallel``: what happens when runs overlap."""

    mode: str
    span: Span | None = _span()


@node
class VariableStmt(Node):
    """``variable NAME = "default" [description "..."]``: a value chosen when a run starts."""

    name: str
    default: str
    description: str | None = None
    span: Span | None = _span()


@node
class StoreStmt(Node):
    """``artifact_store [bucket "b"] [key "alias/k"]``: where artifacts are kept (an existing bucket;
    without one pipec creates it), and the KMS key that encrypts them."""

    bucket: str | None = None
    key: str | None = None
    span: Span | None = _span()


@node
class ConnectionStmt(Node):
    """``connection NAME`` (a connection pipec creates, by name) or ``connection arn "..."``
    (an existing CodeConnections connection)."""

    value: str
    is_arn: bool = False
    span: Span | None = _span()


@node
class Filter(Node):
    """One filter of a trigger: ``kind`` is ``branches``, ``tags``, ``paths`` or ``into``
    (pull-request target branches), with its patterns in written order."""

    kind: str
    patterns: tuple[Pattern, ...] = field()
    span: Span | None = _span()


@node
class Trigger(Node):
    """``on push ...``, ``on pull_request ...``, ``on manual`` or ``on schedule "CRON"``.
    ``events`` holds pull-request events (``opened``, ``updated``, ``closed``); ``via`` binds the
    trigger to one platform (``aws`` or ``github``) in a hybrid pipeline; ``cron`` is the
    schedule's expression as written (``kind`` schedule only)."""

    kind: str
    events: tuple[str, ...] = field(default=())
    filters: tuple[Filter, ...] = field(default=())
    via: str | None = None
    cron: str | None = None
    span: Span | None = _span()


@node
class Source(Node):
    """``source NAME PROVIDER LOCATION { ... }``. ``provider`` is github, bitbucket, gitlab,
    codecommit or s3; ``location`` is ``owner/repo``, the CodeCommit repository or the S3 bucket.
    ``body`` holds branch, connection, key, clone and trigger statements."""

    name: str
    provider: str
    location: str
    body: tuple["SourceItem", ...] = field(default=())
    span: Span | None = _span()


@node
class ImageStmt(Node):
    """``image ubuntu|amazonlinux [VERSION]``, ``image ecr|docker "URI"`` or
    ``image codebuild "aws/codebuild/..."``: the build environment."""

    kind: str
    ref: str | None = None
    span: Span | None = _span()


@node
class ComputeStmt(Node):
    """``compute small|medium|large|2xlarge``."""

    size: str
    span: Span | None = _span()


@node
class TimeoutStmt(Node):
    """``timeout DURATION``: a build's time limit, or how long an approval waits."""

    duration: Duration
    span: Span | None = _span()


@node
class RuntimeStmt(Node):
    """``runtime NAME VERSION``, for example ``runtime nodejs 20``."""

    name: str
    version: str
    span: Span | None = _span()


@node
class EnvStmt(Node):
    """``env NAME = "value"``: a plain environment variable."""

    name: str
    value: str
    span: Span | None = _span()


@node
class SecretStmt(Node):
    """``secret NAME from ssm|secrets-manager|github "REF"``: a secret by reference. There is no
    syntax for a secret's value."""

    name: str
    store: str
    ref: str
    span: Span | None = _span()


@node
class FromStmt(Node):
    """``from ARTIFACT...``: the input artifacts of an action (the first is the primary one)."""

    names: tuple[str, ...] = field()
    span: Span | None = _span()


@node
class Phase(Node):
    """A build phase (``install``, ``pre_build``, ``build``, ``post_build``): its commands, the
    ``finally`` commands that run even when a command fails, and ``on_failure`` (``abort`` or
    ``continue``). Written inline (``build "make"``) or as a block (``build { run ...  finally ... }``);
    both give the same node."""

    name: str
    commands: tuple[Command, ...] = field(default=())
    finally_commands: tuple[Command, ...] = field(default=())
    on_failure: str | None = None
    span: Span | None = _span()
    #: where the ``on_failure`` line is (for the formatter's comments); not part of equality
    on_failure_span: Span | None = _span()


@node
class ArtifactStmt(Node):
    """``artifact NAME files "glob"... [base "dir"] [discard_paths]``: an output artifact."""

    name: str
    files: tuple[str, ...] = field()
    base: str | None = None
    discard_paths: bool = False
    span: Span | None = _span()


@node
class CacheStmt(Node):
    """``cache "path"...``: paths kept between builds."""

    paths: tuple[str, ...] = field()
    span: Span | None = _span()


@node
class ReportStmt(Node):
    """``report NAME FORMAT files "glob"... [base "dir"]``: a test or coverage report."""

    name: str
    format: str
    files: tuple[str, ...] = field()
    base: str | None = None
    span: Span | None = _span()


@node
class CodeArtifactStmt(Node):
    """``codeartifact TOOL domain D repository R [owner ACCOUNT]``: log the package tool in to
    a CodeArtifact repository before the install phase."""

    tool: str
    domain: str
    repository: str
    owner: str | None = None
    span: Span | None = _span()


@node
class Strategy(Node):
    """``strategy ...``: how a deployment replaces the old version. ``kind`` is ``all-at-once``,
    ``rolling``, ``blue-green``, ``canary`` or ``linear``; ``batch`` is ``one-at-a-time`` or
    ``half-at-a-time`` for a rolling deploy; ``percent`` is the canary or linear step (or the
    minimum healthy percentage of ``rolling min_healthy N%``); ``interval`` the canary wait or
    linear step interval (or the blue/green ``terminate_after`` wait)."""

    kind: str
    batch: str | None = None
    percent: Percent | None = None
    interval: Duration | None = None
    span: Span | None = _span()


@node
class RollbackStmt(Node):
    """``rollback none`` or ``rollback on [failure] [alarm "NAME"...]``."""

    on_failure: bool = False
    alarms: tuple[str, ...] = field(default=())
    none: bool = False
    span: Span | None = _span()


@node
class HookStmt(Node):
    """``hook EVENT TARGET [timeout DURATION] [as USER]``: a lifecycle hook. On EC2 the target is
    a script in the revision; on ECS and Lambda it is a Lambda function name."""

    event: str
    target: str
    timeout: Duration | None = None
    run_as: str | None = None
    span: Span | None = _span()


@node
class InstancesStmt(Node):
    """``instances tag KEY = VALUE``: EC2/on-premises instances selected by tag (several lines: any
    of them matches)."""

    key: str
    value: str
    span: Span | None = _span()


@node
class ListStmt(Node):
    """A keyword followed by several values: ``autoscaling "asg"...``, ``target_groups BLUE GREEN``,
    ``notify email "a@x"...``, ``capabilities iam auto-expand``, ``alarm`` lists."""

    keyword: str
    values: tuple[str, ...] = field()
    span: Span | None = _span()


@node
class CopyStmt(Node):
    """``copy SOURCE to DESTINATION``: files of the revision copied onto the instance."""

    source: str
    destination: str
    span: Span | None = _span()


@node
class PermissionStmt(Node):
    """``permission PATH [owner U] [group G] [mode M]``: ownership and mode after copying."""

    path: str
    owner: str | None = None
    group: str | None = None
    mode: str | None = None
    span: Span | None = _span()


@node
class ContainerStmt(Node):
    """``container NAME port N``: the container and port that receive load-balancer traffic."""

    name: str
    port: int
    span: Span | None = _span()


@node
class NetworkStmt(Node):
    """``network subnets S... security_groups G... [public_ip]``: awsvpc networking of the ECS
    task set."""

    subnets: tuple[str, ...] = field()
    security_groups: tuple[str, ...] = field()
    public_ip: bool = False
    span: Span | None = _span()


@node
class VersionsStmt(Node):
    """``versions current V target W``: the Lambda versions traffic shifts between."""

    current: str
    target: str
    span: Span | None = _span()


@node
class ParameterStmt(Node):
    """``parameter NAME = VALUE``: a CloudFormation stack parameter override."""

    name: str
    value: str
    span: Span | None = _span()


@node
class ChangeSetStmt(Node):
    """``change_set NAME`` (create a change set, then execute it: the default) or
    ``change_set none`` (create or update the stack directly)."""

    name: str | None
    span: Span | None = _span()


@node
class NotifyStmt(Node):
    """``notify email "a@x"...`` (a new SNS topic with e-mail subscribers) or
    ``notify topic "arn:aws:sns:..."`` (an existing topic)."""

    kind: str
    values: tuple[str, ...] = field()
    span: Span | None = _span()


@node
class TransitionStmt(Node):
    """``transition disabled "reason"``: runs stop before this stage until someone enables it."""

    reason: str
    span: Span | None = _span()


@node
class Setting(Node):
    """One line of an ``aws { }`` or ``github { }`` block: a key and its values. The keys each
    block accepts are listed in :mod:`pipec.semantic` (``PLATFORM_SETTINGS``) and
    docs/language.md."""

    key: str
    values: tuple[str, ...] = field(default=())
    span: Span | None = _span()


@node
class AllowStmt(Node):
    """``allow ACTION... on RESOURCE...`` in the ``aws { }`` block of a build or test action:
    IAM permissions added to the role its commands run with (the CodeBuild service role, and the
    GitHub job's OIDC role)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    span: Span | None = _span()


@node
class PatchStmt(Node):
    """``patch set PATH = VALUE`` or ``patch remove PATH`` in an ``aws { }`` or ``github { }``
    block: one change to a generated file, applied after the target has built it
    (:mod:`pipec.patches`). ``op`` is ``set`` or ``remove``; ``path`` is the dotted path as
    written; ``value`` is the value's text (None for ``remove``) and ``quoted`` says whether it
    was written in double quotes (a quoted value is always a string)."""

    op: str
    path: str
    value: str | None = None
    quoted: bool = False
    span: Span | None = _span()


@node
class AxisStmt(Node):
    """``axis NAME VALUE...``: one axis of a build's matrix, its name an environment variable."""

    name: str
    values: tuple[str, ...] = field()
    span: Span | None = _span()


@node
class CellStmt(Node):
    """``include NAME=VALUE...`` or ``exclude NAME=VALUE...`` (``keyword``) in a matrix: a cell
    added, or the cells left out."""

    keyword: str
    values: tuple[tuple[str, str], ...] = field()
    span: Span | None = _span()


@node
class MatrixBlock(Node):
    """``matrix { ... }`` in a build or test: its axes, includes and excludes, and ``fail_fast``
    and ``max_parallel`` (as :class:`Field`)."""

    body: tuple[Union[AxisStmt, CellStmt, Field], ...] = field(default=())
    span: Span | None = _span()


@node
class PlatformBlock(Node):
    """``aws { ... }`` or ``github { ... }``: settings that only one platform understands."""

    platform: str
    body: tuple[Union[Setting, SecretStmt, AllowStmt, PatchStmt], ...] = field(default=())
    span: Span | None = _span()


# ----------------------------------------------------------------------------- actions and stages


@node
class BuildAction(Node):
    """``build NAME { ... }`` or ``test NAME { ... }`` (``kind`` says which): commands run in a
    fresh build environment (CodeBuild, or a GitHub Actions job)."""

    kind: str
    name: str
    body: tuple["BuildItem", ...] = field(default=())
    span: Span | None = _span()


@node
class DeployAction(Node):
    """``deploy NAME to PLATFORM { ... }``; ``platform`` is ec2, ecs, lambda, cloudformation or s3."""

    name: str
    platform: str
    body: tuple["DeployItem", ...] = field(default=())
    span: Span | None = _span()


@node
class ApproveAction(Node):
    """``approve NAME { ... }``: a manual approval gate."""

    name: str
    body: tuple["ApproveItem", ...] = field(default=())
    span: Span | None = _span()


@node
class InvokeAction(Node):
    """``invoke NAME { ... }``: call a Lambda function with user parameters."""

    name: str
    body: tuple["InvokeItem", ...] = field(default=())
    span: Span | None = _span()


Action = Union[BuildAction, DeployAction, ApproveAction, InvokeAction]


@node
class Parallel(Node):
    """``parallel { ... }``: actions that run at the same time. Actions outside a parallel block
    run one after another, in written order."""

    body: tuple[Union[Action, Source], ...] = field(default=())
    span: Span | None = _span()


@node
class Stage(Node):
    """``stage NAME [via aws|github] { ... }``: a step of the pipeline; stages run in order."""

    name: str
    via: str | None = None
    body: tuple[Union[Action, Parallel, TransitionStmt, Source], ...] = field(default=())
    span: Span | None = _span()


@node
class Pipeline(Node):
    """``pipeline NAME { ... }``: the root. ``body`` holds mode, variables, the artifact store,
    sources, stages and platform blocks, in written order."""

    name: str
    body: tuple = field(default=())
    span: Span | None = _span()


# ----------------------------------------------------------------------------- shared definitions


@node
class UseFile(Node):
    """``use "lib/python-service.pipe"`` at the top of a file: the templates of that library
    file (a path relative to this file) become available here."""

    path: str
    span: Span | None = _span()


@node
class Param(Node):
    """``param NAME [= VALUE]`` in a template: a parameter, optional when it has a default."""

    name: str
    default: str | None = None
    span: Span | None = _span()


@node
class Template(Node):
    """``template stage|action NAME { param ...  stage ... }``: stages (``kind`` stage) or
    actions (``kind`` action) with parameters, written once and expanded where a
    :class:`UseTemplate` names them (:mod:`pipec.templates`)."""

    kind: str
    name: str
    params: tuple[Param, ...] = field(default=())
    body: tuple = field(default=())
    span: Span | None = _span()


@node
class Arg(Node):
    """``NAME = VALUE`` in a ``use`` block: one argument of a template."""

    name: str
    value: str
    span: Span | None = _span()


@node
class UseTemplate(Node):
    """``use NAME { ARG = VALUE ... }`` (or ``use NAME``) where a stage or an action may stand:
    the template's stages or actions, its parameters replaced by the arguments."""

    name: str
    args: tuple[Arg, ...] = field(default=())
    span: Span | None = _span()


@node
class Comment(Node):
    """A ``#`` comment; kept beside the tree (not in it) so the formatter can put it back."""

    text: str
    line: int
    column: int


@node
class Module(Node):
    """A parsed file: its ``use`` lines and templates, the pipeline (None in a library file),
    its comments, the file name and the source text."""

    pipeline: Pipeline | None
    uses: tuple[UseFile, ...] = field(default=())
    templates: tuple[Template, ...] = field(default=())
    comments: tuple[Comment, ...] = field(default=(), eq=False)
    filename: str = field(default="<input>", eq=False)
    source: str = field(default="", eq=False, repr=False)
    #: the text of each library file whose templates were expanded here, by file name
    libraries: dict = field(factory=dict, eq=False, repr=False)
    #: warnings found while the templates were expanded (W816, W817), for the checks to report
    warnings: tuple = field(default=(), eq=False, repr=False)


SourceItem = Union[Field, ConnectionStmt, Trigger]
BuildItem = Union[
    ImageStmt, ComputeStmt, Flag, TimeoutStmt, RuntimeStmt, EnvStmt, SecretStmt, FromStmt, Phase,
    ArtifactStmt, CacheStmt, ReportStmt, CodeArtifactStmt, PlatformBlock,
]
DeployItem = Union[
    FromStmt, Strategy, RollbackStmt, HookStmt, InstancesStmt, ListStmt, Field, CopyStmt,
    PermissionStmt, ContainerStmt, NetworkStmt, VersionsStmt, ParameterStmt, ChangeSetStmt, Flag,
    PlatformBlock,
]
ApproveItem = Union[Field, NotifyStmt, TimeoutStmt, PlatformBlock]
InvokeItem = Union[Field, FromStmt, PlatformBlock]
