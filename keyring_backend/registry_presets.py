"""Registry presets: a short description (`gitlab --host gitlab.example.com --project 29`)
turned into the index URL and the credential rule for it, with no network access.

`build_preset(name, options, token_env)` validates the options the way both front ends
(`pip-private preset` and `poetry source auth --preset`) need: an unknown preset names the
known ones; missing options are listed together, in ONE error, with an example; a value
that would change the URL's shape (a path in `--host`, a `/` in a repository name) is
refused. Hosts may carry a scheme and a trailing slash; plain http is only accepted for a
loopback host (DESIGN.md: credentials never travel over plain http elsewhere), and a
loopback host without a scheme means http, since local test indexes rarely speak TLS.

The per-registry URL shapes live in `registry_presets_table`; the snippets a user pastes
(`[[credentials]]` TOML, `[commands.NAME]`, env-defined rules) are rendered here, so every
front end prints the same text. Passwords are references only; no value is ever read.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Optional
from urllib.parse import urlsplit

from .errors import ConfigError
from .registry_presets_table import (
    GITLAB_JOB_VARIABLE,
    SPECS,
    PresetCommand,
    PresetSpec,
    RegistryPreset,
    hint_notes,
)
from .urls import is_loopback, parse_location

__all__ = ["PRESET_NAMES", "PRESET_OPTIONS", "PresetCommand", "RegistryPreset",
           "build_preset", "command_toml", "env_lines", "resolve_name", "rule_toml"]

PRESET_NAMES: tuple[str, ...] = tuple(SPECS)

#: Every option a preset may take, with its help text (the front ends build flags from it).
PRESET_OPTIONS: dict[str, str] = {
    "host": "the registry's host[:port] (a scheme and trailing slash are ignored; "
            "http only for 127.0.0.1/localhost)",
    "project": "GitLab project id or path; Google Cloud project; Azure DevOps project",
    "group": "GitLab group id or path",
    "repository": "repository name (Artifactory key, Nexus, CodeArtifact, Artifact Registry)",
    "owner": "GitHub user or organisation; Bitbucket workspace; CodeArtifact domain owner "
             "(AWS account id)",
    "domain": "CodeArtifact domain",
    "region": "AWS region of the CodeArtifact domain, e.g. eu-west-1",
    "location": "Artifact Registry location, e.g. europe-west1 or us",
    "organization": "Azure DevOps organization",
    "feed": "Azure Artifacts feed",
    "account": "Gemfury account name",
    "user": "username to send instead of the registry's usual one",
    "index": "devpi index as USER/INDEX",
    "path": "path the server is mounted under behind a proxy, e.g. /pypi",
}

_ALIASES = {alias: name for name, spec in SPECS.items() for alias in spec.aliases}
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_SHAPES: dict[str, tuple[str, str]] = {  # option -> (pattern, what it must look like)
    "project": (rf"{_NAME}(?:/{_NAME})*|[A-Za-z0-9][A-Za-z0-9 ._-]*[A-Za-z0-9_]",
                "an id or a name (GitLab: group/project)"),
    "group": (rf"{_NAME}(?:/{_NAME})*", "an id or a path such as acme/platform"),
    "owner": (_NAME, "a name such as acme"),
    "repository": (_NAME, "a name without '/'"),
    "domain": (r"[a-z][a-z0-9-]{1,49}", "lower-case letters, digits and '-'"),
    "region": (r"[a-z]{2}(?:-[a-z]+)+-\d", "an AWS region such as eu-west-1"),
    "location": (r"[a-z]+(?:-[a-z]+\d*)*", "a location such as europe-west1 or us"),
    "organization": (_NAME, "a name such as acme"),
    "feed": (_NAME, "a name without '/'"),
    "account": (_NAME, "a name such as acme"),
    "index": (rf"{_NAME}/{_NAME}", "USER/INDEX such as team/prod"),
    "path": (r"(?:/[A-Za-z0-9._~-]+)+", "a path such as /pypi"),
    "user": (r"[^\x00-\x20\x7f:]+(?: [^\x00-\x20\x7f:]+)*", "a name without ':' or "
             "control characters"),
}
_CODEARTIFACT_OWNER = re.compile(r"\d{12}")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def resolve_name(name: str) -> str:
    """The canonical preset name for `name` (case-insensitive, aliases allowed)."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in SPECS:
        raise ConfigError(f"unknown preset {name!r}; known presets: {', '.join(PRESET_NAMES)}")
    return key


def spec_of(name: str) -> PresetSpec:
    return SPECS[resolve_name(name)]


def build_preset(name: str, options: Mapping[str, str],
                 token_env: Optional[str] = None) -> RegistryPreset:
    """The preset `name` for `options` (option name -> value; empty values count as not
    given); `token_env` names the variable holding the token instead of the preset's usual
    one. Raises `ConfigError` with one line saying what is wrong and what to write."""
    key = resolve_name(name)
    spec = SPECS[key]
    given = {k: v.strip() for k, v in options.items() if v is not None and v.strip()}
    unknown = sorted(set(given) - set(spec.takes))
    if unknown:
        takes = ", ".join(f"--{o}" for o in spec.takes)
        raise ConfigError(f"preset {key!r} does not take {_flags(unknown)}; it takes {takes}")
    missing: list[str] = []
    for entry in spec.required:
        names = entry if isinstance(entry, tuple) else (entry,)
        present = [n for n in names if n in given]
        if len(present) > 1:
            raise ConfigError(f"preset {key!r} takes only one of {_flags(present, ' or ')}")
        if not present:
            missing.append(_flags(names, " or "))
    if missing:
        raise ConfigError(f"preset {key!r} is missing {', '.join(missing)}; for example: "
                          f"{key} {spec.example}")
    if token_env is not None and not _VARIABLE.fullmatch(token_env):
        raise ConfigError("--token-env takes an environment variable name such as "
                          "GITLAB_TOKEN")
    clean = {option: _check(key, option, value) for option, value in given.items()
             if option != "host"}
    if key == "codeartifact" and not _CODEARTIFACT_OWNER.fullmatch(clean["owner"]):
        raise ConfigError("--owner of a CodeArtifact domain is the 12-digit AWS account id")
    if key == "gitlab" and token_env == GITLAB_JOB_VARIABLE and clean.get("user") not in (
            None, "gitlab-ci-token"):
        raise ConfigError("GitLab accepts CI_JOB_TOKEN only with the username "
                          "gitlab-ci-token; drop --user")
    if "host" in spec.takes:
        clean["base"] = normalise_host(given.get("host") or str(spec.default_host))
    preset = spec.build(clean, token_env)
    return RegistryPreset(key, preset.index_url, preset.upload_url, preset.rule_url,
                          preset.username, preset.password, preset.command,
                          (*preset.notes, *hint_notes(spec.hint)))


def normalise_host(value: str) -> str:
    """`scheme://host[:port]` from `host`, `host:port`, `https://host/` or `http://127.0.0.1:8080`."""
    text = value.strip().rstrip("/")
    scheme = None
    if "://" in text:
        scheme, _, text = text.partition("://")
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise ConfigError("--host takes a host name, or an http(s):// URL of one")
    if any(c in text for c in "@/?#\\") or not text:
        # Never echo it: a pasted `user:token@host` would put the token on the screen.
        raise ConfigError("--host takes a host name and port only, such as "
                          "gitlab.example.com or 127.0.0.1:8080 (no user, token or path)")
    loc = parse_location(text)
    if loc is None or not _valid_port(text):
        raise ConfigError("--host is not a host name such as gitlab.example.com[:port]")
    loopback = is_loopback(loc.host)
    scheme = scheme or ("http" if loopback else "https")
    if scheme == "http" and not loopback:
        raise ConfigError(f"refusing plain http to {loc.host}: a preset sends its credential "
                          "over https only (or http to 127.0.0.1/localhost)")
    port = f":{loc.port}" if loc.port not in (None, 80 if scheme == "http" else 443) else ""
    return f"{scheme}://{loc.host}{port}"


def _valid_port(netloc: str) -> bool:
    try:
        _ = urlsplit(f"//{netloc}").port
    except ValueError:
        return False
    return True


def _check(preset: str, option: str, value: str) -> str:
    pattern, shape = _SHAPES[option]
    if not re.fullmatch(pattern, value):
        raise ConfigError(f"--{option} of preset {preset!r} must be {shape}")
    return value


def _flags(names: Iterable[str], joiner: str = ", ") -> str:
    return joiner.join(f"--{n}" for n in names)


# -- snippets -------------------------------------------------------------------------------

def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, for the characters values may hold)."""
    return json.dumps(text, ensure_ascii=False)


def rule_toml(preset: RegistryPreset, *, user_file: bool = False) -> str:
    """The `[[credentials]]` table: for the user file (`user_file`, and always for a
    `${cmd:...}` preset, which a project file may not run) or pyproject.toml."""
    table = "credentials" if user_file or preset.command else "tool.private-packages.credentials"
    lines = [f"[[{table}]]", f"url = {toml_string(preset.rule_url)}",
             f"username = {toml_string(preset.username)}",
             f"password = {toml_string(preset.password)}"]
    if preset.command is not None:
        lines += ["", command_toml(preset.command)]
    return "\n".join(lines) + "\n"


def command_toml(command: PresetCommand) -> str:
    argv = ", ".join(toml_string(a) for a in command.argv)
    return f"[commands.{command.name}]\nrun = [{argv}]\nttl = {toml_string(command.ttl)}"


def env_name(preset: RegistryPreset, name: Optional[str] = None) -> str:
    label = re.sub(r"[^A-Za-z0-9]+", "_", name or preset.name).strip("_").upper()
    if not label:
        raise ConfigError("--name needs letters or digits, such as GITLAB")
    return f"PRIVATE_PACKAGES_{label}"


def env_lines(preset: RegistryPreset, name: Optional[str] = None) -> list[str]:
    """`PRIVATE_PACKAGES_<NAME>_URL=...` lines, quoted for a POSIX shell (`eval`, `source`)
    so that `${...}` stays a reference for private-packages instead of being expanded there."""
    stem = env_name(preset, name)
    values = (("URL", preset.rule_url), ("USERNAME", preset.username),
              ("PASSWORD", preset.password))
    return [f"{stem}_{key}={shlex.quote(value)}" for key, value in values]
