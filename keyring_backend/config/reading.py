"""Finding and reading the configuration files: the project's `pyproject.toml` (searched
from the working directory upward, safely) and the user file.

The upward search is git's `safe.directory` idea: a `pyproject.toml` that another user
owns, or that lies in a directory others can write (the system temp directory, a shared
build directory), was not written by you, so it never chooses where your secrets go. The
search stops there (a debug line says why) rather than looking further up. Group-writable
is fine for a user-private group (the Debian/Ubuntu `umask 002` default: the group is
yours alone). In CI and with `PRIVATE_PACKAGES_TRUST=1` (`any_owner`) the owner check is
relaxed -- a container job often runs as root over a checkout owned by the runner's uid --
but never the writable check.

A file that cannot be read (permissions, not UTF-8, invalid TOML) is one `ConfigError`
that names it, and counts as empty: the other layers still load.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from ..errors import ConfigError
from ..logs import quiet_logger

_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


def find_project_file(cwd: Path, *, any_owner: bool = False) -> Optional[Path]:
    """The first `pyproject.toml` from `cwd` upward, or None: when there is none, or when
    the first one found is not safe to use (module docstring)."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / "pyproject.toml"
        try:
            info = os.stat(candidate)
        except OSError:  # absent, or a directory we cannot search: look further up
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        problem = unsafe(candidate, info, any_owner=any_owner)
        if problem is None:
            return candidate
        log = quiet_logger()
        if log is not None:
            log.debug("private-packages: not using %s: %s; no project file", candidate, problem)
        return None
    return None


def unsafe(path: Path, info: os.stat_result, *, any_owner: bool) -> Optional[str]:
    """Why a file someone else could have written must not be used, or None."""
    uid = getattr(os, "getuid", None)
    if uid is None:  # Windows: no uid or mode bits to compare
        return None
    if not any_owner and info.st_uid != uid():
        return f"it belongs to uid {info.st_uid}, not to you"
    if _others_may_write(info):
        return "others may write it"
    try:
        folder = os.stat(path.parent)
    except OSError:
        return "its directory cannot be inspected"
    if _others_may_write(folder):
        return f"others may write its directory {path.parent}"
    return None


def _others_may_write(info: os.stat_result) -> bool:
    if info.st_mode & stat.S_IWOTH:
        return True
    return bool(info.st_mode & stat.S_IWGRP) and not _private_group(info.st_gid)


def _private_group(gid: int) -> bool:
    """A user-private group: your primary group, named as you, with no other members."""
    if gid != os.getgid():
        return False
    try:
        import grp
        import pwd

        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(gid)
    except (ImportError, KeyError):
        return False
    return group.gr_name == user and set(group.gr_mem) <= {user}


def user_config_path(env: Mapping[str, str]) -> Path:
    """`$PRIVATE_PACKAGES_CONFIG`, else `$XDG_CONFIG_HOME/private-packages/config.toml`,
    else `~/.config/private-packages/config.toml`. Never a relative path (user_dirs.py: it
    would name a file of the project you run in): a relative `PRIVATE_PACKAGES_CONFIG` is
    an error, a relative `XDG_CONFIG_HOME` or HOME is not used; `UnknownHome` when no
    absolute home directory can be found."""
    from ..user_dirs import expand_home, xdg_home

    chosen = env.get("PRIVATE_PACKAGES_CONFIG")
    if chosen:
        path = expand_home(chosen, env)
        if not path.is_absolute():
            raise ConfigError(f"PRIVATE_PACKAGES_CONFIG={chosen} is not an absolute path "
                              "(it would name a file of every directory you run in); it is "
                              "ignored: give the whole path")
        return path
    return xdg_home(env, "XDG_CONFIG_HOME", ".config") / "private-packages" / "config.toml"


def read_user_file(path: Path, env: Mapping[str, str],
                   errors: list[ConfigError]) -> tuple[dict[str, Any], bool]:
    """The user file's tables and whether it exists. An unreadable one (EACCES on it or its
    directory) is an error, as is a `PRIVATE_PACKAGES_CONFIG` that names no file."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        exists = False
    except OSError as exc:
        errors.append(ConfigError(f"{path}: cannot read your config file ({exc.strerror}); "
                                  "its rules are ignored"))
        return {}, False
    else:
        exists = stat.S_ISREG(info.st_mode)
    if not exists:
        if env.get("PRIVATE_PACKAGES_CONFIG"):
            errors.append(ConfigError(
                f"PRIVATE_PACKAGES_CONFIG points at {path}, which is not a file"))
        return {}, False
    return read_toml(path, errors), True


def read_toml(path: Path, errors: list[ConfigError],
              data: Optional[bytes] = None) -> dict[str, Any]:
    """The file's tables, or {} with one error naming the file (never its text: a broken
    line could hold a literal secret). `data`: the file's bytes as a caller just wrote
    them, parsed instead of reading the file again."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    from ..regular_files import UnreadableFile, read_project_file

    ignored = "everything in it is ignored"
    try:  # a regular file of at most 16 MiB: a FIFO or /dev/zero would hang us
        data = read_project_file(path) if data is None else data
    except UnreadableFile as exc:
        errors.append(ConfigError(f"{path} {exc.reason}; {ignored}"))
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        errors.append(ConfigError(f"{path}: not UTF-8 text (TOML must be); {ignored}"))
        return {}
    try:
        loaded: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message is a position ("... (at line 3, column 9)"), never the text.
        errors.append(ConfigError(f"{path}: invalid TOML: {exc}; {ignored}"))
        return {}
    return loaded


def dig(data: Any, *keys: str) -> Any:
    """`data[k1][k2]...`, or {} where a level is missing or not a table (a broken
    `[tool]` written by another tool must not take our rules down)."""
    for key in keys:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    return data


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def table(value: Any, name: str, path: Optional[Path], errors: list[ConfigError]) -> Any:
    if isinstance(value, dict):
        return value
    errors.append(ConfigError(f"{path}: {name} must be a table; it is ignored"))
    return {}
