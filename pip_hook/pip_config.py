"""pip's own configuration files, read as pip reads them, for the few settings pip-private
must know before pip starts: the keyring provider pip will use (provider_choice.py) and
the files pip will write itself (`log`, `report`, `output`: run.py masks them).

pip's rules (`pip/_internal/configuration.py`, `cli/parser.py`): the files below, lowest
precedence first, a later file winning; then the command's own section (`[install]`) wins
over `[global]`, whichever file each came from. `PIP_CONFIG_FILE=os.devnull` loads no file
at all; `--isolated` / `PIP_ISOLATED` and an existing `PIP_CONFIG_FILE` skip the user
files. Keys are compared as pip normalises them (lower case, `_` as `-`); empty values
count as unset. Read without importing pip, which may live in another interpreter.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path


def is_isolated(args: Sequence[str], env: Mapping[str, str]) -> bool:
    """pip's isolated mode: no user config files, no `PIP_*` variables."""
    flag = env.get("PIP_ISOLATED", "").strip().lower() in ("1", "true", "yes", "on")
    return "--isolated" in args or flag


def config_files(env: Mapping[str, str], prefix: Path, isolated: bool) -> list[Path]:
    """pip's config files for an interpreter whose `sys.prefix` is `prefix`, lowest
    precedence first."""
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


def config_values(env: Mapping[str, str], prefix: Path, isolated: bool, command: str,
                  keys: Collection[str]) -> dict[str, str]:
    """The value pip's config files give each of `keys` (normalised spelling, e.g.
    `log-file`) for `command`; keys no file sets are left out."""
    sections: dict[str, dict[str, str]] = {"global": {}, command: {}}
    for path in config_files(env, prefix, isolated):
        for section, values in _read(path, keys).items():
            if section in sections:
                sections[section].update(values)
    return {**sections["global"], **sections[command]}


def _read(path: Path, keys: Collection[str]) -> dict[str, dict[str, str]]:
    try:
        data = path.read_bytes()
    except OSError:
        return {}  # missing, or unreadable (pip reports that itself)
    lowered = data.lower()
    # Most files set none of these: skip configparser (and its import) for them.
    if not any(key.split("-")[0].encode() in lowered for key in keys):
        return {}
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(data.decode("utf-8"), source=str(path))
    except (configparser.Error, UnicodeDecodeError):
        return {}  # pip reports a broken config file itself
    found: dict[str, dict[str, str]] = {}
    for section in parser.sections():
        for name, value in parser.items(section):
            key = name.lower().replace("_", "-").removeprefix("--")
            if key in keys and value:
                found.setdefault(section, {})[key] = value
    return found
