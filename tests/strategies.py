"""Hypothesis strategies for syntactically valid ``.pipe`` syntax trees (:mod:`pipec.ast`).

Every strategy here produces only trees that the grammar (``grammar/pipe.lark``, lexed by
``compiler/lexer.py`` and parsed by lark's LALR parser) can express, so that for any generated tree ``t``
``parse(format_pipeline(t)).pipeline == t`` must hold. Semantic validity is *not* a goal:
duplicate names, unknown artifacts, wrong platform settings and so on are all generated.

The shapes follow the grammar rule by rule:

* names match the ``NAME`` terminal (keywords included: keywords are contextual);
* values are any printable text (quoted strings may also hold ``\\n``, ``\\t``, quotes and
  backslashes), bare-looking words, words that are keywords, numbers, duration- and
  percent-looking words;
* scripts are texts that ``transformer.script_text`` reproduces (see :func:`script_texts`);
* setting keys match ``SETTING_KEY``, statement keywords included (``aws { cache s3 }``), except
  ``secret`` (see :data:`UNWRITABLE_SETTING_KEYS`);
* each statement appears only in the blocks whose ``_..._item`` rule allows it, with the fixed
  arities of the grammar (``target_groups`` two values, ``notify topic`` one value,
  ``rollback none`` XOR ``rollback on failure/alarm``, and so on).

Also here: :func:`mutations` (random token-level edits of a source text, for fuzzing) and
:func:`variants` (labels describing which node classes and field variants a tree uses).
"""

from __future__ import annotations

import re
from importlib import resources

from pipec.node import fields, has
from hypothesis import strategies as st

from pipec import ast


# ----------------------------------------------------------------------------- helpers


def _short(strategy):
    """The same strategy with a short repr (Hypothesis warns about, and spends seconds on, the
    repr of deeply nested strategies when it reports a failure). A composite's repr does not
    include what it draws from; ``st.deferred``'s does once it has been used."""

    @st.composite
    def _drawn(draw):
        return draw(strategy)

    return _drawn()


def _node(cls, *args):
    """``cls(*drawn args)``. Not ``st.builds``: Hypothesis remembers how ``builds`` made each
    object and prints failing examples as nested calls, which takes minutes for a whole tree."""
    return _short(st.tuples(*args).map(lambda drawn: cls(*drawn)))


def _tuple(elements, min_size=1, max_size=3):
    return _short(st.lists(elements, min_size=min_size, max_size=max_size).map(tuple))


def _opt(strategy):
    return st.none() | strategy


# ----------------------------------------------------------------------------- vocabulary


def _grammar_keywords() -> frozenset[str]:
    """Every string literal of the grammar (comment lines skipped), independent of
    :func:`pipec.parser.keywords` so that a word that function forgets is still generated."""
    text = resources.files("pipec.grammar").joinpath("pipe.lark").read_text(encoding="utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        line = line.split("//", 1)[0]
        words.update(re.findall(r'"([^"\\\s]+)"', line))
    return frozenset(w for w in words if re.fullmatch(r"[A-Za-z0-9_\-]+", w))


KEYWORDS: tuple[str, ...] = tuple(sorted(_grammar_keywords()))

#: Words that begin a statement or a block somewhere in the grammar. After a newline LALR merges
#: the states of every block, so that state accepts all of these; the lexer (compiler/lexer.py)
#: therefore treats the first word of a line inside ``aws { }`` / ``github { }`` as a setting
#: name even when it is one of these (``cache s3``). Setting keys are drawn from this list often
#: so that rule stays tested.
STATEMENT_KEYWORDS: frozenset[str] = frozenset("""
    alias approve artifact artifact_store autoscaling aws branch bucket build cache cache_control
    capabilities change_set clone cluster codeartifact compute connection container copy deploy
    env extract finally from function github hook image image_file install instances invoke key
    listener message mode network notify object_key on on_failure os parallel parameter
    parameters permission pipeline platform_version post_build pre_build privileged report
    rollback run runtime secret service source stack stage strategy target_group target_groups
    task_definition template test test_listener timeout transition url variable versions
""".split())

#: Setting keys that cannot be written: ``secret`` starts a secret statement in a platform block
#: (in ``github { }`` by the grammar; the lexer applies the same rule in ``aws { }``),
#: ``allow`` an allow statement in ``aws { }`` and ``patch`` a patch in both.
UNWRITABLE_SETTING_KEYS = frozenset({"secret", "allow", "patch"})

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
BARE_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
SETTING_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")

_NAME_KEYWORDS = tuple(k for k in KEYWORDS if NAME_RE.fullmatch(k))
_KEY_KEYWORDS = tuple(k for k in KEYWORDS if SETTING_KEY_RE.fullmatch(k) and k not in UNWRITABLE_SETTING_KEYS)

# Printable text: no control characters (Cc) and no surrogates; the quoted-string escapes are
# added by hand so they appear often.
_PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
_TRICKY = st.sampled_from(['"', "\\", "#", "{", "}", "!", "=", "%", " ", "-", ".", "'", "é", "☃", "𝄞"])
_TEXT_CHARS = st.one_of(_PRINTABLE, _TRICKY, st.sampled_from(["\n", "\t"]))
_LINE_CHARS = st.one_of(_PRINTABLE, _TRICKY, st.just("\t"))  # no newline


# ----------------------------------------------------------------------------- names and values


def _word(first: str, rest: str, max_rest: int = 12) -> st.SearchStrategy[str]:
    return st.builds(lambda a, b: a + b, st.sampled_from(first),
                     st.text(st.sampled_from(rest), max_size=max_rest))


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"

names: st.SearchStrategy[str] = st.one_of(
    _word(_LOWER + _UPPER + "_", _LOWER + _UPPER + _DIGITS + "_-"),
    st.sampled_from(_NAME_KEYWORDS),
    st.sampled_from(["web", "my-app", "_", "a-", "Build", "x_1", "dist", "None", "true"]),
)

bare_words: st.SearchStrategy[str] = _word(_LOWER + _UPPER + _DIGITS + "_", _LOWER + _UPPER + _DIGITS + "_.-")

numbers: st.SearchStrategy[str] = st.one_of(
    st.integers(0, 10**9).map(str),
    st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True),
    st.from_regex(r"0[0-9]{1,4}", fullmatch=True),
)

#: Words that look like other terminals: durations, percents, ports.
terminal_lookalikes: st.SearchStrategy[str] = st.one_of(
    st.builds(lambda n, u: f"{n}{u}", st.integers(0, 999), st.sampled_from("smhd")),
    st.integers(0, 200).map(lambda n: f"{n}%"),
    st.sampled_from(["5m", "10%", "120s", "7d", "1h", "5ms", "5m.", "5m-x", "3000", "!x", "a=b"]),
)

free_text: st.SearchStrategy[str] = st.text(_TEXT_CHARS, max_size=24)

values: st.SearchStrategy[str] = st.one_of(
    bare_words,
    st.sampled_from(KEYWORDS),
    numbers,
    terminal_lookalikes,
    free_text,
    st.sampled_from(["", " ", '"', "\\", "\\n", "\n", "\t", "#x", "a b", '"""', "a\\", "main", "src/**",
                     "ubuntu-24.04", "arn:aws:sns:us-east-1:1:t", "päckchen", "${{ x }}"]),
)

values = _short(values)
names = _short(names)

#: Text of a ``STRING`` (always quoted by the formatter): anything values may be.
strings = values

durations: st.SearchStrategy[ast.Duration] = _node(
    ast.Duration, st.one_of(st.integers(0, 10_000), st.integers(0, 10**30)), st.sampled_from("smhd"))
percents: st.SearchStrategy[ast.Percent] = _node(
    ast.Percent, st.one_of(st.integers(0, 100), st.integers(0, 10**12)))


# ----------------------------------------------------------------------------- commands


def _no_triple_quote(s: str) -> bool:
    return '"""' not in s


plain_command_texts: st.SearchStrategy[str] = st.one_of(
    st.text(_TEXT_CHARS, min_size=1, max_size=40),
    st.sampled_from(["make", "npm ci", 'echo "hi"', "a\\b", "x\ny", "\ttab", " lead", "trail ",
                     "#no comment"]),
).filter(lambda s: s.strip() != "")

_script_line_body = st.text(_LINE_CHARS, min_size=1, max_size=30).map(str.rstrip).filter(
    lambda s: s != "" and s[0] not in " \t" and _no_triple_quote(s))
_indent = st.sampled_from(["", "", "  ", "    ", "\t", " \t"])


@st.composite
def script_texts(draw) -> str:
    """The text of a triple-quoted script as ``transformer.script_text`` returns it.

    ``script_text`` drops the first newline and a blank closing line, strips every line's
    trailing whitespace and dedents. So a script text has no trailing whitespace on any line
    (whitespace-only lines are empty), at least one non-blank line without indentation (else
    dedent would change it) and no ``\"\"\"``. Leading and trailing blank lines do survive the
    round trip (only the one line holding the closing quotes is dropped), so they are generated
    too."""
    n = draw(st.integers(1, 5))
    lines = [draw(_indent) + draw(_script_line_body) if draw(st.integers(0, 5)) else "" for _ in range(n)]
    # at least one unindented non-blank line
    anchor = draw(st.integers(0, n - 1))
    lines[anchor] = draw(_script_line_body)
    lead = [""] * draw(st.sampled_from([0, 0, 0, 0, 1, 2]))
    trail = [""] * draw(st.sampled_from([0, 0, 0, 0, 1, 2]))
    return "\n".join(lead + lines + trail)


commands: st.SearchStrategy[ast.Command] = st.one_of(
    _node(ast.Command, plain_command_texts, st.just(False)),
    _node(ast.Command, script_texts(), st.just(True)),
)
commands = _short(commands)


# ----------------------------------------------------------------------------- sources and triggers

patterns = _node(ast.Pattern, values, st.booleans())


def _filters(kinds):
    return _node(ast.Filter, st.sampled_from(kinds), _tuple(patterns, 1, 3))


vias = _opt(st.sampled_from(["aws", "github"]))

triggers: st.SearchStrategy[ast.Trigger] = st.one_of(
    _node(ast.Trigger, st.just("push"), st.just(()),
          _tuple(_filters(["branches", "tags", "paths"]), 0, 3), vias),
    _node(ast.Trigger, st.just("pull_request"),
          _tuple(st.sampled_from(["opened", "updated", "closed"]), 0, 3),
          _tuple(_filters(["into", "paths"]), 0, 3), vias),
    _node(ast.Trigger, st.just("manual"), st.just(()), st.just(()), vias),
    # the cron is a STRING: anything, valid or not (the checker, not the grammar, reads it)
    _node(ast.Trigger, st.just("schedule"), st.just(()), st.just(()), vias,
          st.one_of(strings, st.sampled_from(["0 3 * * *", "*/15 6-18 * * MON-FRI", "0 0 1 * *"]))),
)

source_items = st.one_of(
    _node(ast.Field, st.just("branch"), values),
    _node(ast.ConnectionStmt, values, st.booleans()),
    _node(ast.Field, st.just("key"), values),
    _node(ast.Field, st.just("clone"), st.sampled_from(["full", "shallow"])),
    triggers,
)

sources: st.SearchStrategy[ast.Source] = _short(_node(
    ast.Source, names, st.sampled_from(["github", "bitbucket", "gitlab", "codecommit", "s3"]), values,
    _tuple(source_items, 0, 5)))


# ----------------------------------------------------------------------------- platform blocks

setting_keys: st.SearchStrategy[str] = st.one_of(
    _word(_LOWER, _LOWER + _DIGITS + "_"),
    st.sampled_from(_KEY_KEYWORDS),
    st.sampled_from(sorted(STATEMENT_KEYWORDS - UNWRITABLE_SETTING_KEYS)),
    st.sampled_from(["role", "runs_on", "tag", "wait", "branches", "repository", "environment",
                     "run_in_codebuild", "project_name", "reviewers"]),
).filter(lambda k: k not in UNWRITABLE_SETTING_KEYS)

settings_ = _node(ast.Setting, setting_keys, _tuple(values, 0, 3))
secrets = _node(ast.SecretStmt, names, st.sampled_from(["ssm", "secrets-manager", "github"]), values)

allows = _node(ast.AllowStmt, _tuple(values, 1, 3), _tuple(values, 1, 2))

#: ``patch set PATH = VALUE`` (a quoted value is any text, a bare one a bare word or number) and
#: ``patch remove PATH``
patches_ = st.one_of(
    _node(ast.PatchStmt, st.just("set"), values, values, st.just(True)),
    _node(ast.PatchStmt, st.just("set"), values, st.one_of(bare_words, numbers, st.sampled_from(KEYWORDS)),
          st.just(False)),
    _node(ast.PatchStmt, st.just("remove"), values),
)

platform_blocks: st.SearchStrategy[ast.PlatformBlock] = _short(st.one_of(
    _node(ast.PlatformBlock, st.just("aws"), _tuple(settings_ | allows | patches_, 0, 3)),
    _node(ast.PlatformBlock, st.just("github"), _tuple(settings_ | secrets | patches_, 0, 3)),
))


# ----------------------------------------------------------------------------- build and test

from_stmts = _node(ast.FromStmt, _tuple(names, 1, 3))
timeouts = _node(ast.TimeoutStmt, durations)


@st.composite
def phases(draw) -> ast.Phase:
    """Inline (``build "make"``: one or more commands, nothing else) or block (any mix of run and
    finally commands and an optional on_failure, possibly empty)."""
    name = draw(st.sampled_from(["install", "pre_build", "build", "post_build"]))
    if draw(st.booleans()):
        return ast.Phase(name, draw(_tuple(commands, 1, 3)))
    return ast.Phase(name, draw(_tuple(commands, 0, 3)), draw(_tuple(commands, 0, 2)),
                     draw(_opt(st.sampled_from(["abort", "continue"]))))


#: a matrix: axes, includes and excludes, fail_fast and max_parallel, in any order (the
#: formatter keeps what was written; the checker decides what it means)
_cell_values = _tuple(st.tuples(names, values), 1, 3)
matrix_blocks = _node(ast.MatrixBlock, _tuple(st.one_of(
    _node(ast.AxisStmt, names, _tuple(values, 1, 4)),
    _node(ast.CellStmt, st.sampled_from(["include", "exclude"]), _cell_values),
    _node(ast.Field, st.just("fail_fast"), st.sampled_from(["on", "off"])),
    _node(ast.Field, st.just("max_parallel"), st.integers(0, 300).map(str)),
), 0, 4))

build_items = st.one_of(
    _node(ast.Field, st.just("os"), st.sampled_from(["linux", "windows"])),
    _node(ast.Field, st.just("arch"), st.sampled_from(["x86_64", "arm64"])),
    matrix_blocks,
    _node(ast.ImageStmt, st.sampled_from(["ubuntu", "amazonlinux", "ecr", "docker", "codebuild"]),
          _opt(values)),
    _node(ast.ComputeStmt, st.sampled_from(["small", "medium", "large", "2xlarge"])),
    st.just(ast.Flag("privileged")),
    timeouts,
    _node(ast.RuntimeStmt, names, values),
    _node(ast.EnvStmt, names, values),
    secrets,
    from_stmts,
    phases(),
    _node(ast.ArtifactStmt, names, _tuple(values, 1, 3), _opt(values), st.booleans()),
    _node(ast.CacheStmt, _tuple(values, 1, 3)),
    _node(ast.ReportStmt, names,
          st.sampled_from(["junit", "cucumber", "testng", "nunit", "nunit3", "trx", "clover",
                           "cobertura", "jacoco", "simplecov", "lcov"]),
          _tuple(values, 1, 3), _opt(values)),
    _node(ast.CodeArtifactStmt,
          st.sampled_from(["npm", "pip", "twine", "maven", "dotnet", "nuget", "swift"]),
          values, values, _opt(values)),
    platform_blocks,
)


def _build_actions(min_items=0):
    return _node(ast.BuildAction, st.sampled_from(["build", "test"]), names,
                 _tuple(build_items, min_items, 6))


# ----------------------------------------------------------------------------- deploy

strategies_ = st.one_of(
    st.just(ast.Strategy("all-at-once")),
    _node(ast.Strategy, st.just("rolling"), _opt(st.sampled_from(["one-at-a-time", "half-at-a-time"]))),
    _node(ast.Strategy, st.just("rolling"), st.just("min_healthy"), percents),
    _node(ast.Strategy, st.just("blue-green"), st.none(), st.none(), _opt(durations)),
    _node(ast.Strategy, st.just("canary"), st.none(), percents, durations),
    _node(ast.Strategy, st.just("linear"), st.none(), percents, durations),
)

rollbacks = st.one_of(
    st.just(ast.RollbackStmt(False, (), True)),
    _node(ast.RollbackStmt, st.just(True), _tuple(values, 0, 3), st.just(False)),
    _node(ast.RollbackStmt, st.booleans(), _tuple(values, 1, 3), st.just(False)),
)

hooks = _node(
    ast.HookStmt,
    st.sampled_from(["application_stop", "before_install", "after_install", "application_start",
                     "validate_service", "before_block_traffic", "after_block_traffic",
                     "before_allow_traffic", "after_allow_traffic", "after_allow_test_traffic"]),
    values, _opt(durations), _opt(values))

_common_deploy = [from_stmts, strategies_, rollbacks, hooks, platform_blocks]


def _fields(*keywords):
    return [_node(ast.Field, st.just(k), values) for k in keywords]


ec2_items = st.one_of(
    *_common_deploy,
    _node(ast.InstancesStmt, values, values),
    _node(ast.ListStmt, st.just("autoscaling"), _tuple(values, 1, 3)),
    *_fields("target_group"),
    _node(ast.Field, st.just("os"), st.sampled_from(["linux", "windows"])),
    _node(ast.CopyStmt, values, values),
    _node(ast.PermissionStmt, values, _opt(values), _opt(values), _opt(values)),
)

ecs_items = st.one_of(
    *_common_deploy,
    *_fields("cluster", "service", "listener", "test_listener", "task_definition", "image_file",
             "platform_version"),
    _node(ast.ContainerStmt, values, st.integers(1, 65535)),
    _node(ast.ListStmt, st.just("target_groups"), _tuple(values, 2, 2)),
    _node(ast.NetworkStmt, _tuple(values, 1, 3), _tuple(values, 1, 3), st.booleans()),
)

lambda_items = st.one_of(
    *_common_deploy,
    *_fields("function", "alias"),
    _node(ast.VersionsStmt, values, values),
)

cfn_items = st.one_of(
    from_stmts, platform_blocks,
    *_fields("stack", "template"),
    _node(ast.ParameterStmt, names, values),
    _node(ast.ListStmt, st.just("capabilities"),
          _tuple(st.sampled_from(["iam", "named-iam", "auto-expand"]), 1, 3)),
    _node(ast.ChangeSetStmt, _opt(values)),
)

s3_items = st.one_of(
    from_stmts, platform_blocks,
    *_fields("bucket", "object_key", "cache_control"),
    st.just(ast.Flag("extract")),
)

_DEPLOY_ITEMS = {"ec2": ec2_items, "ecs": ecs_items, "lambda": lambda_items,
                 "cloudformation": cfn_items, "s3": s3_items}


def _deploy_actions(min_items=0):
    return st.one_of(*[
        _node(ast.DeployAction, names, st.just(platform), _tuple(items, min_items, 6))
        for platform, items in _DEPLOY_ITEMS.items()
    ])


# ----------------------------------------------------------------------------- approve and invoke

approve_items = st.one_of(
    _node(ast.Field, st.just("message"), strings),
    _node(ast.Field, st.just("url"), strings),
    _node(ast.NotifyStmt, st.just("email"), _tuple(values, 1, 3)),
    _node(ast.NotifyStmt, st.just("topic"), _tuple(values, 1, 1)),
    timeouts,
    platform_blocks,
)


def _approve_actions(min_items=0):
    return _node(ast.ApproveAction, names, _tuple(approve_items, min_items, 5))


invoke_items = st.one_of(
    _node(ast.Field, st.just("function"), values),
    _node(ast.Field, st.just("parameters"), strings),
    from_stmts,
    _node(ast.Field, st.just("artifact"), names),
    platform_blocks,
)


def _invoke_actions(min_items=0):
    return _node(ast.InvokeAction, names, _tuple(invoke_items, min_items, 5))


def _actions(min_items=0):
    # build and deploy actions have the most statement kinds: give them more weight
    return st.one_of(_build_actions(min_items), _build_actions(min_items), _deploy_actions(min_items),
                     _deploy_actions(min_items), _approve_actions(min_items), _invoke_actions(min_items))


actions = _short(_actions())


# ----------------------------------------------------------------------------- stages and pipeline

#: ``use NAME { ARG = VALUE ... }`` where a stage or an action may stand (shared definitions)
template_uses = _node(ast.UseTemplate, names, _tuple(_node(ast.Arg, names, values), 0, 3))
parallels = _node(ast.Parallel, _tuple(actions | sources | template_uses, 0, 3))
transitions = _node(ast.TransitionStmt, strings)

stage_items = st.one_of(actions, actions, parallels, transitions, sources, template_uses)
stages = _short(_node(ast.Stage, names, vias, _tuple(stage_items, 0, 4)))

pipeline_items = st.one_of(
    _node(ast.ModeStmt, st.sampled_from(["queued", "superseded", "parallel"])),
    _node(ast.VariableStmt, names, values, _opt(strings)),
    _node(ast.StoreStmt, values, _opt(values)),
    sources,
    stages,
    stages,
    platform_blocks,
    template_uses,
)

#: A stage whose actions have bodies: inserted into most pipelines so that the statements deep
#: in action bodies are generated often, not only when every level's choice happens to lead there.
_focus_stages = _short(_node(ast.Stage, names, vias, _tuple(_actions(min_items=2), 1, 3)))


@st.composite
def _pipelines(draw) -> ast.Pipeline:
    body = draw(st.lists(pipeline_items, max_size=5))
    if draw(st.integers(0, 9)):
        body.insert(draw(st.integers(0, len(body))), draw(_focus_stages))
    return ast.Pipeline(draw(names), tuple(body))


pipelines: st.SearchStrategy[ast.Pipeline] = _pipelines()

#: the nodes of a file's head (use lines, templates), drawn by :data:`modules`, not in a pipeline
MODULE_CLASSES = frozenset({ast.UseFile, ast.Template, ast.Param})

#: Node classes the strategies above generate: every node class of pipec.ast except the
#: ones kept beside the tree (Comment, Module) and those of a file's head (MODULE_CLASSES).
NODE_CLASSES: frozenset[type] = frozenset(
    cls for cls in vars(ast).values()
    if isinstance(cls, type) and has(cls) and cls.__module__ == ast.__name__
    and cls not in (ast.Comment, ast.Module) and cls not in MODULE_CLASSES
)

_params = _tuple(_node(ast.Param, names, _opt(values)), 0, 3)
templates = st.one_of(
    _node(ast.Template, st.just("stage"), names, _params, _tuple(stages | template_uses, 0, 2)),
    _node(ast.Template, st.just("action"), names, _params, _tuple(actions | parallels | template_uses, 0, 2)),
)


@st.composite
def _modules(draw) -> ast.Module:
    """A whole file: use lines, templates, and a pipeline (or none: a library file)."""
    uses = draw(_tuple(_node(ast.UseFile, strings), 0, 2))
    tpls = draw(_tuple(templates, 0 if uses else 1, 3))
    pipeline = draw(st.none() | pipelines) if (uses or tpls) else draw(pipelines)
    return ast.Module(pipeline=pipeline, uses=uses, templates=tpls)


modules: st.SearchStrategy[ast.Module] = _modules()


# ----------------------------------------------------------------------------- variants


def walk(node):
    """Every node of a tree, depth first (values inside tuples included)."""
    yield node
    for field in fields(type(node)):
        v = getattr(node, field.name)
        items = v if isinstance(v, tuple) else (v,)
        for item in items:
            if has(type(item)):
                yield from walk(item)


def variants(tree) -> set[str]:
    """Labels for the node classes and field variants a tree uses, for coverage checks and
    ``hypothesis.event`` statistics."""
    out: set[str] = set()
    for n in walk(tree):
        name = type(n).__name__
        out.add(name)
        if isinstance(n, ast.Strategy):
            out.add(f"Strategy:{n.kind}:{n.batch or '-'}:{'interval' if n.interval else '-'}")
        elif isinstance(n, ast.RollbackStmt):
            out.add("RollbackStmt:none" if n.none else
                    f"RollbackStmt:on:{'failure' if n.on_failure else '-'}:{'alarms' if n.alarms else '-'}")
        elif isinstance(n, ast.Phase):
            if n.finally_commands:
                out.add("Phase:finally")
            if n.on_failure:
                out.add("Phase:on_failure")
            if not n.commands:
                out.add("Phase:no-commands")
        elif isinstance(n, ast.Command):
            out.add("Command:script" if n.script else "Command:plain")
            if n.script and "\n" in n.text:
                out.add("Command:script-multiline")
        elif isinstance(n, ast.Pattern) and n.negated:
            out.add("Pattern:negated")
        elif isinstance(n, ast.Trigger):
            out.add(f"Trigger:{n.kind}")
            if n.via:
                out.add("Trigger:via")
            if n.events:
                out.add("Trigger:events")
        elif isinstance(n, ast.Filter):
            out.add(f"Filter:{n.kind}")
        elif isinstance(n, ast.Source):
            out.add("Source:body" if n.body else "Source:no-body")
        elif isinstance(n, ast.Stage) and n.via:
            out.add("Stage:via")
        elif isinstance(n, ast.DeployAction):
            out.add(f"DeployAction:{n.platform}")
        elif isinstance(n, ast.BuildAction):
            out.add(f"BuildAction:{n.kind}")
        elif isinstance(n, ast.PlatformBlock):
            out.add(f"PlatformBlock:{n.platform}")
            if any(isinstance(i, ast.SecretStmt) for i in n.body):
                out.add("PlatformBlock:secret")
        elif isinstance(n, (ast.Field, ast.Flag, ast.ListStmt)):
            out.add(f"{name}:{n.keyword}")
        elif isinstance(n, ast.NotifyStmt):
            out.add(f"NotifyStmt:{n.kind}")
        elif isinstance(n, ast.ConnectionStmt) and n.is_arn:
            out.add("ConnectionStmt:arn")
        elif isinstance(n, ast.ChangeSetStmt) and n.name is None:
            out.add("ChangeSetStmt:none")
        elif isinstance(n, ast.Setting) and not n.values:
            out.add("Setting:no-values")
        elif isinstance(n, ast.NetworkStmt) and n.public_ip:
            out.add("NetworkStmt:public_ip")
        elif isinstance(n, ast.ArtifactStmt) and n.discard_paths:
            out.add("ArtifactStmt:discard_paths")
        elif isinstance(n, ast.VariableStmt) and n.description is not None:
            out.add("VariableStmt:description")
    return out


#: Variants the coverage test requires the strategies to reach (beyond one label per class).
REQUIRED_VARIANTS: tuple[str, ...] = (
    "Strategy:all-at-once:-:-", "Strategy:rolling:-:-", "Strategy:rolling:one-at-a-time:-",
    "Strategy:rolling:half-at-a-time:-", "Strategy:rolling:min_healthy:-", "Strategy:blue-green:-:-",
    "Strategy:blue-green:-:interval", "Strategy:canary:-:interval", "Strategy:linear:-:interval",
    "RollbackStmt:none", "RollbackStmt:on:failure:-", "RollbackStmt:on:-:alarms",
    "RollbackStmt:on:failure:alarms",
    "Phase:finally", "Phase:on_failure", "Phase:no-commands",
    "Command:plain", "Command:script", "Command:script-multiline", "Pattern:negated",
    "Trigger:push", "Trigger:pull_request", "Trigger:manual", "Trigger:schedule", "Trigger:via",
    "Trigger:events",
    "Filter:branches", "Filter:tags", "Filter:paths", "Filter:into",
    "Source:body", "Source:no-body", "Stage:via",
    "DeployAction:ec2", "DeployAction:ecs", "DeployAction:lambda", "DeployAction:cloudformation",
    "DeployAction:s3", "BuildAction:build", "BuildAction:test",
    "PlatformBlock:aws", "PlatformBlock:github", "PlatformBlock:secret",
    "Field:branch", "Field:key", "Field:clone", "Field:target_group", "Field:os", "Field:arch", "Field:fail_fast", "Field:max_parallel", "Field:cluster",
    "Field:service", "Field:listener", "Field:test_listener", "Field:task_definition",
    "Field:image_file", "Field:platform_version", "Field:function", "Field:alias", "Field:stack",
    "Field:template", "Field:bucket", "Field:object_key", "Field:cache_control", "Field:message",
    "Field:url", "Field:parameters", "Field:artifact",
    "Flag:privileged", "Flag:extract",
    "ListStmt:autoscaling", "ListStmt:target_groups", "ListStmt:capabilities",
    "NotifyStmt:email", "NotifyStmt:topic", "ConnectionStmt:arn", "ChangeSetStmt:none",
    "Setting:no-values", "NetworkStmt:public_ip", "ArtifactStmt:discard_paths",
    "VariableStmt:description",
)


# ----------------------------------------------------------------------------- mutations (fuzzing)

_TOKEN_RE = re.compile(r'\s+|"""|[{}"=!#%]|[^\s{}"=!#%]+')


def tokenize(text: str) -> list[str]:
    """Split text into tokens: runs of whitespace, punctuation and words. ``"".join`` restores it."""
    return _TOKEN_RE.findall(text)


_MUTATIONS = ("delete", "duplicate", "swap", "delete_line", "duplicate_line", "swap_lines",
              "insert_keyword", "insert_char")
_INSERT_CHARS = ['"', "{", "}", "!", "=", "#", "%", "\n", '"""', "\t", "0", "é", "\\", "5m", "10%"]


@st.composite
def mutations(draw, text: str, max_edits: int = 3) -> str:
    """``text`` with 1..max_edits random edits: delete, duplicate or swap tokens; delete,
    duplicate or swap lines (these mostly keep the syntax and break the meaning: duplicate names,
    artifacts used before they are produced); insert a keyword or a punctuation character."""
    for _ in range(draw(st.integers(1, max_edits))):
        kind = draw(st.sampled_from(_MUTATIONS))
        if kind in ("delete_line", "duplicate_line", "swap_lines"):
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "delete_line":
                del lines[i]
            elif kind == "duplicate_line":
                lines.insert(i, lines[i])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
            continue
        toks = tokenize(text)
        words = [i for i, t in enumerate(toks) if not t.isspace()]
        if not words:
            text = draw(st.sampled_from(KEYWORDS)) + text
            continue
        i = words[draw(st.integers(0, len(words) - 1))]
        if kind == "delete":
            del toks[i]
        elif kind == "duplicate":
            toks.insert(i, toks[i] + draw(st.sampled_from(["", " "])))
        elif kind == "swap":
            j = words[draw(st.integers(0, len(words) - 1))]
            toks[i], toks[j] = toks[j], toks[i]
        elif kind == "insert_keyword":
            toks.insert(i, draw(st.sampled_from(KEYWORDS)) + draw(st.sampled_from([" ", "", "\n"])))
        else:
            toks.insert(i, draw(st.sampled_from(_INSERT_CHARS)))
        text = "".join(toks)
    return text
