"""Deterministic, fast YAML output for every file pipec writes.

- Keys keep the order the emitter built them in (no sorting, no hash-order dependence).
- Multi-line strings are written as literal block scalars (``|``) so scripts read as scripts.
- Strings that YAML 1.1 would read as something else (``on``, ``yes``, ``0755``, ``1.0``) are
  quoted, so every consumer (PyYAML, CodeBuild, GitHub's YAML 1.2 parser) reads the same value.
- libyaml's C emitter is used when PyYAML was built with it (several times faster), else the
  pure-Python one; both give the same text.
- Comments are part of the data: a :class:`Commented` value is written as its scalar followed by
  ``# comment`` on the same line. pipec never edits YAML text after dumping it, so no comment
  can land inside a user's script (a script line that looks like ``contents: read`` stays as
  written).

Troposphere's ``to_yaml()`` goes through cfn_flip and is many times slower; templates are built
with troposphere objects, turned into plain data with ``to_dict()``, and dumped here.
"""

from __future__ import annotations

import functools
import re

import yaml

try:  # pragma: no cover - depends on how PyYAML was built
    _Base = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Base = yaml.SafeDumper


class Commented:
    """A one-line scalar ``value`` written with ``# comment`` after it (``gap`` before the ``#``),
    such as a pinned ``uses:`` with its release tag. Only the fast path writes comments; the
    whole-document PyYAML fallback (a key or type the fast path does not write) writes the value
    alone, which reads back the same."""

    __slots__ = ("value", "comment", "gap")

    def __init__(self, value, comment: str, gap: str = " "):
        if "\n" in comment or "\r" in comment:
            raise ValueError("a YAML comment is one line")
        self.value, self.comment, self.gap = value, comment, gap

    def __eq__(self, other):
        return (type(other) is Commented and (self.value, self.comment, self.gap)
                == (other.value, other.comment, other.gap))

    def __hash__(self):
        return hash((self.value, self.comment, self.gap))

    def __repr__(self):
        return f"Commented({self.value!r}, {self.comment!r})"


class Flow(list):
    """A short list of one-line strings written on one line, ``[a, b]``, as people write
    ``branches: [main]``; a longer one (over :data:`FLOW_WIDTH` characters) or one with other
    items is written as a block, one item a line."""

    __slots__ = ()


class Anchored:
    """A mapping in a sequence written with a YAML anchor, ``- &name``, so that a later
    :class:`Alias` can stand for it (a step that several jobs share, written once). The
    whole-document PyYAML fallback writes the mapping itself, which reads back the same."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: dict):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise ValueError(f"not an anchor name pipec writes: {name!r}")
        self.name, self.value = name, value


class Alias:
    """``*name``: the :class:`Anchored` mapping of that name, written earlier in the document."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: dict):
        self.name, self.value = name, value


#: the longest flow list (its text after the key) written on one line
FLOW_WIDTH = 80
_FLOW_INDICATOR = re.compile(r"[,\[\]{}:#]")


def _flow_text(items) -> str | None:
    """``[a, b]`` for a :class:`Flow` list, or None when it is written as a block."""
    if not items or any(type(v) is not str or not v or "\n" in v or "\r" in v for v in items):
        return None
    words = []
    for v in items:
        try:
            kind, text = _scalar(v, False)
        except _Slow:
            return None
        if kind != "inline":
            return None
        if text == v and _FLOW_INDICATOR.search(v):  # plain in a block only
            if any(ord(c) < 32 or ord(c) == 127 for c in v):
                return None
            text = "'" + v.replace("'", "''") + "'"
        words.append(text)
    out = "[" + ", ".join(words) + "]"
    return out if len(out) <= FLOW_WIDTH else None


_STR, _INT, _BOOL, _NULL = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool",
                             "tag:yaml.org,2002:null")
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_ScalarNode, _MappingNode, _SequenceNode = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


def _str_style(value: str):
    if "\n" in value and not any(c in value for c in "\x85\u2028\u2029"):
        # a literal block keeps U+0085, U+2028 and U+2029 raw, and YAML 1.1 readers (PyYAML) take
        # them for line breaks, so the block would not read back: those strings are quoted, with
        # the escapes \N, \L and \P
        # block scalars cannot keep trailing spaces on a line: fall back to quoting then
        if not any(line != line.rstrip() for line in value.split("\n")):
            return "|"
    return None


class _Dumper(_Base):
    """PyYAML's safe dumper, made fast for the plain data pipec writes: nodes are built directly
    (no per-object representer dispatch, no alias bookkeeping: a shared object is written out again,
    never as ``&id001``), and the implicit-tag check that the emitter makes for every scalar is
    memoised per value. The text is the same as ``yaml.dump`` with the representers below gives
    (tests/test_yamlout.py compares them)."""

    _resolved: dict = {}

    def ignore_aliases(self, data):
        return True

    def resolve(self, kind, value, implicit):
        if kind is _ScalarNode:
            key = (value, implicit)
            tag = self._resolved.get(key)
            if tag is None:
                if len(self._resolved) > 200_000:  # bounded, for long-lived processes
                    self._resolved.clear()
                tag = self._resolved[key] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)

    def represent(self, data):
        self.serialize(self._node(data))

    def _node(self, data):
        t = type(data)
        if t is str:
            return _ScalarNode(_STR, data, style=_str_style(data))
        if t is dict:
            return _MappingNode(_MAP, [(self._node(k), self._node(v)) for k, v in data.items()], flow_style=False)
        if t is list or t is tuple:
            return _SequenceNode(_SEQ, [self._node(v) for v in data], flow_style=False)
        if t is Flow:
            return _SequenceNode(_SEQ, [self._node(v) for v in data], flow_style=_flow_text(data) is not None)
        if t is bool:
            return _ScalarNode(_BOOL, "true" if data else "false")
        if t is int:
            return _ScalarNode(_INT, str(data))
        if data is None:
            return _ScalarNode(_NULL, "null")
        if t is Commented or t is Anchored or t is Alias:
            return self._node(data.value)
        return self.represent_data(data)  # anything else (floats, str subclasses): PyYAML's own way


def _str(dumper, value: str):
    return dumper.represent_scalar(_STR, value, style=_str_style(value))


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Commented, lambda dumper, c: dumper.represent_data(c.value))


def dump(data) -> str:
    """YAML text for ``data`` (dicts, lists, strings, numbers, booleans, None)."""
    try:
        return _Fast().document(data)
    except _Slow:
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=100_000, indent=2)


def load(text: str):
    """A file :func:`dump` wrote, read back as plain data. pipec writes no tags (CloudFormation's
    intrinsic functions are in their long form, ``Ref:`` and ``Fn::Sub:``), so YAML's safe loader
    reads every generated file; ``pipec explain --target`` reads the targets' output with it."""
    return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 (the safe loader)


# ----------------------------------------------------------------------------- the fast path
#
# libyaml's emitter, for the shapes pipec writes, in a few lines of Python: block mappings,
# block sequences (indentless inside mappings, as PyYAML writes them), and scalars that are plain,
# single-quoted on one line, or literal blocks. Every style decision is PyYAML's: its emitter's
# scalar analysis (restated as regular expressions in _analysis) and its resolver decide, per
# distinct string, as in Emitter.choose_scalar_style.
# A string it does not write itself (a multi-line quoted string, an escape) is written by PyYAML
# alone and put in place (_pyyaml_value). Anything else (another type, such a key) raises _Slow
# and the whole document goes through PyYAML. tests/test_yamlout.py compares both on random data.


class _Slow(Exception):
    """The document has something the fast path does not write."""


_RESOLVER = yaml.resolver.Resolver()
#: the text of every string seen, as a mapping key and as a value: the string on one line (plain
#: or quoted) or a literal block's header ('|', '|-', '|2+'); a one-line text never starts with
#: '|', an indicator, so the header tells the kind. Strings only, none of the tuples the garbage
#: collector walks (tens of thousands of them after a large build). Bounded: see _remember.
_KEY_SCALARS: dict[str, str] = {}
_VALUE_SCALARS: dict[str, str] = {}
_BREAKS = "\n\x85\u2028\u2029"
_SIMPLE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")

# PyYAML's Emitter.analyze_scalar (allow_unicode=True) as a few regular expressions: the same
# decisions, without a Python loop over every character of every script (tests/test_yamlout.py
# compares the two on arbitrary text)
_WS = "\0 \t\r\n\x85\u2028\u2029"   # what the analysis counts as whitespace around an indicator
#: a character only a double-quoted scalar can hold: not printable ASCII, a line feed, NEL or
#: printable Unicode (the byte order mark is not); in ASCII, the control characters but the line feed
_SPECIAL_ASCII = re.compile("[\x00-\x09\x0b-\x1f\x7f]")
_LEADING_INDICATOR = re.compile(f"---|\\.\\.\\.|[#,\\[\\]{{}}&*!|>'\"%@`]|[?:-](?:[{_WS}]|\\Z)")
_INNER_INDICATOR = re.compile(f":(?:[{_WS}]|\\Z)|(?<=[{_WS}])#")   # searched from the second character


@functools.cache
def _unicode_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    """(special character, line break, break and space, space and break) for text that is not
    ASCII; compiled on first use, as the first takes 1.5 ms (its ranges span the code points)."""
    return (re.compile("[^\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010fffe]|\ufeff"),
            re.compile(f"[{_BREAKS}]"), re.compile(f"[{_BREAKS}] "), re.compile(f" [{_BREAKS}]"))


def _analysis(value: str) -> tuple[bool, bool, bool, bool]:
    """(multiline, allow_block_plain, allow_single_quoted, allow_block) of PyYAML's emitter for
    ``value``, the fields of its ``ScalarAnalysis`` that the fast path reads."""
    if not value:
        return False, True, True, False
    if value.isascii():  # the only line break is '\n'
        multiline = "\n" in value
        special = _SPECIAL_ASCII.search(value) is not None
        break_space = multiline and "\n " in value
        space_break = multiline and " \n" in value
    else:
        special_char, line_break, break_then_space, space_then_break = _unicode_patterns()
        multiline = line_break.search(value) is not None
        special = special_char.search(value) is not None
        break_space = multiline and break_then_space.search(value) is not None
        space_break = multiline and space_then_break.search(value) is not None
    edges = " " + _BREAKS
    plain = not (value[0] in edges or value[-1] in edges or multiline
                 or _LEADING_INDICATOR.match(value) or _INNER_INDICATOR.search(value, 1))
    single = not (break_space or space_break or special)
    block = not (value[-1] == " " or space_break or special)
    return multiline, plain and single, single, block


def _remember(memo: dict, key: str, text: str) -> str:
    if len(memo) > 200_000:  # bounded, for long-lived processes (the language server)
        memo.clear()
    memo[key] = text
    return text


def _scalar(value: str, key: bool) -> tuple[str, str]:
    """("inline", text) or ("literal", header) for ``value`` as a key or a value; _Slow for a
    string the fast path does not write."""
    memo = _KEY_SCALARS if key else _VALUE_SCALARS
    text = memo.get(value)
    if text is None:
        text = _remember(memo, value, _scalar_text(value, key))
    return ("literal" if text[0] == "|" else "inline"), text


def _scalar_text(value: str, key: bool) -> str:
    implicit = _RESOLVER.resolve(_ScalarNode, value, (True, False)) == _STR
    if _SIMPLE.fullmatch(value):
        # a word such as actions/checkout or my-app.v2: PyYAML's analysis allows every style for
        # it (no indicator, space, break or special character), so only the resolver decides
        return value if implicit else "'" + value + "'"
    if not value.isascii() and any(ord(c) > 0xFFFF for c in value):
        raise _Slow  # libyaml and PyYAML's Python analyser disagree on characters beyond the BMP
    multiline, allow_block_plain, allow_single_quoted, allow_block = _analysis(value)
    literal = _str_style(value) == "|" and not key
    if implicit and not (key and (not value or multiline)) and allow_block_plain and not literal:
        return value
    if literal and allow_block:
        hints = ""
        if value[0] in " " + _BREAKS:
            hints += "2"
        if value[-1] not in _BREAKS:
            hints += "-"
        elif len(value) == 1 or value[-2] in _BREAKS:
            hints += "+"
        return "|" + hints
    if allow_single_quoted and not multiline and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    raise _Slow


_PLAIN = {True: "true", False: "false", None: "null"}
_FLOAT = "tag:yaml.org,2002:float"


def _float_text(value: float) -> str:
    """A float as PyYAML's SafeRepresenter.represent_float writes it (buildspec's ``version:
    0.2``, appspec's ``version: 0.0``); _Slow for a text its resolver would not read back as a
    float, which PyYAML writes with an explicit tag."""
    if value != value:
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value).lower()
        if "." not in text and "e" in text:  # 1e17: !!float needs the '.0'
            text = text.replace("e", ".0e", 1)
    if _RESOLVER.resolve(_ScalarNode, text, (True, False)) != _FLOAT:
        raise _Slow
    return text


#: the fast path's commonest question, answered once per distinct string: the text after
#: ``key:`` of a string written on one line (a key's text is in _KEY_SCALARS)
_INLINE_TAIL: dict[str, str] = {}


class _Fast:
    def __init__(self):
        self.out: list[str] = []
        self.kept = False

    def document(self, data) -> str:
        if type(data) is dict and data:
            self.mapping(data, 0, first_inline=False)
        elif type(data) is list and data:
            self.sequence(data, 0, first_inline=False)
        else:
            raise _Slow
        if self.kept:  # libyaml ends a document that holds a kept (|+) block with '...'
            self.out.append("...\n")
        return "".join(self.out)

    def leaf(self, value, indent: int) -> str | None:
        """The text after 'key:' or '-' for a value written on the same line (None: a block)."""
        t = type(value)
        if t is Commented:
            tail = self.leaf(value.value, indent)
            if tail is None or "\n" in tail:
                raise ValueError(f"a comment can follow a one-line scalar only, not {value.value!r}")
            return f"{tail}{value.gap}# {value.comment}"
        if t is str:
            try:
                kind, text = _scalar(value, False)
            except _Slow:
                return _pyyaml_value(value, indent)
            if kind == "inline":
                return _remember(_INLINE_TAIL, value, " " + text)
            self.kept = text.endswith("+")  # each literal block sets or clears it (libyaml)
            lines = value.split("\n")
            if value.endswith("\n"):
                lines = lines[:-1]
            pad = " " * (indent + 2)
            body = "".join(pad + line + "\n" if line else "\n" for line in lines)
            return " " + text + "\n" + body[:-1]
        if t is bool or value is None:
            return " " + _PLAIN[value]
        if t is int:
            return " " + str(value)
        if t is float:
            return " " + _float_text(value)
        if t is dict:
            return " {}" if not value else None
        if t is list:
            return " []" if not value else None
        if t is Flow:
            text = _flow_text(value)
            return None if text is None else " " + text
        if t is Alias:
            return " *" + value.name
        raise _Slow

    def key(self, k) -> str:
        if type(k) is not str:
            raise _Slow
        kind, text = _scalar(k, True)
        if kind != "inline":  # never: a key is not written as a block
            raise _Slow
        return text

    def mapping(self, data: dict, indent: int, first_inline: bool):
        out = self.out
        pad = " " * indent
        head_pad = "" if first_inline else pad
        for k, v in data.items():
            # the memos first (a dict lookup each): most keys and values are strings seen before
            text = _KEY_SCALARS.get(k) if type(k) is str else None
            head = head_pad + (text if text is not None else self.key(k)) + ":"
            head_pad = pad
            tail = _INLINE_TAIL.get(v) if type(v) is str else None
            if tail is None:
                tail = self.leaf(v, indent)
            if tail is not None:
                out.append(head + tail + "\n")
            elif type(v) is dict:
                out.append(head + "\n")
                self.mapping(v, indent + 2, first_inline=False)
            else:
                out.append(head + "\n")
                self.sequence(v, indent, first_inline=False)

    def sequence(self, data: list, indent: int, first_inline: bool):
        out = self.out
        pad = " " * indent
        for i, v in enumerate(data):
            head = ("" if i == 0 and first_inline else pad) + "-"
            if type(v) is Anchored:
                if type(v.value) is not dict or not v.value:
                    raise _Slow
                out.append(f"{head} &{v.name}\n")
                self.mapping(v.value, indent + 2, first_inline=False)
                continue
            tail = _INLINE_TAIL.get(v) if type(v) is str else None
            if tail is None:
                tail = self.leaf(v, indent)
            if tail is not None:
                out.append(head + tail + "\n")
            elif type(v) is dict:
                out.append(head + " ")
                self.mapping(v, indent + 2, first_inline=True)
            else:
                out.append(head + " ")
                self.sequence(v, indent + 2, first_inline=True)


def _pyyaml_value(value: str, indent: int) -> str:
    """The text after ``key:`` for a string that the fast path does not write itself (a quoted
    string over several lines, escapes, characters beyond the BMP), as PyYAML writes it in a
    mapping or sequence at column ``indent``: PyYAML's own rendering of ``k: value`` at column 0,
    whose continuation lines are then indented by ``indent`` more (PyYAML indents them by the
    collection's column plus two; a quoted scalar's line breaks and escapes do not depend on the
    column, as nothing is folded at pipec's line width)."""
    text = yaml.dump({"k": value}, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100_000, indent=2)
    if text.endswith("...\n"):
        text = text[:-4]
    parts = re.split(f"([{_BREAKS}])", text[len("k:"):-1])  # PyYAML ends the document with "\n"
    pad = " " * indent
    return "".join(pad + part if i % 2 == 0 and i and part else part for i, part in enumerate(parts))


def header(source: str, what: str) -> str:
    """The first line of every generated YAML file: where it came from, and not to edit it."""
    return f"# Generated by pipec from {source} ({what}). Do not edit: change the .pipe file and run pipec build.\n"
