"""TEST DOUBLE: a keyring backend that plays the system secret store in throwaway test venvs.

A test machine has no Secret Service, Keychain or Windows vault, and `poetry source login`
rightly refuses keyrings.alt's file keyrings. This backend stands in for the real store: it
is "secure" by keyring's rules (priority 5, as Secret Service; not file-backed in
keyrings.alt's sense; a name poetry accepts), so login writes to it and `${keyring:...}`
reads back from it -- but it keeps entries in a JSON file in the directory
`PP_DOUBLE_KEYRING_DIR` names. It is viable only while that variable is set, so in every
other process it is not there at all (keyring drops backends whose priority raises).

tests/conftest.py installs this file, unchanged, as the module of a tiny wheel with a
`keyring.backends` entry point (support.wheels.build_wheel). Never install it anywhere else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

DIR_VARIABLE = "PP_DOUBLE_KEYRING_DIR"


class DoubleSecretStore(KeyringBackend):
    """Entries in $PP_DOUBLE_KEYRING_DIR/entries.json; a stand-in for the system store."""

    @classmethod
    def _store(cls) -> Path:
        folder = os.environ.get(DIR_VARIABLE)
        if not folder:
            raise RuntimeError(f"{DIR_VARIABLE} is not set: this test double is off")
        return Path(folder) / "entries.json"

    @properties.classproperty
    def priority(cls) -> float:
        """keyring reads this on the class; raising here makes the backend not viable."""
        cls._store()
        return 5.0

    def _entries(self) -> dict[str, dict[str, str]]:
        path = self._store()
        if not path.exists():
            return {}
        entries: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return entries

    def _save(self, entries: dict[str, dict[str, str]]) -> None:
        path = self._store()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entries), encoding="utf-8")

    def get_password(self, service: str, username: str) -> Optional[str]:
        return self._entries().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._entries()
        entries.setdefault(service, {})[username] = password
        self._save(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._entries()
        if username not in entries.get(service, {}):
            raise PasswordDeleteError("no such entry")
        del entries[service][username]
        self._save(entries)
