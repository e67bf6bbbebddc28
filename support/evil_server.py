"""An "evil" server on 127.0.0.1 for hostile-project tests: whatever a client sends, it
keeps -- the request line, every header (an `Authorization: Basic` one also decoded),
and the body -- and answers so that clients hand over all they would.

To a package index client (pip, poetry, uv, twine, git over http) it is an index that
wants a login: `401` with `WWW-Authenticate: Basic`, so pip asks keyring, poetry its
credentials, git its helpers. To a Vault client (hvac) it is a Vault server that denies:
`/v1/...` answers `403 {"errors": ["permission denied"]}` after recording `X-Vault-Token`.

`saw(secret)` says whether any spelling of a secret (raw, percent-encoded, base64 alone or
as `user:secret`) reached it, anywhere. Used by tests/e2e/test_trust.py; usable by any
test that must prove a secret did NOT leave.
"""

from __future__ import annotations

import base64
import contextlib
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Callable, Optional
from urllib.parse import quote, quote_plus
from wsgiref.simple_server import WSGIServer

from support.wsgi import serve_loopback, start_serving, stop_serving

_MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Seen:
    """One request as it arrived."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def authorization(self) -> Optional[str]:
        return self.header("Authorization")

    @property
    def vault_token(self) -> Optional[str]:
        return self.header("X-Vault-Token")

    def header(self, name: str) -> Optional[str]:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def text(self) -> str:
        """Everything in one string, with a Basic credential also decoded."""
        lines = [f"{self.method} {self.path}", *(f"{k}: {v}" for k, v in self.headers)]
        auth = self.authorization or ""
        if auth.lower().startswith("basic "):
            with contextlib.suppress(ValueError):
                lines.append(base64.b64decode(auth[6:]).decode("latin-1"))
        return "\n".join(lines) + "\n" + self.body.decode("latin-1")


class EvilServer:
    """`with EvilServer() as evil:` -- point a hostile project at `evil.url`, then ask
    `evil.saw(secret)`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host  # another loopback address is another host (127.0.0.3)
        self.requests: list[Seen] = []
        self.url = ""
        self._lock = threading.Lock()
        self._server: Optional[WSGIServer] = None
        self._thread: Optional[threading.Thread] = None

    def saw(self, secret: str, username: Optional[str] = None) -> list[str]:
        """The requests (as `METHOD path`) in which any form of `secret` arrived."""
        raw = secret.encode()
        needles = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
                   base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(),
                   secret.encode("utf-8").decode("latin-1")}
        if username is not None:
            needles.add(base64.b64encode(f"{username}:{secret}".encode()).decode())
        with self._lock:
            seen = list(self.requests)
        return [f"{r.method} {r.path}" for r in seen if any(n in r.text() for n in needles)]

    def clear(self) -> None:
        """Forget what was seen (between phases of one test)."""
        with self._lock:
            self.requests.clear()

    @property
    def credentials_seen(self) -> list[Seen]:
        """Requests that carried an Authorization or X-Vault-Token header."""
        with self._lock:
            return [r for r in self.requests if r.authorization or r.vault_token]

    def __enter__(self) -> EvilServer:
        self._server = serve_loopback(self._app, self.host)
        self.url = f"http://{self.host}:{self._server.server_port}"
        self._thread = start_serving(self._server)
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        stop_serving(self._server, self._thread)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        headers = tuple((key[5:].replace("_", "-").title(), str(value))
                        for key, value in environ.items() if key.startswith("HTTP_"))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(min(length, _MAX_BODY)) if length else b""
        path = environ.get("PATH_INFO", "") + (
            f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
        with self._lock:
            self.requests.append(Seen(environ["REQUEST_METHOD"], path, headers, body))
        if path.startswith("/v1/"):
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [b'{"errors": ["permission denied"]}']
        start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                             ("WWW-Authenticate", 'Basic realm="evil"')])
        return [b"login required\n"]
