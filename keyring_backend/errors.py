"""One small exception hierarchy: a base class and one subclass per situation a user can fix.

Every message names *what* failed and *where* (file:line, rule, reference) and what to do
next. No message ever carries a secret value: messages name references, rules, providers
and hosts only.
"""

from __future__ import annotations

from typing import Optional

#: Exit code for a usage or configuration error (DESIGN.md "Exit codes").
EXIT_CONFIG = 2
#: Exit code for a credential a server rejected.
EXIT_REJECTED = 3


class PrivatePackagesError(Exception):
    """Base class of every error private-packages raises on purpose."""

    exit_code = EXIT_CONFIG


class ConfigError(PrivatePackagesError):
    """A configuration file or an env-defined rule is invalid (bad TOML, missing key...).

    `entry` is the broken rule's `source` and/or `url` as written (config.py sets it when
    it has them), so a caller can tell whether the error concerns a source it needs; None
    for an error that names no rule (a whole file unreadable).
    """

    entry: Optional[dict[str, str]] = None


class ReferenceSyntaxError(PrivatePackagesError):
    """A `${...}` reference is malformed; `position` is its 1-based column in the text."""

    def __init__(self, message: str, position: int, where: str = "") -> None:
        self.position = position
        self.where = where
        place = f"{where}, column {position}" if where else f"column {position}"
        super().__init__(f"{place}: {message}")


class UnresolvedReference(PrivatePackagesError):
    """A reference is well formed but its provider has no value for it.

    Examples: an unset environment variable, a missing file, a Vault path that does not
    exist. The message names the reference and where it stands, never a value.
    """


class UntrustedReference(UnresolvedReference):
    """A file of an untrusted project (a requirements file) holds a reference that would
    read your secrets (`${file:}`, `${vault:}`, `${keyring:}`): trust the project first."""


class BrokenSecret(UnresolvedReference):
    """A secret holds what a client cannot carry: bytes that are not UTF-8 in a variable, a
    character an HTTP Basic header cannot hold. The message names the reference or the
    rule, never the character or where it stands: those are part of the secret."""


class ProviderUnavailable(UnresolvedReference):
    """A provider could not be reached or used (Vault down or sealed, hvac not installed...)."""


class PermissionDenied(UnresolvedReference):
    """A provider refused access (Vault policy, unreadable file)."""


class CommandFailed(UnresolvedReference):
    """A `${cmd:NAME}` command failed, timed out or is not defined in the user config."""


class CredentialRejected(PrivatePackagesError):
    """A server answered 401 or 403 to a request that carried a credential: the token is
    wrong, expired, or lacks the scope (e.g. GitLab's `read_api`). The message names the
    host and the rule, never the value."""

    exit_code = EXIT_REJECTED


class IndexUnreachable(PrivatePackagesError):
    """An index could not be reached: DNS, a refused connection, a timeout, TLS, a redirect
    loop. `host` is the host (never userinfo) and `kind` one of `dns`, `refused`, `timeout`,
    `tls`, `redirect`, `other`, so a caller can pick its advice without parsing the text."""

    def __init__(self, host: str, reason: str, kind: str = "other") -> None:
        self.host = host
        self.kind = kind
        super().__init__(f"cannot reach {host}: {reason}")


class InsecureRedirect(IndexUnreachable):
    """An index redirected from https to plain http (or to a non-http scheme). Refused rather
    than followed: the next request, and whatever the page asks for, would travel unencrypted."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(host, reason, kind="redirect")
