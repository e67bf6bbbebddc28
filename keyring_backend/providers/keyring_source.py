"""`${keyring:SERVICE#USERNAME}`: a password from the *other* keyring backends.

Our own backend and keyring's chainer are skipped, and a thread-local guard stops any
backend that chains back into keyring from recursing into us (`is_resolving`). The same
guard lets a caller ask keyring while our backend stays silent (`others_only`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import ProviderUnavailable, UnresolvedReference

if TYPE_CHECKING:
    from ..references import Reference
    from . import ResolveContext

_state = threading.local()


def is_resolving() -> bool:
    """True while this thread is asking the other backends (our backend then answers None)."""
    return bool(getattr(_state, "active", False))


@contextmanager
def others_only() -> Iterator[None]:
    """Within it, this thread's keyring lookups reach the other backends only: ours answers
    None (poetry export must not write a value our backend would give)."""
    before = is_resolving()
    _state.active = True
    try:
        yield
    finally:
        _state.active = before


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    import keyring.backend
    from keyring.backends.chainer import ChainerBackend

    from ..backend import PrivatePackagesKeyring

    others = sorted(
        (
            kr
            for kr in keyring.backend.get_all_keyring()
            if not isinstance(kr, (PrivatePackagesKeyring, ChainerBackend)) and kr.priority > 0
        ),
        key=keyring.backend.by_priority,
        reverse=True,
    )
    failures: list[str] = []
    with others_only():
        for backend in others:
            try:
                password = backend.get_password(ref.target, ref.username or "")
            except Exception as exc:  # a broken backend must not hide the others  # noqa: BLE001
                failures.append(f"{backend.name} ({type(exc).__name__})")
                continue
            if password:
                return password
    if not others:
        raise ProviderUnavailable(
            f"{ctx.where}: {ref.display}: no keyring backend besides private-packages is "
            "available (headless machine?); use an env or file reference there"
        )
    detail = f"; failed: {', '.join(failures)}" if failures else ""
    raise UnresolvedReference(
        f"{ctx.where}: {ref.display}: no password for that service and user in "
        f"{', '.join(b.name for b in others)}{detail}; store one with "
        f"`keyring set '{ref.target}' '{ref.username}'`"
    )
