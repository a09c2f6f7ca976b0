"""``pipec import``: existing pipeline files in, formatted ``.pipe`` source out.

The importer is the read side of the targets, for files that people wrote by hand::

    FILE(s) --load (positions kept)--> data --detect--> kind --target importer--> Doc
            --render + pipec fmt--> .pipe text --pipec check--> Result

- :func:`load` parses YAML or JSON into plain ``dict``/``list`` values that remember where each
  key and item was written (:class:`YDict`, :class:`YList`), so every finding points at the input
  file's line and column. CloudFormation short tags (``!Ref``, ``!Sub``, ``!If``...) become their
  long forms (``{"Ref": ...}``, ``{"Fn::Sub": ...}``); ``on`` stays a string (YAML 1.2 booleans).
- :func:`detect` recognises a file by its content, never by its name (:data:`KINDS`).
- Each kind has one importer, in the target package that owns the format (the registry
  :data:`pipec.targets.IMPORTERS`):
  workflows in :mod:`pipec.targets.github.imports`; buildspecs and appspecs in
  :mod:`pipec.targets.aws.spec_imports`; CodePipeline templates in :mod:`pipec.targets.aws.imports`. An importer fills a :class:`Doc` (the ``.pipe`` text as
  blocks and statements) and reports through its :class:`Context` what it could not convert.
- :func:`finish` renders the document, formats it with :mod:`pipec.formatter` and checks it with
  the compiler itself: what ``pipec import`` prints is always what ``pipec check`` accepts.

Nothing is dropped silently: each construct an importer cannot map becomes a ``# not converted``
comment at its place in the output, a W600 diagnostic pointing at the input, and an entry of the
:class:`Result` (and so of ``--report`` and ``--audit``).
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from pipec.diagnostics import ERROR, INVALID_VALUE, WARNING, Diagnostic, Diagnostics, Span
from pipec.node import Node, node
from pipec.files import InputError, read_text  # noqa: F401 - InputError is part of this module's interface
from pipec.import_yaml import (  # noqa: F401 - YInt, YFloat and yaml12 are part of this module's interface
    YDict, YFloat, YInt, YList, _span, load, pos_of, yaml12,
)

#: the kinds of file pipec imports
KINDS = ("workflow", "buildspec", "appspec", "pipeline-template", "gitlab-ci")
#: kind -> the platform whose files they are (the round trip builds for it); GitLab CI files have
#: no pipec target to go back to
PLATFORM = {"workflow": "github", "buildspec": "aws", "appspec": "aws", "pipeline-template": "aws"}

SUCCESSFUL, PARTIAL, UNSUPPORTED, FAILED = "Successful", "Partial", "Unsupported", "Failed"
STATUSES = (SUCCESSFUL, PARTIAL, UNSUPPORTED, FAILED)


# ----------------------------------------------------------------------------- kinds


_CODEDEPLOY_HOOKS = {"BeforeInstall", "AfterInstall", "ApplicationStart", "ApplicationStop", "ValidateService",
                     "BeforeAllowTraffic", "AfterAllowTraffic", "BeforeBlockTraffic", "AfterBlockTraffic",
                     "DownloadBundle", "Install", "AfterAllowTestTraffic"}


def detect(data) -> str | None:
    """The kind of an input by its content (:data:`KINDS`), or None."""
    if not isinstance(data, dict):
        return None
    resources = data.get("Resources")
    if isinstance(resources, dict):
        for res in resources.values():
            if isinstance(res, dict) and res.get("Type") == "AWS::CodePipeline::Pipeline":
                return "pipeline-template"
        return None
    if "jobs" in data:
        return "workflow"
    if "phases" in data:
        return "buildspec"
    if "version" in data and data.keys() & {"os", "files", "hooks", "Resources", "permissions"}:
        return "appspec"
    if "hooks" in data and isinstance(data.get("hooks"), (list, dict)):
        return "appspec"
    if "version" in data and data.keys() & {"artifacts", "batch", "env", "reports", "cache"}:
        return "buildspec"
    containers = data.get("containers")
    if isinstance(containers, dict) and any(isinstance(c, dict) and "phases" in c for c in containers.values()):
        return "buildspec"  # the legacy layout, phases under containers: NAME:
    if _is_gitlab_ci(data):
        return "gitlab-ci"
    return None


#: top-level keys only a GitLab CI file has
_GITLAB_KEYS = {"stages", "include", "default", "workflow", "before_script", "after_script", "types", "spec"}


def _is_gitlab_ci(data: dict) -> bool:
    """A GitLab CI file: GitLab's own top-level keys, or a mapping whose values include a job (a
    mapping with ``script``, ``extends`` or ``trigger``)."""
    if data.keys() & _GITLAB_KEYS:
        return True
    return any(isinstance(job, dict) and job.keys() & {"script", "extends", "trigger"}
               for job in data.values())


# ----------------------------------------------------------------------------- the document


def v(text) -> str:
    """A value as ``.pipe`` source (bare when it can be)."""
    from pipec.formatter import value

    return value(str(text))


def q(text) -> str:
    """A quoted string as ``.pipe`` source."""
    from pipec.formatter import quote

    return quote(str(text))


class Doc:
    """A block of ``.pipe`` source: a header line (``stage build``) and its items, each a
    statement line, a comment or a nested block. The importers build one for the pipeline."""

    def __init__(self, header: str):
        self.header = header
        self.items: list = []

    def stmt(self, *words: str) -> "Doc":
        self.items.append(("stmt", " ".join(w for w in words if w != "")))
        return self

    def comment(self, text: str) -> "Doc":
        for line in text.splitlines() or [""]:
            self.items.append(("comment", line))
        return self

    def block(self, header: str) -> "Doc":
        child = Doc(header)
        self.items.append(("block", child))
        return child

    def insert_block(self, index: int, header: str) -> "Doc":
        child = Doc(header)
        self.items.insert(index, ("block", child))
        return child

    def blocks(self):
        return [item for kind, item in self.items if kind == "block"]

    def has_statements(self) -> bool:
        return any(kind in ("stmt", "block") for kind, _ in self.items)

    def render(self, depth: int = 0) -> list[str]:
        pad = "  " * depth
        lines = [f"{pad}{self.header} {{"]
        for kind, item in self.items:
            if kind == "stmt":
                lines.append(f"{pad}  {item}")
            elif kind == "comment":
                lines.append(f"{pad}  # {item}".rstrip())
            else:
                lines.extend(item.render(depth + 1))
        lines.append(f"{pad}}}")
        return lines


# ----------------------------------------------------------------------------- findings


@node
class Unconverted(Node):
    """Something in the input that the output does not carry: ``construct`` is a short stable
    name (``workflow: matrix include``) used to count across files; ``message`` says what and why;
    ``line``/``column`` point into the input."""

    construct: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str = ""
    file: str | None = None

    def to_dict(self) -> dict:
        return {"construct": self.construct, "message": self.message, "file": self.file, "line": self.line,
                "column": self.column, "hint": self.hint}


@node
class Task(Node):
    """Something a person must do before the imported pipeline runs: ``kind`` is one of
    ``secret``, ``connection``, ``reviewers``, ``repository``, ``resource``, ``variable``."""

    kind: str
    text: str


class Context:
    """What an importer reads from and reports to, for one input file."""

    def __init__(self, file: str, text: str, data, kind: str, *, repository: str | None = None,
                 companions: dict | None = None):
        self.file = file
        self.text = text
        self.data = data
        self.kind = kind
        self.repository = repository
        #: other inputs given with this one (path -> (text, data, kind)), for templates
        self.companions = companions or {}
        self.used_companions: set[str] = set()
        self.unconverted: list[Unconverted] = []
        self._reported: set = set()
        self.tasks: list[Task] = []
        self.errors: list[Diagnostic] = []
        #: the importer's record of what it mapped, for the round trip (free-form, per kind)
        self.mapping: dict = {}
        self.pipeline_name: str | None = None

    def span(self, container, key=None) -> Span | None:
        return _span(pos_of(container, key))

    def skip(self, doc: Doc | None, construct: str, message: str, where=None, key=None, hint: str = ""):
        """Record that ``construct`` (found at ``where[key]``) is not converted, and leave a comment
        in ``doc`` (when given) at the place it would have gone."""
        pos = pos_of(where, key) if where is not None else None
        src = getattr(where, "src", None) or self.file
        seen = (construct, src, pos)
        if pos is None or seen not in self._reported:  # a matrix repeats a job: one finding per place
            self._reported.add(seen)
            self.unconverted.append(Unconverted(construct, message, pos[0] if pos else None,
                                                pos[1] if pos else None, hint, src))
        if doc is not None:
            at = f" ({Path(src).name}:{pos[0]})" if pos else ""
            doc.comment(f"not converted{at}: {message}")

    def task(self, kind: str, text: str):
        t = Task(kind, text)
        if t not in self.tasks:
            self.tasks.append(t)

    def error(self, message: str, where=None, key=None, hint: str = "", code: str = "E602"):
        """Record an error in the input (the import fails)."""
        src = getattr(where, "src", None) or self.file
        self.errors.append(Diagnostic(code, ERROR, message, self.span(where, key) if where is not None else None,
                                      help=hint, file=src))


class Unsupported(Exception):
    """Raised by an importer when the input has nothing ``.pipe`` can express."""

    def __init__(self, construct: str, message: str, where=None, key=None):
        super().__init__(message)
        self.construct = construct
        self.where = where
        self.key = key


@attrs.define
class Result:
    """One import: ``files`` read, their ``kind``, the ``status``, the ``.pipe`` ``source`` (None
    unless Successful or Partial), what was not converted, the manual ``tasks``, the diagnostics
    (errors for Failed, W600 per unconverted construct) and the importer's ``mapping``."""

    files: list
    kind: str | None
    status: str
    source: str | None = None
    unconverted: list = attrs.Factory(list)
    tasks: list = attrs.Factory(list)
    diagnostics: list = attrs.Factory(list)
    mapping: dict = attrs.Factory(dict)
    pipeline: str | None = None

    def to_dict(self) -> dict:
        return {
            "files": [str(f) for f in self.files], "kind": self.kind, "status": self.status,
            "pipeline": self.pipeline,
            "unconverted": [u.to_dict() for u in self.unconverted],
            "tasks": [{"kind": t.kind, "text": t.text} for t in self.tasks],
            "diagnostics": [d.to_dict() for d in self.diagnostics if d.severity == ERROR],
        }


# ----------------------------------------------------------------------------- running


_NAME_BAD = re.compile(r"[^A-Za-z0-9_\-]+")


def not_bash(commands: list[str]) -> set[int]:
    """The indexes of ``commands`` that bash cannot parse on its own: the same ``bash -n`` check as
    E210 (:func:`pipec.shell_state.syntax`), so that an importer never writes a command the check
    refuses (a PowerShell script of a Windows job, say) and reports it instead."""
    from types import SimpleNamespace

    from pipec.shell_state import syntax

    if not commands:
        return set()
    cmds = [SimpleNamespace(text=c, span=Span.point(i + 1, 1)) for i, c in enumerate(commands)]
    build = SimpleNamespace(phases=[SimpleNamespace(commands=cmds, finally_commands=[])])
    return {d.span.line - 1 for d in syntax([build], "", "") if d.span is not None}


def name(text, default: str = "x", limit: int = 64) -> str:
    """``text`` as a ``.pipe`` NAME: letters, digits, ``_`` and ``-``, starting with a letter."""
    out = _NAME_BAD.sub("-", str(text)).strip("-")
    if not out or not (out[0].isalpha() or out[0] == "_"):
        out = f"{default}-{out}" if out else default
    return out[:limit].rstrip("-") or default


def unique(base: str, taken: set) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not in ``taken`` (added to it)."""
    out, n = base, 2
    while out.lower() in taken:
        suffix = f"-{n}"
        out = base[:64 - len(suffix)] + suffix
        n += 1
    taken.add(out.lower())
    return out


def _importer(kind: str):
    import importlib

    from pipec.targets import IMPORTERS  # the registry only

    module, func = IMPORTERS[kind].split(":")
    return getattr(importlib.import_module(module), func)


def describe(data) -> str | None:
    """What a file that holds no pipeline is, in words (for E600), or None when pipec cannot tell."""
    if not isinstance(data, dict):
        return f"the file holds a {type(data).__name__ if data is not None else 'null'}, not a mapping"
    runs = data.get("runs")
    if isinstance(runs, dict) and "using" in runs:
        return f"an action definition (runs.using: {runs.get('using')}), which workflows call; import the workflows"
    if isinstance(data.get("Resources"), dict):
        return "a CloudFormation template without an AWS::CodePipeline::Pipeline resource"
    if "updates" in data and "version" in data:
        return "a Dependabot configuration"
    if "apiVersion" in data and "kind" in data:
        return f"a Kubernetes manifest (kind {data.get('kind')})"
    if "services" in data:
        return "a Docker Compose file"
    if "on" in data and "jobs" not in data:
        return "a workflow with no jobs"
    return None


def read_input(path: str, text: str | None = None):
    """(text, data, kind) of one input, or :class:`InputError`."""
    if text is None:
        text = read_text(path)  # bounded (E002), UTF-8 (E001); '-' is standard input
    try:
        data = load(text, path)
    except InputError as exc:
        # GitLab reads YAML with Ruby's parser, which keeps the last of a key written twice
        if "appears twice" not in exc.diagnostic.message:
            raise
        dups: list = []
        data = load(text, path, duplicates=dups)
        if detect(data) != "gitlab-ci":
            raise
        data.dups = dups
    kind = detect(data)
    if kind is None:
        what = describe(data)
        raise InputError(Diagnostic(
            "E600", ERROR, "not a GitHub Actions workflow, buildspec, appspec, CodePipeline template or GitLab CI "
            "file" + (f": {what}" if what else ""), None,
            help="pipec recognises a workflow by its 'on' and 'jobs' keys, a buildspec by 'phases', an appspec "
                 "by 'version' with 'files', 'hooks' or 'Resources', a template by a resource of type "
                 "AWS::CodePipeline::Pipeline, and a GitLab CI file by 'stages', 'include' or jobs with "
                 "'script'.", file=path))
    return text, data, kind


def import_one(path: str, text: str | None = None, *, repository: str | None = None,
               companions: dict | None = None, read=None) -> Result:
    """Import one file (with ``companions``: other inputs a template may use). Never raises for
    bad input: a Failed result carries the diagnostics."""
    try:
        text, data, kind = read or read_input(path, text)
    except InputError as exc:
        return Result([path], None, FAILED, diagnostics=[exc.diagnostic])
    ctx = Context(path, text, data, kind, repository=repository, companions=companions)
    try:
        doc = _importer(kind)(ctx)
    except Unsupported as exc:
        ctx.skip(None, exc.construct, str(exc), exc.where, exc.key)
        return _result(ctx, UNSUPPORTED, None)
    if ctx.errors:
        return _result(ctx, FAILED, None)
    source = finish(ctx, doc)
    if source is None:
        return _result(ctx, FAILED, None)
    return _result(ctx, PARTIAL if ctx.unconverted else SUCCESSFUL, source)


def _result(ctx: Context, status: str, source: str | None) -> Result:
    diags = list(ctx.errors)
    for u in ctx.unconverted:
        diags.append(Diagnostic("W600", WARNING, f"not converted: {u.message}",
                                _span((u.line, u.column)) if u.line else None, help=u.hint,
                                file=u.file or ctx.file))
    files = [ctx.file] + sorted(ctx.used_companions)
    return Result(files, ctx.kind, status, source, list(ctx.unconverted), list(ctx.tasks), diags,
                  dict(ctx.mapping), ctx.pipeline_name)


def header(ctx: Context) -> list[str]:
    files = ", ".join(Path(f).name for f in [ctx.file] + sorted(ctx.used_companions))
    lines = [f"# Imported by pipec from {files} ({ctx.kind})."]
    n = len(ctx.unconverted)
    if n:
        lines.append(f"# {n} construct(s) were not converted: see the 'not converted' comments.")
    for t in ctx.tasks:
        lines.append(f"# To do ({t.kind}): {' '.join(t.text.split())}")
    return lines


def finish(ctx: Context, doc: Doc) -> str | None:
    """The document as formatted ``.pipe`` text that ``pipec check`` accepts, or None after
    recording why not (a bug in an importer: E699 names the check's first error)."""
    from pipec import compile_text
    from pipec.formatter import format_text

    text = "\n".join(header(ctx) + doc.render()) + "\n"
    try:
        formatted = format_text(text, ctx.file + ".pipe")
        try:
            compile_text(formatted, ctx.file + ".pipe")
        except Diagnostics as exc:
            found = len(ctx.unconverted)
            replaced = _replace_refused(ctx, formatted, exc)
            if replaced is None:
                raise
            try:
                formatted = format_text(replaced, ctx.file + ".pipe")
                compile_text(formatted, ctx.file + ".pipe")
            except Diagnostics:
                del ctx.unconverted[found:]  # the placeholders did not help: the input's values are the error
                raise exc from None
    except Diagnostics as exc:
        errors = [d for d in exc.diagnostics if d.severity == ERROR]
        invalid = [(d, INVALID_VALUE.fullmatch(d.message)) for d in errors if d.code == "E206"]
        if errors and all(m for _, m in invalid) and len(invalid) == len(errors):
            # values the input itself holds and AWS or GitHub would refuse: an error in the input
            for d, m in invalid:
                at = ctx.text.find(m.group("value"))
                span = None if at < 0 else Span.point(ctx.text.count("\n", 0, at) + 1,
                                                      at - ctx.text.rfind("\n", 0, at), at)
                ctx.errors.append(Diagnostic("E602", ERROR, f"the input's {m.group('what')} '{m.group('value')}' "
                                             "is not one the platform accepts", span,
                                             help=f"{d.help} Correct it in the input, then import again.",
                                             file=ctx.file))
            return None
        first = errors[0] if errors else exc.diagnostics[0]
        where = f" (line {first.span.line} of the output)" if first.span else ""
        ctx.errors.append(Diagnostic(
            "E699", ERROR, f"pipec produced a pipeline it cannot check: {first.code} {first.message}{where}",
            None, help="This is a bug in pipec's importer; please report it with the input file.", file=ctx.file))
        return None
    return formatted


def _replace_refused(ctx: Context, text: str, exc) -> str | None:
    """Degrade, never fail (issue 25): values of the input that AWS or GitHub would refuse (the
    template placeholders of samples, such as ``<FunctionName>`` or ``PLACEHOLDER_SUBNET``) become
    ``REPLACE-ME-...`` placeholders with a finding and a task; None when other errors remain."""
    errors = [d for d in exc.diagnostics if d.severity == ERROR]
    found = [INVALID_VALUE.fullmatch(d.message) if d.code == "E206" else None for d in errors]
    if not errors or not all(found):
        return None
    lines = text.split("\n")
    for value, what in dict.fromkeys((m.group("value"), m.group("what")) for m in found):
        if value.endswith("characters)"):  # shortened in the message: the whole value from the text
            whole = re.search(re.escape(value.split("...")[0]) + r'[^"\s]*', text)
            if whole is None:
                return None
            value = whole.group(0)
        holder = "REPLACE-ME-" + (re.sub(r"[^A-Za-z0-9]+", "-", what).strip("-").lower() or "value")
        parts = value.split(":", 5)
        if value.startswith("arn:") and len(parts) == 6:
            # an ARN keeps its shape (a role must be an ARN); the account and the name are placeholders
            kind = parts[5].split("/", 1)[0] + "/" if "/" in parts[5] else ""
            holder = ":".join(parts[:4] + ["123456789012", kind + holder])
        hit = False
        from pipec.formatter import quote

        written = quote(value)[1:-1]  # as the .pipe writes it in a string (backslashes doubled)
        for i, line in enumerate(lines):
            if line.lstrip().startswith("#"):
                continue
            for form in dict.fromkeys((written, value)):
                if form in line:
                    lines[i] = line = line.replace(form, holder)
                    hit = True
        if not hit:
            return None
        at = ctx.text.find(value)
        pos = None if at < 0 else (ctx.text.count("\n", 0, at) + 1, at - ctx.text.rfind("\n", 0, at))
        key = ("input: value the platform refuses", ctx.file, pos)
        if key not in ctx._reported:
            ctx._reported.add(key)
            ctx.unconverted.append(Unconverted(
                "input: value the platform refuses", f"the {what} {value!r} is not one the platform accepts (a "
                f"placeholder of the input?): written as {holder}", pos[0] if pos else None, pos[1] if pos else None,
                "", ctx.file))
        ctx.task("resource", f"replace {holder} with the real {what} (the input had {value!r})")
    return "\n".join(lines)


def summary(results: list[Result]) -> dict:
    """Counts for ``--audit``: per status, per unconverted construct, and the manual tasks."""
    from collections import Counter

    statuses = Counter(r.status for r in results)
    constructs = Counter(u.construct for r in results for u in r.unconverted)
    files_with = Counter()
    for r in results:
        for c in {u.construct for u in r.unconverted}:
            files_with[c] += 1
    tasks = Counter((t.kind, t.text) for r in results for t in r.tasks)
    return {
        "files": len(results),
        "statuses": {s: statuses.get(s, 0) for s in STATUSES},
        "constructs": [{"construct": c, "count": n, "files": files_with[c]}
                       for c, n in sorted(constructs.items(), key=lambda kv: (-kv[1], kv[0]))],
        "tasks": [{"kind": k, "text": t, "count": n} for (k, t), n in sorted(tasks.items())],
    }


# ----------------------------------------------------------------------------- several inputs


class MergeError(Exception):
    """The inputs cannot make one pipeline; ``diagnostic`` (E603) says why."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def import_files(paths: list[str], *, repository: str | None = None) -> Result:
    """Import ``paths`` into one pipeline: one workflow; or one CodePipeline template with the
    buildspecs and appspecs its actions use; or one buildspec with the appspecs that deploy its
    artifact; or one appspec. Anything else is :class:`MergeError`; unreadable inputs give a
    Failed result."""
    read: dict[str, tuple] = {}
    failed: list[Diagnostic] = []
    for path in paths:
        try:
            read[path] = read_input(path)
        except InputError as exc:
            failed.append(exc.diagnostic)
    if failed:
        return Result(list(paths), None, FAILED, diagnostics=failed)
    by_kind: dict[str, list[str]] = {}
    for path, (_text, _data, kind) in read.items():
        by_kind.setdefault(kind, []).append(path)
    if len(paths) == 1:
        main = paths[0]
    elif len(by_kind.get("workflow", ())) or len(by_kind.get("pipeline-template", ())) > 1:
        kinds = ", ".join(f"{len(v)} {k}(s)" for k, v in sorted(by_kind.items()))
        raise MergeError(Diagnostic(
            "E603", ERROR, f"these inputs do not make one pipeline ({kinds})", None,
            help="Import a workflow on its own, and a CodePipeline template together with the buildspecs "
                 "and appspecs its actions use. To import a whole folder file by file, use "
                 "'pipec import --audit DIR'.", file=paths[0]))
    elif by_kind.get("pipeline-template"):
        main = by_kind["pipeline-template"][0]
    elif len(by_kind.get("buildspec", ())) == 1:
        main = by_kind["buildspec"][0]
    else:
        kinds = ", ".join(f"{len(v)} {k}(s)" for k, v in sorted(by_kind.items()))
        raise MergeError(Diagnostic(
            "E603", ERROR, f"these inputs do not make one pipeline ({kinds})", None,
            help="Without a CodePipeline template, pipec joins one buildspec (the build) with the appspecs "
                 "that deploy its artifact. Import other files one at a time.", file=paths[0]))
    companions = {p: r for p, r in read.items() if p != main}
    result = import_one(main, repository=repository, companions=companions, read=read[main])
    unused = [p for p in companions if p not in result.files]
    if unused and result.status in (SUCCESSFUL, PARTIAL):
        raise MergeError(Diagnostic(
            "E603", ERROR, f"{len(unused)} input(s) are not used by {main}: {', '.join(unused)}", None,
            help="Give only the buildspecs and appspecs that the pipeline's actions use; import the others "
                 "on their own.", file=unused[0]))
    return result


# ----------------------------------------------------------------------------- audit

#: file name endings the audit reads
AUDIT_SUFFIXES = (".yml", ".yaml", ".json", ".template")
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "cdk.out"}


def audit_files(root) -> list[Path]:
    """The YAML and JSON files under ``root``, in a stable order (hidden folders other than
    ``.github`` and dependency folders skipped)."""
    root = Path(root)
    if root.is_file():
        return [root]
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if any(p in _SKIP_DIRS or (p.startswith(".") and p not in (".github",)) for p in rel[:-1]):
            continue
        if path.is_file() and path.name.lower().endswith(AUDIT_SUFFIXES):
            out.append(path)
    return out


@attrs.define
class Audit:
    """``pipec import --audit``: one :class:`Result` per pipeline file found, the files that are
    not pipeline files (``skipped``), and the files whose import crashed pipec (``crashed``)."""

    root: str
    results: list = attrs.Factory(list)
    skipped: list = attrs.Factory(list)
    crashed: list = attrs.Factory(list)

    def to_dict(self) -> dict:
        from collections import Counter

        per_kind = {}
        for kind in KINDS:
            rs = [r for r in self.results if r.kind == kind]
            c = Counter(r.status for r in rs)
            per_kind[kind] = {"files": len(rs), **{s: c.get(s, 0) for s in STATUSES}}
        return {"root": self.root, **summary(self.results), "kinds": per_kind,
                "not_pipeline_files": len(self.skipped), "crashed": list(self.crashed),
                "results": [r.to_dict() for r in self.results]}


def audit(root, *, repository: str | None = None, read_text=None, progress=None) -> Audit:
    """Import every pipeline file under ``root`` on its own (a template also uses the buildspecs
    and appspecs beside it) and collect the results. Never raises for bad input; a crash of an
    importer is recorded as a Failed result with an E699 diagnostic and listed in ``crashed``.
    ``progress(done, total, rel)``, when given, is called before each file and once at the end."""
    out = Audit(str(root))
    base = Path(root)
    files = audit_files(root)
    for done, path in enumerate(files):
        rel = str(path.relative_to(base)) if base.is_dir() else path.name
        if progress is not None:
            progress(done, len(files), rel)
        try:
            read = read_input(str(path))
        except InputError as exc:
            # unreadable YAML counts when the file is where pipeline files live or named like one
            low = str(path).lower().replace("\\", "/")
            if exc.diagnostic.code == "E600" or not (
                    "/.github/workflows/" in low or "buildspec" in low or "appspec" in low or "pipeline" in low
                    or "gitlab-ci" in low):
                out.skipped.append(rel)
                continue
            guess = ("workflow" if "/.github/workflows/" in low else "buildspec" if "buildspec" in low
                     else "appspec" if "appspec" in low else "gitlab-ci" if "gitlab-ci" in low else None)
            out.results.append(Result([str(path)], guess, FAILED, diagnostics=[exc.diagnostic]))
            continue
        try:
            out.results.append(import_one(str(path), repository=repository, read=read))
        except Exception as exc:  # a bug in an importer: counted, never fatal for the audit
            out.crashed.append(rel)
            out.results.append(Result([str(path)], read[2], FAILED, diagnostics=[Diagnostic(
                "E699", ERROR, f"pipec crashed importing this file ({type(exc).__name__}: {exc})", None,
                help="This is a bug in pipec's importer; please report it with the input file.",
                file=str(path))]))
    if progress is not None:
        progress(len(files), len(files), "")
    return out


_TASK_TITLES = {
    "secret": "Secrets to create", "connection": "Connections to authorise",
    "reviewers": "Environment reviewers to configure", "repository": "Repositories to name",
    "resource": "Resources to fill in", "variable": "Variables to check",
}


def _md_cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def audit_markdown(a: Audit) -> str:
    d = a.to_dict()
    n = d["files"]
    lines = [f"# pipec import audit of `{a.root}`", ""]
    lines.append(f"{n} pipeline file(s) imported; {d['not_pipeline_files']} other YAML/JSON file(s) skipped"
                 + (f"; **{len(a.crashed)} crashed pipec**" if a.crashed else "") + ".")
    lines += ["", "## Summary", "", "| status | files | share |", "|---|---:|---:|"]
    for s in STATUSES:
        k = d["statuses"][s]
        lines.append(f"| {s} | {k} | {100 * k / n:.1f}% |" if n else f"| {s} | 0 | - |")
    lines += ["", "Successful: everything converted. Partial: converted, with the constructs below left as "
              "'not converted' comments. Unsupported: nothing `.pipe` can express. Failed: the input is "
              "invalid (see the diagnostics).", ""]
    lines += ["## Per kind", "", "| kind | files | " + " | ".join(STATUSES) + " |",
              "|---|---:|" + "---:|" * len(STATUSES)]
    for kind, row in d["kinds"].items():
        if row["files"]:
            lines.append(f"| {kind} | {row['files']} | " + " | ".join(str(row[s]) for s in STATUSES) + " |")
    lines += ["", "## Constructs not converted", ""]
    if d["constructs"]:
        lines += ["| construct | occurrences | files |", "|---|---:|---:|"]
        lines += [f"| {_md_cell(c['construct'])} | {c['count']} | {c['files']} |" for c in d["constructs"]]
    else:
        lines.append("None.")
    lines += ["", "## Manual tasks", ""]
    if not d["tasks"]:
        lines.append("None.")
    for kind, title in _TASK_TITLES.items():
        rows = [t for t in d["tasks"] if t["kind"] == kind]
        if rows:
            lines += [f"### {title}", ""]
            lines += [f"- {t['text']}" + (f" ({t['count']} files)" if t["count"] > 1 else "") for t in rows]
            lines.append("")
    lines += ["", "## Files", "", "| file | kind | status | not converted | tasks |", "|---|---|---|---:|---:|"]
    base = Path(a.root)
    for r in a.results:
        f = Path(r.files[0])
        rel = f.relative_to(base) if base.is_dir() and f.is_relative_to(base) else f
        lines.append(f"| {_md_cell(rel)} | {r.kind or '-'} | {r.status} | {len(r.unconverted)} | {len(r.tasks)} |")
    errors = [(r, dg) for r in a.results for dg in r.diagnostics if dg.severity == ERROR]
    if errors:
        lines += ["", "## Errors", ""]
        for _r, dg in errors:
            at = f":{dg.span.line}:{dg.span.column}" if dg.span else ""
            lines.append(f"- `{dg.file}{at}` {dg.code} {_md_cell(dg.message)}")
    return "\n".join(lines) + "\n"


def report_markdown(r: Result) -> str:
    """The ``--report`` of one import, for people."""
    lines = ["# pipec import report", "", f"- files: {', '.join(f'`{f}`' for f in r.files)}",
             f"- kind: {r.kind or '-'}", f"- status: **{r.status}**", f"- pipeline: {r.pipeline or '-'}", ""]
    lines += ["## Not converted", ""]
    if r.unconverted:
        lines += ["| where | construct | what | hint |", "|---|---|---|---|"]
        for u in r.unconverted:
            at = f"{u.file or r.files[0]}:{u.line}:{u.column}" if u.line else (u.file or r.files[0])
            lines.append(f"| `{_md_cell(at)}` | {_md_cell(u.construct)} | {_md_cell(u.message)} | "
                         f"{_md_cell(u.hint)} |")
    else:
        lines.append("Nothing: every construct was converted.")
    lines += ["", "## Manual tasks", ""]
    lines += [f"- ({t.kind}) {t.text}" for t in r.tasks] or ["None."]
    errors = [dg for dg in r.diagnostics if dg.severity == ERROR]
    if errors:
        lines += ["", "## Errors", ""]
        for dg in errors:
            at = f":{dg.span.line}:{dg.span.column}" if dg.span else ""
            lines.append(f"- `{dg.file}{at}` {dg.code} {_md_cell(dg.message)}")
    return "\n".join(lines) + "\n"
