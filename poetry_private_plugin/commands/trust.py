"""`poetry source trust [DIR] [--yes] [--list] [--revoke]`: cleo wiring for the same
function as `pip-private trust` (keyring_backend/approval.py). DIR defaults to this
project's directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from cleo.helpers import argument, option
from poetry.console.commands.command import Command

if TYPE_CHECKING:
    from cleo.io.inputs.argument import Argument
    from cleo.io.inputs.option import Option
    from cleo.io.io import IO

HELP = """\
A project's <comment>[[tool.private-packages.credentials]]</> rules, its vault settings,
every rule bound to one of its sources by name, and the ${file:}, ${vault:} and
${keyring:} references of its requirements files are used only in a trusted project: in CI
(CI=true or a CI's own marker), with PRIVATE_PACKAGES_TRUST=1, or once you approved what it
sends where. This command prints exactly that (destinations and references, never a value)
and asks; a later change of destination or reference needs a new approval.

Exit codes: 0 trusted (or listed, revoked); 1 the answer was no; 2 a usage error.
"""


class SourceTrustCommand(Command):
    name = "source trust"
    description = "Approve this project's credential rules (what it sends where)."
    help = HELP

    arguments: ClassVar[list[Argument]] = [
        argument("directory", "The project directory (default: this project's).",
                 optional=True),
    ]
    options: ClassVar[list[Option]] = [
        option("yes", "y", "Approve without asking."),
        option("list", None, "List every approval and whether it still holds."),
        option("revoke", None, "Forget the approval of the project."),
    ]

    def handle(self) -> int:
        from keyring_backend.approval import TrustOptions, run_trust
        from keyring_backend.errors import PrivatePackagesError

        given = self.argument("directory")
        listing = bool(self.option("list"))
        directory = Path(given) if given else None if listing else self._project_dir()
        options = TrustOptions(directory, bool(self.option("yes")), listing,
                               bool(self.option("revoke")))
        try:
            return run_trust(options, _Lines(self.io, error=False), _Lines(self.io, error=True),
                             self.io.input.stream or sys.stdin, os.environ, Path.cwd())
        except PrivatePackagesError as exc:
            from ..escape import escape

            self.line_error(f"<error>{escape(str(exc))}</error>")
            return exc.exit_code

    def _project_dir(self) -> Path:
        return Path(self.poetry.pyproject_path).parent


class _Lines:
    """A text stream over cleo's IO, so the shared function prints through poetry (its
    text is plain: printable, every `<` escaped, never read as a cleo tag)."""

    def __init__(self, io: IO, *, error: bool) -> None:
        self._io = io
        self._error = error

    def write(self, text: str) -> int:
        from ..escape import escape_lines

        escaped = escape_lines(text)
        if self._error:
            self._io.write_error(escaped)
        else:
            self._io.write(escaped)
        return len(text)

    def flush(self) -> None:
        self._io.flush()
