"""Who hears "credential for ... from ...": pip and pip-private users (in pip's normal
output, useful in a CI log), nobody else unless they ask for debug output. Before, twine,
the keyring CLI and any tool that sets its root logger to INFO printed it as a warning
(pipenv: `Warning: INFO:private_packages:...`). Real pip, pip-private, twine and the
keyring CLI against a real private index; the rule's token is in no output."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from support.wheels import build_wheel
from tests.conftest import Clients
from tests.leaks import assert_not_in_texts

pytestmark = pytest.mark.e2e

LINE = "private-packages: credential for "
USER = "deploy-bot"


def rule_env(client_env: dict[str, str], index: PrivateIndex, secret: str) -> dict[str, str]:
    return {**client_env, "PRIVATE_PACKAGES_IDX_URL": index.url,
            "PRIVATE_PACKAGES_IDX_USERNAME": USER,
            "PRIVATE_PACKAGES_IDX_PASSWORD": "${IDX_TOKEN}", "IDX_TOKEN": secret}


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False, stdin=subprocess.DEVNULL)


def credential_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines() if LINE in line]


@pytest.mark.parametrize("verbosity", ["", "-q"])
@pytest.mark.parametrize("tool", ["pip", "pip-private", "pip-private-child"])
def test_pip_and_pip_private_say_where_the_credential_came_from(
        tool: str, verbosity: str, clients: Clients, private_index: PrivateIndex,
        client_env: dict[str, str], canary: str, tmp_path: Path) -> None:
    env = rule_env(client_env, private_index, canary)
    bin_dir = clients.pip_python.parent
    if tool == "pip":
        head = [str(clients.pip_python), "-m", "pip", "--isolated"]
    else:
        head = [str(bin_dir / "pip-private")]
        if tool == "pip-private-child":
            env["PIP_PRIVATE_SUBPROCESS"] = "1"
    argv = [*head, "install", *filter(None, [verbosity]), "--no-input", "--keyring-provider",
            "import", "--index-url", private_index.simple_url, "--target",
            str(tmp_path / "t"), "acme-internal"]

    result = run(argv, env, tmp_path)

    assert result.returncode == 0, result.stderr
    lines = credential_lines(result)
    if verbosity == "-q":  # pip's quiet mode hides its INFO lines, ours with them
        assert lines == []
    else:
        assert lines and "from ${IDX_TOKEN} (env PRIVATE_PACKAGES_IDX_*)" in lines[0]
        assert "WARNING" not in lines[0] and "Warning" not in lines[0]
    assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr},
                        username=USER)


@pytest.mark.parametrize("verbose", [False, True])
def test_twine_stays_quiet(verbose: bool, clients: Clients, private_index: PrivateIndex,
                           client_env: dict[str, str], canary: str, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build_wheel(dist, "acme-uploaded", "2.0.0" if verbose else "2.0.1")
    argv = [str(clients.tools_bin / "twine"), "upload", "--non-interactive",
            *(["--verbose"] if verbose else []), "--repository-url",
            f"{private_index.url}/", *map(str, dist.iterdir())]

    result = run(argv, rule_env(client_env, private_index, canary), tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert any(r.authorized and r.method == "POST" for r in private_index.requests)
    # twine --verbose raises twine's own logger only; our line is a debug line there
    assert credential_lines(result) == []
    assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr},
                        username=USER)


def test_keyring_cli_stays_quiet(clients: Clients, private_index: PrivateIndex,
                                 client_env: dict[str, str], canary: str,
                                 tmp_path: Path) -> None:
    result = run([str(clients.tools_bin / "keyring"), "get", private_index.simple_url, USER],
                 rule_env(client_env, private_index, canary), tmp_path)
    assert result.returncode == 0 and result.stdout == f"{canary}\n"
    assert result.stderr == ""


@pytest.mark.parametrize(("level", "shown"), [("INFO", False), ("DEBUG", True)])
def test_a_tool_with_an_info_root_logger_hears_it_only_at_debug(
        level: str, shown: bool, clients: Clients, private_index: PrivateIndex,
        client_env: dict[str, str], canary: str, tmp_path: Path) -> None:
    """What pipenv does: the root logger at INFO, every record printed with its level."""
    code = ("import logging, sys, keyring\n"
            f"logging.basicConfig(level=logging.{level})\n"
            "credential = keyring.get_credential(sys.argv[1], None)\n"
            "print(credential.username if credential else None)\n")
    result = run([str(clients.tools_bin / "python"), "-c", code, private_index.simple_url],
                 rule_env(client_env, private_index, canary), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{USER}\n"
    lines = credential_lines(result)
    assert lines == ([f"DEBUG:private_packages:{LINE}{private_index.url}/ from ${{IDX_TOKEN}} "
                      "(env PRIVATE_PACKAGES_IDX_*)"] if shown else [])
    assert_not_in_texts(canary, {"stderr": result.stderr}, username=USER)
