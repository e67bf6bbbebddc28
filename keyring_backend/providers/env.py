"""`${NAME}` / `${env:NAME}`: an environment variable, with `:-fallback` and `:?message`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import BrokenSecret, UnresolvedReference
from ..selectors import select

if TYPE_CHECKING:
    from ..references import Reference
    from . import ResolveContext


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    raw = ctx.env.get(ref.target)
    if raw and not raw.isascii() and not _is_text(raw):
        raise BrokenSecret(
            f"{ctx.where}: environment variable {ref.target} holds bytes that are not UTF-8 "
            f"text (needed by {ref.display}); set it from the secret again")
    value = select(raw, ref, ctx.where) if raw else ""
    if value:
        return value
    if ref.fallback is not None:
        return ref.fallback
    state = "is not set" if raw is None else "is empty"
    if ref.message is not None:
        raise UnresolvedReference(f"{ctx.where}: {ref.display} {state}: {ref.message}")
    raise UnresolvedReference(
        f"{ctx.where}: environment variable {ref.target} {state} (needed by {ref.display}); "
        f"export it, or write ${{{ref.target}:-fallback}} for an optional value"
    )


def _is_text(value: str) -> bool:
    """False for a value holding bytes that were not UTF-8: Python keeps them in
    `os.environ` as lone surrogates (PEP 383), which no file, URL or header can carry."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
