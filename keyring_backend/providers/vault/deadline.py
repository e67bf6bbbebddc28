"""A deadline for a whole Vault operation -- login and reads together -- that a slow server
cannot stretch.

hvac talks through requests, whose `timeout` bounds the connect and each socket read: a
server that sends one byte a second never trips it, and pip or poetry waits for minutes.
Each operation runs inside a `Deadline`:

- every request's connect and read timeouts are the time left (`DeadlineAdapter.send`), so
  a server that stops answering trips at the deadline, not a whole `timeout` later;
- a watchdog timer shuts the operation's sockets down when the deadline passes, so a
  trickle ends too: the blocked read returns at once, requests raises, and
  `Deadline.passed` tells the caller why.

The watchdog only ever calls `shutdown()` on sockets the operating thread registered, under
a lock, and never after `finish()`, which also joins it: once an operation has returned, no
thread of ours reads, writes or closes anything. The caller drops a client whose operation
ran out of time (its pooled connections are shut). Not covered: a DNS lookup that hangs
(getaddrinfo cannot be interrupted), and SOCKS proxies (their connections are not ours to
watch; the per-read timeout still applies).
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import suppress
from types import TracebackType
from typing import Any, Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

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


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for an SSLSocket (whose own shutdown would drop its
    # SSL object under the reading thread): the blocked read sees EOF and returns.
    with suppress(OSError):  # already closed, or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(sock: Optional[socket.socket]) -> None:
    deadline: Optional[Deadline] = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


class _HTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:  # a new socket, before TLS: a slow handshake too
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:  # a reused connection too
        _watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections the current `Deadline` watches."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        deadline: Optional[Deadline] = getattr(_current, "deadline", None)
        if deadline is not None:
            left = deadline.remaining()
            if left <= 0:
                raise requests.exceptions.ConnectTimeout("deadline passed", request=request)
            timeout = left
        return super().send(request, stream=stream, timeout=timeout, verify=verify,
                            cert=cert, proxies=proxies)


def new_session(verify: Any) -> requests.Session:
    """A requests session for hvac whose every request honours the current `Deadline`."""
    session = requests.Session()
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = verify  # hvac takes verify from a session it is given
    return session
