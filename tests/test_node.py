"""pipec.node: the frozen slotted classes of the syntax tree, the model and the diagnostics behave as
the attrs classes they replaced (issue 18: ``pipec check`` imports no attrs)."""

from __future__ import annotations

import copy
import inspect
import pickle

import pytest

from pipec import ast, model
from pipec.diagnostics import Span
from pipec.node import GENERIC_INSTANCES, NOTHING, FrozenInstanceError, Node, _LazyInit, evolve, field, fields, has, node


@node
class Pair(Node):
    """Two values and a span (module level, so that pickle finds it)."""

    left: int
    right: tuple = ()
    seen: list = field(factory=list, eq=False)
    span: Span | None = field(default=None, eq=False, repr=False, kw_only=True)

    SCALE = 10  # not annotated: a class attribute, not a field

    @property
    def scaled(self) -> int:
        return self.left * self.SCALE


@node
class Triple(Pair):
    middle: str = "m"


def test_fields_in_init_order_with_their_settings():
    assert [f.name for f in fields(Pair)] == ["left", "right", "seen", "span"]
    span = fields(Pair)[-1]
    assert (span.default, span.eq, span.repr, span.kw_only) == (None, False, False, True)
    assert [f.name for f in fields(Triple)] == ["left", "right", "seen", "span", "middle"]
    assert has(Pair) and has(ast.Stage) and has(model.Pipeline) and not has(int) and not has(Pair(1))
    with pytest.raises(TypeError):
        fields(Pair(1))


def test_init_defaults_factories_and_keyword_only():
    a, b = Pair(1), Pair(1)
    assert a.right == () and a.seen == [] and a.seen is not b.seen and a.span is None
    assert Pair(1, (2,), span=Span.point(1, 1)).right == (2,)
    with pytest.raises(TypeError):
        Pair(1, (), [], Span.point(1, 1))  # span is keyword-only
    with pytest.raises(TypeError):
        Pair()  # left is mandatory
    assert Pair(2).scaled == 20 and Pair.SCALE == 10
    assert Triple(1, middle="x").middle == "x"


def test_equality_hash_and_repr_leave_out_what_the_fields_say():
    a = Pair(1, (2,), [3], span=Span.point(1, 1))
    b = Pair(1, (2,), [], span=Span.point(9, 9))
    assert a == b and hash(a) == hash(b) and not (a != b)
    assert a != Pair(2, (2,)) and a != Triple(1, (2,))
    assert repr(a) == "Pair(left=1, right=(2,), seen=[3])"
    assert len({ast.Duration(2, "m", span=Span.point(1, 1)), ast.Duration(2, "m")}) == 1


def test_instances_are_frozen_and_slotted():
    a = Pair(1)
    with pytest.raises(FrozenInstanceError):
        a.left = 2
    with pytest.raises(AttributeError):
        del a.left
    with pytest.raises(AttributeError):
        a.other = 1
    assert not hasattr(a, "__dict__") and Pair.__slots__ == ("left", "right", "seen", "span", "__weakref__")


def test_evolve_copies_with_changes_and_refuses_unknown_names():
    a = Pair(1, (2,), span=Span.point(1, 1))
    b = evolve(a, left=5)
    assert (b.left, b.right, b.span) == (5, (2,), a.span) and a.left == 1
    with pytest.raises(TypeError, match="nope"):
        evolve(a, nope=1)


def test_a_mandatory_field_after_one_with_a_default_is_refused():
    with pytest.raises(ValueError, match="'b'"):
        @node
        class Bad(Node):
            a: int = 0
            b: int


def test_pickle_and_copy_keep_every_field():
    a = Triple(1, (2,), [3], span=Span(1, 2, 3, 4, 5, 6, file="lib.pipe"), middle="x")
    for b in (pickle.loads(pickle.dumps(a)), copy.copy(a), copy.deepcopy(a)):
        assert b == a and b.span.file == "lib.pipe" and b.seen == [3] and b.middle == "x"


def test_signature_shows_the_fields():
    assert str(inspect.signature(Pair)) == ("(left: 'int', right: 'tuple' = (), seen: 'list' = NOTHING, *, "
                                             "span: 'Span | None' = None) -> 'None'")
    params = inspect.signature(ast.Duration).parameters
    assert list(params) == ["value", "unit", "span"]
    assert params["span"].kind is inspect.Parameter.KEYWORD_ONLY


def test_match_args_are_the_positional_fields():
    match ast.Duration(2, "m"):
        case ast.Duration(value, unit):
            assert (value, unit) == (2, "m")


def _fresh():
    @node
    class Fresh(Node):
        a: int
        b: tuple = ()
        c: list = field(factory=list)
        span: Span | None = field(default=None, eq=False, repr=False, kw_only=True)
        d: str = field(default="d", kw_only=True)

    return Fresh


_CALLS = [((1,), {}), ((1, (2,)), {"span": Span.point(1, 1)}), ((), {"a": 1, "d": "x", "c": [3]}),
          ((1, (), NOTHING), {})]
_BAD_CALLS = [((), {}), ((1, 2, 3, 4), {}), ((1,), {"a": 2}), ((1,), {"nope": 0}), ((1,), {"e": 0})]


def _outcome(cls, args, kwargs):
    try:
        made = cls(*args, **kwargs)
    except TypeError as exc:
        return "TypeError", str(exc)
    return repr(made), made.span, made.d, made.c, made.c is not cls(1).c


def test_the_first_instances_are_made_without_compiling_and_alike():
    """A class makes its first GENERIC_INSTANCES instances with a generic __init__ (no compile:
    4.6 ms of a check of the reference), then compiles its own; both behave the same, refusals
    included."""
    generic, compiled = _fresh(), _fresh()
    assert inspect.signature(compiled).parameters  # looking __init__ up compiles it
    assert isinstance(generic.__dict__["__init__"], _LazyInit)
    assert not isinstance(compiled.__dict__["__init__"], _LazyInit)
    for args, kwargs in _CALLS + _BAD_CALLS:
        assert _outcome(generic, args, kwargs) == _outcome(compiled, args, kwargs), (args, kwargs)
    assert isinstance(generic.__dict__["__init__"], _LazyInit)
    for _ in range(GENERIC_INSTANCES):
        generic(1)
    assert not isinstance(generic.__dict__["__init__"], _LazyInit)
    assert repr(generic(1, (2,))) == repr(compiled(1, (2,)))
