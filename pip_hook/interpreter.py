"""Which interpreter pip runs in, what it can do, and how pip-private starts it.

pip runs in pip-private's own interpreter, in `--python PATH`, or -- when pip itself is
told `--python X` / `PIP_PYTHON=X` -- it re-executes itself in X. What matters for binding
credentials (issue 12) is the interpreter that finally sends pip's requests:
- whether it can import our backend (`backend`): then pip asks the backend for every
  credential, URL credentials are lifted out of pip's arguments (lifting.py), and the
  guard checks pip's requests (guard.py);
- whether its pip installs build dependencies in its own process (pip >= 25.2,
  `supports_inprocess_build_deps`): then no nested `pip install` gets the index URLs.

A child pip starts through bootstrap.py (a file, so the working directory is never on
sys.path: a cloned `pip/` or `keyring/` there is never imported). The probe of another
interpreter runs that same file.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

from keyring_backend.records import record

BOOTSTRAP = str(Path(__file__).with_name("bootstrap.py"))


@record(frozen=True)
class Interpreter:
    python: str
    backend: bool
    own: bool = False  # pip-private's own interpreter
    keyring: bool = False  # keyring itself is importable (pip's `auto` provider imports it)


def probe(python: str) -> Interpreter:
    """What `python` can do (module docstring); one short child process unless it is
    pip-private's own interpreter, where the installed distribution answers."""
    from .provider_choice import is_own_interpreter

    if is_own_interpreter(python):
        from importlib.util import find_spec

        keyring = find_spec("keyring") is not None
        return Interpreter(python, keyring and find_spec("keyring_backend") is not None,
                           own=True, keyring=keyring)
    try:
        done = subprocess.run([python, BOOTSTRAP, "--probe"], capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return Interpreter(python, backend=False)
    lines = done.stdout.splitlines()
    return Interpreter(python, "backend=1" in lines, keyring="keyring=1" in lines)


def supports_inprocess_build_deps(interpreter: Interpreter) -> bool:
    """Whether its pip has `--use-feature inprocess-build-deps` (pip >= 25.2). Asked only
    when needed: importing pip's option tables takes a while."""
    feature = "inprocess-build-deps"
    if interpreter.own:
        from .bootstrap import pip_has_feature

        return pip_has_feature(feature)
    try:
        done = subprocess.run([interpreter.python, BOOTSTRAP, "--has-feature", feature],
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def final_python(python: str, pip_python: Optional[str], env: Mapping[str, str]) -> str:
    """The interpreter pip's requests leave from: `pip_python` (pip's own `--python`), else
    `PIP_PYTHON`, resolved the way pip resolves them (a venv directory means its
    bin/python), else `python`."""
    chosen = pip_python or env.get("PIP_PYTHON")
    if not chosen:
        return python
    if os.path.isdir(chosen):
        for exe in ("bin/python", "Scripts/python.exe"):
            candidate = os.path.join(chosen, exe)
            if os.path.exists(candidate):
                return candidate
    return chosen


def child_argv(python: str, args: Sequence[str], *, guard: bool) -> list[str]:
    """`python -m pip ARGS`, started safely (module docstring)."""
    return [python, BOOTSTRAP, *(["--guard"] if guard else []), *args]


@record(frozen=True)
class Plan:
    """How pip-private runs one pip command, from what its interpreter allows."""

    interpreter: Optional[Interpreter]  # None: the command talks to no index
    provider: tuple[str, ...] = ()  # `--keyring-provider import` when we choose it
    lift: bool = False  # take URL credentials out of pip's arguments (lifting.py)
    # pip may run a `keyring` command with an index URL in its argv: the user chose the
    # `subprocess` provider, or `auto` where keyring itself cannot be imported
    keyring_command: bool = False


def plan_for(python: str, args: Sequence[str], command: Optional[str]) -> Plan:
    """Lift credentials and choose the import provider only where pip will ask our
    backend: it is importable there, and the user chose no other provider."""
    from .provider_choice import NETWORK_COMMANDS, chosen_provider, pip_prefix

    if command not in NETWORK_COMMANDS:
        return Plan(None)
    interpreter = probe(python)
    chosen = chosen_provider(args, os.environ, command, pip_prefix(python))
    command_line = chosen == "subprocess" or (chosen in (None, "auto")
                                              and not interpreter.keyring)
    if not interpreter.backend:
        return Plan(interpreter, keyring_command=command_line)
    provider = ("--keyring-provider", "import") if chosen is None else ()
    return Plan(interpreter, provider, lift=chosen in (None, "import"),
                keyring_command=command_line and not provider)
