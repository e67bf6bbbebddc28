"""`poetry source bump NAME RULE` with real poetry against a real pypiserver (401 mode).

The index holds what real uploads put there: `poetry build` wheels sent by `twine upload`
(authenticated by our keyring backend from the rule) and by `poetry publish -r NAME`
(authenticated by the plugin's in-memory hook). The bump reads the project's simple page
with the rule's credential, and the leak matrix covers every output at -vvv.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from support.pypi_server import PrivateIndex
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import Poetry, poetry_for

pytestmark = pytest.mark.e2e

USER = "deploy-bot"


def write_package(poetry: Poetry, folder: Path, index: PrivateIndex, version: str,
                  name: str = "acme-tool") -> Path:
    """A buildable poetry project whose `private` source has a rule reading ACME_TOKEN,
    approved (`poetry source trust`): bumping is the subject here, not trust."""
    module = folder / name.replace("-", "_")
    module.mkdir(parents=True)
    (module / "__init__.py").write_text("")
    (folder / "pyproject.toml").write_text(f"""\
[project]
name = "{name}"
version = "{version}"  # set by `poetry source bump`
requires-python = ">=3.9"

[[tool.poetry.source]]
name = "private"
url = "{index.simple_url}"
priority = "supplemental"

[[tool.private-packages.credentials]]
source = "private"
username = "{USER}"
password = "${{ACME_TOKEN}}"
""")
    poetry.trust(folder)
    return folder


def version_line(project: Path) -> str:
    return next(line for line in (project / "pyproject.toml").read_text().splitlines()
                if line.startswith("version"))


def build(poetry: Poetry, project: Path) -> list[Path]:
    shutil.rmtree(project / "dist", ignore_errors=True)
    poetry.run("build", "--format", "wheel", "-vvv", cwd=project)
    return sorted((project / "dist").iterdir())


def twine_upload(clients: Clients, poetry: Poetry, index: PrivateIndex, project: Path,
                 outputs: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(clients.tools_bin / "twine"), "upload", *args, "--non-interactive",
         "--repository-url", f"{index.url}/", *map(str, (project / "dist").iterdir())],
        env=poetry.env, cwd=project, capture_output=True, text=True, timeout=120, check=False)
    label = f"twine upload #{len(outputs) // 2}"
    outputs[f"{label} stdout"], outputs[f"{label} stderr"] = result.stdout, result.stderr
    return result


def bump_reads(index: PrivateIndex, project: str = "acme-tool") -> list[tuple[bool, object]]:
    return [(r.authorized, r.username) for r in index.requests
            if r.method == "GET" and r.path == f"/simple/{project}/"]


@pytest.fixture
def poetry_with_token(poetry: Poetry, canary: str) -> Poetry:
    poetry.env["ACME_TOKEN"] = canary
    return poetry


def test_bump_after_publish_and_reupload_is_refused(
        poetry_with_token: Poetry, clients: Clients, private_index: PrivateIndex,
        canary: str, tmp_path: Path, home: Path) -> None:
    poetry, outputs = poetry_with_token, dict[str, str]()
    project = write_package(poetry, tmp_path / "acme-tool", private_index, "1.0.0")
    build(poetry, project)
    assert twine_upload(clients, poetry, private_index, project, outputs,
                        "--verbose").returncode == 0

    bumped = poetry.run("source", "bump", "private", "patch", "-vvv", cwd=project)

    assert "1.0.0 (registry) -> 1.0.1" in bumped.stdout
    assert version_line(project) == 'version = "1.0.1"  # set by `poetry source bump`'
    assert bump_reads(private_index) == [(True, USER)]

    # The second round goes through `poetry publish` and the plugin's in-memory hook.
    assert [p.name for p in build(poetry, project)] == ["acme_tool-1.0.1-py3-none-any.whl"]
    uploads = {"POETRY_REPOSITORIES_UPLOADS_URL": f"{private_index.url}/"}
    poetry.run("publish", "-r", "uploads", "-vvv", cwd=project, env=uploads)
    assert (private_index.root / "acme_tool-1.0.1-py3-none-any.whl").is_file()

    republish = poetry.run("publish", "-r", "uploads", cwd=project, env=uploads, check=False)
    assert republish.returncode != 0
    # The registry's refusal is one line that says what to do (publish_errors.py), not
    # poetry's `HTTP Error 409: Conflict | b'<html>...'`.
    refusals = [line for line in republish.stderr.splitlines() if "409" in line]
    assert refusals == ["private-packages: acme-tool 1.0.1 is already on 'uploads' (HTTP 409 "
                        "Conflict): registries never overwrite a release; run `poetry source "
                        "bump uploads patch`, build and publish again (or --skip-existing to "
                        "upload only the missing files)"]
    assert "<html" not in republish.stderr.lower()
    # twine gets 400 from pypiserver, as from pypi.org (pypa/twine#1265); poetry gets 409.
    again = twine_upload(clients, poetry, private_index, project, outputs,
                         "--disable-progress-bar")
    assert again.returncode != 0
    assert f"HTTPError: 400 Bad Request from {private_index.url}/" in again.stdout

    # A publish repository is read through the simple index beside its upload URL.
    before = (project / "pyproject.toml").read_bytes()
    dry = poetry.run("source", "bump", "uploads", "patch", "--dry-run", "-vvv", cwd=project,
                     env=uploads)
    assert "1.0.1 (registry) -> 1.0.2" in dry.stdout
    assert f"{private_index.url}/simple/acme-tool/" in dry.stdout
    assert (project / "pyproject.toml").read_bytes() == before
    assert bump_reads(private_index) == [(True, USER)] * 2

    outputs.update(poetry.outputs)
    assert_not_in_texts(canary, outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0


def test_new_package_starts_from_pyproject_and_dry_run_writes_nothing(
        poetry_with_token: Poetry, private_index: PrivateIndex, canary: str,
        tmp_path: Path, home: Path) -> None:
    poetry = poetry_with_token
    project = write_package(poetry, tmp_path / "acme-fresh", private_index, "0.3.0", "acme-fresh")
    before = (project / "pyproject.toml").read_bytes()

    dry = poetry.run("source", "bump", "private", "minor", "--dry-run", "-vvv", cwd=project)

    assert dry.stdout.splitlines()[-1] == "0.3.0 (pyproject.toml) -> 0.4.0"
    assert "acme-fresh is not on" in dry.stderr
    assert (project / "pyproject.toml").read_bytes() == before

    short = poetry.run("source", "bump", "private", "minor", "--short", cwd=project)

    assert short.stdout.strip() == "0.4.0"
    assert version_line(project) == 'version = "0.4.0"  # set by `poetry source bump`'
    assert bump_reads(private_index, "acme-fresh") == [(True, USER)] * 2
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0


def test_wrong_token_exits_3_in_one_line(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    wrong = canary.replace("tok-", "wrong-")
    project = write_package(poetry, tmp_path / "acme-internal", private_index, "0.1.0",
                            "acme-internal")
    before = (project / "pyproject.toml").read_bytes()

    result = poetry.run("source", "bump", "private", "patch", "-vvv", cwd=project,
                        env={"ACME_TOKEN": wrong}, check=False)

    assert result.returncode == 3
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert "rejected the credential from" in errors[0]
    assert "HTTP 401" in errors[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert (project / "pyproject.toml").read_bytes() == before
    for secret in (canary, wrong):
        assert_not_in_texts(secret, poetry.outputs, username=USER)
        assert assert_not_in_files(secret, [project, home], username=USER) > 0


@pytest.mark.parametrize(("args", "env", "fragment"), [
    (("private", "patch"), {}, "ACME_TOKEN"),
    (("nowhere", "patch"), {"ACME_TOKEN": "x"}, "unknown source 'nowhere'"),
    (("private", "1.2.3"), {"ACME_TOKEN": "x"}, "unknown bump rule '1.2.3'"),
], ids=["unset-variable", "unknown-source", "explicit-version"])
def test_configuration_errors_exit_2(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path,
        args: tuple[str, str], env: dict[str, str], fragment: str) -> None:
    project = write_package(poetry, tmp_path / "acme-tool", private_index, "0.1.0")

    result = poetry.run("source", "bump", *args, cwd=project, env=env, check=False)

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1
    assert fragment in errors[0]
    assert not private_index.requests  # refused before anything was sent


def test_oldest_poetry_bumps_with_the_same_rules(
        poetry_oldest_bin: Path, client_env: dict[str, str], home: Path,
        private_index: PrivateIndex, canary: str, tmp_path: Path) -> None:
    poetry = poetry_for(poetry_oldest_bin, {**client_env, "ACME_TOKEN": canary}, home)
    project = write_package(poetry, tmp_path / "acme-internal", private_index, "0.1.0",
                            "acme-internal")

    result = poetry.run("source", "bump", "private", "prerelease", "-vvv", cwd=project)

    assert "1.0.0 (registry) -> 1.0.1a0" in result.stdout
    assert version_line(project) == 'version = "1.0.1a0"  # set by `poetry source bump`'
    assert_not_in_texts(canary, poetry.outputs, username=USER)


class GitLabLikeIndex:
    """A simple index that, like GitLab's, answers 404 to an anonymous request for a
    project and the project's page to `deploy-bot` with the right password."""

    def __init__(self, password: str) -> None:
        self.expected = "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()
        self.requests: list[bool] = []  # authorized or not, per request
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                authorized = self.headers.get("Authorization") == index.expected
                index.requests.append(authorized)
                if not authorized or self.path != "/simple/acme-tool/":
                    self.send_error(404)
                    return
                body = (b'<html><body><a href="acme_tool-1.0.0-py3-none-any.whl">'
                        b"acme_tool-1.0.0-py3-none-any.whl</a></body></html>")
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/simple/"


@pytest.fixture
def gitlab_like(canary: str) -> Iterator[GitLabLikeIndex]:
    index = GitLabLikeIndex(canary)
    thread = threading.Thread(target=index.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield index
    finally:
        index.server.shutdown()
        index.server.server_close()


def write_unruled_package(folder: Path, url: str) -> Path:
    """acme-tool 0.1.0 with a `private` source and no credential rule."""
    (folder / "acme_tool").mkdir(parents=True)
    (folder / "acme_tool" / "__init__.py").write_text("")
    (folder / "pyproject.toml").write_text(f"""\
[project]
name = "acme-tool"
version = "0.1.0"
requires-python = ">=3.9"

[[tool.poetry.source]]
name = "private"
url = "{url}"
priority = "supplemental"
""")
    return folder


def test_anonymous_404_stops_unless_allowed_and_index_url_userinfo_is_used(
        poetry: Poetry, gitlab_like: GitLabLikeIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    project = write_unruled_package(tmp_path / "acme-tool", gitlab_like.url)
    before = (project / "pyproject.toml").read_bytes()

    refused = poetry.run("source", "bump", "private", "patch", "-vvv", cwd=project,
                         check=False)

    assert refused.returncode == 2
    [error] = [line for line in refused.stderr.splitlines() if line.strip()]
    assert "no credential was sent" in error and "--allow-anonymous" in error
    assert (project / "pyproject.toml").read_bytes() == before

    allowed = poetry.run("source", "bump", "private", "patch", "--allow-anonymous",
                         "--dry-run", cwd=project)
    assert allowed.stdout.splitlines()[-1] == "0.1.0 (pyproject.toml) -> 0.1.1"
    assert gitlab_like.requests == [False, False]

    with_userinfo = gitlab_like.url.replace("http://", f"http://{USER}:{quote(canary, safe='')}@")
    result = poetry.run("source", "bump", "private", "patch", "--index-url", with_userinfo,
                        "-vvv", cwd=project)

    assert "1.0.0 (registry) -> 1.0.1" in result.stdout
    assert "with the credential in --index-url's userinfo" in result.stdout
    assert "without a credential" not in result.stdout
    assert gitlab_like.requests == [False, False, True]
    assert version_line(project) == 'version = "1.0.1"'
    outputs = {key.replace(canary, "").replace(quote(canary, safe=""), ""): text
               for key, text in poetry.outputs.items()}  # the labels hold the argv
    assert_not_in_texts(canary, outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0


def test_poetry_http_basic_wins_over_the_rule_as_in_the_hook(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    """The rule's variable holds a wrong token; poetry's own http-basic.private holds the
    right one and wins, as it does for `poetry install` (credential_choice)."""
    wrong = canary.replace("tok-", "wrong-")
    project = write_package(poetry, tmp_path / "acme-internal", private_index, "0.1.0",
                            "acme-internal")
    env = {"ACME_TOKEN": wrong, "POETRY_HTTP_BASIC_PRIVATE_USERNAME": USER,
           "POETRY_HTTP_BASIC_PRIVATE_PASSWORD": canary}

    result = poetry.run("source", "bump", "private", "patch", "-vvv", cwd=project, env=env)

    assert "1.0.0 (registry) -> 1.0.1" in result.stdout
    assert "poetry's own credential (POETRY_HTTP_BASIC_PRIVATE_USERNAME/_PASSWORD)" in \
        result.stdout
    for secret in (canary, wrong):
        assert_not_in_texts(secret, poetry.outputs, username=USER)
        assert assert_not_in_files(secret, [project, home], username=USER) > 0
