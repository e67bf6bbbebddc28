"""`${vault:…}` without a server: settings fallback, auth guessing and the errors raised first."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

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
    env_ca, settings_ca = home / "env-ca.pem", home / "settings-ca.pem"
    env_ca.touch()
    settings_ca.touch()
    env = {"HOME": str(home), "VAULT_TOKEN": ROOT, "VAULT_ADDR": "http://env:8200",
           "VAULT_NAMESPACE": "team", "VAULT_CACERT": str(env_ca)}
    conn = connect(env, addr="https://vault.example.com/", timeout=3.5)
    assert (conn.addr, conn.namespace, conn.cacert, conn.timeout) == (
        "https://vault.example.com", "team", str(env_ca), 3.5)
    conn = connect(env, namespace="other", cacert=str(settings_ca))
    assert (conn.addr, conn.namespace, conn.cacert) == ("http://env:8200", "other",
                                                        str(settings_ca))


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


# --- bad input: one line, no traceback, nothing of a token (issue #13) ------------------------

ADDR = "http://127.0.0.1:8200"


@pytest.mark.parametrize(
    ("vault", "needle"),
    [
        ({"addr": 5}, "Vault setting addr must be a string, not int"),
        ({"auth": ["token"]}, "Vault setting auth must be a string, not list"),
        ({"role": 5}, "Vault setting role must be a string, not int"),
        ({"mount": {"a": 1}}, "Vault setting mount must be a string, not dict"),
        ({"jwt_env": 5}, "Vault setting jwt_env must be a string, not int"),
        ({"namespace": True}, "Vault setting namespace must be a string, not bool"),
        ({"cacert": 1.5}, "Vault setting cacert must be a string, not float"),
        ({"timeout": "abc"}, "Vault setting timeout must be a positive number of seconds"),
        ({"timeout": -1}, "Vault setting timeout must be a positive number of seconds"),
        ({"timeout": 0}, "Vault setting timeout must be a positive number of seconds"),
        ({"timeout": True}, "Vault setting timeout must be a positive number of seconds"),
        ({"timeout": float("nan")}, "Vault setting timeout must be a positive number of seconds"),
        ({"timeout": [10]}, "Vault setting timeout must be a positive number of seconds"),
    ],
)
def test_a_setting_of_the_wrong_type_is_one_line(home: Path, vault: dict[str, Any],
                                                 needle: str) -> None:
    """config.py passes [vault] values through as written; they are checked where used."""
    ctx = make_ctx({"HOME": str(home), "VAULT_ADDR": ADDR, "VAULT_TOKEN": ROOT}, **vault)
    with pytest.raises(ConfigError) as info:
        resolve_reference(REF, ctx)
    assert needle in str(info.value)
    assert_clean(info.value, ROOT)


def test_a_duration_string_is_a_timeout(home: Path) -> None:
    assert connect({"HOME": str(home), "VAULT_ADDR": ADDR, "VAULT_TOKEN": ROOT},
                   timeout="2m").timeout == 120.0


@pytest.mark.parametrize(
    ("source", "where"),
    [("env", "VAULT_CACERT"), ("settings", "[tool.private-packages.vault] cacert")],
)
def test_a_missing_ca_bundle_is_one_line(home: Path, source: str, where: str) -> None:
    missing = home / "no-such-ca.pem"
    env = {"HOME": str(home), "VAULT_ADDR": "https://vault.example.com", "VAULT_TOKEN": ROOT}
    vault: dict[str, Any] = {}
    if source == "env":
        env["VAULT_CACERT"] = str(missing)
    else:
        vault["cacert"] = str(missing)
    with pytest.raises(ConfigError) as info:
        resolve_reference(REF, make_ctx(env, **vault))
    assert f"the CA bundle {missing} ({where}) does not exist" in str(info.value)
    assert_clean(info.value, ROOT)
    # Plain http never reads it: a VAULT_CACERT meant for another server is no error there.
    assert connect({**env, "VAULT_ADDR": ADDR}, **vault).cacert == str(missing)


ODD_TOKENS = [
    ("hvs.ab\N{SNOWMAN}cd-3f9e", "\N{SNOWMAN}"),  # not latin-1
    ("hvs.\u4e2d\u6587", "\u4e2d"),
    ("hvs.line\nbreak", "\n"),
    ("hvs.nul\x00byte", "\x00"),
]


@pytest.mark.parametrize(
    ("origin", "token", "odd"),
    [("VAULT_TOKEN", *case) for case in ODD_TOKENS]
    + [("VAULT_TOKEN", " hvs.leading-space", " hvs")]
    # the file is read stripped, so a leading space cannot be there
    + [("~/.vault-token", *case) for case in ODD_TOKENS],
)
def test_a_token_no_header_can_carry_shows_none_of_it(home: Path, origin: str, token: str,
                                                      odd: str) -> None:
    env = {"HOME": str(home), "VAULT_ADDR": ADDR}
    if origin == "VAULT_TOKEN":
        env["VAULT_TOKEN"] = token
    else:
        (home / ".vault-token").write_text(token, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        resolve_reference(REF, make_ctx(env))
    message = str(info.value)
    assert f"{origin} holds a character an HTTP header cannot carry" in message
    assert odd not in message and repr(odd)[1:-1] not in message
    assert "position" not in message
    assert_clean(info.value, token, token[4:])


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _large(path: Path) -> None:
    path.write_bytes(b"hvs." + b"x" * (1 << 20))


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"hvs.\xff\xfe")


@pytest.mark.parametrize(("make", "telling"), [
    (_fifo, "is a FIFO (named pipe), not a regular file"),
    (_zero, "is a character device, not a regular file"),
    (_large, "is larger than 1 MiB"),
    (os.mkdir, "is a directory"),
    (_not_utf8, "is not UTF-8 text"),
], ids=["fifo", "dev-zero", "large", "directory", "not-utf8"])
def test_a_token_file_that_is_not_a_small_regular_file_is_one_line_at_once(
        home: Path, make: Callable[[Path], None], telling: str) -> None:
    """A FIFO at ~/.vault-token blocked every lookup before the deadline started (attack2:
    test_vault_token_file.py); /dev/zero read until memory ran out."""
    make(home / ".vault-token")
    raised: list[BaseException] = []

    def lookup() -> None:
        try:
            connect({"HOME": str(home), "VAULT_ADDR": ADDR})
        except BaseException as exc:  # noqa: BLE001 -- checked below
            raised.append(exc)

    # In a thread, so that a read that blocks fails the test instead of hanging the run.
    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "the lookup blocked on ~/.vault-token"
    assert len(raised) == 1 and isinstance(raised[0], ConfigError), raised
    assert f"~/.vault-token ({home / '.vault-token'}) {telling}" in str(raised[0])
    assert_clean(raised[0])


def test_no_token_file_is_no_token(home: Path) -> None:
    with pytest.raises(UnresolvedReference, match="no Vault credentials"):
        connect({"HOME": str(home), "VAULT_ADDR": ADDR})
