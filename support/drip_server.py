"""A server on 127.0.0.1 that answers every HTTP request one byte per `interval` seconds.

It stands for a Vault (or any server) behind a dying link, or a hostile one: each read a
client makes returns a byte before any per-read timeout trips, so only a deadline for the
whole exchange ends it. `drip="status"` drips from the status line on; `drip="body"` sends
the status line and headers at once, then drips a JSON body that never completes. It keeps
dripping for `duration` seconds at most per connection, records each request (method,
path, headers) and how long each connection lasted until the client hung up, and stops by
itself with the `with` block.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Optional

_BODY = b'{"request_id": "drip", "data": {"data": {"token": "' + b"x" * 100_000


class DripServer:
    """`with DripServer() as drip:` -- point a client at `drip.url`."""

    def __init__(self, *, interval: float = 1.0, duration: float = 300.0,
                 drip: str = "status") -> None:
        if drip not in ("status", "body"):
            raise ValueError("drip is 'status' or 'body'")
        self.interval = interval
        self.duration = duration
        self.drip = drip
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
                try:
                    for byte in head + _BODY:
                        if drip._stop.is_set() or time.monotonic() - started > drip.duration:
                            break
                        self.wfile.write(bytes((byte,)))
                        self.wfile.flush()
                        drip._stop.wait(drip.interval)
                except OSError:  # the client hung up: what a deadline should make it do
                    pass
                with drip._lock:
                    drip.hung_up_after.append(time.monotonic() - started)
                self.close_connection = True

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
