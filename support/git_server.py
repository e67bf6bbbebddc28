"""A private git server on 127.0.0.1 behind HTTP basic auth (TESTING.md).

`git http-backend` (smart HTTP, protocol v0/v1/v2) runs once per request behind a small
WSGI app that checks basic auth first and answers `401 + WWW-Authenticate: Basic` to a
missing or wrong credential, as GitLab and GitHub do: git only asks its credential helpers
after a 401. Every request is recorded (method, path, username sent, authorized) so tests
can see which ones carried a credential. Used by the tests and by the demo.

Serves clones and fetches. Pushes larger than git's `http.postBuffer` (1 MiB) arrive with
chunked transfer encoding, which wsgiref does not decode; nothing here pushes.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Callable, Optional
from wsgiref.simple_server import WSGIServer

from support.wsgi import Request, basic_auth, serve_loopback, start_serving, stop_serving

GIT = "/usr/bin/git" if os.path.exists("/usr/bin/git") else "git"
StartResponse = Callable[..., Any]








class GitServer:
    """Bare repositories under `root`, readable with basic auth only.

    `username=None` accepts any username (GitHub's `x-access-token` is a convention, not a
    check); otherwise it must match (GitLab's `gitlab-ci-token`, deploy-token users).
    `redirect(path, authorized)` may give another path: the request is answered with a 302
    there (the query kept), as a moved repository or a hostile server would.
    """

    def __init__(self, root: Path, password: str, username: Optional[str] = None,
                 redirect: Callable[[str, bool], Optional[str]] = lambda path, ok: None
                 ) -> None:
        self.root = root
        self.password = password
        self.username = username
        self.redirect = redirect
        self.requests: list[Request] = []
        self._server: Optional[WSGIServer] = None

    def check(self, username: str, password: str) -> bool:
        return password == self.password and self.username in (None, username)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("start the server first (use it as a context manager)")
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> GitServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self._server = serve_loopback(self.app)
        start_serving(self._server)
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self._server)

    def make_repo(self, name: str, files: Mapping[str, str], branch: str = "main") -> Path:
        """Create the bare repo `<root>/<name>.git` with one commit holding `files`."""
        bare = self.root / f"{name}.git"
        with tempfile.TemporaryDirectory(prefix="git-work-") as tmp:
            work = Path(tmp)
            _git("init", "--quiet", "--initial-branch", branch, str(work))
            for rel, text in files.items():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                (work / rel).write_text(text)
            _git("-C", str(work), "add", "--all")
            _git("-C", str(work), "-c", "user.name=t", "-c", "user.email=t@e",
                 "-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "initial")
            _git("clone", "--quiet", "--bare", str(work), str(bare))
        # pip clones with --filter=blob:none; without this the server refuses the filter.
        _git("-C", str(bare), "config", "uploadpack.allowFilter", "true")
        return bare

    def app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        username, authorized = self._auth_of(environ)
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        location = self.redirect(path, authorized)
        if location is not None:
            self.requests.append(Request(method, path, 302, username, authorized))
            query = environ.get("QUERY_STRING", "")
            start_response("302 Found", [("Location", location + (f"?{query}" if query else ""))])
            return [b""]
        if not authorized:
            self.requests.append(Request(method, path, 401, username, False))
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'),
                                                 ("Content-Type", "text/plain")])
            return [b"authentication required\n"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        cgi_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "REQUEST_METHOD": method,
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": username or "",
            "REMOTE_ADDR": environ.get("REMOTE_ADDR", "127.0.0.1"),
            "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", ""),  # protocol v2
            "HTTP_CONTENT_ENCODING": environ.get("HTTP_CONTENT_ENCODING", ""),  # gzip bodies
        }
        result = subprocess.run([GIT, "http-backend"], input=body, env=cgi_env,
                                capture_output=True, check=False)
        head, blank, payload = result.stdout.partition(b"\r\n\r\n")
        if not blank:  # no CGI header block: http-backend failed before writing one
            head, payload = b"Status: 500 Internal Server Error", result.stderr
        status, headers = "200 OK", []
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = value.strip()
            else:
                headers.append((key.strip(), value.strip()))
        self.requests.append(Request(method, path, int(status.split()[0]), username, True))
        start_response(status, headers)
        return [payload]

    def _auth_of(self, environ: Mapping[str, Any]) -> tuple[Optional[str], bool]:
        found = basic_auth(environ)
        if found is None:
            return None, False
        return found[0], self.check(*found)


def _git(*args: str) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "HOME": tempfile.gettempdir()}
    result = subprocess.run([GIT, *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed:\n{result.stderr[-2000:]}")
