"""Tokens the clients cannot carry, or would print, with the real clients.

- A token latin-1 cannot encode (a pasted `\u2019`): requests raises an error that names the
  character and its position -- part of the token. pip (import provider), pip-private
  (both modes) and poetry with the plugin say so in one line naming the rule instead:
  the backend warns once and pip goes on without it (401), the poetry hook stops (exit 2).
- A token that is the username (Gemfury): `twine upload --verbose` prints the username;
  through `private-packages run` it is masked.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.header_log import LoggingIndex
from support.wheels import build_wheel
from tests.conftest import Clients, make_canary
from tests.leaks import assert_not_in_texts
from tests.poetry_env import Poetry, write_project

pytestmark = pytest.mark.e2e

QUOTE = "\u2019"
NEVER = (QUOTE, "\\u2019", "position", "Traceback")


@pytest.fixture
def token() -> str:
    return make_canary("tok").replace(" ", "") + QUOTE + "tail"


@pytest.fixture
def index(sample_wheels: Path, token: str) -> Iterator[LoggingIndex]:
    with LoggingIndex(sample_wheels, credential=("ci", token)) as server:
        yield server


def rule(index: LoggingIndex) -> dict[str, str]:
    return {"PRIVATE_PACKAGES_G_URL": f"http://127.0.0.1:{index.port}",
            "PRIVATE_PACKAGES_G_USERNAME": "ci", "PRIVATE_PACKAGES_G_PASSWORD": "${TOKEN}"}


WARNING = ("password of env PRIVATE_PACKAGES_G_* holds a character HTTP Basic "
           "authentication cannot carry")


@pytest.mark.parametrize("client", ["pip-import", "pip-private", "pip-private-child"])
def test_pip_says_which_rule_not_which_character(
        clients: Clients, client_env: dict[str, str], index: LoggingIndex, token: str,
        tmp_path: Path, client: str) -> None:
    env = {**client_env, "TOKEN": token, **rule(index),
           "PIP_PRIVATE_SUBPROCESS": "1" if client.endswith("child") else ""}
    pip = clients.pip_python
    # pip-private as CI runs it: no terminal on stdin and no --no-input (pip's `User for
    # HOST:` prompt would die of EOFError with a traceback; pip-private sets PIP_NO_INPUT)
    argv = ([str(pip), "-m", "pip", "--keyring-provider", "import", "--no-input"]
            if client == "pip-import" else [str(pip.parent / "pip-private")])
    result = subprocess.run([*argv, "install", "--target", str(tmp_path / "t"),
                             "--index-url", f"http://127.0.0.1:{index.port}/simple/",
                             "acme-internal"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300, check=False, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # no credential: the index's 401 stands
    assert output.count(WARNING) == 1, output
    for text in NEVER:
        assert text not in output, output
    assert_not_in_texts(token, {"output": output}, username="ci")
    assert index.authorizations() == []


def test_the_poetry_hook_stops_in_one_line(poetry: Poetry, index: LoggingIndex,
                                           token: str, tmp_path: Path) -> None:
    project = write_project(tmp_path / "app", f"http://127.0.0.1:{index.port}/simple/",
                            dependencies=("acme-internal",))
    result = poetry.run("lock", cwd=project, env={"TOKEN": token, **rule(index)},
                        check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and WARNING in lines[0], result.stderr
    for text in NEVER:
        assert text not in result.stdout + result.stderr
    assert index.seen == []


@pytest.mark.parametrize("length", ["short", "long", "long without a space"])
def test_a_token_that_is_the_username_is_masked_by_run(
        clients: Clients, client_env: dict[str, str], sample_wheels: Path,
        tmp_path: Path, length: str) -> None:
    """twine --verbose prints `username: ...`; under run the username counts as a secret
    whenever a reference gave it. A long one rich wraps at 80 columns (a pipe: a CI log),
    at its space or, without one, folded onto indented lines of its own: every piece is
    masked (attack 3, finding 4)."""
    # a username never holds ':' (RFC 7617; rules refuse one), the rest of the canary stays
    user_token = make_canary("fury-user").replace(":", "")
    if length != "short":
        user_token += "-" + "0123456789abcdef" * 5
    if length == "long without a space":
        user_token = user_token.replace(" ", "")
    password = make_canary("fury-pass")
    dist = tmp_path / "dist"
    wheel = build_wheel(dist, "acme-two", "1.0.0")
    with LoggingIndex(sample_wheels, credential=(user_token, password),
                      protect=lambda path: True) as server:
        env = {**client_env, "USER_TOKEN": user_token, "PASS": password,
               "PRIVATE_PACKAGES_F_URL": f"http://127.0.0.1:{server.port}",
               "PRIVATE_PACKAGES_F_USERNAME": "${USER_TOKEN}",
               "PRIVATE_PACKAGES_F_PASSWORD": "${PASS}"}
        result = subprocess.run(
            [str(clients.pip_python.parent / "private-packages"), "run", "--",
             str(clients.tools_bin / "twine"), "upload", "--verbose", "--non-interactive",
             "--repository-url", f"http://127.0.0.1:{server.port}/", str(wheel)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert re.search(r"username:\s+\*\*\*\*", output), output
    assert [a for a in server.authorizations() if a], "twine never sent the credential"
    for secret in (user_token, password):
        assert_not_in_texts(secret, {"output": output})
        unwrapped = "".join(line.strip() for line in output.splitlines())
        assert not [secret[i:i + 12] for i in range(len(secret) - 12)
                    if secret[i:i + 12] in output or secret[i:i + 12] in unwrapped], output
