"""pip's command line read like pip's optparse reads it, checked against pip's own parser
where that is possible (tables generated from pip must still match the installed pip)."""

from __future__ import annotations

import pytest
from pip._internal.cli import cmdoptions
from pip._internal.commands import create_command

from pip_hook.pipargs import (
    COMMAND_FLAGS,
    COMMAND_VALUE,
    GENERAL_FLAGS,
    GENERAL_VALUE,
    command_args,
    find_command,
    join_args,
)


def _general() -> tuple[set[str], set[str]]:
    values: set[str] = set()
    flags: set[str] = set()
    for factory in cmdoptions.general_group["options"]:
        option = factory()
        (values if option.takes_value() else flags).update(option._long_opts)
    return values, flags


def test_general_tables_match_installed_pip() -> None:
    values, flags = _general()
    assert values == GENERAL_VALUE
    assert flags <= GENERAL_FLAGS


@pytest.mark.parametrize("command", sorted(COMMAND_VALUE))
def test_command_tables_match_installed_pip(command: str) -> None:
    general_values, general_flags = _general()
    values: set[str] = set()
    flags: set[str] = set()
    for option in create_command(command).parser._get_all_options():
        (values if option.takes_value() else flags).update(option._long_opts)
    assert values - general_values == COMMAND_VALUE[command]
    assert flags - general_flags - {"--help"} <= COMMAND_FLAGS[command] | GENERAL_FLAGS


@pytest.mark.parametrize(("args", "index"), [
    (["install", "x"], 0),
    (["-v", "--log", "l.txt", "install"], 3),
    (["--log=l.txt", "-q", "download"], 2),
    (["--python", "/usr/bin/python3", "list"], 2),
    (["--version"], -1),
], ids=["plain", "value-option", "eq-form", "python", "none"])
def test_find_command(args: list[str], index: int) -> None:
    assert find_command(args) == index


@pytest.mark.parametrize(("args", "expected"), [
    (["-r", "a.txt"], [("--requirement", "a.txt")]),
    (["-ra.txt"], [("--requirement", "a.txt")]),
    (["--requirement=a.txt"], [("--requirement", "a.txt")]),
    (["--requirement", "a.txt"], [("--requirement", "a.txt")]),
    (["-qr", "a.txt"], [("--quiet", None), ("--requirement", "a.txt")]),
    (["--constr", "c.txt"], [("--constraint", "c.txt")]),
    (["--pre", "pkg"], [("--pre", None), (None, "pkg")]),
    (["-e", "git+https://h/x"], [("--editable", "git+https://h/x")]),
    (["--", "-r"], [("--", None), (None, "-r")]),
], ids=["short", "attached", "eq", "long", "cluster", "abbrev", "pre-is-a-flag", "editable",
        "double-dash"])
def test_install_args(args: list[str], expected: list[tuple[str | None, str | None]]) -> None:
    parts = command_args("install", args)
    assert [(p.name, p.value) for p in parts] == expected
    # Unchanged parts keep their raw words; a short cluster comes back split (same meaning).
    assert join_args(parts) == (["-q", "-r", "a.txt"] if args[0] == "-qr" else args)


def test_pip_parses_like_we_do() -> None:
    args = ["-qr", "a.txt", "--constr=c.txt", "pkg", "-ib.example", "--pre"]
    options, positional = create_command("install").parse_args(args)
    parts = command_args("install", args)
    assert [p.value for p in parts if p.name == "--requirement"] == options.requirements
    assert [p.value for p in parts if p.name == "--constraint"] == options.constraints
    assert [p.value for p in parts if p.name is None] == positional
    assert [p.value for p in parts if p.name == "--index-url"] == [options.index_url]


def test_e_is_a_flag_for_list() -> None:
    assert [(p.name, p.value) for p in command_args("list", ["-e", "-o"])] == [
        ("--editable", None), ("--outdated", None)]
