"""A deadline for a whole network operation that a slow server cannot stretch (stdlib only).

A socket timeout bounds the connect and each read: a server that sends one byte a second
never trips it, so a client waits as long as the server goes on. Inside `with
Deadline(seconds):` the connections a client opens register their sockets (`watch`), and
a watchdog timer shuts them down when the deadline passes: the blocked read returns at
once, the client raises, and `Deadline.passed` tells the caller why. Callers also give each
request no more than `remaining()` as its socket timeout, so a server that goes silent
trips at the deadline, not a whole timeout later.

Used by the Vault provider (providers/vault/session.py: requests' connections) and by
http.py (urllib's, for `doctor`, `poetry source check` and `bump`).

The watchdog only ever calls `shutdown()` on sockets the operating thread registered, under
a lock, and never after `finish()`, which also joins it: once an operation has returned, no
thread of ours reads, writes or closes anything. Not covered: a DNS lookup that hangs
(getaddrinfo cannot be interrupted), and SOCKS proxies (their connections are not ours to
watch; the per-read timeout still applies).
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress
from types import TracebackType
from typing import Optional

_current = threading.local()


class Deadline:
    """`with Deadline(seconds):` -- requests made in this thread must finish by then."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._done = False
        self._expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.finish()

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def passed(self) -> bool:
        return self._expired or self.remaining() <= 0

    def watch(self, sock: Optional[socket.socket]) -> None:
        """Shut `sock` down when the deadline passes (at once if it has)."""
        if sock is None:
            return
        with self._lock:
            if self._done:
                return
            if self._expired:
                _shut(sock)
            else:
                self._sockets.append(sock)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._sockets.clear()
        self._timer.cancel()
        if self._timer.is_alive() and self._timer is not threading.current_thread():
            self._timer.join()
        if getattr(_current, "deadline", None) is self:
            _current.deadline = None

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self._expired = True
            for sock in self._sockets:
                _shut(sock)
            self._sockets.clear()


def current() -> Optional[Deadline]:
    """The deadline this thread runs under, if any."""
    return getattr(_current, "deadline", None)


def watch(sock: Optional[socket.socket]) -> None:
    """Let the current deadline (if any) shut `sock` down: call it for every socket a
    connection opens, and again for the TLS socket that wraps it."""
    deadline = current()
    if deadline is not None:
        deadline.watch(sock)


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for an SSLSocket (whose own shutdown would drop its
    # SSL object under the reading thread): the blocked read sees EOF and returns.
    with suppress(OSError):  # already closed, or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
