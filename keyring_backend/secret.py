"""A string that redacts itself everywhere except through `reveal()`.

Modelled on pip's `HiddenText` and uv-auth's `Password`: `repr`, `str`, `format` and
f-strings all show `****`, so a secret that reaches a log line or an exception by mistake
does not leak. Reading the value takes the deliberately named `reveal()`.
"""

from __future__ import annotations

from typing import Optional

MASK = "****"
# Forms shorter than this are not masked: masking "1" or "ab" would garble pip's output
# ("Collecting acme==1.0" -> "acme==****.0") and hide nothing, since no real credential is
# that short; base64 of even a 1-byte secret is 4 bytes, so that spelling still counts.
MIN_FORM_LENGTH = 4


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


def secret_forms(secret: str, username: Optional[str] = None) -> list[bytes]:
    """Every spelling of `secret` a tool might print, UTF-8 encoded, longest first.

    Raw; as our messages print it (control characters escaped: printable.py);
    percent-encoded as a whole value (`quote(safe="")`), as a path (`quote`) and as a
    form field (`quote_plus`); base64, standard and URL-safe; with `username`, also the
    base64 of `username:secret`, which is what an HTTP Basic `Authorization` header carries.
    Forms shorter than `MIN_FORM_LENGTH` bytes are left out (see there why).
    """
    import base64  # not at module level: every pip process imports this module
    from urllib.parse import quote, quote_plus

    from .printable import printable

    raw = secret.encode()
    forms = {
        raw,
        printable(secret).encode(),
        quote(secret, safe="").encode(),
        quote(secret).encode(),
        quote_plus(secret).encode(),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
    }
    if username is not None:
        forms.add(base64.b64encode(f"{username}:{secret}".encode()))
    return sorted((f for f in forms if len(f) >= MIN_FORM_LENGTH), key=lambda f: (-len(f), f))
