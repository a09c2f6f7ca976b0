"""What lark's generated runtime (``pipe_parser.py``) takes from ``logging``, ``pickle``, ``copy``,
``dataclasses`` and ``inspect``, without importing those modules when pipec starts, and a cache
that makes loading the parse tables faster (issue 18).

Those imports cost about 10 ms of ``pipec check``'s start-up (``python -X importtime``:
logging 3.5 ms with traceback and threading, dataclasses 3.5 ms with inspect, pickle with base64
1.9 ms, copy with weakref 0.6 ms), for code that a parse of a valid file never runs (lark's
logger is set to CRITICAL, its cache and ``save``/``load`` are not used, copies are made by the
interactive parser of error recovery) or that needs a few lines only (one frozen dataclass,
``getmembers``/``getmro`` for ``v_args``). ``python -m pipec.grammar.regen`` points the generated
file here (see ``SUBSTITUTIONS`` there); tests/test_grammar_regen.py holds each stand-in to the
module it replaces.
"""

from __future__ import annotations

import importlib


class LazyModule:
    """Stands for a module until one of its attributes is used; then imports it."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        module = importlib.import_module(self._name)
        return getattr(module, attr)


def copy(x):
    """``copy.copy``, importing copy (with weakref, 0.6 ms) when first called."""
    import copy as module

    return module.copy(x)


def deepcopy(x, memo=None):
    """``copy.deepcopy``, importing copy when first called."""
    import copy as module

    return module.deepcopy(x, memo)


class LarkLogger:
    """lark's module logger, made when first used exactly as lark makes it at import: the ``lark``
    logger with a stream handler, at level CRITICAL."""

    _logger = None

    def __getattr__(self, attr):
        if LarkLogger._logger is None:
            import logging

            logger = logging.getLogger("lark")
            logger.addHandler(logging.StreamHandler())
            logger.setLevel(logging.CRITICAL)
            LarkLogger._logger = logger
        return getattr(LarkLogger._logger, attr)


def getmro(cls) -> tuple:
    """``inspect.getmro``."""
    return cls.__mro__


def getmembers(cls) -> list:
    """``inspect.getmembers`` of a class: ``(name, value)`` for each name ``dir`` gives, sorted by
    name (names whose lookup raises ``AttributeError`` are left out, as inspect leaves them)."""
    results = []
    for name in dir(cls):
        try:
            value = getattr(cls, name)
        except AttributeError:
            continue
        results.append((name, value))
    results.sort(key=lambda pair: pair[0])
    return results


_SERIALIZE_INFO: dict = {}


def serialize_info(cls) -> tuple[dict, tuple]:
    """``(namespace, fields)`` of one of lark's ``Serialize`` classes, as its ``deserialize``
    computes them: the classes of ``__serialize_namespace__`` by name, and
    ``__serialize_fields__``. Made once per class (they are class attributes, never changed)."""
    info = _SERIALIZE_INFO.get(cls)
    if info is None:
        namespace = {c.__name__: c for c in getattr(cls, "__serialize_namespace__", [])}
        info = _SERIALIZE_INFO[cls] = (namespace, getattr(cls, "__serialize_fields__"))
    return info


class FrozenInstanceError(AttributeError):
    """Raised on assignment to a field of a frozen :func:`dataclass` (``dataclasses`` has one of
    the same name, also an ``AttributeError``)."""


def dataclass(*, frozen: bool):
    """``dataclasses.dataclass(frozen=True)`` for the one class lark's runtime declares with it
    (``TextSlice``): ``__init__`` over the annotated fields in order (calling ``__post_init__``),
    ``__repr__``, ``__eq__`` and ``__hash__`` over the fields, and no assignment or deletion."""
    if not frozen:
        raise TypeError("pipec.grammar.shims.dataclass makes frozen classes only")

    def wrap(cls):
        names = tuple(cls.__dict__.get("__annotations__", {}))
        params = ", ".join(names)
        body = "".join(f"    _setattr(self, {n!r}, {n})\n" for n in names)
        post = "    self.__post_init__()\n" if hasattr(cls, "__post_init__") else ""
        scope = {"_setattr": object.__setattr__}
        exec(f"def __init__(self, {params}):\n{body}{post}", scope)
        init = scope["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"

        def key(self):
            return tuple(getattr(self, n) for n in names)

        def __eq__(self, other):
            return key(self) == key(other) if other.__class__ is self.__class__ else NotImplemented

        def __hash__(self):
            return hash(key(self))

        def __repr__(self):
            return f"{cls.__qualname__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"

        def __setattr__(self, name, value):
            raise FrozenInstanceError(f"cannot assign to field {name!r}")

        def __delattr__(self, name):
            raise FrozenInstanceError(f"cannot delete field {name!r}")

        for fn in (init, __eq__, __hash__, __repr__, __setattr__, __delattr__):
            fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
            setattr(cls, fn.__name__, fn)
        cls.__match_args__ = names
        return cls

    return wrap
