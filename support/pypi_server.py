"""A private index on 127.0.0.1 that behaves like GitLab / Artifactory (TESTING.md).

pypiserver runs in-process behind a tiny WSGI layer that (a) turns its 403 for missing or
wrong credentials into the `401 + WWW-Authenticate: Basic` real registries send (pip only
asks keyring after a 401) or keeps 403 to model that case, and (b) records every request
so tests can see which ones carried a credential. Used by the tests and by the demo.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Callable, Optional
from wsgiref.simple_server import WSGIServer

from support.wsgi import Request, basic_auth, serve_loopback, start_serving, stop_serving


class PrivateIndex:
    """pypiserver serving `root`, protecting download, list and upload.

    `username=None` accepts any username (Azure Artifacts, Gemfury); otherwise it must
    match (GitLab deploy tokens, CodeArtifact's `aws`). `mode` is 401 or 403. With `tls`
    (a server-side SSLContext) it serves https.
    """

    def __init__(self, root: Path, password: str, username: Optional[str] = None,
                 mode: int = 401, tls: Optional[ssl.SSLContext] = None) -> None:
        self.root = root
        self.password = password
        self.username = username
        self.mode = mode
        self.tls = tls
        self.requests: list[Request] = []
        self._server: Optional[WSGIServer] = None
        self._thread: Optional[threading.Thread] = None

    def check(self, username: str, password: str) -> bool:
        return password == self.password and self.username in (None, username)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("start the index first (use it as a context manager)")
        scheme = "http" if self.tls is None else "https"
        return f"{scheme}://127.0.0.1:{self._server.server_port}"

    @property
    def simple_url(self) -> str:
        return self.url + "/simple/"

    def __enter__(self) -> PrivateIndex:
        import pypiserver

        self.root.mkdir(parents=True, exist_ok=True)
        app = pypiserver.app(roots=[str(self.root)], authenticate=["download", "list", "update"],
                             auther=self.check, disable_fallback=True, overwrite=False)
        self._server = serve_loopback(self._wrap(app))
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = start_serving(self._server)
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self._server, self._thread)

    def _wrap(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            username, authorized = self._auth_of(environ)
            seen: dict[str, int] = {}

            def patched(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                code = int(status.split(maxsplit=1)[0])
                if code in (401, 403):
                    code = self.mode
                    headers = [(k, v) for k, v in headers if k.lower() != "www-authenticate"]
                    if self.mode == 401:
                        status = "401 Unauthorized"
                        headers.append(("WWW-Authenticate", 'Basic realm="private-index"'))
                    else:
                        status = "403 Forbidden"
                seen["status"] = code
                return start_response(status, headers, *rest)

            body = app(environ, patched)
            self.requests.append(Request(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                                         seen.get("status", 0), username, authorized))
            return body

        return middleware

    def _auth_of(self, environ: dict[str, Any]) -> tuple[Optional[str], bool]:
        found = basic_auth(environ)
        if found is None:
            return None, False
        return found[0], self.check(*found)
