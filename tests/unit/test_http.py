"""`keyring_backend.http.fetch` against real servers on 127.0.0.1: the credential follows a
redirect only within its rule (else the original origin), https -> http is refused, userinfo
is used and never shown, error statuses come back as responses, `timeout` bounds the whole
request, a body cut short is a failure, and unreachable servers raise `IndexUnreachable`
naming the host and the reason (DNS, refused, timeout, TLS)."""

from __future__ import annotations

import base64
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import quote

import pytest

from keyring_backend import http
from keyring_backend.errors import ConfigError, IndexUnreachable, InsecureRedirect
from keyring_backend.http import fetch, redirect_target, same_origin, split_userinfo
from keyring_backend.rules import Layer, make_rule
from keyring_backend.secret import Secret
from support.drip_server import DripServer
from support.wsgi import basic_auth, serve_loopback
from tests.conftest import make_canary, server_tls
from tests.leaks import assert_not_in_texts


@dataclass(frozen=True)
class Route:
    status: str = "200 OK"
    body: bytes = b"<html><body><a href='acme-internal/'>acme-internal</a></body></html>"
    content_type: str = "text/html"
    location: Optional[str] = None
    auth: Optional[tuple[str, str]] = None  # required (username, password); 401 otherwise
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Seen:
    path: str
    authorization: Optional[str]  # the raw header, so tests can tell "sent" from "not"


class Scripted:
    """A WSGI app answering from a path -> Route table; records every request it gets."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.seen: list[Seen] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        self.seen.append(Seen(path, environ.get("HTTP_AUTHORIZATION")))
        route = self.routes.get(path, Route("404 Not Found", b"not found", "text/plain"))
        if route.auth is not None and basic_auth(environ) != route.auth:
            route = Route("401 Unauthorized", b"", "text/plain",
                          headers=(("WWW-Authenticate", 'Basic realm="scripted"'),))
        headers = [("Content-Type", route.content_type), *route.headers]
        if route.location is not None:
            headers.append(("Location", route.location))
        start_response(route.status, headers)
        return [route.body]


@contextmanager
def serving(app: Callable[..., Any], tls: Optional[ssl.SSLContext] = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a thread; yields its base URL (no trailing slash)."""
    server = serve_loopback(app)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def secret() -> str:
    return make_canary("http")


def test_same_origin_redirect_keeps_the_credential(secret: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = Scripted({"/old/": Route("302 Found", b"", location="../new/"),
                    "/new/": Route(auth=("bot", secret))})
    with serving(app) as base:
        response = fetch(base + "/old/", username="bot", password=Secret(secret))
    assert (response.status, response.url) == (200, base + "/new/")
    assert response.redirected_from == (base + "/old/",)
    assert [s.authorization for s in app.seen] == [basic("bot", secret)] * 2
    assert_not_in_texts(secret, {"repr": repr(response), "logs": caplog.text}, "bot")


def test_cross_origin_redirect_drops_the_credential(secret: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """Another port on the same host is another origin too (requests only strips on a host
    change; urllib would forward the header everywhere)."""
    caplog.set_level(logging.DEBUG)
    other = Scripted({"/simple/": Route(auth=("bot", secret))})
    with serving(other) as elsewhere:
        first = Scripted({"/simple/": Route("307 Temporary Redirect", b"",
                                            location=elsewhere + "/simple/")})
        with serving(first) as base:
            response = fetch(base + "/simple/", username="bot", password=Secret(secret))
    assert response.status == 401
    assert response.redirected_from == (base + "/simple/",)
    assert first.seen[0].authorization == basic("bot", secret)
    assert other.seen == [Seen("/simple/", None)]
    assert_not_in_texts(secret, {"logs": caplog.text}, "bot")


def test_a_redirect_back_to_the_original_origin_carries_the_credential_again(
        secret: str) -> None:
    bounce = Scripted({})
    with serving(bounce) as elsewhere:
        app = Scripted({"/a/": Route("302 Found", b"", location=elsewhere + "/b/"),
                        "/c/": Route(auth=("bot", secret))})
        with serving(app) as base:
            bounce.routes["/b/"] = Route("302 Found", b"", location=base + "/c/")
            response = fetch(base + "/a/", username="bot", password=Secret(secret))
    assert response.status == 200
    assert response.redirected_from == (base + "/a/", elsewhere + "/b/")
    assert bounce.seen == [Seen("/b/", None)]


@pytest.mark.parametrize(("location", "keeps"), [
    ("/groups/123/simple/", False),  # the prefix on a `/` boundary: 123 is not 12
    ("/groups/12/%2e%2e/123/simple/", False),  # read as /groups/123 by the server
    ("/groups/12/..%2f123/simple/", False),  # servers read it in two ways: withheld
    ("/other/simple/", False),
    ("/groups/12/moved/simple/", True),
])
def test_a_redirect_keeps_the_credential_only_within_its_rule(
        secret: str, location: str, keeps: bool) -> None:
    """doctor, source check and bump sent a `/groups/12` rule's credential along a 302 to
    `/groups/123/` (attack2: test_probe_redirect.py): each hop is checked as the guard
    checks pip's and poetry's requests."""
    app = Scripted({"/groups/12/simple/": Route("302 Found", b"", location=location)})
    with serving(app) as base:
        rule = make_rule(f"{base}/groups/12", "bot", "${T}", Layer.ENV, "env G")
        response = fetch(base + "/groups/12/simple/", username="bot", password=Secret(secret),
                         bound=rule)
    assert response.redirected_from == (base + "/groups/12/simple/",)
    assert app.seen[0].authorization == basic("bot", secret)
    assert app.seen[1].authorization == (basic("bot", secret) if keeps else None)
    assert response.credential_sent is keeps


def test_a_rule_that_does_not_bind_the_url_sends_nothing(secret: str) -> None:
    app = Scripted({"/simple/": Route()})
    with serving(app) as base:
        rule = make_rule(f"{base}/groups/12", "bot", "${T}", Layer.ENV, "env G")
        response = fetch(base + "/simple/", username="bot", password=Secret(secret),
                         bound=rule)
    assert app.seen == [Seen("/simple/", None)] and not response.credential_sent


def test_more_than_five_redirects_is_an_error() -> None:
    app = Scripted({"/loop/": Route("302 Found", b"", location="/loop/")})
    with serving(app) as base, pytest.raises(IndexUnreachable, match="more than 5") as info:
        fetch(base + "/loop/")
    assert info.value.kind == "redirect"
    assert len(app.seen) == 6


@pytest.mark.parametrize(
    ("current", "location", "expected"),
    [
        ("https://a.example/simple/", "/other/", "https://a.example/other/"),
        ("https://a.example/simple/x/", "../y/", "https://a.example/simple/y/"),
        ("https://a.example/simple/", "https://b.example/s/", "https://b.example/s/"),
        ("https://a.example/", "https://u:p@b.example/s/", "https://b.example/s/"),
        ("https://a.example/", "http://127.0.0.1:8080/s/", "http://127.0.0.1:8080/s/"),
        ("https://a.example/", "http://localhost/s/", "http://localhost/s/"),
        ("http://127.0.0.1/", "https://a.example/s/", "https://a.example/s/"),
    ],
    ids=["absolute-path", "relative", "other-host", "userinfo-stripped", "https-to-loopback",
         "https-to-localhost", "http-to-https"],
)
def test_redirect_target(current: str, location: str, expected: str) -> None:
    assert redirect_target(current, location) == expected


@pytest.mark.parametrize(
    ("location", "match"),
    [
        ("http://a.example/simple/", "https to plain http"),
        ("http://evil.example/", "https to plain http"),
        ("file:///etc/passwd", "non-http"),
        ("ftp://a.example/x", "non-http"),
    ],
    ids=["https-to-http-same-host", "https-to-http-other-host", "file", "ftp"],
)
def test_unsafe_redirects_are_refused(location: str, match: str) -> None:
    with pytest.raises(InsecureRedirect, match=match) as info:
        redirect_target("https://a.example/simple/", location)
    assert isinstance(info.value, IndexUnreachable)
    assert info.value.host == "a.example"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://A.example/x", "https://a.example:443/y", True),
        ("http://127.0.0.1/", "http://127.0.0.1:80/", True),
        ("https://a.example/", "http://a.example/", False),
        ("https://a.example/", "https://a.example:8443/", False),
        ("https://a.example/", "https://b.example/", False),
        ("https://a.example/", "https://a.example.evil.io/", False),
    ],
    ids=["case-and-default-port", "explicit-80", "scheme", "port", "host", "suffix-host"],
)
def test_same_origin(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same


@pytest.mark.parametrize("status", ["401 Unauthorized", "403 Forbidden", "404 Not Found",
                                    "500 Internal Server Error", "503 Service Unavailable"],
                         ids=["401", "403", "404", "500", "503"])
def test_error_statuses_are_responses_not_exceptions(status: str) -> None:
    app = Scripted({"/simple/": Route(status, b"nope", "text/plain",
                                      headers=(("WWW-Authenticate", 'Basic realm="r"'),))})
    with serving(app) as base:
        response = fetch(base + "/simple/")
    assert response.status == int(status[:3])
    assert response.body == b"nope"
    assert response.headers["www-authenticate"] == 'Basic realm="r"'  # case-insensitive


def test_userinfo_is_the_credential_and_is_stripped(secret: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = Scripted({"/simple/": Route(auth=("deploy bot", secret))})
    with serving(app) as base:
        url = base.replace("://", f"://deploy%20bot:{quote(secret, safe='')}@") + "/simple/"
        response = fetch(url)
        explicit = fetch(url, username="other", password=Secret("other-password"))
    assert response.status == 200
    assert response.url == base + "/simple/"
    assert explicit.status == 401, "an explicit credential wins over the URL's userinfo"
    assert app.seen[0].authorization == basic("deploy bot", secret)
    assert_not_in_texts(secret, {"repr": repr(response), "url": response.url,
                                 "logs": caplog.text}, "deploy bot")
    assert "deploy%20bot" not in caplog.text


def test_split_userinfo_decodes_and_keeps_the_query() -> None:
    url, user, password = split_userinfo("https://u%40x:p%3A%2F%40w@Host:8443/s/?q=1#frag")
    assert (url, user) == ("https://Host:8443/s/?q=1", "u@x")
    assert password is not None and password.reveal() == "p:/@w"
    assert split_userinfo("https://tok@h/")[1:] == ("tok", None)
    assert split_userinfo("https://h/") == ("https://h/", None, None)


def test_unreachable_port_names_the_host_not_the_userinfo(secret: str) -> None:
    port = free_port()
    url = f"http://bot:{quote(secret, safe='')}@127.0.0.1:{port}/simple/"
    with pytest.raises(IndexUnreachable) as info:
        fetch(url, timeout=5)
    assert info.value.kind == "refused"
    assert str(info.value).startswith(f"cannot reach 127.0.0.1:{port}: connection refused")
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert_not_in_texts(secret, {"message": str(info.value)}, "bot")
    assert "bot" not in str(info.value)


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(IndexUnreachable, match="timeout") as info:
            fetch(f"http://127.0.0.1:{port}/simple/", timeout=0.3)
    assert info.value.kind == "timeout"


@pytest.mark.parametrize("drip", ["status", "body", "handshake"])
def test_a_server_that_drips_is_cut_off_at_the_deadline(
        drip: str, certificate: tuple[Path, Path]) -> None:
    """One byte a second restarted each socket read's timeout: doctor --timeout 2 waited
    90 s (attack2: test_drip_index.py). `timeout` is now the whole request's."""
    tls = server_tls(certificate) if drip == "handshake" else None
    with DripServer(interval=0.2, duration=30, drip=drip, tls=tls) as server:
        started = time.monotonic()
        with pytest.raises(IndexUnreachable) as info:
            fetch(server.url + "/simple/", timeout=1, cafile=str(certificate[0]))
        took = time.monotonic() - started
    assert info.value.kind == "timeout", str(info.value)
    assert str(info.value).endswith("no complete answer within 1 s (timeout)")
    assert took < 10  # generous: "did not hang" (the server would go on for 30 s)


def test_a_body_that_ends_before_its_length_is_a_failure() -> None:
    """The page the drip server left half-sent read as 200 OK."""
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", "100")])
        return [b"<html>"]  # then wsgiref closes the connection

    with serving(app) as base, pytest.raises(IndexUnreachable) as info:
        fetch(base + "/simple/")
    assert str(info.value).endswith("the answer ended after 6 of its 100 bytes")


def test_dns_failure_is_named() -> None:
    with pytest.raises(IndexUnreachable, match="DNS lookup failed") as info:
        fetch("https://no-such-host.invalid/simple/", timeout=5)
    assert (info.value.kind, info.value.host) == ("dns", "no-such-host.invalid")


def test_tls_needs_the_cafile_for_a_private_ca(certificate: tuple[Path, Path]) -> None:
    cert, _ = certificate
    with serving(Scripted({"/simple/": Route()}), tls=server_tls(certificate)) as base:
        with pytest.raises(IndexUnreachable, match="TLS certificate not trusted") as info:
            fetch(base + "/simple/")
        response = fetch(base + "/simple/", cafile=str(cert))
    assert info.value.kind == "tls"
    assert response.status == 200


def test_a_bad_cafile_or_scheme_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot load the CA bundle"):
        fetch("https://127.0.0.1:1/", cafile=str(tmp_path / "missing.pem"))
    for url in ("ftp://u:p@127.0.0.1/", "bot:s3cr3t-value@127.0.0.1/simple/"):
        with pytest.raises(ConfigError, match="must start with http") as info:
            fetch(url)
        assert "s3cr3t" not in str(info.value) and ":p@" not in str(info.value)


def test_the_body_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "MAX_BODY", 1000)
    with serving(Scripted({"/big/": Route(body=b"x" * 5000)})) as base:
        response = fetch(base + "/big/")
    assert (len(response.body), response.truncated) == (1000, True)


def test_accept_and_user_agent_are_sent() -> None:
    seen: dict[str, str] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen.update(accept=environ.get("HTTP_ACCEPT", ""), agent=environ["HTTP_USER_AGENT"])
        start_response("200 OK", [("Content-Type", "application/vnd.pypi.simple.v1+json")])
        return [b"{}"]

    with serving(app) as base:
        response = fetch(base + "/", accept="application/vnd.pypi.simple.v1+json")
    assert response.content_type == "application/vnd.pypi.simple.v1+json"
    assert seen["accept"] == "application/vnd.pypi.simple.v1+json"
    assert seen["agent"].startswith("private-packages/")


def test_a_loopback_index_is_reached_past_the_proxies_of_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """doctor and `poetry source check` probe with the rule's credential: a proxy would
    carry a loopback http one off the machine in clear text, so loopback goes direct;
    every other host still follows http_proxy (the control)."""
    from support.header_log import LoggingIndex, basic
    from support.wheels import build_wheel

    token = make_canary()
    build_wheel(tmp_path / "w", "acme-internal", "1.0.0")
    with LoggingIndex(tmp_path / "w", protect=lambda path: False) as index, \
            LoggingIndex(tmp_path / "w", protect=lambda path: False) as proxy:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        assert fetch(f"http://127.0.0.1:{index.port}/simple/", username="u",
                     password=Secret(token)).status == 200
        assert fetch(f"http://index.test:{index.port}/simple/").status == 200
    assert index.authorizations() == [basic("u", token)]
    assert [s.raw_path for s in proxy.seen] == [f"http://index.test:{index.port}/simple/"]
    assert proxy.authorizations() == []
