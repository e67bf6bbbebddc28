"""`poetry source auth NAME`: bind a source to a username and a secret *reference*.

Writes (or updates in place) the `source = "NAME"` rule in pyproject.toml, or with
`--global` a `url = "<the source's prefix>"` rule in the user file (never by name there:
another project's source of that name may point anywhere). The token itself is never
asked for and never written, unless `--allow-literal` says so. The work is done by
`rule_file.RuleFile`.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, ClassVar, Optional

from cleo.helpers import argument, option
from poetry.console.commands.command import Command

from keyring_backend.config import user_config_path
from keyring_backend.errors import EXIT_CONFIG, PrivatePackagesError
from keyring_backend.references import ENV_NAME
from keyring_backend.registry_presets import PRESET_NAMES, PRESET_OPTIONS

from ..escape import escape
from ..source_rule import write_preset, write_source_rule

if TYPE_CHECKING:
    from cleo.io.inputs.argument import Argument
    from cleo.io.inputs.option import Option

    from keyring_backend.config import Config
_ENV_NAME = re.compile(ENV_NAME)
# Preset options as flags of this command. `--project` is poetry's own global option (the
# project directory), so the registry's project is `--project-id`; `user` is --username.
_PRESET_FLAGS = {("project-id" if key == "project" else key): key
                 for key in PRESET_OPTIONS if key != "user"}


class SourceAuthCommand(Command):
    name = "source auth"
    description = ("Bind a source to a credential reference (an environment variable, a "
                   "Vault field, a file...), never the token itself.")

    arguments: ClassVar[list[Argument]] = [argument("name", "Source name.")]
    options: ClassVar[list[Option]] = [
        option("username", "u", "Username (default: the existing rule's, else __token__); "
               "may be a reference.", flag=False),
        option("password", None, "The password as a reference, e.g. '${ACME_TOKEN}' or "
               "'${file:~/.secrets/acme}'.", flag=False),
        option("token-env", None, "Environment variable holding the token (writes ${VAR}).",
               flag=False),
        option("vault", None, "Vault / OpenBao field PATH#FIELD (writes ${vault:PATH#FIELD}).",
               flag=False),
        option("global", "g", "Write the rule to your user config file, not pyproject.toml."),
        option("allow-literal", None, "Allow a password without any reference (it is then "
               "stored in plain text)."),
        option("preset", None, "Describe the registry instead of writing the URL: "
               f"{', '.join(PRESET_NAMES)}; adds the source when missing.", flag=False),
        option("priority", None, "Priority of a source --preset adds.", flag=False,
               default="primary"),
        *(option(flag, None, f"--preset: {PRESET_OPTIONS[key]}.", flag=False)
          for flag, key in _PRESET_FLAGS.items()),
    ]

    def handle(self) -> int:
        if self.option("preset"):
            return self._handle_preset()
        password = self._password_option()
        if password is None:
            return EXIT_CONFIG
        name: str = self.argument("name")
        user_file = bool(self.option("global"))
        before = None if user_file else self._config_before()
        try:
            written = write_source_rule(
                self.poetry.pyproject_path, name, password, self.option("username"),
                user_file=user_config_path(os.environ) if user_file else None,
                allow_literal=bool(self.option("allow-literal")))
        except PrivatePackagesError as exc:
            self.line_error(f"<error>{escape(str(exc))}</error>")
            return exc.exit_code
        esc = escape
        bound = f" (url {esc(written.url)})" if written.url is not None else ""
        self.line(f"{written.action.capitalize()} {written.file.table_name} for source "
                  f"<c1>{esc(name)}</c1>{bound} in {esc(str(written.file.path))}: username "
                  f"{esc(written.username_shown)}, password {esc(written.password_shown)}")
        for password in written.replaced:
            self.line(f"Replaced the rule bound by name (source = {esc(name)}, password "
                      f"{esc(password)}): a user-file rule binds a url, so a project with "
                      "another source of that name never gets the credential.")
        if not user_file:  # a user-file rule binds a url: nothing in the project changed
            self._record_approval(before, written.file.text())
        if written.literal:
            where = ("your user config file, in plain text" if user_file else
                     "pyproject.toml, which is committed: anyone who can read the repository "
                     "can read it")
            self.line_error(f"<warning>Warning: the password is a literal secret written to "
                            f"{where}; prefer --token-env or --vault.</warning>")
        return 0

    def _password_option(self) -> Optional[str]:
        """Exactly one of --password / --token-env / --vault, as template text."""
        given = {key: self.option(key) for key in ("password", "token-env", "vault")}
        chosen = [key for key, value in given.items() if value is not None]
        if len(chosen) != 1:
            self.line_error("<error>Give exactly one of --password '${VAR}', --token-env VAR "
                            "or --vault PATH#FIELD.</error>")
            return None
        key = chosen[0]
        value = str(given[key])
        if key == "token-env":
            if not _ENV_NAME.fullmatch(value):
                self.line_error("<error>--token-env takes a variable name such as ACME_TOKEN "
                                "(letters, digits and _).</error>")
                return None
            return "${" + value + "}"
        if key == "vault":
            path, sep, field = value.rpartition("#")
            if not (sep and path.strip("/") and field) or "}" in value:
                self.line_error("<error>--vault takes PATH#FIELD, such as "
                                "secret/ci/pypi#token.</error>")
                return None
            return "${vault:" + value + "}"
        return value


    def _handle_preset(self) -> int:
        from keyring_backend.registry_presets import build_preset

        if self.option("password") is not None or self.option("vault") is not None:
            self.line_error("<error>--preset names the token itself (its usual variable, or "
                            "--token-env VAR); drop --password / --vault.</error>")
            return EXIT_CONFIG
        name: str = self.argument("name")
        given = {key: self.option(flag) for flag, key in _PRESET_FLAGS.items()}
        given["user"] = self.option("username")
        user_file = bool(self.option("global"))
        before = self._config_before()  # a preset may add a source to pyproject.toml
        try:
            preset = build_preset(self.option("preset"),
                                  {k: str(v) for k, v in given.items() if v},
                                  self.option("token-env"))
            written = write_preset(self.poetry.pyproject_path, name, preset,
                                   user_file=user_config_path(os.environ) if user_file
                                   else None, priority=str(self.option("priority")))
        except PrivatePackagesError as exc:
            self.line_error(f"<error>{escape(str(exc))}</error>")
            return exc.exit_code
        if written.source_added:
            self.line(f"Added source <c1>{escape(name)}</c1>: "
                      f"{escape(written.source_url)}")
        rule = written.rule
        self.line(f"{rule.action.capitalize()} {rule.file.table_name} for "
                  f"{escape(preset.rule_url)} in "
                  f"{escape(str(rule.file.path))}: username "
                  f"{escape(rule.username_shown)}, password "
                  f"{escape(rule.password_shown)}")
        if written.command:
            self.line(f"Command <c1>{escape(written.command)}</c1> in the same file "
                      "mints the token when a client asks.")
        for note in preset.notes:
            self.line(f"Note: {escape(note)}")
        if written.project is not None:  # a preset may add a source to pyproject.toml
            self._record_approval(before, written.project.text())
        return 0

    def _config_before(self) -> Config:
        from keyring_backend.config import load_config

        return load_config(os.environ, self.poetry.pyproject_path.parent)

    def _record_approval(self, before: Optional[Config], written: str) -> None:
        """What you write into the project is your consent to it (approval.py: never to
        content you had not approved before): exactly the text written, not the file read
        again, and the line says what that sends where."""
        from keyring_backend.approval import approve_written

        note = approve_written(os.environ, self.poetry.pyproject_path, before,
                               written.encode("utf-8"))
        if note is not None:
            self.line(f"{escape(note)}.")
