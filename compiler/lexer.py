"""The lexer: one regular expression splits the text into words, strings, scripts, punctuation
and newlines; each word is then typed by what the parser accepts at that point.

This is lark's "contextual lexing" done with a single compiled pattern instead of one pattern per
parser state: the same word is the keyword ``build`` where a statement starts and a plain name in
``stage build``. It has two further properties lark's contextual lexer lacks here:

- keywords match whole words only (``buildweb`` is one unknown word, never ``build`` + ``web``);
- nothing is compiled per parser state, which made the first parse of every run ~10 ms slower.

The parser state is enough everywhere: inside ``aws { }`` and ``github { }`` the first word of a
line is a setting name even when it is a keyword elsewhere (``cache s3``), because the grammar
gives those blocks newline rules of their own (see the comment in pipe.lark).

The parser hands the current LALR state to :meth:`PipeLexer.lex` (lark's custom-lexer interface);
the state's action table lists the terminal names it accepts.
"""

from __future__ import annotations

import re

from pipec.grammar.pipe_parser import Lexer, Token
from pipec.lazy_regex import lazy

#: the tokens, by kind; a blank between tokens is a WS token of :data:`_MASTER` (which
#: pipec.lsp_index reads too) and the blanks before a token in :data:`_NEXT` (the lexer's)
_TOKENS = r"""
    (?P<NL>\r?\n[\t \n]*(?:\r\n[\t \n]*)*+)
  | (?P<COMMENT>\#[^\n]*)
  | (?P<SCRIPT>\"\"\"[^"]*(?:"(?!"")[^"]*)*+\"\"\")
  | (?P<OPEN_SCRIPT>\"\"\")
  | (?P<STRING>"[^"\\\n]*(?:\\.[^"\\\n]*)*+")
  | (?P<WORD>[A-Za-z0-9_][A-Za-z0-9_.\-]*%?)
  | (?P<PUNCT>[{}=!])
"""
#: a token and the blanks before it, in one match (one call per token, not two: issue 18); the
#: blanks' width is the match's less the token's, and they hold no newline. Blanks at the end of
#: the text, or before a character no token starts with, match none of the groups.
_NEXT = re.compile(r"[\t ]*+(?:" + _TOKENS + ")", re.VERBOSE)
_BLANKS = lazy(r"[\t ]*")


def __getattr__(name: str):
    """``_MASTER``, compiled when first imported (by pipec.lsp_index, not by a check: 0.35 ms):
    every token and every run of blanks (a ``WS`` token), one per match."""
    if name == "_MASTER":
        pattern = globals()["_MASTER"] = re.compile(r"(?P<WS>[\t ]+)|" + _TOKENS, re.VERBOSE)
        return pattern
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Regex terminals a word may be, most specific first.
_WORD_TERMINALS = ("DURATION", "PERCENT", "NUMBER", "NAME", "SETTING_KEY", "VALUE")


class BadCharacter(Exception):
    """A character no token can start with; ``allowed`` are the terminals accepted there."""

    def __init__(self, pos: int, line: int, column: int, allowed: set[str]):
        super().__init__(f"unexpected character at {line}:{column}")
        self.pos_in_stream, self.line, self.column, self.allowed = pos, line, column, allowed


class GluedWord(Exception):
    """A word that starts with a keyword accepted here but goes on (``buildweb``)."""

    def __init__(self, token: Token, keyword: str):
        super().__init__(token.value)
        self.token, self.keyword = token, keyword


class PipeLexer(Lexer):
    __future_interface__ = 2  # lark passes (lexer_state, parser_state)

    def __init__(self, lexer_conf):
        self.keyword_terminal: dict[str, str] = {}
        self.patterns: dict[str, re.Pattern] = {}
        for term in lexer_conf.terminals:
            if term.pattern.type == "str":
                self.keyword_terminal[term.pattern.value] = term.name
            elif term.name in _WORD_TERMINALS:
                self.patterns[term.name] = re.compile(term.pattern.to_regexp())
        self.callbacks = lexer_conf.callbacks

    def lex(self, lexer_state, parser_state):
        text = lexer_state.text
        # lark >= 1.2 wraps the text; older versions pass the str
        if not isinstance(text, str):
            text = text.text
        states = parser_state.parse_conf.parse_table.states
        pos, line, col = 0, 1, 1
        length = len(text)
        new_token = Token._future_new  # what Token(...) calls, one call fewer per token
        make = str.__new__
        match = _NEXT.match
        while pos < length:
            m = match(text, pos)
            if m is None:  # blanks up to the end, or up to a character no token starts with
                start = _BLANKS.match(text, pos).end()
                if start == length:
                    break
                raise BadCharacter(start, line, col + start - pos, set(states[parser_state.position]))
            kind = m.lastgroup
            value = m.group(kind)
            end = m.end()
            start = end - len(value)
            col += start - pos
            if kind == "OPEN_SCRIPT":  # a script block that is never closed
                raise BadCharacter(start, line, col, set(states[parser_state.position]))
            nl = value.count("\n")
            if nl:
                end_line = line + nl
                end_col = len(value) - value.rfind("\n")
            else:
                end_line, end_col = line, col + len(value)
            if kind == "COMMENT":
                cb = self.callbacks.get("COMMENT")
                if cb is not None:
                    cb(new_token("COMMENT", value, start, line, col, end_line, end_col, end))
            else:
                accepts = states[parser_state.position]
                ttype = "_NL" if kind == "NL" else self._type(kind, value, accepts)
                tok = make(Token, value)  # Token._future_new's steps, without its call
                tok.type, tok.start_pos, tok.value, tok.line, tok.column = ttype, start, value, line, col
                tok.end_line, tok.end_column, tok.end_pos = end_line, end_col, end
                if ttype is None:
                    keyword = self._keyword_prefix(value, accepts)
                    if keyword is not None:
                        raise GluedWord(tok, keyword)
                    tok.type = "NAME" if self.patterns["NAME"].fullmatch(value) else "VALUE"
                    if tok.type in accepts:  # never let an unmatched word through as valid
                        tok.type = "WORD"
                yield tok
            pos, line, col = end, end_line, end_col

    def _type(self, kind: str, value: str, accepts) -> str | None:
        if kind == "NL":
            return "_NL"
        if kind == "WORD":
            term = self.keyword_terminal.get(value)
            if term is not None and term in accepts:
                return term
            for name in _WORD_TERMINALS:
                if name in accepts and self.patterns[name].fullmatch(value):
                    return name
            return None
        if kind == "STRING":
            return "STRING" if "STRING" in accepts or "VALUE" not in accepts else "VALUE"
        if kind == "SCRIPT":
            return "SCRIPT"
        return self.keyword_terminal[value]  # punctuation

    def _keyword_prefix(self, value: str, accepts) -> str | None:
        best = None
        for word, term in self.keyword_terminal.items():
            if term in accepts and value.startswith(word) and len(value) > len(word) and word[-1:].isalnum():
                if best is None or len(word) > len(best):
                    best = word
        return best


#: the tokens a ``#`` can be in, with the lexer's own patterns: no other token holds a ``#`` or a
#: quote, so searching for these finds what :meth:`PipeLexer.lex` would meet token by token
_HIDING = re.compile(r"""(?P<COMMENT>\#[^\n]*)|(?P<SCRIPT>\"\"\"[^"]*(?:"(?!"")[^"]*)*+\"\"\")|(?P<OPEN_SCRIPT>\"\"\")|(?P<STRING>"[^"\\\n]*(?:\\.[^"\\\n]*)*+")""")


def comments(text: str):
    """(line, column, text) of every comment in ``text``, found with the lexer's own pattern, so a
    ``#`` inside a string or a script is never taken for one. Works on any text, valid or not: a
    character no token starts with is stepped over, and an unclosed script ends the scan."""
    line, line_start, counted = 1, 0, 0
    for m in _HIDING.finditer(text):
        kind = m.lastgroup
        if kind == "OPEN_SCRIPT":
            return
        if kind == "COMMENT":
            pos = m.start()
            nl = text.count("\n", counted, pos)
            if nl:
                line += nl
                line_start = text.rfind("\n", counted, pos) + 1
            counted = pos
            yield line, pos - line_start + 1, m.group()
