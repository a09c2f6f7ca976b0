"""The parser boundary: text in, :class:`pipec.ast.Module` out, or :class:`Diagnostics`.

The grammar (``grammar/pipe.lark``) is analysed into LALR tables when it changes, not when pipec
starts: ``python -m pipec.grammar.regen`` runs lark's standalone generator, whose output
(``grammar/pipe_parser.py``: lark's runtime and the tables) is checked in. The parser is loaded
from it once per process, driven by :class:`pipec.lexer.PipeLexer`, which types each word by what
the parser accepts at that point (keywords are keywords only where the grammar expects them). Lark's exceptions never leave this module: they are translated into coded
diagnostics that name what was expected in words, with a did-you-mean when a keyword is misspelt.
"""

from __future__ import annotations

import functools
import os
import re

from pipec.grammar import pipe_parser
from pipec.grammar.pipe_parser import (
    ChildFilterLALR,
    ChildFilterLALR_NoPlaceholders,
    Lark,
    Meta,
    PropagatePositions,
    Token,
    Tree,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from pipec import ast
from pipec.diagnostics import ERROR, Diagnostic, Diagnostics, Span, did_you_mean, shorten, source_lines
from pipec.lexer import BadCharacter, GluedWord, PipeLexer


class _PostLex:
    """Watches the token stream: remembers the open blocks and the current statement so that
    syntax errors can say where they happened, and collects comments."""

    always_accept = ()

    def __init__(self):
        self.reset()

    def reset(self):
        self.blocks: list[str] = []
        self.block_lines: list[int] = []
        self.statement: list[Token] = []
        self.comments: list[Token] = []

    def process(self, stream):
        at_start = True
        for tok in stream:
            if tok.type == "_NL":
                at_start = True
                self.statement = []
            else:
                if at_start:
                    self.statement = []
                    at_start = False
                self.statement.append(tok)
                if tok.type == "LBRACE":
                    self.blocks.append(" ".join(t.value for t in self.statement[:-1]))
                    self.block_lines.append(self.statement[0].line)
                    at_start = True
                elif tok.type == "RBRACE" and self.blocks:
                    self.blocks.pop()
                    self.block_lines.pop()
                    at_start = True
            yield tok


def _grammar_text() -> str:
    import pipec.grammar

    path = os.path.join(os.path.dirname(pipec.grammar.__file__), "pipe.lark")
    with open(path, encoding="utf-8") as fh:
        return fh.read()


@functools.lru_cache(maxsize=1)
def _parser() -> tuple[Lark, _PostLex]:
    """The parser (:func:`_load`), its reductions made by :class:`_Reduction`."""
    lark, post = _load()
    callbacks = lark.parser.parser.parser.callbacks
    for rule, chain in callbacks.items():
        callbacks[rule] = _Reduction.of(chain) or chain
    return lark, post


def _load() -> tuple[Lark, _PostLex]:
    """The parser, loaded from the tables in ``grammar/pipe_parser.py`` the way lark loads its
    own cache or a standalone parser (``Lark._load_from_dict``), with pipec's lexer in place of
    the ``basic`` one the tables were generated with (it is named in two places of the data)."""
    post = _PostLex()
    data = dict(pipe_parser.DATA)
    data["options"] = {**data["options"], "lexer": PipeLexer}
    data["parser"] = {**data["parser"], "lexer_conf": {**data["parser"]["lexer_conf"], "lexer_type": PipeLexer}}
    lark = Lark._load_from_dict(
        data,
        pipe_parser.MEMO,
        propagate_positions=True,
        postlex=post,
        lexer_callbacks={"COMMENT": lambda tok: post.comments.append(tok)},
    )
    return lark, post


class _Reduction:
    """What lark calls to reduce one rule, in one call: ``PropagatePositions`` around an optional
    child filter around ``partial(Tree, name)``, the chain lark's ``ParseTreeBuilder`` makes for
    every rule of this grammar (issue 18). Each step does what lark's does, in the same order:
    the same children kept, expanded or filled with None (a filter may take over an expanded
    child's list, as lark's does), the same Tree, and the same positions on its meta, from the
    first and last child that has some (lark's own ``_pp_get_meta``). It is only faster: 80,000
    reductions for 2,500 actions, each four Python calls in lark's chain
    (tests/test_parse_tree.py compares the trees and every meta)."""

    __slots__ = ("name", "keep", "append_none", "first_with_positions")

    @classmethod
    def of(cls, chain) -> "_Reduction | None":
        """The reduction doing what ``chain`` does; None for a chain of another shape (kept as is)."""
        if type(chain) is not PropagatePositions or chain.node_filter is not None:
            return None
        step, keep, append_none = chain.node_builder, None, 0
        if type(step) is ChildFilterLALR_NoPlaceholders:  # ChildFilterLALR, adding no None
            step, keep = step.node_builder, [(i, to_expand, 0) for i, to_expand in step.to_include]
        elif type(step) is ChildFilterLALR:
            step, keep, append_none = step.node_builder, step.to_include, step.append_none
        if not (isinstance(step, functools.partial) and step.func is Tree and len(step.args) == 1
                and not step.keywords):
            return None
        made = cls()
        made.name, made.keep, made.append_none = step.args[0], keep, append_none
        made.first_with_positions = chain._pp_get_meta
        return made

    def __call__(self, children):
        keep = self.keep
        if keep is None:
            filtered = children
        else:  # ChildFilterLALR.__call__
            filtered = []
            for i, to_expand, add_none in keep:
                if add_none:
                    filtered += [None] * add_none
                if to_expand:
                    if filtered:
                        filtered += children[i].children
                    else:
                        filtered = children[i].children
                else:
                    filtered.append(children[i])
            if self.append_none:
                filtered += [None] * self.append_none
        meta = Meta()
        res = Tree(self.name, filtered, meta)
        first = self.first_with_positions(children)
        if first is not None:  # a new tree: lark's "not hasattr(res_meta, 'line')" holds
            meta.line = line = getattr(first, "container_line", first.line)
            meta.column = column = getattr(first, "container_column", first.column)
            meta.start_pos = start_pos = getattr(first, "container_start_pos", first.start_pos)
            meta.empty = False
            meta.container_line, meta.container_column, meta.container_start_pos = line, column, start_pos
        last = self.first_with_positions(reversed(children))
        if last is not None:
            meta.end_line = end_line = getattr(last, "container_end_line", last.end_line)
            meta.end_column = end_column = getattr(last, "container_end_column", last.end_column)
            meta.end_pos = end_pos = getattr(last, "container_end_pos", last.end_pos)
            meta.empty = False
            meta.container_end_line, meta.container_end_column, meta.container_end_pos = end_line, end_column, end_pos
        return res


@functools.lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Every word the grammar uses as a keyword or enumerated value, anywhere."""
    text = "\n".join(line for line in _grammar_text().splitlines() if not line.lstrip().startswith("//"))
    return frozenset(re.findall(r'"([a-z0-9][a-z0-9_\-]*)"', text))


# ----------------------------------------------------------------------------- error translation

_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a quoted string",
    "SCRIPT": 'a """script"""',
    "NUMBER": "a number",
    "DURATION": "a duration such as 5m",
    "PERCENT": "a percentage such as 10%",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "SETTING_KEY": "a setting name",
    "VALUE": "a value",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
}


def _describe_terminal(lark: Lark, name: str) -> list[str]:
    if name in _TERMINAL_WORDS:
        return [_TERMINAL_WORDS[name]]
    try:
        term = lark.get_terminal(name)
    except KeyError:
        return [name]
    pattern = term.pattern
    if pattern.type == "str":
        return [f"'{pattern.value}'"]
    alts = re.fullmatch(r"\(\?:(.*)\)", pattern.value)
    body = alts.group(1) if alts else pattern.value
    if re.fullmatch(r"[a-z0-9_|\-]+", body):
        return [f"'{w}'" for w in body.split("|")]
    return [name.lower()]


def _expected_words(lark: Lark, expected) -> list[str]:
    words: list[str] = []
    for name in sorted(expected):
        for w in _describe_terminal(lark, name):
            if w not in words:
                words.append(w)
    return words


def _keyword_candidates(lark: Lark, expected) -> list[str]:
    out = []
    for name in expected:
        for w in _describe_terminal(lark, name):
            if w.startswith("'") and re.fullmatch(r"'[a-z0-9_\-]+'", w):
                out.append(w.strip("'"))
    return out


def _really_expected(exc, expected: set, lark: Lark) -> set:
    """Narrow lark's expected set to the terminals the parser can really take next.

    After a newline LALR shares one state between every kind of block, so lark's expected set
    lists every statement keyword of the language. Feeding each candidate to a copy of the
    interactive parser keeps only those that fit the block being parsed."""
    ip = getattr(exc, "interactive_parser", None)
    if ip is None or len(expected) <= 8:
        return expected
    kept = set()
    for name in expected:
        if name == "$END":
            continue
        try:
            term = lark.get_terminal(name)
            value = term.pattern.value if term.pattern.type == "str" else "x"
        except KeyError:
            value = "x"
        probe = ip.copy()
        try:
            probe.feed_token(Token(name, value))
        except UnexpectedInput:
            continue
        except Exception:  # pragma: no cover - a probe must never turn a diagnostic into a crash
            continue
        kept.add(name)
    return kept or expected


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    if len(words) > 14:
        return ", ".join(words[:12]) + f" or one of {len(words) - 12} more"
    return ", ".join(words[:-1]) + " or " + words[-1]


def _token_span(tok: Token) -> Span:
    end_col = (tok.end_column or tok.column + len(tok.value)) - 1
    if tok.end_line is not None and tok.end_line != tok.line:
        end_col = tok.column + max(0, len(tok.value.split("\n")[0]) - 1)
    return Span(tok.line, tok.column, tok.line, max(tok.column, end_col), tok.start_pos or 0,
                tok.end_pos or 0)


def _where(post: _PostLex) -> str:
    if not post.blocks:
        return ""
    return f" in '{shorten(post.blocks[-1])} {{ ... }}'"


def _syntax_diagnostic(exc: Exception, text: str, filename: str, lark: Lark, post: _PostLex) -> Diagnostic:
    if isinstance(exc, GluedWord):
        tok, word = exc.token, shorten(exc.token.value)
        return Diagnostic(
            "E105", ERROR, f"unexpected word '{word}'{_where(post)}", _token_span(tok),
            help=f"'{exc.keyword}' is expected here and must be followed by a space: "
            f"'{exc.keyword} {word[len(exc.keyword):]}'. If '{word}' is meant as a value, put it in "
            "double quotes.", file=filename)

    if isinstance(exc, (UnexpectedCharacters, BadCharacter)):
        line, col = exc.line, exc.column
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        span = Span.point(line, col, exc.pos_in_stream)
        if ch == '"':
            if text.startswith('"""', exc.pos_in_stream):
                return Diagnostic("E103", ERROR, "unterminated script block", span,
                                  help='A script starting with """ must end with """ (on a line of '
                                  "its own is clearest).", file=filename)
            return Diagnostic("E103", ERROR, "unterminated string", span,
                              help='Strings start and end with " on the same line. Use \\" for a '
                              'quote inside a string, or a """script""" block for several lines.',
                              file=filename)
        hints = {
            ":": "pipec statements are written 'keyword value', without a colon (this is not YAML).",
            "'": "Strings use double quotes: \"like this\".",
            "[": "Lists are written as values separated by spaces, without brackets.",
            ",": "Values are separated by spaces, not commas.",
            ";": "Write one statement per line; there is no ';'.",
        }
        expected = _expected_words(lark, exc.allowed) if exc.allowed else []
        help_text = hints.get(ch, "")
        glued = _glued_value(text, exc.pos_in_stream)
        if glued and not (ch == ":" and text[exc.pos_in_stream + 1:exc.pos_in_stream + 2] in ("", " ", "\t", "\n", "\r")):
            help_text = (f"A value with '{ch}' in it must be quoted: \"{glued}\". Unquoted values are letters, "
                         "digits, '_', '.' and '-'." if ch.isascii() else
                         f"Names are ASCII letters, digits, '_' and '-'; '{ch}' is not one of them: rename it. If "
                         f"it is a value rather than a name, quote it: \"{glued}\".")
        if not help_text and expected:
            help_text = f"Expected {_join(expected)}{_where(post)}."
        shown = f"'{ch}'" if ch.isprintable() and ch.strip() else f"U+{ord(ch):04X}" if ch else "end of file"
        if ch == "\r":
            help_text = "Lines must end with a line feed (LF) or CR LF; a lone carriage return is not a line end."
        elif ch == "\ufeff":
            help_text = "Remove the byte order mark in the middle of the file."
        return Diagnostic("E100", ERROR, f"unexpected character {shown}{_where(post)}", span,
                          help=help_text or "Remove or quote this character.", file=filename)

    if isinstance(exc, (UnexpectedToken, UnexpectedEOF)):
        tok = getattr(exc, "token", None)
        expected = set(getattr(exc, "expected", ()) or ())
        if tok is None or tok.type == "$END":
            lines = source_lines(text)
            if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in lines):
                return _no_pipeline(text, filename)
            last = len(lines)
            span = Span.point(last, max(1, len(lines[-1]) + 1 if lines else 1), len(text))
            words = _expected_words(lark, expected)
            opened = post.blocks[-1] if post.blocks else None
            msg = "unexpected end of file"
            if opened:
                msg += f": the block '{opened} {{' opened on line {post.block_lines[-1]} is not closed"
            return Diagnostic("E102", ERROR, msg, span,
                              help=("Add the missing '}'." if opened else
                                    f"Expected {_join(words)}.") if words or opened else "",
                              file=filename)
        span = _token_span(tok)
        stmt = [t.value for t in post.statement]
        if tok.type == "EQUAL" and stmt[:1] == ["secret"]:
            return Diagnostic(
                "E104", ERROR, "a secret cannot be given a value in a .pipe file", span,
                help="Secrets are references, never values, so they never end up in source control. "
                f"Write 'secret {stmt[1] if len(stmt) > 1 else 'NAME'} from ssm \"/path/in/parameter-store\"' "
                "or 'from secrets-manager \"secret-id\"', and store the value there.",
                file=filename)
        expected = _really_expected(exc, expected, lark)
        words = _expected_words(lark, expected)
        shown = shorten(tok.value) if tok.type != "_NL" else "end of line"
        if tok.type == "_NL":
            msg = f"this statement is incomplete{_where(post)}"
            span = Span.point(tok.line, tok.column, tok.start_pos or 0)
        else:
            msg = f"unexpected '{shown}'{_where(post)}"
        help_text = f"Expected {_join(words)}." if words else ""
        if tok.type in ("NAME", "SETTING_KEY") or re.fullmatch(r"[a-z_\-0-9]+", tok.value or ""):
            help_text += did_you_mean(tok.value, _keyword_candidates(lark, expected))
        if tok.type == "STRING" and "NAME" in expected and not words[1:]:
            help_text += " Names are written without quotes."
        if tok.type == "RBRACE":
            help_text += " Write one statement per line, and put the closing '}' on a line of its own."
        return Diagnostic("E101", ERROR, msg, span, help=help_text.strip(), file=filename)

    raise exc  # pragma: no cover - every UnexpectedInput subclass is handled above


#: characters a .pipe file may not hold anywhere, strings and comments included: C0 controls but
#: tab, line feed and carriage return, DEL and the C1 controls, and the bidirectional overrides
#: and isolates. A NUL cuts a shell script short, ESC and CSI sequences would reach terminals through
#: diagnostics, bidi controls make a command read differently from what runs ("Trojan Source"),
#: and none has a meaning on either platform.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _no_pipeline(text: str, filename: str) -> Diagnostic:
    """E102 for a file of blanks and comments only."""
    lines = source_lines(text)
    where = (Span.point(1, 1, 0) if not text.strip() else
             Span.point(len(lines), len(lines[-1]) + 1, len(text)))
    return Diagnostic("E102", ERROR, "the file has no pipeline", where,
                      help="A .pipe file holds one pipeline: 'pipeline NAME {', its sources and "
                      "stages, then '}'. See examples/01-ci-pull-requests.pipe.", file=filename)


def _glued_value(text: str, pos: int) -> str | None:
    """The whole whitespace-free run around ``pos`` when the character there is glued to a word
    before it (``release/1.0``, ``arn:aws:...``, ``café``), or None."""
    start = pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    if start == pos:
        return None
    end = pos
    while end < len(text) and not text[end].isspace() and text[end] not in '{}"#' and end - start < 200:
        end += 1
    return text[start:end]


def _control_character(text: str, pos: int, filename: str) -> Diagnostic:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    if text[pos] == "\r":
        return Diagnostic("E100", ERROR, "a carriage return that does not end a line", Span.point(line, column, pos),
                          help="Lines end with a line feed (LF) or CR LF; this file uses a lone CR (old Mac line "
                          "endings). Convert it, for example with: tr '\\r' '\\n' < FILE > NEW.", file=filename)
    return Diagnostic("E100", ERROR, f"control character U+{ord(text[pos]):04X} in the file",
                      Span.point(line, column, pos),
                      help="A .pipe file is text: remove the character. In a string, write a line break "
                      "as \\n and a tab as \\t; other control characters have no place in a pipeline.",
                      file=filename)


def parse(text: str, filename: str = "<input>") -> ast.Module:
    """Parse ``.pipe`` source text into a :class:`pipec.ast.Module`.

    Raises :class:`pipec.diagnostics.Diagnostics` with one syntax diagnostic on error (the LALR
    parser stops at the first one; semantic checks later report everything they find).
    """
    from pipec.transformer import TransformError, shared

    from pipec.files import MAX_INPUT_BYTES, too_large

    if len(text) > MAX_INPUT_BYTES:  # the CLI's reader stops at the same size; this guards the API
        raise Diagnostics([too_large(filename, f"{len(text):,} characters")])
    lark, post = _parser()
    post.reset()
    if text.startswith("\ufeff"):  # a UTF-8 byte order mark, as some editors write
        text = text[1:]
    control = _CONTROL.search(text)
    if control:
        raise Diagnostics([_control_character(text, control.start(), filename)])
    lone_cr = text.find("\r")
    while lone_cr != -1 and text.startswith("\r\n", lone_cr):
        lone_cr = text.find("\r", lone_cr + 2)
    if lone_cr != -1:
        raise Diagnostics([_control_character(text, lone_cr, filename)])
    try:
        tree = lark.parse(text)
    except (GluedWord, BadCharacter, UnexpectedInput) as exc:
        raise Diagnostics([_syntax_diagnostic(exc, text, filename, lark, post)]) from None
    comments = tuple(
        ast.Comment(t.value[1:].rstrip(), t.line, t.column) for t in post.comments
    )
    try:
        pipeline, uses, templates = shared().transform(tree)
        if pipeline is None and not uses and not templates:  # blanks and comments only
            raise Diagnostics([_no_pipeline(text, filename)])
    except VisitError as wrapped:  # lark wraps exceptions raised inside transformer methods
        err = wrapped.orig_exc
        if not isinstance(err, TransformError):
            raise err from None
        raise Diagnostics([
            Diagnostic(err.code, ERROR, err.message, err.span, help=err.help, file=filename)
        ]) from None
    return ast.Module(pipeline=pipeline, uses=uses, templates=templates, comments=comments,
                      filename=filename, source=text)
