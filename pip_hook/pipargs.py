"""Read a pip command line (and a requirements file's option line) the way pip's optparse
does, without importing pip: which word is the command, which options take a value, and
where `-r` / `-c` and secret-bearing values stand.

The tables come from pip 26's own parsers (`create_command(name).parser`); optparse also
accepts unique prefixes of long options (`--requirem`), `--opt=value`, `-rFILE` and short
clusters (`-qr FILE`), so all of those are recognised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from keyring_backend.records import field, record

GENERAL_VALUE = frozenset({
    "--cache-dir", "--cert", "--client-cert", "--default-timeout", "--exists-action",
    "--keyring-provider", "--local-log", "--log", "--log-file", "--proxy", "--python",
    "--resume-retries", "--retries", "--timeout", "--trusted-host", "--use-deprecated",
    "--use-feature"})
GENERAL_FLAGS = frozenset({
    "--debug", "--disable-pip-version-check", "--help", "--isolated", "--no-cache-dir",
    "--no-color", "--no-input", "--no-proxy-env", "--no-python-version-warning", "--quiet",
    "--require-venv", "--require-virtualenv", "--verbose", "--version"})
_FINDER_VALUE = frozenset({
    "--all-releases", "--extra-index-url", "--find-links", "--index-url", "--no-binary",
    "--only-binary", "--only-final", "--pypi-url", "--refresh-package",
    "--uploaded-prior-to"})
_RESOLVE_VALUE = _FINDER_VALUE | {
    "--build-constraint", "--config-settings", "--constraint", "--editable", "--group",
    "--progress-bar", "--requirement", "--requirements-from-script", "--source", "--src",
    "--source-dir", "--source-directory"}
COMMAND_VALUE: dict[str, frozenset[str]] = {
    "install": _RESOLVE_VALUE | {"--abi", "--implementation", "--platform", "--prefix",
                                 "--python-version", "--report", "--root",
                                 "--root-user-action", "--target", "--upgrade-strategy"},
    "download": (_RESOLVE_VALUE - {"--config-settings", "--editable"}) | {
        "--abi", "--dest", "--destination-dir", "--destination-directory", "--implementation",
        "--platform", "--python-version"},
    "wheel": _RESOLVE_VALUE | {"--wheel-dir"},
    "lock": _RESOLVE_VALUE | {"--output"},
    "uninstall": frozenset({"--requirement", "--root-user-action"}),
    "freeze": frozenset({"--exclude", "--path", "--requirement"}),
    "index": _FINDER_VALUE | {"--abi", "--implementation", "--platform", "--python-version"},
    "list": _FINDER_VALUE | {"--exclude", "--format", "--path"},
}
_RESOLVE_FLAGS = frozenset({
    "--check-build-dependencies", "--ignore-requires-python", "--no-build-isolation",
    "--no-clean", "--no-dependencies", "--no-deps", "--no-index", "--no-require-hashes",
    "--only-dependencies", "--only-deps", "--pre", "--prefer-binary", "--require-hashes",
    "--use-pep517"})
COMMAND_FLAGS: dict[str, frozenset[str]] = {
    "install": _RESOLVE_FLAGS | {
        "--break-system-packages", "--compile", "--dry-run", "--force-reinstall",
        "--ignore-installed", "--no-compile", "--no-user", "--no-warn-conflicts",
        "--no-warn-script-location", "--upgrade", "--user"},
    "download": _RESOLVE_FLAGS,
    "wheel": _RESOLVE_FLAGS | {"--no-verify"},
    "lock": _RESOLVE_FLAGS,
    "uninstall": frozenset({"--break-system-packages", "--yes"}),
    "freeze": frozenset({"--all", "--exclude-editable", "--local", "--user"}),
    "index": frozenset({"--ignore-requires-python", "--json", "--no-index", "--pre",
                        "--prefer-binary"}),
    "list": frozenset({"--editable", "--exclude-editable", "--include-editable", "--local",
                       "--no-index", "--not-required", "--outdated", "--pre",
                       "--prefer-binary", "--uptodate", "--user"}),
}
SHORT = {"-r": "--requirement", "-c": "--constraint", "-e": "--editable", "-f": "--find-links",
         "-i": "--index-url", "-C": "--config-settings", "-d": "--dest", "-w": "--wheel-dir",
         "-t": "--target", "-o": "--output", "-v": "--verbose", "-q": "--quiet",
         "-h": "--help", "-V": "--version", "-U": "--upgrade", "-I": "--ignore-installed",
         "-y": "--yes", "-l": "--local", "-u": "--uptodate"}
_SHORT_PER_COMMAND: dict[str, dict[str, str]] = {
    "list": {"-e": "--editable", "-o": "--outdated"}}
#: Options a requirements file may hold (pip's SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ).
REQFILE_VALUE = frozenset({
    "--index-url", "--extra-index-url", "--constraint", "--requirement", "--editable",
    "--find-links", "--no-binary", "--only-binary", "--all-releases", "--only-final",
    "--trusted-host", "--use-feature", "--hash", "--config-settings"})
REQFILE_FLAGS = frozenset({"--no-index", "--prefer-binary", "--require-hashes",
                           "--no-require-hashes", "--pre"})
#: Commands whose requirements files pip-private renders, and which of them take `-c`.
READS_REQUIREMENTS = frozenset({"install", "download", "wheel", "lock", "uninstall", "freeze"})
INCLUDES = frozenset({"--requirement", "--constraint", "--build-constraint"})


@record
class Arg:
    """One option (canonical long `name`, maybe a `value`) or a positional (`name` None)."""

    raw: list[str]
    name: Optional[str] = None
    value: Optional[str] = None
    changed: bool = field(default=False, compare=False)

    def tokens(self) -> list[str]:
        if not self.changed:
            return self.raw
        if self.name is None:
            return [self.value or ""]
        return [self.name] if self.value is None else [self.name, self.value]


def expand_long(option: str, known: frozenset[str]) -> Optional[str]:
    """The option `option` abbreviates (optparse accepts unique prefixes), or None."""
    if option in known:
        return option
    matches = [name for name in known if name.startswith(option)]
    return matches[0] if len(matches) == 1 else None


def split_args(args: Sequence[str], value_options: frozenset[str],
               flag_options: frozenset[str], short: dict[str, Optional[str]]) -> list[Arg]:
    """Tokenise `args` into options and positionals, keeping each one's raw words."""
    known = value_options | flag_options
    out: list[Arg] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":  # everything after it is positional
            out.append(Arg([word], "--"))
            out += [Arg([w], value=w) for w in args[i + 1:]]
            break
        if word.startswith("--") and len(word) > 2:
            option, eq, attached = word.partition("=")
            name = expand_long(option, known) or option
            if name in value_options and not eq:
                value = args[i + 1] if i + 1 < len(args) else None
                out.append(Arg(list(args[i:i + 2]), name, value))
                i += 2
                continue
            out.append(Arg([word], name, attached if eq else None))
        elif word.startswith("-") and len(word) > 1:
            i = _split_short(args, i, value_options, short, out)
            continue
        else:
            out.append(Arg([word], value=word))
        i += 1
    return out


def _split_short(args: Sequence[str], i: int, value_options: frozenset[str],
                 short: dict[str, Optional[str]], out: list[Arg]) -> int:
    word = args[i]
    for pos in range(1, len(word)):
        flag = "-" + word[pos]
        name = short.get(flag, SHORT.get(flag)) or flag
        if name in value_options:
            rest = word[pos + 1:]
            if rest:
                out.append(Arg([word] if pos == 1 else [flag + rest], name, rest))
                return i + 1
            value = args[i + 1] if i + 1 < len(args) else None
            out.append(Arg([flag, value] if value is not None else [flag], name, value))
            return i + 2
        out.append(Arg([word] if len(word) == 2 else [flag], name))
    return i + 1


def find_command(args: Sequence[str]) -> int:
    """Index of pip's command word in `args` (general options may precede it), or -1."""
    parts = split_args(args, GENERAL_VALUE, GENERAL_FLAGS, {})
    index = 0
    for part in parts:
        if part.name is None:
            return index
        index += len(part.raw)
    return -1


def command_args(command: str, args: Sequence[str]) -> list[Arg]:
    """Tokenise the words after pip's command word."""
    values = GENERAL_VALUE | COMMAND_VALUE.get(command, frozenset())
    flags = GENERAL_FLAGS | COMMAND_FLAGS.get(command, frozenset())
    short: dict[str, Optional[str]] = dict(SHORT)
    short.update(_SHORT_PER_COMMAND.get(command, {}))
    return split_args(args, values, flags, short)


def reqfile_args(words: Sequence[str]) -> list[Arg]:
    """Tokenise the option part of one requirements-file line."""
    return split_args(words, REQFILE_VALUE, REQFILE_FLAGS, dict(SHORT))


def join_args(parts: Sequence[Arg]) -> list[str]:
    return [word for part in parts for word in part.tokens()]


def break_args_options(line: str) -> tuple[str, str]:
    """pip's `break_args_options`: the requirement part, then the options part."""
    tokens = line.split(" ")
    args: list[str] = []
    for token in tokens:
        if token.startswith("-"):
            break
        args.append(token)
    return " ".join(args), " ".join(tokens[len(args):])
