"""`poetry source login/logout`: a token in the system keyring, and the rule that reads it.

The token goes to keyring's chosen backend through `keyring.set_password` (our own backend
raises NotImplementedError there, so keyring's chainer moves on to the system store). The
user file then gets a rule whose password is `${keyring:SERVICE#USERNAME}`; nothing else
on disk ever holds the token.

Service name: the source's URL prefix (normalised; `/simple` dropped, as rules do), not
`private-packages:NAME`, and the rule login writes binds that URL (`url = ...`), not the
name. A user-file rule bound by name would hand the token to *any* project whose source
has that name, including a cloned one pointing `private` at someone else's host; bound by
URL, the token only goes where the user logged in. It also reads well in a keychain UI and
matches what `keyring get URL USER` users expect. The cost: after a source changes URL,
log in again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from keyring_backend.config import source_prefix
from keyring_backend.errors import (
    PrivatePackagesError,
    ProviderUnavailable,
    UnresolvedReference,
)
from keyring_backend.providers import ResolveContext
from keyring_backend.references import Reference, parse_template
from keyring_backend.rules import DEFAULT_USERNAME
from keyring_backend.secret import Secret
from keyring_backend.urls import parse_location

from .rule_file import RuleFile, RuleFileError
from .source_rule import UnknownSource, shown


class KeyringUnavailable(PrivatePackagesError):
    """No keyring backend could store, read or delete the token (headless machine...)."""


class EmptyToken(PrivatePackagesError):
    """login read an empty token: nothing is stored."""


@dataclass(frozen=True)
class LoginOutcome:
    """What `login` changed, for printing: no values, only names and references."""

    backend: str
    user_rule: str  # added | updated | unchanged | kept (the user file binds another secret)
    kept_password: Optional[str]  # when kept: the other rule's password as shown
    project_password: Optional[str]  # the project's own rule for the source, as shown


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
        location = parse_location(source_prefix(sources[name]))
        if location is None or location.scheme is None:
            raise RuleFileError(f"source '{name}' has no http(s) URL to log in to")
        if location.scheme == "http" and not location.is_loopback:
            # The loader refuses such a rule without allow_http; say so before storing.
            raise RuleFileError(f"source '{name}' is plain http to {location.host}: a token "
                                "would travel unencrypted; use its https URL")
        self.service = str(location)
        self.user_file = RuleFile.user(user_path)
        self._existing = self.user_file.find(("url", self.service)) or \
            self.user_file.find(("source", name))
        kept = self._existing.get("username") if self._existing else None
        self.username = username or (kept if isinstance(kept, str) else DEFAULT_USERNAME)
        self.reference = self._reference()

    def login(self, token: Secret) -> LoginOutcome:
        """Store the token, then make sure a user-file rule reads it."""
        import keyring
        from keyring.errors import KeyringError

        if not token.reveal():
            raise EmptyToken("no token given: paste it at the prompt, or pipe it on stdin "
                             "with --no-interaction")
        try:
            keyring.set_password(self.service, self.username, token.reveal())
        except (KeyringError, RuntimeError, NotImplementedError) as exc:
            raise self._unavailable("store", exc) from None
        if self._read_back() != token:
            raise KeyringUnavailable(
                f"the token was stored, but {self.reference} reads another value or none "
                f"(another keyring backend answers first?); check with `keyring get "
                f"'{self.service}' '{self.username}'`")
        return LoginOutcome(keyring.get_keyring().name, *self._bind(), self._project_rule())

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
        removed = sum(self.user_file.remove_rules(binding, self.reference)
                      for binding in (("url", self.service), ("source", self.name)))
        if removed:
            self.user_file.save()
        return found, removed

    def _bind(self) -> tuple[str, Optional[str]]:
        existing = self._existing
        password = existing.get("password") if existing else None
        if existing is not None and not _is_login_reference(password, self.service):
            return "kept", _shown(password)
        # Update a rule login wrote earlier where it stands (by URL, or by name if the
        # user rebound it so); otherwise add one bound to the URL (module docstring).
        binding = ("source", self.name) if existing is not None and "source" in existing \
            else ("url", self.service)
        action = self.user_file.set_rule(binding, {"username": self.username,
                                                   "password": self.reference})
        if action != "unchanged":
            self.user_file.save()
        return action, None

    def _project_rule(self) -> Optional[str]:
        rule = self.project.find(("source", self.name)) or self.project.find(("url",
                                                                              self.service))
        return _shown(rule.get("password")) if rule else None

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
        if not self.username or any(c in self.username for c in "#}$"):
            raise RuleFileError("--username for a keyring login cannot be empty or contain "
                                "'#', '}' or '$'")
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


def _shown(password: object) -> Optional[str]:
    if not isinstance(password, str):
        return None
    try:
        return shown(parse_template(password))
    except PrivatePackagesError:
        return "(an invalid value)"
