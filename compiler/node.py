"""The base of every syntax-tree and model class: frozen attrs classes with equality, hashing and
repr written once here instead of generated per class.

attrs generates ``__eq__``/``__hash__``/``__repr__`` by compiling source code for each class,
which cost about 0.2 ms per class at import, a fifth of ``pipec check``'s start-up budget for the
~80 node classes. These three methods read the attrs field list instead, and honour each field's
``eq``/``repr`` flags, so a ``span`` declared with ``eq=False, repr=False`` is still left out of
equality, hashing and repr, exactly as with attrs' generated methods.
"""

from __future__ import annotations

import attrs


class Node:
    """Mixin for :func:`node` classes."""

    __slots__ = ()

    @classmethod
    def _fields_for(cls, flag: str) -> tuple[str, ...]:
        key = f"_pipec_{flag}_fields"
        names = cls.__dict__.get(key)
        if names is None:
            names = tuple(a.name for a in attrs.fields(cls) if getattr(a, flag))
            type.__setattr__(cls, key, names)
        return names

    def _eq_key(self) -> tuple:
        return tuple(getattr(self, n) for n in self._fields_for("eq"))

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._eq_key() == other._eq_key()

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return hash((self.__class__.__qualname__, self._eq_key()))

    def __repr__(self):
        parts = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields_for("repr"))
        return f"{self.__class__.__name__}({parts})"


def node(cls):
    """Class decorator: a frozen, slotted attrs class whose eq/hash/repr come from :class:`Node`."""
    return attrs.frozen(eq=False, repr=False)(cls)
