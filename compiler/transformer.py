"""Lark parse tree -> :mod:`pipec.ast` nodes: one method per grammar rule, each returning a node.

Only shape is decided here; meaning (defaults, references, limits) is decided in
:mod:`pipec.semantic`. The few checks made here are those the tree cannot carry, such as an empty
command or a number too large to be a port; they raise :class:`TransformError`.
"""

from __future__ import annotations

import re

from pipec.grammar.pipe_parser import Discard, GrammarError, Token, Transformer, Tree, VisitError, _vargs_meta, v_args

from pipec import ast
from pipec.diagnostics import Span


class TransformError(Exception):
    def __init__(self, code: str, message: str, span: Span | None, help: str = ""):
        super().__init__(message)
        self.code, self.message, self.span, self.help = code, message, span, help


def span_of(meta) -> Span | None:
    if meta is None or getattr(meta, "empty", True):
        return None
    return Span(meta.line, meta.column, meta.end_line, max(meta.column, meta.end_column - 1)
                if meta.end_line == meta.line else meta.end_column - 1,
                meta.start_pos, meta.end_pos)


def tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line or tok.line,
                (tok.end_column or tok.column + 1) - 1, tok.start_pos or 0, tok.end_pos or 0)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}

_ESCAPE = re.compile(r"\\(.)", re.S)


def unescape(body: str) -> str:
    """The text of a quoted string's body: ``\\n``, ``\\t``, ``\\"`` and ``\\\\`` are replaced;
    any other backslash stays as written. One regular-expression pass: linear, and fast on a
    string of several megabytes."""
    if "\\" not in body:
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def script_text(raw: str) -> str:
    """The text of a triple-quoted block: without the first newline and the closing line's
    indentation, and dedented."""
    import textwrap  # here: a file without a script does not need it (issue 18: start-up)

    lines = raw[3:-3].replace("\r\n", "\n").split("\n")
    if len(lines) > 1 and not lines[0].strip():  # the rest of the opening line
        lines.pop(0)
    if len(lines) > 1 and not lines[-1].strip():  # the closing line's indentation
        lines.pop()
    return textwrap.dedent("\n".join(line.rstrip() for line in lines))


def _val(v):
    """Normalise a value subtree's result to text."""
    return v if isinstance(v, str) else str(v)


@v_args(meta=True)
class ToAst(Transformer):
    # ------------------------------------------------------------------ tokens
    # Terminals are converted first (lark calls these with each token): names and values become
    # plain text, durations and percentages become nodes with their own spans.
    def NAME(self, tok):
        return str(tok)

    def VALUE(self, tok):
        text = str(tok)
        return unescape(text[1:-1]) if text.startswith('"') else text

    def STRING(self, tok):
        return unescape(str(tok)[1:-1])

    def DURATION(self, tok):
        text = str(tok)
        return ast.Duration(int(text[:-1]), text[-1], span=tok_span(tok))

    def PERCENT(self, tok):
        return ast.Percent(int(str(tok)[:-1]), span=tok_span(tok))

    def description(self, meta, c):
        return c[0]

    def _enum(self, meta, c):
        return str(c[0])

    mode = provider = clone = pr_event = platform = image_kind = compute = secret_store = _enum
    phase_name = on_failure = report_format = ca_tool = rolling_batch = hook = os = _enum
    capability = arch = switch = _enum

    # ------------------------------------------------------------------ pipeline level
    def start(self, meta, c):
        """(pipeline or None, use lines, templates): :func:`pipec.parser.parse` makes the Module."""
        items = [x for x in c if x is not None]
        pipeline = next((x for x in items if isinstance(x, ast.Pipeline)), None)
        uses = tuple(x for x in items if isinstance(x, ast.UseFile))
        templates = tuple(x for x in items if isinstance(x, ast.Template))
        return pipeline, uses, templates

    def pipeline(self, meta, c):
        return ast.Pipeline(c[0], tuple(c[1:]), span=span_of(meta))

    def mode_stmt(self, meta, c):
        return ast.ModeStmt(str(c[0]), span=span_of(meta))

    def variable_stmt(self, meta, c):
        return ast.VariableStmt(c[0], _val(c[1]), c[2], span=span_of(meta))

    def store_stmt(self, meta, c):
        return ast.StoreStmt(None if c[0] is None else _val(c[0]), None if c[1] is None else _val(c[1]),
                             span=span_of(meta))

    # ------------------------------------------------------------------ sources and triggers
    def source(self, meta, c):
        name, provider, location, *body = c
        return ast.Source(name, str(provider), _val(location), tuple(body), span=span_of(meta))

    def branch_stmt(self, meta, c):
        return ast.Field("branch", _val(c[0]), span=span_of(meta))

    def connection_named(self, meta, c):
        return ast.ConnectionStmt(_val(c[0]), False, span=span_of(meta))

    def connection_arn(self, meta, c):
        return ast.ConnectionStmt(_val(c[0]), True, span=span_of(meta))

    def key_stmt(self, meta, c):
        return ast.Field("key", _val(c[0]), span=span_of(meta))

    def clone_stmt(self, meta, c):
        return ast.Field("clone", str(c[0]), span=span_of(meta))

    def _filters_and_via(self, items):
        filters, via, events = [], None, []
        for it in items:
            if isinstance(it, ast.Filter):
                filters.append(it)
            elif isinstance(it, tuple) and it and it[0] == "via":
                via = it[1]
            elif isinstance(it, str):
                events.append(it)
        return filters, via, events

    def push_trigger(self, meta, c):
        filters, via, _ = self._filters_and_via(c)
        return ast.Trigger("push", (), tuple(filters), via, span=span_of(meta))

    def pr_trigger(self, meta, c):
        filters, via, events = self._filters_and_via(c)
        return ast.Trigger("pull_request", tuple(events), tuple(filters), via, span=span_of(meta))

    def manual_trigger(self, meta, c):
        _, via, _ = self._filters_and_via(c)
        return ast.Trigger("manual", (), (), via, span=span_of(meta))

    def schedule_trigger(self, meta, c):
        _, via, _ = self._filters_and_via(c[1:])
        return ast.Trigger("schedule", (), (), via, _val(c[0]), span=span_of(meta))

    def _filter(self, kind, meta, c):
        return ast.Filter(kind, tuple(c), span=span_of(meta))

    def branches_filter(self, meta, c):
        return self._filter("branches", meta, c)

    def tags_filter(self, meta, c):
        return self._filter("tags", meta, c)

    def paths_filter(self, meta, c):
        return self._filter("paths", meta, c)

    def into_filter(self, meta, c):
        return self._filter("into", meta, c)

    def pattern(self, meta, c):
        return ast.Pattern(_val(c[1]), c[0] is not None, span=span_of(meta))

    def via(self, meta, c):
        return ("via", str(c[0]))

    # ------------------------------------------------------------------ stages
    def stage(self, meta, c):
        name, via, *body = c
        return ast.Stage(name, via[1] if via else None, tuple(body), span=span_of(meta))

    def parallel(self, meta, c):
        return ast.Parallel(tuple(c), span=span_of(meta))

    def transition_stmt(self, meta, c):
        return ast.TransitionStmt(c[0], span=span_of(meta))

    # ------------------------------------------------------------------ build and test
    def build_action(self, meta, c):
        return ast.BuildAction("build", c[0], tuple(c[1:]), span=span_of(meta))

    def test_action(self, meta, c):
        return ast.BuildAction("test", c[0], tuple(c[1:]), span=span_of(meta))

    def image_stmt(self, meta, c):
        return ast.ImageStmt(str(c[0]), None if c[1] is None else _val(c[1]), span=span_of(meta))

    def compute_stmt(self, meta, c):
        return ast.ComputeStmt(str(c[0]), span=span_of(meta))

    def privileged_stmt(self, meta, c):
        return ast.Flag("privileged", span=span_of(meta))

    def timeout_stmt(self, meta, c):
        return ast.TimeoutStmt(c[0], span=span_of(meta))

    def runtime_stmt(self, meta, c):
        return ast.RuntimeStmt(c[0], _val(c[1]), span=span_of(meta))

    def env_stmt(self, meta, c):
        return ast.EnvStmt(c[0], _val(c[1]), span=span_of(meta))

    def secret_stmt(self, meta, c):
        return ast.SecretStmt(c[0], str(c[1]), _val(c[2]), span=span_of(meta))

    def from_stmt(self, meta, c):
        return ast.FromStmt(tuple(c), span=span_of(meta))

    def command(self, meta, c):
        tok = c[0]
        if isinstance(tok, Token) and tok.type == "SCRIPT":
            text, script = script_text(str(tok)), True
        else:
            text, script = tok, False
        if not text.strip():
            raise TransformError("E206", "empty command", span_of(meta),
                                 "Write the command to run between the quotes, or remove it.")
        return ast.Command(text, script, span=span_of(meta))

    def phase_inline(self, meta, c):
        return ast.Phase(str(c[0]), tuple(c[1:]), span=span_of(meta))

    def phase_block(self, meta, c):
        commands, finals, on_failure, on_failure_span = [], [], None, None
        for item in c[1:]:
            kind, value = item[0], item[1]
            if kind == "run":
                commands.extend(value)
            elif kind == "finally":
                finals.extend(value)
            else:
                on_failure, on_failure_span = value, item[2]
        return ast.Phase(str(c[0]), tuple(commands), tuple(finals), on_failure, span=span_of(meta),
                         on_failure_span=on_failure_span)

    def run_stmt(self, meta, c):
        return ("run", list(c))

    def finally_stmt(self, meta, c):
        return ("finally", list(c))

    def on_failure_stmt(self, meta, c):
        return ("on_failure", str(c[0]), span_of(meta))

    def artifact_stmt(self, meta, c):
        name, *rest = c
        discard = rest.pop()
        base = rest.pop()
        return ast.ArtifactStmt(name, tuple(_val(v) for v in rest), None if base is None else _val(base),
                                discard is not None, span=span_of(meta))

    def cache_stmt(self, meta, c):
        return ast.CacheStmt(tuple(_val(v) for v in c), span=span_of(meta))

    def report_stmt(self, meta, c):
        name, fmt, *rest = c
        base = rest.pop()
        return ast.ReportStmt(name, str(fmt), tuple(_val(v) for v in rest),
                              None if base is None else _val(base), span=span_of(meta))

    def codeartifact_stmt(self, meta, c):
        tool, domain, repo, owner = c
        return ast.CodeArtifactStmt(str(tool), _val(domain), _val(repo),
                                    None if owner is None else _val(owner), span=span_of(meta))

    # ------------------------------------------------------------------ deploy
    def _deploy(self, platform, meta, c):
        return ast.DeployAction(c[0], platform, tuple(c[1:]), span=span_of(meta))

    def deploy_ec2(self, meta, c):
        return self._deploy("ec2", meta, c)

    def deploy_ecs(self, meta, c):
        return self._deploy("ecs", meta, c)

    def deploy_lambda(self, meta, c):
        return self._deploy("lambda", meta, c)

    def deploy_cfn(self, meta, c):
        return self._deploy("cloudformation", meta, c)

    def deploy_s3(self, meta, c):
        return self._deploy("s3", meta, c)

    def strategy_all_at_once(self, meta, c):
        return ast.Strategy("all-at-once", span=span_of(meta))

    def strategy_rolling(self, meta, c):
        return ast.Strategy("rolling", None if c[0] is None else str(c[0]), span=span_of(meta))

    def strategy_min_healthy(self, meta, c):
        return ast.Strategy("rolling", "min_healthy", c[0], span=span_of(meta))

    def strategy_blue_green(self, meta, c):
        return ast.Strategy("blue-green", None, None,
                            None if c[0] is None else c[0], span=span_of(meta))

    def strategy_canary(self, meta, c):
        return ast.Strategy("canary", None, c[0], c[1],
                            span=span_of(meta))

    def strategy_linear(self, meta, c):
        return ast.Strategy("linear", None, c[0], c[1],
                            span=span_of(meta))

    def rollback_none(self, meta, c):
        return ast.RollbackStmt(False, (), True, span=span_of(meta))

    def rollback_on(self, meta, c):
        on_failure = any(x == "failure" for x in c)
        alarms = tuple(a for x in c if isinstance(x, tuple) for a in x)
        return ast.RollbackStmt(on_failure, alarms, False, span=span_of(meta))

    def rollback_failure(self, meta, c):
        return "failure"

    def rollback_alarms(self, meta, c):
        return tuple(_val(v) for v in c)

    def hook_stmt(self, meta, c):
        event, target, timeout, run_as = c
        return ast.HookStmt(str(event), _val(target), timeout,
                            None if run_as is None else _val(run_as), span=span_of(meta))

    def instances_stmt(self, meta, c):
        return ast.InstancesStmt(_val(c[0]), _val(c[1]), span=span_of(meta))

    def _list(self, keyword, meta, c):
        return ast.ListStmt(keyword, tuple(_val(v) for v in c), span=span_of(meta))

    def autoscaling_stmt(self, meta, c):
        return self._list("autoscaling", meta, c)

    def target_groups_stmt(self, meta, c):
        return self._list("target_groups", meta, c)

    def capabilities_stmt(self, meta, c):
        return self._list("capabilities", meta, c)

    def _field(self, keyword, meta, c):
        return ast.Field(keyword, _val(c[0]), span=span_of(meta))

    def target_group_stmt(self, meta, c):
        return self._field("target_group", meta, c)

    def os_stmt(self, meta, c):
        return self._field("os", meta, c)

    def arch_stmt(self, meta, c):
        return self._field("arch", meta, c)

    def matrix_block(self, meta, c):
        return ast.MatrixBlock(tuple(c), span=span_of(meta))

    def axis_stmt(self, meta, c):
        return ast.AxisStmt(str(c[0]), tuple(_val(v) for v in c[1:]), span=span_of(meta))

    def cell_value(self, meta, c):
        return (str(c[0]), _val(c[1]))

    def cell_include(self, meta, c):
        return ast.CellStmt("include", tuple(c), span=span_of(meta))

    def cell_exclude(self, meta, c):
        return ast.CellStmt("exclude", tuple(c), span=span_of(meta))

    def fail_fast_stmt(self, meta, c):
        return self._field("fail_fast", meta, c)

    def max_parallel_stmt(self, meta, c):
        return ast.Field("max_parallel", str(c[0]), span=span_of(meta))

    def copy_stmt(self, meta, c):
        return ast.CopyStmt(_val(c[0]), _val(c[1]), span=span_of(meta))

    def permission_stmt(self, meta, c):
        path, owner, group, mode = c
        opt = lambda v: None if v is None else _val(v)  # noqa: E731
        return ast.PermissionStmt(_val(path), opt(owner), opt(group), opt(mode), span=span_of(meta))

    def cluster_stmt(self, meta, c):
        return self._field("cluster", meta, c)

    def service_stmt(self, meta, c):
        return self._field("service", meta, c)

    def container_stmt(self, meta, c):
        port = int(str(c[1]))
        if not 1 <= port <= 65535:
            raise TransformError("E206", f"'{c[1]}' is not a port number", tok_span(c[1]),
                                 "A container port is a whole number from 1 to 65535.")
        return ast.ContainerStmt(_val(c[0]), port, span=span_of(meta))

    def listener_stmt(self, meta, c):
        return self._field("listener", meta, c)

    def test_listener_stmt(self, meta, c):
        return self._field("test_listener", meta, c)

    def task_definition_stmt(self, meta, c):
        return self._field("task_definition", meta, c)

    def image_file_stmt(self, meta, c):
        return self._field("image_file", meta, c)

    def platform_version_stmt(self, meta, c):
        return self._field("platform_version", meta, c)

    def network_stmt(self, meta, c):
        return ast.NetworkStmt(c[0], c[1], c[2] is not None, span=span_of(meta))

    def subnets(self, meta, c):
        return tuple(_val(v) for v in c)

    def security_groups(self, meta, c):
        return tuple(_val(v) for v in c)

    def function_stmt(self, meta, c):
        return self._field("function", meta, c)

    def alias_stmt(self, meta, c):
        return self._field("alias", meta, c)

    def versions_stmt(self, meta, c):
        return ast.VersionsStmt(_val(c[0]), _val(c[1]), span=span_of(meta))

    def stack_stmt(self, meta, c):
        return self._field("stack", meta, c)

    def template_stmt(self, meta, c):
        return self._field("template", meta, c)

    def parameter_stmt(self, meta, c):
        return ast.ParameterStmt(c[0], _val(c[1]), span=span_of(meta))

    def change_set_named(self, meta, c):
        return ast.ChangeSetStmt(_val(c[0]), span=span_of(meta))

    def change_set_none(self, meta, c):
        return ast.ChangeSetStmt(None, span=span_of(meta))

    def bucket_stmt(self, meta, c):
        return self._field("bucket", meta, c)

    def extract_stmt(self, meta, c):
        return ast.Flag("extract", span=span_of(meta))

    def object_key_stmt(self, meta, c):
        return self._field("object_key", meta, c)

    def cache_control_stmt(self, meta, c):
        return self._field("cache_control", meta, c)

    # ------------------------------------------------------------------ approvals and invokes
    def approve_action(self, meta, c):
        return ast.ApproveAction(c[0], tuple(c[1:]), span=span_of(meta))

    def message_stmt(self, meta, c):
        return ast.Field("message", c[0], span=span_of(meta))

    def url_stmt(self, meta, c):
        return ast.Field("url", c[0], span=span_of(meta))

    def notify_email(self, meta, c):
        return ast.NotifyStmt("email", tuple(_val(v) for v in c), span=span_of(meta))

    def notify_topic(self, meta, c):
        return ast.NotifyStmt("topic", (_val(c[0]),), span=span_of(meta))

    def invoke_action(self, meta, c):
        return ast.InvokeAction(c[0], tuple(c[1:]), span=span_of(meta))

    def parameters_stmt(self, meta, c):
        return ast.Field("parameters", c[0], span=span_of(meta))

    def artifact_out_stmt(self, meta, c):
        return ast.Field("artifact", c[0], span=span_of(meta))

    # ------------------------------------------------------------------ shared definitions
    def use_file(self, meta, c):
        return ast.UseFile(c[0], span=span_of(meta))

    template_kind = _enum

    def template(self, meta, c):
        kind, name, *rest = c
        params = tuple(x for x in rest if isinstance(x, ast.Param))
        body = tuple(x for x in rest if not isinstance(x, ast.Param))
        return ast.Template(kind, name, params, body, span=span_of(meta))

    def param_stmt(self, meta, c):
        return ast.Param(c[0], None if c[1] is None else _val(c[1]), span=span_of(meta))

    def use_template(self, meta, c):
        return ast.UseTemplate(c[0], tuple(c[1:]), span=span_of(meta))

    def arg_stmt(self, meta, c):
        return ast.Arg(c[0], _val(c[1]), span=span_of(meta))

    # ------------------------------------------------------------------ platform blocks
    def aws_block(self, meta, c):
        return ast.PlatformBlock("aws", tuple(c), span=span_of(meta))

    def github_block(self, meta, c):
        return ast.PlatformBlock("github", tuple(c), span=span_of(meta))

    def allow_stmt(self, meta, c):
        return ast.AllowStmt(c[0], tuple(_val(v) for v in c[1:]), span=span_of(meta))

    def iam_actions(self, meta, c):
        if len(c) == 2 and isinstance(c[0], tuple):
            return (*c[0], _val(c[1]))
        return (_val(c[0]),)

    def patch_set_string(self, meta, c):
        return ast.PatchStmt("set", _val(c[0]), c[1], True, span=span_of(meta))

    def patch_set_word(self, meta, c):
        return ast.PatchStmt("set", _val(c[0]), _val(c[1]), False, span=span_of(meta))

    def patch_remove(self, meta, c):
        return ast.PatchStmt("remove", _val(c[0]), span=span_of(meta))

    def setting(self, meta, c):
        return ast.Setting(str(c[0]), tuple(_val(v) for v in c[1:]), span=span_of(meta))

    # ------------------------------------------------------------------ the walk
    def transform(self, tree):
        """lark's ``Transformer.transform``: the same methods called in the same order (children
        left to right, then the rule; tokens through ``NAME``, ``VALUE``... or kept), the same
        :class:`VisitError` around an exception a method raises. Without lark's per-node cost
        (issue 18: a third of transforming a large file): its walk makes a generator per node and
        looks each method up with ``getattr`` and calls it through the ``v_args`` wrapper
        (``_call_userfunc`` -> ``_vargs_meta`` -> ``_VArgsWrapper.__call__``); here each rule's
        and terminal's method is looked up once per transformer and called directly."""
        rules = self.__dict__.setdefault("_rules_found", {})
        tokens = self.__dict__.setdefault("_tokens_found", {})
        visit_tokens = self.__visit_tokens__

        def walk(tree):
            children = []
            for c in tree.children:
                if isinstance(c, Tree):
                    res = walk(c)
                elif visit_tokens and isinstance(c, Token):
                    call = tokens.get(c.type, _UNKNOWN)
                    if call is _UNKNOWN:
                        call = tokens[c.type] = self._token_method(c.type)
                    if call is None:
                        res = c
                    else:
                        try:
                            res = call(c)
                        except GrammarError:
                            raise
                        except Exception as e:
                            raise VisitError(c.type, c, e)
                else:
                    res = c
                if res is not Discard:
                    children.append(res)
            call = rules.get(tree.data, _UNKNOWN)
            if call is _UNKNOWN:
                call = rules[tree.data] = self._rule_method(tree.data)
            if call is None:
                return self.__default__(tree.data, children, tree.meta)
            try:
                return call(tree.meta, children)
            except GrammarError:
                raise
            except Exception as e:
                raise VisitError(tree.data, tree, e)

        res = walk(tree) if isinstance(tree, Tree) else tree
        return None if res is Discard else res

    def _rule_method(self, data: str):
        """What lark's ``_call_userfunc`` calls for rule ``data``, as ``call(meta, children)``; None
        for ``__default__``."""
        try:
            f = getattr(self, data)
        except AttributeError:
            return None
        wrapper = getattr(f, "visit_wrapper", None)
        if wrapper is None:
            return lambda meta, children: f(children)
        if wrapper is _vargs_meta:  # @v_args(meta=True): f(meta, children), unwrapped
            return f.base_func
        return lambda meta, children: wrapper(f, data, children, meta)

    def _token_method(self, type_: str):
        """What lark's ``_call_userfunc_token`` calls for a token of ``type_``; None to keep it."""
        try:
            f = getattr(self, type_)
        except AttributeError:
            return None
        return getattr(f, "base_func", f)  # a v_args wrapper's call is its function's


_UNKNOWN = object()

_SHARED: list = []


def shared() -> ToAst:
    """One :class:`ToAst`, whose methods are looked up once (:meth:`ToAst.transform`). ToAst keeps
    no state but that, so one instance serves every parse."""
    if not _SHARED:
        _SHARED.append(ToAst())
    return _SHARED[0]
