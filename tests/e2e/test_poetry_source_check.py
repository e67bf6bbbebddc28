"""Real poetry 2.x with our plugin runs `poetry source check` against real pypiserver
indexes on 127.0.0.1 (401 mode, and 403 mode like Nexus): a credential from an env secret
passes and is named by rule and provider, a wrong one exits 3, a missing variable or an
unknown source exits 2, credentials embedded in pyproject.toml and in a poetry.lock made by
real `poetry lock` are pointed at by file:line, and a package locked from the private
source while PyPI is searched too is flagged until it is pinned. Every output is checked
for the canaries (raw, percent-encoded, base64)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from support.pypi_server import PrivateIndex
from tests.conftest import make_canary
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import Poetry, poetry_for, write_project

pytestmark = pytest.mark.e2e

USER = "deploy-bot"
RULE = """
[[tool.private-packages.credentials]]
source = "private"
username = "deploy-bot"
password = "${ACME_TOKEN}"
"""


@pytest.fixture(params=[401, 403], ids=["mode-401", "mode-403"])
def any_index(request: pytest.FixtureRequest, tmp_path: Path, canary: str,
              sample_wheels: Path) -> Iterator[PrivateIndex]:
    """The private index in 401 mode and in 403 mode (pypiserver's and Nexus' answer)."""
    root = tmp_path / "packages"
    shutil.copytree(sample_wheels, root)
    with PrivateIndex(root, password=canary, username=USER, mode=request.param) as index:
        yield index


def test_env_secret_rule_passes_and_names_rule_and_provider(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    project = write_project(tmp_path / "app", private_index.simple_url, extra=RULE)
    poetry.trust(project)
    result = poetry.run("source", "check", cwd=project, env={"ACME_TOKEN": canary})
    out = result.stdout
    assert "source private (primary)  " + private_index.simple_url in out
    assert ("credential: rule pyproject.toml [[tool.private-packages.credentials]] #1 "
            "(project); username deploy-bot; password from ${ACME_TOKEN} (env)") in out
    assert "index: 200 OK: the index accepted the credential for deploy-bot" in out
    assert "exit code 0" in out
    assert [r for r in private_index.requests if r.authorized and r.username == USER]

    quiet = poetry.run("source", "check", "-q", cwd=project, env={"ACME_TOKEN": canary})
    assert quiet.stdout == ""  # -q: nothing to report

    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0


def test_wrong_token_exits_3_with_one_clear_line(
        poetry: Poetry, any_index: PrivateIndex, canary: str, tmp_path: Path) -> None:
    wrong = make_canary("wrong")
    project = write_project(tmp_path / "app", any_index.simple_url, extra=RULE)
    poetry.trust(project)
    result = poetry.run("source", "check", cwd=project, env={"ACME_TOKEN": wrong}, check=False)
    assert result.returncode == 3, result.stdout + result.stderr
    [line] = [x for x in result.stdout.splitlines() if "REJECTED" in x]
    assert f"index: {any_index.mode} " in line
    assert "the credential for deploy-bot" in line
    for secret in (wrong, canary):
        assert_not_in_texts(secret, poetry.outputs, username=USER)


def test_no_credential_at_all_exits_3_with_one_clear_line(
        poetry: Poetry, any_index: PrivateIndex, tmp_path: Path) -> None:
    """A source with no rule and no poetry credential: the index refuses access (401 or
    403), which is the missing-credential case of issue #4 -- exit 3, one MISSING line."""
    project = write_project(tmp_path / "app", any_index.simple_url)
    result = poetry.run("source", "check", cwd=project, check=False)
    assert result.returncode == 3, result.stdout + result.stderr
    [line] = [x for x in result.stdout.splitlines() if "MISSING" in x]
    assert f"index: {any_index.mode} " in line and "none was sent" in line
    assert any(r.path == "/simple/" and not r.authorized for r in any_index.requests)


def test_missing_env_var_exits_2_before_any_request(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", private_index.simple_url, extra=RULE)
    poetry.trust(project)
    result = poetry.run("source", "check", cwd=project, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.lstrip().startswith("ERROR")]
    assert "${ACME_TOKEN}" in line
    assert "pyproject.toml [[tool.private-packages.credentials]] #1" in line
    assert private_index.requests == []


def test_unknown_source_exits_2_listing_known_ones(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", private_index.simple_url, extra=RULE)
    result = poetry.run("source", "check", "nope", cwd=project, check=False)
    assert result.returncode == 2
    assert "no source named 'nope' in pyproject.toml; known: private" in result.stderr
    assert private_index.requests == []


def test_credentials_in_source_url_and_lock_are_flagged_by_file_line(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path) -> None:
    host = private_index.url.split("://", 1)[1]
    url = f"http://{USER}:{quote(canary, safe='')}@{host}/simple/"
    project = write_project(tmp_path / "app", url, dependencies=("acme-internal",))
    poetry.run("lock", cwd=project)  # real poetry writes the URL into the lock as it is
    lock = (project / "poetry.lock").read_text()
    lock_line = next(n for n, line in enumerate(lock.splitlines(), 1) if "@" + host in line)
    url_line = next(n for n, line in enumerate(
        (project / "pyproject.toml").read_text().splitlines(), 1) if "@" + host in line)

    result = poetry.run("source", "check", cwd=project)
    out = result.stdout
    assert f"WARNING     pyproject.toml:{url_line}: a URL with an embedded credential " \
           f"(http://{host}/simple/)" in out
    assert f"WARNING     poetry.lock:{lock_line}: a URL with an embedded credential" in out
    assert "credential: embedded in the source URL" in out
    check_outputs = {k: v for k, v in poetry.outputs.items() if "source check" in k}
    assert_not_in_texts(canary, check_outputs, username=USER)


def test_dependency_confusion_until_pinned(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path) -> None:
    pypi = '\n[[tool.poetry.source]]\nname = "PyPI"\npriority = "supplemental"\n'
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",), extra=RULE + pypi)
    poetry.trust(project)
    env = {"ACME_TOKEN": canary}
    poetry.run("lock", cwd=project, env=env)  # acme-internal is found on the primary source

    flagged = poetry.run("source", "check", "-q", cwd=project, env=env)
    [line] = [x for x in flagged.stdout.splitlines() if "dependency confusion" in x]
    assert "acme-internal locked from 'private'" in line
    assert "PyPI is searched when the primary sources lack a package" in line

    with (project / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.poetry.dependencies]\nacme-internal = { source = "private" }\n')
    pinned = poetry.run("source", "check", cwd=project, env=env)
    assert "dependency confusion" not in pinned.stdout
    assert "exit code 0" in pinned.stdout
    assert_not_in_texts(canary, poetry.outputs, username=USER)


def test_oldest_supported_poetry(poetry_oldest_bin: Path, client_env: dict[str, str],
                                 home: Path, private_index: PrivateIndex, canary: str,
                                 tmp_path: Path) -> None:
    old = poetry_for(poetry_oldest_bin, client_env, home)
    project = write_project(tmp_path / "app", private_index.simple_url, extra=RULE)
    old.trust(project)
    result = old.run("source", "check", cwd=project, env={"ACME_TOKEN": canary})
    assert "index: 200 OK: the index accepted the credential for deploy-bot" in result.stdout
    wrong = old.run("source", "check", "private", cwd=project, env={"ACME_TOKEN": "nope-x1"},
                    check=False)
    assert wrong.returncode == 3
    assert_not_in_texts(canary, old.outputs, username=USER)
