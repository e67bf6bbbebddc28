"""Sample the argv of every process on the machine while a scenario runs (TESTING.md
"Nested processes"): a thread reads each `/proc/PID/cmdline` every few milliseconds, so
children, grandchildren and short-lived helpers are all seen, not only the first child."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _sample(seen: set[bytes]) -> None:
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as fh:
                    seen.add(fh.read())
            except OSError:  # it exited meanwhile
                continue


@contextmanager
def watch_argv(interval: float = 0.003) -> Iterator[set[bytes]]:
    """Yield the set of argv blobs (NUL-separated) seen until the block ends."""
    seen: set[bytes] = set()
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            _sample(seen)
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="argv watch", daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()
        _sample(seen)


def argv_text(seen: set[bytes]) -> str:
    """Every sampled argv as one text, one process a line (for `assert_not_in_texts`)."""
    return "\n".join(blob.replace(b"\0", b" ").decode("utf-8", "replace") for blob in seen)
