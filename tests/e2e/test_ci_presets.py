"""Simulated CI jobs: real pip against a real private index on 127.0.0.1, with no rule file
anywhere -- only the variables the CI itself would set. The preset must answer for its own
server and for nothing else."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from support.pypi_server import PrivateIndex
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts

pytestmark = pytest.mark.e2e


@pytest.fixture
def gitlab_registry(tmp_path: Path, canary: str,
                    sample_wheels: Path) -> Iterator[PrivateIndex]:
    """An index that, like GitLab's registry for a job token, wants user `gitlab-ci-token`."""
    root = tmp_path / "gitlab-packages"
    shutil.copytree(sample_wheels, root)
    with PrivateIndex(root, password=canary, username="gitlab-ci-token") as index:
        yield index


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    """The job's working directory: no pyproject.toml, no rule file."""
    path = tmp_path / "job"
    path.mkdir()
    return path


def unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def gitlab_job(client_env: dict[str, str], server_url: str, port: int,
               token: str) -> dict[str, str]:
    """The variables a GitLab runner sets for a job on `server_url`."""
    return {**client_env, "CI": "true", "GITLAB_CI": "true", "CI_JOB_TOKEN": token,
            "CI_SERVER_URL": server_url, "CI_SERVER_HOST": "127.0.0.1",
            "CI_SERVER_PORT": str(port), "CI_SERVER_PROTOCOL": "http",
            "CI_API_V4_URL": f"{server_url}/api/v4"}


def github_job(client_env: dict[str, str], server_url: Optional[str],
               token: str) -> dict[str, str]:
    """A GitHub Actions step whose workflow mapped GITHUB_TOKEN into env."""
    env = {**client_env, "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_TOKEN": token}
    if server_url is not None:
        env["GITHUB_SERVER_URL"] = server_url
    return env


def pip_install(clients: Clients, index: PrivateIndex, target: Path, env: dict[str, str],
                cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = [str(clients.pip_python), "-m", "pip", "--isolated", "install", "-v", "--no-input",
            "--keyring-provider", "import", "--index-url", index.simple_url,
            "--target", str(target), "acme-internal"]
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False, stdin=subprocess.DEVNULL)


def assert_nothing_sent(index: PrivateIndex) -> None:
    assert index.requests, "pip never reached the index"
    assert {r.status for r in index.requests} == {401}
    assert not any(r.authorized for r in index.requests)
    assert all(r.username is None for r in index.requests)  # no Authorization header at all


def assert_clean(secret: str, username: str, result: subprocess.CompletedProcess[str],
                 *roots: Path) -> int:
    assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr},
                        username=username)
    return assert_not_in_files(secret, roots, username=username)


def test_gitlab_job_installs_with_its_job_token_and_no_rule_file(
        clients: Clients, gitlab_registry: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path, home: Path, job_dir: Path) -> None:
    port = int(gitlab_registry.url.rsplit(":", 1)[1])
    env = gitlab_job(client_env, gitlab_registry.url, port, canary)
    target = tmp_path / "target"

    result = pip_install(clients, gitlab_registry, target, env, job_dir)

    assert result.returncode == 0, result.stderr
    assert (target / "acme_internal" / "__init__.py").read_text().startswith('VERSION = "1.0.0"')
    authorized = [r for r in gitlab_registry.requests if r.authorized]
    assert authorized and all(r.username == "gitlab-ci-token" for r in authorized)
    assert not any(r.username not in (None, "gitlab-ci-token") for r in gitlab_registry.requests)
    assert list(job_dir.iterdir()) == []  # nothing written where the job runs
    assert assert_clean(canary, "gitlab-ci-token", result, target, home, job_dir) > 0


@pytest.mark.parametrize("server", ["other-port", "localhost-name"])
def test_gitlab_job_for_another_server_sends_nothing(
        server: str, clients: Clients, gitlab_registry: PrivateIndex,
        client_env: dict[str, str], canary: str, tmp_path: Path, home: Path,
        job_dir: Path) -> None:
    # The job's GitLab is elsewhere: another port, or the same port under another host name.
    # As far as the rule goes either is another server, so the index must get no token.
    port = int(gitlab_registry.url.rsplit(":", 1)[1])
    if server == "other-port":
        port = unused_port()
        server_url = f"http://127.0.0.1:{port}"
    else:
        server_url = f"http://localhost:{port}"
    env = gitlab_job(client_env, server_url, port, canary)

    result = pip_install(clients, gitlab_registry, tmp_path / "target", env, job_dir)

    assert result.returncode != 0
    # With no credential to offer after the 401, pip reports an index it could not read as
    # one without the package; the index's own log shows the 401s.
    assert "from versions: none" in result.stderr
    assert "Traceback" not in result.stderr
    assert_nothing_sent(gitlab_registry)
    assert_clean(canary, "gitlab-ci-token", result, home, job_dir, tmp_path / "target")


@pytest.mark.parametrize("server", ["github.com", "localhost-same-port"])
def test_github_job_token_is_not_offered_to_the_index(
        server: str, clients: Clients, private_index: PrivateIndex,
        client_env: dict[str, str], canary: str, tmp_path: Path, home: Path,
        job_dir: Path) -> None:
    # Even when GITHUB_TOKEN is the index's very password, the preset only answers for the
    # workflow's GitHub server: github.com, or the same port under another host name.
    port = int(private_index.url.rsplit(":", 1)[1])
    server_url = None if server == "github.com" else f"http://localhost:{port}"
    env = github_job(client_env, server_url, canary)

    result = pip_install(clients, private_index, tmp_path / "target", env, job_dir)

    assert result.returncode != 0
    # With no credential to offer after the 401, pip reports an index it could not read as
    # one without the package; the index's own log shows the 401s.
    assert "from versions: none" in result.stderr
    assert "Traceback" not in result.stderr
    assert_nothing_sent(private_index)
    assert_clean(canary, "x-access-token", result, home, job_dir, tmp_path / "target")
