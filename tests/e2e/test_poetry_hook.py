"""Real poetry with keyring disabled (POETRY_KEYRING_ENABLED=false), so the plugin's hook is
the only way a credential reaches it: `add`, `lock`, `install` and `publish` against a real
pypiserver, with the secret in an environment variable or in OpenBao; an unresolvable
reference; a wrong secret; a private git dependency; and the oldest poetry 2.x we support.

Every scenario runs poetry at -vvv and asserts the leak matrix: the secret (raw, percent-
encoded, base64, and as a Basic header with its username) is in no stdout/stderr, and in
no file under the project (pyproject.toml, poetry.lock, .venv) or the home holding every
POETRY_* dir (auth.toml must not exist).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.git_server import GitServer
from support.openbao import OpenBaoServer
from support.pypi_server import PrivateIndex
from support.shims import install_recording_shim
from support.wheels import source_tree
from tests.conftest import make_canary
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import Poetry, poetry_for, write_project

pytestmark = pytest.mark.e2e

USER = "deploy-bot"
GIT = "/usr/bin/git"
NO_KEYRING = {"POETRY_KEYRING_ENABLED": "false"}
ENV_RULE = """
[[tool.private-packages.credentials]]
source = "private"
username = "deploy-bot"
password = "${ACME_TOKEN}"
"""
VAULT_RULE = ENV_RULE.replace("${ACME_TOKEN}", "${vault:secret/ci/pypi#token}")
GIT_FILES = source_tree("acme-git", "1.0.0")  # builds offline: only git needs a credential


def assert_clean(poetry: Poetry, secret: str, project: Path, home: Path) -> None:
    """The leak matrix for one secret; auth.toml was never written."""
    assert not (poetry.config_dir / "auth.toml").exists()
    assert poetry.outputs
    assert_not_in_texts(secret, poetry.outputs, username=USER)
    assert assert_not_in_files(secret, [project, home], username=USER) > 0


def installed(project: Path, module: str) -> bool:
    return bool(list(project.glob(f".venv/lib/python*/site-packages/{module}/__init__.py")))


def publish_project(root: Path, index: PrivateIndex, rule: str) -> Path:
    """A package-mode project `acme-pub`, built with `poetry build` by the caller."""
    project = write_project(root / "pub", index.simple_url, name="acme-pub",
                            package_mode=True, extra=rule)
    (project / "acme_pub").mkdir()
    (project / "acme_pub" / "__init__.py").write_text("VERSION = '0.1.0'\n")
    return project


def add_install_publish(poetry: Poetry, index: PrivateIndex, tmp_path: Path, rule: str,
                        env: dict[str, str], *, lock: bool = True) -> Path:
    """`poetry add --source private acme-internal`, `lock`, `install`, then build and
    `publish -r private` a package; returns the consuming project."""
    project = write_project(tmp_path / "app", index.simple_url, extra=rule)
    poetry.trust(project, env)
    poetry.run("add", "--source", "private", "acme-internal", "-vvv", cwd=project, env=env)
    if lock:
        poetry.run("lock", "-vvv", cwd=project, env=env)
    poetry.run("install", "-vvv", cwd=project, env=env)
    assert 'name = "acme-internal"' in (project / "poetry.lock").read_text()
    assert installed(project, "acme_internal")

    pub = publish_project(tmp_path, index, rule)
    poetry.trust(pub, env)
    poetry.run("build", cwd=pub, env=env)
    publish_env = {**env, "POETRY_REPOSITORIES_PRIVATE_URL": f"{index.url}/"}
    poetry.run("publish", "-r", "private", "-vvv", cwd=pub, env=publish_env)
    assert (index.root / "acme_pub-0.1.0-py3-none-any.whl").is_file()
    uploads = [r for r in index.requests if r.method == "POST"]
    assert uploads and all(r.authorized and r.username == USER for r in uploads)
    return project


def test_env_secret_add_lock_install_publish_with_keyring_disabled(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    env = {**NO_KEYRING, "ACME_TOKEN": canary}
    project = add_install_publish(poetry, private_index, tmp_path, ENV_RULE, env)
    authorized = [r for r in private_index.requests if r.authorized]
    assert {"/simple/acme-internal/"} <= {r.path for r in authorized}
    assert all(r.username == USER for r in authorized)
    assert not any(r.status in (401, 403) for r in private_index.requests)  # sent up front
    assert "private-packages: source 'private': credential from" in "".join(
        poetry.outputs.values())
    assert "${ACME_TOKEN}" in (project / "pyproject.toml").read_text()
    assert_clean(poetry, canary, tmp_path, home)


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        yield server


def test_vault_secret_add_install_publish_with_keyring_disabled(
        poetry_vault_bin: Path, client_env: dict[str, str], bao: OpenBaoServer,
        private_index: PrivateIndex, canary: str, tmp_path: Path, home: Path) -> None:
    bao.put_v2("ci/pypi", {"token": canary})
    poetry = poetry_for(poetry_vault_bin, client_env, home)
    env = {**NO_KEYRING, "VAULT_ADDR": bao.addr, "VAULT_TOKEN": bao.root_token}
    add_install_publish(poetry, private_index, tmp_path, VAULT_RULE, env, lock=False)
    assert "(${vault:secret/ci/pypi#token})" in "".join(poetry.outputs.values())
    assert_clean(poetry, canary, tmp_path, home)
    assert_not_in_texts(bao.root_token, poetry.outputs)
    assert assert_not_in_files(bao.root_token, [tmp_path, home]) > 0


def test_unresolvable_reference_stops_lock_with_exit_2(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path, home: Path,
        canary: str) -> None:
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",),
                            extra=ENV_RULE.replace("ACME_TOKEN", "MISSING_TOKEN"))
    poetry.trust(project)
    result = poetry.run("lock", cwd=project, env=NO_KEYRING, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("private-packages: source 'private': password of ")
    assert "${MISSING_TOKEN}" in lines[0]
    assert "[[tool.private-packages.credentials]] #1" in lines[0]
    assert not (project / "poetry.lock").exists()
    assert not (project / ".venv").exists()  # stopped before poetry's own listeners
    assert private_index.requests == []
    assert_clean(poetry, canary, tmp_path, home)


def test_wrong_secret_fails_with_the_servers_401_and_leaks_nothing(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path, home: Path,
        canary: str) -> None:
    wrong = make_canary("wrong")
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",), extra=ENV_RULE)
    poetry.trust(project)
    result = poetry.run("lock", "-vvv", cwd=project, env={**NO_KEYRING, "ACME_TOKEN": wrong},
                        check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "401" in result.stdout + result.stderr
    assert private_index.requests and all(not r.authorized for r in private_index.requests)
    assert {r.username for r in private_index.requests} == {USER}
    assert not (project / "poetry.lock").exists()
    for secret in (wrong, canary):
        assert_clean(poetry, secret, tmp_path, home)


@pytest.fixture
def git_server(tmp_path: Path, canary: str) -> Iterator[GitServer]:
    with GitServer(tmp_path / "repos", password=canary, username=USER) as server:
        server.make_repo("acme-git", GIT_FILES)
        yield server


@pytest.mark.parametrize("client", ["dulwich-then-git", "system-git"])
def test_git_dependency_locks_and_installs_through_the_helper(
        poetry: Poetry, private_index: PrivateIndex, git_server: GitServer, canary: str,
        tmp_path: Path, home: Path, client: str) -> None:
    """dulwich tries once without a credential (401, no hang), then system git asks our
    helper; with `system-git-client = true` git asks it straight away. The token is in no
    git argv and no checkout's .git/config."""
    url = f"{git_server.url}/acme-git.git"
    rule = f"""
[[tool.private-packages.credentials]]
url = "{url}"
username = "{USER}"
password = "${{GIT_TOKEN}}"
"""
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=(f"acme-git @ git+{url}",), extra=rule)
    poetry.trust(project)
    argv_log = tmp_path / "argv.log"
    shims = tmp_path / "shims"
    install_recording_shim(shims, "git", GIT, argv_log)
    env = {**NO_KEYRING, "GIT_TOKEN": canary, "GIT_CONFIG_NOSYSTEM": "1",
           "PATH": f"{shims}:{poetry.env['PATH']}"}
    if client == "system-git":
        env["POETRY_SYSTEM_GIT_CLIENT"] = "true"
    poetry.run("lock", "-vvv", cwd=project, env=env)
    poetry.run("install", "-vvv", cwd=project, env=env)

    assert 'name = "acme-git"' in (project / "poetry.lock").read_text()
    assert installed(project, "acme_git")
    argv = argv_log.read_text()
    assert "clone" in argv
    refused = [r for r in git_server.requests if not r.authorized]
    served = [r for r in git_server.requests if r.authorized]
    assert served and all(r.username == USER for r in served)
    if client == "dulwich-then-git":
        assert refused and refused[0].username is None  # dulwich's try carried nothing
    checkouts = [p for p in tmp_path.rglob("config") if p.parent.name == ".git"]
    assert checkouts, sorted(str(p) for p in tmp_path.rglob("*acme*"))
    assert_not_in_texts(canary, {"git argv": argv}, username=USER)
    assert_clean(poetry, canary, tmp_path, home)


def test_oldest_poetry_locks_and_installs_from_env_secret(
        poetry_oldest_bin: Path, client_env: dict[str, str], private_index: PrivateIndex,
        canary: str, tmp_path: Path, home: Path) -> None:
    poetry = poetry_for(poetry_oldest_bin, client_env, home)
    assert "2.0.0" in poetry.run("--version", cwd=tmp_path).stdout
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",), extra=ENV_RULE)
    poetry.trust(project)
    env = {**NO_KEYRING, "ACME_TOKEN": canary}
    poetry.run("lock", "-vvv", cwd=project, env=env)
    poetry.run("install", "-vvv", cwd=project, env=env)
    assert installed(project, "acme_internal")
    assert any(r.authorized for r in private_index.requests)
    assert_clean(poetry, canary, tmp_path, home)


def test_no_credential_anywhere_without_the_hook_fails(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    """Control: the same project with keyring disabled and no rule gets poetry's 401, so
    the passing tests above owe their credential to the hook, not to something else."""
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",))
    result = poetry.run("lock", cwd=project, env={**NO_KEYRING, "ACME_TOKEN": canary},
                        check=False)
    assert result.returncode != 0
    assert not any(r.authorized for r in private_index.requests)
