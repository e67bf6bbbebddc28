"""Load credential rules and settings from the four layers of DESIGN.md.

1. env-defined rules: `PRIVATE_PACKAGES_<NAME>_URL` (or `_SOURCE`), `_USERNAME`,
   `_PASSWORD`, `_ALLOW_HTTP`; values may be references;
2. the project's `pyproject.toml` (the first one from the working directory upward),
   `[[tool.private-packages.credentials]]` and `[tool.private-packages.vault]`;
3. the user file (`$PRIVATE_PACKAGES_CONFIG`, else `$XDG_CONFIG_HOME/private-packages/
   config.toml`, else `~/.config/private-packages/config.toml`): `[[credentials]]`,
   `[vault]`, `[commands.NAME]`; its rules bind a `url` only (`_bound_by_name`);
4. CI presets (presets.py).

A broken layer or rule is reported in `Config.errors` and left out; the rest still load,
so one typo never takes every credential away (the backend warns, CLIs exit 2).
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from .errors import ConfigError
from .records import field, record
from .rules import CredentialRule, Layer, RuleSet, make_rule
from .settings import CommandSpec, Settings, VaultSettings
from .urls import parse_location

ENV_PREFIX = "PRIVATE_PACKAGES_"
_RULE_KEYS = {"url", "source", "username", "password", "allow_http"}
_VAULT_KEYS = {"addr", "auth", "role", "mount", "jwt_env", "namespace", "cacert", "timeout"}
_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@record
class Config:
    rules: RuleSet
    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)  # poetry/uv source name -> url
    project_file: Optional[Path] = None
    user_file: Optional[Path] = None

    @property
    def errors(self) -> list[ConfigError]:
        return self.rules.errors


def load_config(env: Mapping[str, str], cwd: Path) -> Config:
    errors: list[ConfigError] = []
    project_file = find_project_file(cwd)
    project = _read_toml(project_file, errors) if project_file else {}
    tool = _table(_dig(project, "tool", "private-packages"), "tool.private-packages",
                  project_file, errors)
    user_file = user_config_path(env)
    user = _read_toml(user_file, errors) if user_file.is_file() else {}
    if env.get("PRIVATE_PACKAGES_CONFIG") and not user_file.is_file():
        errors.append(ConfigError(
            f"PRIVATE_PACKAGES_CONFIG points at {user_file}, which is not a file"))
    if "commands" in tool:
        errors.append(ConfigError(
            f"{project_file}: [tool.private-packages.commands] is ignored: commands are only "
            "read from your user config file, so a cloned project cannot run one"))

    sources = project_sources(project, env)
    rules: list[CredentialRule] = []
    rules += _env_rules(env, sources, errors)
    if project_file is not None:
        rules += _file_rules(tool.get("credentials", []), Layer.PROJECT, project_file,
                             "tool.private-packages.credentials", sources, errors)
    rules += _file_rules(user.get("credentials", []), Layer.USER, user_file, "credentials",
                         sources, errors)
    from .presets import preset_rules

    rules += preset_rules(env)
    vault = _vault_settings(tool.get("vault", {}), user.get("vault", {}), errors,
                            project_file, user_file)
    commands = _commands(user.get("commands", {}), user_file, errors)
    return Config(RuleSet(rules, errors), Settings(vault, commands), sources,
                  project_file, user_file if user_file.is_file() else None)


def find_project_file(cwd: Path) -> Optional[Path]:
    for folder in (cwd, *cwd.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def user_config_path(env: Mapping[str, str]) -> Path:
    if env.get("PRIVATE_PACKAGES_CONFIG"):
        return Path(env["PRIVATE_PACKAGES_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~"), ".config"))
    return Path(base).expanduser() / "private-packages" / "config.toml"


def project_sources(project: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Named sources a rule can bind to: poetry sources, uv indexes, poetry repositories."""
    found: dict[str, str] = {}
    for entry in [*_list(_dig(project, "tool", "poetry", "source")),
                  *_list(_dig(project, "tool", "uv", "index"))]:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and \
                isinstance(entry.get("url"), str):
            found.setdefault(entry["name"], entry["url"])
    for key, value in env.items():  # `poetry config repositories.NAME.url` set by env (publish)
        if key.startswith("POETRY_REPOSITORIES_") and key.endswith("_URL") and value:
            name = key[len("POETRY_REPOSITORIES_"):-4].lower().replace("_", "-")
            found.setdefault(name, value)
    return found


def source_prefix(url: str) -> str:
    """A source's index URL minus a trailing `/simple`: downloads live beside it."""
    trimmed = url.rstrip("/")
    return trimmed[: -len("/simple")] if trimmed.endswith("/simple") else trimmed


def _read_toml(path: Path, errors: list[ConfigError]) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except tomllib.TOMLDecodeError as exc:
        errors.append(ConfigError(f"{path}: invalid TOML: {exc}"))
    except OSError as exc:
        errors.append(ConfigError(f"{path}: cannot read ({exc.strerror})"))
    return {}


def _dig(data: Any, *keys: str) -> Any:
    """`data[k1][k2]...`, or {} where a level is missing or not a table (a broken
    `[tool]` written by another tool must not take our rules down)."""
    for key in keys:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _table(value: Any, name: str, path: Optional[Path], errors: list[ConfigError]) -> Any:
    if isinstance(value, dict):
        return value
    errors.append(ConfigError(f"{path}: {name} must be a table"))
    return {}


def _env_rules(env: Mapping[str, str], sources: Mapping[str, str],
               errors: list[ConfigError]) -> list[CredentialRule]:
    rules = []
    for key in sorted(env):
        if not key.startswith(ENV_PREFIX):
            continue
        for suffix in ("_URL", "_SOURCE"):
            if key.endswith(suffix) and len(key) > len(ENV_PREFIX) + len(suffix):
                name = key[len(ENV_PREFIX):-len(suffix)]
                stem = f"{ENV_PREFIX}{name}"
                entry: dict[str, Any] = {suffix[1:].lower(): env[key]}
                for part in ("USERNAME", "PASSWORD"):
                    if f"{stem}_{part}" in env:
                        entry[part.lower()] = env[f"{stem}_{part}"]
                entry["allow_http"] = env.get(f"{stem}_ALLOW_HTTP", "").lower() in {"1", "true",
                                                                                    "yes"}
                rule = _rule(entry, Layer.ENV, f"env {stem}_*", None, sources, errors)
                if rule is not None:
                    rules.append(rule)
    return rules


def _file_rules(entries: Any, layer: Layer, path: Path, key: str,
                sources: Mapping[str, str], errors: list[ConfigError]) -> list[CredentialRule]:
    if not isinstance(entries, list):
        errors.append(ConfigError(f"{path}: {key} must be an array of tables ([[{key}]])"))
        return []
    rules = []
    for number, entry in enumerate(entries, 1):
        origin = f"{path} [[{key}]] #{number}"
        if not isinstance(entry, dict):
            errors.append(ConfigError(f"{origin}: must be a table"))
            continue
        rule = _rule(entry, layer, origin, path.parent, sources, errors)
        if rule is not None:
            rules.append(rule)
    return rules


def _rule(entry: Mapping[str, Any], layer: Layer, origin: str, base_dir: Optional[Path],
          sources: Mapping[str, str], errors: list[ConfigError]) -> Optional[CredentialRule]:
    try:
        unknown = set(entry) - _RULE_KEYS
        if unknown:
            raise ConfigError(f"{origin}: unknown key(s) {', '.join(sorted(unknown))}; "
                              f"expected {', '.join(sorted(_RULE_KEYS))}")
        for name in ("url", "source", "username", "password"):
            if name in entry and not isinstance(entry[name], str):
                raise ConfigError(f"{origin}: {name} must be a string")
        if not isinstance(entry.get("allow_http", False), bool):
            raise ConfigError(f"{origin}: allow_http must be true or false")
        if ("url" in entry) == ("source" in entry):
            raise ConfigError(f"{origin}: give exactly one of url = \"https://...\" or "
                              "source = \"<poetry source name>\"")
        if "password" not in entry:
            raise ConfigError(f"{origin}: password is missing (a reference such as "
                              "\"${CI_JOB_TOKEN}\")")
        source = entry.get("source")
        url = entry.get("url")
        if source is not None and layer is Layer.USER:
            raise _bound_by_name(source, origin, sources)
        if source is not None and source not in sources:
            raise ConfigError(f"{origin}: no source named '{source}' in [[tool.poetry."
                              f"source]] or [[tool.uv.index]]")
        if source is not None:
            url = source_prefix(sources[source])
        return make_rule(str(url), entry.get("username"), entry["password"], layer, origin,
                         allow_http=entry.get("allow_http", False), source=source,
                         base_dir=base_dir)
    except ConfigError as exc:
        if exc.entry is None:
            exc.entry = {key: entry[key] for key in ("source", "url")
                         if isinstance(entry.get(key), str)} or None
        errors.append(exc)
        return None


def _bound_by_name(source: str, origin: str, sources: Mapping[str, str]) -> ConfigError:
    """A user-file `source = NAME` rule: any (cloned) project may point its NAME anywhere."""
    location = parse_location(source_prefix(sources[source])) if source in sources else None
    url = (f"\"{location}\" if this project's '{source}' is the index it is for"
           if location is not None else "\"<the index's URL>\"")
    error = ConfigError(f"{origin}: a user-file rule must bind a url: a project's source of "
                        f"that name could point anywhere; write url = {url} (`poetry source "
                        f"auth {source} --global` in the project it is for does it)")
    error.entry = {}  # it binds nothing, so concerns no source: a warning, never a refusal
    return error


def _vault_settings(project: Any, user: Any, errors: list[ConfigError],
                    project_file: Optional[Path], user_file: Path) -> VaultSettings:
    merged: dict[str, Any] = {}
    for table, path in ((user, user_file), (project, project_file)):
        if not isinstance(table, dict):
            errors.append(ConfigError(f"{path}: vault must be a table"))
            continue
        unknown = set(table) - _VAULT_KEYS
        if unknown:
            errors.append(ConfigError(f"{path}: unknown vault key(s) {', '.join(sorted(unknown))}"))
        merged.update({k: v for k, v in table.items() if k in _VAULT_KEYS})
    if merged.get("auth") not in (None, "token", "approle", "jwt"):
        errors.append(ConfigError(f"vault auth must be token, approle or jwt, "
                                  f"not {merged['auth']!r}"))
        merged.pop("auth")
    if "timeout" in merged:
        try:
            merged["timeout"] = parse_duration(merged["timeout"])
        except ConfigError as exc:
            errors.append(ConfigError(f"vault timeout: {exc}"))
            merged.pop("timeout")
    return VaultSettings(**merged)


def _commands(table: Any, path: Path, errors: list[ConfigError]) -> dict[str, CommandSpec]:
    commands: dict[str, CommandSpec] = {}
    if not isinstance(table, dict):
        errors.append(ConfigError(f"{path}: [commands] must be a table of [commands.NAME]"))
        return commands
    for name, spec in table.items():
        where = f"{path} [commands.{name}]"
        try:
            if not isinstance(spec, dict) or "run" not in spec:
                raise ConfigError(f"{where}: needs run = [\"program\", \"arg\", ...]")
            run = spec["run"]
            argv = shlex.split(run) if isinstance(run, str) else run
            if not argv or not all(isinstance(a, str) for a in argv):
                raise ConfigError(f"{where}: run must be a non-empty list of strings")
            commands[name] = CommandSpec(name, tuple(argv), parse_duration(spec.get("ttl", 0)),
                                         parse_duration(spec.get("timeout", 60)))
        except ConfigError as exc:
            errors.append(exc if str(exc).startswith(str(where)) else
                          ConfigError(f"{where}: {exc}"))
    return commands


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string such as `90`, `45s`, `30m`, `12h`, `1d`."""
    if isinstance(value, bool):
        raise ConfigError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigError(f"negative duration: {value}")
        return float(value)
    m = _DURATION.fullmatch(str(value).strip())
    if not m:
        raise ConfigError(f"not a duration: {value!r} (use seconds, or 30m, 12h, 1d)")
    return float(m["n"]) * _UNITS[m["unit"]]
