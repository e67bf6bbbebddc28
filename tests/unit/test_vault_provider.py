"""`${vault:…}` without a server: settings fallback, auth guessing and the errors raised first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keyring_backend.errors import ConfigError, ProviderUnavailable, UnresolvedReference
from keyring_backend.providers import ResolveContext, resolve_reference
from keyring_backend.providers.vault import Connection, connection_for
from keyring_backend.references import Reference, parse_template
from keyring_backend.settings import Settings, VaultSettings

WHERE = "requirements.txt:3"
pytestmark = pytest.mark.usefixtures("fresh_vault_cache")

REF = parse_template("${vault:secret/ci/pypi#token}").references[0]
PREFIX = f"{WHERE}: ${{vault:secret/ci/pypi#token}}: "
ROOT = "s.root-Tok@n:/#%? ü"
SECRET_ID = "sid-3f@:/#%? é"
ID_TOKEN = "eyJhbGciOi.ü%?#.sig"


def make_ctx(env: dict[str, str], **vault: Any) -> ResolveContext:
    return ResolveContext(env=env, where=WHERE, settings=Settings(vault=VaultSettings(**vault)))


def connect(env: dict[str, str], **vault: Any) -> Connection:
    return connection_for(REF, make_ctx(env, **vault))


def assert_clean(exc: BaseException, *secrets: str) -> None:
    text = str(exc) + repr(exc)
    for secret in secrets:
        assert secret not in text
    assert "\n" not in str(exc)
    assert str(exc).startswith(PREFIX)


def test_reference_target_is_the_path_without_slashes() -> None:
    ref = parse_template("${vault:/secret/ci/pypi/#token}").references[0]
    assert ref == Reference("vault", "secret/ci/pypi", 1, field="token")


def test_no_address_names_the_reference_and_both_fixes(home: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect({"HOME": str(home), "VAULT_TOKEN": ROOT})
    assert "VAULT_ADDR" in str(info.value)
    assert "[tool.private-packages.vault] addr" in str(info.value)
    assert_clean(info.value, ROOT)


def test_os_environ_is_never_read(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:1")
    monkeypatch.setenv("VAULT_TOKEN", ROOT)
    with pytest.raises(ConfigError):
        connect({"HOME": str(home)})
    with pytest.raises(UnresolvedReference) as info:
        connect({"HOME": str(home), "VAULT_ADDR": "http://127.0.0.1:1"})
    assert_clean(info.value, ROOT)


def test_settings_win_and_env_fills_the_rest(home: Path) -> None:
    env = {"HOME": str(home), "VAULT_TOKEN": ROOT, "VAULT_ADDR": "http://env:8200",
           "VAULT_NAMESPACE": "team", "VAULT_CACERT": "/etc/ca.pem"}
    conn = connect(env, addr="https://vault.example.com/", timeout=3.5)
    assert (conn.addr, conn.namespace, conn.cacert, conn.timeout) == (
        "https://vault.example.com", "team", "/etc/ca.pem", 3.5)
    conn = connect(env, namespace="other", cacert="/opt/ca.pem")
    assert (conn.addr, conn.namespace, conn.cacert) == ("http://env:8200", "other", "/opt/ca.pem")


def test_address_without_scheme_is_a_config_error(home: Path) -> None:
    with pytest.raises(ConfigError, match="must start with https://"):
        connect({"HOME": str(home), "VAULT_TOKEN": ROOT, "VAULT_ADDR": "vault.example.com"})


@pytest.mark.parametrize(
    ("extra", "vault", "method", "mount"),
    [
        ({"VAULT_TOKEN": ROOT}, {}, "token", ""),
        ({"VAULT_TOKEN": ROOT, "VAULT_ROLE_ID": "r", "VAULT_SECRET_ID": SECRET_ID}, {},
         "token", ""),
        ({"VAULT_ROLE_ID": "r", "VAULT_SECRET_ID": SECRET_ID}, {}, "approle", "approle"),
        ({"VAULT_ROLE_ID": "r", "VAULT_SECRET_ID": SECRET_ID}, {"mount": "/ci-approle/"},
         "approle", "ci-approle"),
        ({"VAULT_ID_TOKEN": ID_TOKEN, "VAULT_ROLE": "ci"}, {}, "jwt", "jwt"),
        ({"VAULT_ID_TOKEN": ID_TOKEN}, {"role": "ci", "mount": "gitlab"}, "jwt", "gitlab"),
        ({"GITLAB_OIDC": ID_TOKEN, "VAULT_ROLE": "ci"}, {"jwt_env": "GITLAB_OIDC"}, "jwt", "jwt"),
        ({"VAULT_TOKEN": ROOT, "VAULT_ROLE_ID": "r", "VAULT_SECRET_ID": SECRET_ID},
         {"auth": "approle"}, "approle", "approle"),
    ],
)
def test_auth_method_is_guessed_from_the_environment(
    home: Path, extra: dict[str, str], vault: dict[str, str], method: str, mount: str
) -> None:
    conn = connect({"HOME": str(home), "VAULT_ADDR": "http://127.0.0.1:8200", **extra}, **vault)
    assert (conn.method, conn.login_mount) == (method, mount)
    for secret in (ROOT, SECRET_ID, ID_TOKEN):
        assert secret not in repr(conn)


def test_token_file_in_home_of_the_env_passed_in(home: Path) -> None:
    (home / ".vault-token").write_text(ROOT + "\n", encoding="utf-8")
    conn = connect({"HOME": str(home), "VAULT_ADDR": "http://127.0.0.1:8200"})
    assert conn.method == "token"
    assert conn.credentials == (ROOT,)
    assert ROOT not in repr(conn)


def test_no_credentials_lists_every_option(home: Path) -> None:
    with pytest.raises(UnresolvedReference) as info:
        connect({"HOME": str(home), "VAULT_ADDR": "http://127.0.0.1:8200",
                 "VAULT_ID_TOKEN": ID_TOKEN})  # an id token without a role is not enough
    message = str(info.value)
    for name in ("VAULT_TOKEN", "~/.vault-token", "VAULT_ROLE_ID", "VAULT_SECRET_ID",
                 "VAULT_ID_TOKEN", "VAULT_ROLE"):
        assert name in message
    assert_clean(info.value, ID_TOKEN)


@pytest.mark.parametrize(
    ("auth", "extra", "needed"),
    [
        ("approle", {"VAULT_ROLE_ID": "r"}, "VAULT_SECRET_ID"),
        ("jwt", {"VAULT_ID_TOKEN": ID_TOKEN}, "VAULT_ROLE"),
        ("token", {"VAULT_ROLE_ID": "r", "VAULT_SECRET_ID": SECRET_ID}, "VAULT_TOKEN"),
    ],
)
def test_explicit_auth_without_its_credentials(
    home: Path, auth: str, extra: dict[str, str], needed: str
) -> None:
    with pytest.raises(UnresolvedReference) as info:
        connect({"HOME": str(home), "VAULT_ADDR": "http://127.0.0.1:8200", **extra}, auth=auth)
    assert f"Vault auth is '{auth}'" in str(info.value)
    assert needed in str(info.value)
    assert_clean(info.value, SECRET_ID, ID_TOKEN)


def test_unknown_auth_method_is_a_config_error(home: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect({"HOME": str(home), "VAULT_ADDR": "http://127.0.0.1:8200", "VAULT_TOKEN": ROOT},
                auth="kerberos")
    assert "'kerberos'" in str(info.value)
    assert "token, approle, jwt" in str(info.value)
    assert_clean(info.value, ROOT)


def test_missing_hvac_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setitem(sys.modules, "hvac", None)  # `import hvac` now raises ImportError
    ctx = make_ctx({"HOME": str(home), "VAULT_ADDR": "http://127.0.0.1:8200",
                    "VAULT_TOKEN": ROOT})
    with pytest.raises(ProviderUnavailable) as info:
        resolve_reference(REF, ctx)
    assert "install private-packages[vault]" in str(info.value)
    assert_clean(info.value, ROOT)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_importing_the_provider_does_not_import_hvac_or_requests() -> None:
    code = ("import sys, keyring_backend.providers.vault; "
            "print('hvac' in sys.modules, 'requests' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"]
