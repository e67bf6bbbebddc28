"""Every process a test starts, and every argv it had (TESTING.md "Nested processes": pip's
nested `pip install`, git, build backends -- not only the first child).

A thread samples /proc every few milliseconds. A process counts as the test's when its
environment holds a marker variable the test passes to what it starts (every descendant
inherits it, even when its parent already exited). Its argv is read again on every pass,
because a fork shows its parent's argv until it execs.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from types import TracebackType
from typing import Optional

MARK_VARIABLE = "PRIVATE_PACKAGES_TEST_PROCESS_MARK"


class ArgvSampler:
    """`with ArgvSampler() as argv: run(env={**env, **argv.env})`; then `argv.seen`."""

    def __init__(self, interval: float = 0.002) -> None:
        self.mark = uuid.uuid4().hex
        self.env = {MARK_VARIABLE: self.mark}
        self.interval = interval
        self.seen: set[str] = set()  # every argv, words joined by spaces
        self.passes = 0
        self._ours: set[str] = set()
        self._others: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._me = os.getpid()

    def __enter__(self) -> ArgvSampler:
        self._thread.start()
        return self

    def __exit__(self, kind: Optional[type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self._stop.set()
        self._thread.join()

    def text(self) -> str:
        return "\n".join(sorted(self.seen))

    def _run(self) -> None:
        needle = f"{MARK_VARIABLE}={self.mark}".encode()
        while not self._stop.is_set():
            self._sample(needle)
            self.passes += 1
            self._stop.wait(self.interval)
        self._sample(needle)

    def _sample(self, needle: bytes) -> None:
        try:
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
        except OSError:
            return
        for pid in pids:
            if pid in self._others:
                continue
            if pid not in self._ours:
                environ = _read(f"/proc/{pid}/environ")
                if environ is None or needle not in environ.split(b"\0"):
                    # A child of this process may not have exec'd yet: until it does, its
                    # environment is ours, without the marker. Look at it again later.
                    if _parent(pid) != self._me:
                        self._others.add(pid)
                    continue
                self._ours.add(pid)
            cmdline = _read(f"/proc/{pid}/cmdline")
            if cmdline:
                self.seen.add(cmdline.rstrip(b"\0").replace(b"\0", b" ").decode(
                    "utf-8", "surrogateescape"))


def _read(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _parent(pid: str) -> Optional[int]:
    stat = _read(f"/proc/{pid}/stat")
    return None if stat is None else int(stat[stat.rfind(b")") + 2:].split()[1])


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(b")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
