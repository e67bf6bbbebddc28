"""A string that redacts itself everywhere except through `reveal()`.

Modelled on pip's `HiddenText` and uv-auth's `Password`: `repr`, `str`, `format` and
f-strings all show `****`, so a secret that reaches a log line or an exception by mistake
does not leak. Reading the value takes the deliberately named `reveal()`.
"""

from __future__ import annotations

MASK = "****"


class Secret:
    """An opaque secret value; compare with `==`, read with `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself: call this only where the value leaves for its server."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the value to wherever the pickle goes (a cache, a queue).
        raise TypeError("a Secret cannot be pickled")
