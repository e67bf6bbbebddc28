"""`record` and `field`: the part of `dataclasses` this project uses, without its start-up
cost.

Every pip and poetry process imports the keyring backend, and `pip-private` sits in front
of every pip run. `import dataclasses` costs about 15 ms (it pulls in `inspect`, `ast`,
`dis`, `tokenize`...) and each `@dataclass` about 0.6 ms more, because it writes its methods
as source and `exec`s them: some 25 ms of pip-private's start-up for 16 small classes.
Here `__init__`, `__eq__` and `__hash__` are one small generated source per class and
`__repr__` is generic: defining a class costs about 0.1 ms, and the methods run as fast as
a dataclass's (creating frozen instances faster).

Supported, with the same behaviour as `dataclasses.dataclass`: `frozen`, defaults,
`field(default=..., default_factory=..., repr=..., compare=...)`, positional and keyword
arguments, `__eq__` over the fields with `compare=True` (same class only), `__hash__` over
the same for frozen records (None, so unhashable, for mutable ones) and `__repr__` over the
fields with `repr=True`. Nothing else
(no ordering, `__post_init__`, `replace` or inheritance between records). mypy checks the
classes as real dataclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

__all__ = ["field", "record"]

if TYPE_CHECKING:
    from dataclasses import dataclass as record
    from dataclasses import field
else:
    _MISSING = object()

    class FrozenInstanceError(AttributeError):
        """Assigning to a field of a frozen record (as dataclasses raises it)."""

    class _Field:
        __slots__ = ("compare", "default", "factory", "repr")

        def __init__(self, default: Any, factory: Any, repr: bool, compare: bool) -> None:
            self.default, self.factory, self.repr = default, factory, repr
            self.compare = compare

    def field(*, default: Any = _MISSING, default_factory: Any = _MISSING,
              repr: bool = True, compare: bool = True) -> Any:
        return _Field(default, default_factory, repr, compare)

    def record(cls: Optional[type] = None, /, *, frozen: bool = False) -> Any:
        def wrap(klass: type) -> type:
            return _make(klass, frozen)

        return wrap if cls is None else wrap(cls)

    def _make(klass: type, frozen: bool) -> type:
        # The class's own annotations (no inheritance between records): `inspect` is the
        # import this module exists to avoid. Python 3.14 (PEP 649) builds them lazily, and
        # only the attribute access asks for them.
        own = klass.__dict__.get("__annotations__")  # noqa: RUF063
        names = tuple(own if own is not None else getattr(klass, "__annotations__", {}))
        if not names:
            raise TypeError(f"@record class {klass.__qualname__} declares no fields")
        specs: dict[str, _Field] = {}
        for name in names:
            value = klass.__dict__.get(name, _MISSING)
            spec = value if isinstance(value, _Field) else _Field(value, _MISSING, True, True)
            specs[name] = spec
            if spec.default is _MISSING:
                if name in klass.__dict__:
                    delattr(klass, name)
            else:
                setattr(klass, name, spec.default)
        shown = tuple(name for name in names if specs[name].repr)
        compared = tuple(name for name in names if specs[name].compare)
        methods = _methods(klass, names, specs, compared, frozen)
        klass.__init__ = methods["__init__"]
        klass.__repr__ = lambda self: f"{type(self).__qualname__}(" + ", ".join(
            f"{name}={getattr(self, name)!r}" for name in shown) + ")"
        klass.__eq__ = methods["__eq__"]
        if frozen:
            klass.__hash__ = methods["__hash__"]
            klass.__setattr__ = _refuse
            klass.__delattr__ = _refuse
        else:
            klass.__hash__ = None
        return klass

    def _methods(klass: type, names: tuple[str, ...], specs: dict[str, _Field],
                 compared: tuple[str, ...], frozen: bool) -> dict[str, Callable[..., Any]]:
        # `__init__`, `__eq__` and `__hash__` as one small generated source per class, as
        # dataclasses does, so they cost what hand-written ones cost (rendering creates and
        # hashes thousands); compiling it takes ~0.1 ms, not dataclasses' ~0.6.
        scope: dict[str, Any] = {"_set": object.__setattr__, "_MISSING": _MISSING}
        params, body = [], []
        for name in names:
            spec = specs[name]
            if spec.default is not _MISSING:
                scope[f"_d_{name}"] = spec.default
                params.append(f"{name}=_d_{name}")
            elif spec.factory is not _MISSING:
                scope[f"_f_{name}"] = spec.factory
                params.append(f"{name}=_MISSING")
                body.append(f"  if {name} is _MISSING: {name} = _f_{name}()")
            else:
                params.append(name)
            body.append(f"  _set(self, {name!r}, {name})" if frozen else
                        f"  self.{name} = {name}")
        mine = "(" + "".join(f"self.{n}," for n in compared) + ")"
        theirs = "(" + "".join(f"other.{n}," for n in compared) + ")"
        source = "\n".join([
            f"def __init__(self, {', '.join(params)}):", *(body or ["  pass"]),
            "def __eq__(self, other):",
            "  if other.__class__ is not self.__class__: return NotImplemented",
            f"  return {mine} == {theirs}",
            "def __hash__(self):",
            f"  return hash({mine})"])
        exec(source, scope)  # noqa: S102 -- our own field names, checked by the class body
        for method in ("__init__", "__eq__", "__hash__"):
            scope[method].__qualname__ = f"{klass.__qualname__}.{method}"
        return {m: scope[m] for m in ("__init__", "__eq__", "__hash__")}

    def _refuse(self: Any, name: str, *value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
