"""A slow or misconfigured Vault, through every client that can ask it: real pip with the
keyring backend, pip-private (pip in its own interpreter and as a child) and the poetry
hook, each against a real pypiserver in 401 mode.

The Vault is a server on 127.0.0.1 that drips one byte a second for five minutes
(support/drip_server.py); `[vault] timeout = 2` in the user's config. Nothing may wait
past the deadline: the subprocess timeout is the "did not hang" bound. Each client says so
in one line -- pip-private and poetry exit 2; the backend warns once and answers None, so
pip reports the index's 401 with its own exit code -- with no traceback, and no token
(the Vault token, the index token) in any output or file. Bad Vault inputs (a missing CA
bundle, a token no HTTP header can carry, a setting of the wrong type) likewise.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.drip_server import DripServer
from support.pypi_server import PrivateIndex
from tests.conftest import Clients, make_canary
from tests.e2e.test_clients import pip_install
from tests.e2e.test_pip_private import USER, Job, make_job
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import poetry_for, write_project
from tests.trusting import trust

pytestmark = pytest.mark.e2e

REFERENCE = "${vault:secret/ci/pypi#token}"
DEADLINE_LINE = "did not answer within 2 s (login and read together: the Vault timeout)"
HANG = 120  # seconds: far past the 2 s deadline, far short of the 300 s drip


@pytest.fixture
def drip() -> Iterator[DripServer]:
    with DripServer(interval=1.0, duration=300) as server:
        yield server


@pytest.fixture
def vault_token() -> str:
    return make_canary("vault")


def user_config(home: Path, vault: str = "timeout = 2\n") -> None:
    path = home / ".config" / "private-packages" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[vault]\n{vault}")


def index_rule(index: PrivateIndex) -> dict[str, str]:
    """An env-defined rule (the user's own layer): the index's token comes from Vault."""
    return {"PRIVATE_PACKAGES_IDX_URL": f"{index.url}/", "PRIVATE_PACKAGES_IDX_USERNAME": USER,
            "PRIVATE_PACKAGES_IDX_PASSWORD": REFERENCE}


def our_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "private-packages:" in line]


def assert_hung_up(drip: DripServer) -> None:
    """The Vault was asked, and the client hung up on it well before it gave up."""
    for _ in range(100):
        if drip.requests and len(drip.hung_up_after) == len(drip.requests):
            break
        time.sleep(0.1)
    assert drip.requests, "Vault was never asked"
    assert drip.hung_up_after and max(drip.hung_up_after) < HANG


def test_pip_with_the_backend_warns_once_and_goes_on(
        clients: Clients, private_index: PrivateIndex, drip: DripServer, canary: str,
        vault_token: str, client_env: dict[str, str], tmp_path: Path, home: Path) -> None:
    user_config(home)
    env = {**client_env, **index_rule(private_index), "VAULT_ADDR": drip.url,
           "VAULT_TOKEN": vault_token}
    result = subprocess.run(pip_install(clients, private_index, tmp_path / "target", "import"),
                            env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=HANG, check=False, stdin=subprocess.DEVNULL)
    assert result.returncode == 1, result.stderr  # pip's own: the index said 401
    output = result.stdout + result.stderr
    lines = our_lines(output)
    assert len(lines) == 1, output
    assert f"Vault at {drip.url} {DEADLINE_LINE}" in lines[0]
    assert "Traceback" not in output
    assert not any(r.authorized for r in private_index.requests)
    assert_hung_up(drip)
    for secret in (canary, vault_token):
        assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr},
                            username=USER)
        assert assert_not_in_files(secret, [tmp_path], username=USER) > 0


@pytest.fixture(params=["child", "in-process"])
def job(request: pytest.FixtureRequest, tmp_path: Path, clients: Clients,
        client_env: dict[str, str]) -> Job:
    return make_job(tmp_path, clients, client_env, request.param == "in-process")


def test_pip_private_stops_at_the_deadline(job: Job, private_index: PrivateIndex,
                                           drip: DripServer, canary: str,
                                           vault_token: str, home: Path) -> None:
    """A reference in a requirements file: one line and exit 2, before pip starts. A rule
    that reads Vault: pip's backend warns once and pip reports the 401."""
    user_config(home)
    host = private_index.url.removeprefix("http://")
    job.write("r.txt", f"--index-url http://{USER}:{REFERENCE}@{host}/simple/\nacme-internal\n")
    job.env.update(VAULT_ADDR=drip.url, VAULT_TOKEN=vault_token)
    trust(job.env, job.project)  # its requirements file may read Vault (test_trust.py)
    rendered = job.run("install", "--target", str(job.root / "target"), "-r", "r.txt",
                       timeout=HANG)
    assert rendered.returncode == 2, rendered.stderr
    assert rendered.stderr.count("\n") == 1, rendered.stderr
    assert f"r.txt:1: {REFERENCE}: Vault at {drip.url} {DEADLINE_LINE}" in rendered.stderr
    assert " -m pip" not in (job.argv_log.read_text() if job.argv_log.exists() else "")

    job.write("r.txt", f"--index-url {private_index.simple_url}\nacme-internal\n")
    job.env.update(index_rule(private_index))
    ruled = job.run("install", "--target", str(job.root / "target"), "-r", "r.txt",
                    timeout=HANG)
    assert ruled.returncode == 1, ruled.stderr
    lines = our_lines(ruled.stdout + ruled.stderr)
    assert len(lines) == 1 and DEADLINE_LINE in lines[0], ruled.stderr
    assert "Traceback" not in ruled.stdout + ruled.stderr
    assert not any(r.authorized for r in private_index.requests)
    assert_hung_up(drip)
    for secret in (canary, vault_token):
        job.assert_clean(secret, rendered)
        job.assert_clean(secret, ruled)


def test_the_poetry_hook_stops_at_the_deadline(
        poetry_vault_bin: Path, client_env: dict[str, str], private_index: PrivateIndex,
        drip: DripServer, canary: str, vault_token: str, tmp_path: Path, home: Path) -> None:
    user_config(home)
    poetry = poetry_for(poetry_vault_bin, client_env, home)
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",))
    env = {**index_rule(private_index), "VAULT_ADDR": drip.url, "VAULT_TOKEN": vault_token,
           "POETRY_KEYRING_ENABLED": "false"}
    result = poetry.run("lock", cwd=project, env=env, check=False, timeout=HANG)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("private-packages: source 'private': password of env "
                               "PRIVATE_PACKAGES_IDX_*")
    assert f"Vault at {drip.url} {DEADLINE_LINE}" in lines[0]
    assert not (project / "poetry.lock").exists()
    assert private_index.requests == []
    assert_hung_up(drip)
    for secret in (canary, vault_token):
        assert_not_in_texts(secret, poetry.outputs, username=USER)
        assert assert_not_in_files(secret, [tmp_path], username=USER) > 0


# --- bad Vault inputs: one line, never a traceback, nothing of the token --------------------

BAD_TOKEN = "hvs.\N{SNOWMAN}-" + make_canary("bad")  # no HTTP header can carry it


def bad_inputs(home: Path) -> dict[str, tuple[dict[str, str], str, str]]:
    """name -> (environment, user config [vault] body, the line's telling part)."""
    missing = home / "no-such-ca.pem"
    return {
        "missing-cacert": ({"VAULT_ADDR": "https://127.0.0.1:9", "VAULT_CACERT": str(missing),
                            "VAULT_TOKEN": "hvs.fine"}, "",
                           f"the CA bundle {missing} (VAULT_CACERT) does not exist"),
        "token-not-latin-1": ({"VAULT_ADDR": "http://127.0.0.1:9", "VAULT_TOKEN": BAD_TOKEN},
                              "", "VAULT_TOKEN holds a character an HTTP header cannot carry"),
        "addr-is-a-number": ({"VAULT_TOKEN": "hvs.fine"}, "addr = 5\n",
                             "Vault setting addr must be a string, not int"),
        # made a FIFO by the test: read_text() blocked every lookup before any deadline
        "token-file-is-a-fifo": ({"VAULT_ADDR": "http://127.0.0.1:9"}, "",
                                 "~/.vault-token (" + str(home / ".vault-token") +
                                 ") is a FIFO (named pipe), not a regular file"),
    }


@pytest.mark.parametrize("case", ["missing-cacert", "token-not-latin-1", "addr-is-a-number",
                                  "token-file-is-a-fifo"])
def test_bad_vault_input_through_pip_private_and_the_backend(
        tmp_path: Path, clients: Clients, client_env: dict[str, str],
        private_index: PrivateIndex, home: Path, canary: str, case: str) -> None:
    env, vault, telling = bad_inputs(home)[case]
    if case == "token-file-is-a-fifo":
        os.mkfifo(home / ".vault-token")
    user_config(home, vault)
    job = make_job(tmp_path, clients, client_env, in_process=True)
    job.env.update(env)
    host = private_index.url.removeprefix("http://")
    job.write("r.txt", f"--index-url http://{USER}:{REFERENCE}@{host}/simple/\nacme-internal\n")
    trust(job.env, job.project)  # its requirements file may read Vault (test_trust.py)
    rendered = job.run("install", "-r", "r.txt", timeout=HANG)
    assert rendered.returncode == 2, rendered.stderr
    assert rendered.stderr.count("\n") == 1, rendered.stderr
    assert f"r.txt:1: {REFERENCE}: " in rendered.stderr and telling in rendered.stderr

    job.env.update(index_rule(private_index))
    backend = subprocess.run(pip_install(clients, private_index, tmp_path / "target", "import"),
                             env=job.env, cwd=tmp_path, capture_output=True, text=True,
                             timeout=HANG, check=False, stdin=subprocess.DEVNULL)
    assert backend.returncode == 1, backend.stderr
    lines = our_lines(backend.stdout + backend.stderr)
    assert len(lines) == 1 and telling in lines[0], backend.stderr
    for result in (rendered, backend):
        assert "Traceback" not in result.stdout + result.stderr
        for secret in (canary, BAD_TOKEN, BAD_TOKEN[4:]):
            job.assert_clean(secret, result)
        assert "\N{SNOWMAN}" not in result.stdout + result.stderr
