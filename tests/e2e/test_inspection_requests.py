"""The inspection commands' own requests (keyring_backend/http.py): `pip-private doctor`,
`poetry source check` and `poetry source bump`, for real, against logging servers.

- A redirect keeps the credential only within its rule, as the guard keeps pip's and
  poetry's requests: a `/groups/12` rule's credential followed a 302 to `/groups/123/`
  (attack2: test_probe_redirect.py).
- `--timeout` bounds each request from its connect to its last byte: an index that drips
  one byte a second held doctor and source check for as long as it went on (attack2:
  test_drip_index.py), and a page it left half-sent read as "200 OK".
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.drip_server import DripServer
from support.header_log import LoggingIndex
from support.wheels import build_wheel
from tests.conftest import Clients
from tests.leaks import assert_not_in_texts
from tests.poetry_env import Poetry, write_project

pytestmark = pytest.mark.e2e

USER = "ci"
COMMANDS = ["doctor", "source-check", "source-bump"]


@pytest.fixture
def moved(tmp_path: Path, canary: str) -> Iterator[LoggingIndex]:
    """Every page under /groups/12/simple/ answers a 302 to the same page under /groups/123/
    (a moved project, a proxy rewrite), which is public."""
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "acme-one", "1.0.0")
    redirects = {"/groups/12/simple": "/groups/123/simple/",
                 "/groups/12/simple/acme-one": "/groups/123/simple/acme-one/"}
    with LoggingIndex(wheels, credential=(USER, canary), protect=lambda path: False,
                      redirects=redirects) as index:
        yield index


def rule_env(url: str, token: str) -> dict[str, str]:
    return {"IDX_TOKEN": token, "PRIVATE_PACKAGES_G_URL": url,
            "PRIVATE_PACKAGES_G_USERNAME": USER, "PRIVATE_PACKAGES_G_PASSWORD": "${IDX_TOKEN}"}


def inspect(command: str, index: str, env: dict[str, str], clients: Clients, poetry: Poetry,
            client_env: dict[str, str], root: Path, *options: str
            ) -> subprocess.CompletedProcess[str]:
    """Run one inspection command against the index URL `index`."""
    if command == "doctor":
        return subprocess.run([str(clients.pip_python.parent / "pip-private"), "doctor",
                               *options, "-i", index, "acme-one"], cwd=root,
                              env={**client_env, **env}, capture_output=True, text=True,
                              timeout=300, check=False)
    project = write_project(root / "app", index, name="acme-one",
                            dependencies=() if command == "source-bump" else ("acme-one",))
    args = ("bump", "private", "patch", "--dry-run") if command == "source-bump" else (
        "check", *options)
    return poetry.run("source", *args, cwd=project, env=env, check=False)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_redirect_out_of_the_rule_loses_the_credential(
        command: str, moved: LoggingIndex, canary: str, clients: Clients, poetry: Poetry,
        client_env: dict[str, str], tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{moved.port}"
    result = inspect(command, f"{base}/groups/12/simple/", rule_env(f"{base}/groups/12", canary),
                     clients, poetry, client_env, tmp_path)
    output = result.stdout + result.stderr
    inside = [s for s in moved.seen if s.path.startswith("/groups/12/")]
    outside = [s for s in moved.seen if s.path.startswith("/groups/123/")]
    assert outside, f"no redirect followed:\n{output}"
    assert inside and all(s.authorization for s in inside), "the rule's own prefix got none"
    assert [s.authorization for s in outside] == [None] * len(outside)
    assert "Traceback" not in output
    assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr},
                        username=USER)
    if command != "source-bump":  # and the report says why
        assert f"outside {base}/groups/12" in output, output


TIMEOUT = 2


@pytest.mark.parametrize("command", ["doctor", "source-check"])
def test_a_dripping_index_ends_at_the_timeout(
        command: str, clients: Clients, poetry: Poetry, client_env: dict[str, str],
        tmp_path: Path, canary: str) -> None:
    with DripServer(interval=1.0, duration=60, drip="body") as drip:
        started = time.monotonic()
        result = inspect(command, f"{drip.url}/simple/", rule_env(drip.url, canary), clients,
                         poetry, client_env, tmp_path, "--timeout", str(TIMEOUT))
        took = time.monotonic() - started
    output = result.stdout + result.stderr
    assert took < 40, f"{command} --timeout {TIMEOUT} took {took:.0f} s"  # it waited 60 s
    assert result.returncode == 2, output
    assert f"no complete answer within {TIMEOUT} s (timeout)" in output
    assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr},
                        username=USER)


def test_a_page_cut_short_is_no_index(clients: Clients, poetry: Poetry,
                                      client_env: dict[str, str], tmp_path: Path) -> None:
    """The drip server hangs up after a second, well before its Content-Length."""
    with DripServer(interval=0.1, duration=1, drip="body") as drip:
        result = inspect("doctor", f"{drip.url}/simple/", {}, clients, poetry, client_env,
                         tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "the answer ended after" in output and "of its 1000" in output
    assert "everything is ready" not in output
