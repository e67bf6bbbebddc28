"""The settings tables: `[vault]` (user file) / `[tool.private-packages.vault]` (project),
and the user file's `[commands.NAME]`. A key of the wrong type is one `ConfigError` naming
the file and key, and only that key (or that command) is dropped -- except the Vault
connection keys, which the Vault provider checks where it uses them (`_vault_value`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from ..errors import ConfigError
from ..settings import CommandSpec, VaultSettings

_VAULT_TEXT = ("addr", "auth", "role", "mount", "jwt_env", "namespace", "cacert")
VAULT_KEYS = frozenset({*_VAULT_TEXT, "timeout"})
_VAULT_AUTH = frozenset({"token", "approle", "jwt"})
_COMMAND_KEYS = frozenset({"run", "ttl", "timeout"})
_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def vault_table(table: Any, where: str, errors: list[ConfigError]) -> dict[str, Any]:
    """The valid keys of one vault table (timeout as seconds); `where` names the table."""
    if not isinstance(table, dict):
        errors.append(ConfigError(f"{where} must be a table; it is ignored"))
        return {}
    unknown = set(table) - VAULT_KEYS
    if unknown:
        errors.append(ConfigError(f"{where}: unknown vault key(s) "
                                  f"{', '.join(sorted(unknown))}"))
    valid: dict[str, Any] = {}
    for key in sorted(VAULT_KEYS & set(table)):
        value = table[key]
        try:
            valid[key] = _vault_value(key, value)
        except ConfigError as exc:
            errors.append(ConfigError(f"{where}: {exc}; it is ignored"))
    return valid


def _vault_value(key: str, value: Any) -> Any:
    """`timeout` as seconds and `auth` checked here; the other keys go through as written:
    their types are checked where Vault is used (providers/vault/connection.py), in one
    line that names the reference -- a setting nobody uses costs no warning."""
    if key == "timeout":
        try:
            seconds = parse_duration(value)
        except ConfigError as exc:
            raise ConfigError(f"timeout: {exc}") from None
        if not seconds:
            raise ConfigError("timeout must be more than 0 seconds")
        return seconds
    if key == "auth" and value not in _VAULT_AUTH:
        shown = repr(value) if isinstance(value, str) else kind_of(value)
        raise ConfigError(f"auth must be token, approle or jwt, not {shown}")
    return value


def vault_settings(*tables: Mapping[str, Any]) -> VaultSettings:
    """Valid tables merged, later ones winning key by key."""
    merged: dict[str, Any] = {}
    for table in tables:
        merged.update(table)
    return VaultSettings(**merged)


def commands(table: Any, path: Optional[Path],
             errors: list[ConfigError]) -> dict[str, CommandSpec]:
    found: dict[str, CommandSpec] = {}
    if not isinstance(table, dict):
        errors.append(ConfigError(f"{path}: [commands] must be a table of [commands.NAME]; "
                                  "it is ignored"))
        return found
    for name, spec in table.items():
        where = f"{path} [commands.{name}]"
        try:
            found[name] = _command(name, spec)
        except ConfigError as exc:
            errors.append(ConfigError(f"{where}: {exc}"))
    return found


def _command(name: str, spec: Any) -> CommandSpec:
    if not isinstance(spec, dict) or "run" not in spec:
        raise ConfigError("needs run = [\"program\", \"arg\", ...]")
    unknown = set(spec) - _COMMAND_KEYS
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}; expected "
                          f"{', '.join(sorted(_COMMAND_KEYS))}")
    run = spec["run"]
    try:
        argv = shlex.split(run) if isinstance(run, str) else run
    except ValueError:
        raise ConfigError("run has an unbalanced quote") from None
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        raise ConfigError("run must be a non-empty list of strings (or one string)")
    durations = {}
    for key, default in (("ttl", 0), ("timeout", 60)):
        try:
            durations[key] = parse_duration(spec.get(key, default))
        except ConfigError as exc:
            raise ConfigError(f"{key}: {exc}") from None
    return CommandSpec(name, tuple(argv), durations["ttl"], durations["timeout"])


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string such as `90`, `45s`, `30m`, `12h`, `1d`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"must be a number of seconds or a string such as \"30m\", "
                          f"not {kind_of(value)}")
    if isinstance(value, (int, float)):
        if not 0 <= value < float("inf"):  # also NaN
            raise ConfigError(f"not a duration: {value} (seconds, 0 or more)")
        return float(value)
    m = _DURATION.fullmatch(value.strip())
    if not m:
        raise ConfigError(f"not a duration: {value!r} (use seconds, or 30m, 12h, 1d)")
    return float(m["n"]) * _UNITS[m["unit"]]


def kind_of(value: Any) -> str:
    """A TOML value's kind as a user would say it (never the value: it may be a secret)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return {"str": "a string", "list": "an array", "dict": "a table"}.get(
        type(value).__name__, "a date or time")
