"""Commands read as bash reads them, for the checks that look inside them (W520 in
:mod:`pipec.aws_calls`; W530-W532 and E209 in :mod:`pipec.shell_state`): one tree-sitter-bash
parser, the text of a node as written, and the position of something found in a command.

The parser is imported only when a check parses a command, so ``pipec check`` pays nothing for
commands that hold none of the words those checks look for.
"""

from __future__ import annotations

import functools

from pipec import model
from pipec.diagnostics import Span


@functools.lru_cache(maxsize=1)
def _parser():
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


#: every byte of a multi-byte UTF-8 character read as "x" (see :func:`parse`)
_ASCII_SHAPE = bytes(range(128)) + b"x" * 128


def parse(text: str):
    """(tree, source bytes) of ``text``. tree-sitter-bash 0.25.1's scanner can crash the process
    (a segmentation fault, not every time) on some non-ASCII text: seen with ``?{`` followed by
    U+F6F7C in a generated command. So the parser reads every byte of a multi-byte character as
    ``x``: no non-ASCII character is a shell metacharacter, so the structure is the same, and the
    byte offsets are unchanged, so each word's real text is read from the source bytes
    (:func:`node_text`). Keep the tree while its nodes are used."""
    src = text.encode("utf-8", "replace")
    return _parser().parse(src.translate(_ASCII_SHAPE)), src


def node_text(node, src: bytes) -> str:
    """The text of ``node`` as written (from the source bytes, not the parser's copy)."""
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


def only_comments(text: str) -> bool:
    """Whether a command is nothing but comments and blank lines (a no-op on CodeBuild, which
    bash cannot put between braces on its own)."""
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


def command_span(c: model.Command, line_in_command: int, found: str, source: str) -> Span | None:
    """Where ``found`` (text on line ``line_in_command``, 0-based, of command ``c``) is in the
    ``.pipe`` source: its line in a script, and its own text where the line shows it; else the
    command's span."""
    span = c.span
    if span is None or not source:
        return span
    line = span.line
    if c.script:
        opening = source[span.start_pos + 3:span.start_pos + 5]
        line += line_in_command + (1 if opening[:1] == "\n" or opening == "\r\n" else 0)
    lines = source.split("\n")
    if not 1 <= line <= len(lines):
        return span
    text = lines[line - 1].rstrip("\r")
    first = found.split("\n", 1)[0]
    start = text.find(first, span.column - 1 if line == span.line else 0)
    offset = sum(len(s) + 1 for s in lines[:line - 1])
    if start < 0:
        if not c.script:
            return span
        start, first = len(text) - len(text.lstrip()), text.strip()
    return Span(line, start + 1, line, start + max(len(first), 1), offset + start, offset + start + len(first))
