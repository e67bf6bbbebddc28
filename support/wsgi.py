"""What the local test servers share: a threaded, quiet wsgiref server on 127.0.0.1:0, a
request record, and HTTP Basic decoding the way real servers see it."""

from __future__ import annotations

import base64
import socketserver
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


@dataclass
class Request:
    method: str
    path: str
    status: int
    username: Optional[str]  # the username sent, if any (never the password)
    authorized: bool


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_loopback(app: Callable[..., Any], host: str = "127.0.0.1") -> WSGIServer:
    """A threaded WSGI server on `host` (a loopback address) and a free port (not yet
    serving)."""
    return make_server(host, 0, app, server_class=_ThreadingWSGIServer,
                       handler_class=_QuietHandler)


def basic_auth(environ: Mapping[str, Any]) -> Optional[tuple[str, str]]:
    """(username, password) from an `Authorization: Basic` header, else None."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:])
    except ValueError:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # requests (pip, poetry, twine) encodes Basic as latin-1
        text = raw.decode("latin-1")
    user, _, password = text.partition(":")
    return user, password
