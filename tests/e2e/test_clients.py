"""Real pip, keyring CLI, uv and twine against a real private index on 127.0.0.1.

The index URL never carries a credential; the token lives only in an environment variable
that a rule binds to the index, and the username comes from the rule.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from support.shims import install_recording_shim
from support.wheels import build_wheel
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.trusting import trust

pytestmark = pytest.mark.e2e


def project_with_rule(tmp_path: Path, env: dict[str, str], index: PrivateIndex,
                      password: str = "${ACME_TOKEN}", username: str = "deploy-bot") -> Path:
    """A project whose rule binds the index, approved as `pip-private trust` does (these
    tests are about the clients; tests/e2e/test_trust.py is about trust)."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(
        "[[tool.private-packages.credentials]]\n"
        f'url = "{index.url}/"\n'
        f'username = "{username}"\n'
        f'password = "{password}"\n'
    )
    trust(env, project)
    return project


def run(argv: list[str], env: dict[str, str], cwd: Path,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def pip_install(clients: Clients, index: PrivateIndex, target: Path,
                provider: str) -> list[str]:
    return [str(clients.pip_python), "-m", "pip", "--isolated", "install", "-v", "--no-input",
            "--keyring-provider", provider, "--index-url", index.simple_url,
            "--target", str(target), "acme-internal"]


def assert_clean(secret: str, result: subprocess.CompletedProcess[str], *roots: Path) -> None:
    assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr},
                        username="deploy-bot")
    assert assert_not_in_files(secret, roots, username="deploy-bot") > 0


def test_pip_import_provider_installs_with_env_secret(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path, home: Path) -> None:
    project = project_with_rule(tmp_path, client_env, private_index)
    env = {**client_env, "ACME_TOKEN": canary}
    target = tmp_path / "target"

    result = run(pip_install(clients, private_index, target, "import"), env, project)

    assert result.returncode == 0, result.stderr
    assert (target / "acme_internal" / "__init__.py").read_text().startswith('VERSION = "1.0.0"')
    authorized = [r for r in private_index.requests if r.authorized]
    assert authorized and all(r.username == "deploy-bot" for r in authorized)
    assert_clean(canary, result, target, home, project)


def test_pip_subprocess_provider_uses_keyring_cli_from_another_venv(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path, home: Path) -> None:
    project = project_with_rule(tmp_path, client_env, private_index)
    argv_log = tmp_path / "argv.log"
    shims = tmp_path / "shims"
    install_recording_shim(shims, "keyring", str(clients.tools_bin / "keyring"), argv_log)
    env = {**client_env, "ACME_TOKEN": canary, "PATH": f"{shims}:{client_env['PATH']}"}
    target = tmp_path / "target"

    result = run(pip_install(clients, private_index, target, "subprocess"), env, project)

    assert result.returncode == 0, result.stderr
    assert (target / "acme_internal").is_dir()
    calls = argv_log.read_text()
    assert "--mode=creds" in calls and private_index.url in calls
    assert_not_in_texts(canary, {"keyring argv": calls})
    assert_clean(canary, result, target, home, project)


def test_keyring_cli_prints_username_and_password_as_json(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path) -> None:
    project = project_with_rule(tmp_path, client_env, private_index)
    env = {**client_env, "ACME_TOKEN": canary}

    result = run([str(clients.tools_bin / "keyring"), "--mode", "creds", "--output", "json",
                  "get", private_index.simple_url], env, project)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"username": "deploy-bot", "password": canary}
    assert_not_in_texts(canary, {"stderr": result.stderr})


def test_uv_subprocess_keyring_installs(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path, home: Path) -> None:
    project = project_with_rule(tmp_path, client_env, private_index)
    env = {**client_env, "ACME_TOKEN": canary,
           "PATH": f"{clients.tools_bin}:{client_env['PATH']}"}
    venv = tmp_path / "uv-target"
    assert run([str(clients.uv), "venv", "--quiet", str(venv)], env, project).returncode == 0

    # uv asks keyring only for an index URL that names a username (or an index with
    # authenticate = "always"); the username is not a secret, the rule supplies the token.
    index_url = private_index.simple_url.replace("http://", "http://deploy-bot@")
    result = run([str(clients.uv), "pip", "install", "-v", "--python", str(venv / "bin/python"),
                  "--keyring-provider", "subprocess", "--index-url", index_url,
                  "acme-internal"], env, project)

    assert result.returncode == 0, result.stderr
    assert list(venv.glob("lib/python*/site-packages/acme_internal/__init__.py"))
    assert_clean(canary, result, venv, home, project)


def test_twine_upload_gets_username_and_password_from_backend(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path, home: Path) -> None:
    project = project_with_rule(tmp_path, client_env, private_index)
    dist = tmp_path / "dist"
    build_wheel(dist, "acme-uploaded", "2.0.0")
    env = {**client_env, "ACME_TOKEN": canary}

    result = run([str(clients.tools_bin / "twine"), "upload", "--verbose", "--non-interactive",
                  "--repository-url", f"{private_index.url}/", *map(str, dist.iterdir())],
                 env, project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (private_index.root / "acme_uploaded-2.0.0-py3-none-any.whl").is_file()
    uploads = [r for r in private_index.requests if r.method == "POST"]
    assert uploads and all(r.authorized and r.username == "deploy-bot" for r in uploads)
    assert_clean(canary, result, home, project, dist)


def test_rejected_token_fails_cleanly_without_leaking(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path, home: Path) -> None:
    project = project_with_rule(tmp_path, client_env, private_index)
    wrong = canary.replace("tok-", "wrong-")
    env = {**client_env, "ACME_TOKEN": wrong}
    target = tmp_path / "target"

    result = run(pip_install(clients, private_index, target, "import"), env, project)

    assert result.returncode != 0
    assert "401" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for secret in (canary, wrong):
        assert_clean(secret, result, home, project)


def test_missing_variable_warns_once_and_pip_fails_with_401(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path) -> None:
    project = project_with_rule(tmp_path, client_env, private_index)
    target = tmp_path / "target"

    result = run(pip_install(clients, private_index, target, "import"), client_env, project)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines()
                if "private-packages:" in line and "ACME_TOKEN" in line]
    assert warnings and "is not set" in warnings[0]
    assert "Keyring is skipped due to an exception" not in output
    assert "Traceback" not in output


def test_403_registry_is_never_asked_for_keyring_credentials(
        clients: Clients, client_env: dict[str, str], canary: str, tmp_path: Path,
        sample_wheels: Path) -> None:
    # pip only consults keyring after a 401; a registry that answers 403 to anonymous
    # requests needs the credential up front (README troubleshooting: 401 vs 403).
    with PrivateIndex(sample_wheels, password=canary, mode=403) as index:
        project = project_with_rule(tmp_path, client_env, index)
        env = {**client_env, "ACME_TOKEN": canary}
        result = run(pip_install(clients, index, tmp_path / "t", "import"), env, project)
    assert result.returncode != 0
    # pip reports a 403 index as if it held no such package, even with -v.
    assert "from versions: none" in result.stderr
    assert index.requests and {r.status for r in index.requests} == {403}
    assert not any(r.authorized for r in index.requests)
    assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr})


def test_headless_ci_backend_forced_by_python_keyring_backend(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path) -> None:
    env = {**client_env,
           "PYTHON_KEYRING_BACKEND": "keyring_backend.backend.PrivatePackagesKeyring",
           "PRIVATE_PACKAGES_ACME_URL": private_index.url,
           "PRIVATE_PACKAGES_ACME_USERNAME": "deploy-bot",
           "PRIVATE_PACKAGES_ACME_PASSWORD": "${CI_SECRET}",
           "CI_SECRET": canary}
    keyring = str(clients.tools_bin / "keyring")

    listed = run([keyring, "diagnose"], env, tmp_path)
    result = run(pip_install(clients, private_index, tmp_path / "t", "import"), env, tmp_path)

    assert "PrivatePackagesKeyring" in run([keyring, "--list-backends"], env,
                                           tmp_path).stdout + listed.stdout
    assert result.returncode == 0, result.stderr
    assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr,
                                 "diagnose": listed.stdout + listed.stderr},
                        username="deploy-bot")


def test_vault_down_gives_one_warning_and_pip_carries_on(
        clients: Clients, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    project = project_with_rule(tmp_path, client_env, private_index,
                                password="${vault:secret/ci/pypi#token}")
    env = {**client_env, "VAULT_ADDR": f"http://127.0.0.1:{closed}", "VAULT_TOKEN": canary}

    result = run(pip_install(clients, private_index, tmp_path / "t", "import"), env, project)

    output = result.stdout + result.stderr
    assert result.returncode != 0  # no credential: the index refuses, pip reports it
    warnings = [line for line in output.splitlines() if "private-packages:" in line]
    assert len(warnings) == 1
    assert "cannot reach Vault" in warnings[0]
    assert "${vault:secret/ci/pypi#token}" in warnings[0]
    assert "Traceback" not in output
    assert "Keyring is skipped due to an exception" not in output
    assert_not_in_texts(canary, {"output": output})
