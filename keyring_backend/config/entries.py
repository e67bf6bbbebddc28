"""Credential rules from the env layer (`PRIVATE_PACKAGES_<NAME>_URL` or `_SOURCE`,
`_USERNAME`, `_PASSWORD`, `_ALLOW_HTTP`) and from rule tables in a TOML file.

A broken rule is one `ConfigError` naming where it stands (and, in `entry`, what it binds,
so the poetry hook can tell whether it concerns a source it needs); the other rules still
load. A user-file rule must bind a `url` (`bound_by_name`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from ..errors import ConfigError
from ..rules import CredentialRule, Layer, make_rule
from ..urls import parse_location
from .sources import source_prefix

ENV_PREFIX = "PRIVATE_PACKAGES_"
RULE_KEYS = frozenset({"url", "source", "username", "password", "allow_http"})
_TRUE = frozenset({"1", "true", "yes"})


def env_rules(env: Mapping[str, str], sources: Mapping[str, str],
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
                entry["allow_http"] = env.get(f"{stem}_ALLOW_HTTP", "").lower() in _TRUE
                rule = make_entry_rule(entry, Layer.ENV, f"env {stem}_*", None, sources,
                                       errors)
                if rule is not None:
                    rules.append(rule)
    return rules


def file_rules(entries: Any, layer: Layer, path: Path, key: str,
               sources: Mapping[str, str], errors: list[ConfigError]) -> list[CredentialRule]:
    if not isinstance(entries, list):
        errors.append(ConfigError(f"{path}: {key} must be an array of tables ([[{key}]]); "
                                  "its rules are ignored"))
        return []
    rules = []
    for number, entry in enumerate(entries, 1):
        origin = f"{path} [[{key}]] #{number}"
        if not isinstance(entry, dict):
            errors.append(ConfigError(f"{origin}: must be a table"))
            continue
        rule = make_entry_rule(entry, layer, origin, path.parent, sources, errors)
        if rule is not None:
            rules.append(rule)
    return rules


def make_entry_rule(entry: Mapping[str, Any], layer: Layer, origin: str,
                    base_dir: Optional[Path], sources: Mapping[str, str],
                    errors: list[ConfigError]) -> Optional[CredentialRule]:
    try:
        unknown = set(entry) - RULE_KEYS
        if unknown:
            raise ConfigError(f"{origin}: unknown key(s) {', '.join(sorted(unknown))}; "
                              f"expected {', '.join(sorted(RULE_KEYS))}")
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
            raise bound_by_name(source, origin, sources)
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


def bound_by_name(source: str, origin: str, sources: Mapping[str, str]) -> ConfigError:
    """A user-file `source = NAME` rule: any (cloned) project may point its NAME anywhere."""
    location = parse_location(source_prefix(sources[source])) if source in sources else None
    url = (f"\"{location}\" if this project's '{source}' is the index it is for"
           if location is not None else "\"<the index's URL>\"")
    error = ConfigError(f"{origin}: a user-file rule must bind a url: a project's source of "
                        f"that name could point anywhere; write url = {url} (`poetry source "
                        f"auth {source} --global` in the project it is for does it)")
    error.entry = {}  # it binds nothing, so concerns no source: a warning, never a refusal
    return error
