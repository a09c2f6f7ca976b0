"""Shared definitions: ``use "lib/x.pipe"`` and templates, expanded before the semantic checks.

This is a stage of its own between the parser and :mod:`pipec.semantic`::

    ast.Module (with use lines, templates, uses) --expand--> ast.Module (plain stages and actions)

:func:`expand` reads the library files a module uses (paths relative to the using file, kept
inside the project), collects every template, and replaces each ``use NAME { ... }`` in the
pipeline by the template's stages or actions with the parameters replaced by the arguments. What
comes out is the tree the same pipeline written by hand would give, so every later stage (checks,
targets, ``explain``) is unchanged. The expanded nodes keep their spans in the template's file,
with the file and the chain of uses recorded on the span (:class:`pipec.diagnostics.Span`), so a
diagnostic about them points into the template with a note "expanded from the use at ...".

Substitution (docs/language.md, "Shared definitions"): inside a template, a name or value written
as a parameter's name is that parameter; ``{param}`` inside a value, a string or a command is
replaced by the argument's text. Keywords and enumerated words are never replaced.
"""

from __future__ import annotations

import os
import re
import stat

from pipec import ast
from pipec.diagnostics import ERROR, WARNING, Diagnostic, Diagnostics, Span, did_you_mean, shown
from pipec.lazy_regex import lazy
from pipec.node import Node, evolve, fields, node

#: (class, field) that hold a word of the language (a keyword or an enumerated value): never
#: replaced, so a parameter named like one (`build`, `small`) does not change the statement
_KEYWORD_FIELDS = frozenset({
    ("Field", "keyword"), ("Flag", "keyword"), ("ListStmt", "keyword"), ("CellStmt", "keyword"),
    ("ModeStmt", "mode"), ("Filter", "kind"), ("Trigger", "kind"), ("Trigger", "events"),
    ("Trigger", "via"), ("Source", "provider"), ("ImageStmt", "kind"), ("ComputeStmt", "size"),
    ("SecretStmt", "store"), ("Phase", "name"), ("Phase", "on_failure"), ("ReportStmt", "format"),
    ("CodeArtifactStmt", "tool"), ("Strategy", "kind"), ("Strategy", "batch"), ("HookStmt", "event"),
    ("NotifyStmt", "kind"), ("PatchStmt", "op"), ("Setting", "key"), ("PlatformBlock", "platform"),
    ("BuildAction", "kind"), ("DeployAction", "platform"), ("Stage", "via"), ("Duration", "unit"),
    ("Template", "kind"),
})
#: (class, field) where a name stands: an argument substituted there must be a name
_NAME_FIELDS = frozenset({
    ("Stage", "name"), ("BuildAction", "name"), ("DeployAction", "name"), ("ApproveAction", "name"),
    ("InvokeAction", "name"), ("Source", "name"), ("ArtifactStmt", "name"), ("ReportStmt", "name"),
    ("FromStmt", "names"), ("EnvStmt", "name"), ("SecretStmt", "name"), ("RuntimeStmt", "name"),
    ("ParameterStmt", "name"), ("AxisStmt", "name"),
})
#: (class, field) that name a template or one of its parameters: never replaced
_FIXED_FIELDS = frozenset({("Arg", "name"), ("UseTemplate", "name"), ("Param", "name"), ("Template", "name")})
#: (class, field) that hold free text (commands, messages): only ``{param}`` is replaced there
_TEXT_FIELDS = frozenset({("Command", "text"), ("Field", "value"), ("TransitionStmt", "reason"),
                          ("VariableStmt", "description")})
_NAME = lazy(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
_PLACEHOLDER = lazy(r"\{([A-Za-z_][A-Za-z0-9_\-]*)\}")
#: what a stage template and an action template may hold, and where each may be used
_STAGE_ITEMS = (ast.Stage, ast.UseTemplate)
_ACTION_ITEMS = (ast.BuildAction, ast.DeployAction, ast.ApproveAction, ast.InvokeAction, ast.Parallel,
                 ast.UseTemplate)
_TEXT_KEYWORDS = frozenset({"message", "url", "parameters"})
#: how many stages and actions the uses of one file may make: four times what one pipeline can hold
#: (CodePipeline: 50 stages of at most 50 actions, semantic_tables; E412 stops a CloudFormation
#: template long before), low enough that templates using each other twice over (2 to the 30th
#: stages from 30 lines) are stopped in milliseconds
MAX_EXPANDED = 10_000
#: how much text the arguments may put into one file's values, all uses together: what a file
#: itself may hold (2 MiB); an argument that puts ``{a}{a}`` into the next template's argument
#: doubles at each step with a handful of uses, which MAX_EXPANDED does not see
MAX_EXPANDED_TEXT = 2 * 1024 * 1024


@node
class Defined(Node):
    """A template and where it was read: the file's name as diagnostics show it."""

    template: ast.Template
    file: str


class _Library:
    """Reads the files a module uses, recursively, and collects their templates."""

    def __init__(self, root: str, allow_outside: bool, read_files: bool = True):
        self.root = os.path.realpath(root)
        self.allow_outside = allow_outside
        self.read_files = read_files
        self.templates: dict[str, Defined] = {}
        self.sources: dict[str, str] = {}
        self.diags: list[Diagnostic] = []
        self._done: set[str] = set()
        self._linted: set[str] = set()

    def lint(self, defined: Defined) -> None:
        """W816 and W817 for one template, once however often it is used (see :func:`lint`)."""
        if defined.template.name not in self._linted:
            self._linted.add(defined.template.name)
            self.diags.extend(lint(defined))

    def err(self, code, message, span, file, help="", notes=()):
        self.diags.append(Diagnostic(code, ERROR, message, span, help, tuple(notes), file))

    def add(self, module: ast.Module, chain: tuple[str, ...]) -> None:
        """The templates of ``module`` and of every file it uses (``chain``: the real paths of
        the files that led here, for cycles)."""
        for tpl in module.templates:
            first = self.templates.get(tpl.name)
            if first is not None:
                self.err("E804", f"template '{tpl.name}' is defined twice", tpl.span, module.filename,
                         help="Template names are shared by a file and every file it uses: rename one "
                         "of the two templates, or remove the copy.",
                         notes=(f"first defined at {_where(first.file, first.template.span)}",))
                continue
            self.templates[tpl.name] = Defined(tpl, module.filename)
        here = os.path.dirname(module.filename) if module.filename not in ("-", "<input>") else ""
        for use in module.uses:
            self._use(use, here, module.filename, chain)

    def _use(self, use: ast.UseFile, here: str, file: str, chain: tuple[str, ...]) -> None:
        from pipec.files import InputError, read_text
        from pipec.parser import parse

        if not self.read_files:
            self.err("E800", f"used file '{shown(use.path)}' is not read here", use.span, file,
                     help="This compiles one text and reads no file (the playground): copy the "
                     "library's templates into this text, above the pipeline.")
            return
        path, real, why = resolve(here, use.path, self.root, self.allow_outside)
        if why:
            self.err("E801", f"'{shown(use.path)}' cannot be used: {why}", use.span, file,
                     help=f"A used file is named relative to the file that uses it and stays inside the "
                     f"project ({self.root}: the git work tree, or the top-level file's folder). Copy "
                     "the library into the repository (or check out its tag there), or give "
                     "--allow-outside-uses to 'pipec check' or 'pipec build'.")
            return
        if real in chain:
            names = [*chain[chain.index(real):], real]
            shown_chain = " -> ".join(os.path.relpath(p, self.root) for p in names)
            self.err("E802", f"files use each other in a cycle: {shown_chain}", use.span, file,
                     help="A library file may use other libraries, but never one that (through "
                     "others) uses it: move the templates both need into a third file.")
            return
        if real in self._done:
            return
        self._done.add(real)
        kind = _not_a_file(path)
        if kind:  # reading a named pipe would wait for a writer forever
            self.err("E800", f"used file '{shown(use.path)}' is {kind}", use.span, file,
                     help=f"The path is relative to {file}'s folder and resolves to {path}: name the "
                     "library's .pipe file there.")
            return
        try:
            text = read_text(path)
        except InputError as exc:
            self.err("E800", f"used file '{shown(use.path)}' cannot be read: {exc.diagnostic.message}",
                     use.span, file, help=f"The path is relative to {file}'s folder and resolves to "
                     f"{path}. Check its spelling, or create the library file there.")
            return
        self.sources[path] = text
        try:
            lib = parse(text, path)
        except Diagnostics as exc:
            note = f"used from {_where(file, use.span)}"
            self.diags.extend(evolve(d, notes=(*d.notes, note)) for d in exc.diagnostics)
            return
        if lib.pipeline is not None:
            self.err("E803", f"used file '{shown(use.path)}' holds a pipeline", use.span, file,
                     help="A library file holds only templates (and 'use' lines). Move the pipeline "
                     "into a file of its own and use the library from there.",
                     notes=(f"the pipeline is at {_where(path, lib.pipeline.span)}",))
            return
        self.add(_in_file(lib, path), (*chain, real))


def resolve(here: str, written: str, root: str, allow_outside: bool = False) -> tuple[str, str, str]:
    """(path, real path, why it may not be read or '') of a ``use`` line's ``written`` path, in
    the folder ``here`` of the file that says it: not empty, not absolute, and (unless
    ``allow_outside``) inside ``root`` once ``..`` and symbolic links are resolved."""
    path = os.path.normpath(os.path.join(here, written)) if written else ""
    real = os.path.realpath(path or ".")
    root = os.path.realpath(root)
    inside = real == root or real.startswith(root.rstrip(os.sep) + os.sep)
    if not written:
        return path, real, "it is empty"
    if os.path.isabs(written):
        return path, real, "it is an absolute path"
    if not inside and not allow_outside:
        return path, real, "it leads outside the project" + (
            "" if ".." in written.split("/") else " through a symbolic link")
    return path, real, ""


def _not_a_file(path: str) -> str:
    """What ``path`` is when it exists but is not a regular file ('a folder', ...), else ''."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return ""  # reading it says why
    if stat.S_ISREG(mode):
        return ""
    return "a folder" if stat.S_ISDIR(mode) else "not a regular file (a named pipe, a socket or a device)"


def _where(file: str, span: Span | None) -> str:
    return f"{file}:{span.line}:{span.column}" if span else file


def _in_file(module: ast.Module, file: str) -> ast.Module:
    """``module`` with every span of its templates marked as being in ``file``."""
    templates = tuple(_map(t, _Sub({}, file, ())) for t in module.templates)
    return evolve(module, templates=templates)


class _Sub:
    """What one expansion replaces: the arguments by parameter name, the file the template is
    in, the chain of uses ((template, ``file:line:col``), innermost first), and the name-type
    problems found."""

    def __init__(self, values: dict[str, str], file: str, origin: tuple[tuple[str, str], ...],
                 given_at: dict[str, str] | None = None, budget: list[int] | None = None):
        self.values = values
        self.budget = budget if budget is not None else [MAX_EXPANDED_TEXT]  # shared by one file's uses
        self.file = file
        self.origin = origin
        self.given_at = given_at or {}  # parameter -> where its value is written (file:line:col)
        self.not_names: list[tuple[str, Span | None]] = []
        self.misses: list[tuple[str, Span | None]] = []  # '{name}' of no parameter: kept as written
        self.shell: list[tuple[str, Span | None]] = []  # '${param}': the shell's or the argument? (E814)
        self.hits: list[str] = []  # the parameters replaced so far, in order

    def span(self, span: Span | None, hits: list[str] = ()) -> Span | None:
        """``span`` marked with the template's file and the uses, and with the arguments
        replaced inside it (``hits``), for the notes of a diagnostic about it."""
        if span is None:
            return None
        args = tuple((p, self.values[p], self.given_at.get(p, "")) for p in dict.fromkeys(hits))
        return evolve(span, file=self.file if span.file is None else span.file,
                      origin=(*span.origin, *self.origin) if self.origin else span.origin,
                      args=(*span.args, *args))

    def text(self, owner: str, field: str, value: str, span: Span | None) -> str:
        if not self.values or (owner, field) in _KEYWORD_FIELDS or (owner, field) in _FIXED_FIELDS:
            return value
        whole = (owner, field) not in _TEXT_FIELDS
        if whole and value in self.values:
            self.hits.append(value)
            result = self.values[value]
            self.spend(len(result), span)
            if (owner, field) in _NAME_FIELDS and not _NAME.match(result):
                self.not_names.append((value, span))
            return result
        if "{" not in value:
            return value

        def one(m):
            if m.group(1) in self.values and value[m.start() - 1:m.start()] == "$":
                self.shell.append((m.group(1), span))
                return m.group(0)
            if m.group(1) in self.values:
                self.hits.append(m.group(1))
                self.spend(len(self.values[m.group(1)]), span)
                return self.values[m.group(1)]
            self.misses.append((m.group(1), span))
            return m.group(0)

        return _PLACEHOLDER.sub(one, value)

    def spend(self, size: int, span: Span | None) -> None:
        self.budget[0] -= size
        if self.budget[0] < 0:
            raise _TooMuchText(span)


class _TooMuchText(Exception):
    """The arguments have put more than MAX_EXPANDED_TEXT characters into the file's values."""

    def __init__(self, span: Span | None):
        super().__init__()
        self.span = span


def _map(node, sub: _Sub):
    """``node`` with its spans marked and its parameters replaced (see :class:`_Sub`)."""
    if not isinstance(node, ast.Node):
        return node
    owner = type(node).__name__
    changes = {}
    span = getattr(node, "span", None)
    first_hit = len(sub.hits)
    for a in fields(type(node)):
        value = getattr(node, a.name)
        if isinstance(value, Span):  # after the other fields (spans are declared last)
            new = sub.span(value, sub.hits[first_hit:])
        elif isinstance(value, str):
            field = a.name
            if owner == "Field" and field == "value" and node.keyword not in _TEXT_KEYWORDS:
                field = "word"  # branch, bucket, cluster...: a value a parameter may stand for whole
            new = sub.text(owner, field, value, span)
        elif isinstance(value, tuple):
            new = tuple(_item(owner, a.name, v, sub, span) for v in value)
        elif isinstance(value, ast.Node):
            new = _map(value, sub)
        else:
            continue
        if new is not value:
            changes[a.name] = new
    return evolve(node, **changes) if changes else node


def _item(owner: str, field: str, value, sub: _Sub, span):
    if isinstance(value, str):
        return sub.text(owner, field, value, span)
    if isinstance(value, tuple):  # a matrix cell: (axis, value)
        return tuple(sub.text(owner, "name" if i == 0 else field, v, span) if isinstance(v, str) else v
                     for i, v in enumerate(value))
    return _map(value, sub)


class _Expander:
    """Replaces the uses of templates in a pipeline (and in the templates it expands)."""

    def __init__(self, library: _Library, file: str):
        self.lib = library
        self.file = file
        self.diags = library.diags
        self.made = 0  # stages and actions made so far (MAX_EXPANDED)
        self.budget = [MAX_EXPANDED_TEXT]  # characters the arguments may still put in values

    def err(self, code, message, span, help="", notes=()):
        file = span.file if span is not None and span.file else self.file
        self.diags.append(Diagnostic(code, ERROR, message, span, help, tuple(notes), file).relocated())

    def pipeline(self, pipeline: ast.Pipeline) -> ast.Pipeline:
        body = self.items(pipeline.body, "stage", ())
        return evolve(pipeline, body=body)

    def items(self, body, place: str, stack: tuple[str, ...]) -> tuple:
        """``body`` with each use replaced; ``place`` is what may stand there (``stage`` at the
        pipeline level, ``action`` in a stage or a parallel group)."""
        out = []
        for item in body:
            if isinstance(item, ast.UseTemplate):
                out.extend(self.use(item, place, stack))
            elif isinstance(item, ast.Stage):
                out.append(evolve(item, body=self.items(item.body, "action", stack)))
            elif isinstance(item, ast.Parallel):
                out.append(evolve(item, body=self.items(item.body, "parallel", stack)))
            else:
                out.append(item)
        return tuple(out)

    def use(self, use: ast.UseTemplate, place: str, stack: tuple[str, ...]) -> list:
        defined = self.lib.templates.get(use.name)
        file_of_use = use.span.file if use.span is not None and use.span.file else self.file
        if defined is None:
            self.err("E805", f"unknown template '{use.name}'", use.span,
                     help="Define it with 'template stage|action NAME { ... }' in this file or in a "
                     "file this one uses ('use \"lib/NAME.pipe\"' at the top)."
                     + did_you_mean(use.name, self.lib.templates))
            return []
        tpl = defined.template
        here = f"{file_of_use}:{use.span.line}:{use.span.column}" if use.span else file_of_use
        defined_at = f"the template is defined at {_where(defined.file, tpl.span)}"
        wanted = "stage" if place == "stage" else "action"
        if tpl.kind != wanted:
            where = "at the pipeline level" if place == "stage" else "in a stage"
            self.err("E810", f"{tpl.kind} template '{tpl.name}' used where {'a stage' if wanted == 'stage' else 'an action'} stands",
                     use.span, help=f"A stage template is used {'' if tpl.kind == 'action' else 'only '}where a "
                     "stage may stand (inside 'pipeline'), an action template where an action may stand "
                     f"(inside 'stage' or 'parallel'); this use is {where}.", notes=(defined_at,))
            return []
        if tpl.name in stack:
            chain = " -> ".join((*stack[stack.index(tpl.name):], tpl.name))
            self.err("E811", f"templates use each other in a cycle: {chain}", use.span,
                     help="A template may use other templates, but never itself, directly or through "
                     "others: the expansion would never end.", notes=(defined_at,))
            return []
        origin = ((tpl.name, here), *(use.span.origin if use.span else ()))
        self.lib.lint(defined)
        values = self.arguments(use, tpl, defined_at, origin)
        if values is None:
            return []
        self.made += sum(_size(item) for item in tpl.body)
        if self.made > MAX_EXPANDED:
            self.err("E813", f"the uses of templates make more than {MAX_EXPANDED:,} stages and actions",
                     use.span, help="Templates that use other templates several times multiply: a "
                     "pipeline this large cannot be deployed (CodePipeline and CloudFormation limit "
                     "it far below). Use each template where it is needed, not through a chain of "
                     "templates that use each other several times.", notes=(defined_at,))
            raise Diagnostics(self.diags)
        given = {a.name: _where(self.file_of(a), a.span) for a in use.args}
        given.update({p.name: f"{_where(defined.file, p.span)} (its default)" for p in tpl.params if p.name not in given})
        sub = _Sub(values, defined.file, origin, given, self.budget)

        body = []
        for item in tpl.body:
            fits = isinstance(item, _STAGE_ITEMS if tpl.kind == "stage" else _ACTION_ITEMS)
            if not fits or (place == "parallel" and isinstance(item, ast.Parallel)):
                what = (f"{'a' if tpl.kind == 'stage' else 'an'} {tpl.kind} template holds {_what(item)}" if not fits
                        else "a parallel group inside a parallel group")
                self.err("E810", what, sub.span(item.span),
                         help="A stage template holds stages; an action template holds actions (and "
                         "parallel groups, except when it is used inside a parallel group).")
                continue
            try:
                body.append(_map(item, sub))
            except _TooMuchText as exc:
                self.too_much_text(sub.span(exc.span) or use.span, (defined_at,))
        for name in dict.fromkeys(n for n, _span in sub.not_names):  # once per parameter
            span = next(s for n, s in sub.not_names if n == name)
            arg = next((a for a in use.args if a.name == name), None)
            param = next(p for p in tpl.params if p.name == name)
            where = f"the parameter stands for a name at {_where(defined.file, span)}"
            if arg is None:  # the default: wrong in the template, whoever uses it
                self.err("E809", f"the default of parameter '{name}', '{shown(values[name])}', is not a name",
                         sub.span(param.span), help="The parameter replaces a name in the template (of a stage, "
                         "an action, an artifact, a variable...): give it a default that is a name (a letter "
                         "or '_', then letters, digits, '_' and '-'), or none.", notes=(where,))
                continue
            self.err("E809", f"argument '{name}' = '{shown(values[name])}' is not a name", arg.span,
                     help="It replaces a name in the template (of a stage, an action, an artifact, a "
                     "variable...): a letter or '_', then letters, digits, '_' and '-'.", notes=(where,))
        for name, span in dict.fromkeys(sub.shell):
            self.err("E814", f"'${{{name}}}' names a shell variable like the parameter '{name}'",
                     sub.span(span), help=f"Write '{{{name}}}' for the argument's text, or '${name}' "
                     f"without braces for the shell's variable {name} (or rename the parameter, if the "
                     "command needs the braces).", notes=(defined_at,))
        if sub.not_names or sub.shell:
            return []
        return list(self.items(tuple(body), place, (*stack, tpl.name)))

    def too_much_text(self, span: Span | None, notes: tuple[str, ...]):
        self.err("E813", f"the uses of templates put more than {MAX_EXPANDED_TEXT // (1024 * 1024)} MiB "
                 "of text into the pipeline's values", span,
                 help="An argument or a default that holds a parameter twice ('a = \"{a}{a}\"') doubles "
                 "at each use that passes it on: pass each argument on as it is ('a = a'), or write "
                 "the long text once, in a file the commands read.", notes=notes)
        raise Diagnostics(self.diags)

    def default(self, p: ast.Param, values: dict[str, str], above: set[str], tpl: ast.Template,
                origin: tuple) -> str | None:
        """The default of ``p`` with ``{NAME}`` of each parameter declared above it replaced by
        that parameter's value; None (and E814 or E815) for ``${NAME}`` or ``{NAME}`` of a
        parameter declared at or below it."""
        span = p.span and evolve(p.span, file=self.lib_file(tpl), origin=origin)
        ok = True
        for m in _PLACEHOLDER.finditer(p.default):
            name = m.group(1)
            if name not in (q.name for q in tpl.params):
                continue  # not a parameter: kept as written
            if p.default[m.start() - 1:m.start()] == "$":
                self.err("E814", f"'${{{name}}}' names a shell variable like the parameter '{name}'", span,
                         help=f"Write '{{{name}}}' for the argument's text, or '${name}' without braces for "
                         "the shell's variable (or rename the parameter, if the command needs the braces).")
                ok = False
            elif name not in above or name == p.name:
                self.err("E815", f"the default of '{p.name}' uses '{{{name}}}', a parameter declared "
                         f"{'by it' if name == p.name else 'below it'}", span,
                         help=f"A default may use the parameters declared above it: declare '{name}' above "
                         f"'{p.name}'{'' if name != p.name else ', or write the default out'}.")
                ok = False
        if not ok:
            return None

        def one(m):
            value = values.get(m.group(1))
            return m.group(0) if value is None else value

        text = _PLACEHOLDER.sub(one, p.default)
        self.budget[0] -= len(text)
        if self.budget[0] < 0:
            self.too_much_text(span, ())
        return text

    def arguments(self, use: ast.UseTemplate, tpl: ast.Template, defined_at: str,
                  origin: tuple = ()) -> dict[str, str] | None:
        params = {p.name: p for p in tpl.params}
        values: dict[str, str] = {}
        ok = True
        seen: dict[str, ast.Arg] = {}
        for arg in use.args:
            if arg.name in seen:
                self.err("E808", f"argument '{arg.name}' is given twice", arg.span,
                         help="Give each argument once: remove one of the two lines.",
                         notes=(f"first given at {_where(self.file_of(arg), seen[arg.name].span)}",))
                ok = False
                continue
            seen[arg.name] = arg
            if arg.name not in params:
                names = ", ".join(params) or "none"
                self.err("E807", f"template '{tpl.name}' has no parameter '{arg.name}'", arg.span,
                         help=f"Its parameters are: {names}.{did_you_mean(arg.name, params)}",
                         notes=(defined_at,))
                ok = False
                continue
            values[arg.name] = arg.value
        above: set[str] = set()  # a default may hold '{NAME}' of a parameter declared above it
        for p in tpl.params:
            above.add(p.name)
            if p.name in values:
                continue
            if p.default is None:
                self.err("E806", f"template '{tpl.name}' needs the argument '{p.name}'", use.span,
                         help=f"Add the line '{p.name} = VALUE' to this 'use' block: the parameter has no "
                         "default.", notes=(f"the parameter is declared at {_where(self.lib_file(tpl), p.span)}",))
                ok = False
                continue
            values[p.name] = self.default(p, values, above, tpl, origin)
            ok = ok and values[p.name] is not None
        return values if ok else None

    def file_of(self, node) -> str:
        return node.span.file if node.span is not None and node.span.file else self.file

    def lib_file(self, tpl: ast.Template) -> str:
        return self.lib.templates[tpl.name].file


def _size(item) -> int:
    """How many stages and actions ``item`` of a template's body makes, the actions inside its
    stages included (a use counts one, and what it makes when it is expanded)."""
    if isinstance(item, (ast.Stage, ast.Parallel)):
        return (1 if isinstance(item, ast.Stage) else 0) + sum(_size(a) for a in item.body)
    return 1


def _what(item) -> str:
    return {ast.Stage: "a stage", ast.Parallel: "a parallel group", ast.UseTemplate: "a use"}.get(
        type(item), "an action")


def project_root(path: str) -> str:
    """The folder a file's ``use`` lines must stay inside: the git work tree the file is in (the
    nearest folder above it holding ``.git``), or else the file's own folder."""
    start = os.path.dirname(os.path.abspath(path)) if path not in ("-", "<input>") else os.getcwd()
    here = start
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return start
        here = parent


def uses_templates(module: ast.Module) -> bool:
    """Whether ``module`` has anything for :func:`expand` to do."""
    if module.uses or module.templates:
        return True
    if module.pipeline is None:
        return False
    for item in module.pipeline.body:
        if isinstance(item, ast.UseTemplate):
            return True
        if isinstance(item, ast.Stage):
            for a in item.body:
                if isinstance(a, ast.UseTemplate) or (isinstance(a, ast.Parallel) and any(
                        isinstance(b, ast.UseTemplate) for b in a.body)):
                    return True
    return False


def expand(module: ast.Module, allow_outside: bool = False, read_files: bool = True) -> ast.Module:
    """``module`` with every template use replaced and no templates or use lines left; the text
    of each library file read is in its ``libraries`` (by the name diagnostics give it). Raises
    :class:`Diagnostics` for what cannot be expanded; a module without use lines, templates or
    uses is returned as it is."""
    if not uses_templates(module):
        return module
    lib = _Library(project_root(module.filename), allow_outside, read_files)
    lib.add(_in_file(module, module.filename), (os.path.realpath(module.filename),)
            if module.filename not in ("-", "<input>") else ())
    if module.pipeline is None:
        for defined in list(lib.templates.values()):  # a library checked alone: its own templates
            if defined.file == module.filename:
                lib.lint(defined)
        first = (module.templates or module.uses)[0].span
        lib.err("E812", "this file is a library of templates, not a pipeline", first, module.filename,
                help="Check or build the pipeline files that use it: its templates are checked where "
                "they are expanded.")
        raise Diagnostics(lib.diags)
    if any(d.severity == ERROR for d in lib.diags):
        raise Diagnostics(lib.diags)
    pipeline = _Expander(lib, module.filename).pipeline(module.pipeline)
    if any(d.severity == ERROR for d in lib.diags):
        raise Diagnostics(lib.diags)
    return evolve(module, pipeline=pipeline, uses=(), templates=(), libraries=lib.sources,
                  warnings=tuple(lib.diags))


def lint(defined: Defined) -> list[Diagnostic]:
    """The warnings about one template's text, whatever its arguments: W816 for ``{name}`` where
    ``name`` is no parameter but close to one (a typo, kept as written and so run as written), and
    W817 for a parameter its body and the defaults below it never use."""
    tpl = defined.template
    if not tpl.params:
        return []
    # substitute each parameter by its own name: what is replaced, and what looks like a
    # parameter but is not, is then known without any use's arguments
    sub = _Sub({p.name: p.name for p in tpl.params}, defined.file, (), budget=[float("inf")])
    for item in tpl.body:
        _map(item, sub)
    in_defaults = {m.group(1) for p in tpl.params if p.default for m in _PLACEHOLDER.finditer(p.default)}
    used = set(sub.hits) | in_defaults | {name for name, _span in sub.shell}  # '${p}' is E814's
    out = []
    for name, span in dict.fromkeys(sub.misses):
        near = did_you_mean(name, (p.name for p in tpl.params))
        if near:  # in braces, as it is written (the editor's quick fix replaces the quoted text)
            near = near.replace(" Did you mean '", " Did you mean '{").replace("'?", "}'?")
            out.append(Diagnostic(
                "W816", WARNING, f"'{{{name}}}' in template '{tpl.name}' is not one of its parameters",
                sub.span(span), f"It is kept as written, braces included.{near} Parameters are replaced "
                "only where their name is written exactly.", (), defined.file).relocated())
    for p in tpl.params:
        if p.name not in used:
            out.append(Diagnostic(
                "W817", WARNING, f"parameter '{p.name}' of template '{tpl.name}' is never used", sub.span(p.span),
                f"Write '{{{p.name}}}' where its value belongs in the template's commands or strings "
                f"(or '{p.name}' alone where a name or value stands), or remove the parameter and the "
                "arguments that give it.", (), defined.file).relocated())
    return out


def source_of(module: ast.Module, span: Span | None) -> tuple[str, str]:
    """(file name, text) of the file ``span`` is in: the module's own, or a library's."""
    if span is not None and span.file is not None and span.file != module.filename:
        return span.file, module.libraries.get(span.file, "")
    return module.filename, module.source


def carried(diags, span: Span | None) -> list:
    """``diags`` found inside the node at ``span`` (positions computed in its file's text), with
    the file and the chain of uses of ``span`` put on their spans."""
    if span is None or span.file is None:
        return list(diags)
    return [evolve(d, span=evolve(d.span, file=span.file, origin=span.origin))
            if d.span is not None and d.span.file is None else d for d in diags]


def pipeline_line(span: Span | None) -> int | None:
    """The line of the pipeline's own file that a node stands for (what ``pipec simulate`` and
    ``pipec why`` print beside a log line): its own line, or for a node a template wrote, the line
    of the outermost use that put it there."""
    if span is None:
        return None
    if span.origin:
        return int(span.origin[-1][1].rsplit(":", 2)[-2])
    return span.line


def provenance(span: Span | None) -> str | None:
    """Where a stage or an action written in a template came from, for ``pipec explain``:
    "the template 'pytest' (lib/python-service.pipe), used at billing.pipe:11:3", each enclosing
    use after it; None for what the pipeline's own file says."""
    if span is None or not span.origin:
        return None
    (name, where), *outer = span.origin
    text = f"the template '{name}' ({span.file}), used at {where}"
    return text + "".join(f", in the template '{n}' used at {w}" for n, w in outer)


def library_diagnostics(diags) -> list | None:
    """For the diagnostics of a library file (E812 among them): the others, which are about the
    library itself (its use lines, its templates). None for any other file. ``pipec check`` and
    ``pipec build`` treat a library among their files as checked, not as an error."""
    if not any(d.code == "E812" for d in diags):
        return None
    return [d for d in diags if d.code != "E812"]


#: a line that starts a pipeline, and one that starts a use line or a template: what tells a
#: library file from a pipeline file before parsing it
_PIPELINE_LINE = lazy(r"^[ \t]*pipeline[ \t]", re.M)
_HEAD_LINE = lazy(r'^[ \t]*(?:use[ \t]+"|template[ \t])', re.M)


def _uses_of(path: str, root: str) -> tuple[bool, list[str]]:
    """(whether the file at ``path`` is a library, the real paths its use lines may read)."""
    from pipec.files import InputError, read_text
    from pipec.parser import parse

    if _not_a_file(path):
        return False, []
    try:
        module = parse(read_text(path), path)
    except (InputError, Diagnostics):
        return False, []
    here = os.path.dirname(path)
    found = [resolve(here, u.path, root) for u in module.uses]
    return module.pipeline is None, [real for _path, real, why in found if not why]


def with_dependents(paths: list[str]) -> list[str]:
    """``paths`` and, after them, every pipeline of the project that uses one of the library
    files among them, directly or through other libraries: checking or building a library is
    checking or building what it changes (a pre-commit hook gives only the changed files)."""
    from pipec.cli_paths import pipe_files
    from pipec.files import InputError, read_text

    libraries = {}
    for path in paths:
        if path == "-" or not os.path.isfile(path):
            continue
        try:
            text = read_text(path)
        except InputError:
            continue  # the command reports it
        if _PIPELINE_LINE.search(text) or not _HEAD_LINE.search(text):
            continue  # a pipeline (or neither): parsed once, by the command
        is_library, _uses = _uses_of(path, project_root(path))
        if is_library:
            libraries[os.path.realpath(path)] = project_root(path)
    if not libraries:
        return paths
    out = list(paths)
    given = {os.path.realpath(p) for p in paths if p != "-"}
    for root in dict.fromkeys(libraries.values()):
        graph = {}  # real path -> (is a library, what it uses)
        for candidate in pipe_files(root):
            graph[os.path.realpath(candidate)] = (candidate, *_uses_of(candidate, root))
        for real, (candidate, is_library, _uses) in graph.items():
            if is_library or real in given:
                continue
            seen, todo = set(), [real]
            while todo:  # the files it reads, through libraries that use others
                for used in graph.get(todo.pop(), (None, False, []))[2]:
                    if used not in seen:
                        seen.add(used)
                        todo.append(used)
            if seen & libraries.keys():
                shown_path = os.path.relpath(candidate)
                out.append(candidate if shown_path.startswith("..") else shown_path)
                given.add(real)
    return out
