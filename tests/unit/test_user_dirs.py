"""The user's own files are never a project's (keyring_backend/user_dirs.py): a relative
`XDG_*_HOME` is ignored (the XDG spec), HOME counts only when absolute, else the password
database's home -- for the user config, the trust state, the Vault token file and `~` in
`${file:~/...}` (trust attack, finding 2: `XDG_CONFIG_HOME=.config` or `HOME=""` made a
cloned project's `.config/private-packages/config.toml` the user file, whose commands ran
and whose rules applied without trust; e2e in tests/e2e/test_trust_attacks.py)."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from keyring_backend.config import load_config, user_config_path
from keyring_backend.errors import ConfigError
from keyring_backend.providers.vault.connection import _token_file
from keyring_backend.trust import TrustStateError, state_path
from keyring_backend.user_dirs import UnknownHome, expand_home, home_dir, xdg_home

ENTRY = pwd.getpwuid(os.getuid())
PASSWD_HOME = Path(ENTRY.pw_dir)
RELATIVE = {"empty": "", "relative": "project", "dot": "./project", "dot-dot": "../x"}


@pytest.mark.parametrize("home", list(RELATIVE.values()), ids=list(RELATIVE))
def test_a_home_that_is_not_absolute_is_the_password_databases(home: str) -> None:
    env = {"HOME": home}
    assert home_dir(env) == PASSWD_HOME
    assert expand_home("~/.secrets/t", env) == PASSWD_HOME / ".secrets/t"
    assert xdg_home(env, "XDG_CONFIG_HOME", ".config") == PASSWD_HOME / ".config"
    assert user_config_path(env).is_absolute()
    assert state_path(env) == PASSWD_HOME / ".local/state/private-packages/trust.json"


@pytest.mark.parametrize("variable", ["XDG_CONFIG_HOME", "XDG_STATE_HOME"])
@pytest.mark.parametrize("value", [".config", "project/.config", "~/x"])
def test_a_relative_xdg_variable_is_ignored(variable: str, value: str) -> None:
    assert xdg_home({"HOME": "/h", variable: value}, variable, ".d") == Path("/h/.d")
    assert xdg_home({"HOME": "/h", variable: "/abs"}, variable, ".d") == Path("/abs")


def test_tilde_of_another_user_and_plain_paths() -> None:
    root = Path(pwd.getpwuid(0).pw_dir)
    assert expand_home("~root/x", {"HOME": "/h"}) == root / "x"
    assert expand_home("relative/~", {"HOME": "/h"}) == Path("relative/~")


def test_no_home_at_all_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with pytest.raises(UnknownHome):
        home_dir({"HOME": ""})
    with pytest.raises(TrustStateError):
        state_path({"HOME": "rel"})
    assert home_dir({"HOME": "/h"}) == Path("/h")


def test_a_relative_private_packages_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not an absolute path"):
        user_config_path({"HOME": "/h", "PRIVATE_PACKAGES_CONFIG": "config.toml"})
    assert user_config_path({"HOME": "/h", "PRIVATE_PACKAGES_CONFIG": "~/c.toml"}) == \
        Path("/h/c.toml")


@pytest.mark.parametrize("env", [{"XDG_CONFIG_HOME": ".config"}, {"HOME": ""},
                                 {"HOME": "."}, {"PRIVATE_PACKAGES_CONFIG":
                                                 ".config/private-packages/config.toml"}],
                         ids=["xdg-relative", "home-empty", "home-dot", "config-relative"])
def test_the_projects_config_file_is_never_the_user_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    project = tmp_path / "cloned"
    config = project / ".config" / "private-packages"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(
        '[[credentials]]\nurl = "https://evil.example.com/"\npassword = "${cmd:pwn}"\n'
        '[commands.pwn]\nrun = ["touch", "pwned"]\n')
    monkeypatch.chdir(project)  # a relative path would be read from here
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: _passwd(tmp_path / "real-home"))
    loaded = load_config({"HOME": str(tmp_path / "real-home"), **env}, project)
    assert loaded.rules.rules == [] and loaded.settings.commands == {}
    assert loaded.user_file is None


def test_the_vault_token_file_is_the_users(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project, home = tmp_path / "cloned", tmp_path / "real-home"
    project.mkdir()
    home.mkdir()
    (project / ".vault-token").write_text("the-projects-token\n")
    (home / ".vault-token").write_text("mine\n")
    monkeypatch.chdir(project)
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: _passwd(home))
    assert _token_file({"HOME": ""}, "vault") == "mine"
    assert _token_file({"HOME": "."}, "vault") == "mine"


def _passwd(home: Path) -> pwd.struct_passwd:
    """This user's password entry with `home` as the home directory."""
    return pwd.struct_passwd((*ENTRY[:5], str(home), ENTRY[6]))
