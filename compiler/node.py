"""Frozen slotted classes for every syntax-tree, model and diagnostic class: pipec's own, not attrs.

``@node`` turns a class whose fields are written as annotations (as for ``@attrs.frozen``) into a
frozen slotted class: ``field(default=..., factory=..., eq=..., repr=..., kw_only=...)`` as in
attrs, :func:`fields`, :func:`evolve` and :func:`has`. Equality, hashing and repr are written once,
in :class:`Node`, and honour each field's ``eq``/``repr`` flags (a ``span`` declared
``field(default=None, eq=False, repr=False, kw_only=True)`` is left out of equality, hashing and
repr). Setting or deleting an attribute raises :class:`FrozenInstanceError`, an ``AttributeError``
like attrs'. Instances pickle and copy (``__getstate__``/``__setstate__``), and
``inspect.signature`` of a class shows its fields.

Why not attrs: ``pipec check`` runs on every save, and its start-up is mostly imports (issue 18).
Measured with ``python -X importtime`` at 004a4a3 (editable install, 2 cores), importing attrs
cost 15.5 ms (``attr.converters`` pulls in ``inspect``), and creating the ~110 attrs classes of
``pipec.ast``, ``pipec.model`` and the diagnostics cost another 15 ms (8.5 and 6.6 ms self for the
first two): attrs compiles an ``__init__`` from source for each class when it is created. Here a
class is made in about 17 microseconds; its first instances are made by a generic ``__init__``
that reads the field list, and its own is compiled after :data:`GENERIC_INSTANCES` of them (or
when ``cls.__init__`` is looked up), so a command pays for compiling only where it makes many
instances (see :class:`_LazyInit`).
``pipec check examples/02-reference.pipe`` went from 124 to 97 ms wall (median of 15 runs; CPU
time 120 to 95 ms) with this alone. attrs stays where it earns its place off that path: the
mutable ``attrs.define`` classes of the importers (pipec.importer, pipec.targets.import_inventory)
and of the GitHub run harness (pipec.targets.github.run).
"""

from __future__ import annotations

__all__ = ["Node", "node", "field", "fields", "has", "evolve", "Field", "FrozenInstanceError"]


class FrozenInstanceError(AttributeError):
    """Raised when an attribute of a :func:`node` instance is set or deleted (as attrs' error of the
    same name, it is an ``AttributeError``)."""

    msg = "can't set attribute"

    def __init__(self, *args):
        super().__init__(*(args or (self.msg,)))


class _Nothing:
    """The default of a field that has none (shown as ``NOTHING`` in signatures, as attrs does)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"

    def __reduce__(self):
        return "NOTHING"


NOTHING = _Nothing()


class Field:
    """One field of a :func:`node` class: ``name``, its ``default`` (:data:`NOTHING` for none) or
    ``factory``, whether it takes part in equality and hashing (``eq``) and ``repr``, whether
    ``__init__`` takes it by keyword only (``kw_only``), and its annotation as written (``type``)."""

    __slots__ = ("name", "default", "factory", "eq", "repr", "kw_only", "type")

    def __init__(self, name=None, default=NOTHING, factory=None, eq=True, repr=True, kw_only=False, type=None):
        self.name, self.default, self.factory = name, default, factory
        self.eq, self.repr, self.kw_only, self.type = eq, repr, kw_only, type

    def named(self, name: str, type) -> "Field":
        return Field(name, self.default, self.factory, self.eq, self.repr, self.kw_only, type)

    def __repr__(self) -> str:
        return (f"Field(name={self.name!r}, default={self.default!r}, factory={self.factory!r}, eq={self.eq}, "
                f"repr={self.repr}, kw_only={self.kw_only})")


def field(*, default=NOTHING, factory=None, eq: bool = True, repr: bool = True, kw_only: bool = False) -> Field:
    """A field with settings, written as a class attribute: ``span: Span | None = field(default=None,
    eq=False, repr=False, kw_only=True)``. ``factory`` makes the default for each instance."""
    if factory is not None and default is not NOTHING:
        raise ValueError("a field takes a default or a factory, not both")
    return Field(None, default, factory, eq, repr, kw_only)


class Node:
    """Base of :func:`node` classes: frozen attributes, equality, hashing, repr, pickling."""

    __slots__ = ()
    __pipec_fields__: tuple = ()
    _eq_names: tuple = ()
    _repr_names: tuple = ()

    def __setattr__(self, name, value):
        raise FrozenInstanceError()

    def __delattr__(self, name):
        raise FrozenInstanceError()

    def _eq_key(self) -> tuple:
        return tuple(getattr(self, n) for n in self._eq_names)

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
        parts = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._repr_names)
        return f"{self.__class__.__name__}({parts})"

    def __getstate__(self):
        return {f.name: getattr(self, f.name) for f in self.__pipec_fields__}

    def __setstate__(self, state):
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __replace__(self, **changes):
        return evolve(self, **changes)


def _is_classvar(annotation) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return text.startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))


def node(cls):
    """Class decorator: ``cls`` (a subclass of :class:`Node`) as a frozen slotted class whose fields
    are its annotations, after those of the :func:`node` classes it derives from. As in attrs, a
    field without a default may not follow one with a default unless one of them is ``kw_only``."""
    if not issubclass(cls, Node):
        raise TypeError(f"@node class {cls.__name__} must derive from pipec.node.Node")
    body = dict(cls.__dict__)
    inherited = {f.name: f for base in reversed(cls.__mro__[1:]) for f in base.__dict__.get("__pipec_fields__", ())}
    own = {}
    for name, annotation in body.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        value = body.pop(name, NOTHING)
        spec = value if isinstance(value, Field) else Field(default=value)
        own[name] = spec.named(name, annotation)
        inherited.pop(name, None)
    all_fields = (*inherited.values(), *own.values())
    seen_default = None
    for f in all_fields:
        if f.kw_only:
            continue
        if f.default is NOTHING and f.factory is None and seen_default is not None:
            raise ValueError(f"{cls.__name__}: no mandatory field '{f.name}' after the field "
                             f"'{seen_default}', which has a default")
        if f.default is not NOTHING or f.factory is not None:
            seen_default = f.name
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    slots = tuple(own)
    if not any("__weakref__" in getattr(base, "__slots__", ()) for base in cls.__mro__[1:]):
        slots += ("__weakref__",)
    body["__slots__"] = slots
    body["__qualname__"] = cls.__qualname__
    body["__pipec_fields__"] = all_fields
    body["_eq_names"] = tuple(f.name for f in all_fields if f.eq)
    body["_repr_names"] = tuple(f.name for f in all_fields if f.repr)
    body["__match_args__"] = tuple(f.name for f in all_fields if not f.kw_only)
    if "__init__" not in body:
        body["__init__"] = _LazyInit()
    new = type(cls)(cls.__name__, cls.__bases__, body)
    if isinstance(new.__dict__["__init__"], _LazyInit):
        new.__dict__["__init__"].owner = new
    return new


#: instances a class makes with :func:`_generic_init` before its own ``__init__`` is compiled
GENERIC_INSTANCES = 24


class _LazyInit:
    """The ``__init__`` of a :func:`node` class until it is compiled. Compiling one takes 40 to
    100 us, and a check of examples/02-reference.pipe made 63 of them (4.6 ms of CPU time), most for
    classes it makes a few instances of. So the first :data:`GENERIC_INSTANCES` instances of a
    class are made by :func:`_generic_init` (no compiling; about 2 us more per instance); the next
    one, or looking up ``cls.__init__`` (``inspect.signature``), compiles the class's own
    ``__init__`` and puts it on the class in place of this descriptor."""

    __slots__ = ("owner", "made", "generic")

    def __init__(self):
        self.made = 0
        self.generic = None

    def compiled(self):
        init = _make_init(self.owner)
        type.__setattr__(self.owner, "__init__", init)
        return init

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.compiled()
        self.made += 1
        if self.made > GENERIC_INSTANCES:
            return self.compiled().__get__(instance, owner)
        if self.generic is None:
            self.generic = _generic_init(self.owner)
        return self.generic.__get__(instance, owner)


def _generic_init(cls):
    """An ``__init__`` for ``cls`` that reads its fields instead of being compiled for them. It does
    what the compiled one (:func:`_make_init`) does; a call that one would refuse (an unknown or
    missing argument, too many) is handed to it, so that it raises its own ``TypeError``."""
    fields = cls.__pipec_fields__
    at = {f.name: i for i, f in enumerate(f for f in fields if not f.kw_only)}
    known = frozenset(f.name for f in fields)
    setattr_ = object.__setattr__

    def __init__(self, *args, **kwargs):
        values = []
        if len(args) <= len(at) and known.issuperset(kwargs):
            for f in fields:
                i = at.get(f.name)
                if i is not None and i < len(args):
                    if f.name in kwargs:
                        break  # given twice
                    value = args[i]
                elif f.name in kwargs:
                    value = kwargs[f.name]
                elif f.factory is not None:
                    value = NOTHING
                elif f.default is not NOTHING:
                    value = f.default
                else:
                    break  # missing
                if value is NOTHING and f.factory is not None:
                    value = f.factory()
                values.append(value)
        if len(values) < len(fields):
            return _make_init(cls)(self, *args, **kwargs)
        for f, value in zip(fields, values):
            setattr_(self, f.name, value)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def slot_setter(cls, name: str):
    """What ``object.__setattr__(obj, name, value)`` calls for an instance of ``cls``: the
    ``__set__`` of the slot's descriptor (the first in the class's order that defines ``name``),
    called without the lookup by name; None when that is not a slot (an ordinary setattr then)."""
    for k in cls.__mro__:
        if name in k.__dict__:
            found = k.__dict__[name]
            return found.__set__ if type(found).__name__ == "member_descriptor" else None
    return None


def _make_init(cls):
    """``def __init__(self, a, b=<default>, *, span=None)``, each argument stored in its slot
    (through the slot's descriptor, :func:`slot_setter`: nearly twice as fast as
    ``object.__setattr__``, which looks the slot up by name on every call)."""
    names = {"NOTHING": NOTHING, "_setattr": object.__setattr__}
    positional, keyword, lines = [], [], []
    annotations = {}
    for f in cls.__pipec_fields__:
        arg = f.name
        if f.factory is not None:
            names[f"_factory_{arg}"] = f.factory
            param = f"{arg}=NOTHING"
            lines.append(f"    if {arg} is NOTHING:\n        {arg} = _factory_{arg}()")
        elif f.default is not NOTHING:
            names[f"_default_{arg}"] = f.default
            param = f"{arg}=_default_{arg}"
        else:
            param = arg
        (keyword if f.kw_only else positional).append(param)
        setter = slot_setter(cls, arg)
        if setter is None:
            lines.append(f"    _setattr(self, {arg!r}, {arg})")
        else:
            names[f"_set_{arg}"] = setter
            lines.append(f"    _set_{arg}(self, {arg})")
        if f.type is not None:
            annotations[arg] = f.type
    params = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({params}):\n" + ("\n".join(lines) or "    pass") + "\n"
    code = compile(source, f"<pipec.node __init__ of {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, names)
    init = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {**annotations, "return": "None"}
    return init


def has(cls) -> bool:
    """Whether ``cls`` is a :func:`node` class."""
    return isinstance(cls, type) and "__pipec_fields__" in cls.__dict__


def fields(cls) -> tuple[Field, ...]:
    """The fields of a :func:`node` class, in ``__init__`` order (inherited ones first)."""
    if not isinstance(cls, type):
        raise TypeError("fields() takes a class")
    if not has(cls):
        raise TypeError(f"{cls.__qualname__} is not a pipec.node class")
    return cls.__pipec_fields__


def evolve(inst, **changes):
    """A copy of ``inst`` with ``changes`` (field names to new values); an unknown name is a
    ``TypeError``, as calling the class with it would be."""
    cls = inst.__class__
    args, kwargs = [], {}
    for f in fields(cls):
        value = changes.pop(f.name) if f.name in changes else getattr(inst, f.name)
        if f.kw_only:
            kwargs[f.name] = value
        else:
            args.append(value)
    if changes:
        raise TypeError(f"{cls.__qualname__} has no field {', '.join(map(repr, changes))}")
    return cls(*args, **kwargs)
