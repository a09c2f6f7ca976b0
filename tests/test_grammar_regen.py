"""grammar/pipe_parser.py (the parser lark's standalone generator wrote from grammar/pipe.lark,
checked in so that pipec never analyses the grammar at start-up) is current: these tests fail
when pipe.lark changes without ``python -m pipec.grammar.regen``.

lark numbers states and terminals differently from one generation to the next, so the file
cannot be compared byte for byte; the tables are compared after numbering the states in the
order a walk from the start state meets them.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import lark

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
