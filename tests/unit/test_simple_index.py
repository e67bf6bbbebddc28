"""`keyring_backend.simple_index`: the versions of one project on a simple index.

Filenames -> versions (wheels, PEP 625 and legacy sdists, other projects' files), the HTML
of a real pypiserver (in-process, 401 mode, authenticated), hand-written GitLab-like PEP
691 JSON (yanked files, PEP 700 `versions`), and the answers that are not a listing: 404
is a new project, 401/403 with a credential exit 3, without one exit 2, and an unreachable
or broken index exit 2 -- none of them showing the credential.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Optional
from urllib.parse import quote

import pytest

from keyring_backend.errors import (
    EXIT_CONFIG,
    EXIT_REJECTED,
    ConfigError,
    CredentialRejected,
    IndexUnreachable,
)
from keyring_backend.secret import Secret
from keyring_backend.simple_index import (
    project_page_url,
    project_versions,
    version_from_filename,
    versions_from_html,
    versions_from_json,
)
from support.pypi_server import PrivateIndex
from support.wheels import build_wheel
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.unit.test_http import Route, Scripted, free_port, serving

PEP691 = "application/vnd.pypi.simple.v1+json"


@pytest.mark.parametrize(("filename", "project", "version"), [
    ("acme_tool-1.0.0-py3-none-any.whl", "acme-tool", "1.0.0"),
    ("Acme_Tool-2.0.0rc1-1-cp311-cp311-manylinux_2_17_x86_64.whl", "acme.tool", "2.0.0rc1"),
    ("acme_tool-1.0.0.tar.gz", "acme-tool", "1.0.0"),         # PEP 625 sdist
    ("acme-tool-1.0.0.post1.tar.gz", "Acme_Tool", "1.0.0.post1"),  # legacy: dashes kept
    ("acme-tool-1!2.0.zip", "acme-tool", "1!2.0"),
    ("acme-tool-0.9.tar.bz2", "acme-tool", "0.9"),
    ("acme_tool-1.0.0+local.7-py3-none-any.whl", "acme-tool", "1.0.0+local.7"),
    ("acme_tool-0.5-py3.8.egg", "acme-tool", "0.5"),
    ("acme_tools-1.0.0-py3-none-any.whl", "acme-tool", None),  # another project
    ("acme-tool-extra-1.0.tar.gz", "acme-tool", None),          # another project (legacy)
    ("acme_tool-1.0.0-py3-none-any.whl.metadata", "acme-tool", None),  # PEP 658 file
    ("acme_tool-1.0.0.tar.gz.asc", "acme-tool", None),          # a signature
    ("acme_tool.tar.gz", "acme-tool", None),
    ("README", "acme-tool", None),
], ids=str)
def test_version_from_filename(filename: str, project: str, version: Optional[str]) -> None:
    assert version_from_filename(filename, project) == version


def test_project_page_url_normalises_the_name_and_drops_userinfo() -> None:
    url = project_page_url("https://bot:tok@registry.example/api/pypi/simple", "Acme.Tool_X")
    assert url == "https://registry.example/api/pypi/simple/acme-tool-x/"


# What GitLab's project-level simple API serves, in PEP 691 form (hand-written).
GITLAB_LIKE = {
    "meta": {"api-version": "1.0"},
    "name": "acme-tool",
    "files": [
        {"filename": "acme_tool-1.0.0-py3-none-any.whl",
         "url": "https://gitlab.example/api/v4/projects/7/packages/pypi/files/aa/"
                "acme_tool-1.0.0-py3-none-any.whl", "hashes": {"sha256": "aa"}},
        {"filename": "acme_tool-1.0.0.tar.gz", "url": "files/bb/acme_tool-1.0.0.tar.gz",
         "hashes": {"sha256": "bb"}},
        {"filename": "acme_tool-1.1.0a1-py3-none-any.whl", "url": "files/cc/x.whl",
         "hashes": {}, "yanked": "broken build"},
        {"filename": "acme_tool-1.0.1-py3-none-any.whl", "url": "files/dd/y.whl",
         "hashes": {}, "yanked": True},
    ],
}


def test_json_lists_every_file_including_yanked() -> None:
    body = json.dumps(GITLAB_LIKE).encode()
    assert versions_from_json(body, "acme-tool") == ["1.0.0", "1.1.0a1", "1.0.1"]


def test_json_pep700_versions_are_taken_even_without_files() -> None:
    body = json.dumps({**GITLAB_LIKE, "meta": {"api-version": "1.1"},
                       "versions": ["0.9", "1.0.0", "2.0.0"]}).encode()
    assert versions_from_json(body, "acme-tool") == ["0.9", "1.0.0", "2.0.0", "1.1.0a1",
                                                     "1.0.1"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"],
                         ids=["broken", "array", "binary"])
def test_json_that_is_not_a_project_page_is_an_error(body: bytes) -> None:
    with pytest.raises(ValueError, match="JSON"):
        versions_from_json(body, "acme-tool")


def test_html_takes_anchor_text_then_href_and_counts_yanked() -> None:
    page = """<!DOCTYPE html><html><body>
      <a href="../f/acme_tool-1.0.0-py3-none-any.whl#sha256=a">acme_tool-1.0.0-py3-none-any.whl</a>
      <a href="/files/acme-tool-1.0.1.tar.gz" data-yanked="bad">acme-tool-1.0.1.tar.gz</a>
      <a href="/files/acme_tool-1.2.0-py3-none-any.whl">download</a>
      <a href="/files/acme_tool-1.0.0.tar.gz">acme_tool-1.0.0.tar.gz</a>
      <a href="/files/other-9.0.tar.gz">other-9.0.tar.gz</a>
      <a href="/files/acme_tool-1.3.0.tar.gz">acme_tool-1.3.0.tar.gz
    </body></html>"""
    assert versions_from_html(page, "Acme-Tool") == ["1.0.0", "1.0.1", "1.2.0", "1.3.0"]


@pytest.fixture
def token() -> str:
    return make_canary("index")


@pytest.fixture
def pypiserver(tmp_path: Path, token: str) -> Iterator[PrivateIndex]:
    """A real pypiserver holding wheels and sdists of acme-tool, plus another project."""
    root = tmp_path / "packages"
    for version in ("1.0.0", "1.1.0a1", "1.1.0", "1.1.1.dev0"):
        build_wheel(root, "acme-tool", version)
    (root / "acme_tool-1.0.0.tar.gz").write_bytes(b"sdist")  # pypiserver lists by filename
    (root / "acme-tool-0.9.zip").write_bytes(b"legacy sdist")
    build_wheel(root, "acme-tools", "7.0.0")
    with PrivateIndex(root, password=token, username="deploy-bot") as index:
        yield index


def test_real_pypiserver_html_with_credential(pypiserver: PrivateIndex, token: str) -> None:
    versions = project_versions(pypiserver.simple_url, "Acme_Tool", username="deploy-bot",
                                password=Secret(token))
    assert sorted(versions) == ["0.9", "1.0.0", "1.1.0", "1.1.0a1", "1.1.1.dev0"]
    (request,) = pypiserver.requests
    assert (request.path, request.authorized, request.username) == \
        ("/simple/acme-tool/", True, "deploy-bot")


def test_unknown_project_is_a_new_package(pypiserver: PrivateIndex, token: str) -> None:
    assert project_versions(pypiserver.simple_url, "brand-new", username="deploy-bot",
                            password=Secret(token)) == []


def test_wrong_token_is_rejected_with_exit_3(pypiserver: PrivateIndex, token: str) -> None:
    wrong = token.replace("index-", "wrong-")
    with pytest.raises(CredentialRejected) as caught:
        project_versions(pypiserver.simple_url, "acme-tool", username="deploy-bot",
                         password=Secret(wrong), rule="pyproject.toml credentials[1]")
    message = str(caught.value)
    assert caught.value.exit_code == EXIT_REJECTED
    assert "rejected the credential from pyproject.toml credentials[1] with HTTP 401" in message
    assert "\n" not in message
    for secret in (token, wrong):
        assert_not_in_texts(secret, {"message": message}, username="deploy-bot")


@pytest.mark.parametrize("mode", [401, 403], ids=["401", "403"])
def test_no_credential_is_a_config_error(tmp_path: Path, token: str, mode: int) -> None:
    with PrivateIndex(tmp_path, password=token, mode=mode) as index, \
            pytest.raises(ConfigError) as caught:
        project_versions(index.simple_url, "acme-tool")
    assert caught.value.exit_code == EXIT_CONFIG
    assert f"answered HTTP {mode}" in str(caught.value)
    assert "no credential rule binds that URL" in str(caught.value)


def test_userinfo_in_the_index_url_is_the_credential_and_never_shown(
        pypiserver: PrivateIndex, token: str) -> None:
    userinfo = f"deploy-bot:{quote(token, safe='')}@"
    url = pypiserver.simple_url.replace("http://", "http://" + userinfo)
    assert "1.1.0" in project_versions(url, "acme-tool")
    with pytest.raises(IndexUnreachable) as caught:
        project_versions(f"http://{userinfo}127.0.0.1:{free_port()}/simple/", "acme-tool")
    assert_not_in_texts(token, {"message": str(caught.value)}, username="deploy-bot")


def test_json_answer_is_preferred_and_parsed(token: str) -> None:
    app = Scripted({"/pypi/simple/acme-tool/": Route(
        body=json.dumps(GITLAB_LIKE).encode(), content_type=PEP691, auth=("bot", token))})
    with serving(app) as base:
        versions = project_versions(base + "/pypi/simple", "acme-tool", username="bot",
                                    password=Secret(token))
    assert versions == ["1.0.0", "1.1.0a1", "1.0.1"]


def test_cross_origin_redirect_drops_the_credential_and_says_so(token: str) -> None:
    target = Scripted({"/simple/acme-tool/": Route(auth=("bot", token))})
    with serving(target) as elsewhere:
        moved = elsewhere.replace("127.0.0.1", "localhost")
        origin = Scripted({"/simple/acme-tool/": Route(
            "302 Found", b"", location=moved + "/simple/acme-tool/")})
        with serving(origin) as base, pytest.raises(ConfigError) as caught:
            project_versions(base + "/simple/", "acme-tool", username="bot",
                             password=Secret(token))
    assert "outside the index's origin, so the credential was not sent" in str(caught.value)
    assert [seen.authorization for seen in target.seen] == [None]


@pytest.mark.parametrize(("route", "fragment"), [
    (Route("500 Internal Server Error", b"oops", "text/plain"), "answered HTTP 500"),
    (Route(body=b"{broken", content_type=PEP691), "not a simple index page (invalid JSON)"),
], ids=["500", "bad-json"])
def test_broken_answers_exit_2(route: Route, fragment: str) -> None:
    with serving(Scripted({"/simple/acme-tool/": route})) as base, \
            pytest.raises(IndexUnreachable) as caught:
        project_versions(base + "/simple/", "acme-tool")
    assert caught.value.exit_code == EXIT_CONFIG
    assert fragment in str(caught.value)


def test_unreachable_index_exits_2() -> None:
    with pytest.raises(IndexUnreachable) as caught:
        project_versions(f"http://127.0.0.1:{free_port()}/simple/", "acme-tool")
    assert caught.value.exit_code == EXIT_CONFIG
    assert "connection refused" in str(caught.value)
