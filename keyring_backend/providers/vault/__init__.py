"""`${vault:PATH#FIELD}`: a field of a Vault / OpenBao KV secret (v1 or v2) through hvac.

- connection.py -- where and as whom to ask: settings, then VAULT_* of the environment
  passed in (never `os.environ`), every value checked before any request;
- client.py     -- one login per identity and one read per secret per process, and one
  clear line for every failure;
- session.py    -- the requests session hvac talks through: `timeout` bounds the whole
  operation (login and reads) even against a server that answers one byte a second
  (keyring_backend/deadline.py), and no redirect leaves Vault's origin.

Importing this package imports neither hvac nor requests: every pip and poetry process
loads the keyring backend, and most never ask Vault.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ...errors import ProviderUnavailable, UnresolvedReference
from .connection import AUTH_METHODS, Connection, connection_for

if TYPE_CHECKING:
    from ...references import Reference
    from .. import ResolveContext

__all__ = ["AUTH_METHODS", "Connection", "connection_for", "reset_cache", "resolve"]


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    prefix = f"{ctx.where}: {ref.display}"
    try:
        import hvac  # noqa: F401  (only to fail early with the fix)
    except ImportError:
        raise ProviderUnavailable(
            f"{prefix}: hvac is not installed; install private-packages[vault]") from None
    conn = connection_for(ref, ctx)
    from .client import LOCK, read_secret

    with LOCK:
        data = read_secret(conn, ref.target, prefix)
    if data is None:
        raise UnresolvedReference(f"{prefix}: no secret at {ref.target} on Vault at {conn.addr}")
    return _field(data, ref.field or "", prefix, ref.target)


def reset_cache() -> None:
    """Forget every client, mount, secret and failure (tests; a long-lived process after a
    rotation). Nothing to forget before the first read."""
    client = sys.modules.get(f"{__name__}.client")
    if client is not None:
        client.reset_cache()


def _field(data: dict[str, Any], name: str, prefix: str, path: str) -> str:
    if name not in data:
        names = ", ".join(sorted(data)) or "(none)"
        raise UnresolvedReference(
            f"{prefix}: the secret at {path} has no field '{name}'; its fields are: {names}")
    value = data[name]
    if isinstance(value, (dict, list)):
        raise UnresolvedReference(f"{prefix}: field '{name}' of {path} is not text")
    if isinstance(value, bool):
        value = "true" if value else "false"
    text = "" if value is None else str(value)
    if not text:
        raise UnresolvedReference(f"{prefix}: field '{name}' of {path} is empty")
    return text
