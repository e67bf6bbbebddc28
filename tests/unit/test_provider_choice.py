"""When pip-private leaves pip's keyring provider alone: the user chose one (command line,
PIP_KEYRING_PROVIDER, or a pip config file pip itself would read)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pip_hook.provider_choice import user_chose_provider

CONF = "[{section}]\nkeyring-provider = subprocess\n"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "home").mkdir()
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "home/.config"),
            "XDG_CONFIG_DIRS": str(tmp_path / "xdg")}


def user_conf(env: dict[str, str], text: str) -> Path:
    path = Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_nothing_chosen(env: dict[str, str], tmp_path: Path) -> None:
    user_conf(env, "[global]\nindex-url = https://example.invalid/simple\n")
    assert not user_chose_provider(["install", "x"], env, "install", tmp_path / "prefix")


@pytest.mark.parametrize("args", [["--keyring-provider", "disabled"],
                                  ["--keyring-provider=subprocess"]], ids=["space", "equals"])
def test_command_line(env: dict[str, str], tmp_path: Path, args: list[str]) -> None:
    assert user_chose_provider(["install", *args], env, "install", tmp_path)


def test_environment_unless_isolated(env: dict[str, str], tmp_path: Path) -> None:
    env["PIP_KEYRING_PROVIDER"] = "disabled"
    assert user_chose_provider(["install"], env, "install", tmp_path)
    assert not user_chose_provider(["--isolated", "install"], env, "install", tmp_path)


@pytest.mark.parametrize(("section", "command", "chosen"), [
    ("global", "install", True), ("install", "install", True), ("download", "install", False),
], ids=["global", "same-command", "other-command"])
def test_user_config_file(env: dict[str, str], tmp_path: Path, section: str, command: str,
                          chosen: bool) -> None:
    user_conf(env, CONF.format(section=section))
    assert user_chose_provider([command], env, command, tmp_path / "prefix") is chosen


def test_config_file_from_pip_config_file_and_site(env: dict[str, str], tmp_path: Path) -> None:
    named = tmp_path / "named.conf"
    named.write_text(CONF.format(section="global"))
    assert user_chose_provider(["install"], {**env, "PIP_CONFIG_FILE": str(named)}, "install",
                               tmp_path / "prefix")
    prefix = tmp_path / "venv"
    prefix.mkdir()
    (prefix / "pip.conf").write_text(CONF.format(section="global"))
    assert user_chose_provider(["install"], env, "install", prefix)


def test_pip_config_file_devnull_means_no_config_file_at_all(env: dict[str, str],
                                                             tmp_path: Path) -> None:
    """pip skips every config file then (configuration.py `_load_config_files`)."""
    user_conf(env, CONF.format(section="global"))
    prefix = tmp_path / "venv"
    prefix.mkdir()
    (prefix / "pip.conf").write_text(CONF.format(section="global"))
    assert not user_chose_provider(["install"], {**env, "PIP_CONFIG_FILE": os.devnull},
                                   "install", prefix)


def test_a_broken_or_unreadable_file_is_not_a_choice(env: dict[str, str],
                                                     tmp_path: Path) -> None:
    user_conf(env, "keyring-provider = [unterminated\n")
    assert not user_chose_provider(["install"], env, "install", tmp_path / "prefix")


def test_own_interpreter_means_same_environment_not_same_binary(tmp_path: Path) -> None:
    """Every venv's bin/python links to one base interpreter: resolving symlinks alone
    would take another venv's python (its own pip and site-packages) for ours."""
    import sys

    from pip_hook.provider_choice import is_own_interpreter

    assert is_own_interpreter(sys.executable)
    other_venv = tmp_path / "venv" / "bin"
    other_venv.mkdir(parents=True)
    (other_venv / "python").symlink_to(os.path.realpath(sys.executable))
    assert not is_own_interpreter(str(other_venv / "python"))
    assert not is_own_interpreter(str(tmp_path / "missing" / "python"))


def test_an_ignored_hangup_stays_ignored_while_rendering() -> None:
    """nohup / `trap '' HUP`: pip-private's own handlers must not undo the user's choice
    (the runner and inprocess.py then leave SIGHUP ignored for pip as well)."""
    import signal

    from pip_hook.run import _terminating_cleanly

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with _terminating_cleanly():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_IGN
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)
