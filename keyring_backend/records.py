"""`record` and `field`: the part of `dataclasses` this project uses, without its start-up
cost.

Every pip and poetry process imports the keyring backend, and `pip-private` sits in front
of every pip run. `import dataclasses` costs about 15 ms (it pulls in `inspect`, `ast`,
`dis`, `tokenize`...) and each `@dataclass` about 0.6 ms more, because it writes its methods
as source and `exec`s them: some 25 ms of pip-private's start-up for 16 small classes. The
methods here are generic (written once, bound per class), so defining a class is nearly
free.

Supported, with the same behaviour as `dataclasses.dataclass`: `frozen`, defaults,
`field(default=..., default_factory=..., repr=..., compare=...)`, positional and keyword arguments,
`__eq__` over all fields (same class only), `__hash__` for frozen records (None, so
unhashable, for mutable ones) and `__repr__` over the fields with `repr=True`. Nothing else
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
        # import this module exists to avoid.
        names = tuple(klass.__dict__.get("__annotations__", {}))  # noqa: RUF063
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
        klass.__init__ = _init(klass, names, specs)
        klass.__repr__ = lambda self: f"{type(self).__qualname__}(" + ", ".join(
            f"{name}={getattr(self, name)!r}" for name in shown) + ")"
        klass.__eq__ = _eq(compared)
        if frozen:
            klass.__hash__ = lambda self: hash(tuple(getattr(self, n) for n in compared))
            klass.__setattr__ = _refuse
            klass.__delattr__ = _refuse
        else:
            klass.__hash__ = None
        return klass

    def _init(klass: type, names: tuple[str, ...], specs: dict[str, _Field]) -> Callable[..., None]:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) > len(names):
                raise TypeError(f"{klass.__qualname__}() takes {len(names)} arguments, "
                                f"{len(args)} given")
            values = dict(zip(names, args))
            for key, value in kwargs.items():
                if key not in specs or key in values:
                    problem = "unexpected" if key not in specs else "repeated"
                    raise TypeError(f"{klass.__qualname__}() got an {problem} argument {key!r}")
                values[key] = value
            for name in names:
                if name not in values:
                    spec = specs[name]
                    if spec.default is not _MISSING:
                        values[name] = spec.default
                    elif spec.factory is not _MISSING:
                        values[name] = spec.factory()
                    else:
                        raise TypeError(f"{klass.__qualname__}() missing argument {name!r}")
                object.__setattr__(self, name, values[name])

        return __init__

    def _eq(names: tuple[str, ...]) -> Callable[[Any, object], Any]:
        def __eq__(self: Any, other: object) -> Any:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in names)

        return __eq__

    def _refuse(self: Any, name: str, *value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
