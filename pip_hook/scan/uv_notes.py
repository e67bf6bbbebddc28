"""Advice, not findings (scan's exit code stays): each `[[tool.uv.index]]` a credential rule
covers that plain uv would ask no keyring for, with the line that fixes it (uv asks a
keyring only for an index whose URL names a user or that says `authenticate = "always"`;
`private-packages run` needs neither)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def uv_notes(pyprojects: Sequence[Path]) -> list[str]:
    """One `path:line:col: uv-keyring (note): ...` block per index, fix indented below."""
    from keyring_backend.store import CredentialStore

    from ..anytool.uv_indexes import SKIP_FIX, SKIP_MESSAGE, keyring_skips
    from .targets import read_text

    notes = []
    for path in pyprojects:
        store = CredentialStore(os.environ, path.parent.resolve())
        if store.config.project_file != path.resolve():
            continue  # not the project file uv would read there
        lines = read_text(path).splitlines()
        for index, _ in keyring_skips(store, os.environ):
            number = next((n for n, line in enumerate(lines, 1) if index.url in line), 1)
            notes.append(f"{os.fspath(path)}:{number}:1: uv-keyring (note): uv index "
                         f"'{index.name}': {SKIP_MESSAGE}\n    fix: {SKIP_FIX}")
    return notes
