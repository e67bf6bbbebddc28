"""A requests session for hvac whose every request honours the current `Deadline`
(keyring_backend/deadline.py): `timeout` bounds a whole Vault operation -- login and reads
together -- even against a server that answers one byte a second, and no redirect is
followed by requests.

hvac talks through requests, whose `timeout` bounds the connect and each socket read. Here
every request's connect and read timeouts are the time left (`DeadlineAdapter.send`), and
the connections register their sockets with the deadline's watchdog, which shuts them
down when it passes. The caller drops a client whose operation ran out of time (its pooled
connections are shut).

Redirects: requests would follow them to any host, and from https down to plain http,
stripping only `Authorization` on a host change -- never `X-Vault-Token` -- and re-sending
a login's body (AppRole `secret_id`, a CI `jwt`) on a 307/308. So the session judges every
hop before it is sent (`VaultSession.get_redirect_target`, which requests asks for each
one): a redirect within Vault's own origin (same scheme, host and port: a path moved
behind a proxy) is followed, at most `MAX_REDIRECTS` times; any other is refused
(`RedirectRefused`) and nothing more is sent. That includes an HA standby's 307 to the
active node on another host: Vault forwards a standby's requests itself unless that is
switched off, and a token follows only the address you gave (`VAULT_ADDR` / `addr`, which
can name the active node or the cluster's load balancer).
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ...deadline import Deadline, current, watch
from ...urls import parse_location

MAX_REDIRECTS = 5


class RedirectRefused(Exception):
    """Vault (or something in front of it) redirected to another origin: not followed.
    `target` is that origin (`scheme://host[:port]`), never a path or query."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class _HTTPConnection(HTTPConnection):
    def _new_conn(self) -> Any:  # a new socket, before TLS: a slow handshake too
        sock = super()._new_conn()
        watch(sock)
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:  # a reused connection too
        watch(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        watch(sock)
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        watch(self.sock)
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
        deadline: Optional[Deadline] = current()
        if deadline is not None:
            left = deadline.remaining()
            if left <= 0:
                raise requests.exceptions.ConnectTimeout("deadline passed", request=request)
            timeout = left
        return super().send(request, stream=stream, timeout=timeout, verify=verify,
                            cert=cert, proxies=proxies)


class VaultSession(requests.Session):
    """Follows a redirect only within the origin of the request that got it."""

    def __init__(self) -> None:
        super().__init__()
        self.max_redirects = MAX_REDIRECTS

    def get_redirect_target(self, resp: requests.Response) -> Optional[str]:
        location = super().get_redirect_target(resp)
        if location is None:
            return None
        here, there = parse_location(resp.url), parse_location(urljoin(resp.url, location))
        if here is None or there is None or there.origin != here.origin:
            raise RedirectRefused(there.origin if there is not None else "a URL that is not "
                                  "http(s)")
        return location


def new_session(verify: Any) -> requests.Session:
    """A requests session for hvac whose every request honours the current `Deadline` and
    follows no redirect out of Vault's origin."""
    session = VaultSession()
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = verify  # hvac takes verify from a session it is given
    return session
