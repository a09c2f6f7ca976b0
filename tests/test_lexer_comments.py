"""pipec.lexer.comments finds the comments with a search for the tokens a ``#`` can hide in; it
must find what the lexer meets token by token (the reference below, its former implementation),
on every example and error case and on random mutations of them (strings and scripts left open,
stray quotes and ``#``, CR LF, characters no token starts with)."""

from __future__ import annotations

import random
from pathlib import Path

from pipec.lexer import _MASTER, comments

ROOT = Path(__file__).resolve().parent.parent
TEXTS = sorted([*(ROOT / "examples").glob("*.pipe"), *(ROOT / "tests" / "errors").glob("*.pipe")])


def token_by_token(text: str):
    pos, line, col, length = 0, 1, 1, len(text)
    while pos < length:
        m = _MASTER.match(text, pos)
        if m is None:
            value, end = text[pos], pos + 1
        elif m.lastgroup == "OPEN_SCRIPT":
            return
        else:
            value, end = m.group(), m.end()
            if m.lastgroup == "COMMENT":
                yield line, col, value
        nl = value.count("\n")
        if nl:
            line, col = line + nl, len(value) - value.rfind("\n")
        else:
            col += len(value)
        pos = end


def test_the_examples_and_error_cases():
    assert TEXTS
    for path in TEXTS:
        text = path.read_text(encoding="utf-8")
        assert list(comments(text)) == list(token_by_token(text)), path.name


def test_random_mutations():
    rng = random.Random(5)
    pieces = ['#', '"', '"""', "\n", "\r\n", "\r", "\\", " ", "{", "}", "x", "\t", "é", "# c\n"]
    for path in TEXTS:
        base = path.read_text(encoding="utf-8")
        for _ in range(15):
            text = base
            for _ in range(rng.randint(1, 5)):
                i = rng.randrange(len(text) + 1)
                if rng.random() < 0.6:
                    text = text[:i] + rng.choice(pieces) + text[i:]
                else:
                    text = text[:i] + text[i + rng.randint(1, 6):]
            assert list(comments(text)) == list(token_by_token(text)), repr(text)
