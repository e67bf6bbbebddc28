"""What the local test servers share: a threaded, quiet wsgiref or http.server server on
127.0.0.1:0 (TLS optional), served on a daemon thread and stopped the same way everywhere,
a request record, and HTTP Basic decoding the way real servers see it."""

from __future__ import annotations

import base64
import socketserver
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


def http_server(handler: type[BaseHTTPRequestHandler],
                tls: Optional[ssl.SSLContext] = None) -> ThreadingHTTPServer:
    """A threaded http.server on 127.0.0.1 and a free port (not yet serving), its socket
    wrapped in `tls` when given."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    return server


def base_url(server: socketserver.TCPServer, tls: object = None) -> str:
    """`http(s)://HOST:PORT` of a server bound by this module."""
    host, port = server.server_address[:2]
    return f"{'https' if tls is not None else 'http'}://{host!s}:{port}"


def start_serving(server: socketserver.BaseServer) -> threading.Thread:
    """Serve on a daemon thread. The short poll interval matters: shutdown() waits for it,
    once per server, in every test."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return thread


def stop_serving(server: Optional[socketserver.BaseServer],
                 thread: Optional[threading.Thread] = None) -> None:
    """Stop what start_serving started (nothing when it never started)."""
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)


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
