"""Small readers for the configuration files of other tools (TOML and INI), forgiving by
design: a file we cannot read or parse gives nothing, and the tool itself reports it. A
cloned project names some of them, so they are read as regular files of bounded size
(keyring_backend/regular_files.py): a FIFO or `/dev/zero` there never hangs `run`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional


def read_toml(path: Optional[Path]) -> dict[str, Any]:
    """A TOML file's tables, or {} when it is missing or broken."""
    return parse_toml(read_text(path)) if path is not None else {}


def parse_toml(text: Optional[str]) -> dict[str, Any]:
    """TOML text's tables, or {} when it is None or broken."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(text) if text is not None else {}
    except tomllib.TOMLDecodeError:
        return {}
    return data


def read_text(path: Path) -> Optional[str]:
    """A regular file's UTF-8 text, or None."""
    from keyring_backend.regular_files import UnreadableFile, read_project_file

    try:
        return read_project_file(path).decode("utf-8")
    except (UnreadableFile, UnicodeDecodeError):
        return None


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
    text = read_text(path)
    try:
        parser.read_string(text or "", source=str(path))
    except configparser.Error:
        return None
    if parser.has_option(section, key):
        return parser.get(section, key).strip() or None
    return None
