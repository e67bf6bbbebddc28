"""A loopback http rule (an SSH tunnel to the registry, a local mirror) meets HTTP_PROXY:
plain http to loopback carries a credential only because it never leaves the machine, and
a proxy would carry it off, in clear text. With the real clients against an index and a
logging "proxy" (a second index that serves whatever it is handed, so a request that does
reach it succeeds -- the control with `allow_http` shows it):

- pip-private (both modes) and pip with the import provider: the guard takes the header
  off a request a proxy would carry, with one warning naming the proxy;
- git: `git_config_env` sends git to a loopback http origin directly;
- pip-private with a secret `--proxy`: loopback URLs pass the proxy (NO_PROXY), so the
  install works and the proxy sees nothing of the index's credential.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyring_backend.git_credential import git_config_env
from support.header_log import LoggingIndex
from support.http_proxy import ForwardProxy
from tests.conftest import Clients, make_canary
from tests.leaks import assert_not_in_texts

pytestmark = pytest.mark.e2e

USER = "ci"


@pytest.fixture
def token() -> str:
    return make_canary()


@pytest.fixture
def index(sample_wheels: Path, token: str) -> Iterator[LoggingIndex]:
    with LoggingIndex(sample_wheels, credential=(USER, token)) as server:
        yield server


@pytest.fixture
def proxy(sample_wheels: Path, token: str) -> Iterator[LoggingIndex]:
    with LoggingIndex(sample_wheels, credential=(USER, token)) as server:
        yield server


def rule_env(client_env: dict[str, str], index: LoggingIndex, proxy: LoggingIndex,
             token: str, allow_http: bool) -> dict[str, str]:
    proxy_url = f"http://127.0.0.1:{proxy.port}"
    return {**client_env, "TOKEN": token, "GIT_TERMINAL_PROMPT": "0",
            "PRIVATE_PACKAGES_G_URL": f"http://127.0.0.1:{index.port}",
            "PRIVATE_PACKAGES_G_USERNAME": USER, "PRIVATE_PACKAGES_G_PASSWORD": "${TOKEN}",
            "PRIVATE_PACKAGES_G_ALLOW_HTTP": "1" if allow_http else "",
            "HTTP_PROXY": proxy_url, "http_proxy": proxy_url}


def carried(server: LoggingIndex, token: str) -> list[str]:
    """The requests that reached `server` with the credential, in any form."""
    found = []
    for seen in server.seen:
        try:
            assert_not_in_texts(token, {"request": f"{seen.raw_path} {seen.authorization}"},
                                username=USER)
        except AssertionError:
            found.append(seen.raw_path)
    return found


PIPS = ["pip-private", "pip-private-child", "pip-import"]


@pytest.mark.parametrize("allow_http", [False, True], ids=["loopback", "allow-http"])
@pytest.mark.parametrize("client", PIPS)
def test_pip_keeps_a_loopback_credential_off_a_proxy(
        clients: Clients, client_env: dict[str, str], index: LoggingIndex,
        proxy: LoggingIndex, token: str, tmp_path: Path, client: str,
        allow_http: bool) -> None:
    env = rule_env(client_env, index, proxy, token, allow_http)
    pip = clients.pip_python
    if client == "pip-import":
        argv = [str(pip), "-m", "pip", "--no-input", "--keyring-provider", "import"]
    else:
        argv = [str(pip.parent / "pip-private"), "--no-input"]
        env.update(PIP_PRIVATE_SUBPROCESS="1" if client.endswith("child") else "")
    result = subprocess.run([*argv, "install", "--retries", "0", "--target",
                             str(tmp_path / "t"), "--index-url",
                             f"http://127.0.0.1:{index.port}/simple/", "acme-internal"],
                            cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert proxy.seen and index.seen == [], "the proxy did not carry pip's requests"
    if allow_http:  # the control: a rule that may cross the network goes through it
        assert result.returncode == 0, result.stdout + result.stderr
        assert carried(proxy, token)
        return
    assert carried(proxy, token) == []
    assert result.returncode == 1, result.stdout + result.stderr
    warning = f"the proxy 127.0.0.1:{proxy.port} would carry it in clear text"
    assert (result.stdout + result.stderr).count(warning) == 1, result.stdout + result.stderr
    assert_not_in_texts(token, {"stdout": result.stdout, "stderr": result.stderr},
                        username=USER)


@pytest.mark.parametrize("allow_http", [False, True], ids=["loopback", "allow-http"])
def test_git_reaches_a_loopback_origin_past_the_proxy(
        client_env: dict[str, str], index: LoggingIndex, proxy: LoggingIndex, token: str,
        tmp_path: Path, allow_http: bool) -> None:
    env = rule_env(client_env, index, proxy, token, allow_http)
    env.update(git_config_env(env, project_dir=tmp_path))
    subprocess.run(["git", "ls-remote", f"http://127.0.0.1:{index.port}/org/repo.git"],
                   cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                   check=False)
    if allow_http:  # the control: git does use http_proxy, and the helper answers there
        assert carried(proxy, token) and index.seen == []
        return
    assert proxy.seen == []
    assert carried(index, token), "git never sent the credential to the index itself"


def test_a_secret_proxy_is_passed_by_for_loopback(
        clients: Clients, client_env: dict[str, str], index: LoggingIndex, token: str,
        tmp_path: Path) -> None:
    """`--proxy` holding a secret becomes HTTP_PROXY, with NO_PROXY naming the loopback
    hosts instead of nothing: a loopback index is reached directly."""
    proxy_token = make_canary("proxy")
    env = {**client_env, "TOKEN": token, "PROXY_TOKEN": proxy_token,
           "PRIVATE_PACKAGES_G_URL": f"http://127.0.0.1:{index.port}",
           "PRIVATE_PACKAGES_G_USERNAME": USER, "PRIVATE_PACKAGES_G_PASSWORD": "${TOKEN}"}
    with ForwardProxy("proxy-user", proxy_token) as forward:
        result = subprocess.run(
            [str(clients.pip_python.parent / "pip-private"), "install", "--no-input",
             "--proxy", f"http://proxy-user:${{PROXY_TOKEN}}@127.0.0.1:{forward.port}",
             "--target", str(tmp_path / "t"), "--index-url",
             f"http://127.0.0.1:{index.port}/simple/", "acme-internal"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert forward.seen == [] and carried(index, token)
    for secret in (token, proxy_token):
        assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr},
                            username=USER)
