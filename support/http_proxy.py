"""A forward HTTP proxy on 127.0.0.1 that wants Basic proxy credentials and logs every
request (TESTING.md: a secret `--proxy` must reach the proxy, and no process's argv).

Plain-http targets only (pip sends `GET http://host/path` to an http proxy); answers 407
with `Proxy-Authenticate` without the right `Proxy-Authorization`. A `*.test` host is
reached on 127.0.0.1 (support/names.py): a client sends loopback URLs past its proxy
(`NO_PROXY`), so a test server the proxy must carry needs another name.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import urlsplit

from support.header_log import basic
from support.wsgi import http_server, start_serving, stop_serving


@dataclass(frozen=True)
class Proxied:
    url: str
    authorized: bool


class ForwardProxy:
    def __init__(self, username: str, password: str) -> None:
        self.expected = basic(username, password)
        self.seen: list[Proxied] = []
        self._server: Optional[ThreadingHTTPServer] = None

    @property
    def port(self) -> int:
        assert self._server is not None  # noqa: S101 -- test support
        return self._server.server_port

    def __enter__(self) -> ForwardProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                authorized = self.headers.get("Proxy-Authorization") == proxy.expected
                proxy.seen.append(Proxied(self.path, authorized))
                if not authorized:
                    self.send_response(407)
                    self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = urlsplit(self.path)
                host = target.hostname or ""
                host = "127.0.0.1" if host.endswith(".test") else host
                conn = http.client.HTTPConnection(host, target.port or 80, timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if not k.lower().startswith("proxy-") and k.lower() != "connection"}
                path = target.path + (f"?{target.query}" if target.query else "")
                conn.request("GET", path or "/", headers=headers)
                answer = conn.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                conn.close()

        self._server = http_server(Handler)
        start_serving(self._server)
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self._server)
