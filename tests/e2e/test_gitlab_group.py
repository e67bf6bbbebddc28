"""A GitLab-shaped group registry: the index lives at `/api/v4/groups/12/-/packages/pypi/
simple/`, and its pages link every file below the project holding it,
`/api/v4/projects/29/packages/pypi/files/SHA/NAME` (GitLab's real layout). With the guard,
a rule bound to the group's prefix sends nothing there; the GitLab preset binds what the
downloads need (`/api/v4`), for pip-private (both modes) and the poetry hook, and
`pip-private doctor` / `poetry source check` explain a rule that is too narrow."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.header_log import LoggingIndex, basic
from support.wheels import build_wheel
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import Poetry

pytestmark = pytest.mark.e2e

USER = "gitlab-ci-token"
GROUP = "/api/v4/groups/12/-/packages/pypi"
FILES = "/api/v4/projects/29/packages/pypi/files/0f3c9a"


@pytest.fixture
def gitlab(tmp_path: Path, canary: str) -> Iterator[LoggingIndex]:
    build_wheel(tmp_path / "wheels", "acme-internal", "1.0.0")
    with LoggingIndex(tmp_path / "wheels", credential=(USER, canary),
                      link=lambda f: f"{FILES}/{f}") as server:
        yield server


def base(server: LoggingIndex) -> str:
    return f"http://127.0.0.1:{server.port}"


def pip_private(clients: Clients, env: dict[str, str], cwd: Path, *args: str
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(clients.pip_python.parent / "pip-private"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=180, check=False)


def preset_rule(clients: Clients, env: dict[str, str], cwd: Path, host: str) -> dict[str, str]:
    printed = pip_private(clients, env, cwd, "preset", "gitlab", "--host", host, "--group",
                          "12", "--token-env", "CI_JOB_TOKEN", "--format", "env", "--name",
                          "gitlab")
    assert printed.returncode == 0, printed.stderr
    rules = {}
    for line in printed.stdout.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            rules[key] = " ".join(shlex.split(value))
    return rules


def clean(canary: str, root: Path, *results: subprocess.CompletedProcess[str]) -> None:
    for result in results:
        assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr},
                            username=USER)
    assert assert_not_in_files(canary, [root], username=USER) > 0


@pytest.mark.parametrize("mode", ["in-process", "child"])
def test_the_gitlab_preset_installs_from_a_group_index(
        clients: Clients, client_env: dict[str, str], gitlab: LoggingIndex, canary: str,
        tmp_path: Path, mode: str) -> None:
    rules = preset_rule(clients, client_env, tmp_path, base(gitlab))
    assert rules["PRIVATE_PACKAGES_GITLAB_URL"] == f"{base(gitlab)}/api/v4"
    env = {**client_env, **rules, "CI_JOB_TOKEN": canary,
           **({"PIP_PRIVATE_SUBPROCESS": "1"} if mode == "child" else {})}
    installed = pip_private(clients, env, tmp_path, "install", "--target",
                            str(tmp_path / "target"), "--index-url",
                            f"{base(gitlab)}{GROUP}/simple/", "acme-internal")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    downloads = [s for s in gitlab.seen if s.path.startswith(FILES)]
    assert downloads and downloads[-1].authorization == basic(USER, canary)
    clean(canary, tmp_path, installed)


def test_a_rule_for_the_group_prefix_alone_gets_no_download_and_doctor_says_why(
        clients: Clients, client_env: dict[str, str], gitlab: LoggingIndex, canary: str,
        tmp_path: Path) -> None:
    env = {**client_env, "PRIVATE_PACKAGES_G_URL": f"{base(gitlab)}{GROUP}",
           "PRIVATE_PACKAGES_G_USERNAME": USER, "PRIVATE_PACKAGES_G_PASSWORD": "${T}",
           "T": canary}
    (tmp_path / "r.txt").write_text(f"--index-url {base(gitlab)}{GROUP}/simple/\n"
                                    "acme-internal\n")
    installed = pip_private(clients, env, tmp_path, "install", "--target",
                            str(tmp_path / "target"), "-r", "r.txt")
    assert installed.returncode != 0
    assert all(s.authorization is None for s in gitlab.seen if s.path.startswith(FILES))
    doctor = pip_private(clients, env, tmp_path, "doctor", "-r", "r.txt")
    assert doctor.returncode == 2, doctor.stdout
    assert "OUTSIDE" in doctor.stdout and f"{base(gitlab)}{FILES}/acme_internal" in doctor.stdout
    assert f'fix: Bind the rule to a prefix that covers both: url = "{base(gitlab)}/api/v4"' \
        in doctor.stdout
    clean(canary, tmp_path, installed, doctor)


def test_poetry_source_auth_with_the_gitlab_preset_locks_and_installs(
        poetry: Poetry, gitlab: LoggingIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["acme-internal"]\n\n[tool.poetry]\npackage-mode = false\n')
    poetry.run("source", "auth", "gitlab", "--preset", "gitlab", "--host", base(gitlab),
               "--group", "12", "--token-env", "CI_JOB_TOKEN", cwd=project)
    text = (project / "pyproject.toml").read_text()
    assert f'url = "{base(gitlab)}{GROUP}/simple"' in text
    assert f'url = "{base(gitlab)}/api/v4"' in text
    env = {"POETRY_KEYRING_ENABLED": "false", "CI_JOB_TOKEN": canary}
    poetry.run("lock", cwd=project, env=env)
    poetry.run("install", cwd=project, env=env)
    assert list(project.glob(".venv/lib/python*/site-packages/acme_internal/__init__.py"))
    downloads = [s for s in gitlab.seen if s.path.startswith(FILES)]
    assert downloads and all(s.authorization == basic(USER, canary) for s in downloads)
    check = poetry.run("source", "check", "gitlab", cwd=project, env=env)
    assert "files:" not in check.stdout + check.stderr

    narrow = text.replace(f'url = "{base(gitlab)}/api/v4"', f'url = "{base(gitlab)}{GROUP}"')
    (project / "pyproject.toml").write_text(narrow)
    poetry.trust(project)  # a new destination, written by hand: approved again
    check = poetry.run("source", "check", "gitlab", cwd=project, env=env, check=False)
    assert check.returncode == 2, check.stdout + check.stderr
    assert "files: " in check.stdout and f"{base(gitlab)}/api/v4" in check.stdout
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0
