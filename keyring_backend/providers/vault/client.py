"""Talking to Vault: one login per identity, one read per secret, and one clear line for
every way that can fail.

Clients, mounts and secret data are cached per process behind one lock (held across the
network calls on purpose: two threads asking for one secret still cost one login and one
read). The mount and its KV version come from one `GET /v1/sys/internal/ui/mounts/PATH`, as
the vault CLI does, so `secret/ci/pypi` and `secret/data/ci/pypi` name the same v2 secret.
A Vault that could not be reached, or ran out of time, is remembered for the process, so
the next reference fails at once instead of waiting out another deadline.

Messages name the path, the address and the auth method -- never a token, a secret id, an
id token or a value -- and hvac's and requests' exceptions are not chained: their text can
echo request data.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional
from urllib.parse import quote

from ...deadline import Deadline
from ...errors import PermissionDenied, PrivatePackagesError, ProviderUnavailable
from .connection import Connection

LOCK = threading.Lock()
_CLIENTS: dict[tuple[str, str, str], Any] = {}
_MOUNTS: dict[tuple[str, str], dict[str, int]] = {}  # (addr, namespace) -> {mount: version}
_SECRETS: dict[tuple[str, str, str, str, int], dict[str, Any]] = {}  # addr ns mount path kv
_ALIASES: dict[tuple[str, str, str], tuple[str, str, str, str, int]] = {}  # path as written
_UNREACHABLE: dict[tuple[str, str], str] = {}  # (addr, namespace) -> why, for this process


def reset_cache() -> None:
    """Forget every client, mount, secret and failure (tests; a long-lived process after a
    rotation)."""
    with LOCK:
        for client in _CLIENTS.values():
            client.adapter.close()
        _CLIENTS.clear()
        _MOUNTS.clear()
        _SECRETS.clear()
        _ALIASES.clear()
        _UNREACHABLE.clear()


def read_secret(conn: Connection, path: str, prefix: str) -> Optional[dict[str, Any]]:
    """The data of the secret at `path` (None when there is none): the login if this
    identity has no client yet, then the reads, all within `conn.timeout` seconds. Call
    with `LOCK` held."""
    known = _UNREACHABLE.get((conn.addr, conn.namespace))
    if known is not None:  # failed before in this process: no second wait
        raise ProviderUnavailable(f"{prefix}: {known}")
    alias = (conn.addr, conn.namespace, path)
    if alias in _ALIASES:
        return _SECRETS[_ALIASES[alias]]
    with Deadline(conn.timeout) as deadline:
        client = _client(conn, prefix, deadline)
        with _translated(prefix, conn, path, deadline):
            return _secret(client, conn, path)


def _client(conn: Connection, prefix: str, deadline: Deadline) -> Any:
    client = _CLIENTS.get(conn.cache_key)
    if client is not None:
        return client
    import hvac

    from .session import new_session

    # An explicit token ("" for a login) and verify keep hvac from reading os.environ and
    # ~/.vault-token behind our back; the session makes every request honour the deadline.
    client = hvac.Client(
        url=conn.addr,
        token=conn.credentials[0] if conn.method == "token" else "",
        verify=conn.cacert or True,
        timeout=conn.timeout,
        namespace=conn.namespace or None,
        session=new_session(conn.cacert or True),
    )
    if conn.method != "token":
        names = ("role_id", "secret_id") if conn.method == "approle" else ("role", "jwt")
        body = dict(zip(names, conn.credentials))
        try:
            with _translated(prefix, conn, "", deadline, login=True):
                answer = client.adapter.post(f"/v1/auth/{conn.login_mount}/login", json=body)
        except PrivatePackagesError:
            client.adapter.close()
            raise
        auth = answer.get("auth") if isinstance(answer, dict) else None
        token = auth.get("client_token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            client.adapter.close()
            raise PermissionDenied(f"{prefix}: {_login_failed(conn)}")
        client.token = token
    _CLIENTS[conn.cache_key] = client
    return client


def _secret(client: Any, conn: Connection, path: str) -> Optional[dict[str, Any]]:
    """The data of the secret at `path`, from the cache or from one read."""
    import hvac.exceptions as hx

    alias = (conn.addr, conn.namespace, path)
    if alias in _ALIASES:
        return _SECRETS[_ALIASES[alias]]
    located = _mount(client, conn, path)
    if located is not None:
        candidates = [_api_path(path, *located)]
    else:  # no preflight answer (an old server, a narrow policy): try v2, then v1
        head, _, rest = path.partition("/")
        candidates = [_api_path(path, head, 2)] if rest else []
        candidates.append(_api_path(path, head if rest else "", 1))
    denied = None
    for key, api_path, version in candidates:
        cache_key = (conn.addr, conn.namespace, *key, version)
        if cache_key in _SECRETS:  # the other spelling of a v2 path was read already
            _ALIASES[alias] = cache_key
            return _SECRETS[cache_key]
        try:
            answer = client.adapter.get(_url(api_path))
        except hx.InvalidPath:
            continue
        except hx.Forbidden as exc:
            denied = denied or exc
            continue
        data = answer.get("data") if isinstance(answer, dict) else None
        if version == 2 and isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, dict):
            _SECRETS[cache_key] = data
            _ALIASES[alias] = cache_key
            return data
    if denied is not None:
        raise denied
    return None


def _mount(client: Any, conn: Connection, path: str) -> Optional[tuple[str, int]]:
    import hvac.exceptions as hx

    known = _MOUNTS.setdefault((conn.addr, conn.namespace), {})
    for mount, version in known.items():
        if path == mount or path.startswith(mount + "/"):
            return mount, version
    try:
        answer = client.adapter.get(_url(f"sys/internal/ui/mounts/{path}"))
    except (hx.Forbidden, hx.InvalidPath, hx.InvalidRequest):
        return None
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("path"), str):
        return None
    options = data.get("options") or {}
    version = 2 if data.get("type") == "kv" and str(options.get("version")) == "2" else 1
    known[data["path"].strip("/")] = version
    return data["path"].strip("/"), version


def _url(api_path: str) -> str:
    # A path may hold `#`, `?` or spaces: unquoted, requests would read a different secret.
    return "/v1/" + quote(api_path, safe="/")


def _api_path(path: str, mount: str, version: int) -> tuple[tuple[str, str], str, int]:
    """((mount, path in mount), the path to GET, the KV version)."""
    inner = path[len(mount):].lstrip("/") if mount else path
    if version == 2:
        inner = inner[len("data/"):] if inner.startswith("data/") else inner
        return (mount, inner), f"{mount}/data/{inner}", 2
    return (mount, inner), path, 1


@contextmanager
def _translated(prefix: str, conn: Connection, path: str, deadline: Deadline,
                login: bool = False) -> Iterator[None]:
    """Turn hvac and requests exceptions into one clear line without their text."""
    try:
        yield
    except PrivatePackagesError:
        raise
    except Exception as exc:  # noqa: BLE001 -- every failure becomes one line, no traceback
        raise _translate(exc, prefix, conn, path, deadline, login) from None


def _translate(exc: Exception, prefix: str, conn: Connection, path: str,
               deadline: Deadline, login: bool) -> PrivatePackagesError:
    import hvac.exceptions as hx

    why = _why_redirected(exc, conn) or _why_unreachable(exc, conn, deadline)
    if why is not None:
        return _unreachable(prefix, conn, why)
    at = f"Vault at {conn.addr}"
    if not isinstance(exc, hx.VaultError):
        return ProviderUnavailable(f"{prefix}: {at} sent an answer that could not be read "
                                   f"({type(exc).__name__})")
    if login:
        return PermissionDenied(f"{prefix}: {_login_failed(conn)}")
    if isinstance(exc, hx.Forbidden):
        return PermissionDenied(f"{prefix}: permission denied reading {path} from {at} "
                                f"(auth: {conn.method}); check the token's policy")
    return ProviderUnavailable(f"{prefix}: {at} failed reading {path} ({type(exc).__name__})")


def _why_redirected(exc: Exception, conn: Connection) -> Optional[str]:
    """Why a redirect was not followed (session.py), or None."""
    import requests.exceptions as rx

    from .session import MAX_REDIRECTS, RedirectRefused

    at = f"Vault at {conn.addr}"
    if isinstance(exc, RedirectRefused):
        return (f"{at} redirected to {exc.target}; not followed, since a Vault token, "
                "secret id or id token goes only to the origin of the address you gave (if "
                "that is your Vault's address, set VAULT_ADDR or addr to it)")
    if isinstance(exc, rx.TooManyRedirects):
        return f"{at} redirected more than {MAX_REDIRECTS} times"
    return None


def _why_unreachable(exc: Exception, conn: Connection, deadline: Deadline) -> Optional[str]:
    """Why Vault could not be asked at all, or None for an answer it gave."""
    import hvac.exceptions as hx
    import requests.exceptions as rx

    at = f"Vault at {conn.addr}"
    if deadline.passed:  # whatever broke, it broke because the watchdog cut it short
        return (f"{at} did not answer within {conn.timeout:g} s (login and read together: "
                "the Vault timeout)")
    if isinstance(exc, rx.Timeout):
        return f"{at} did not answer within {conn.timeout:g} s"
    if isinstance(exc, rx.SSLError):
        return (f"TLS verification failed for {at}; set VAULT_CACERT or "
                "[tool.private-packages.vault] cacert")
    if isinstance(exc, OSError):  # requests' ConnectionError and kin: refused, DNS, reset...
        return f"cannot reach {at}"
    if isinstance(exc, (hx.VaultDown, hx.VaultNotInitialized)):
        return f"{at} is sealed or not ready; ask its operators to unseal it"
    return None


def _unreachable(prefix: str, conn: Connection, why: str) -> ProviderUnavailable:
    """The error for a Vault that could not be reached or ran out of time, remembered for
    the process; its client (connections shut or half-read) is dropped."""
    _UNREACHABLE[(conn.addr, conn.namespace)] = why
    stale = _CLIENTS.pop(conn.cache_key, None)
    if stale is not None:
        stale.adapter.close()
    return ProviderUnavailable(f"{prefix}: {why}")


def _login_failed(conn: Connection) -> str:
    return (f"{conn.method} login at auth/{conn.login_mount} on Vault at {conn.addr} failed; "
            f"check the {conn.method} role and credentials")
