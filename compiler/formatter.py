"""``pipec fmt``: print a syntax tree as canonical ``.pipe`` source, keeping comments.

Canonical layout: two-space indentation, one statement per line, one space between words,
values quoted only when they must be (a bare word that is also a keyword, or any character a bare
word cannot hold), a blank line between the pipeline's top-level blocks, and blank lines inside
blocks kept where the author put them (at most one in a row). Phases are written inline
(``build "make"``) unless they have ``finally`` or ``on_failure`` or would not fit in 100 columns.

Comments are not part of the tree; the formatter puts each one back before the first statement
that follows it, or at the end of the line it ended, so formatting never drops a comment.
Formatting is idempotent, and parsing the output gives an equal tree (tests/test_formatter.py
checks both with hypothesis).
"""

from __future__ import annotations

import re

from pipec import ast
from pipec.parser import keywords

_BARE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_INDENT = "  "
_WIDTH = 100


def quote(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def value(text: str) -> str:
    """A value as source: bare when that reads back the same, quoted otherwise."""
    if _BARE.fullmatch(text) and text not in keywords():
        return text
    return quote(text)


def _dur(d: ast.Duration) -> str:
    return f"{d.value}{d.unit}"


class _Printer:
    def __init__(self, comments: tuple[ast.Comment, ...]):
        self.lines: list[str] = []
        self.comments = sorted(comments, key=lambda c: (c.line, c.column))
        self.last_line = 0  # last source line emitted (for blank-line preservation)
        self.just_opened = False  # the last line printed opened a block (no blank line may follow)

    # ---------------------------------------------------------------- comments
    def leading(self, line: int, depth: int):
        while self.comments and self.comments[0].line < line:
            c = self.comments.pop(0)
            self.blank_if_gap(c.line)
            self.lines.append(f"{_INDENT * depth}#{c.text}".rstrip())
            self.just_opened = False
            self.last_line = c.line

    def trailing(self, line: int):
        while self.comments and self.comments[0].line <= line:
            c = self.comments.pop(0)
            self.lines[-1] = f"{self.lines[-1]}  #{c.text}".rstrip()

    def blank_if_gap(self, line: int):
        if (self.last_line and line > self.last_line + 1 and self.lines
                and not self.just_opened and self.lines[-1] != ""):
            self.lines.append("")

    # ---------------------------------------------------------------- statements
    def simple(self, node, text: str, depth: int):
        span = node.span
        if span is not None:
            self.leading(span.line, depth)
            self.blank_if_gap(span.line)
        for i, part in enumerate(text.split("\n")):
            self.lines.append((_INDENT * depth if i == 0 else "") + part if part else "")
        self.just_opened = False
        if span is not None:
            self.trailing(span.end_line)
            self.last_line = span.end_line

    def block(self, node, header: str, children, depth: int, printer):
        span = node.span
        if span is not None:
            self.leading(span.line, depth)
            self.blank_if_gap(span.line)
        self.lines.append(f"{_INDENT * depth}{header} {{")
        self.just_opened = True
        if span is not None:
            self.trailing(span.line)
            self.last_line = span.line
        for child in children:
            printer(child, depth + 1)
        if span is not None:
            self.leading(span.end_line, depth + 1)
        self.lines.append(f"{_INDENT * depth}}}")
        self.just_opened = False
        if span is not None:
            self.trailing(span.end_line)
            self.last_line = span.end_line

    # ---------------------------------------------------------------- pipeline
    def item(self, node, depth):
        """A statement of a pipeline or a template: top-level blocks are separated by one blank
        line, but never right after the header (which may carry a trailing comment: hence the
        flag, not a look at the text)."""
        if (isinstance(node, (ast.Source, ast.Stage, ast.PlatformBlock, ast.UseTemplate, ast.Template))
                and self.lines and not self.just_opened and self.lines[-1] != ""):
            self.lines.append("")
        self.stmt(node, depth)

    def pipeline(self, p: ast.Pipeline):
        self.block(p, f"pipeline {p.name}", p.body, 0, self.item)

    # shared definitions
    def s_UseFile(self, n, d):
        self.simple(n, f"use {quote(n.path)}", d)

    def s_Template(self, n, d):
        self.block(n, f"template {n.kind} {n.name}", (*n.params, *n.body), d, self.item)

    def s_Param(self, n, d):
        self.simple(n, f"param {n.name}" + ("" if n.default is None else f" = {value(n.default)}"), d)

    def s_UseTemplate(self, n, d):
        if n.args:
            self.block(n, f"use {n.name}", n.args, d, self.stmt)
        else:
            self.simple(n, f"use {n.name}", d)

    def s_Arg(self, n, d):
        self.simple(n, f"{n.name} = {value(n.value)}", d)

    def stmt(self, node, depth: int):
        method = getattr(self, "s_" + type(node).__name__)
        method(node, depth)

    # pipeline level
    def s_ModeStmt(self, n, d):
        self.simple(n, f"mode {n.mode}", d)

    def s_VariableStmt(self, n, d):
        text = f"variable {n.name} = {value(n.default)}"
        if n.description is not None:
            text += f" description {quote(n.description)}"
        self.simple(n, text, d)

    def s_StoreStmt(self, n, d):
        text = "artifact_store" + (f" bucket {value(n.bucket)}" if n.bucket is not None else "")
        if n.key is not None:
            text += f" key {value(n.key)}"
        self.simple(n, text, d)

    def s_Source(self, n, d):
        header = f"source {n.name} {n.provider} {value(n.location)}"
        if not n.body:
            self.simple(n, header, d)
        else:
            self.block(n, header, n.body, d, self.stmt)

    def s_Field(self, n, d):
        if n.keyword in ("message", "url", "parameters"):
            self.simple(n, f"{n.keyword} {quote(n.value)}", d)
        elif n.keyword in ("artifact", "clone", "os", "arch", "fail_fast", "max_parallel"):  # a name or a keyword value: never quoted
            self.simple(n, f"{n.keyword} {n.value}", d)
        else:
            self.simple(n, f"{n.keyword} {value(n.value)}", d)

    def s_Flag(self, n, d):
        self.simple(n, n.keyword, d)

    def s_ConnectionStmt(self, n, d):
        self.simple(n, f"connection {'arn ' if n.is_arn else ''}{value(n.value)}", d)

    def s_Trigger(self, n, d):
        parts = ["on", n.kind, *n.events]
        if n.cron is not None:
            parts.append(quote(n.cron))
        for f in n.filters:
            parts.append(f.kind)
            parts.extend(("!" if p.negated else "") + value(p.text) for p in f.patterns)
        if n.via:
            parts += ["via", n.via]
        self.simple(n, " ".join(parts), d)

    # stages
    def s_Stage(self, n, d):
        header = f"stage {n.name}" + (f" via {n.via}" if n.via else "")
        self.block(n, header, n.body, d, self.stmt)

    def s_Parallel(self, n, d):
        self.block(n, "parallel", n.body, d, self.stmt)

    def s_TransitionStmt(self, n, d):
        self.simple(n, f"transition disabled {quote(n.reason)}", d)

    def s_BuildAction(self, n, d):
        self.block(n, f"{n.kind} {n.name}", n.body, d, self.stmt)

    def s_DeployAction(self, n, d):
        self.block(n, f"deploy {n.name} to {n.platform}", n.body, d, self.stmt)

    def s_ApproveAction(self, n, d):
        self.block(n, f"approve {n.name}", n.body, d, self.stmt)

    def s_InvokeAction(self, n, d):
        self.block(n, f"invoke {n.name}", n.body, d, self.stmt)

    def s_PlatformBlock(self, n, d):
        self.block(n, n.platform, n.body, d, self.stmt)

    def s_Setting(self, n, d):
        self.simple(n, " ".join([n.key, *(value(v) for v in n.values)]), d)

    def s_AllowStmt(self, n, d):
        self.simple(n, " ".join(["allow", *(value(a) for a in n.actions), "on",
                                 *(value(r) for r in n.resources)]), d)

    def s_PatchStmt(self, n, d):
        text = f"patch {n.op} {value(n.path)}"
        if n.op == "set":
            text += " = " + (quote(n.value) if n.quoted else n.value)
        self.simple(n, text, d)

    # build
    def s_ImageStmt(self, n, d):
        self.simple(n, f"image {n.kind}" + (f" {value(n.ref)}" if n.ref is not None else ""), d)

    def s_MatrixBlock(self, n, d):
        self.block(n, "matrix", n.body, d, self.stmt)

    def s_AxisStmt(self, n, d):
        self.simple(n, " ".join(["axis", n.name, *(value(v) for v in n.values)]), d)

    def s_CellStmt(self, n, d):
        self.simple(n, " ".join([n.keyword, *(f"{k}={value(v)}" for k, v in n.values)]), d)

    def s_ComputeStmt(self, n, d):
        self.simple(n, f"compute {n.size}", d)

    def s_TimeoutStmt(self, n, d):
        self.simple(n, f"timeout {_dur(n.duration)}", d)

    def s_RuntimeStmt(self, n, d):
        self.simple(n, f"runtime {n.name} {value(n.version)}", d)

    def s_EnvStmt(self, n, d):
        self.simple(n, f"env {n.name} = {value(n.value)}", d)

    def s_SecretStmt(self, n, d):
        self.simple(n, f"secret {n.name} from {n.store} {value(n.ref)}", d)

    def s_FromStmt(self, n, d):
        self.simple(n, "from " + " ".join(n.names), d)

    def command(self, c: ast.Command, depth: int) -> str:
        if not c.script:
            return quote(c.text)
        inner = _INDENT * (depth + 1)
        body = "\n".join((inner + line) if line else "" for line in c.text.split("\n"))
        return f'"""\n{body}\n{_INDENT * depth}"""'

    def s_Phase(self, n, d):
        inline_ok = not n.finally_commands and n.on_failure is None and n.commands
        if inline_ok:
            text = f"{n.name} " + " ".join(self.command(c, d) for c in n.commands)
            first = text.split("\n")[0]
            if len(n.commands) == 1 or (len(_INDENT * d + first) <= _WIDTH and "\n" not in text):
                self.simple(n, text, d)
                return
        items = [("run", c) for c in n.commands] + [("finally", c) for c in n.finally_commands]

        def child(item, depth):
            if isinstance(item, tuple):
                kw, c = item
                self.simple(c, f"{kw} {self.command(c, depth)}", depth)
            else:
                self.simple(item, item.text, depth)

        extra = []
        if n.on_failure is not None:
            extra.append(_Text(f"on_failure {n.on_failure}", n.on_failure_span))
        self.block(n, n.name, items + extra, d, child)

    def s_ArtifactStmt(self, n, d):
        text = f"artifact {n.name} files " + " ".join(value(f) for f in n.files)
        if n.base is not None:
            text += f" base {value(n.base)}"
        if n.discard_paths:
            text += " discard_paths"
        self.simple(n, text, d)

    def s_CacheStmt(self, n, d):
        self.simple(n, "cache " + " ".join(value(p) for p in n.paths), d)

    def s_ReportStmt(self, n, d):
        text = f"report {n.name} {n.format} files " + " ".join(value(f) for f in n.files)
        if n.base is not None:
            text += f" base {value(n.base)}"
        self.simple(n, text, d)

    def s_CodeArtifactStmt(self, n, d):
        text = f"codeartifact {n.tool} domain {value(n.domain)} repository {value(n.repository)}"
        if n.owner is not None:
            text += f" owner {value(n.owner)}"
        self.simple(n, text, d)

    # deploy
    def s_Strategy(self, n, d):
        if n.kind == "rolling":
            if n.batch == "min_healthy":
                text = f"strategy rolling min_healthy {n.percent.value}%"
            else:
                text = "strategy rolling" + (f" {n.batch}" if n.batch else "")
        elif n.kind == "canary":
            text = f"strategy canary {n.percent.value}% then rest after {_dur(n.interval)}"
        elif n.kind == "linear":
            text = f"strategy linear {n.percent.value}% every {_dur(n.interval)}"
        elif n.kind == "blue-green":
            text = "strategy blue-green" + (f" terminate_after {_dur(n.interval)}" if n.interval else "")
        else:
            text = f"strategy {n.kind}"
        self.simple(n, text, d)

    def s_RollbackStmt(self, n, d):
        if n.none:
            text = "rollback none"
        else:
            text = "rollback on" + (" failure" if n.on_failure else "")
            if n.alarms:
                text += " alarm " + " ".join(value(a) for a in n.alarms)
        self.simple(n, text, d)

    def s_HookStmt(self, n, d):
        text = f"hook {n.event} {value(n.target)}"
        if n.timeout is not None:
            text += f" timeout {_dur(n.timeout)}"
        if n.run_as is not None:
            text += f" as {value(n.run_as)}"
        self.simple(n, text, d)

    def s_InstancesStmt(self, n, d):
        self.simple(n, f"instances tag {value(n.key)} = {value(n.value)}", d)

    def s_ListStmt(self, n, d):
        if n.keyword == "capabilities":  # keyword values: never quoted
            self.simple(n, " ".join([n.keyword, *n.values]), d)
        else:
            self.simple(n, " ".join([n.keyword, *(value(v) for v in n.values)]), d)

    def s_CopyStmt(self, n, d):
        self.simple(n, f"copy {value(n.source)} to {value(n.destination)}", d)

    def s_PermissionStmt(self, n, d):
        text = f"permission {value(n.path)}"
        for kw in ("owner", "group", "mode"):
            v = getattr(n, kw)
            if v is not None:
                text += f" {kw} {value(v)}"
        self.simple(n, text, d)

    def s_ContainerStmt(self, n, d):
        self.simple(n, f"container {value(n.name)} port {n.port}", d)

    def s_NetworkStmt(self, n, d):
        text = ("network subnets " + " ".join(value(s) for s in n.subnets)
                + " security_groups " + " ".join(value(s) for s in n.security_groups))
        if n.public_ip:
            text += " public_ip"
        self.simple(n, text, d)

    def s_VersionsStmt(self, n, d):
        self.simple(n, f"versions current {value(n.current)} target {value(n.target)}", d)

    def s_ParameterStmt(self, n, d):
        self.simple(n, f"parameter {n.name} = {value(n.value)}", d)

    def s_ChangeSetStmt(self, n, d):
        self.simple(n, "change_set " + ("none" if n.name is None else value(n.name)), d)

    def s_NotifyStmt(self, n, d):
        self.simple(n, f"notify {n.kind} " + " ".join(value(v) for v in n.values), d)


class _Text:
    """A line the formatter writes that has no node of its own (``on_failure`` in a phase), with
    the span it had in the source, if any, so comments around it stay in place."""

    def __init__(self, text: str, span=None):
        self.text = text
        self.span = span


def format_module(module: ast.Module) -> str:
    """Canonical source for a parsed module (comments included), ending with one newline."""
    printer = _Printer(module.comments)
    for use in module.uses:
        printer.stmt(use, 0)
    for template in module.templates:
        printer.item(template, 0)
    if module.pipeline is not None:
        if printer.lines and printer.lines[-1] != "":
            printer.lines.append("")
        printer.pipeline(module.pipeline)
    if printer.comments:  # comments after the closing brace
        for c in printer.comments:
            printer.lines.append(f"#{c.text}".rstrip())
    return "\n".join(printer.lines) + "\n"


def format_pipeline(pipeline: ast.Pipeline) -> str:
    """Canonical source for a tree without comments (for trees built in code)."""
    return format_module(ast.Module(pipeline=pipeline))


def format_text(text: str, filename: str = "<input>") -> str:
    """Parse ``text`` and return it formatted; raises Diagnostics on a syntax error."""
    from pipec.parser import parse

    return format_module(parse(text, filename))
