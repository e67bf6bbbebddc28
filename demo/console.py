"""How the demo prints: numbered steps, indented text, and every command run through `run`,
which stops the demo when the token shows up in a command line or in the output."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

BIN = Path(sys.executable).parent
BOLD, DIM, GREEN, RED, RESET = (("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m")
                                if sys.stdout.isatty() else ("",) * 5)


def step(number: int, text: str) -> None:
    print(f"\n{BOLD}[{number}] {text}{RESET}", flush=True)


def show(text: str) -> None:
    print(textwrap.indent(textwrap.dedent(text).strip("\n"), "    "), flush=True)


def run(argv: list[str], env: dict[str, str], cwd: Path, token: str,
        only: str = "") -> int:
    """Run `argv`, stop on a leak, show the last lines of its output (those holding
    `only`, when given)."""
    if any(token in a for a in argv):
        raise SystemExit(f"{RED}LEAK: the token is in a command line{RESET}")
    shown = " ".join(a if " " not in a else repr(a) for a in argv)
    print(f"    {DIM}$ {shown.replace(str(BIN) + '/', '')}{RESET}", flush=True)
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    output = (proc.stdout + proc.stderr).strip()
    if token in output:  # the whole point: this must never happen
        print(f"{RED}    LEAK: the token appeared in the output{RESET}")
        raise SystemExit(1)
    for line in [line for line in output.splitlines() if only in line][-6:]:
        print(f"    {DIM}| {line}{RESET}")
    return proc.returncode
