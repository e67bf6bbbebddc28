"""`PrivatePackagesKeyring`: the keyring backend pip, poetry, uv and twine call.

It answers `get_credential` / `get_password` for every service form those callers send
(index URLs, file URLs with fragments, `host:port`, `poetry-repository-<name>`), supplies
the username itself, returns None fast when no rule matches, never raises out of a
`get_*` (pip disables keyring for the whole run after one exception), and raises
`NotImplementedError` on writes so keyring's chainer moves on to a real store.

Import cost matters (every pip and poetry process imports this module through keyring's
entry points), so everything but keyring's own base class is imported on first use.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional

from keyring.backend import KeyringBackend
from keyring.credentials import Credential, SimpleCredential

from .logs import printable_logger

if TYPE_CHECKING:
    from .store import CredentialStore

log = printable_logger(logging.getLogger("private_packages"))  # never a raw escape sequence

# poetry stores "no username" under this literal (poetry/utils/password_manager.py) and
# would pair our password with an empty username: answer None there so poetry falls back
# to get_credential(url), where we supply the username.
POETRY_EMPTY_USERNAME = "__poetry_source_empty_username__"


class PrivatePackagesKeyring(KeyringBackend):
    """Credentials from private-packages rules: env secrets, files, Vault, commands."""

    # Below keyring's chainer (10), so with other backends present the chainer asks us
    # first; above every system backend (~5), so alone (headless CI) we are chosen.
    priority = 9.9
    # Poetry treats a backend whose name contains plaintext/fail/null/chainer as unusable.
    name = "private-packages"

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._store: Optional[CredentialStore] = None

    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            from .store import CredentialStore

            self._store = CredentialStore()
            for error in self._store.config.errors:
                self._warn(error)
        return self._store

    def get_credential(self, service: str, username: Optional[str]) -> Optional[Credential]:
        try:
            return self._lookup(service, username)
        except Exception as exc:  # noqa: BLE001 -- never let pip disable keyring
            self._warn(exc)
            return None

    def get_password(self, service: str, username: str) -> Optional[str]:
        if not username or username == POETRY_EMPTY_USERNAME:
            return None
        credential = self.get_credential(service, username)
        return credential.password if credential is not None else None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError(
            "private-packages reads credentials from rules and secrets; it stores nothing")

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError(
            "private-packages reads credentials from rules and secrets; it stores nothing")

    def _lookup(self, service: str, username: Optional[str]) -> Optional[Credential]:
        from .providers.keyring_source import is_resolving

        if is_resolving():  # a ${keyring:...} reference is asking the other backends
            return None
        if username == POETRY_EMPTY_USERNAME:
            username = None
        # pip asks with a bare `host[:port]` for URLs outside its index URLs (find-links,
        # direct URLs): once pip's requests are guarded, a rule for the whole origin may
        # answer that too (rules.py `for_whole_origin`).
        guarded = "://" not in service and _guards_pip()
        store = self.store
        credential = store.credential_for(service, username, guarded=guarded)
        if store.config.untrusted:
            self._note_untrusted(service, answered=credential is not None)
        if credential is None:
            return None
        # The client that asked (pip with the import provider, poetry, twine) caches the
        # answer per host: from now on its requests keep the credential within the rule.
        from .guard import install_in_clients

        install_in_clients()
        return SimpleCredential(*credential.for_basic_auth())

    def _note_untrusted(self, service: str, *, answered: bool) -> None:
        """Say once that an untrusted project's content was left out -- when it matters:
        a withheld rule would have answered this lookup, or a credential is being resolved
        without the project's withheld vault settings. Other processes stay quiet."""
        config = self.store.config
        vault_only = answered and config.content is not None and bool(config.content.vault)
        if vault_only or self.store.withheld_rule_for(service) is not None:
            notice = config.untrusted_notice()
            if notice is not None:
                self._say(notice)

    def _warn(self, exc: BaseException) -> None:
        from .errors import PrivatePackagesError

        text = str(exc) if isinstance(exc, PrivatePackagesError) else (
            f"unexpected {type(exc).__name__} (run with debug logging for the traceback)")
        if self._say(text) and log.isEnabledFor(logging.DEBUG):
            # Frames only: an unexpected exception's own text might quote a value.
            import traceback

            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.debug("private-packages: %s raised at\n%s", type(exc).__name__, frames)

    @staticmethod
    def _say(text: str) -> bool:
        """Warn once per process (notices.py); True when this call warned."""
        from .notices import first_time

        if not first_time(text):
            return False
        log.warning("private-packages: %s", text)
        return True


def _guards_pip() -> bool:
    """Whether this process is pip (its auth module is loaded) and the guard now checks
    its requests."""
    import sys

    if "pip._internal.network.auth" not in sys.modules:
        return False
    from .guard import PIP_ADAPTERS, install_in_clients, is_installed

    install_in_clients()
    adapter = getattr(sys.modules.get(PIP_ADAPTERS), "HTTPAdapter", None)
    return isinstance(adapter, type) and is_installed(adapter)
