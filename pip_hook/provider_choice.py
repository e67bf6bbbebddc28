"""Decide whether pip-private adds `--keyring-provider import` to a pip command.

pip asks keyring only after a 401, and its default `auto` provider skips keyring entirely
under `--no-input` (pip's `network/auth.py`). CI runs pip non-interactively, so rule
credentials would silently not be used there. pip-private therefore passes
`--keyring-provider import` (and `PIP_KEYRING_PROVIDER=import` in pip's environment, which
the `pip install` pip runs for build dependencies reads) -- unless the user chose a
provider themselves (on the command line, in `PIP_KEYRING_PROVIDER`, or in a pip config
file) or our backend is not importable in pip's interpreter (then `import` would find no
rules and only disable `subprocess`; interpreter.py tells).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

#: Commands that talk to an index, so a keyring provider matters.
NETWORK_COMMANDS = frozenset({"install", "download", "wheel", "lock", "index", "list"})
_KEYS = ("keyring-provider", "keyring_provider")


def user_chose_provider(args: Sequence[str], env: Mapping[str, str], command: str,
                        pip_prefix: Path) -> bool:
    """True when the command line, the environment or a pip config file sets a provider."""
    return chosen_provider(args, env, command, pip_prefix) is not None


def chosen_provider(args: Sequence[str], env: Mapping[str, str], command: str,
                    pip_prefix: Path) -> Optional[str]:
    """The provider the user chose (`import`, `subprocess`...; `""` when a config file sets
    one), or None."""
    for index, arg in enumerate(args):
        if arg == "--keyring-provider":
            return args[index + 1] if index + 1 < len(args) else ""
        if arg.startswith("--keyring-provider="):
            return arg.partition("=")[2]
    isolated = "--isolated" in args or _truthy(env.get("PIP_ISOLATED", ""))
    if not isolated and env.get("PIP_KEYRING_PROVIDER"):
        return env["PIP_KEYRING_PROVIDER"]
    if any(_sets_provider(path, command) for path in _config_files(env, pip_prefix, isolated)):
        return ""
    return None


def is_own_interpreter(python: str) -> bool:
    """Whether `python` is the interpreter running pip-private, in the same environment.
    Resolving symlinks alone is not enough: every venv's `bin/python` links to the same
    base interpreter, yet each venv has its own site-packages (its own pip, keyring...)."""
    mine = Path(sys.executable).absolute()
    theirs = Path(python).absolute()
    return theirs.parent == mine.parent and os.path.realpath(theirs) == os.path.realpath(mine)


def _config_files(env: Mapping[str, str], prefix: Path, isolated: bool) -> list[Path]:
    """pip's config files (`pip/_internal/configuration.py`), lowest precedence first."""
    env_file = env.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:  # pip then loads no config file at all (configuration.py)
        return []
    xdg_dirs = env.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs.split(os.pathsep) if d]
    files.append(Path("/etc/pip.conf"))
    if not isolated and not (env_file and os.path.exists(env_file)):
        home = Path(env.get("HOME") or Path.home())
        config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        files += [home / ".pip" / "pip.conf", config_home / "pip" / "pip.conf"]
    files.append(prefix / "pip.conf")
    if env_file:
        files.append(Path(env_file))
    return files


def _sets_provider(path: Path, command: str) -> bool:
    try:
        if b"keyring" not in path.read_bytes():  # most files: no need for configparser
            return False
    except OSError:
        return False  # missing, or unreadable (pip reports that itself)
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return False  # pip reports a broken config file itself
    return any(parser.has_option(section, key) for section in ("global", command)
               if parser.has_section(section) for key in _KEYS)


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def pip_prefix(python: str) -> Path:
    """`sys.prefix` of pip's interpreter: ours, or the venv that holds `python`."""
    if is_own_interpreter(python):
        return Path(sys.prefix)
    return Path(python).absolute().parent.parent
