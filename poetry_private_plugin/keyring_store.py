"""`poetry source login/logout`: a token in the system keyring, and the rule that reads it.

The token goes to the backend `keyring.set_password` would pick (our own stores nothing, so
keyring's chainer moves on to the system store), and only when that backend is a real
secret store: a plaintext or file-based keyring is refused before anything is written
(keyring_target.py). The user file then gets a rule whose password is
`${keyring:SERVICE#USERNAME}`; nothing else on disk ever holds the token.

Service name: the source's URL prefix (normalised; `/simple` dropped, as rules do), not
`private-packages:NAME`, and the rule login writes binds that URL (`url = ...`), not the
name. A user-file rule bound by name would hand the token to *any* project whose source
has that name, including a cloned one pointing `private` at someone else's host; bound by
URL, the token only goes where the user logged in (the loader refuses by-name user rules
for that reason, and login replaces one it finds). It also reads well in a keychain UI and
matches what `keyring get URL USER` users expect. The cost: after a source changes URL,
log in again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from keyring_backend.errors import (
    PrivatePackagesError,
    ProviderUnavailable,
    UnresolvedReference,
)
from keyring_backend.files import locked
from keyring_backend.providers import ResolveContext
from keyring_backend.references import Reference, parse_template
from keyring_backend.rules import DEFAULT_USERNAME
from keyring_backend.secret import Secret

from .keyring_target import KeyringUnavailable, store_token
from .rule_file import RuleFile, RuleFileError
from .source_rule import (
    UnknownSource,
    drop_name_rules,
    shown_text,
    shown_username,
    source_url,
)


class EmptyToken(PrivatePackagesError):
    """login read an empty token: nothing is stored."""


@dataclass(frozen=True)
class LoginOutcome:
    """What `login` changed, for printing: no values, only names and references."""

    backend: str
    # added | updated | unchanged | kept (the user file binds another secret to the URL)
    user_rule: str
    kept_password: Optional[str]  # when kept: the other rule's password as shown
    project_password: Optional[str]  # the project's own rule for the source, as shown
    replaced: tuple[str, ...] = ()  # passwords (as shown) of by-name user rules replaced


class SourceKeyring:
    """The keyring entry and user-file rule of one project source."""

    def __init__(self, project_path: Path, name: str, user_path: Path,
                 username: Optional[str] = None) -> None:
        self.project = RuleFile.project(project_path)
        sources = self.project.sources()
        if name not in sources:
            raise UnknownSource(f"no source named '{name}' in {project_path} (known: "
                                f"{', '.join(sorted(sources)) or 'none'}); check the spelling")
        self.name = name
        self.service = source_url(name, sources[name])
        self.user_file = RuleFile.user(user_path)
        # A by-name rule is only read for its username: login rebinds it to the URL.
        existing = self.user_file.find(("url", self.service)) or \
            self.user_file.find(("source", name))
        kept = existing.get("username") if existing else None
        self.username, self.rule_username = self._usernames(username, kept)
        self.reference = self._reference()

    @property
    def username_shown(self) -> str:
        from keyring_backend.probe import display_username  # probe pulls in http

        return display_username(self.username)

    @property
    def reference_shown(self) -> str:
        """The reference as it may be printed: the username in it may be a token."""
        return "${keyring:" + self.service + "#" + self.username_shown + "}"

    def login(self, token: Secret) -> LoginOutcome:
        """Store the token, then make sure a user-file rule reads it."""
        if not token.reveal():
            raise EmptyToken("no token given: paste it at the prompt, or pipe it on stdin "
                             "with --no-interaction")
        # Refuses a plaintext or file keyring before anything is written (keyring_target).
        backend = store_token(self.service, self.username, token.reveal(), self.name)
        if self._read_back() != token:
            raise KeyringUnavailable(
                f"the token was stored, but {self.reference} reads another value or none "
                f"(another keyring backend answers first?); check with `keyring get "
                f"'{self.service}' '{self.username}'`")
        action, kept, replaced = self._bind()
        return LoginOutcome(backend, action, kept, self._project_rule(), replaced)

    def logout(self) -> tuple[bool, int]:
        """Delete the keyring entry and the rule login wrote: (entry found, rules removed)."""
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        found = self._read_back() is not None
        if found:
            try:
                keyring.delete_password(self.service, self.username)
            except PasswordDeleteError:
                found = False
            except (KeyringError, RuntimeError, NotImplementedError) as exc:
                raise self._unavailable("delete", exc) from None
        with locked(self.user_file.path):
            self.user_file = RuleFile.user(self.user_file.path)  # as it is now, under lock
            removed = sum(self.user_file.remove_rules(binding, self.reference)
                          for binding in (("url", self.service), ("source", self.name)))
            if removed:
                self.user_file.save()
        return found, removed

    def _bind(self) -> tuple[str, Optional[str], tuple[str, ...]]:
        """Add or update the user-file rule, read and rewritten under the file's lock so
        parallel logins each keep theirs."""
        with locked(self.user_file.path):
            self.user_file = RuleFile.user(self.user_file.path)
            return self._bind_locked()

    def _bind_locked(self) -> tuple[str, Optional[str], tuple[str, ...]]:
        existing = self.user_file.find(("url", self.service))
        password = existing.get("password") if existing else None
        if existing is not None and not _is_login_reference(password, self.service):
            return "kept", shown_text(password) if isinstance(password, str) else None, ()
        # A `source = NAME` rule is never honoured from the user file (module docstring):
        # the URL rule replaces it.
        replaced = tuple(drop_name_rules(self.user_file, self.name))
        action = self.user_file.set_rule(("url", self.service),
                                         {"username": self.rule_username,
                                          "password": self.reference})
        if action != "unchanged" or replaced:
            self.user_file.save()
        return action, None, replaced

    def _usernames(self, typed: Optional[str], kept: object) -> tuple[str, str]:
        """(the keyring entry's username, the rule's). Only what the user typed is checked
        as typed; a rule's username that is a reference (`${GL_USER}`) stays the rule's,
        but cannot name a keyring entry, so --username must."""
        if typed is not None:
            if not _names_an_entry(typed):
                raise RuleFileError("--username for a keyring login cannot be empty or "
                                    "contain '#', '}' or '$'")
            if ":" in typed:
                from keyring_backend.rules import COLON_IN_USERNAME

                raise RuleFileError(f"--username: {COLON_IN_USERNAME}")
            return typed, kept if isinstance(kept, str) and _has_reference(kept) else typed
        if not isinstance(kept, str) or not kept:
            return DEFAULT_USERNAME, DEFAULT_USERNAME
        if _names_an_entry(kept):
            return kept, kept
        raise RuleFileError(
            f"the rule for source '{self.name}' in {self.user_file.path} has username "
            f"{shown_username(kept)}, which cannot name a keyring entry; give --username "
            "NAME for the entry (the rule keeps its username)")

    def _project_rule(self) -> Optional[str]:
        rule = self.project.find(("source", self.name)) or self.project.find(("url",
                                                                              self.service))
        password = rule.get("password") if rule else None
        return shown_text(password) if isinstance(password, str) else None

    def _read_back(self) -> Optional[Secret]:
        """The token as `${keyring:...}` will read it (the other backends, never ours)."""
        from keyring_backend.providers.keyring_source import resolve

        ref = self._parsed()
        try:
            return Secret(resolve(ref, ResolveContext(os.environ, f"source '{self.name}'")))
        except ProviderUnavailable as exc:
            raise KeyringUnavailable(str(exc)) from None
        except UnresolvedReference:
            return None

    def _reference(self) -> str:
        reference = "${keyring:" + self.service + "#" + self.username + "}"
        parsed = parse_template(reference).references
        if len(parsed) != 1 or (parsed[0].target, parsed[0].username) != (self.service,
                                                                          self.username):
            raise RuleFileError(f"the source URL of '{self.name}' cannot be written as a "
                                "keyring reference (it holds '}' or '#')")
        return reference

    def _parsed(self) -> Reference:
        return parse_template(self.reference).references[0]

    def _unavailable(self, verb: str, exc: BaseException) -> KeyringUnavailable:
        # The type only: a backend's message is not ours to vouch for.
        return KeyringUnavailable(
            f"keyring could not {verb} the token ({type(exc).__name__}); on a machine "
            "without a keyring use `poetry source auth` with --token-env or --vault")


def _is_login_reference(password: object, service: str) -> bool:
    return isinstance(password, str) and password.startswith("${keyring:" + service + "#") \
        and password.endswith("}") and password.count("${") == 1


def _names_an_entry(username: str) -> bool:
    """Whether `${keyring:SERVICE#USERNAME}` can carry this username."""
    return bool(username) and not any(c in username for c in "#}$")


def _has_reference(text: str) -> bool:
    try:
        return bool(parse_template(text).references)
    except PrivatePackagesError:
        return False
