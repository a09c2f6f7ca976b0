"""Completion and semantic tokens for the language server.

Completion asks the grammar, not a hand-written list: the headers of the blocks around the cursor
(``pipeline p {``, ``stage s {``, ``deploy d to ecs {``) and the current line up to the word being
typed are run through pipec's own LALR parser (:func:`pipec.parser._parser`), and the terminals
the parser accepts where that text ends are what may come next: statement keywords valid in the
block, enumerated values (compute sizes, image kinds, providers, strategies, report formats,
secret stores). Only the headers are parsed, never the rest of the document, so a broken line
elsewhere does not matter. Where the grammar wants a NAME or a setting, the document and pipec's
tables say which: artifact and source names after ``from``, runtimes and their versions after
``runtime``, the settings
of :data:`pipec.semantic_tables.PLATFORM_SETTINGS` in ``aws { }`` and ``github { }`` blocks, and the
pipeline's variables after ``$`` in a string.
"""

from __future__ import annotations

import re

from pipec.lsp_index import Index

_WORD_TAIL = re.compile(r"[A-Za-z0-9_.\-%]*$")

#: versions offered after ``runtime NAME`` (suggestions only: the checker does not restrict them),
#: from CodeBuild's "Runtime versions" table of the Ubuntu and Amazon Linux platforms
#: (https://docs.aws.amazon.com/codebuild/latest/userguide/runtime-versions.html), its recent rows;
#: not every image has every version
RUNTIME_VERSIONS = {
    "android": ("28", "29"),
    "dotnet": ("6.0", "8.0", "10.0"),
    "golang": ("1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26"),
    "java": ("corretto8", "corretto11", "corretto17", "corretto21", "corretto25"),
    "nodejs": ("18", "20", "22", "24"),
    "php": ("8.1", "8.2", "8.3"),
    "python": ("3.10", "3.11", "3.12"),
    "ruby": ("3.1", "3.2", "3.3"),
}


def expected_terminals(prefix: str) -> set[str]:
    """The terminals the parser accepts at the end of ``prefix`` (a partial document)."""
    from pipec.grammar.pipe_parser import UnexpectedInput, UnexpectedToken  # the generated parser's own

    from pipec.lexer import BadCharacter, GluedWord
    from pipec.parser import _parser

    lark, post = _parser()
    post.reset()
    try:
        lark.parse(prefix)
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            return set(exc.expected)
        return set()
    except BadCharacter as exc:
        return set(exc.allowed) if exc.pos_in_stream >= len(prefix.rstrip()) else set()
    except (UnexpectedInput, GluedWord):
        return set()
    finally:
        post.reset()
    return set()


def _keyword_of_terminal() -> dict[str, str]:
    from pipec.parser import _parser

    lark, _ = _parser()
    return {t.name: t.pattern.value for t in lark.terminals
            if t.pattern.type == "str" and re.fullmatch(r"[a-z0-9][a-z0-9_\-]*", t.pattern.value)}


def _setting_place(chain) -> tuple[str, str] | None:
    if not chain or chain[-1].keyword not in ("aws", "github"):
        return None
    parent = chain[-2] if len(chain) > 1 else None
    if parent is None:
        return None
    where = parent.keyword if parent.role != "pipeline" else "pipeline"
    where = {"test": "build"}.get(where, where)
    return where, chain[-1].keyword


def complete(index: Index, line: int, col: int) -> list[tuple[str, str, str]]:
    """(label, kind, detail) of each completion at a position; kind is keyword, value, name,
    setting or variable."""
    from pipec.semantic_tables import PLATFORM_SETTINGS, RUNTIMES

    text = index.lines[line] if line < len(index.lines) else ""
    before = text[:col]
    word = _WORD_TAIL.search(before).group()
    cut = before[:len(before) - len(word)]
    if cut.count('"') % 2 == 1:  # inside a string: the pipeline's variables after '$'
        if cut.endswith("$") or cut.endswith("${"):
            return [(n.name, "variable", "pipeline variable") for n in index.defined("variable")]
        return []
    if "#" in cut:
        return []
    chain = index.enclosing(line, col)
    header = "".join(" ".join(t.value for t in b.header) + " {\n" for b in chain)
    expected = expected_terminals(header + cut)
    words = _keyword_of_terminal()
    out: list[tuple[str, str, str]] = []
    statement_start = cut.strip() == ""
    for term in sorted(expected):
        if term in words:
            out.append((words[term], "keyword" if statement_start else "value", ""))
    first = cut.split()[0] if cut.split() else ""
    last = cut.split()[-1] if cut.split() else ""
    if "NAME" in expected:
        if first == "from":
            seen = set()
            for n in index.names:
                if n.definition and n.key[0] == "artifact" and n.name not in seen:
                    seen.add(n.name)
                    out.append((n.name, "name", f"{n.kind} (line {n.line + 1})"))
        elif last == "runtime":
            out += [(r, "value", "runtime") for r in RUNTIMES]
        elif first == "use" and len(cut.split()) <= 2:  # the file's own templates (the server adds its libraries')
            out += [(n.name, "name", f"template (line {n.line + 1})") for n in index.names
                    if n.definition and n.kind == "template"]
    words_before = cut.split()
    if "VALUE" in expected and len(words_before) == 2 and words_before[0] == "runtime":
        out += [(v, "value", f"{words_before[1]} version") for v in RUNTIME_VERSIONS.get(words_before[1], ())]
    if "SETTING_KEY" in expected and statement_start:
        place = _setting_place(chain)
        if place:
            for key, (_low, _high, description) in PLATFORM_SETTINGS.get(place, {}).items():
                out.append((key, "setting", description))
    seen_labels: set[str] = set()
    unique = []
    for item in out:
        if item[0] not in seen_labels and item[0].startswith(word[:0]):
            seen_labels.add(item[0])
            unique.append(item)
    return unique


# ----------------------------------------------------------------------------- semantic tokens

TOKEN_TYPES = ["keyword", "string", "comment", "number", "namespace", "function", "variable",
               "property", "enumMember", "class"]
_NAME_TYPE = {"pipeline": "class", "source": "namespace", "stage": "namespace", "action": "function",
              "artifact": "variable", "variable": "variable"}
_NUMBERISH = re.compile(r"[0-9]+[smhd%]?")


def semantic_tokens(index: Index) -> list[tuple[int, int, int, str]]:
    """(line, column, length, type) of each token worth colouring, in document order; a token
    over several lines (a script) is given line by line."""
    names = {(n.line, n.col): n for n in index.names}
    out: list[tuple[int, int, int, str]] = []
    from pipec.parser import keywords

    kw = keywords()
    statement_start = True
    for tok in index.tokens:
        if tok.kind == "NL" or (tok.kind == "PUNCT" and tok.value in "{}"):
            statement_start = True
            continue
        kind = None
        if tok.kind == "COMMENT":
            kind = "comment"
        elif tok.kind in ("STRING", "SCRIPT"):
            kind = "string"
        elif tok.kind == "WORD":
            n = names.get((tok.line, tok.col))
            if n is not None and n.name == tok.value:
                kind = _NAME_TYPE[n.kind]
            elif statement_start and tok.value in kw:
                kind = "keyword"
            elif statement_start:
                kind = "property"
            elif _NUMBERISH.fullmatch(tok.value):
                kind = "number"
            elif tok.value in kw:
                kind = "enumMember"
        if tok.kind != "COMMENT":
            statement_start = False
        if kind is None:
            continue
        if "\n" in tok.value:
            line, col = tok.line, tok.col
            for part in tok.value.split("\n"):
                if part:
                    out.append((line, col, len(part), kind))
                line, col = line + 1, 0
        else:
            out.append((tok.line, tok.col, len(tok.value), kind))
    return out
