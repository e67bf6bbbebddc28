"""Which tool a command is: argv[0]'s basename, or the module of `python -m MODULE`, and
its subcommand.

Each tool reads credentials its own way, so `run` plans per tool; anything else (pip
itself, pip-tools, nox, kedro...) gets the generic treatment: a pip underneath, and git.
Options that take a value before the subcommand (`uv --directory DIR lock`, `poetry -C DIR
install`) are skipped: the subcommand is the first word that is neither an option nor an
option's value.

twine and pdm parse with argparse, which takes any unique prefix of a long option
(`--repository-ur URL` is `--repository-url URL`): their abbreviations of the options `run`
reads are spelt out in `args`, so a planner never misses a URL, config file or username
the tool will use. Where a prefix fits several of them argparse refuses the command line
itself. (hatch's click, uv's clap and poetry's cleo take no abbreviations.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Optional

from keyring_backend.records import record

#: Tools `run` plans for; every other command (pip, pip-tools, nox, kedro...) is "other".
KNOWN = frozenset({"uv", "uvx", "poetry", "hatch", "pdm", "twine", "pipenv", "tox"})
#: Global options that take a value, per tool: the word after them is not the subcommand.
_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "uv": frozenset({"--directory", "--project", "--config-file", "--cache-dir", "--color",
                     "--python", "-p", "--allow-insecure-host"}),
    "poetry": frozenset({"-C", "--directory", "-P", "--project"}),
    "pdm": frozenset({"-p", "--project", "-c", "--config"}),
    "hatch": frozenset({"-e", "--env", "-p", "--project", "--color", "--data-dir",
                        "--cache-dir", "--config"}),
}
#: Long options `run` reads, of the tools whose parser takes unique prefixes (argparse).
_ABBREVIATED: dict[str, tuple[str, ...]] = {
    "twine": ("--repository", "--repository-url", "--config-file", "--username",
              "--password"),
    "pdm": ("--repository", "--username", "--password", "--project", "--config"),
}
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?[tw]?$")
#: Interpreter options that take a value (`python -W error -m pip`).
_PYTHON_VALUE_OPTIONS = frozenset({"-W", "-X", "-Q"})


@record(frozen=True)
class Invocation:
    """`tool` is one of KNOWN or "other"; `args` are the words after the tool's name (after
    `-m MODULE` for `python -m`); `subcommand` is the first of them that is not an option."""

    tool: str
    args: tuple[str, ...]
    subcommand: Optional[str]

    def option(self, *names: str) -> list[str]:
        """Every value given to one of `names` (`--name VALUE`, `--name=VALUE`, `-nVALUE`)."""
        values: list[str] = []
        words = list(self.args)
        for index, word in enumerate(words):
            if word == "--":
                break
            for name in names:
                if word == name and index + 1 < len(words):
                    values.append(words[index + 1])
                elif name.startswith("--") and word.startswith(name + "="):
                    values.append(word[len(name) + 1:])
                elif (not name.startswith("--") and word.startswith(name)
                      and len(word) > len(name) and not word.startswith("--")):
                    values.append(word[len(name):].lstrip("="))
        return values

    def leading_option(self, *names: str) -> list[str]:
        """`option`, before the subcommand only: a tool's global options (`pdm -c CONFIG
        publish`; after `publish`, `-c` is a comment)."""
        end = self.args.index(self.subcommand) if self.subcommand in self.args else 0
        return Invocation(self.tool, self.args[:end], None).option(*names)

    def flag(self, *names: str) -> bool:
        return any(word in names for word in self.args[:self._end()])

    def _end(self) -> int:
        return self.args.index("--") if "--" in self.args else len(self.args)


def identify(argv: Sequence[str]) -> Invocation:
    """The tool `argv` runs."""
    name = os.path.basename(argv[0]) if argv else ""
    rest = list(argv[1:])
    if _PYTHON.match(name):
        module = _python_module(rest)
        if module is None:
            return Invocation("other", tuple(rest), None)
        name, rest = module
    tool = name if name in KNOWN else "other"
    if tool in _ABBREVIATED:
        rest = spell_out(rest, _ABBREVIATED[tool])
    return Invocation(tool, tuple(rest), _subcommand(tool, rest))


def spell_out(words: Sequence[str], options: Sequence[str]) -> list[str]:
    """`words` with each abbreviation of one of `options` (`--repository-ur`,
    `--conf=FILE`) in full, as argparse reads it; up to `--`."""
    spelt: list[str] = []
    for index, word in enumerate(words):
        if word == "--":
            return spelt + list(words[index:])
        name, eq, value = word.partition("=")
        if name.startswith("--") and len(name) > 2 and name not in options:
            matches = [option for option in options if option.startswith(name)]
            if len(matches) == 1:
                spelt.append(matches[0] + eq + value)
                continue
        spelt.append(word)
    return spelt


def _python_module(words: list[str]) -> Optional[tuple[str, list[str]]]:
    """(module, its arguments) of `python [options] -m MODULE ...`, else None."""
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-m" and index + 1 < len(words):
            return words[index + 1].partition(".")[0], words[index + 2:]
        if word.startswith("-m") and len(word) > 2:
            return word[2:].partition(".")[0], words[index + 1:]
        if not word.startswith("-") or word in ("-c", "-"):
            return None  # a script or `-c CODE`: not a tool we know
        index += 2 if word in _PYTHON_VALUE_OPTIONS else 1
    return None


def _subcommand(tool: str, words: list[str]) -> Optional[str]:
    takes_value = _VALUE_OPTIONS.get(tool, frozenset())
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--":
            return words[index + 1] if index + 1 < len(words) else None
        if not word.startswith("-"):
            return word
        index += 2 if word in takes_value else 1
    return None
