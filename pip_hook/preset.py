"""`pip-private preset NAME [--OPTION VALUE]...`: print a registry's index URL and the
credential rule for it (keyring_backend/registry_presets.py), ready to paste.

Formats: `text` (default: URLs, the rule, what is left to do), `toml` (the rule alone, and
the `[commands.NAME]` table a `${cmd:...}` preset needs; pyproject.toml form unless
`--user-config` or a command preset) and `env` (env-defined rules,
`PRIVATE_PACKAGES_<NAME>_URL=...`, quoted for a POSIX shell). Nothing is resolved, so the
output holds references only. An unknown or incomplete preset is one line and exit 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional, TextIO

from keyring_backend.errors import EXIT_CONFIG, ConfigError

if TYPE_CHECKING:
    from keyring_backend.registry_presets import RegistryPreset

USAGE = ("usage: pip-private preset NAME [--host HOST] [--OPTION VALUE]... "
         "[--token-env VAR] [--format text|toml|env] [--user-config] [--name NAME]\n")
_FORMATS = ("text", "toml", "env")
_OWN_VALUES = ("format", "token-env", "name")


def main(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """`argv` are the arguments after `preset`."""
    try:
        parsed = parse(argv)
        if parsed is None:
            out.write(help_text())
            return 0
        name, options, own, user_config = parsed
        from keyring_backend.registry_presets import build_preset

        preset = build_preset(name, options, own.get("token-env"))
        fmt = own.get("format", "text")
        if fmt not in _FORMATS:
            raise ConfigError(f"--format takes {', '.join(_FORMATS)}")
        out.write(render(preset, fmt, user_config=user_config, env_name=own.get("name")))
    except ConfigError as exc:
        err.write(f"pip-private preset: error: {exc}\n")
        return EXIT_CONFIG
    return 0


Parsed = tuple[str, dict[str, str], dict[str, str], bool]


def parse(argv: Sequence[str]) -> Optional[Parsed]:
    """(preset name, preset options, our own options, --user-config), or None for --help."""
    from keyring_backend.registry_presets import PRESET_OPTIONS

    args = list(argv)
    name: Optional[str] = None
    options: dict[str, str] = {}
    own: dict[str, str] = {}
    user_config = False
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            return None
        if arg == "--user-config":
            user_config = True
        elif arg.startswith("--"):
            key, eq, value = arg[2:].partition("=")
            if key not in PRESET_OPTIONS and key not in _OWN_VALUES:
                raise ConfigError(f"unknown option --{key}; see pip-private preset --help")
            if not eq:
                if not args or args[0].startswith("--"):
                    raise ConfigError(f"--{key} needs a value")
                value = args.pop(0)
            (own if key in _OWN_VALUES else options)[key] = value
        elif name is None:
            name = arg
        else:
            raise ConfigError(f"unexpected argument {arg!r}; options are written --OPTION VALUE")
    if name is None:
        from keyring_backend.registry_presets import PRESET_NAMES

        raise ConfigError(f"name a preset: {', '.join(PRESET_NAMES)}")
    return name, options, own, user_config


def render(preset: RegistryPreset, fmt: str, *, user_config: bool = False,
           env_name: Optional[str] = None) -> str:
    from keyring_backend.registry_presets import env_lines, rule_toml

    where = ("# index URL: " + preset.index_url) if preset.index_url else \
        f"# git repositories under {preset.rule_url}/"
    if fmt == "toml":
        return f"{where}\n{rule_toml(preset, user_file=user_config)}"
    if fmt == "env":
        lines = [where, *env_lines(preset, env_name)]
        if preset.command is not None:
            from keyring_backend.registry_presets import command_toml

            lines += ["# and in your user config file:",
                      *(f"# {line}" for line in command_toml(preset.command).splitlines())]
        return "\n".join(lines) + "\n"
    lines = [f"preset {preset.name}"]
    if preset.index_url:
        lines.append(f"index URL:   {preset.index_url}")
    if preset.upload_url:
        lines.append(f"upload URL:  {preset.upload_url}")
    lines.append(f"rule prefix: {preset.rule_url}")
    target = "your user config file" if user_config or preset.command else "pyproject.toml"
    lines += ["", f"add to {target}:", "", rule_toml(preset, user_file=user_config).rstrip()]
    if preset.notes:
        lines += ["", "notes:", *(f"  - {note}" for note in preset.notes)]
    return "\n".join(lines) + "\n"


def help_text() -> str:
    from keyring_backend.registry_presets import PRESET_NAMES, PRESET_OPTIONS, spec_of

    lines = [USAGE, "Print a registry's index URL and the credential rule for it.", "",
             "presets:"]
    for name in PRESET_NAMES:
        spec = spec_of(name)
        required = " ".join("|".join(f"--{n}" for n in (e if isinstance(e, tuple) else (e,)))
                            for e in spec.required)
        optional = " ".join(f"[--{n}]" for n in spec.optional)
        lines.append(f"  {name:<13}{spec.summary}")
        lines.append(f"  {'':<13}{' '.join(filter(None, (required, optional)))}")
    lines += ["", "preset options:"]
    lines += [f"  --{name:<14}{text}" for name, text in PRESET_OPTIONS.items()]
    lines += ["", "options:",
              "  --token-env VAR   the variable holding the token (default: the preset's own)",
              "  --format FORMAT   text (default), toml, or env (PRIVATE_PACKAGES_<NAME>_*)",
              "  --user-config     TOML for your user config file instead of pyproject.toml",
              "  --name NAME       <NAME> of the env-defined rule (default: the preset name)",
              "", "example: pip-private preset gitlab --host gitlab.example.com --project 29"]
    return "\n".join(lines) + "\n"
