"""`poetry source login NAME` / `poetry source logout NAME`: a token in the system keyring.

login reads the token with hidden input (or one line of stdin with --no-interaction or no
tty, so CI and scripts can pipe it), never echoes it, and has `keyring_store.SourceKeyring`
store it and write the user-file rule that reads it back. logout undoes both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Optional

from cleo.formatters.formatter import Formatter
from cleo.helpers import argument, option
from poetry.console.commands.command import Command

from keyring_backend.config import user_config_path
from keyring_backend.errors import PrivatePackagesError
from keyring_backend.secret import Secret

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
        self.line_error(f"<error>{Formatter.escape(str(exc))}</error>")
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
        if self.io.is_interactive() and sys.stdin.isatty():
            answer = self.secret(f"Token for source <c1>{Formatter.escape(name)}</c1>:")
            return Secret(str(answer or "").strip("\r\n"))
        # Piped (CI, scripts): exactly one line; only the line break is not the token's.
        return Secret(self.io.input.stream.readline().rstrip("\r\n"))

    def _report(self, entry: SourceKeyring, outcome: LoginOutcome) -> None:
        esc = Formatter.escape
        self.line(f"Stored the token for source <c1>{esc(entry.name)}</c1> in keyring "
                  f"backend {esc(outcome.backend)} (service {esc(entry.service)}, username "
                  f"{esc(entry.username)}).")
        path = esc(str(entry.user_file.path))
        if outcome.user_rule == "added":
            self.line(f"Added a rule to {path}: url = {esc(entry.service)}, password = "
                      f"{esc(entry.reference)}.")
        elif outcome.user_rule == "updated":
            self.line(f"Updated the rule in {path} to read {esc(entry.reference)}.")
        elif outcome.user_rule == "unchanged":
            self.line(f"The rule in {path} already reads {esc(entry.reference)}.")
        else:
            self.line_error(
                f"<warning>{path} already binds this source to password "
                f"{esc(outcome.kept_password or '?')}; left as it is, so that is what is used, "
                f"not the keyring token. To use the token, set that rule's password to "
                f"{esc(entry.reference)}.</warning>")
        if outcome.project_password is not None:
            self.line_error(
                f"<warning>{esc(str(entry.project.path))} has its own rule for "
                f"{esc(entry.name)} (password {esc(outcome.project_password)}): it takes "
                "precedence over your user config.</warning>")


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
        esc = Formatter.escape
        where = f"(service {esc(entry.service)}, username {esc(entry.username)})"
        if found:
            self.line(f"Deleted the token for source <c1>{esc(entry.name)}</c1> from the "
                      f"keyring {where}.")
        else:
            self.line(f"No token for source <c1>{esc(entry.name)}</c1> in the keyring {where}; "
                      "nothing to delete.")
        if removed:
            self.line(f"Removed the rule login added from {esc(str(entry.user_file.path))}.")
        return 0
