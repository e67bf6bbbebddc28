"""Vault's `timeout` is a deadline for the whole operation -- login plus reads -- in this
process, against a real OpenBao behind a slow proxy and a server that drips one byte a
second (support/drip_server.py). Before, `timeout` bounded each socket read only: the drip
kept a caller waiting for minutes, and a slow login plus a slow read passed.

The clients (pip with the backend, pip-private, the poetry hook) are in
test_vault_deadline_clients.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyring_backend.errors import ProviderUnavailable
from keyring_backend.providers.vault import reset_cache
from support.drip_server import DripServer
from support.openbao import CountingProxy, OpenBaoServer
from tests.conftest import server_tls
from tests.e2e.test_vault import TOKEN, assert_clean, render, root_env

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_vault_cache")]

#: "Did not hang": the deadline plus this much for a loaded 2-core machine. The drip would
#: go on for DRIP_FOR seconds without the deadline.
MARGIN = 8.0
DRIP_FOR = 300.0


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        server.put_v2("ci/pypi", {"token": TOKEN})
        server.create_policy("read-ci", 'path "secret/data/ci/*" { capabilities = ["read"] }')
        yield server


def timers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def wait_for_hang_up(drip: DripServer) -> list[float]:
    """How long the server's connections lasted, once the client hung up on all of them."""
    for _ in range(100):
        if drip.requests and len(drip.hung_up_after) == len(drip.requests):
            break
        time.sleep(0.1)
    return drip.hung_up_after


@pytest.mark.parametrize("drip_from", ["status", "body"])
def test_a_server_that_drips_is_cut_off_at_the_deadline(home: Path, drip_from: str) -> None:
    with DripServer(interval=1.0, duration=DRIP_FOR, drip=drip_from) as drip:
        env = {"VAULT_ADDR": drip.url, "VAULT_TOKEN": "hvs.drip-test", "HOME": str(home)}
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable) as info:
            render("${vault:secret/ci/pypi#token}", env, timeout=2)
        elapsed = time.monotonic() - started
        assert elapsed < 2 + MARGIN, elapsed
        assert (f"Vault at {drip.url} did not answer within 2 s (login and read together"
                in str(info.value))
        assert_clean(info.value, "hvs.drip-test")
        lasted = wait_for_hang_up(drip)
        assert lasted and max(lasted) < 2 + MARGIN  # we hung up; the server did not give up
    assert timers() == []  # the watchdog is gone


@pytest.mark.parametrize("drip_from", ["handshake", "body"])
def test_https_is_cut_off_in_the_handshake_and_after_it(
        home: Path, certificate: tuple[Path, Path], drip_from: str) -> None:
    """During the TLS handshake (a record that never completes) and inside TLS (a body
    that never completes): the watchdog shuts the socket under the SSL layer as well."""
    cert, _ = certificate
    tls = server_tls(certificate) if drip_from == "body" else None
    with DripServer(interval=1.0, duration=DRIP_FOR, drip=drip_from, tls=tls) as drip:
        url = drip.url.replace("http://", "https://")
        env = {"VAULT_ADDR": url, "VAULT_CACERT": str(cert), "VAULT_TOKEN": "hvs.drip-test",
               "HOME": str(home)}
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable) as info:
            render("${vault:secret/ci/pypi#token}", env, timeout=2)
        assert time.monotonic() - started < 2 + MARGIN
        assert f"Vault at {url} did not answer within 2 s (login and read" in str(info.value)
        assert_clean(info.value, "hvs.drip-test")
        lasted = wait_for_hang_up(drip)
        assert lasted and max(lasted) < 2 + MARGIN
    assert timers() == []


def test_the_deadline_covers_login_and_read_together(bao: OpenBaoServer, home: Path) -> None:
    """Each request takes 0.8 s through the proxy, well inside a 2 s per-request timeout;
    the AppRole login, the mount lookup and the read take 2.4 s together."""
    role_id, secret_id = bao.create_approle("ci-slow", ["read-ci"])
    with CountingProxy(bao.addr, delay=0.8) as proxy:
        env = {"VAULT_ADDR": proxy.addr, "VAULT_ROLE_ID": role_id,
               "VAULT_SECRET_ID": secret_id, "HOME": str(home)}
        with pytest.raises(ProviderUnavailable) as info:
            render("${vault:secret/ci/pypi#token}", env, timeout=2)
        assert f"Vault at {proxy.addr} did not answer within 2 s" in str(info.value)
        assert proxy.count("POST", "/v1/auth/approle/login") == 1  # the login was asked...
        assert_clean(info.value, role_id, secret_id, bao.root_token)
        reset_cache()
        # ...and the same exchange with room for all three requests succeeds.
        assert render("${vault:secret/ci/pypi#token}", env, timeout=10) == TOKEN
    assert timers() == []


def test_a_vault_that_ran_out_of_time_is_not_asked_again(home: Path) -> None:
    """pip asks the backend several times per run (index URL, host:port, file URLs): the
    second reference fails at once instead of waiting out another deadline."""
    with DripServer(interval=1.0, duration=DRIP_FOR) as drip:
        env = {"VAULT_ADDR": drip.url, "VAULT_TOKEN": "hvs.drip-test", "HOME": str(home)}
        with pytest.raises(ProviderUnavailable):
            render("${vault:secret/ci/pypi#token}", env, timeout=1)
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable) as info:
            render("${vault:secret/ci/other#token}", env, timeout=1)
        assert time.monotonic() - started < MARGIN
        assert "did not answer within 1 s" in str(info.value)
        assert str(info.value).startswith("requirements.txt:3: ${vault:secret/ci/other#token}")
        assert len(drip.requests) == 1


def test_a_quick_answer_leaves_no_thread_and_reuses_its_connection(
        bao: OpenBaoServer, home: Path) -> None:
    with CountingProxy(bao.addr) as proxy:
        env = root_env(bao, home, addr=proxy.addr)
        assert render("${vault:secret/ci/pypi#token}", env, timeout=5) == TOKEN
        assert timers() == []
        reset_cache()
        assert render("${vault:secret/data/ci/pypi#token}", env, timeout=5) == TOKEN
        assert timers() == []
