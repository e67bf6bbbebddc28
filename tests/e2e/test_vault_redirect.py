"""A Vault (or the load balancer or ingress in front of it) that redirects.

requests, under hvac, followed any redirect: `X-Vault-Token` on every status (requests
strips only `Authorization` on a host change), and the AppRole `secret_id` or CI id token
in the login body re-sent on a 307/308 -- to another host, and from https down to plain
http (attack2: test_vault_redirect.py). Now no request leaves Vault's origin: the keyring
CLI (what uv and pip's subprocess provider run) warns in one line and the other host sees
nothing at all. A redirect within the origin (a path moved behind a proxy) still works
against a real OpenBao, the 307 re-sending the login there.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.errors import ProviderUnavailable
from keyring_backend.providers import ResolveContext, render_template
from keyring_backend.references import parse_template
from keyring_backend.settings import Settings
from support.evil_server import EvilServer
from support.names import self_signed, server_context
from support.openbao import CountingProxy, OpenBaoServer
from tests.conftest import Clients, make_canary
from tests.leaks import assert_not_in_texts

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_vault_cache")]

REFERENCE = "${vault:secret/ci/pypi#token}"
SERVICE = "https://pypi.example.com/simple/"
VAULT_TOKEN = make_canary("vault-token")
SECRET_ID = make_canary("secret-id")
ID_TOKEN = make_canary("id-token")
#: auth method -> (its environment, the credential that must not leave Vault's origin)
AUTH = {
    "token": ({"VAULT_TOKEN": VAULT_TOKEN}, VAULT_TOKEN),
    "approle": ({"VAULT_ROLE_ID": "role-1", "VAULT_SECRET_ID": SECRET_ID}, SECRET_ID),
    "jwt": ({"VAULT_ID_TOKEN": ID_TOKEN, "VAULT_ROLE": "ci"}, ID_TOKEN),
}
REFUSED = ("; not followed, since a Vault token, secret id or id token goes only to the origin "
           "of the address")


@pytest.fixture
def other_host() -> Iterator[EvilServer]:
    """Another host (127.0.0.3) that records whatever reaches it."""
    with EvilServer(host="127.0.0.3") as evil:
        yield evil


def bouncing_vault(tmp_path: Path, to: str, status: int = 307, *,
                   tls: bool = True) -> tuple[CountingProxy, dict[str, str]]:
    """A "Vault" on 127.0.0.1 (https unless `tls` is false) that redirects every request to
    the same path on `to`, and the VAULT_CACERT that trusts it."""
    if not tls:
        return CountingProxy(to, redirect=lambda path: to + path, redirect_status=status), {}
    cert, key = self_signed(tmp_path / "tls", "127.0.0.1")
    return CountingProxy(to, redirect=lambda path: to + path, redirect_status=status,
                         tls=server_context(cert, key)), {"VAULT_CACERT": str(cert)}


@pytest.mark.parametrize("status", [302, 307, 308])
@pytest.mark.parametrize("method", list(AUTH))
def test_no_vault_credential_follows_a_redirect_to_plain_http_on_another_host(
        clients: Clients, client_env: dict[str, str], tmp_path: Path, other_host: EvilServer,
        method: str, status: int) -> None:
    variables, secret = AUTH[method]
    vault, cacert = bouncing_vault(tmp_path, other_host.url, status)
    with vault:
        env = {**client_env, **variables, **cacert, "VAULT_ADDR": vault.addr,
               "PRIVATE_PACKAGES_V_URL": "https://pypi.example.com",
               "PRIVATE_PACKAGES_V_USERNAME": "ci", "PRIVATE_PACKAGES_V_PASSWORD": REFERENCE}
        keyring = clients.pip_python.parent / "keyring"  # the pip venv has hvac
        result = subprocess.run([str(keyring), "get", SERVICE, "ci"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60, check=False)
    assert vault.requests, "Vault was never asked"
    assert other_host.requests == [], "a request went on to the other host"
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if "private-packages:" in line]
    assert len(lines) == 1, output
    assert f"Vault at {vault.addr} redirected to {other_host.url}{REFUSED}" in lines[0]
    assert "Traceback" not in output and result.stdout == ""
    assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr})


def render(env: dict[str, str], home: Path) -> str:
    ctx = ResolveContext(env={**env, "HOME": str(home)}, where="r.txt:1", settings=Settings())
    return render_template(parse_template(REFERENCE, "r.txt:1"), ctx).reveal()


@pytest.mark.parametrize("target", ["https-other-host", "http-other-port"])
def test_a_redirect_to_another_origin_of_the_same_scheme_is_refused_too(
        tmp_path: Path, home: Path, other_host: EvilServer, target: str) -> None:
    """An HA standby's 307 to the active node is such a redirect: Vault forwards a
    standby's requests itself unless that is switched off (README)."""
    with EvilServer() as same_host:
        to = {"https-other-host": other_host.url.replace("http:", "https:"),
              "http-other-port": same_host.url}[target]
        vault, cacert = bouncing_vault(tmp_path, to, tls=target.startswith("https"))
        with vault, pytest.raises(ProviderUnavailable) as info:
            render({**cacert, "VAULT_ADDR": vault.addr, "VAULT_TOKEN": VAULT_TOKEN}, home)
    assert str(info.value) == (f"r.txt:1: {REFERENCE}: Vault at {vault.addr} redirected to "
                               f"{to}{REFUSED} you gave (if that is your Vault's address, set "
                               "VAULT_ADDR or addr to it)")
    assert other_host.requests == [] and same_host.requests == []
    assert VAULT_TOKEN not in str(info.value) + repr(info.value)


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        server.put_v2("ci/pypi", {"token": "the-value"})
        server.create_policy("read-ci", 'path "secret/data/ci/*" { capabilities = ["read"] }')
        yield server


def moved(path: str) -> Optional[str]:
    """Every path moves once within the origin (Vault ignores an unknown query parameter)."""
    return None if "moved=1" in path else path + ("&" if "?" in path else "?") + "moved=1"


@pytest.mark.parametrize("method", ["token", "approle"])
def test_a_redirect_within_the_origin_is_followed(bao: OpenBaoServer, home: Path,
                                                  method: str) -> None:
    with CountingProxy(bao.addr, redirect=moved) as vault:
        if method == "token":
            env = {"VAULT_TOKEN": bao.root_token}
        else:
            role_id, secret_id = bao.create_approle("ci-read", ["read-ci"])
            env = {"VAULT_ROLE_ID": role_id, "VAULT_SECRET_ID": secret_id}
        assert render({**env, "VAULT_ADDR": vault.addr}, home) == "the-value"
    read = "/v1/secret/data/ci/pypi"
    assert vault.count("GET", read) == 1 and vault.count("GET", read + "?moved=1") == 1
    if method == "approle":  # the 307 re-sent the login body to the moved path
        login = "/v1/auth/approle/login"
        assert vault.count("POST", login) == 1 and vault.count("POST", login + "?moved=1") == 1


def test_a_redirect_loop_within_the_origin_ends(home: Path) -> None:
    with CountingProxy("http://127.0.0.1:9", redirect=lambda path: path + "x") as vault, \
            pytest.raises(ProviderUnavailable) as info:
        render({"VAULT_ADDR": vault.addr, "VAULT_TOKEN": VAULT_TOKEN}, home)
    assert str(info.value) == (f"r.txt:1: {REFERENCE}: Vault at {vault.addr} redirected more "
                               "than 5 times")
    assert len(vault.requests) == 6  # the first request and five redirects
