"""A PEP 503 index that logs the `Authorization` header of every request, on any address,
over http or https (TESTING.md: a server that records what credentials reach it).

`LoggingIndex` serves the wheels and sdists of one folder under any path: a path ending
in `/simple/` lists the projects, `/simple/NAME/` links each file through `link(filename)`
(relative by default; absolute `http://...` links model Nexus or Artifactory behind a TLS
proxy, other paths model GitLab's `/api/v4/projects/.../files`), and a path whose last
segment is a file's name serves that file. `protect(path)` says which paths answer 401
without the right Basic credential; `redirects` maps paths to a 302's `Location`.

Each request is logged as `Seen`, with its path as sent and as a server reads it
(percent-decoded, dot segments removed: `/groups/12/%2e%2e/123` is `/groups/123`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import posixpath
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import unquote
from wsgiref.simple_server import WSGIServer, make_server

from support.wsgi import (
    _QuietHandler,
    _ThreadingWSGIServer,
    basic_auth,
    start_serving,
    stop_serving,
)


@dataclass(frozen=True)
class Seen:
    scheme: str
    method: str
    raw_path: str  # as on the request line
    path: str  # as the server reads it
    authorization: Optional[str]


class _RawPathHandler(_QuietHandler):
    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["RAW_PATH"] = self.path.split("?", 1)[0]
        return environ


class LoggingIndex:
    """Serve `wheels` on `host:port` (0: a free port), over TLS when `tls` is given."""

    def __init__(self, wheels: Path, *, host: str = "127.0.0.1", port: int = 0,
                 tls: Optional[ssl.SSLContext] = None,
                 credential: Optional[tuple[str, str]] = None,
                 protect: Callable[[str], bool] = lambda path: True,
                 link: Callable[[str], str] = lambda filename: f"../../{filename}",
                 redirects: Optional[dict[str, str]] = None) -> None:
        self.wheels = wheels
        self.redirects = redirects or {}  # server path -> Location
        self.host, self.port, self.tls = host, port, tls
        self.credential = credential
        self.protect = protect
        self.link = link
        self.seen: list[Seen] = []
        self._server: Optional[WSGIServer] = None

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    def authorizations(self) -> list[str]:
        """Every Authorization header received (for leak assertions)."""
        return [s.authorization for s in self.seen if s.authorization]

    def __enter__(self) -> LoggingIndex:
        server = make_server(self.host, self.port, self._app,
                             server_class=_ThreadingWSGIServer, handler_class=_RawPathHandler)
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self.port = server.server_port
        self._server = server
        start_serving(server)
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self._server)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]
             ) -> Iterable[bytes]:
        raw = environ.get("RAW_PATH", environ.get("PATH_INFO", ""))
        path = posixpath.normpath(unquote(raw)) if raw not in ("", "/") else "/"
        header = environ.get("HTTP_AUTHORIZATION")
        self.seen.append(Seen(self.scheme, environ["REQUEST_METHOD"], raw, path, header))
        if path in self.redirects:
            start_response("302 Found", [("Location", self.redirects[path])])
            return [b""]
        if self.protect(path) and not self._authorized(environ):
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="index"'),
                                                ("Content-Type", "text/plain")])
            return [b"credentials needed\n"]
        body, kind = self._page(path, raw.endswith("/"))
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]

    def _authorized(self, environ: dict[str, Any]) -> bool:
        found = basic_auth(environ)
        return self.credential is not None and found == self.credential

    def _page(self, path: str, directory: bool) -> tuple[Optional[bytes], str]:
        parts = path.rstrip("/").split("/")
        files = sorted(p.name for p in self.wheels.iterdir()
                       if p.name.endswith((".whl", ".tar.gz")))
        if parts[-1] in files:
            return (self.wheels / parts[-1]).read_bytes(), "application/octet-stream"
        if parts[-1] == "simple" and directory:
            names = sorted({f.split("-")[0].replace("_", "-") for f in files})
            links = "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
            return f"<html><body>\n{links}</body></html>\n".encode(), "text/html"
        if len(parts) >= 2 and parts[-2] == "simple":
            project = parts[-1].replace("-", "_")
            mine = [f for f in files if f.split("-")[0].lower() == project.lower()]
            if not mine:
                return None, ""
            links = "".join(
                f'<a href="{html.escape(self.link(f))}#sha256={self._sha256(f)}">{f}</a>\n'
                for f in mine)
            return f"<html><body>\n{links}</body></html>\n".encode(), "text/html"
        return None, ""

    def _sha256(self, filename: str) -> str:
        return hashlib.sha256((self.wheels / filename).read_bytes()).hexdigest()


def basic(username: str, password: str) -> str:
    """The `Authorization` header requests sends for these credentials."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode("latin-1")).decode()


def free_loopback_address(ports: Iterable[int] = (80, 443)) -> str:
    """A random 127.X.Y.Z whose `ports` are free, so parallel runs never collide."""
    import secrets

    for _ in range(50):
        x, y, z = (secrets.randbelow(254) + 1 for _ in range(3))
        address = f"127.{x}.{y}.{z + (z == 1)}"  # never 127.X.Y.1, a common alias
        try:
            for port in ports:
                with socket.socket() as probe:
                    probe.bind((address, port))
        except OSError:
            continue
        return address
    raise RuntimeError("no free loopback address for ports 80 and 443")
