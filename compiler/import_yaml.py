"""YAML and JSON read for ``pipec import`` with the position of every key and item kept
(:class:`YDict`, :class:`YList`, :func:`pos_of`), so that each finding points at the input's line
and column; numbers remember the text written (:class:`YInt`, :class:`YFloat`: ``3.10`` stays
``3.10``); CloudFormation short tags become their long forms; ``on`` stays a string (YAML 1.2
booleans, :func:`yaml12`). :mod:`pipec.importer` re-exports these names.
"""

from __future__ import annotations

import json
import re

import yaml

from pipec.diagnostics import ERROR, Diagnostic, Span
from pipec.files import InputError



class YDict(dict):
    """A mapping read from YAML/JSON that remembers positions: ``pos`` of the mapping, ``kpos``
    of each key and ``vpos`` of each value, as 1-based ``(line, column)``, and ``src`` the file."""

    __slots__ = ("pos", "kpos", "vpos", "src", "dups")


class YList(list):
    """A sequence read from YAML/JSON: ``pos`` of the sequence, ``ipos[i]`` of item ``i``."""

    __slots__ = ("pos", "ipos", "src")


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


def yaml12(loader_class):
    """Make ``loader_class`` resolve scalars as GitHub does (YAML 1.2 core): booleans are only
    true/false (so the key ``on`` stays the string "on", and ``yes`` stays "yes"), no timestamps."""
    loader_class.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers
                if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }
    loader_class.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return loader_class


@yaml12
class _Loader(_BASE_LOADER):
    """Composes nodes only (construction is ours); YAML 1.2 booleans, no timestamps."""


@yaml12
class _RedefiningLoader(yaml.SafeLoader):
    """The pure-Python loader, for the rare file that defines an anchor twice: YAML 1.2 lets a
    later ``&name`` replace an earlier one (an alias refers to the most recent), GitHub accepts
    it, and libyaml's composer refuses it."""

    def compose_node(self, parent, index):
        if not self.check_event(yaml.AliasEvent):
            anchor = self.peek_event().anchor
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)

_SCALARS = yaml.constructor.SafeConstructor
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null": lambda v: None,
    "tag:yaml.org,2002:bool": lambda v: v.lower() == "true",
    "tag:yaml.org,2002:int": None,    # SafeConstructor's reader (0x, 0o, _ separators)
    "tag:yaml.org,2002:float": None,
    "tag:yaml.org,2002:str": lambda v: v,
}


class YInt(int):
    """An integer read from YAML that remembers the text written (``010``, ``1_000``): ``str()``
    gives that text, so an import writes what the author wrote; arithmetic uses the number."""

    text: str

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return self.text if not spec else int.__format__(int(self), spec)


class YFloat(float):
    """A float read from YAML that remembers the text written: ``python: 3.10`` stays ``3.10``
    (the float would print as ``3.1``, a different version)."""

    text: str

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return self.text if not spec else float.__format__(float(self), spec)


def _number(value, text: str):
    out = (YInt if isinstance(value, int) else YFloat)(value)
    out.text = text
    return out


def _span(pos: tuple[int, int] | None) -> Span | None:
    if pos is None:
        return None
    return Span.point(pos[0], pos[1])


class _Builder:
    def __init__(self, file: str, loader, duplicates: list | None = None):
        self.file = file
        self.loader = loader
        #: when a list: a key written twice is kept (the last wins, as Ruby's YAML reads it for
        #: GitLab) and recorded here as (key, (line, column)); else it is an error
        self.duplicates = duplicates
        self.done: dict[int, object] = {}   # an alias (*x) is the object built for its anchor
        self.open: set[int] = set()         # nodes being built: meeting one again is a cycle

    def fail(self, node, message: str, hint: str):
        raise InputError(Diagnostic("E602", ERROR, message, _span(_mark(node)), help=hint, file=self.file))

    def scalar(self, node):
        tag = node.tag
        conv = _SCALAR_TAGS.get(tag, False)
        if conv is None:
            try:
                number = (_SCALARS.construct_yaml_int if tag.endswith("int")
                          else _SCALARS.construct_yaml_float)(self.loader, node)
                return _number(number, node.value)  # keeps the text written
            except (ValueError, yaml.YAMLError):
                return node.value
        if conv is False:
            return node.value
        return conv(node.value)

    def build(self, node):
        tag = node.tag
        if tag.startswith("!") and not tag.startswith("!!"):
            name = tag[1:]
            inner = self.plain(node)
            if name == "Ref":
                fn = "Ref"
            elif name == "GetAtt" and isinstance(inner, str):
                inner = YList(inner.split(".", 1))
                inner.pos, inner.ipos, inner.src = _mark(node), [_mark(node)] * len(inner), self.file
                fn = "Fn::GetAtt"
            elif name == "Condition":
                fn = "Condition"
            else:
                fn = f"Fn::{name}"
            out = YDict({fn: inner})
            out.src = self.file
            out.pos = _mark(node)
            out.kpos = {fn: _mark(node)}
            out.vpos = {fn: _mark(node)}
            return out
        return self.plain(node)

    def plain(self, node):
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        key = id(node)
        if key in self.done:
            return self.done[key]
        if key in self.open:
            self.fail(node, "this alias refers to a mapping or list that contains it",
                      "A recursive YAML alias has no finite value; GitHub, CodeBuild and CodeDeploy refuse it too.")
        self.open.add(key)
        out = self._collection(node)
        self.open.discard(key)
        self.done[key] = out
        return out

    def _collection(self, node):
        if isinstance(node, yaml.SequenceNode):
            out = YList(self.build(n) for n in node.value)
            out.pos = _mark(node)
            out.src = self.file
            out.ipos = [_mark(n) for n in node.value]
            return out
        # a mapping (merge keys flattened first)
        self.loader.flatten_mapping(node)
        out = YDict()
        out.pos = _mark(node)
        out.src = self.file
        out.kpos, out.vpos = {}, {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "a key must be a single value, not a list or a mapping",
                          "Write the key as plain text.")
            key = self.scalar(key_node)
            if isinstance(key, (int, float, bool)) or key is None:
                key = key_node.value
            if key in out and self.duplicates is not None:
                self.duplicates.append((key, _mark(key_node)))
            elif key in out:
                self.fail(key_node, f"the key '{key}' appears twice in this mapping",
                          "YAML keeps only one of them; remove or rename the other.")
            out[key] = self.build(value_node)
            out.kpos[key] = _mark(key_node)
            out.vpos[key] = _mark(value_node)
        return out


def load(text: str, file: str, *, _loader=_Loader, duplicates: list | None = None):
    """The YAML or JSON ``text`` as :class:`YDict`/:class:`YList`/scalars, or :class:`InputError`
    (E601) with the line and column where the parser stopped. With a ``duplicates`` list, a key
    written twice in a mapping is recorded there and the last one kept."""
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = _loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(Diagnostic("E602", ERROR, "the file is empty", None,
                                        help="Give a workflow, buildspec, appspec or CloudFormation template.",
                                        file=file))
        return _Builder(file, loader, duplicates).build(node)
    except yaml.MarkedYAMLError as exc:
        if "expected a single document" in (exc.context or "") + (exc.problem or ""):
            header = _with_header(text, file, _loader, duplicates)
            if header is not None:
                return header
        if "duplicate anchor" in (exc.context or "") + (exc.problem or "") and _loader is _Loader:
            loader.dispose()
            return load(text, file, _loader=_RedefiningLoader, duplicates=duplicates)
        mark = exc.problem_mark or exc.context_mark
        pos = (mark.line + 1, mark.column + 1) if mark else None
        lines = text.splitlines()
        if pos and lines and (pos[0] > len(lines) or not lines[pos[0] - 1].strip()):
            # the end of the input (or a blank line): point at the end of the last written line
            last = max((i for i, line in enumerate(lines[:pos[0]]) if line.strip()), default=0)
            pos = (last + 1, len(lines[last]) + 1)
        if text.lstrip().startswith(("{", "[")):
            return _load_json(text, file, exc)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise InputError(Diagnostic("E601", ERROR, f"not valid YAML: {what}", _span(pos),
                                    help="Fix the YAML syntax here (indentation, a missing ':' or quote); "
                                         "`python -c 'import yaml,sys; yaml.safe_load(open(sys.argv[1]))' FILE` "
                                         "shows the same error.", file=file)) from None
    except yaml.YAMLError as exc:
        raise InputError(Diagnostic("E601", ERROR, f"not valid YAML: {exc}", None,
                                    help="Fix the YAML syntax.", file=file)) from None
    finally:
        loader.dispose()


def _with_header(text: str, file: str, loader_class, duplicates):
    """A GitLab CI file with a header document (``spec:``, then ``---``, then the pipeline): the
    pipeline's data, with the header under its ``spec`` key; None for other multi-document files."""
    loader = loader_class(text)
    try:
        nodes = []
        while loader.check_node() and len(nodes) < 3:
            nodes.append(loader.get_node())
        if (len(nodes) != 2 or not isinstance(nodes[0], yaml.MappingNode)
                or [k.value for k, _ in nodes[0].value] != ["spec"] or not isinstance(nodes[1], yaml.MappingNode)):
            return None
        builder = _Builder(file, loader, duplicates)
        head, data = builder.build(nodes[0]), builder.build(nodes[1])
        if "spec" not in data:
            data["spec"] = head["spec"]
            data.kpos["spec"], data.vpos["spec"] = head.kpos["spec"], head.vpos["spec"]
        return data
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _load_json(text: str, file: str, yaml_exc):
    """JSON that YAML 1.1 rejects (tabs, for example): read it without positions."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(Diagnostic("E601", ERROR, f"not valid JSON: {exc.msg}",
                                    _span((exc.lineno, exc.colno)), help="Fix the JSON syntax here.",
                                    file=file)) from None

    def wrap(v):
        if isinstance(v, dict):
            out = YDict((k, wrap(x)) for k, x in v.items())
            out.pos, out.kpos, out.vpos, out.src = None, {}, {}, file
            return out
        if isinstance(v, list):
            out = YList(wrap(x) for x in v)
            out.pos, out.ipos, out.src = None, [None] * len(out), file
            return out
        return v

    return wrap(data)


def pos_of(container, key=None) -> tuple[int, int] | None:
    """Where ``container[key]`` (or ``container`` itself) was written, or None."""
    if key is None:
        return getattr(container, "pos", None)
    if isinstance(container, YDict):
        return container.kpos.get(key) or container.pos
    if isinstance(container, YList) and isinstance(key, int) and 0 <= key < len(container.ipos):
        return container.ipos[key]
    return getattr(container, "pos", None)


def scalar_text(value) -> str | None:
    """A YAML scalar as the text a workflow or GitLab CI file means by it: numbers as written
    (``3.10`` stays ``3.10``, :class:`YFloat`), a whole float without its text as an integer,
    booleans ``true``/``false``, null as ``""``; None for mappings and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and hasattr(value, "text"):
        return value.text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return None
