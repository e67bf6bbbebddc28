"""Small readers for the configuration files of other tools (TOML and INI), forgiving by
design: a file we cannot read or parse gives nothing, and the tool itself reports it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional


def read_toml(path: Optional[Path]) -> dict[str, Any]:
    """A TOML file's tables, or {} when it is missing or broken."""
    if path is None:
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return data


def dig(data: Any, *keys: str) -> Any:
    """`data[k1][k2]...`, or {} where a level is missing or not a table."""
    for key in keys:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    return data


def tables(value: Any) -> list[dict[str, Any]]:
    """The tables of an array of tables (`[[tool.uv.index]]`), skipping anything else."""
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) \
        else []


def config_home(env: Mapping[str, str]) -> Path:
    """`$XDG_CONFIG_HOME`, else `~/.config` (where uv, hatch, pdm and poetry look on Linux)."""
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home(), ".config"))
    return Path(base).expanduser()


def ini_value(path: Path, section: str, key: str) -> Optional[str]:
    """One value of an INI file (`.pypirc`), or None."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    if parser.has_option(section, key):
        return parser.get(section, key).strip() or None
    return None
