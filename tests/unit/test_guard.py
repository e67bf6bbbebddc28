"""guard.py against real requests (poetry's and twine's) and pip's vendored copy, talking to
a server that logs every Authorization header: a credential of ours keeps to its rules on
every request that leaves, redirects included; anything else is left alone."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keyring_backend import guard
from keyring_backend.rules import CredentialRule, Layer, make_rule
from support.header_log import LoggingIndex, basic
from support.wheels import build_wheel
from tests.conftest import make_canary

REQUESTS = ["requests", "pip._vendor.requests"]


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    guard.forget_all()
    yield
    guard.forget_all()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LoggingIndex]:
    build_wheel(tmp_path / "w", "acme-internal", "1.0.0")
    with LoggingIndex(tmp_path / "w", protect=lambda path: False) as index:
        yield index


def session_for(package: str) -> Any:
    """A session whose adapter class is a fresh subclass with the guard installed, so the
    test never changes requests' own class for the rest of the run."""
    requests = importlib.import_module(package)
    adapters = importlib.import_module(f"{package}.adapters")

    class Adapter(adapters.HTTPAdapter):  # type: ignore[name-defined,misc]
        pass

    guard.install(Adapter)
    guard.install(Adapter)  # idempotent
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", Adapter())
    return session


def rule(url: str, username: str = "deploy") -> CredentialRule:
    return make_rule(url, username, "${T}", Layer.ENV, "env PRIVATE_PACKAGES_T_*")


def sent(server: LoggingIndex, path: str) -> list[str | None]:
    return [s.authorization for s in server.seen if s.path == path]


@pytest.mark.parametrize("package", REQUESTS)
def test_our_credential_keeps_to_its_prefix(server: LoggingIndex, package: str) -> None:
    token = make_canary()
    base = f"http://127.0.0.1:{server.port}"
    guard.remember("deploy", token, rule(f"{base}/groups/12"), secret_username=False)
    session = session_for(package)
    header = basic("deploy", token)
    for path in ("/groups/12/simple/", "/groups/123/simple/", "/groups/12/%2e%2e/123/simple/",
                 "/groups/12/sub/%2e%2e/simple/", "/groups/12/..;/123/simple/"):
        session.get(base + path, headers={"Authorization": header})
    # the server reads /groups/12/sub/%2e%2e/simple as /groups/12/simple: still inside
    assert sent(server, "/groups/12/simple") == [header, header]
    assert sent(server, "/groups/123/simple") == [None, None]
    assert [s.authorization for s in server.seen if ";" in s.path] == [None]


@pytest.mark.parametrize("package", REQUESTS)
def test_another_port_and_scheme_get_nothing(server: LoggingIndex, tmp_path: Path,
                                             package: str) -> None:
    token = make_canary()
    with LoggingIndex(server.wheels, protect=lambda path: False) as other:
        guard.remember("deploy", token, rule(f"http://127.0.0.1:{server.port}"),
                       secret_username=False)
        session = session_for(package)
        session.get(f"http://127.0.0.1:{other.port}/simple/",
                    headers={"Authorization": basic("deploy", token)})
        session.get(f"http://127.0.0.1:{server.port}/simple/",
                    headers={"Authorization": basic("deploy", token)})
    assert other.authorizations() == []
    assert server.authorizations() == [basic("deploy", token)]


@pytest.mark.parametrize("package", REQUESTS)
def test_a_same_host_redirect_out_of_the_prefix_loses_it(server: LoggingIndex,
                                                          package: str) -> None:
    """requests keeps Authorization on a same-host redirect; the guard sees the new URL."""
    token = make_canary()
    base = f"http://127.0.0.1:{server.port}"
    guard.remember("deploy", token, rule(f"{base}/groups/12"), secret_username=False)
    server.redirects["/groups/12/moved"] = "/groups/123/simple/"
    session_for(package).get(f"{base}/groups/12/moved", headers={
        "Authorization": basic("deploy", token)})
    assert sent(server, "/groups/12/moved") == [basic("deploy", token)]
    assert sent(server, "/groups/123/simple") == [None]


@pytest.mark.parametrize("package", REQUESTS)
def test_what_is_not_ours_is_left_alone(server: LoggingIndex, package: str) -> None:
    token = make_canary()
    base = f"http://127.0.0.1:{server.port}"
    guard.remember("deploy", token, rule(f"{base}/groups/12"), secret_username=False)
    theirs = basic("deploy", make_canary("theirs"))  # same (literal) username, their password
    session_for(package).get(f"{base}/groups/123/simple/", headers={"Authorization": theirs})
    assert server.authorizations() == [theirs]


def test_a_username_from_a_reference_is_a_secret_too(server: LoggingIndex) -> None:
    """Registries that take the token as the username (Gemfury): the username binds."""
    token = make_canary().replace(":", "")  # a Basic user-id cannot hold a ':'
    base = f"http://127.0.0.1:{server.port}"
    guard.remember(token, "", rule(f"{base}/groups/12", "${T}"), secret_username=True)
    session_for("requests").get(f"{base}/groups/123/simple/",
                                headers={"Authorization": basic(token, "")})
    assert server.authorizations() == []


@pytest.mark.parametrize("package", REQUESTS)
def test_a_colon_in_the_username_hides_nothing(server: LoggingIndex, package: str) -> None:
    """A Basic value splits at its first colon: `deploy:bot` + token read as user `deploy`,
    password `bot:TOKEN`, neither half known, so the header went everywhere (attack2:
    test_guard_colon_username.py). Such usernames are refused where rules load; the guard
    also knows the whole pair, should one get through."""
    token = make_canary()
    base = f"http://127.0.0.1:{server.port}"
    guard.remember("deploy:bot", token, rule(f"{base}/groups/12"), secret_username=False)
    header = basic("deploy:bot", token)
    session = session_for(package)
    for path in ("/groups/12/simple/", "/groups/123/simple/"):
        session.get(base + path, headers={"Authorization": header})
    assert sent(server, "/groups/12/simple") == [header]
    assert sent(server, "/groups/123/simple") == [None]


def test_nothing_remembered_nothing_checked(server: LoggingIndex) -> None:
    """The control: without the rule, the same request carries the header (the tests
    above could fail)."""
    header = basic("deploy", make_canary())
    session_for("requests").get(f"http://127.0.0.1:{server.port}/groups/123/simple/",
                                headers={"Authorization": header})
    assert server.authorizations() == [header]


@pytest.mark.parametrize(("header_of", "carries"), [
    (lambda t: basic("u", t), True),
    (lambda t: "Basic " + __import__("base64").b64encode(f"u:{t}".encode()).decode(), True),
    (lambda t: f"Bearer {t}", True),
    (lambda t: f"token {t}", True),
    (lambda t: "Basic not-base64!", False),
    (lambda t: basic("u", t + "x"), False),
])
def test_may_carry_reads_every_spelling(header_of: Any, carries: bool) -> None:
    token = make_canary(ascii_only=False)
    guard.remember("u", token, rule("https://h.example/a"), secret_username=False)
    header = header_of(token)
    assert guard.may_carry("https://h.example/a/x", header)
    assert guard.may_carry("https://other.example/a/x", header) is not carries
    assert guard.may_carry("http://h.example/a/x", header) is not carries


@pytest.mark.parametrize("package", REQUESTS)
@pytest.mark.parametrize(("allow_http", "proxied", "carried"), [
    (False, True, False),  # loopback http through a proxy: off the machine, in clear text
    (True, True, True),  # you allowed http on the network: the proxy may carry it
    (False, False, True),  # no proxy: it never leaves the machine
])
def test_a_proxy_ends_the_loopback_exemption(server: LoggingIndex, package: str,
                                             allow_http: bool, proxied: bool, carried: bool,
                                             caplog: pytest.LogCaptureFixture) -> None:
    token = make_canary()
    base = f"http://127.0.0.1:{server.port}"
    bound = make_rule(base, "deploy", "${T}", Layer.ENV, "env PRIVATE_PACKAGES_T_*",
                      allow_http=allow_http)
    guard.remember("deploy", token, bound, secret_username=False)
    header = basic("deploy", token)
    # A second LoggingIndex stands in for the proxy: it logs the request it is handed.
    with LoggingIndex(server.wheels, protect=lambda path: False) as proxy:
        proxy_url = f"http://proxy-user:proxy-pass@127.0.0.1:{proxy.port}"
        session_for(package).get(f"{base}/simple/", headers={"Authorization": header},
                                 proxies={"http": proxy_url} if proxied else {})
    received = proxy if proxied else server
    assert [s.raw_path for s in received.seen] == [f"{base}/simple/" if proxied else "/simple/"]
    assert received.authorizations() == ([header] if carried else [])
    if not carried:
        assert f"the proxy 127.0.0.1:{proxy.port} would carry it in clear text" in caplog.text
        assert "proxy-pass" not in caplog.text


@pytest.mark.parametrize("package", REQUESTS)
def test_no_proxy_of_the_environment_is_followed(server: LoggingIndex, package: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard judges the proxy requests itself chose: with HTTP_PROXY set and the host in
    NO_PROXY, the request goes straight to the server, and so does the credential."""
    token = make_canary()
    base = f"http://127.0.0.1:{server.port}"
    guard.remember("deploy", token, rule(base), secret_username=False)
    with LoggingIndex(server.wheels, protect=lambda path: False) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        session = session_for(package)
        session.trust_env = True
        session.get(f"{base}/simple/", headers={"Authorization": basic("deploy", token)})
        monkeypatch.setenv("NO_PROXY", "")
        session.get(f"{base}/other/", headers={"Authorization": basic("deploy", token)})
    assert server.authorizations() == [basic("deploy", token)]
    assert [s.raw_path for s in proxy.seen] == [f"{base}/other/"]
    assert proxy.authorizations() == []
