"""`${vault:PATH#FIELD}` against a real OpenBao dev server (one per module) on 127.0.0.1.

Every error case asserts that no canary value, root token, secret id or token shows in the
exception's str or repr, and that hvac's exception (whose text may echo request data) is not
chained.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from keyring_backend.errors import PermissionDenied, ProviderUnavailable, UnresolvedReference
from keyring_backend.providers import ResolveContext, render_template
from keyring_backend.references import parse_template
from keyring_backend.settings import Settings, VaultSettings
from support.openbao import CountingProxy, OpenBaoServer, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_vault_cache")]

WHERE = "requirements.txt:3"
_RUN = uuid.uuid4().hex[:8]
TOKEN = f"pypi-T0k@n:/#%? ü-{_RUN}"  # every URL-hostile character, a space, non-ASCII
USER = f"user ß@{_RUN}"
V1_TOKEN = f"v1-s3cr:t/#%?@ ñ-{_RUN}"
OTHER = f"other-{_RUN}?#"
READ_CI = """
path "secret/data/ci/*" { capabilities = ["read"] }
path "kv1/ci/*" { capabilities = ["read"] }
"""
READ_OTHER = 'path "secret/data/other/*" { capabilities = ["read"] }'
CANARIES = (TOKEN, USER, V1_TOKEN, OTHER)


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        server.put_v2("ci/pypi", {"token": TOKEN, "user": USER, "port": 8443,
                                  "nested": {"a": OTHER}, "empty": ""})
        server.put_v2("other/pypi", {"token": OTHER})
        server.put_v2("ci/odd name?#x", {"token": OTHER})
        server.enable_kv1("kv1")
        server.put_v1("ci/pypi", {"token": V1_TOKEN}, mount="kv1")
        server.create_policy("read-ci", READ_CI)
        server.create_policy("read-other", READ_OTHER)
        yield server


def render(text: str, env: dict[str, str], **vault: Any) -> str:
    ctx = ResolveContext(env=env, where=WHERE, settings=Settings(vault=VaultSettings(**vault)))
    return render_template(parse_template(text, WHERE), ctx).reveal()


def root_env(bao: OpenBaoServer, home: Path, addr: str = "") -> dict[str, str]:
    return {"VAULT_ADDR": addr or bao.addr, "VAULT_TOKEN": bao.root_token, "HOME": str(home)}


def assert_clean(exc: BaseException, *secrets: str) -> None:
    """No secret, raw or percent-encoded or base64, in what the user sees; nothing chained."""
    text = str(exc) + repr(exc)
    for secret in (*CANARIES, *secrets):
        for form in (secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()):
            assert form not in text
    assert "\n" not in str(exc)
    assert str(exc).startswith(f"{WHERE}: ${{vault:")
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


# --- reading ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["secret/ci/pypi", "secret/data/ci/pypi", "/secret/ci/pypi/"])
def test_kv2_secret_both_spellings(bao: OpenBaoServer, home: Path, path: str) -> None:
    assert render(f"${{vault:{path}#token}}", root_env(bao, home)) == TOKEN


def test_path_with_url_characters_is_quoted(bao: OpenBaoServer, home: Path) -> None:
    env = root_env(bao, home)
    assert render("${vault:secret/ci/odd name?#x#token}", env) == OTHER
    with pytest.raises(UnresolvedReference, match="no secret at secret/ci/odd name"):
        render("${vault:secret/ci/odd name#token}", env)


def test_kv1_mount_reads_the_path_as_is(bao: OpenBaoServer, home: Path) -> None:
    assert render("${vault:kv1/ci/pypi#token}", root_env(bao, home)) == V1_TOKEN


def test_several_fields_and_literals(bao: OpenBaoServer, home: Path) -> None:
    text = "https://${vault:secret/ci/pypi#user}:${vault:secret/ci/pypi#token}@h:${vault:secret/ci/pypi#port}/"
    assert render(text, root_env(bao, home)) == f"https://{USER}:{TOKEN}@h:8443/"


def test_explicit_token_auth_from_settings(bao: OpenBaoServer, home: Path) -> None:
    env = {"VAULT_TOKEN": bao.root_token, "HOME": str(home)}
    assert render("${vault:secret/ci/pypi#token}", env, addr=bao.addr, auth="token") == TOKEN


def test_token_from_vault_token_file(bao: OpenBaoServer, home: Path) -> None:
    (home / ".vault-token").write_text(bao.root_token + "\n", encoding="utf-8")
    env = {"VAULT_ADDR": bao.addr, "HOME": str(home)}
    assert render("${vault:secret/ci/pypi#token}", env) == TOKEN


def test_approle_login(bao: OpenBaoServer, home: Path) -> None:
    role_id, secret_id = bao.create_approle("ci-read", ["read-ci"])
    env = {"VAULT_ADDR": bao.addr, "VAULT_ROLE_ID": role_id, "VAULT_SECRET_ID": secret_id,
           "HOME": str(home)}
    assert render("${vault:secret/ci/pypi#token} ${vault:kv1/ci/pypi#token}", env) == (
        f"{TOKEN} {V1_TOKEN}")


# --- one login and one read per secret per process --------------------------------------------

TWENTY = " ".join(["${vault:secret/ci/pypi#token}"] * 10 + ["${vault:secret/data/ci/pypi#user}"]
                  * 5 + ["${vault:secret/ci/pypi#port}"] * 5)
EXPECTED = " ".join([TOKEN] * 10 + [USER] * 5 + ["8443"] * 5)
DATA = "/v1/secret/data/ci/pypi"
PREFLIGHT = "/v1/sys/internal/ui/mounts/secret/ci/pypi"


def test_twenty_references_cost_one_read(bao: OpenBaoServer, home: Path) -> None:
    with CountingProxy(bao.addr) as proxy:
        env = root_env(bao, home, addr=proxy.addr)
        assert render(TWENTY, env) == EXPECTED
        assert render(TWENTY, env) == EXPECTED  # a second rendering in the same process
        assert proxy.count("GET", DATA) == 1
        assert proxy.count("GET", PREFLIGHT) == 1
        assert len(proxy.requests) == 2


def test_twenty_references_cost_one_approle_login(bao: OpenBaoServer, home: Path) -> None:
    role_id, secret_id = bao.create_approle("ci-count", ["read-ci"])
    with CountingProxy(bao.addr) as proxy:
        env = {"VAULT_ADDR": proxy.addr, "VAULT_ROLE_ID": role_id, "VAULT_SECRET_ID": secret_id,
               "HOME": str(home)}
        assert render(TWENTY, env) == EXPECTED
        assert proxy.count("POST", "/v1/auth/approle/login") == 1
        assert proxy.count("GET", DATA) == 1


def test_concurrent_lookups_share_one_read(bao: OpenBaoServer, home: Path) -> None:
    with CountingProxy(bao.addr) as proxy:
        env = root_env(bao, home, addr=proxy.addr)
        results: list[str] = []
        threads = [threading.Thread(target=lambda: results.append(
            render("${vault:secret/ci/pypi#token}", env))) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert results == [TOKEN] * 8
        assert proxy.count("GET", DATA) == 1


def test_without_the_mounts_preflight_v2_then_v1_are_tried(bao: OpenBaoServer, home: Path) -> None:
    with CountingProxy(bao.addr, refuse=("/v1/sys/internal/ui/mounts/",)) as proxy:
        env = root_env(bao, home, addr=proxy.addr)
        text = "${vault:secret/ci/pypi#token} ${vault:secret/data/ci/pypi#user} " * 3
        assert render(text + "${vault:kv1/ci/pypi#token}", env) == f"{TOKEN} {USER} " * 3 + V1_TOKEN
        assert render("${vault:kv1/ci/pypi#token}", env) == V1_TOKEN
        assert proxy.count("GET", DATA) == 1
        assert proxy.count("GET", "/v1/kv1/data/ci/pypi") == 1  # the v2 guess, once
        assert proxy.count("GET", "/v1/kv1/ci/pypi") == 1


# --- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["read-other", "default", None])
def test_permission_denied(bao: OpenBaoServer, home: Path, policy: str | None) -> None:
    token = bao.create_token([policy]) if policy else f"hvs.not-a-token-{_RUN}"
    env = {"VAULT_ADDR": bao.addr, "VAULT_TOKEN": token, "HOME": str(home)}
    with pytest.raises(PermissionDenied) as info:
        render("${vault:secret/ci/pypi#token}", env)
    message = str(info.value)
    assert "permission denied" in message
    assert "check the token's policy" in message
    assert "secret/ci/pypi" in message
    assert_clean(info.value, token, bao.root_token)


def test_approle_login_failure_names_the_method(bao: OpenBaoServer, home: Path) -> None:
    role_id, secret_id = bao.create_approle("ci-bad", ["read-ci"])
    wrong = secret_id[::-1]
    env = {"VAULT_ADDR": bao.addr, "VAULT_ROLE_ID": role_id, "VAULT_SECRET_ID": wrong,
           "HOME": str(home)}
    with pytest.raises(PermissionDenied) as info:
        render("${vault:secret/ci/pypi#token}", env)
    assert "approle login at auth/approle" in str(info.value)
    assert_clean(info.value, role_id, secret_id, wrong, bao.root_token)


@pytest.mark.parametrize("path", ["secret/ci/nope", "secret/data/ci/nope", "kv1/ci/nope",
                                  "no-such-mount/ci/pypi"])
def test_missing_path(bao: OpenBaoServer, home: Path, path: str) -> None:
    with pytest.raises(UnresolvedReference) as info:
        render(f"${{vault:{path}#token}}", root_env(bao, home))
    assert type(info.value) is UnresolvedReference
    assert f"no secret at {path}" in str(info.value)
    assert_clean(info.value, bao.root_token)


def test_missing_field_lists_field_names_not_values(bao: OpenBaoServer, home: Path) -> None:
    with pytest.raises(UnresolvedReference) as info:
        render("${vault:secret/ci/pypi#password}", root_env(bao, home))
    assert "no field 'password'" in str(info.value)
    assert "empty, nested, port, token, user" in str(info.value)
    assert_clean(info.value, bao.root_token, "8443")


@pytest.mark.parametrize(("field", "problem"), [("nested", "is not text"), ("empty", "is empty")])
def test_field_that_is_not_usable_text(
    bao: OpenBaoServer, home: Path, field: str, problem: str
) -> None:
    with pytest.raises(UnresolvedReference) as info:
        render(f"${{vault:secret/ci/pypi#{field}}}", root_env(bao, home))
    assert f"field '{field}' of secret/ci/pypi {problem}" in str(info.value)
    assert_clean(info.value, bao.root_token)


def test_server_down_fails_fast(bao: OpenBaoServer, home: Path) -> None:
    addr = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable) as info:
        render("${vault:secret/ci/pypi#token}", root_env(bao, home, addr=addr))
    assert time.monotonic() - started < 3
    assert f"cannot reach Vault at {addr}" in str(info.value)
    assert_clean(info.value, bao.root_token)


def test_server_that_never_answers_times_out(bao: OpenBaoServer, home: Path) -> None:
    with socket.socket() as listener:  # the kernel accepts connections; nobody ever answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        addr = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable) as info:
            render("${vault:secret/ci/pypi#token}", root_env(bao, home, addr=addr), timeout=1)
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 4
    assert f"Vault at {addr} did not answer within 1 s" in str(info.value)
    assert_clean(info.value, bao.root_token)


def test_sealed_server(home: Path) -> None:
    with OpenBaoServer() as sealed:  # its own server: sealing the shared one would end it
        sealed.put_v2("ci/pypi", {"token": TOKEN})
        sealed.seal()
        with pytest.raises(ProviderUnavailable) as info:
            render("${vault:secret/ci/pypi#token}", root_env(sealed, home))
        assert "sealed" in str(info.value)
        assert_clean(info.value, sealed.root_token)
