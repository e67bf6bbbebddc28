"""`poetry source login NAME` / `poetry source logout NAME`: a token in the system keyring.

login reads the token from a terminal with echo off (with --no-interaction too: a terminal
shows what it echoes), or one line of piped stdin (CI, scripts), never echoes it, and has
`keyring_store.SourceKeyring` store it and write the user-file rule that reads it back.
logout undoes both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Optional, TextIO

from cleo.helpers import argument, option
from poetry.console.commands.command import Command

from keyring_backend.config import user_config_path
from keyring_backend.errors import PrivatePackagesError
from keyring_backend.secret import Secret

from ..escape import escape
from ..keyring_store import LoginOutcome, SourceKeyring

if TYPE_CHECKING:
    from cleo.io.inputs.argument import Argument
    from cleo.io.inputs.option import Option

_ARGUMENTS: list[Argument] = [argument("name", "Source name.")]
_USERNAME = option("username", "u", "Username (default: the one logged in before, else "
                   "__token__).", flag=False)


class _SourceKeyringCommand(Command):
    def source_keyring(self) -> SourceKeyring:
        project: Path = self.poetry.pyproject_path
        username: Optional[str] = self.option("username")
        return SourceKeyring(project, self.argument("name"), user_config_path(os.environ),
                             username)

    def fail(self, exc: PrivatePackagesError) -> int:
        self.line_error(f"<error>{escape(str(exc))}</error>")
        return exc.exit_code


class SourceLoginCommand(_SourceKeyringCommand):
    name = "source login"
    description = ("Store a source's token in the system keyring and point your user config "
                   "at it.")
    arguments: ClassVar[list[Argument]] = _ARGUMENTS
    options: ClassVar[list[Option]] = [_USERNAME]

    def handle(self) -> int:
        try:
            entry = self.source_keyring()
            outcome = entry.login(self._read_token(entry.name))
        except PrivatePackagesError as exc:
            return self.fail(exc)
        self._report(entry, outcome)
        return 0

    def _read_token(self, name: str) -> Secret:
        stream = self.io.input.stream
        if stream.isatty():
            # Hidden whatever -n says: a terminal shows what it echoes.
            prompt = f"Token for source {name}: "
            return Secret(read_hidden(stream, prompt).rstrip("\r\n"))
        # Piped (CI, scripts): exactly one line; only the line break is not the token's.
        return Secret(stream.readline().rstrip("\r\n"))

    def _report(self, entry: SourceKeyring, outcome: LoginOutcome) -> None:
        esc = escape
        reference = esc(entry.reference_shown)
        self.line(f"Stored the token for source <c1>{esc(entry.name)}</c1> in keyring "
                  f"backend {esc(outcome.backend)} (service {esc(entry.service)}, username "
                  f"{esc(entry.username_shown)}).")
        path = esc(str(entry.user_file.path))
        if outcome.user_rule == "added":
            self.line(f"Added a rule to {path}: url = {esc(entry.service)}, password = "
                      f"{reference}.")
        elif outcome.user_rule == "updated":
            self.line(f"Updated the rule for {esc(entry.service)} in {path} to read "
                      f"{reference}.")
        elif outcome.user_rule == "unchanged":
            self.line(f"The rule in {path} already reads {reference}.")
        else:
            self.line_error(
                f"<warning>{path} already binds {esc(entry.service)} to password "
                f"{esc(outcome.kept_password or '?')}; left as it is, so that is what is used, "
                f"not the keyring token. To use the token, set that rule's password to "
                f"{reference}.</warning>")
        for password in outcome.replaced:
            self.line(f"Replaced the rule bound by name (source = {esc(entry.name)}, password "
                      f"{esc(password)}): a user-file rule binds a url, so a project with "
                      "another source of that name never gets the token.")
        if outcome.project_password is not None:
            self.line_error(
                f"<warning>{esc(str(entry.project.path))} has its own rule for "
                f"{esc(entry.name)} (password {esc(outcome.project_password)}): it takes "
                "precedence over your user config.</warning>")


def read_hidden(stream: TextIO, prompt: str) -> str:
    """One line from a terminal with echo off (restored even on Ctrl-C); the prompt and the
    line break go to stderr. getpass would read /dev/tty, which need not be `stream`."""
    try:
        import termios
    except ImportError:  # Windows: getpass reads the console without echo
        import getpass

        return getpass.getpass(prompt)
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    quiet = termios.tcgetattr(fd)
    quiet[3] &= ~termios.ECHO  # lflags
    try:
        # Echo off before the prompt: what is typed once the prompt shows is never echoed.
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        sys.stderr.write(prompt)
        sys.stderr.flush()
        return stream.readline()
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
        sys.stderr.write("\n")
        sys.stderr.flush()


class SourceLogoutCommand(_SourceKeyringCommand):
    name = "source logout"
    description = "Delete a source's token from the system keyring and the rule login added."
    arguments: ClassVar[list[Argument]] = _ARGUMENTS
    options: ClassVar[list[Option]] = [_USERNAME]

    def handle(self) -> int:
        try:
            entry = self.source_keyring()
            found, removed = entry.logout()
        except PrivatePackagesError as exc:
            return self.fail(exc)
        esc = escape
        where = f"(service {esc(entry.service)}, username {esc(entry.username_shown)})"
        if found:
            self.line(f"Deleted the token for source <c1>{esc(entry.name)}</c1> from the "
                      f"keyring {where}.")
        else:
            self.line(f"No token for source <c1>{esc(entry.name)}</c1> in the keyring {where}; "
                      "nothing to delete.")
        if removed:
            self.line(f"Removed the rule login added from {esc(str(entry.user_file.path))}.")
        return 0
