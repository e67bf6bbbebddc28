"""Where and as whom to ask Vault: settings first, then VAULT_* of the environment passed in.

Every value is checked here, before any request, so that a wrong one is one clear line
rather than a traceback from deep inside requests: a setting of the wrong type (`addr = 5`,
`timeout = "abc"`), a CA bundle that does not exist, a token an HTTP header cannot carry
(requests would name its offending character and position: that is part of the token).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Optional

from ...errors import ConfigError, UnresolvedReference
from ...records import field, record

if TYPE_CHECKING:
    from ...references import Reference
    from .. import ResolveContext

AUTH_METHODS = ("token", "approle", "jwt")
_NEEDS = {  # what each auth method reads from the environment, in the order they are guessed
    "token": "VAULT_TOKEN (or write ~/.vault-token with `vault login`)",
    "approle": "VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole",
    "jwt": "{jwt_env} (the CI id token) and VAULT_ROLE for JWT",
}
_TEXT_KEYS = ("addr", "auth", "role", "mount", "jwt_env", "namespace", "cacert")


@record(frozen=True)
class Connection:
    """Where and as whom to ask; `credentials` never shows in a repr."""

    addr: str
    namespace: str
    cacert: Optional[str]
    timeout: float  # seconds for a whole operation: login and reads together
    method: str  # token | approle | jwt
    login_mount: str
    credentials: tuple[str, ...] = field(repr=False)  # (token,) (role_id, secret_id) (role, jwt)

    @property
    def cache_key(self) -> tuple[str, str, str]:
        identity = "\0".join((self.method, self.login_mount, *self.credentials))
        return self.addr, self.namespace, hashlib.sha256(identity.encode()).hexdigest()


def connection_for(ref: Reference, ctx: ResolveContext) -> Connection:
    """Settings first, then VAULT_* from `ctx.env`; the auth method is guessed when unset."""
    prefix = f"{ctx.where}: {ref.display}"
    s, env = ctx.settings.vault, ctx.env
    text = {key: _text(getattr(s, key), key, prefix) for key in _TEXT_KEYS}
    jwt_env = text["jwt_env"] or "VAULT_ID_TOKEN"
    addr = (text["addr"] or env.get("VAULT_ADDR") or "").rstrip("/")
    if not addr:
        raise ConfigError(
            f"{prefix}: no Vault address; set VAULT_ADDR or [tool.private-packages.vault] addr")
    if not addr.lower().startswith(("http://", "https://")):
        raise ConfigError(f"{prefix}: the Vault address {addr} must start with https://")
    role = text["role"] or env.get("VAULT_ROLE")
    method = text["auth"] or _guess_method(env, role, env.get(jwt_env))
    if method not in AUTH_METHODS:
        raise ConfigError(f"{prefix}: unknown Vault auth method {method!r}; use one of "
                          + ", ".join(AUTH_METHODS))
    if method == "token":
        token, origin = (env["VAULT_TOKEN"], "VAULT_TOKEN") if env.get("VAULT_TOKEN") else \
            (_token_file(env, prefix), "~/.vault-token")
        _check_header(token, origin, prefix)
        credentials: tuple[str, ...] = (token,)
    elif method == "approle":
        credentials = (env.get("VAULT_ROLE_ID", ""), env.get("VAULT_SECRET_ID", ""))
    else:
        credentials = (role or "", env.get(jwt_env, ""))
    if not all(credentials):
        needs = {m: need.format(jwt_env=jwt_env) for m, need in _NEEDS.items()}
        if text["auth"] is None:
            raise UnresolvedReference(
                f"{prefix}: no Vault credentials; set " + "; or ".join(needs.values()))
        raise UnresolvedReference(f"{prefix}: Vault auth is {method!r}; set {needs[method]}")
    namespace = text["namespace"] or env.get("VAULT_NAMESPACE") or ""
    _check_header(namespace, "the Vault namespace", prefix)
    cacert = _cacert(text["cacert"], env, addr, prefix)
    return Connection(
        addr=addr,
        namespace=namespace,
        cacert=cacert,
        timeout=_timeout(s.timeout, prefix),
        method=method,
        login_mount=(text["mount"] or ("" if method == "token" else method)).strip("/"),
        credentials=credentials,
    )


def _text(value: object, key: str, prefix: str) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value or None
    raise ConfigError(f"{prefix}: Vault setting {key} must be a string, not "
                      f"{type(value).__name__}")


def _timeout(value: object, prefix: str) -> float:
    if isinstance(value, str):
        from ...config import parse_duration

        with suppress(ConfigError):  # the line below says what is wrong, with the reference
            value = parse_duration(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) and value > 0:
        return float(value)
    raise ConfigError(f"{prefix}: Vault setting timeout must be a positive number of "
                      f"seconds (or 30s, 2m), not {type(value).__name__} {value!r:.20}")


def _check_header(value: str, origin: str, prefix: str) -> None:
    """requests sends these as headers, latin-1 encoded; on a character it cannot send, its
    error quotes the character and its position -- part of a secret. Say which setting,
    never what is in it."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        ok = False
    else:
        ok = not value[:1].isspace() and not any(ord(c) < 32 or ord(c) == 127 for c in value)
    if not ok:
        raise ConfigError(f"{prefix}: {origin} holds a character an HTTP header cannot carry "
                          "(a Vault token is latin-1 text without spaces in front or line "
                          "breaks); check how it was set")


def _cacert(configured: Optional[str], env: Mapping[str, str], addr: str,
            prefix: str) -> Optional[str]:
    origin = "[tool.private-packages.vault] cacert" if configured else "VAULT_CACERT"
    cacert = configured or env.get("VAULT_CACERT") or None
    # Only https reads it: a VAULT_CACERT left for another server does not stop an http one.
    if cacert is not None and addr.lower().startswith("https://") and \
            not os.path.exists(cacert):
        raise ConfigError(f"{prefix}: the CA bundle {cacert} ({origin}) does not exist; "
                          "point it at the PEM file of the CA that signed Vault's certificate")
    return cacert


def _guess_method(env: Mapping[str, str], role: Optional[str], id_token: Optional[str]) -> str:
    if env.get("VAULT_TOKEN"):
        return "token"
    if env.get("VAULT_ROLE_ID") and env.get("VAULT_SECRET_ID"):
        return "approle"
    if role and id_token:
        return "jwt"
    return "token"  # ~/.vault-token, else the error that lists every option


def _token_file(env: Mapping[str, str], prefix: str) -> str:
    """The token `vault login` leaves in ~/.vault-token, the home taken from the env passed
    in (user_dirs.py: never a relative HOME, which would name a project's file); "" when
    there is none. A regular file of at most 1 MiB only (regular_files.py): a FIFO left
    there by a wrapper that died would block every lookup before any deadline starts, and a
    link to /dev/zero would read until memory runs out."""
    from ...regular_files import SECRET_FILE_LIMIT, UnreadableFile, read_regular_file
    from ...user_dirs import home_dir

    try:
        home = home_dir(env)
    except ConfigError:  # no usable home: no token file either
        return ""
    try:
        return read_regular_file(home / ".vault-token", SECRET_FILE_LIMIT) \
            .decode("utf-8").strip()
    except UnreadableFile as exc:
        if exc.missing:
            return ""
        reason = exc.reason
    except UnicodeDecodeError:
        reason = "is not UTF-8 text"
    raise ConfigError(f"{prefix}: ~/.vault-token ({home / '.vault-token'}) {reason}; "
                      "remove it, or set VAULT_TOKEN")
