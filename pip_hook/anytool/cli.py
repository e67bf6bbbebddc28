"""`private-packages`: the console script. `run` for any tool (command.py), and the verbs
of `pip-private` through its own dispatch table (`render`, `doctor`, `scan`, `pin`,
`preset`, and `trust`), so one name does everything.

Our own failures print one line, `private-packages: error: ...`, and exit 2 (usage or
configuration) or 3 (an index refused access); `run` exits with the command's own code.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Optional

from keyring_backend.errors import EXIT_CONFIG, PrivatePackagesError

USAGE = """\
usage: private-packages run [--print-env] [--] COMMAND [ARGS...]
       private-packages render|doctor|scan|pin|preset|trust [ARGS...]
       private-packages --version | --help

run      run any command (uv, poetry, hatch, pdm, twine, pip, pipenv, tox, nox...) with
         the credentials it will need, in the form that tool reads; output masked
render, doctor, scan, pin, preset, trust
         as `pip-private VERB` (pip-private VERB --help)
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    from pip_hook.cli import console

    return console(_dispatch, argv, "private-packages")


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        (sys.stdout if args else sys.stderr).write(USAGE)
        return 0 if args else EXIT_CONFIG
    if args[0] == "--version":
        from importlib.metadata import version

        print(f"private-packages {version('private-packages')}")
        return 0
    if args[0] == "run":
        from .command import run_command

        return run_command(args[1:], sys.stdout, sys.stderr)
    from pip_hook.cli import VERBS

    verb = VERBS.get(args[0])
    if verb is None:
        raise PrivatePackagesError(f"unknown command {args[0]!r}; "
                                   "try `private-packages --help`")
    return verb(args[1:])


if __name__ == "__main__":
    sys.exit(main())
