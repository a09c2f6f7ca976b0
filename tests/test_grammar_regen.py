"""grammar/pipe_parser.py (the parser lark's standalone generator wrote from grammar/pipe.lark,
checked in so that pipec never analyses the grammar at start-up) is current: these tests fail
when pipe.lark changes without ``python -m pipec.grammar.regen``.

lark numbers states and terminals differently from one generation to the next, so the file
cannot be compared byte for byte; the tables are compared after numbering the states in the
order a walk from the start state meets them.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from pathlib import Path

import lark
import pytest

from pipec.grammar import pipe_parser, regen
from pipec.parser import _parser

ROOT = Path(__file__).parent.parent


def _rule(rule) -> tuple:
    o = rule.options
    return (rule.origin.name, tuple(s.name for s in rule.expansion), rule.alias, rule.order,
            o.keep_all_tokens, o.expand1, tuple(o.empty_indices or ()))


def _canonical(table) -> tuple:
    """The LALR table with states numbered in breadth-first order from the start state, terminals
    visited by name: equal for two analyses of the same grammar, whatever their numbering."""
    start = table.start_states["start"]
    number = {start: 0}
    queue = deque([start])
    rows = []
    while queue:
        state = queue.popleft()
        row = []
        for token, (_action, arg) in sorted(table.states[state].items()):
            if isinstance(arg, int):  # shift (or goto) to a state
                if arg not in number:
                    number[arg] = len(number)
                    queue.append(arg)
                row.append((token, "shift", number[arg]))
            else:
                row.append((token, "reduce", _rule(arg)))
        rows.append(tuple(row))
    assert len(number) == len(table.states), "every state is reached from the start state"
    return tuple(rows), number[table.end_states["start"]]


def _terminals(terminals) -> dict:
    return {t.name: (t.pattern.type, t.pattern.value, tuple(t.pattern.flags), t.priority) for t in terminals}


def _fresh():
    """pipe.lark analysed now, with the generator's options (grammar/regen.py OPTIONS)."""
    text = (ROOT / "grammar" / "pipe.lark").read_text(encoding="utf-8")
    return lark.Lark(text, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=True)


def test_header_names_the_current_grammar():
    assert regen.main(["--check"]) == 0, "grammar/pipe_parser.py is stale: run python -m pipec.grammar.regen"


def test_the_check_fails_on_a_changed_grammar(tmp_path, monkeypatch):
    changed = tmp_path / "pipe.lark"
    changed.write_text((ROOT / "grammar" / "pipe.lark").read_text(encoding="utf-8") + "\n// changed\n",
                       encoding="utf-8")
    monkeypatch.setattr(regen, "GRAMMAR", str(changed))
    assert regen.main(["--check"]) == 1


def test_tables_equal_a_fresh_analysis_of_the_grammar():
    fresh = _fresh()
    loaded, _post = _parser()
    assert _canonical(loaded.parser.parser.parser.parse_table) == _canonical(fresh.parser.parser.parser.parse_table)
    assert _terminals(loaded.terminals) == _terminals(fresh.terminals)
    assert sorted(map(_rule, loaded.rules)) == sorted(map(_rule, fresh.rules))
    assert loaded.lexer_conf.ignore == fresh.lexer_conf.ignore


def test_runtime_is_the_generating_lark_version():
    """The runtime in the file is the lark the tables were generated with, and the version the
    test extra pins (pyproject.toml), so that regenerating changes no behaviour by surprise."""
    assert pipe_parser.__version__ == lark.__version__


def test_the_check_fails_when_the_substitutions_change(monkeypatch):
    """The header names regen's own changes to lark's output, so changing them makes the file stale."""
    monkeypatch.setattr(regen, "SUBSTITUTIONS", (*regen.SUBSTITUTIONS, ("x", "y")))
    assert regen.main(["--check"]) == 1


def test_the_runtime_imports_its_heavy_modules_through_the_shims():
    text = Path(pipe_parser.__file__).read_text(encoding="utf-8")
    for written, instead in regen.SUBSTITUTIONS:
        assert text.count(instead) == 1 and (written in instead or written not in text)
    assert not re.search(r"^\s*(import|from) (logging|dataclasses|inspect|pickle|regex)\b", text, re.M)


def test_the_shims_do_what_the_modules_they_stand_for_do():
    import dataclasses
    import inspect
    import pickle as real_pickle

    from lark.utils import TextSlice as LarkTextSlice
    from lark.visitors import Transformer as LarkTransformer

    from pipec.grammar import shims
    from pipec.transformer import ToAst

    for cls in (ToAst, LarkTransformer, pipe_parser.Transformer, pipe_parser.Lark):
        assert shims.getmro(cls) == inspect.getmro(cls)
        assert [n for n, _ in shims.getmembers(cls)] == [n for n, _ in inspect.getmembers(cls)]
    # TextSlice: lark's own class (dataclasses) and the generated one (shims.dataclass) agree
    ours, theirs = pipe_parser.TextSlice("abcdef", -4, 5), LarkTextSlice("abcdef", -4, 5)
    assert (ours.text, ours.start, ours.end) == (theirs.text, theirs.start, theirs.end) == ("abcdef", 2, 5)
    assert repr(ours) == repr(theirs) and hash(ours) == hash(theirs)
    assert ours == pipe_parser.TextSlice("abcdef", 2, 5) and ours != pipe_parser.TextSlice("abcdef", 2, 4)
    assert ours.__match_args__ == LarkTextSlice.__match_args__ == ("text", "start", "end")
    for action in (lambda s: setattr(s, "start", 0), lambda s: delattr(s, "end")):
        with pytest.raises(AttributeError):
            action(ours)
        with pytest.raises(dataclasses.FrozenInstanceError):
            action(theirs)
    with pytest.raises(TypeError):  # __post_init__ runs
        pipe_parser.TextSlice(1, 0, 1)
    # lark's logger is made as lark makes it, on first use; pickle is the module; copies are copies
    assert pipe_parser.logger.name == "lark" and pipe_parser.logger.level == logging.CRITICAL
    assert pipe_parser.pickle.dumps is real_pickle.dumps
    nested = {"a": [1, {"b": 2}]}
    assert pipe_parser.copy(nested) == nested and pipe_parser.copy(nested)["a"] is nested["a"]
    assert pipe_parser.deepcopy(nested) == nested and pipe_parser.deepcopy(nested)["a"] is not nested["a"]
