"""pipec.parser._Reduction builds the parse tree lark's own reduction chain builds (issue 18)."""

from __future__ import annotations

import glob
import os
import sys

import pytest

from pipec.grammar.pipe_parser import Tree
from pipec.parser import _load, _parser, _Reduction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from perf import generate_pipe  # noqa: E402

EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "**", "*.pipe"), recursive=True))


def _shape(tree) -> list:
    """Every subtree's rule, children and meta (positions and container positions), in order."""
    out, stack = [], [tree]
    while stack:
        t = stack.pop()
        if isinstance(t, Tree):
            out.append((t.data, [c if not isinstance(c, Tree) else c.data for c in t.children],
                        sorted(vars(t.meta).items())))
            stack.extend(reversed(t.children))
        elif t is not None:
            out.append((type(t).__name__, str(t), getattr(t, "type", None), getattr(t, "line", None),
                        getattr(t, "column", None), getattr(t, "end_pos", None)))
    return out


def test_every_reduction_of_the_grammar_is_made_by_reduction():
    lark, _ = _parser()
    assert all(isinstance(f, _Reduction) for f in lark.parser.parser.parser.callbacks.values())


@pytest.mark.parametrize("text", [generate_pipe(60)] + [open(p, encoding="utf-8").read() for p in EXAMPLES],
                         ids=["generated-60"] + [os.path.relpath(p, ROOT) for p in EXAMPLES])
def test_the_tree_and_its_positions_are_lark_s(text):
    fused, post = _parser()
    post.reset()
    mine = fused.parse(text)
    lark, post = _load()
    theirs = lark.parse(text)
    assert mine == theirs
    assert _shape(mine) == _shape(theirs)


def test_the_lexer_s_tokens_are_lark_s():
    """PipeLexer makes its tokens without Token(...) (issue 18): each has every field of lark's
    Token, with the value Token(...) would give it."""
    from pipec.grammar.pipe_parser import Token

    lark, post = _parser()
    post.reset()
    text = generate_pipe(10) + "# a comment\n"
    stack, tokens = [lark.parse(text)], []
    while stack:
        t = stack.pop()
        if isinstance(t, Tree):
            stack.extend(t.children)
        elif isinstance(t, Token):
            tokens.append(t)
    assert len(tokens) > 50 and post.comments
    for tok in [*tokens, *post.comments]:
        same = Token(tok.type, tok.value, tok.start_pos, tok.line, tok.column, tok.end_line, tok.end_column,
                     tok.end_pos)
        assert [getattr(tok, f) for f in Token.__slots__] == [getattr(same, f) for f in Token.__slots__]
        assert type(tok) is Token and str(tok) == tok.value == text[tok.start_pos:tok.end_pos]
