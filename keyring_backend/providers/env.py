"""`${NAME}` / `${env:NAME}`: an environment variable, with `:-fallback` and `:?message`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UnresolvedReference
from ..selectors import select

if TYPE_CHECKING:
    from ..references import Reference
    from . import ResolveContext


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    raw = ctx.env.get(ref.target)
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
