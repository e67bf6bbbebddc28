"""`${vault:PATH#FIELD}`: a field of a Vault / OpenBao KV secret (v1 or v2) through hvac.

One login per (address, namespace, identity) and one read per secret per process: clients,
mounts and secret data are cached here behind one lock, so twenty references to one secret
cost one request. The mount and its KV version come from one
`GET /v1/sys/internal/ui/mounts/PATH`, as the vault CLI does, so `secret/ci/pypi` and
`secret/data/ci/pypi` name the same v2 secret.

Settings fall back to VAULT_* variables of the environment passed in, never `os.environ`.
Messages name the reference, the path, the address and the auth method -- never a token, a
secret id, an id token or a value -- and hvac's exceptions are not chained: their text can
echo request data.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

from ..errors import ConfigError, PermissionDenied, ProviderUnavailable, UnresolvedReference
from ..records import field, record

if TYPE_CHECKING:
    from ..references import Reference
    from . import ResolveContext

AUTH_METHODS = ("token", "approle", "jwt")
_NEEDS = {  # what each auth method reads from the environment, in the order they are guessed
    "token": "VAULT_TOKEN (or write ~/.vault-token with `vault login`)",
    "approle": "VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole",
    "jwt": "{jwt_env} (the CI id token) and VAULT_ROLE for JWT",
}

# Held across the network calls on purpose: two threads asking for one secret must still
# cost one login and one read.
_LOCK = threading.Lock()
_CLIENTS: dict[tuple[str, str, str], Any] = {}
_MOUNTS: dict[tuple[str, str], dict[str, int]] = {}  # (addr, namespace) -> {mount: version}
_SECRETS: dict[tuple[str, str, str, str, int], dict[str, Any]] = {}  # addr ns mount path kv
_ALIASES: dict[tuple[str, str, str], tuple[str, str, str, str, int]] = {}  # path as written


@record(frozen=True)
class Connection:
    """Where and as whom to ask; `credentials` never shows in a repr."""

    addr: str
    namespace: str
    cacert: Optional[str]
    timeout: float
    method: str  # token | approle | jwt
    login_mount: str
    credentials: tuple[str, ...] = field(repr=False)  # (token,) (role_id, secret_id) (role, jwt)

    @property
    def cache_key(self) -> tuple[str, str, str]:
        identity = "\0".join((self.method, self.login_mount, *self.credentials))
        return self.addr, self.namespace, hashlib.sha256(identity.encode()).hexdigest()


def reset_cache() -> None:
    """Forget every client, mount and secret (tests; a long-lived process after a rotation)."""
    with _LOCK:
        for client in _CLIENTS.values():
            client.adapter.close()
        _CLIENTS.clear()
        _MOUNTS.clear()
        _SECRETS.clear()
        _ALIASES.clear()


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    prefix = f"{ctx.where}: {ref.display}"
    try:
        import hvac  # noqa: F401  (only to fail early with the fix)
    except ImportError:
        raise ProviderUnavailable(
            f"{prefix}: hvac is not installed; install private-packages[vault]") from None
    conn = connection_for(ref, ctx)
    path = ref.target
    with _LOCK:
        client = _client(conn, prefix)
        with _translated(prefix, conn, path):
            data = _secret(client, conn, path)
    if data is None:
        raise UnresolvedReference(f"{prefix}: no secret at {path} on Vault at {conn.addr}")
    return _field(data, ref.field or "", prefix, path)


def connection_for(ref: Reference, ctx: ResolveContext) -> Connection:
    """Settings first, then VAULT_* from `ctx.env`; the auth method is guessed when unset."""
    prefix = f"{ctx.where}: {ref.display}"
    s, env = ctx.settings.vault, ctx.env
    addr = (s.addr or env.get("VAULT_ADDR") or "").rstrip("/")
    if not addr:
        raise ConfigError(
            f"{prefix}: no Vault address; set VAULT_ADDR or [tool.private-packages.vault] addr")
    if not addr.startswith(("http://", "https://")):
        raise ConfigError(f"{prefix}: the Vault address {addr} must start with https://")
    method = s.auth or _guess_method(env, s.role or env.get("VAULT_ROLE"), env.get(s.jwt_env))
    if method not in AUTH_METHODS:
        raise ConfigError(f"{prefix}: unknown Vault auth method {method!r}; use one of "
                          + ", ".join(AUTH_METHODS))
    if method == "token":
        credentials: tuple[str, ...] = (env.get("VAULT_TOKEN") or _token_file(env),)
    elif method == "approle":
        credentials = (env.get("VAULT_ROLE_ID", ""), env.get("VAULT_SECRET_ID", ""))
    else:
        credentials = (s.role or env.get("VAULT_ROLE", ""), env.get(s.jwt_env, ""))
    if not all(credentials):
        needs = {m: text.format(jwt_env=s.jwt_env) for m, text in _NEEDS.items()}
        if s.auth is None:
            raise UnresolvedReference(
                f"{prefix}: no Vault credentials; set " + "; or ".join(needs.values()))
        raise UnresolvedReference(f"{prefix}: Vault auth is {method!r}; set {needs[method]}")
    return Connection(
        addr=addr,
        namespace=s.namespace or env.get("VAULT_NAMESPACE") or "",
        cacert=s.cacert or env.get("VAULT_CACERT") or None,
        timeout=s.timeout,
        method=method,
        login_mount=(s.mount or ("" if method == "token" else method)).strip("/"),
        credentials=credentials,
    )


def _guess_method(env: Mapping[str, str], role: Optional[str], id_token: Optional[str]) -> str:
    if env.get("VAULT_TOKEN"):
        return "token"
    if env.get("VAULT_ROLE_ID") and env.get("VAULT_SECRET_ID"):
        return "approle"
    if role and id_token:
        return "jwt"
    return "token"  # ~/.vault-token, else the error that lists every option


def _token_file(env: Mapping[str, str]) -> str:
    """The token `vault login` leaves in ~/.vault-token, HOME taken from the env passed in."""
    try:
        home = Path(env["HOME"]) if env.get("HOME") else Path.home()
        return (home / ".vault-token").read_text(encoding="utf-8").strip()
    except (OSError, RuntimeError, UnicodeDecodeError):
        return ""


def _client(conn: Connection, prefix: str) -> Any:
    client = _CLIENTS.get(conn.cache_key)
    if client is not None:
        return client
    import hvac

    # An explicit token ("" for a login) and verify keep hvac from reading os.environ and
    # ~/.vault-token behind our back.
    client = hvac.Client(
        url=conn.addr,
        token=conn.credentials[0] if conn.method == "token" else "",
        verify=conn.cacert or True,
        timeout=conn.timeout,
        namespace=conn.namespace or None,
    )
    if conn.method != "token":
        names = ("role_id", "secret_id") if conn.method == "approle" else ("role", "jwt")
        body = dict(zip(names, conn.credentials))
        with _translated(prefix, conn, "", login=True):
            answer = client.adapter.post(f"/v1/auth/{conn.login_mount}/login", json=body)
        auth = answer.get("auth") if isinstance(answer, dict) else None
        token = auth.get("client_token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
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
def _translated(prefix: str, conn: Connection, path: str, login: bool = False) -> Iterator[None]:
    """Turn hvac and requests exceptions into one clear line without their text."""
    import hvac.exceptions as hx
    import requests.exceptions as rx

    at = f"Vault at {conn.addr}"
    try:
        yield
    except rx.Timeout:
        raise ProviderUnavailable(
            f"{prefix}: {at} did not answer within {conn.timeout:g} s") from None
    except rx.SSLError:
        raise ProviderUnavailable(
            f"{prefix}: TLS verification failed for {at}; set VAULT_CACERT or "
            "[tool.private-packages.vault] cacert") from None
    except rx.RequestException:  # refused, DNS, reset...
        raise ProviderUnavailable(f"{prefix}: cannot reach {at}") from None
    except (hx.VaultDown, hx.VaultNotInitialized):
        raise ProviderUnavailable(
            f"{prefix}: {at} is sealed or not ready; ask its operators to unseal it") from None
    except hx.VaultError as exc:
        if login:
            raise PermissionDenied(f"{prefix}: {_login_failed(conn)}") from None
        if isinstance(exc, hx.Forbidden):
            raise PermissionDenied(
                f"{prefix}: permission denied reading {path} from {at} (auth: "
                f"{conn.method}); check the token's policy") from None
        raise ProviderUnavailable(
            f"{prefix}: {at} failed reading {path} ({type(exc).__name__})") from None


def _login_failed(conn: Connection) -> str:
    return (f"{conn.method} login at auth/{conn.login_mount} on Vault at {conn.addr} failed; "
            f"check the {conn.method} role and credentials")


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
