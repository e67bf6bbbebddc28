"""Which URL gets which credential: `parse_location`, `CredentialRule.matches`, `RuleSet.find`
and the safety checks of `make_rule` (DESIGN.md "Credential rules")."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.errors import ConfigError
from keyring_backend.rules import CredentialRule, Layer, RuleSet, make_rule
from keyring_backend.urls import Location, normalise_path, parse_location, path_within
from tests.leaks import forms

SECRET = f"s3cr@t:/#%? ü-{uuid.uuid4().hex[:12]}"


def rule(url: str, *, layer: Layer = Layer.PROJECT, origin: str = "test rule",
         allow_http: bool = False, username: Optional[str] = None) -> CredentialRule:
    return make_rule(url, username, SECRET, layer, origin, allow_http=allow_http)


def loc(service: str) -> Location:
    parsed = parse_location(service)
    assert parsed is not None, service
    return parsed


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("https://gitlab.example.com/api/v4/projects/1/packages/pypi/simple/",
         Location("https", "gitlab.example.com", 443, "/api/v4/projects/1/packages/pypi/simple")),
        ("https://Host.Example.COM/Simple/", Location("https", "host.example.com", 443, "/Simple")),
        ("HTTPS://host/", Location("https", "host", 443, "")),
        ("https://host", Location("https", "host", 443, "")),
        ("https://host.example.com./a", Location("https", "host.example.com", 443, "/a")),
        ("https://host:443/a", Location("https", "host", 443, "/a")),
        ("https://host:8443/a", Location("https", "host", 8443, "/a")),
        ("http://host/a", Location("http", "host", 80, "/a")),
        ("http://host:80/a", Location("http", "host", 80, "/a")),
        ("http://host:443/a", Location("http", "host", 443, "/a")),
        ("https://host//a///b//", Location("https", "host", 443, "/a/b")),
        ("https://host/a/./b/../c/", Location("https", "host", 443, "/a/c")),
        ("https://host/../../a", Location("https", "host", 443, "/a")),
        ("https://user:p%40ss@host/a?x=1&y=2#sha256=abc",
         Location("https", "host", 443, "/a")),
        ("https://__token__@host:8443/a/files/x-1.0.whl#sha256=0f",
         Location("https", "host", 8443, "/a/files/x-1.0.whl")),
        ("http://[::1]:8080/simple/", Location("http", "[::1]", 8080, "/simple")),
        ("http://[::1]/", Location("http", "[::1]", 80, "")),
        ("https://[2001:DB8::1]/x", Location("https", "[2001:db8::1]", 443, "/x")),
        ("http://127.0.0.1:3141/root/pypi/+simple/",
         Location("http", "127.0.0.1", 3141, "/root/pypi/+simple")),
        # netloc-only: pip's and poetry's fallback lookup
        ("gitlab.example.com", Location(None, "gitlab.example.com", None, None)),
        ("GitLab.Example.com:8443", Location(None, "gitlab.example.com", 8443, None)),
        ("127.0.0.1:3141", Location(None, "127.0.0.1", 3141, None)),
        ("[::1]:8080", Location(None, "[::1]", 8080, None)),
        ("localhost", Location(None, "localhost", None, None)),
        # a Unicode host name is the punycode host clients connect to
        ("https://Bücher.example/simple/", Location("https", "xn--bcher-kva.example", 443,
                                                    "/simple")),
        ("https://xn--bcher-KVA.example/simple/", Location("https", "xn--bcher-kva.example",
                                                           443, "/simple")),
        ("https://\uff45xample.com/", Location("https", "example.com", 443, "")),  # full-width
        ("bücher.example:8443", Location(None, "xn--bcher-kva.example", 8443, None)),
    ],
)
def test_parse_location_normalises(service: str, expected: Location) -> None:
    assert parse_location(service) == expected


@pytest.mark.parametrize(
    "service",
    [
        "",
        "ftp://host/simple",
        "file:///srv/simple",
        "git+https://host/repo.git",
        "https://",
        "https:///path-only",
        "https://host:99999/",
        "https://host:abc/",
        "host:99999",
        "host:0",
        "user@host",
        "has space",
        # IDNA 2003 (Python) and 2008 (requests, curl) read these as different hosts
        "https://straße.example/", "https://\u03c2.example/", "https://a\u200db.example/",
        "straße.example:443",
    ],
)
def test_parse_location_rejects_what_is_not_a_place(service: str) -> None:
    assert parse_location(service) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [("", ""), ("/", ""), ("//", ""), ("/a/", "/a"), ("/a//b", "/a/b"), ("/a/./b", "/a/b"),
     ("/a/../b", "/b"), ("/a/b/..", "/a"), ("/..", ""), ("/a/%2e%2e/b", "/a/%2e%2e/b")],
)
def test_normalise_path(path: str, expected: str) -> None:
    assert normalise_path(path) == expected


@pytest.mark.parametrize(
    ("path", "prefix", "inside"),
    [("/a", "/a", True), ("/a/b", "/a", True), ("/ab", "/a", False), ("/a", "/a/b", False),
     ("", "", True), ("/anything", "", True), ("", "/a", False)],
)
def test_path_within_respects_segment_boundaries(path: str, prefix: str, inside: bool) -> None:
    assert path_within(path, prefix) is inside


# --------------------------------------------------------------------------- matching

GITLAB = "https://gitlab.example.com/api/v4/projects/7/packages/pypi"


@pytest.mark.parametrize(
    ("rule_url", "service", "matches"),
    [
        # the prefix itself and everything below it
        (GITLAB, GITLAB, True),
        (GITLAB, GITLAB + "/", True),
        (GITLAB, GITLAB + "/simple/", True),
        (GITLAB, GITLAB + "/simple/acme-internal/", True),
        (GITLAB, GITLAB + "/files/0f/acme_internal-1.0-py3-none-any.whl#sha256=0f", True),
        (GITLAB + "/", GITLAB, True),
        # ports: the explicit default port is the implicit one
        (GITLAB, GITLAB.replace(".com/", ".com:443/") + "/simple/", True),
        ("https://gitlab.example.com:443/x", "https://gitlab.example.com/x/simple/", True),
        (GITLAB, GITLAB.replace(".com/", ".com:8443/") + "/simple/", False),
        ("https://gitlab.example.com:8443/x", "https://gitlab.example.com/x/simple/", False),
        ("https://gitlab.example.com:8443/x", "https://gitlab.example.com:8443/x/y", True),
        # path boundaries
        ("https://h.example/a", "https://h.example/a", True),
        ("https://h.example/a", "https://h.example/a/", True),
        ("https://h.example/a/", "https://h.example/a", True),
        ("https://h.example/a", "https://h.example/ab", False),
        ("https://h.example/a", "https://h.example/ab/c", False),
        ("https://h.example/a/b", "https://h.example/a", False),
        ("https://h.example/a", "https://h.example/", False),
        ("https://h.example/", "https://h.example/anything/below", True),
        # dot segments and duplicate slashes cannot walk out of (or into) a prefix
        ("https://h.example/a", "https://h.example/a/../b", False),
        ("https://h.example/a", "https://h.example/a/./x", True),
        ("https://h.example/a", "https://h.example/b/../a/x", True),
        ("https://h.example/a/b", "https://h.example//a//b//c", True),
        ("https://h.example/a/b", "https://h.example/a/b/../../a/c", False),
        # scheme: never http -> https or back
        ("https://h.example/a", "http://h.example/a", False),
        ("https://h.example/a", "http://h.example:443/a", False),
        ("http://127.0.0.1:8080/a", "https://127.0.0.1:8080/a", False),
        # host
        ("https://h.example/a", "https://H.EXAMPLE/a/x", True),
        ("https://h.example/a", "https://h.example./a/x", True),
        ("https://h.example/a", "https://h.example.evil.com/a", False),
        ("https://h.example/a", "https://evil.com/h.example/a", False),
        ("https://h.example/a", "https://sub.h.example/a", False),
        # userinfo, query and fragment do not change the place
        ("https://h.example/a", "https://u:pw@h.example/a/x?page=2#sha256=0f", True),
        ("https://h.example/a", "https://h.example/b?next=/a", False),
        ("https://h.example/a", "https://h.example/b#/a", False),
        ("https://h.example/a", "https://h.example@evil.com/a", False),
        # IPv6 literals
        ("http://[::1]:8080/", "http://[::1]:8080/simple/", True),
        ("http://[::1]:8080/", "http://[::1]:8081/simple/", False),
        ("http://[::1]:8080/", "http://127.0.0.1:8080/simple/", False),
    ],
)
def test_rule_matches_url(rule_url: str, service: str, matches: bool) -> None:
    credential_rule = rule(rule_url)
    assert credential_rule.matches(loc(service)) is matches


@pytest.mark.parametrize(
    ("rule_url", "allow_http", "service", "matches"),
    [
        # a loopback host-wide rule may travel over http: pip's `host:port` fallback gets it
        ("http://127.0.0.1:8080/", False, "127.0.0.1:8080", True),
        ("http://127.0.0.1:8080", False, "127.0.0.1:8080", True),
        ("http://127.0.0.1:8080/", False, "127.0.0.1:8081", False),
        ("http://127.0.0.1:8080/", False, "127.0.0.1", False),
        ("http://127.0.0.1/", False, "127.0.0.1", True),
        ("http://127.0.0.1/", False, "127.0.0.1:80", True),
        ("http://localhost/", False, "LOCALHOST", True),
        ("http://[::1]:3141/", False, "[::1]:3141", True),
        ("https://127.0.0.1:8443/", False, "127.0.0.1:8443", True),
        # a port-less netloc may mean port 80 or 443: only a loopback rule may guess
        ("http://internal.example/", True, "internal.example", False),
        ("https://internal.example/", True, "internal.example", False),
        ("http://internal.example/", True, "internal.example:80", True),
        ("https://internal.example/", True, "internal.example:443", True),
        ("https://127.0.0.1/", False, "127.0.0.1", True),
        # a path-bound rule never answers a lookup that has no path
        ("http://127.0.0.1:8080/simple", False, "127.0.0.1:8080", False),
        ("http://internal.example/simple", True, "internal.example", False),
        # an https rule for a public host never answers a netloc-only lookup: pip asks for the
        # netloc after an *http* index answered 401, and would send it over plain http
        ("https://gitlab.example.com/", False, "gitlab.example.com", False),
        ("https://gitlab.example.com/", False, "gitlab.example.com:443", False),
        ("https://gitlab.example.com", False, "gitlab.example.com", False),
        ("https://gitlab.example.com/api", False, "gitlab.example.com", False),
        ("https://gitlab.example.com/", False, "other.example.com", False),
    ],
)
def test_netloc_only_service_matches_only_host_wide_http_capable_rules(
    rule_url: str, allow_http: bool, service: str, matches: bool
) -> None:
    credential_rule = rule(rule_url, allow_http=allow_http)
    assert credential_rule.matches(loc(service)) is matches


@pytest.mark.parametrize("service", ["poetry-repository-x", "python-poetry-check",
                                     "python-poetry", "system", "poetry-repository-internal"])
def test_keyring_names_that_are_not_places_match_nothing(service: str) -> None:
    rules = RuleSet([rule("https://gitlab.example.com/"), rule("http://127.0.0.1:8080/"),
                     rule("http://localhost/"), rule("https://x.example/", allow_http=True)])
    parsed = parse_location(service)
    assert parsed is None or rules.find(parsed) is None


# --------------------------------------------------------------------------- RuleSet.find


@pytest.mark.parametrize(("rule_url", "url"), [
    ("https://bücher.example/simple", "https://xn--bcher-kva.example/simple/acme/"),
    ("https://xn--bcher-kva.example/simple", "https://BÜCHER.example/simple/acme/"),
])
def test_a_unicode_host_and_its_punycode_are_one_host(rule_url: str, url: str) -> None:
    """A rule written with the Unicode name never matched what requests sends (punycode)."""
    assert rule(rule_url).matches(loc(url))
    assert not rule(rule_url).matches(loc("https://bucher.example/simple/acme/"))


def test_a_host_the_idna_versions_disagree_on_is_refused_in_a_rule() -> None:
    with pytest.raises(ConfigError, match="url must be an http"):
        rule("https://straße.example/simple")


def test_longest_prefix_wins_whatever_the_order() -> None:
    short = rule("https://h.example/a", origin="short")
    long = rule("https://h.example/a/b", origin="long")
    root = rule("https://h.example/", origin="root")
    for ordered in ([short, long, root], [root, long, short], [long, root, short]):
        rules = RuleSet(ordered)
        assert rules.find(loc("https://h.example/a/b/c")) is long
        assert rules.find(loc("https://h.example/a/b")) is long
        assert rules.find(loc("https://h.example/a/bc")) is short
        assert rules.find(loc("https://h.example/a")) is short
        assert rules.find(loc("https://h.example/z")) is root
        assert rules.find(loc("https://other.example/a/b")) is None
        assert rules.find(loc("http://h.example/a/b")) is None


def test_longer_prefix_in_a_later_layer_beats_a_shorter_one_in_an_earlier_layer() -> None:
    env_wide = rule("https://h.example/", layer=Layer.ENV, origin="env")
    user_narrow = rule("https://h.example/a", layer=Layer.USER, origin="user")
    rules = RuleSet([env_wide, user_narrow])
    assert rules.find(loc("https://h.example/a/x")) is user_narrow
    assert rules.find(loc("https://h.example/b")) is env_wide


@pytest.mark.parametrize(
    "order",
    [(Layer.USER, Layer.PROJECT, Layer.ENV, Layer.PRESET),
     (Layer.PRESET, Layer.ENV, Layer.PROJECT, Layer.USER),
     (Layer.PROJECT, Layer.PRESET, Layer.USER, Layer.ENV)],
)
def test_same_prefix_goes_to_the_earlier_layer(order: tuple[Layer, ...]) -> None:
    by_layer = {layer: rule("https://h.example/a/", layer=layer, origin=layer.label)
                for layer in order}
    rules = RuleSet([by_layer[layer] for layer in order])
    service = loc("https://h.example/a/simple/")
    assert rules.find(service) is by_layer[Layer.ENV]
    del by_layer[Layer.ENV]
    assert RuleSet(list(by_layer.values())).find(service) is by_layer[Layer.PROJECT]
    del by_layer[Layer.PROJECT]
    assert RuleSet(list(by_layer.values())).find(service) is by_layer[Layer.USER]


def test_same_prefix_same_layer_goes_to_the_earlier_rule() -> None:
    first = rule("https://h.example/a", origin="first")
    second = rule("https://h.example/a/", origin="second")
    assert RuleSet([first, second]).find(loc("https://h.example/a/x")) is first
    assert RuleSet([second, first]).find(loc("https://h.example/a/x")) is second


def test_find_skips_a_longer_rule_that_does_not_match() -> None:
    https_long = rule("https://h.example/a/b")
    http_short = rule("http://h.example/a", allow_http=True)
    rules = RuleSet([https_long, http_short])
    assert rules.find(loc("http://h.example/a/b/c")) is http_short


def test_layers_are_labelled_and_ordered() -> None:
    assert sorted(Layer) == [Layer.ENV, Layer.PROJECT, Layer.USER, Layer.PRESET]
    assert [layer.label for layer in Layer] == ["environment", "project", "user config",
                                                "CI preset"]


# --------------------------------------------------------------------------- make_rule


@pytest.mark.parametrize(
    ("url", "allow_http", "words"),
    [
        ("not a url", False, "url must be an http(s) URL"),
        ("gitlab.example.com", False, "url must be an http(s) URL"),
        ("gitlab.example.com/simple", False, "url must be an http(s) URL"),
        ("ftp://files.example.com/simple", False, "url must be an http(s) URL"),
        ("ftp://files.example.com/simple", True, "url must be an http(s) URL"),
        ("https://", False, "url must be an http(s) URL"),
        ("http://pypi.example.com/simple", False, "plain http to pypi.example.com"),
        ("http://10.0.0.5:8080/simple", False, "plain http to 10.0.0.5"),
        ("http://127.0.0.1.nip.io/simple", False, "plain http to 127.0.0.1.nip.io"),
        ("http://localhost.evil.com/", False, "plain http to localhost.evil.com"),
        ("http://[::2]/", False, "plain http to [::2]"),
    ],
)
def test_make_rule_refuses(url: str, allow_http: bool, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_rule(url, "bot", SECRET, Layer.PROJECT, "pyproject.toml [[credentials]] #3",
                  allow_http=allow_http)
    message = str(info.value)
    assert message.startswith("pyproject.toml [[credentials]] #3: ")
    assert words in message
    for form in forms(SECRET):
        assert form not in message
        assert form not in repr(info.value)


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("http://127.0.0.1:8080/simple", False),
        ("http://127.0.0.5/", False),
        ("http://127.255.255.254:1/", False),
        ("http://localhost/simple", False),
        ("http://LOCALHOST:3141/", False),
        ("http://[::1]:3141/", False),
        ("http://pypi.internal.example/simple", True),
        ("https://pypi.example.com/simple", False),
    ],
)
def test_make_rule_accepts_https_loopback_http_and_opted_in_http(url: str,
                                                                 allow_http: bool) -> None:
    made = make_rule(url, None, SECRET, Layer.USER, "o", allow_http=allow_http)
    assert made.username == "__token__"
    assert made.location == loc(url)
    assert made.may_use_http is (made.location.scheme == "http" or allow_http
                                 or made.location.is_loopback)


def test_make_rule_refuses_an_empty_password() -> None:
    with pytest.raises(ConfigError, match=r"^o: password is empty$"):
        make_rule("https://h.example/", "bot", "", Layer.USER, "o")


@pytest.mark.parametrize("username", ["deploy:bot", ":", "${ORG}:bot", "bot:${ORG}"])
def test_make_rule_refuses_a_colon_in_the_username(username: str) -> None:
    """RFC 7617: a Basic user-id ends at the first colon (attack2:
    test_guard_colon_username.py). One line, and no part of the username."""
    with pytest.raises(ConfigError) as info:
        make_rule("https://h.example/", username, SECRET, Layer.ENV, "env PRIVATE_PACKAGES_X_*")
    message = str(info.value)
    assert message.startswith("env PRIVATE_PACKAGES_X_*: the username holds a ':', which "
                              "HTTP Basic cannot carry")
    assert "\n" not in message and "bot" not in message


@pytest.mark.parametrize("username", ["${ORG}", "${ORG:-bot}", "${ORG:?set ORG}"])
def test_a_colon_of_the_reference_syntax_is_no_colon_in_the_username(username: str) -> None:
    assert make_rule("https://h.example/", username, SECRET, Layer.ENV, "o").username == username


@pytest.mark.parametrize("env", [{"ORG": "deploy:bot"}, {}], ids=["value", "fallback"])
def test_a_username_a_reference_gives_with_a_colon_is_refused_where_it_resolves(
        tmp_path: Path, env: dict[str, str]) -> None:
    from keyring_backend.errors import UnresolvedReference
    from keyring_backend.store import CredentialStore

    rules = {"PRIVATE_PACKAGES_X_URL": "https://h.example/a",
             "PRIVATE_PACKAGES_X_USERNAME": "${ORG:-deploy:bot}",
             "PRIVATE_PACKAGES_X_PASSWORD": "${T}", "T": SECRET, "HOME": str(tmp_path)}
    store = CredentialStore({**rules, **env}, tmp_path)
    with pytest.raises(UnresolvedReference) as info:
        store.credential_for("https://h.example/a/simple/")
    assert str(info.value) == ("username of env PRIVATE_PACKAGES_X_*: the username holds a "
                               "':', which HTTP Basic cannot carry (the user-id ends at the "
                               "first colon, RFC 7617); use the username the registry documents")


def test_rule_repr_never_shows_the_password() -> None:
    made = rule("https://h.example/a", username="bot")
    assert made.username == "bot"
    assert made.url == "https://h.example/a"
    for form in forms(SECRET):
        assert form not in repr(made)
        assert form not in str(made)


@pytest.mark.parametrize(
    ("url", "shown"),
    [("https://H.example:443/a/", "https://h.example/a"),
     ("https://h.example:8443", "https://h.example:8443/"),
     ("http://[::1]:80/x", "http://[::1]/x")],
)
def test_rule_url_is_the_normalised_prefix(url: str, shown: str) -> None:
    assert rule(url).url == shown
