"""Decide whether pip-private adds `--keyring-provider import` to a pip command.

pip asks keyring only after a 401, and its default `auto` provider skips keyring entirely
under `--no-input` (pip's `network/auth.py`). CI runs pip non-interactively, so rule
credentials would silently not be used there. pip-private therefore passes
`--keyring-provider import` (and `PIP_KEYRING_PROVIDER=import` in pip's environment, which
the `pip install` pip runs for build dependencies reads) -- unless the user chose a
provider themselves (on the command line, in `PIP_KEYRING_PROVIDER`, or in a pip config
file) or our backend is not importable in pip's interpreter (then `import` would find no
rules and only disable `subprocess`; interpreter.py tells).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

#: Commands that talk to an index, so a keyring provider matters.
NETWORK_COMMANDS = frozenset({"install", "download", "wheel", "lock", "index", "list"})
_KEYS = ("keyring-provider",)


def user_chose_provider(args: Sequence[str], env: Mapping[str, str], command: str,
                        pip_prefix: Path) -> bool:
    """True when the command line, the environment or a pip config file sets a provider."""
    return chosen_provider(args, env, command, pip_prefix) is not None


def chosen_provider(args: Sequence[str], env: Mapping[str, str], command: str,
                    pip_prefix: Path) -> Optional[str]:
    """The provider the user chose (`import`, `subprocess`...), or None."""
    for index, arg in enumerate(args):
        if arg == "--keyring-provider":
            return args[index + 1] if index + 1 < len(args) else ""
        if arg.startswith("--keyring-provider="):
            return arg.partition("=")[2]
    from .pip_config import config_values, is_isolated

    isolated = is_isolated(args, env)
    if not isolated and env.get("PIP_KEYRING_PROVIDER"):
        return env["PIP_KEYRING_PROVIDER"]
    return config_values(env, pip_prefix, isolated, command, _KEYS).get(_KEYS[0])


def is_own_interpreter(python: str) -> bool:
    """Whether `python` is the interpreter running pip-private, in the same environment.
    Resolving symlinks alone is not enough: every venv's `bin/python` links to the same
    base interpreter, yet each venv has its own site-packages (its own pip, keyring...)."""
    mine = Path(sys.executable).absolute()
    theirs = Path(python).absolute()
    return theirs.parent == mine.parent and os.path.realpath(theirs) == os.path.realpath(mine)


def pip_prefix(python: str) -> Path:
    """`sys.prefix` of pip's interpreter: ours, or the venv that holds `python`."""
    if is_own_interpreter(python):
        return Path(sys.prefix)
    return Path(python).absolute().parent.parent


def can_prompt() -> bool:
    """Whether pip could ask its `User for HOST:` question and get an answer: only with a
    terminal on stdin. Elsewhere (CI, a pipe, /dev/null) pip's prompt dies of EOFError with
    a traceback; with `PIP_NO_INPUT` it reports the 401 in one line instead, and the
    `import` provider pip-private chose still asks the backend (only `auto` skips keyring
    under --no-input)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # stdin closed
        return False
