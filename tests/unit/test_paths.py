"""A URL path as the server reads it (keyring_backend/paths.py): decoded, dot segments
removed, and None (fail closed) where servers could read it differently."""

from __future__ import annotations

from typing import Optional

import pytest

from keyring_backend.paths import server_path
from keyring_backend.rules import Layer, make_rule
from keyring_backend.urls import parse_location


@pytest.mark.parametrize(("path", "expected"), [
    ("", ""), ("/", ""), ("/a/b/", "/a/b"), ("//a///b", "/a/b"), ("/a/./b", "/a/b"),
    ("/a/../b", "/b"), ("/..", ""),
    # percent-decoding first, as servers do: encoded dots are dots
    ("/groups/12/%2e%2e/123", "/groups/123"), ("/groups/12/%2E%2e/123/x", "/groups/123/x"),
    ("/groups/12/.%2e/123", "/groups/123"), ("/groups/12/%2e/x", "/groups/12/x"),
    ("/a/sub/%2e%2e/files", "/a/files"),
    # one spelling for one path
    ("/%61/b", "/a/b"), ("/a%20b", "/a%20b"), ("/a b", "/a%20b"), ("/caf%c3%a9", "/caf%C3%A9"),
    ("/café", "/caf%C3%A9"), ("/100%25", "/100%25"), ("/50%off", "/50%25off"),
    ("/simple/acme-internal/", "/simple/acme-internal"),
    ("/root/pypi/+simple", "/root/pypi/+simple"),
    # GitLab's url-encoded project paths stay one segment
    ("/api/v4/projects/group%2fproject/packages", "/api/v4/projects/group%2Fproject/packages"),
    ("/a;v=1/b", "/a;v=1/b"),
    # a trailing empty segment after `..` is harmless
    ("/a/b/../", "/a"),
    # more dots than two, and dots among other characters, are names
    ("/a/.../b", "/a/.../b"), ("/a/..x/b", "/a/..x/b"), ("/a/%20x/b", "/a/%20x/b"),
])
def test_server_path(path: str, expected: str) -> None:
    assert server_path(path) == expected


@pytest.mark.parametrize("path", [
    "/groups/12/..%2f123",          # an encoded slash next to a dot segment
    "/groups/12/x%2F..%2F..%2F123",
    "/groups/12/%2e%2e%5c123",
    "/groups/12/..\\123",           # IIS and browsers read `\` as `/`
    "/groups/12/..;/123",           # Tomcat / Jetty path parameters
    "/groups/12/..;jsessionid=1/123",
    "/groups/12/%2e%2e;x/123",
    "/groups/12/.;/x",
    "/groups/12/%252e%252e/123",    # double encoding
    "/groups/12/%252F",
    "/groups/12%00/x",              # NUL
    "/groups/12/%c0%ae%c0%ae/123",  # overlong UTF-8 dots
    "/q//../p",                     # `..` consuming an empty segment on some servers
    "/groups/12//%2e%2e/123",
    # dots to a server that folds Unicode or trims a segment (attack2's suspicions)
    "/groups/12/%EF%BC%8E%EF%BC%8E/123", "/groups/12/\uff0e\uff0e/123",  # full-width
    "/groups/12/..%09/123", "/groups/12/%20../123", "/groups/12/..%20/123",
    "/groups/12/.%0a/123", "/groups/12/%e3%80%80../123",  # ideographic space
])
def test_ambiguous_paths_are_none(path: str) -> None:
    assert server_path(path) is None


@pytest.mark.parametrize(("rule_url", "url", "inside"), [
    ("https://h.example/groups/12", "https://h.example/groups/12/%2e%2e/123/simple/", False),
    ("https://h.example/groups/12", "https://h.example/groups/123/simple/", False),
    ("https://h.example/groups/12", "https://h.example/groups/12/..;/123/simple/", False),
    ("https://h.example/groups/12", "https://h.example/groups/12/x/%2e%2e/files/a.whl", True),
    ("https://h.example/groups/12", "https://h.example/groups/%31%32/simple/", True),
    ("https://h.example/groups/12", "https://h.example/groups/12%2F..%2F123/", False),
    # an ambiguous path is still within a rule for the whole origin: the path does not matter
    ("https://h.example/", "https://h.example/groups/12/..;/123/", True),
    ("https://h.example", "https://h.example/a%252e", True),
    ("https://h.example/api/v4/projects/g%2Fp", "https://h.example/api/v4/projects/g%2fp/x", True),
    ("https://h.example/api/v4/projects/g%2Fp", "https://h.example/api/v4/projects/g/p/x", False),
    ("https://h.example/a%20b", "https://h.example/a b/c", True),
])
def test_rules_match_the_path_the_server_reads(rule_url: str, url: str, inside: bool) -> None:
    rule = make_rule(rule_url, "u", "pw", Layer.ENV, "test")
    location = parse_location(url)
    assert location is not None
    assert rule.matches(location) is inside


@pytest.mark.parametrize("url", ["https://h.example/a/..;/b", "https://h.example/a%252e"])
def test_a_rule_with_an_ambiguous_path_is_refused(url: str) -> None:
    from keyring_backend.errors import ConfigError

    with pytest.raises(ConfigError, match="more than one way"):
        make_rule(url, "u", "pw", Layer.ENV, "test")


def test_the_fast_path_agrees_with_the_full_reading() -> None:
    """Plain paths skip decoding: the result must be what decoding would give."""
    from keyring_backend import paths

    for path in ("/a/b/../c", "/a//b/./c/", "/simple/acme-internal/", "/x@y:z/~u/+v"):
        expected: Optional[str] = paths.server_path(path)
        segments = [paths._segment(s) for s in path.split("/")]
        assert all(s is not None for s in segments)
        assert expected == paths.server_path(path.replace("a", "%61"))
