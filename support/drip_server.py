"""A server on 127.0.0.1 that answers every HTTP request one byte per `interval` seconds.

It stands for a Vault (or any server) behind a dying link, or a hostile one: each read a
client makes returns a byte before any per-read timeout trips, so only a deadline for the
whole exchange ends it. `drip="status"` drips from the status line on; `drip="body"` sends
the status line and headers at once, then drips a JSON body that never completes;
`drip="handshake"` reads nothing and drips a TLS record that never completes, at an https
client still in its handshake. With `tls` (a server-side SSLContext) the HTTP modes speak
https. It keeps dripping for `duration` seconds at most per connection, records each
request (method, path, headers) and how long each connection lasted until the client hung
up, and stops by itself with the `with` block.
"""

from __future__ import annotations

import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Optional

from support.wsgi import base_url, http_server, start_serving, stop_serving

_BODY = b'{"request_id": "drip", "data": {"data": {"token": "' + b"x" * 100_000
# A TLS handshake record announcing 16 KiB, then zeros: the client waits for all of it.
_TLS_RECORD = b"\x16\x03\x03\x40\x00" + b"\x00" * 16_384
_MODES = ("status", "body", "handshake")


class DripServer:
    """`with DripServer() as drip:` -- point a client at `drip.url`."""

    def __init__(self, *, interval: float = 1.0, duration: float = 300.0,
                 drip: str = "status", tls: Optional[ssl.SSLContext] = None) -> None:
        if drip not in _MODES:
            raise ValueError(f"drip is one of {', '.join(_MODES)}")
        self.interval = interval
        self.duration = duration
        self.drip = drip
        self.tls = tls
        self.url = ""
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.hung_up_after: list[float] = []  # seconds each connection lasted
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def __enter__(self) -> DripServer:
        drip = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle(self) -> None:
                if drip.drip != "handshake":
                    super().handle()
                    return
                with drip._lock:
                    drip.requests.append(("TLS", "", {}))
                self._drip(_TLS_RECORD, time.monotonic())

            def _answer(self) -> None:
                started = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with drip._lock:
                    drip.requests.append((self.command, self.path, dict(self.headers)))
                head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 1000000\r\n\r\n")
                if drip.drip == "body":
                    self.wfile.write(head)
                    self.wfile.flush()
                    head = b""
                self._drip(head + _BODY, started)
                self.close_connection = True

            def _drip(self, payload: bytes, started: float) -> None:
                try:
                    for byte in payload:
                        if drip._stop.is_set() or time.monotonic() - started > drip.duration:
                            break
                        self.wfile.write(bytes((byte,)))
                        self.wfile.flush()
                        drip._stop.wait(drip.interval)
                except OSError:  # the client hung up: what a deadline should make it do
                    pass
                with drip._lock:
                    drip.hung_up_after.append(time.monotonic() - started)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = http_server(Handler, self.tls)
        self.url = base_url(self._server, self.tls)
        self._thread = start_serving(self._server)
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self._stop.set()
        stop_serving(self._server, self._thread)
