"""Files an index links outside its rule's prefix (keyring_backend/file_links.py), read
from a real index on 127.0.0.1 (HTML and PEP 691 JSON pages), and the prefix advised."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

from keyring_backend.file_links import _links, advice, file_outside_rule
from keyring_backend.rules import Layer, make_rule
from keyring_backend.secret import Secret
from keyring_backend.urls import parse_location
from support.header_log import LoggingIndex
from support.wheels import build_wheel

GROUP = "/api/v4/groups/12/-/packages/pypi"
FILES = "/api/v4/projects/29/packages/pypi/files/ab"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Callable[[str], str]], LoggingIndex]]:
    build_wheel(tmp_path / "w", "acme-internal", "1.0.0")
    started: list[LoggingIndex] = []

    def start(link: Callable[[str], str]) -> LoggingIndex:
        index = LoggingIndex(tmp_path / "w", credential=("u", "pw-0123"), link=link)
        started.append(index.__enter__())
        return index

    yield start
    for index in started:
        index.__exit__(None, None, None)


@pytest.mark.parametrize(("link", "rule_path", "package", "outside"), [
    (lambda f: f"{FILES}/{f}", GROUP, None, FILES + "/acme_internal-1.0.0-py3-none-any.whl"),
    (lambda f: f"{FILES}/{f}", GROUP, "Acme_Internal", FILES + "/acme_internal"),
    (lambda f: f"{FILES}/{f}", "/api/v4", None, None),
    (lambda f: f"../../{f}", GROUP, None, None),  # beside the index: inside
    (lambda f: f"{GROUP}/simple/../../../../../../projects/29/{f}", GROUP, None,
     "/api/v4/projects"),
], ids=["gitlab-group", "named-package", "api-rule", "relative", "dot-segments"])
def test_file_outside_rule(serve: Callable[..., LoggingIndex], link: Callable[[str], str],
                           rule_path: str, package: str | None, outside: str | None) -> None:
    index = serve(link)
    base = f"http://127.0.0.1:{index.port}"
    rule = make_rule(base + rule_path, "u", "${T}", Layer.ENV, "env T")
    found = file_outside_rule(f"{base}{GROUP}/simple/", rule, username="u",
                              password=Secret("pw-0123"), package=package)
    if outside is None:
        assert found is None
    else:
        assert found is not None and str(found).startswith(base + outside)


def test_unreadable_pages_say_nothing(serve: Callable[..., LoggingIndex]) -> None:
    index = serve(lambda f: f"{FILES}/{f}")
    base = f"http://127.0.0.1:{index.port}"
    rule = make_rule(base + GROUP, "u", "${T}", Layer.ENV, "env T")
    assert file_outside_rule(f"{base}{GROUP}/simple/", rule, username="u",
                             password=Secret("wrong-pw"), package=None) is None  # 401
    assert file_outside_rule(f"{base}{GROUP}/simple/", rule, username="u",
                             password=Secret("pw-0123"), package="no-such") is None


def test_links_of_a_json_page() -> None:
    page: dict[str, Any] = {"meta": {"api-version": "1.1"}, "name": "a",
                            "files": [{"filename": "a-1.whl", "url": "/x/a-1.whl"}]}
    assert _links(json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json") == [
        "/x/a-1.whl"]
    listing = {"projects": [{"name": "a"}, {"name": "b"}]}
    assert _links(json.dumps(listing).encode(), "application/vnd.pypi.simple.v1+json") == [
        "a", "b"]
    assert _links(b"not json", "application/vnd.pypi.simple.v1+json") == []


@pytest.mark.parametrize(("rule_url", "file_url", "fix"), [
    ("https://g.example/api/v4/groups/12/-/packages/pypi",
     "https://g.example/api/v4/projects/29/packages/pypi/files/ab/a.whl",
     'url = "https://g.example/api/v4"'),
    ("https://g.example/simple", "https://g.example/packages/a.whl", 'url = "https://g.example"'),
    ("https://g.example/simple", "https://files.example/a.whl",
     "Add a rule for https://files.example"),
    ("https://g.example/simple", "http://g.example/packages/a.whl",
     "Add a rule for http://g.example"),
])
def test_advice_names_the_prefix_that_covers_both(rule_url: str, file_url: str,
                                                  fix: str) -> None:
    rule = make_rule(rule_url, "u", "${T}", Layer.ENV, "env T")
    location = parse_location(file_url)
    assert location is not None
    text, advised = advice(rule_url + "/simple/", location, rule)
    assert fix in advised and "\n" not in text and file_url in text
