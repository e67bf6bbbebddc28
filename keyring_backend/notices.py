"""Warnings said once per process.

pip-private runs pip in its own interpreter, where our keyring backend loads the same
configuration again; the poetry hook and the backend share poetry's process. A warning
about a broken config file or an untrusted project must reach the user once, not once per
component (or per lookup), so they all ask here first.
"""

from __future__ import annotations

_said: set[str] = set()


def first_time(text: str) -> bool:
    """True the first time this process is about to say `text`."""
    if text in _said:
        return False
    _said.add(text)
    return True
