"""`pip-private trust [DIR] [--yes] [--list] [--revoke [DIR]]`: approve a project, so its
rules, vault settings and requirements-file references apply (keyring_backend/approval.py
does the work; `poetry source trust` calls the same function).

Exit codes: 0 approved (or listed, revoked); 1 the answer was no (or stdin ended before
one); 2 a usage error or a trust state file that cannot be used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TextIO

from keyring_backend.errors import EXIT_CONFIG, ConfigError

if TYPE_CHECKING:
    from keyring_backend.approval import TrustOptions

USAGE = """\
usage: pip-private trust [DIR] [--yes]      approve the project in DIR (default: here)
       pip-private trust --list             every approval, and whether it still holds
       pip-private trust --revoke [DIR]     forget an approval

A project's pyproject.toml rules and vault settings, and the ${file:}, ${vault:} and
${keyring:} references of its requirements files, are used only in a trusted project: in
CI (CI=true or a CI's own marker), with PRIVATE_PACKAGES_TRUST=1, or once you approved what
it sends where. A change of destination or reference needs a new approval.
"""


def main(args: Sequence[str], stdout: TextIO, stderr: TextIO, stdin: TextIO,
         cwd: Optional[Path] = None) -> int:
    from keyring_backend.approval import run_trust

    try:
        options = parse(args)
        if options is None:
            stdout.write(USAGE)
            return 0
        return run_trust(options, stdout, stderr, stdin, os.environ, cwd or Path.cwd())
    except ConfigError as exc:
        from keyring_backend.printable import printable

        stderr.write(f"pip-private trust: error: {printable(str(exc))}\n")
        return EXIT_CONFIG


def parse(args: Sequence[str]) -> Optional[TrustOptions]:
    """The options, or None for --help; ConfigError for anything else."""
    from keyring_backend.approval import TrustOptions

    options = TrustOptions()
    for arg in args:
        if arg in ("-h", "--help"):
            return None
        if arg in ("-y", "--yes"):
            options.yes = True
        elif arg == "--list":
            options.list = True
        elif arg == "--revoke":
            options.revoke = True
        elif arg.startswith("-"):
            raise ConfigError(f"unknown option {arg}; see pip-private trust --help")
        elif options.directory is not None:
            raise ConfigError("give one directory")
        else:
            options.directory = Path(arg)
    if options.list and (options.revoke or options.directory is not None):
        raise ConfigError("--list takes no directory and no --revoke")
    return options
