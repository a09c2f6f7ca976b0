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
