"""Per-code control of warnings: ``--select`` and ``--ignore`` (codes or prefixes, as ruff takes
them) and inline ``# pipec: ignore[W508]`` comments.

Selection follows ruff's rule selection: a code is reported when the most specific selector that
matches it comes from ``--select``; when ``--select`` and ``--ignore`` match with the same
specificity (the same prefix), ``--ignore`` wins (ruff's ``Specificity`` in
crates/ruff/src/rule_selector.rs orders selectors by the length of the prefix). ``--select``
defaults to every code. Errors cannot be ignored: they are always reported, and a selector of
``--ignore`` that matches an error code is a usage error.

An inline comment silences the named warnings on the line it is written on (the line the
diagnostic points to, as ruff's ``# noqa``)::

    approval sign_off { timeout 2h }  # pipec: ignore[W508]

A comment that silences nothing (a code that is not reported on that line, an error code, a code
pipec does not have, or no code at all) is itself reported as W106.
"""

from __future__ import annotations

import re

from pipec.diagnostics import CODES, WARNING, Diagnostic, Span
from pipec.lazy_regex import lazy
from pipec.node import Node, field, node

#: the inline comment: ``# pipec: ignore[W508]`` or ``# pipec: ignore[W508, W509]``
_COMMENT = re.compile(r"#\s*pipec:\s*ignore\b(?P<rest>.*)", re.I)
#: the same words anywhere in a file: a file without them has no inline ignore, and is not lexed
_ANY_COMMENT = re.compile(r"#\s*pipec:\s*ignore\b", re.I)
#: ShellCheck's codes (``pipec check --lint-scripts``, :mod:`pipec.script_lint`), or a prefix of them
SHELLCHECK_CODE = lazy(r"SC\d{0,4}")
_CODES = lazy(r"\[(?P<codes>[^\]]*)\]")


class BadSelection(ValueError):
    """A --select or --ignore value pipec cannot use (the command exits with status 2)."""


def parse_selectors(value, option: str) -> tuple[str, ...]:
    """``value`` ("W508,W5" or a list of such strings) as upper-case prefixes, each matching at
    least one code; raise :class:`BadSelection` naming ``option`` otherwise."""
    parts = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for part in parts:
        if not isinstance(part, str):
            raise BadSelection(f"{option}: expected codes such as W508 or prefixes such as W5, got {part!r}")
        for item in part.split(","):
            item = item.strip().upper()
            if not item:
                continue
            if not any(code.startswith(item) for code in CODES) and not SHELLCHECK_CODE.fullmatch(item):
                raise BadSelection(f"{option}: {item} is no diagnostic code or prefix of one "
                                   "(see docs/diagnostics.md)")
            out.append(item)
    return tuple(out)


@node
class Selection(Node):
    """Which warnings are reported: ``select`` (None for every code) and ``ignore`` prefixes."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, select, ignore, names=("--select", "--ignore")) -> "Selection":
        """From option values (None when not given); ``names`` are what the messages call them (the
        options, or a configuration file's keys)."""
        sel = parse_selectors(select, names[0]) if select is not None else None
        ign = parse_selectors(ignore, names[1]) if ignore is not None else ()
        for prefix in ign:
            errors = sorted(code for code in CODES if code.startswith(prefix) and code.startswith("E"))
            if errors:
                raise BadSelection(f"{names[1]} {prefix}: errors cannot be ignored ({errors[0]} is an "
                                   "error); fix the input instead, or ignore only warnings (W codes)")
        return cls(sel, ign)

    def reports(self, code: str) -> bool:
        if code.startswith("E"):
            return True
        chosen = -1 if self.select is not None else 0
        for prefix in self.select or ():
            if code.startswith(prefix):
                chosen = max(chosen, len(prefix))
        dropped = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return chosen >= 0 and chosen > dropped


@node
class _Comment(Node):
    """An inline ignore comment; ``used`` collects the codes it silenced."""

    line: int
    column: int
    text: str
    codes: tuple[str, ...] | None  # None: no [CODES] list
    used: set = field(factory=set)


class FileFilter:
    """The inline ignores of one file: :meth:`keep` drops the warnings they silence (and those
    ``selection`` does not report); :meth:`unused` reports the comments that silenced nothing."""

    def __init__(self, text: str, path: str, selection: Selection | None = None):
        from pipec.lexer import comments

        self.path, self.selection = path, selection or Selection()
        self.comments: dict[int, list[_Comment]] = {}
        # finding the comments lexes the whole file (50 ms for 2,500 actions); most files have none
        found = comments(text) if _ANY_COMMENT.search(text) else ()
        for line, column, value in found:
            m = _COMMENT.match(value)
            if m is None:
                continue
            c = _CODES.match(m.group("rest").lstrip())
            codes = tuple(x.strip().upper() for x in c.group("codes").split(",") if x.strip()) if c else None
            self.comments.setdefault(line, []).append(_Comment(line, column, value.rstrip(), codes))
        self.saw_error = False
        self._libraries: dict[str, FileFilter | None] = {}

    def keep(self, diags) -> list:
        out = []
        for d in diags:
            d = d.relocated()  # a warning inside an expanded template is in the template's file
            if d.severity != WARNING:
                self.saw_error = True
                out.append(d)
                continue
            silenced = False
            if d.span is not None and d.file == self.path:
                silenced = self._silences(d)
            elif d.span is not None and d.file:  # in a library of templates: its own comments
                library = self._library(d.file)
                silenced = library is not None and library._silences(d)
            if not silenced and self.selection.reports(d.code):
                out.append(d)
        return out

    def _silences(self, d) -> bool:
        silenced = False
        for c in self.comments.get(d.span.line, ()):
            if c.codes and d.code in c.codes:
                c.used.add(d.code)
                silenced = True
        return silenced

    def _library(self, path: str) -> "FileFilter | None":
        """The ignore comments of a library file a warning points into (an expanded template):
        they silence it there. Whether one silences nothing is not judged (W106): another
        pipeline that uses the template may need it."""
        if path not in self._libraries:
            from pipec.files import InputError, read_text

            try:
                self._libraries[path] = FileFilter(read_text(path), path, self.selection)
            except InputError:
                self._libraries[path] = None
        return self._libraries[path]

    def unused(self, unchecked=frozenset()) -> list[Diagnostic]:
        """W106 for each comment that silenced nothing. Nothing when the file had errors (not every
        check ran); codes in ``unchecked`` (those of targets that did not run) are not judged."""
        if self.saw_error or not self.selection.reports("W106"):
            return []
        out = []
        for comments in self.comments.values():
            for c in comments:
                for why, hint in self._problems(c, unchecked):
                    span = Span(c.line, c.column, c.line, c.column + len(c.text) - 1)
                    out.append(Diagnostic("W106", WARNING, why, span, hint, file=self.path))
        return out

    @staticmethod
    def _problems(c: _Comment, unchecked):
        if not c.codes:
            yield ("ignore comment names no code",
                   "Name the warnings to silence on this line, for example '# pipec: ignore[W508]'.")
            return
        for code in c.codes:
            if code in c.used or code in unchecked or (SHELLCHECK_CODE.fullmatch(code) and "SC" in unchecked):
                continue
            if code not in CODES and not SHELLCHECK_CODE.fullmatch(code):
                yield (f"ignore comment names {code}, which is no diagnostic code",
                       "Use a code from docs/diagnostics.md, such as W508, or remove the comment.")
            elif code.startswith("E"):
                yield (f"ignore comment names the error {code}, which cannot be ignored",
                       f"Fix what {code} reports instead; only warnings (W codes) can be silenced.")
            else:
                yield (f"ignore comment silences nothing: no {code} on this line",
                       f"Remove '{code}' from the comment: pipec no longer reports it here. A comment "
                       "silences the warnings of the line it is written on.")


def apply(diags, text: str, path: str, selection: Selection | None = None, unchecked=frozenset()) -> list:
    """``diags`` of one file with the inline ignores and ``selection`` applied, and W106 for each
    ignore comment that silenced nothing, sorted by position."""
    f = FileFilter(text, path, selection)
    kept = f.keep(diags)
    return sorted([*kept, *f.unused(unchecked)], key=Diagnostic.sort_key)


#: warnings only the targets give (a ``check --no-targets`` or a one-target run cannot judge
#: whether an ignore comment naming them is used)
TARGET_WARNINGS = frozenset({"W508", "W509", "W510", "W511", "W512", "W513", "W514", "W515", "W516", "W519",
                             "W521", "W540", "W541"})


def unchecked_codes(target_names, lint_scripts: bool = False) -> frozenset:
    """The codes :meth:`FileFilter.unused` must not judge when only ``target_names`` ran, and
    ShellCheck's (``SC``) unless ``--lint-scripts`` ran it."""
    from pipec.targets import TARGETS

    codes = frozenset() if set(target_names) >= set(TARGETS) else TARGET_WARNINGS
    return codes if lint_scripts else codes | {"SC"}
