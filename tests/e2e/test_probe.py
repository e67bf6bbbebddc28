"""`probe_index` against real indexes on 127.0.0.1: pypiserver in 401 and 403 mode, and small
scripted servers for what pypiserver cannot show (no root listing, redirects, login pages,
GitLab-shaped paths). Every verdict is checked for its status, exit code and advice, and
every scenario that handles a secret checks it is absent from what the user sees.

Exit codes (DESIGN.md): 0 accepted; 3 when the index refuses access (401/403) -- the sent
credential was rejected (verdict REJECTED) or none reached it (MISSING); 2 for everything
else (404, a login page, 5xx, unreachable).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Optional
from urllib.parse import quote

import pytest

from keyring_backend.errors import EXIT_CONFIG, EXIT_REJECTED
from keyring_backend.probe import (
    ProbeResult,
    display_username,
    index_url,
    normalize_name,
    probe_index,
)
from keyring_backend.registry_hints import registry_hint
from keyring_backend.rules import Layer, make_rule
from keyring_backend.secret import MASK, Secret
from support.pypi_server import PrivateIndex
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.unit.test_http import Route, Scripted, free_port, serving

RIGHT, WRONG = "<right>", "<wrong>"


def shown(result: ProbeResult, caplog: pytest.LogCaptureFixture) -> dict[str, str]:
    """Everything a user (or a log file) sees of a probe."""
    return {"summary": result.summary, "fix": result.fix, "url": result.url,
            "repr": repr(result), "logs": caplog.text}


@pytest.fixture(params=[401, 403], ids=["mode-401", "mode-403"])
def index(request: pytest.FixtureRequest, tmp_path: Path, canary: str,
          sample_wheels: Path) -> Iterator[PrivateIndex]:
    """pypiserver holding acme-internal; user `deploy-bot`, password = canary."""
    root = tmp_path / "packages"
    shutil.copytree(sample_wheels, root)
    with PrivateIndex(root, password=canary, username="deploy-bot",
                      mode=request.param) as served:
        yield served


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("username", "password", "ok", "exit_code", "words"),
    [
        ("deploy-bot", RIGHT, True, 0, "accepted the credential for deploy-bot"),
        ("deploy-bot", WRONG, False, EXIT_REJECTED, "the credential for deploy-bot"),
        ("someone-else", RIGHT, False, EXIT_REJECTED, "the credential for someone-else"),
        (None, None, False, EXIT_REJECTED, "needs a credential and none was sent"),
    ],
    ids=["right", "wrong-password", "wrong-username", "no-credential"],
)
def test_pypiserver_verdicts(index: PrivateIndex, canary: str, caplog: pytest.LogCaptureFixture,
                             username: Optional[str], password: Optional[str], ok: bool,
                             exit_code: int, words: str) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = make_canary("wrong")
    secret = {RIGHT: canary, WRONG: wrong, None: None}[password]
    result = probe_index(index.simple_url.rstrip("/"), username=username,
                         password=Secret(secret) if secret is not None else None)
    assert (result.ok, result.exit_code) == (ok, exit_code)
    assert result.status == (200 if ok else index.mode)
    assert result.url == index.simple_url, "probed with a trailing slash, as pip does"
    assert words in result.summary
    assert bool(result.fix) is not ok
    if index.mode == 401 and not ok:
        assert "realm 'private-index'" in result.summary
    if username is None:
        assert "[[tool.private-packages.credentials]]" in result.fix
        assert f'url = "{index.simple_url}"' in result.fix
        assert ("pypiserver" in result.fix) is (index.mode == 403)
    elif not ok:
        assert ("wrong, expired or revoked" in result.fix) is (index.mode == 401)
        assert ("lacks a scope" in result.fix) is (index.mode == 403)
    for value in (canary, wrong):
        assert_not_in_texts(value, shown(result, caplog), username)


@pytest.mark.e2e
def test_userinfo_in_the_url_is_the_credential_and_never_shown(
        private_index: PrivateIndex, canary: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = private_index.simple_url.replace("://", f"://deploy-bot:{quote(canary, safe='')}@")
    result = probe_index(url, username=None, password=None)
    assert (result.ok, result.exit_code, result.url) == (True, 0, private_index.simple_url)
    assert "deploy-bot" in result.summary
    assert [r.authorized for r in private_index.requests] == [True, False], \
        "one request with the credential, one without to see whether the index is public"
    assert_not_in_texts(canary, shown(result, caplog), "deploy-bot")

    wrong = url.replace(quote(canary, safe=""), quote(canary + "x", safe=""))
    rejected = probe_index(wrong, username=None, password=None)
    assert (rejected.status, rejected.exit_code) == (401, EXIT_REJECTED)
    for value in (canary, canary + "x"):
        assert_not_in_texts(value, shown(rejected, caplog), "deploy-bot")


@pytest.mark.e2e
def test_a_token_shaped_username_is_masked(tmp_path: Path, sample_wheels: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """Gemfury style: the whole secret is the username (here with a dummy password)."""
    caplog.set_level(logging.DEBUG)
    token = "glpat-" + make_canary("user").split("@")[0]
    shutil.copytree(sample_wheels, tmp_path / "p")
    with PrivateIndex(tmp_path / "p", password="x") as served:  # any username
        result = probe_index(served.simple_url, username=token, password=Secret("x"))
    assert result.ok
    assert f"credential for {MASK} (username hidden" in result.summary
    assert_not_in_texts(token, shown(result, caplog))


@pytest.mark.e2e
def test_a_wrong_path_is_a_404(private_index: PrivateIndex, canary: str,
                               caplog: pytest.LogCaptureFixture) -> None:
    result = probe_index(private_index.url + "/simpel", username="deploy-bot",
                         password=Secret(canary))
    assert (result.status, result.ok, result.exit_code) == (404, False, EXIT_CONFIG)
    assert result.summary == f"404 Not Found: nothing at {private_index.url}/simpel/"
    assert "/simple/" in result.fix and "404 instead of 401/403" in result.fix
    assert_not_in_texts(canary, shown(result, caplog), "deploy-bot")


@pytest.mark.e2e
def test_the_package_page_answers_when_the_root_has_no_listing(
        canary: str, caplog: pytest.LogCaptureFixture) -> None:
    """GitLab project registries and some proxies have no root listing: the root is a 404."""
    app = Scripted({"/simple/acme-internal/": Route(auth=("bot", canary))})
    with serving(app) as base:
        found = probe_index(base + "/simple", username="bot", password=Secret(canary),
                            package="Acme_Internal")
        missing = probe_index(base + "/simple", username="bot", password=Secret(canary))
        unknown = probe_index(base + "/simple", username="bot", password=Secret(canary),
                              package="nothing.here")
    assert (found.ok, found.exit_code, found.url) == (True, 0, base + "/simple/acme-internal/")
    assert "accepted the credential for bot" in found.summary
    assert "no root listing" in found.summary
    assert (missing.status, missing.exit_code) == (404, EXIT_CONFIG)
    assert unknown.summary.endswith(f"{base}/simple/ and {base}/simple/nothing-here/")
    for result in (found, missing, unknown):
        assert_not_in_texts(canary, shown(result, caplog), "bot")


@pytest.mark.e2e
def test_a_public_index_needs_no_credential(canary: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    with serving(Scripted({"/simple/": Route()})) as base:
        anonymous = probe_index(base + "/simple/", username=None, password=None,
                                rule="pyproject.toml credentials[1]")
        with_credential = probe_index(base + "/simple/", username="bot",
                                      password=Secret(canary))
    assert (anonymous.ok, anonymous.exit_code) == (True, 0)
    assert "does not need a credential" in anonymous.summary
    assert "rule pyproject.toml credentials[1] is unused for listing" in anonymous.summary
    assert with_credential.ok
    assert "was not checked" in with_credential.summary, "a public index accepts anything"
    assert_not_in_texts(canary, shown(with_credential, caplog), "bot")


@pytest.mark.e2e
def test_a_rule_without_a_credential_is_named(private_index: PrivateIndex) -> None:
    result = probe_index(private_index.simple_url, username=None, password=None,
                         rule="env PRIVATE_PACKAGES_LOCAL_*")
    assert (result.status, result.exit_code, result.verdict) == (401, EXIT_REJECTED, "MISSING")
    assert "Rule env PRIVATE_PACKAGES_LOCAL_* binds this URL" in result.fix


@pytest.mark.e2e
def test_a_redirect_to_a_login_page_elsewhere_is_not_ok(
        canary: str, caplog: pytest.LogCaptureFixture) -> None:
    login = Scripted({"/login": Route(body=b"<html><form method=post><input type=password "
                                           b"name=p></form></html>")})
    with serving(login) as sso:
        app = Scripted({"/simple/": Route("302 Found", b"", location=sso + "/login")})
        with serving(app) as base:
            result = probe_index(base + "/simple/", username="bot", password=Secret(canary))
    assert (result.status, result.ok, result.exit_code) == (200, False, EXIT_CONFIG)
    assert "login page" in result.summary
    assert "was not forwarded" in result.fix and "single sign-on" in result.fix
    assert login.seen[0].authorization is None
    assert_not_in_texts(canary, shown(result, caplog), "bot")


@pytest.mark.e2e
def test_a_redirect_to_another_origin_that_wants_a_credential(canary: str) -> None:
    other = Scripted({"/simple/": Route(auth=("bot", canary))})
    with serving(other) as elsewhere:
        app = Scripted({"/simple/": Route("301 Moved Permanently", b"",
                                          location=elsewhere + "/simple/")})
        with serving(app) as base:
            result = probe_index(base + "/simple/", username="bot", password=Secret(canary))
    assert (result.status, result.exit_code, result.url) == (401, EXIT_REJECTED,
                                                             elsewhere + "/simple/")
    assert (result.credential_sent, result.verdict) == (False, "MISSING")
    assert f"redirected to {elsewhere}/simple/" in result.fix
    assert other.seen[0].authorization is None


@pytest.mark.e2e
def test_a_redirect_out_of_the_rule_on_the_same_origin_drops_the_credential(
        canary: str) -> None:
    """A `/groups/12` rule's credential followed a 302 to `/groups/123/` (attack2:
    test_probe_redirect.py): now the probe says it was not forwarded, and why."""
    app = Scripted({"/groups/12/simple/": Route("302 Found", b"",
                                                location="/groups/123/simple/"),
                    "/groups/123/simple/": Route(auth=("bot", canary))})
    with serving(app) as base:
        rule = make_rule(f"{base}/groups/12", "bot", "${T}", Layer.ENV, "env G")
        result = probe_index(base + "/groups/12/simple/", username="bot",
                             password=Secret(canary), rule=rule.origin, bound=rule)
    assert [s.authorization is None for s in app.seen] == [False, True]
    assert (result.status, result.verdict, result.exit_code) == (401, "MISSING", EXIT_REJECTED)
    assert (f"The index redirected to {base}/groups/123/simple/, outside {base}/groups/12: "
            "the credential is only sent there") in result.fix


@pytest.mark.e2e
@pytest.mark.parametrize("body", [b'{"meta": {"api-version": "1.0"}, "projects": [', b"[]"],
                         ids=["cut-short", "not-an-object"])
def test_an_unreadable_json_page_is_not_ok(body: bytes) -> None:
    route = Route(body=body, content_type="application/vnd.pypi.simple.v1+json")
    with serving(Scripted({"/simple/": route})) as base:
        result = probe_index(base + "/simple/", username=None, password=None)
    assert (result.status, result.ok, result.exit_code) == (200, False, EXIT_CONFIG)
    assert "an unreadable JSON page" in result.summary


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("status", "exit_code", "words"),
    [("500 Internal Server Error", EXIT_CONFIG, "not your credential"),
     ("503 Service Unavailable", EXIT_CONFIG, "not your credential"),
     ("407 Proxy Authentication Required", EXIT_CONFIG, "https_proxy"),
     ("429 Too Many Requests", EXIT_CONFIG, "retry later")],
    ids=["500", "503", "407", "429"],
)
def test_other_statuses(status: str, exit_code: int, words: str) -> None:
    with serving(Scripted({"/simple/": Route(status, b"", "text/plain")})) as base:
        result = probe_index(base + "/simple/", username=None, password=None)
    assert (result.status, result.ok, result.exit_code) == (int(status[:3]), False, exit_code)
    assert words in result.fix


@pytest.mark.e2e
def test_a_gitlab_shaped_path_gets_gitlab_advice(canary: str) -> None:
    path = "/api/v4/projects/42/packages/pypi/simple/"
    with serving(Scripted({path: Route(auth=("gitlab-ci-token", canary))})) as base:
        rejected = probe_index(base + path, username="__token__", password=Secret(canary))
        missing = probe_index(base + path, username=None, password=None)
    assert rejected.exit_code == EXIT_REJECTED
    assert "gitlab-ci-token" in rejected.fix and "deploy token" in rejected.fix
    assert (missing.exit_code, missing.verdict) == (EXIT_REJECTED, "MISSING")
    assert 'username = "__token__"' in missing.fix and "GitLab" in missing.fix


@pytest.mark.e2e
def test_an_unreachable_index(canary: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://bot:{quote(canary, safe='')}@127.0.0.1:{free_port()}/simple"
    result = probe_index(url, username=None, password=None, timeout=5)
    assert (result.status, result.ok, result.exit_code) == (None, False, EXIT_CONFIG)
    assert result.summary.startswith("unreachable: cannot reach 127.0.0.1:")
    assert "connection refused" in result.summary and "port" in result.fix
    assert_not_in_texts(canary, shown(result, caplog), "bot")
    assert "bot" not in result.summary + result.fix + result.url


@pytest.mark.parametrize(
    ("url", "key", "keyword"),
    [
        ("https://gitlab.example.com/api/v4/projects/42/packages/pypi/simple", "gitlab",
         "gitlab-ci-token"),
        ("https://code.corp/api/v4/groups/7/-/packages/pypi/simple", "gitlab", "read_api"),
        ("https://gitlab.com/api/v4/projects/a%2Fb/packages/pypi", "gitlab", "deploy token"),
        ("https://github.com/org/repo.git", "github", "x-access-token"),
        ("https://acme.jfrog.io/artifactory/api/pypi/pypi-local/simple", "artifactory",
         "identity token"),
        ("https://repo.corp/artifactory/api/pypi/py/simple", "artifactory", "API key"),
        ("https://nexus.corp/repository/pypi-internal/simple", "nexus", "user token"),
        ("https://repo.corp/repository/pypi-group/simple/", "nexus", "pass code"),
        ("https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/r/simple/",
         "codeartifact", "`aws`"),
        ("https://europe-west1-python.pkg.dev/proj/repo/simple/", "google",
         "oauth2accesstoken"),
        ("https://pkgs.dev.azure.com/org/proj/_packaging/feed/pypi/simple/", "azure",
         "Packaging (Read)"),
        ("https://org.pkgs.visualstudio.com/_packaging/feed/pypi/simple/", "azure",
         "any non-empty username"),
        ("https://pypi.fury.io/acme/", "gemfury", "token is the username"),
    ],
    ids=["gitlab-project", "gitlab-group-other-host", "gitlab-path-id", "github",
         "jfrog-cloud", "artifactory-self-hosted", "nexus-host", "nexus-path", "codeartifact",
         "google", "azure", "azure-legacy", "gemfury"],
)
def test_registry_hint_selection(url: str, key: str, keyword: str) -> None:
    hint = registry_hint(url)
    assert hint is not None and hint.key == key
    assert keyword in hint.credential


@pytest.mark.parametrize(
    "url",
    ["https://pypi.org/simple/", "http://127.0.0.1:8080/simple/", "https://gitlabx.com/simple",
     "https://evil.io/gitlab.example.com/", "https://codeartifact.amazonaws.com.evil.io/",
     "https://fury.io.evil.io/", "not a url"],
    ids=["pypi", "loopback", "gitlab-lookalike", "host-in-path", "codeartifact-lookalike",
         "fury-lookalike", "garbage"],
)
def test_unknown_registries_get_no_hint(url: str) -> None:
    assert registry_hint(url) is None


def test_short_lived_tokens_say_so() -> None:
    codeartifact = registry_hint("https://d-1.d.codeartifact.us-east-1.amazonaws.com/pypi/r/")
    google = registry_hint("https://us-python.pkg.dev/p/r/simple/")
    assert codeartifact is not None and "12 hours" in codeartifact.expiry
    assert "expired, mint a new one" in codeartifact.expiry
    assert google is not None and "1 hour" in google.expiry


@pytest.mark.parametrize(
    ("username", "display"),
    [
        ("deploy-bot", "deploy-bot"), ("__token__", "__token__"), ("aws", "aws"),
        ("gitlab-ci-token", "gitlab-ci-token"), ("x-access-token", "x-access-token"),
        ("gitlab+deploy-token-1234567", "gitlab+deploy-token-1234567"),
        ("oauth2accesstoken", "oauth2accesstoken"), ("jane.doe", "jane.doe"),
        ("user1", "user1"), (None, ""), ("", ""),
        ("glpat-abcdefghij", MASK), ("ghp_abc", MASK), ("github_pat_11AAA", MASK),
        ("1a2b3c4d5e6f", MASK), ("AbcDef9xyz", MASK), ("a" * 20, MASK),
        ("tok en", MASK), ("9starts-with-digit", MASK), ("eyJhbGciOi", MASK),
    ],
    ids=lambda value: repr(value)[:24],
)
def test_display_username(username: Optional[str], display: str) -> None:
    assert display_username(username) == display


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://u:p@h/simple", "https://h/simple/"), ("https://h/simple/", "https://h/simple/"),
     ("https://h", "https://h/"), ("https://h/s?x=1#f", "https://h/s/?x=1")],
    ids=["userinfo", "slash-kept", "bare-host", "query-kept-fragment-dropped"],
)
def test_index_url(url: str, expected: str) -> None:
    assert index_url(url) == expected


def test_normalize_name() -> None:
    assert normalize_name("Acme__Internal.tools-X") == "acme-internal-tools-x"


@pytest.mark.e2e
def test_the_token_expiry_github_reports_is_kept(canary: str) -> None:
    """GitHub answers an authenticated request with the token's expiry; `poetry source
    check` shows it (token_expiry.github_header_expiry parses it)."""
    expires = ("GitHub-Authentication-Token-Expiration", "2031-05-01 10:00:00 UTC")
    app = Scripted({"/simple/": Route(auth=("bot", canary), headers=(expires,))})
    with serving(app) as base:
        result = probe_index(base + "/simple/", username="bot", password=Secret(canary))
    assert (result.ok, result.token_expiration) == (True, "2031-05-01 10:00:00 UTC")
    assert "token_expiration" in repr(result) and canary not in repr(result)
