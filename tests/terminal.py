"""Reading what a pseudo-terminal shows, for tests that run a client on a real pty."""

from __future__ import annotations

import os
import select
from typing import Optional


def read_pty(master: int, seen: bytearray, until: Optional[bytes] = None) -> None:
    """Collect what the terminal shows until `until` appears (None: until every process
    holding it has exited); the timeout only keeps a broken run from hanging the suite."""
    while until is None or until not in seen:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            raise AssertionError(f"no {until!r} on the terminal; it shows {bytes(seen)!r}")
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every process holding the terminal has exited
            return
        if not chunk:
            return
        seen += chunk
