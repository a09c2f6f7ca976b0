"""Diagnostics: source spans, coded messages, and a rustc-style plain-text renderer.

Every problem pipec reports is a :class:`Diagnostic` with a stable code (``E201``), a severity, a
one-line message, the :class:`Span` it points at, and a ``help`` text written as full sentences.
Codes and their one-line titles live in :data:`CODES`; ``docs/diagnostics.md`` has one entry per
code, and a test keeps the two in step.

Rendering::

    error[E201]: unknown artifact 'dst'
      --> examples/02-reference.pipe:31:7
       |
    31 |       from dst
       |       ^^^^^^^^
       |
       = help: Artifacts available here: app, dist. Did you mean 'dist'?
"""

from __future__ import annotations

from typing import Iterable

from pipec.lazy_regex import lazy
from pipec.node import Node, evolve, field, node

ERROR = "error"
WARNING = "warning"


@node
class Span(Node):
    """A region of a source file: 1-based line and column of its first and last character,
    plus 0-based character offsets (``end_pos`` exclusive). A span inside an expanded template
    (:mod:`pipec.templates`) also knows its ``file`` and the ``origin`` of its expansion: for
    each use that led there, innermost first, the template's name and where it was used
    (``file:line:col``); neither is part of equality."""

    line: int
    column: int
    end_line: int
    end_column: int
    start_pos: int = 0
    end_pos: int = 0
    file: str | None = field(default=None, eq=False, repr=False)
    origin: tuple[tuple[str, str], ...] = field(default=(), eq=False, repr=False)
    #: the arguments substituted inside this span: (parameter, value, where the value is written)
    args: tuple[tuple[str, str, str], ...] = field(default=(), eq=False, repr=False)

    @classmethod
    def point(cls, line: int, column: int, pos: int = 0) -> "Span":
        return cls(line, column, line, column, pos, pos + 1)


@node
class Diagnostic(Node):
    """One finding: ``code`` (for example ``E201``), ``severity`` (error or warning), a one-line
    ``message``, the ``span`` it points at (None for whole-file problems), a ``help`` hint in full
    sentences, and optional ``notes`` (extra lines, such as where a name was first defined)."""

    code: str
    severity: str
    message: str
    span: Span | None
    help: str = ""
    notes: tuple[str, ...] = ()
    file: str = ""

    def relocated(self) -> "Diagnostic":
        """This diagnostic in the file its span is in: a span inside an expanded template names
        the template's file, and a note says where the template was used (each use, innermost
        first). Any other diagnostic is returned as it is."""
        s = self.span
        if s is None or s.file is None or (s.file == self.file and not s.origin):
            return self
        notes = [f"expanded from the use at {where} (template '{name}')" for name, where in s.origin]
        # an argument whose value the message quotes: the value to change is there, not here
        notes += [f"'{shown(value)}' is the value of the parameter '{param}', given at {where}"
                  for param, value, where in s.args if value and f"'{shown(value)}'" in self.message]
        new = tuple(n for n in dict.fromkeys(notes) if n not in self.notes)  # once, however often called
        return evolve(self, file=s.file, notes=(*self.notes, *new)) if new or s.file != self.file else self

    def sort_key(self) -> tuple:
        s = self.span
        return (self.file, s.line if s else 0, s.column if s else 0, self.code, self.message)

    def to_dict(self) -> dict:
        s = self.span
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": s.line if s else None,
            "column": s.column if s else None,
            "end_line": s.end_line if s else None,
            "end_column": s.end_column if s else None,
            "help": self.help,
            "notes": list(self.notes),
        }


#: warnings a target gives when a platform cannot do exactly what the other does (``pipec build``)
PLATFORM_DIFFERENCES = frozenset({"W508", "W509", "W510", "W511", "W512", "W513", "W514", "W515", "W524",
                                  "W516", "W519", "W540", "W541"})

class Diagnostics(Exception):
    """Raised by a stage of the compiler when the input has errors; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted((d.relocated() for d in diagnostics), key=Diagnostic.sort_key)
        super().__init__(f"{len(self.diagnostics)} diagnostic(s)")


#: Every diagnostic code with its short title. docs/diagnostics.md explains each one.
CODES: dict[str, str] = {
    # reading and syntax
    "E001": "file cannot be read",
    "E002": "input too large",
    "E003": "pipec.lock is not valid",
    "E100": "unexpected character",
    "E101": "unexpected word or symbol",
    "E102": "unexpected end of file",
    "E103": "unterminated string",
    "E104": "secret given as a literal value",
    "E105": "words run together",
    "W106": "ignore comment silences nothing",
    # names and references
    "E200": "duplicate name",
    "E201": "unknown artifact",
    "E202": "artifact used before it is produced",
    "E203": "setting given more than once",
    "E204": "unknown platform setting",
    "E205": "missing required setting",
    "E206": "invalid value",
    "E207": "conflicting settings",
    "E208": "name too long or not allowed here",
    "E209": "a name of pipec's own",
    "E210": "a command is not valid bash",
    "E220": "not an AWS account ID",
    "E221": "unknown or unsupported AWS Region",
    "E222": "account or Region pipec cannot place this action in",
    # pipeline structure and platform limits
    "E300": "pipeline has no source",
    "E301": "pipeline has no stages",
    "E302": "source declared inside a stage",
    "E303": "too many actions in a stage",
    "E304": "too many patterns in a filter",
    "E305": "approval timeout out of range",
    "E306": "build timeout out of range",
    "E307": "hook timeout out of range",
    "E308": "invalid pattern",
    "E309": "trigger not supported by this source",
    "E310": "platform binding conflict",
    "E311": "empty stage or parallel group",
    "E312": "too many triggers",
    "E313": "invalid schedule",
    "E314": "invalid matrix",
    "E315": "a matrix build's outputs cannot be read alike",
    "E316": "not available for this operating system or architecture",
    "E317": "max_parallel on CodePipeline",
    # deployments
    "E400": "strategy not available on this compute platform",
    "E401": "percentage out of range",
    "E402": "interval must be whole minutes",
    "E403": "hook not available on this compute platform",
    "E404": "traffic shifting needs a load balancer",
    "E405": "EC2 blue/green needs an Auto Scaling group and a target group",
    "E406": "deployment has no targets",
    "E407": "an EC2 revision cannot carry this appspec",
    "E408": "source cannot start or feed the GitHub Actions workflow",
    "E409": "trigger has no faithful GitHub Actions equivalent",
    "E410": "not expressible in a GitHub Actions job",
    "E411": "trigger has no faithful CodePipeline equivalent",
    "E412": "pipeline too large for one CloudFormation template",
    "E413": "patch path not in the generated file",
    # teaching warnings
    "W500": "all-at-once deployment to production",
    "W501": "production deployment without an approval before it",
    "W502": "production deployment without a test before it",
    "W503": "secret written in clear text",
    "W504": "production deployment without automatic rollback",
    "W505": "traffic shifting without alarms",
    "W506": "pull requests start deployments",
    "W517": "minimum healthy percentage lets no instance of a small fleet leave service",
    # platform differences (GitHub Actions target)
    "W508": "approval behaves differently on GitHub",
    "W509": "GitHub reads only the first 300 changed files for path filters",
    "W510": "disabled transition becomes a repository-variable condition",
    "W511": "pull request 'closed' events differ",
    "W512": "Lambda invoke receives a different event on GitHub",
    "W513": "no GitHub-hosted runner for this build image",
    "W514": "container image given by tag, not digest",
    "W515": "scheduled runs differ on GitHub",
    "W516": "deployment outlasts the GitHub job limit",
    "W519": "some tag pushes start CodePipeline but not the GitHub workflow",
    # permissions of build commands
    "W520": "commands call AWS without the permissions they need",
    # CodeBuild's built-in variables (pipec.builtins)
    "W521": "built-in variable has no same-meaning value on GitHub",
    "W522": "built-in variable is never set in a CodePipeline build",
    "W523": "package scripts run before the dependencies are installed",
    "W524": "a container build on GitHub needs the AWS CLI in its image",
    # the run-time contract (docs/language.md, "Run time")
    "W530": "a command ends the build's shell",
    "W531": "later commands rely on shell state CodeBuild may not keep",
    "W532": "the build image has no bash",
    # patches (docs/language.md, "Patches")
    "W540": "a patch changes what the pipeline does on one platform",
    "W541": "pipec cannot read the patched files back",
    # pipec import (positions are in the imported file)
    "E600": "not a pipeline file",
    "E601": "input is not valid YAML or JSON",
    "E602": "input has an invalid structure",
    "E603": "inputs do not make one pipeline",
    "E699": "importer produced an invalid pipeline",
    "W600": "construct not converted",
    "W601": "an import placeholder is still in the pipeline",
    # shared definitions: use lines and templates (pipec.templates)
    "E800": "used file cannot be read",
    "E801": "used file outside the project",
    "E802": "files use each other in a cycle",
    "E803": "used file holds a pipeline",
    "E804": "template defined twice",
    "E805": "unknown template",
    "E806": "missing argument",
    "E807": "unknown argument",
    "E808": "argument given twice",
    "E809": "argument is not a name",
    "E810": "template used in the wrong place",
    "E811": "templates use each other in a cycle",
    "E812": "a library file is not a pipeline",
    "E813": "templates expand to too many stages and actions",
    "E814": "a shell variable named like a parameter",
    "E815": "a default uses a parameter declared below it",
    "W816": "a placeholder close to a parameter's name",
    "W817": "a template parameter is never used",
    # pipec check --lint-scripts (its findings keep ShellCheck's own codes, SC####)
    "E700": "--lint-scripts needs ShellCheck",
}

#: codes of ``pipec import``, about the imported files (tests/test_import_cli.py covers them)
IMPORT_CODES = frozenset({"E600", "E601", "E602", "E603", "E699", "W600"})


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` as the lexer counts them: split at line feeds only (a lone carriage
    return is not a line end; CR LF endings lose their CR); a final line feed ends the last line
    rather than starting an empty one."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def shown(value: str, limit: int = 60) -> str:
    """``value`` as a message may quote it: cut as :func:`shorten` cuts, and control and other
    invisible characters written as escapes (a message must not move the terminal's cursor or
    split into lines)."""
    return _visible(shorten(value, limit))


def invalid_value(value: str, what: str) -> str:
    """The message of an E206 about a value the platform itself would refuse; ``pipec import``
    recognises it (:data:`INVALID_VALUE`) to report the value as an error in its input."""
    return f"'{shown(value)}' is not a valid {what}"


#: matches :func:`invalid_value` messages
INVALID_VALUE = lazy(r"'(?P<value>.*)' is not a valid (?P<what>.*)")


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """'Did you mean 'x'?' for the closest candidate, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


#: control characters in a source line, shown as U+FFFD (one column each, so the caret still lines
#: up) rather than sent to the terminal, which would obey them
_UNPRINTABLE = {c: "\ufffd" for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029,
                                     *range(0x202A, 0x202F), *range(0x2066, 0x206A)) if c != 0x09}


def _visible(text) -> str:
    """``text`` (a value, a file name) with its control and other invisible characters written
    as escapes, so that printing it cannot move the terminal's cursor or split a line."""
    text = str(text)
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


#: the widest source line a diagnostic shows whole; a longer one is cut to a window around the span
SOURCE_WIDTH = 120
#: the longest piece of the input a message quotes whole (see :func:`shorten`)
QUOTE_WIDTH = 60
ELLIPSIS = "..."


def shorten(text: str, width: int = QUOTE_WIDTH) -> str:
    """``text`` when it is at most ``width`` characters, else its start, an ellipsis and its
    length: what a message quotes of the input (a 5 MB word is not echoed back)."""
    if len(text) <= width:
        return text
    return f"{text[:width]}{ELLIPSIS} ({len(text):,} characters)"


def _window(src: str, column: int, width: int) -> tuple[str, int, int]:
    """(shown text, caret column, room) for a source line: the whole line when it fits in
    :data:`SOURCE_WIDTH`, else a window of that width around ``column`` with an ellipsis at
    each cut end. ``width`` is the caret's width, cut to the window."""
    if len(src) <= SOURCE_WIDTH:
        return src, column, width
    start = max(0, min(column - 1 - SOURCE_WIDTH // 3, len(src) - SOURCE_WIDTH))
    end = start + SOURCE_WIDTH
    shown = src[start:end]
    caret = column - start
    if start > 0:
        shown = ELLIPSIS + shown
        caret += len(ELLIPSIS)
    if end < len(src):
        shown += ELLIPSIS
    room = max(1, len(shown) - caret + 1 - (len(ELLIPSIS) if end < len(src) else 0))
    return shown, caret, max(1, min(width, room))


def plain(role: str, text: str) -> str:
    """The painter of uncoloured output: ``text`` as it is, whatever its ``role``
    (:func:`render`; ``pipec.cli_color`` has the coloured one)."""
    return text


def render(diag: Diagnostic, source: str | None, _lines: list[str] | None = None, paint=plain) -> str:
    """Render one diagnostic as plain text with the source line and a caret under the span,
    aligned as rustc does (the gutter is as wide as the line number). A line longer than
    :data:`SOURCE_WIDTH` is shown as a window around the span, cut with an ellipsis.
    ``_lines``: the source already split (:func:`render_all` splits each file once, not once
    per diagnostic). ``paint(role, text)`` may colour each part: the roles are the severity
    (``error``, ``warning``: the label and the caret), ``message``, ``gutter`` (line number,
    bars and arrow) and ``label`` (``note``, ``help``); the source line is never painted."""
    sev = diag.severity if diag.severity in (ERROR, WARNING) else ERROR
    lines = [f"{paint(sev, f'{diag.severity}[{diag.code}]')}{paint('message', f': {diag.message}')}"]
    s = diag.span
    if _lines is not None:
        text_lines = _lines if s is not None else []
    else:
        text_lines = source_lines(source) if (source is not None and s is not None) else []
    if s is None or not 1 <= s.line <= len(text_lines):
        pad = " "
        where = f"{_visible(diag.file)}:{s.line}:{s.column}" if s is not None else _visible(diag.file)
        lines.append(f"{pad}{paint('gutter', '-->')} {where}")
    else:
        gutter = str(s.line)
        pad = " " * len(gutter)
        bar = paint("gutter", "|")
        src = text_lines[s.line - 1].replace("\t", " ").translate(_UNPRINTABLE)
        room = max(1, len(src) - s.column + 1)
        width = s.end_column - s.column + 1 if s.end_line == s.line else room
        width = max(1, min(width, room))
        shown, caret, width = _window(src, s.column, width)
        lines.append(f"{pad}{paint('gutter', '-->')} {_visible(diag.file)}:{s.line}:{s.column}")
        lines.append(f"{pad} {bar}")
        lines.append(f"{paint('gutter', gutter)} {bar} {shown}")
        lines.append(f"{pad} {bar} {' ' * (caret - 1)}{paint(sev, '^' * width)}")
        lines.append(f"{pad} {bar}")
    for note in diag.notes:
        lines.append(f"{pad} {paint('gutter', '=')} {paint('label', 'note')}: {note}")
    if diag.help:
        lines.append(f"{pad} {paint('gutter', '=')} {paint('label', 'help')}: {diag.help}")
    return "\n".join(lines)


def render_all(diags: Iterable[Diagnostic], sources: dict[str, str], paint=plain) -> str:
    split: dict[str, list[str]] = {}
    out = []
    for d in diags:
        text = sources.get(d.file)
        if text is not None and d.file not in split:
            split[d.file] = source_lines(text)
        out.append(render(d, text, split.get(d.file) if text is not None else None, paint))
    return "\n\n".join(out)


# 'pipec explain --code' reads the docs without the classes above (issue 18: start-up); the
# functions live in pipec.code_docs and are re-exported here, where callers have always found them
from pipec.code_docs import _docs_file, explanation  # noqa: E402,F401
