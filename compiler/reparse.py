"""Re-parsing an edited document one block of the pipeline at a time (the language server's parse).

A keystroke changes one stage of a large pipeline; parsing the whole file again took more than
half of a re-check of 2,500 actions (bench/lsp.py). :class:`Reparser` keeps, for one document, the
syntax trees of the blocks of its pipeline's body (each ``source``, ``stage``, setting line, ``aws
{ }`` block... with the comment and blank lines before it: a *chunk*, cut after each line where
the body's nesting depth comes back to the body's own) and parses only the chunks whose text
changed:

1. :func:`chunks` finds the pipeline's body and cuts it, with a scan of strings, scripts, comments
   and braces that tokenises them as :mod:`pipec.lexer` does; anything it is not sure of (no
   pipeline, a brace that shares a line with what follows, a byte order mark) gives no chunks, and
   the whole text is parsed as ``pipec check`` parses it.
2. Each chunk whose text is new is parsed *in place*: in a copy of the document where every other
   chunk is blanked (spaces and its line feeds, so each character keeps its offset, line and
   column). Every chunk starts where the body's parser is after a line feed (the grammar's
   ``(_pipeline_item _NL+)*``), so the text's tokens, parser states and trees are those of the
   whole document; spans need no correction.
3. A chunk whose text is unchanged reuses its items, their spans shifted by the lines and
   characters inserted or removed before it (columns do not move: a chunk starts a line);
   :meth:`Reparser.origin` tells what a moved item was moved from, and by how much.
4. The pipeline is the items of every chunk in order, with the name and span of the fresh parse;
   the comments are those of the header, of each chunk and of the tail.

Any syntax error comes from parsing the whole text (so its message, with the enclosing block, is
``pipec check``'s); so does a text with no chunks. The cache holds the chunks of the last text
parsed in chunks, no others: while a text does not parse, the last good one's stay.
tests/test_reparse.py replays random edits and compares with :func:`pipec.parser.parse` after each.
"""

from __future__ import annotations

import re

from pipec import ast
from pipec.diagnostics import Diagnostics, Span
from pipec.node import slot_setter

#: what can hide a brace from the scan, as :data:`pipec.lexer._MASTER` reads it: scripts, strings
#: and comments; and the braces and line feeds themselves
_SCAN = re.compile(r'"""[^"]*(?:"(?!"")[^"]*)*+"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*+"|#[^\n]*|[{}]')
#: what may follow a block's closing brace on its line for the chunk to end there
_LINE_REST = re.compile(r"[\t ]*(?:#[^\n]*)?\r?\n")
_PIPELINE_LINE = re.compile(r"[\t ]*pipeline[\t ]")


class _NoChunks(Exception):
    """The text cannot be cut safely: parse all of it."""


def chunks(text: str) -> tuple[int, list[tuple[int, int]], int] | None:
    """(start of the pipeline's body, [(start, end) of each chunk], start of the tail), offsets
    into ``text``: the body runs from the line after ``pipeline NAME {`` to the line of its
    closing brace (the tail), and each chunk ends with a line feed. None when unsure."""
    if text.startswith("\ufeff"):
        return None
    depth = 0
    body = cut = -1
    out: list[tuple[int, int]] = []
    for m in _SCAN.finditer(text):
        ch = m.group()
        if ch == "{":
            if depth == 0 and body < 0 and _PIPELINE_LINE.match(text, text.rfind("\n", 0, m.start()) + 1):
                rest = _LINE_REST.match(text, m.end())
                if rest is None:
                    return None
                body = cut = rest.end()
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return None
            if body < 0 or m.start() < body:
                continue
            if depth == 1:
                rest = _LINE_REST.match(text, m.end())
                if rest is None:
                    return None
                out.append((cut, rest.end()))
                cut = rest.end()
            elif depth == 0:  # the pipeline's own brace, alone on its line
                line_start = text.rfind("\n", 0, m.start()) + 1
                if text[line_start:m.start()].strip(" \t") or line_start < cut:
                    return None
                if line_start > cut:
                    out.append((cut, line_start))
                return body, out, line_start
    return None


def _blank(text: str) -> str:
    """Spaces and the line feeds of ``text``: the same length and lines, no tokens but one newline."""
    n = text.count("\n")
    return " " * (len(text) - n) + "\n" * n


class _Shift:
    """Moves the spans of a subtree by ``lines`` and ``chars`` (offsets); columns stay. A copy of
    each node is made field by field (every field of a node class is a slot), by a function
    compiled once per class (:func:`_mover`): typing a character moves every later block, tens of
    thousands of nodes in a large pipeline."""

    def __init__(self, lines: int, chars: int):
        self.lines, self.chars = lines, chars

    def span(self, s: Span) -> Span:
        if s.file is not None or s.origin or s.args:
            raise _NoChunks  # not a parser's span: never cached, but be safe
        d, c = self.lines, self.chars
        return Span(s.line + d, s.column, s.end_line + d, s.end_column, s.start_pos + c, s.end_pos + c)

    def value(self, v):
        t = type(v)
        if t in _PLAIN:
            return v
        if t is Span:
            return self.span(v)
        if t is tuple:
            return tuple([x if type(x) in _PLAIN else self.value(x) for x in v])
        if isinstance(v, ast.Node):
            move = _MOVERS.get(t) or _mover(t)
            return move(v, self.value)
        if isinstance(v, (str, int, float)):
            return v
        raise _NoChunks


#: the types a field's value is kept as it is without a look
_PLAIN = frozenset({str, int, bool, type(None)})
#: each node class's copier (:func:`_mover`)
_MOVERS: dict[type, object] = {}


def _mover(cls):
    """``move(node, value)``: a copy of ``node`` with each field's value ``value(v)``, or ``v``
    itself for a plain value (:data:`_PLAIN`), compiled for the fields of ``cls`` (its slots and its
    bases')."""
    names = tuple(s for k in cls.__mro__ for s in getattr(k, "__slots__", ()) if not s.startswith("__"))
    lines = ["def move(n, value):", "    o = _new(_cls)"]
    scope = {"_new": object.__new__, "_put": object.__setattr__, "_cls": cls, "_plain": _PLAIN}
    for i, name in enumerate(names):
        setter = slot_setter(cls, name)
        scope[f"_set{i}"] = setter
        put = f"_set{i}(o, " if setter is not None else f"_put(o, {name!r}, "
        lines += [f"    v = n.{name}", f"    {put}v if v.__class__ in _plain else value(v))"]
    lines.append("    return o")
    exec(compile("\n".join(lines) + "\n", f"<pipec.reparse mover of {cls.__qualname__}>", "exec"), scope)
    _MOVERS[cls] = scope["move"]
    return scope["move"]


class _Chunk:
    """A chunk's text where it was parsed (offset and 1-based line), its items and comments."""

    __slots__ = ("text", "pos", "line", "items", "comments")

    def __init__(self, text: str, pos: int, line: int, items: tuple, comments: tuple):
        self.text, self.pos, self.line, self.items, self.comments = text, pos, line, items, comments

    def moved(self, pos: int, line: int, origins: dict) -> "_Chunk":
        """This chunk at ``pos`` and ``line``; each item made for it is filed in ``origins`` (its
        id -> (the item, the item it was moved from, the :class:`_Shift`))."""
        if pos == self.pos and line == self.line:
            return self
        shift = _Shift(line - self.line, pos - self.pos)
        comments = tuple(ast.Comment(c.text, c.line + shift.lines, c.column) for c in self.comments)
        items = shift.value(self.items)
        for new, old in zip(items, self.items):
            origins[id(new)] = (new, old, shift)
        return _Chunk(self.text, pos, line, items, comments)


class Reparser:
    """The parse of one document's successive texts (see the module). ``reused`` and ``parsed``
    count the chunks of the last :meth:`parse` (for tests and measurements)."""

    def __init__(self):
        self._cache: dict[str, _Chunk] = {}
        self._origins: dict[int, tuple] = {}  # see _Chunk.moved: the last parse's moved items
        self.reused = self.parsed = 0

    def origin(self, item) -> tuple | None:
        """(the statement ``item`` of the last parse was moved from, the :class:`_Shift` that
        moved it: its ``span``) when ``item`` is a statement of a block whose text did not change
        but whose place did; else None. What was found in the old statement, moved by the shift,
        is what would be found in the new one (:class:`pipec.secretscan.Kept`)."""
        hit = self._origins.get(id(item))
        return (hit[1], hit[2]) if hit is not None and hit[0] is item else None

    def parse(self, text: str, filename: str = "<input>") -> ast.Module:
        """What :func:`pipec.parser.parse` returns for ``text``; raises the same diagnostics."""
        from pipec.parser import parse

        self.reused = self.parsed = 0
        self._origins = {}
        cut = chunks(text)
        if cut is not None:
            try:
                return self._parse(text, filename, *cut)
            except (_NoChunks, Diagnostics):  # the cache keeps the last good text's chunks
                pass
        return parse(text, filename)

    def _parse(self, text: str, filename: str, body: int, spans: list[tuple[int, int]], tail: int) -> ast.Module:
        from pipec.parser import parse

        line = text.count("\n", 0, body) + 1
        placed: list[tuple[int, int, int, str]] = []  # (start, end, line, text)
        for start, end in spans:
            placed.append((start, end, line, text[start:end]))
            line += placed[-1][3].count("\n")
        dirty = [p for p in placed if p[3] not in self._cache]
        # the header and tail with the new chunks in place; the others blank
        parts, at = [text[:body]], body
        for start, end, _line, chunk in dirty:
            parts += [_blank(text[at:start]), chunk]
            at = end
        parts += [_blank(text[at:tail]), text[tail:]]
        fresh = parse("".join(parts), filename)
        if fresh.pipeline is None:
            raise _NoChunks
        found = self._attribute(fresh, dirty)
        cache: dict[str, _Chunk] = {}
        origins: dict[int, tuple] = {}
        items: list = []
        comments = [c for c in fresh.comments if c.line < placed[0][2]] if placed else list(fresh.comments)
        for start, _end, line, chunk in placed:
            got = found.get(start) or self._cache[chunk].moved(start, line, origins)
            cache[chunk] = got
            items += got.items
            comments += got.comments
        last = placed[-1][2] + placed[-1][3].count("\n") if placed else 0
        comments += [c for c in fresh.comments if c.line >= last] if placed else []
        self._cache, self._origins = cache, origins
        self.parsed, self.reused = len(found), len(placed) - len(found)
        p = fresh.pipeline
        pipeline = ast.Pipeline(p.name, tuple(items), span=p.span)
        return ast.Module(pipeline=pipeline, uses=fresh.uses, templates=fresh.templates,
                          comments=tuple(comments), filename=fresh.filename, source=text)

    @staticmethod
    def _attribute(fresh: ast.Module, dirty) -> dict[int, _Chunk]:
        """The freshly parsed chunks by start offset: each item and comment goes to the chunk its
        first character is in."""
        out = {start: _Chunk(chunk, start, line, (), ()) for start, _end, line, chunk in dirty}
        bounds = [(start, end, line, line + chunk.count("\n")) for start, end, line, chunk in dirty]
        for item in fresh.pipeline.body:
            s = item.span
            hit = next((b for b in bounds if s is not None and b[0] <= s.start_pos < b[1]), None)
            if hit is None:
                raise _NoChunks
            out[hit[0]].items += (item,)
        for c in fresh.comments:
            hit = next((b for b in bounds if b[2] <= c.line < b[3]), None)
            if hit is not None:
                out[hit[0]].comments += (c,)
        return out
