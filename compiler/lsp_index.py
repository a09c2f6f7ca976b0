"""What the language server knows of a document's text, valid or not: its words, its blocks, and
the names it defines and uses.

The index is lexical, so that a half-typed document still has an outline, folding ranges and
working go-to-definition: the text is split with the lexer's own pattern (:data:`pipec.lexer._MASTER`,
so strings, scripts and comments are cut exactly as the parser cuts them), lines and braces give
the blocks, and the first words of a block's header say what it is. Names:

- a source, a stage, an action (``build``/``test``/``deploy``/``approve``/``invoke`` directly in a
  stage or a ``parallel`` block), an artifact (``artifact NAME`` in a build, test or invoke) and a
  pipeline ``variable`` are definitions;
- ``from NAME...`` uses artifacts (a source's name is the artifact of its files, so it resolves to
  the source); ``$NAME`` and ``${NAME}`` in strings and values use variables.

Positions are 0-based lines and code-point columns; the server converts columns to the client's
encoding (:mod:`pipec.lsp_server`). Nothing here imports pygls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipec.lexer import _MASTER

ACTION_KINDS = ("build", "test", "deploy", "approve", "invoke")
#: the namespace each kind of definition lives in (a source's name is an artifact's name)
NAMESPACE = {"source": "artifact", "artifact": "artifact", "stage": "stage", "action": "action",
             "variable": "variable", "pipeline": "pipeline", "template": "template"}
_VAR_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


@dataclass
class Tok:
    kind: str  # NL, COMMENT, SCRIPT, STRING, WORD, PUNCT
    value: str
    line: int
    col: int
    offset: int

    @property
    def end_col(self) -> int:
        """The column after the token (on its last line, for a script)."""
        if "\n" in self.value:
            return len(self.value) - self.value.rfind("\n") - 1
        return self.col + len(self.value)

    @property
    def end_line(self) -> int:
        return self.line + self.value.count("\n")


@dataclass
class Name:
    """One occurrence of a name: where it is, what kind of thing it names, whether it defines it."""

    kind: str  # source, stage, action, artifact, variable, pipeline, template
    name: str
    line: int
    col: int
    definition: bool

    @property
    def key(self) -> tuple[str, str]:
        return NAMESPACE[self.kind], self.name

    @property
    def end_col(self) -> int:
        return self.col + len(self.name)


@dataclass
class Block:
    """A braced block: its header's words, where it opens and closes, what it holds."""

    header: list[Tok]
    line: int
    end_line: int
    parent: "Block | None" = None
    children: list["Block"] = field(default_factory=list)
    statements: list[list[Tok]] = field(default_factory=list)
    name_tok: Tok | None = None

    @property
    def keyword(self) -> str:
        return self.header[0].value if self.header else ""

    @property
    def role(self) -> str:
        """What the block is: pipeline, source, stage, parallel, action, phase, aws, github."""
        kw = self.keyword
        parent = self.parent.role if self.parent else None
        if kw in ACTION_KINDS and parent in ("stage", "parallel", "template"):
            return "action"
        if kw in ("install", "pre_build", "build", "post_build") and parent == "action":
            return "phase"
        return kw

    @property
    def deploy_platform(self) -> str | None:
        words = [t.value for t in self.header]
        if self.keyword == "deploy" and "to" in words[1:]:
            i = words.index("to", 1)
            return words[i + 1] if i + 1 < len(words) else None
        return None

    def contains(self, line: int) -> bool:
        return self.line <= line <= self.end_line


def tokenize(text: str) -> list[Tok]:
    """Every token of ``text`` but blanks; a character no token starts with is stepped over, an
    unclosed script runs to the end of the text."""
    toks: list[Tok] = []
    pos, line, col, length = 0, 0, 0, len(text)
    while pos < length:
        m = _MASTER.match(text, pos)
        if m is None:
            kind, value = "OTHER", text[pos]
        else:
            kind, value = m.lastgroup, m.group()
            if kind == "OPEN_SCRIPT":
                kind, value = "SCRIPT", text[pos:]
        if kind != "WS":
            toks.append(Tok(kind, value, line, col, pos))
        nl = value.count("\n")
        if nl:
            line += nl
            col = len(value) - value.rfind("\n") - 1
        else:
            col += len(value)
        pos += len(value)
    return toks


class Index:
    """The blocks and names of one text."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self.tokens = tokenize(text)
        self.root = Block([], 0, max(0, len(self.lines) - 1))
        self.blocks: list[Block] = []
        self.names: list[Name] = []
        self.statements: list[tuple[Block, list[Tok]]] = []
        self._build()

    # -- building
    def _build(self) -> None:
        block = self.root
        stmt: list[Tok] = []
        for tok in self.tokens:
            if tok.kind == "COMMENT":
                continue
            if tok.kind == "NL":
                self._statement(block, stmt)
                stmt = []
            elif tok.kind == "PUNCT" and tok.value == "{":
                child = Block(stmt, stmt[0].line if stmt else tok.line, len(self.lines) - 1, block)
                block.children.append(child)
                self.blocks.append(child)
                self._header(child)
                block, stmt = child, []
            elif tok.kind == "PUNCT" and tok.value == "}":
                self._statement(block, stmt)
                stmt = []
                if block.parent is not None:
                    block.end_line = tok.line
                    block = block.parent
            else:
                stmt.append(tok)
        self._statement(block, stmt)

    def _header(self, block: Block) -> None:
        words = block.header
        role = block.role
        if len(words) < 2 or words[1].kind != "WORD":
            return
        if role == "template" and len(words) >= 3 and words[2].kind == "WORD":  # template stage NAME {
            block.name_tok = words[2]
            self.names.append(Name("template", words[2].value, words[2].line, words[2].col, True))
            return
        if role == "use":  # use NAME { ARG = VALUE ... }
            self.names.append(Name("template", words[1].value, words[1].line, words[1].col, False))
            return
        kind = {"pipeline": "pipeline", "source": "source", "stage": "stage", "action": "action"}.get(role)
        if kind:
            block.name_tok = words[1]
            self.names.append(Name(kind, words[1].value, words[1].line, words[1].col, True))
        self._uses(block.header)

    def _statement(self, block: Block, stmt: list[Tok]) -> None:
        if not stmt:
            return
        block.statements.append(stmt)
        self.statements.append((block, stmt))
        first = stmt[0].value
        role = block.role
        if len(stmt) >= 2 and stmt[1].kind == "WORD":
            if first == "source" and role in ("pipeline", "stage", "parallel"):
                self.names.append(Name("source", stmt[1].value, stmt[1].line, stmt[1].col, True))
            elif first == "artifact" and role == "action" and block.keyword in ("build", "test", "invoke"):
                self.names.append(Name("artifact", stmt[1].value, stmt[1].line, stmt[1].col, True))
            elif first == "variable" and role == "pipeline":
                self.names.append(Name("variable", stmt[1].value, stmt[1].line, stmt[1].col, True))
            elif first == "use" and len(stmt) == 2:  # use NAME, without arguments
                self.names.append(Name("template", stmt[1].value, stmt[1].line, stmt[1].col, False))
        self._uses(stmt)

    def _uses(self, stmt: list[Tok]) -> None:
        if stmt[0].value == "from":
            for tok in stmt[1:]:
                if tok.kind == "WORD":
                    self.names.append(Name("artifact", tok.value, tok.line, tok.col, False))
        for tok in stmt:
            if tok.kind in ("STRING", "SCRIPT", "WORD") and "$" in tok.value:
                for m in _VAR_REF.finditer(tok.value):
                    line, col = _position_in(tok, m.start(1))
                    self.names.append(Name("variable", m.group(1), line, col, False))

    # -- queries
    def name_at(self, line: int, col: int) -> Name | None:
        for n in self.names:
            if n.line == line and n.col <= col <= n.end_col:
                return n
        return None

    def occurrences(self, key: tuple[str, str]) -> list[Name]:
        """Every occurrence of the name ``key``; uses of variables only when the pipeline defines
        one of that name (``$HOME`` is the shell's)."""
        found = [n for n in self.names if n.key == key]
        if key[0] == "variable" and not any(n.definition for n in found):
            return []
        return found

    def definition(self, key: tuple[str, str]) -> Name | None:
        return next((n for n in self.names if n.key == key and n.definition), None)

    def used_files(self) -> list[str]:
        """The paths of the file's ``use "PATH"`` lines (its libraries of templates), as written."""
        from pipec.transformer import unescape

        return [unescape(stmt[1].value[1:-1]) for block, stmt in self.statements
                if block is self.root and len(stmt) == 2 and stmt[0].value == "use" and stmt[1].kind == "STRING"]

    def defined(self, namespace: str) -> list[Name]:
        return [n for n in self.names if n.definition and n.key[0] == namespace]

    def enclosing(self, line: int, col: int) -> list[Block]:
        """The blocks around a position, outermost first."""
        chain: list[Block] = []
        block = self.root
        while True:
            inner = next((b for b in block.children if self._inside(b, line, col)), None)
            if inner is None:
                return chain
            chain.append(inner)
            block = inner

    def _inside(self, b: Block, line: int, col: int) -> bool:
        if line < b.line or line > b.end_line:
            return False
        if line == b.line:  # after the opening brace only
            brace = next((t for t in self.tokens if t.line == b.line and t.kind == "PUNCT" and t.value == "{"
                          and t.offset >= (b.header[-1].offset if b.header else 0)), None)
            return brace is not None and col > brace.col
        if line == b.end_line and b.parent is not None:
            closing = self._closing(b)
            return closing is None or col <= closing.col
        return True

    def _closing(self, b: Block) -> Tok | None:
        for t in self.tokens:
            if t.line == b.end_line and t.kind == "PUNCT" and t.value == "}":
                return t
        return None

    def token_at(self, line: int, col: int) -> Tok | None:
        for t in self.tokens:
            if t.line <= line <= t.end_line and t.kind not in ("NL",):
                if t.line == line == t.end_line and t.col <= col <= t.end_col:
                    return t
                if t.line < line < t.end_line or (t.line == line < t.end_line and col >= t.col) or (
                        t.line < line == t.end_line and col <= t.end_col):
                    return t
        return None

    def statement_at(self, line: int) -> tuple[Block | None, list[Tok]]:
        for block, stmt in self.statements:
            if stmt[0].line == line:
                return block, stmt
        return None, []


def _position_in(tok: Tok, index: int) -> tuple[int, int]:
    """The (line, column) of the ``index``-th character of ``tok``."""
    before = tok.value[:index]
    nl = before.count("\n")
    if nl:
        return tok.line + nl, len(before) - before.rfind("\n") - 1
    return tok.line, tok.col + index


# ----------------------------------------------------------------------------- outline and folding

SYMBOL_KINDS = ("pipeline", "source", "stage", "parallel", "action", "artifact", "variable", "template")


@dataclass
class Symbol:
    kind: str
    name: str
    detail: str
    line: int
    end_line: int
    name_line: int
    name_col: int
    children: list["Symbol"] = field(default_factory=list)


def outline(index: Index) -> list[Symbol]:
    """The document's outline: the templates and the pipeline, its variables, sources, stages
    (and ``parallel`` groups), their actions and the artifacts each produces."""

    def walk(block: Block) -> list[Symbol]:
        out: list[Symbol] = []
        for stmt in block.statements:
            first = stmt[0].value
            if len(stmt) >= 2 and stmt[1].kind == "WORD" and (
                    (first == "variable" and block.role == "pipeline")
                    or (first == "source" and block.role in ("pipeline", "stage", "parallel"))
                    or (first == "artifact" and block.role == "action")):
                kind = {"variable": "variable", "source": "source", "artifact": "artifact"}[first]
                detail = " ".join(t.value for t in stmt[2:4])
                out.append(Symbol(kind, stmt[1].value, detail, stmt[0].line, stmt[-1].end_line,
                                  stmt[1].line, stmt[1].col))
        for child in block.children:
            role = child.role
            if role in ("pipeline", "source", "stage", "action", "template") and child.name_tok is not None:
                detail = child.keyword if role == "action" else ""
                if role == "template":
                    detail = f"{child.header[1].value} template"
                if child.deploy_platform:
                    detail = f"deploy to {child.deploy_platform}"
                sym = Symbol(role, child.name_tok.value, detail, child.line, child.end_line,
                             child.name_tok.line, child.name_tok.col, walk(child))
                out.append(sym)
            elif role == "parallel":
                out.append(Symbol("parallel", "parallel", "", child.line, child.end_line,
                                  child.header[0].line, child.header[0].col, walk(child)))
        out.sort(key=lambda s: (s.line, s.name_col))
        return out

    return walk(index.root)


def folding(index: Index) -> list[tuple[int, int, str]]:
    """(first line, last line, kind) of each block, multi-line script and run of comment lines."""
    out = [(b.line, b.end_line, "region") for b in index.blocks if b.end_line > b.line]
    out += [(t.line, t.end_line, "region") for t in index.tokens if t.kind == "SCRIPT" and t.end_line > t.line]
    comment_lines = sorted({t.line for t in index.tokens if t.kind == "COMMENT"
                            and index.lines[t.line][:t.col].strip() == ""})
    start = prev = None
    for line in comment_lines + [None]:
        if line is not None and prev is not None and line == prev + 1:
            prev = line
            continue
        if start is not None and prev > start:
            out.append((start, prev, "comment"))
        start = prev = line
    return sorted(set(out))
