"""Leak assertions (TESTING.md): a secret must not show in any surface a user or another
process can see -- raw, percent-encoded, or base64 (alone or as an HTTP Basic header)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Optional
from urllib.parse import quote, quote_plus


def forms(secret: str, username: Optional[str] = None) -> list[str]:
    """Every spelling of `secret` worth looking for."""
    raw = secret.encode()
    out = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret),
           base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    if username is not None:
        out.add(base64.b64encode(f"{username}:{secret}".encode()).decode())
    return sorted(out)


def assert_not_in_texts(secret: str, texts: Mapping[str, str],
                        username: Optional[str] = None) -> None:
    for name, text in texts.items():
        for form in forms(secret, username):
            assert form not in text, f"secret leaked into {name} (as {form!r:.12}...)"


def assert_not_in_files(secret: str, roots: Iterable[Path],
                        username: Optional[str] = None) -> int:
    """Scan every regular file under `roots`; return how many files were read."""
    needles = [f.encode() for f in forms(secret, username)]
    count = 0
    for root in roots:
        if not root.exists():
            continue
        paths = [root] if root.is_file() else (
            Path(d) / f for d, _, files in os.walk(root) for f in files)
        for path in paths:
            if path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            count += 1
            for needle in needles:
                assert needle not in data, f"secret leaked into file {path}"
    return count
