"""Bad input, table-driven (issue #13): every input that once gave a traceback, a hang or
unbounded memory, run through the installed console scripts (`pip-private`, the keyring
CLI with our backend, poetry with our plugin). Each case must

- exit with its code: 2 for our CLIs, 1 for `keyring get` whose backend answered None;
- say so in exactly one line (the keyring backend: one warning line), never a traceback;
- finish within a generous timeout (a "did not hang" check, not a timing claim);
- show no canary -- the secret every case's environment and home hold -- in any form;
- leave nothing on disk: no rendered directory, no new or changed file.

Cases another engineer owns (#13 is split) carry `owner`: they are strict xfails until
that work lands, and fail loudly (XPASS) as soon as it has, to have the mark removed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import pytest

from tests.conftest import Clients, make_canary
from tests.leaks import assert_not_in_texts

pytestmark = pytest.mark.e2e

MIB = 1 << 20
TIMEOUT = 60  # seconds: "did not hang"; every case takes well under one


class Fifo:
    """A named pipe with no writer: a plain open() for reading blocks forever."""


@dataclass(frozen=True)
class Sparse:
    """A file of `size` bytes that takes no disk (all holes)."""

    size: int


Content = Union[str, bytes, Fifo, Sparse]


@dataclass(frozen=True)
class Case:
    """`args` for `tool` in a project holding `files`. `{canary}`, `{project}`, `{tmp}` and
    `{python}` in args, env and text files are filled in."""

    tool: str  # pip-private, keyring, poetry
    args: tuple[str, ...]
    says: str  # a fragment of the one line
    files: Mapping[str, Content] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    user_config: Optional[bytes] = None
    code: int = 2
    one_line: bool = True  # doctor prints a report, not one line
    never: tuple[str, ...] = ()  # more text that must not show (parts of a secret)
    owner: Optional[str] = None
    stdin: Optional[str] = None  # piped in; else stdin is /dev/null


def nested(depth: int, last: str) -> dict[str, Content]:
    files: dict[str, Content] = {f"r{n}.txt": f"-r r{n + 1}.txt\n" for n in range(depth)}
    files[f"r{depth}.txt"] = last
    return files


def backend_rule(password: str) -> dict[str, str]:
    """An env rule for https://h.example/ whose password is `password`, for `keyring get`."""
    return {"PRIVATE_PACKAGES_BAD_URL": "https://h.example/",
            "PRIVATE_PACKAGES_BAD_PASSWORD": password}


KEYRING_GET = ("get", "https://h.example/simple/", "__token__")
SOURCE = ('[project]\nname = "acme"\nversion = "1.0"\n\n[[tool.poetry.source]]\n'
          'name = "acme"\nurl = "https://h.example/simple"\npriority = "supplemental"\n')
PIPS_OWN_PYTHON = {"PIP_PYTHON": "{python}"}  # pip re-executes itself: files on disk

CASES: dict[str, Case] = {
    # --- requirements files pip cannot decode (pip itself raises a traceback) ---
    "req-not-utf8": Case(
        "pip-private", ("install", "-r", "r.txt"), "r.txt: line 2 is not utf-8 text",
        {"r.txt": b"acme\n# {canary}\xff\n"}),
    "req-unknown-coding": Case(
        "pip-private", ("install", "-r", "r.txt"), "declares the encoding 'bogus'",
        {"r.txt": "# -*- coding: bogus -*-\nacme\n"}),
    "req-coding-mismatch": Case(
        "pip-private", ("render", "-r", "r.txt"), "line 3 is not ascii text",
        {"r.txt": b"# coding: ascii\nacme\n\xe9\n"}),
    "include-not-utf8": Case(
        "pip-private", ("install", "-r", "r.txt"), "sub.txt: line 1 is not utf-8 text",
        {"r.txt": "-r sub.txt\n", "sub.txt": b"acme # {canary}\xff\n"}),
    # --- 400 nested -r (RecursionError before) ---
    "nested-400": Case(
        "pip-private", ("install", "-r", "r0.txt"),
        "r400.txt:1: environment variable NOT_SET_VERSION is not set",
        nested(400, "acme==${NOT_SET_VERSION}\n")),
    "nested-400-doctor": Case(
        "pip-private", ("doctor", "--no-probe", "-r", "r0.txt"), "NOT_SET_VERSION",
        nested(400, "acme==${NOT_SET_VERSION}\n"), one_line=False),
    "nested-cycle-500": Case(
        "pip-private", ("render", "-r", "r0.txt"), "r499.txt:1: requirements files include "
        "each other in a cycle: r0.txt -> r1.txt", {**nested(499, "-r r0.txt\n")}),
    # --- files that block or never end: regular files only, bounded ---
    "req-fifo": Case(
        "pip-private", ("install", "-r", "fifo.txt"),
        "requirements file fifo.txt is a FIFO (named pipe), not a regular file",
        {"fifo.txt": Fifo()}),
    "include-fifo": Case(
        "pip-private", ("install", "-r", "r.txt"), "r.txt:2: requirements file fifo.txt is "
        "a FIFO", {"r.txt": "acme\n-r fifo.txt\n", "fifo.txt": Fifo()}),
    "req-dev-zero": Case(
        "pip-private", ("render", "-r", "/dev/zero"),
        "requirements file /dev/zero is a character device, not a regular file"),
    "include-dev-zero": Case(
        "pip-private", ("install", "-r", "r.txt"), "r.txt:1: requirements file /dev/zero "
        "is a character device", {"r.txt": "-r /dev/zero\n"}),
    "include-dev-stdin-pipe": Case(
        "pip-private", ("install", "-r", "r.txt"),
        "requirements file /dev/stdin is a FIFO (named pipe), not a regular file",
        {"r.txt": "-r /dev/stdin\n"}, stdin="acme\n"),
    "req-huge": Case(
        "pip-private", ("install", "-r", "r.txt"), "big.txt is larger than 16 MiB",
        {"r.txt": "-r big.txt\n", "big.txt": Sparse(17 * MIB)}),
    "file-ref-dev-zero": Case(
        "pip-private", ("install", "-r", "r.txt"),
        "r.txt:1: ${file:/dev/zero}: /dev/zero is a character device",
        {"r.txt": "acme==${file:/dev/zero}\n"}),
    "file-ref-fifo": Case(
        "pip-private", ("render", "-r", "r.txt"), "secret.fifo is a FIFO",
        {"r.txt": "acme==${file:secret.fifo}\n", "secret.fifo": Fifo()}),
    "file-ref-huge": Case(
        "pip-private", ("install", "-r", "r.txt"), "token.bin is larger than 1 MiB",
        {"r.txt": "--index-url https://u:${file:token.bin}@h.example/simple\n",
         "token.bin": Sparse(2 * MIB)}),
    "argument-file-ref-fifo": Case(
        "pip-private", ("install", "acme==${file:secret.fifo}"), "secret.fifo is a FIFO",
        {"secret.fifo": Fifo()}),
    "backend-file-dev-zero": Case(
        "keyring", KEYRING_GET, "${file:/dev/zero}: /dev/zero is a character device",
        env=backend_rule("${file:/dev/zero}"), code=1),
    "backend-file-fifo": Case(
        "keyring", KEYRING_GET, "secret.fifo is a FIFO (named pipe), not a regular file",
        {"secret.fifo": Fifo()}, backend_rule("${file:{project}/secret.fifo}"), code=1),
    "backend-file-huge": Case(
        "keyring", KEYRING_GET, "is larger than 1 MiB", {"token.bin": Sparse(2 * MIB)},
        backend_rule("${file:{project}/token.bin}"), code=1),
    "scan-include-fifo": Case(
        "pip-private", ("scan",), "fifo.txt is a FIFO",
        {"requirements.txt": "-r fifo.txt\n", "fifo.txt": Fifo()}),
    "scan-huge": Case(
        "pip-private", ("scan",), "requirements.txt is larger than 16 MiB",
        {"requirements.txt": Sparse(17 * MIB)}),
    "pin-fifo": Case(
        "pip-private", ("pin", "-r", "fifo.txt"), "requirements file fifo.txt is a FIFO",
        {"fifo.txt": Fifo()}),
    "pin-dev-zero": Case(
        "pip-private", ("pin", "--check", "-r", "/dev/zero"), "is a character device"),
    "poetry-user-file-fifo": Case(
        "poetry", ("source", "auth", "acme", "--token-env", "TOK", "--global"),
        "user.fifo is a FIFO", {"pyproject.toml": SOURCE, "user.fifo": Fifo()},
        {"PRIVATE_PACKAGES_CONFIG": "{project}/user.fifo"}),
    "poetry-user-file-not-utf8": Case(
        "poetry", ("source", "auth", "acme", "--token-env", "TOK", "--global"),
        "config.toml: line 2 is not UTF-8 text", {"pyproject.toml": SOURCE},
        user_config=b"# mine\n# \xe9\n"),
    # --- a path built from a secret is never shown ---
    "secret-path-from-file": Case(
        "pip-private", ("install", "-r", "r.txt"),
        "r.txt:1: requirements file ${file:name.txt} does not exist",
        {"r.txt": "-r ${file:name.txt}\n", "name.txt": "/nonexistent/{canary}.txt\n"}),
    "secret-path-from-env": Case(
        "pip-private", ("render", "-r", "r.txt"),
        "r.txt:1: requirements file /nonexistent/${CANARY}.txt does not exist",
        {"r.txt": "-r /nonexistent/${CANARY}.txt\n"}),
    "secret-path-doctor": Case(
        "pip-private", ("doctor", "--no-probe", "-r", "r.txt"),
        "requirements file /nonexistent/${CANARY}.txt does not exist",
        {"r.txt": "-r /nonexistent/${CANARY}.txt\n"}, one_line=False),
    "secret-path-cycle": Case(
        "pip-private", ("install", "-r", "r.txt"),
        "cycle: r.txt -> ${file:name.txt}",
        {"r.txt": "-r ${file:name.txt}\n", "name.txt": "{project}/sub/../r.txt"}),
    # --- memory files off, and no usable place for rendered files ---
    "xdg-runtime-missing": Case(
        "pip-private", ("install", "-r", "r.txt"),
        "$XDG_RUNTIME_DIR ({tmp}/absent) cannot hold rendered requirements files",
        {"r.txt": "acme==${CANARY}\n"},
        {"PIP_PRIVATE_NO_MEMFD": "1", "XDG_RUNTIME_DIR": "{tmp}/absent"}),
    "xdg-runtime-not-a-dir": Case(
        "pip-private", ("install", "-r", "r.txt"), "cannot hold rendered requirements files: "
        "not a directory", {"r.txt": "acme==${CANARY}\n"},
        {"PIP_PRIVATE_NO_MEMFD": "1", "XDG_RUNTIME_DIR": "{project}/r.txt"}),
    "xdg-runtime-unwritable": Case(
        "pip-private", ("install", "-r", "r.txt"), "cannot create a private directory for "
        "rendered requirements files in $XDG_RUNTIME_DIR (/proc/self)",
        {"r.txt": "acme==${CANARY}\n"},
        {"PIP_PRIVATE_NO_MEMFD": "1", "XDG_RUNTIME_DIR": "/proc/self"}),
    "xdg-runtime-pips-own-python": Case(
        "pip-private", ("install", "-r", "r.txt"), "cannot hold rendered requirements files",
        {"r.txt": "acme==${CANARY}\n"},
        {**PIPS_OWN_PYTHON, "XDG_RUNTIME_DIR": "{tmp}/absent"}),
    # --- Vault inputs (the poetry engineer's #13 items, landed) ---
    "vault-addr-not-a-string": Case(
        "pip-private", ("render", "-r", "r.txt"), "Vault setting addr must be a string",
        {"r.txt": "acme==${vault:secret/ci#v}\n"}, {"VAULT_TOKEN": "{canary}"},
        user_config=b"[vault]\naddr = 5\n"),
    "vault-cacert-missing": Case(
        "pip-private", ("install", "-r", "r.txt"), "VAULT_CACERT",
        {"r.txt": "acme==${vault:secret/ci#v}\n"},
        {"VAULT_ADDR": "https://127.0.0.1:9", "VAULT_TOKEN": "{canary}",
         "VAULT_CACERT": "{tmp}/absent.pem"}),
    "vault-token-not-latin1": Case(
        "pip-private", ("install", "-r", "r.txt"), "VAULT_TOKEN",
        {"r.txt": "acme==${vault:secret/ci#v}\n"},
        {"VAULT_ADDR": "http://127.0.0.1:9", "VAULT_TOKEN": "tok\u20ac{canary}"},
        never=("\u20ac", "\\u20ac", "position")),
    # --- secrets a client cannot carry: named by variable or rule, never the character
    # or where it stands (both are part of the secret) ---
    "variable-not-utf8": Case(
        "pip-private", ("install", "-r", "r.txt"), "r.txt:1: environment variable BYTES "
        "holds bytes that are not UTF-8 text (needed by ${BYTES})",
        {"r.txt": "acme==${BYTES}\n"}, {"BYTES": "tok\udcff{canary}"}, never=("\\x",)),
    "variable-not-utf8-userinfo": Case(
        "pip-private", ("render", "-r", "r.txt"), "environment variable BYTES holds bytes",
        {"r.txt": "--index-url https://ci:${BYTES}@h.example/simple/\n"},
        {"BYTES": "tok\udcff{canary}"}, never=("\\x",)),
    "variable-not-utf8-argument": Case(
        "pip-private", ("install", "--dry-run", "acme==${BYTES}"),
        "command line argument 2: environment variable BYTES holds bytes",
        env={"BYTES": "tok\udcff{canary}"}, never=("\\x",)),
    "backend-variable-not-utf8": Case(
        "keyring", KEYRING_GET, "environment variable BYTES holds bytes that are not UTF-8",
        env={**backend_rule("${BYTES}"), "BYTES": "tok\udcff{canary}"}, code=1),
    "backend-token-not-latin1": Case(
        "keyring", KEYRING_GET, "password of env PRIVATE_PACKAGES_BAD_* holds a character "
        "HTTP Basic authentication cannot carry",
        env={**backend_rule("${TOK}"), "TOK": "tok\u2019{canary}"}, code=1,
        never=("\u2019", "\\u2019", "position")),
    # --- config layers and key types (the trust engineer's #13 items, landed): a layer
    # that cannot be read drops its own rules with one warning, and the command goes on
    # (exit 0) -- an unrelated broken file must not take every credential away ---
    "pyproject-not-utf8": Case(
        "pip-private", ("render", "-r", "r.txt"), "pyproject.toml: not UTF-8 text",
        {"r.txt": "acme\n", "pyproject.toml": b'[project]\nname = "caf\xe9"\n'}, code=0),
    "commands-run-not-a-list": Case(
        "pip-private", ("render", "-r", "r.txt"), "[commands.x]: run must be a non-empty",
        {"r.txt": "acme\n"}, user_config=b"[commands.x]\nrun = 5\n", code=0),
}


def _params() -> list[object]:
    params: list[object] = []
    for name, case in CASES.items():
        marks = [pytest.mark.xfail(strict=True, reason=f"#13 item owned by {case.owner}")
                 ] if case.owner else []
        params.append(pytest.param(case, id=name, marks=marks))
    return params


def fill(text: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def make_files(project: Path, files: Mapping[str, Content], values: Mapping[str, str]) -> None:
    for name, content in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Fifo):
            os.mkfifo(path)
        elif isinstance(content, Sparse):
            with path.open("wb") as fh:
                fh.truncate(content.size)
        elif isinstance(content, bytes):
            path.write_bytes(content.replace(b"{canary}", values["canary"].encode()))
        else:
            path.write_text(fill(content, values), encoding="utf-8")


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under `root`, with size and mtime for files (a directory's mtime only
    says that something came and went). FIFOs are not opened."""
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory) / name
            info = path.lstat()
            found[str(path.relative_to(root))] = (
                (0, 0) if name in dirs else (info.st_size, info.st_mtime_ns))
    return found


def command(case: Case, clients: Clients, poetry_bin: Optional[Path]) -> list[str]:
    if case.tool == "pip-private":
        return [str(clients.pip_python.parent / "pip-private")]
    if case.tool == "keyring":
        return [str(clients.tools_bin / "keyring")]
    assert poetry_bin is not None
    return [str(poetry_bin / "poetry"), "--no-ansi", "--no-interaction"]


@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, clients: Clients, client_env: dict[str, str],
                   tmp_path: Path, home: Path, request: pytest.FixtureRequest) -> None:
    poetry_bin: Optional[Path] = (request.getfixturevalue("poetry_bin")
                                  if case.tool == "poetry" else None)
    canary = make_canary("bad")
    project, tmp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    tmp.mkdir()
    (home / "secret.txt").write_text(canary)
    values = {"canary": canary, "project": str(project), "tmp": str(tmp),
              "python": str(clients.pip_python)}
    make_files(project, case.files, values)
    # PRIVATE_PACKAGES_TRUST=1: the project's files may use every reference; the inputs are
    # the subject here (tests/e2e/test_trust.py is about trust).
    env = {**client_env, "CANARY": canary, "TMPDIR": str(tmp), "PIP_NO_INPUT": "1",
           "GIT_TERMINAL_PROMPT": "0", "PRIVATE_PACKAGES_TRUST": "1"}
    if case.tool == "poetry":
        env.update(POETRY_CACHE_DIR=str(home / "poetry-cache"),
                   POETRY_CONFIG_DIR=str(home / "poetry-config"),
                   POETRY_DATA_DIR=str(home / "poetry-data"))
    if case.user_config is not None:
        user_file = home / ".config" / "private-packages" / "config.toml"
        user_file.parent.mkdir(parents=True)
        user_file.write_bytes(case.user_config)
    env.update({key: fill(value, values) for key, value in case.env.items()})
    before = snapshot(tmp_path)

    result = subprocess.run([*command(case, clients, poetry_bin),
                             *(fill(a, values) for a in case.args)],
                            cwd=project, env=env, capture_output=True, text=True,
                            errors="replace", timeout=TIMEOUT, check=False,
                            **({"input": case.stdin} if case.stdin is not None
                               else {"stdin": subprocess.DEVNULL}))

    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == case.code, output
    says = fill(case.says, values)
    if case.one_line:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and says in lines[0], result.stderr
        if case.tool == "keyring":
            assert lines[0].startswith("private-packages: ") and result.stdout == ""
    else:
        assert says in output, output
    assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr})
    for text in case.never:
        assert text not in output
    after = snapshot(tmp_path)
    leftovers = sorted(set(after) - set(before))
    if case.tool == "poetry":  # poetry's own cache and config directories
        leftovers = [p for p in leftovers if not p.startswith("home/poetry-")]
    assert leftovers == [], "left on disk"
    assert {p: after[p] for p in before} == before, "a file changed"
