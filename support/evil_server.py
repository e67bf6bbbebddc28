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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Optional
from urllib.parse import quote, quote_plus

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

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.url = ""
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
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
        evil = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, _MAX_BODY)) if length else b""
                with evil._lock:
                    evil.requests.append(Seen(self.command, self.path,
                                              tuple(self.headers.items()), body))
                if self.path.startswith("/v1/"):
                    self._answer(403, b'{"errors": ["permission denied"]}',
                                 "application/json")
                else:
                    self._answer(401, b"login required\n", "text/plain",
                                 ("WWW-Authenticate", 'Basic realm="evil"'))

            def _answer(self, status: int, body: bytes, kind: str,
                        *extra: tuple[str, str]) -> None:
                self.send_response(status)
                for key, value in (("Content-Type", kind), *extra):
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_LIST = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
