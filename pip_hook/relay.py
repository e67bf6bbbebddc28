"""The masking relay between a writer (pip, in a child or in this process) and our real
stdout/stderr: a pipe -- or a pty when our stream is a terminal, because pip (rich) draws
progress bars and colours only when `isatty()` says yes -- whose reading end a thread pumps
through a `Masker` into the real fd. No `subprocess` here: running pip in-process needs
only this part (runner.py adds the child process and signal forwarding).
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import termios
from typing import Optional

from pip_hook.masking import Masker

_CHUNK = 65536


class Stream:
    """One output stream of the child: the child writes `child_end`, we read `our_end` and
    write the masked bytes to `sink` (None: our fd is closed, so output is discarded)."""

    def __init__(self, sink: Optional[int]) -> None:
        self.sink = sink
        ends = _open_pty() if sink is not None and os.isatty(sink) else None
        self.is_pty = ends is not None
        self.our_end, child_end = ends or os.pipe()
        self.child_end: Optional[int] = child_end
        self.copy_window_size()

    def copy_window_size(self) -> None:
        """Give the pty our terminal's size (rich reads it to lay out progress bars)."""
        if self.sink is None or not self.is_pty:
            return
        try:
            size = fcntl.ioctl(self.sink, termios.TIOCGWINSZ, bytes(8))
            fcntl.ioctl(self.our_end, termios.TIOCSWINSZ, size)
        except OSError:
            pass  # our terminal went away: the next write to it will say so

    def close_child_end(self) -> None:
        if self.child_end is not None:
            os.close(self.child_end)
            self.child_end = None


def _open_pty() -> Optional[tuple[int, int]]:
    """(master, slave) of a new pty, or None where there is none to be had (a container
    without /dev/pts): the child then gets a plain pipe and pip draws no progress bars."""
    try:
        master, slave = os.openpty()
    except OSError:
        return None
    try:
        attrs = termios.tcgetattr(slave)
        # No output processing on the pty: we read exactly what pip wrote, and our real
        # terminal then does its own "\n" -> "\r\n" once, not twice.
        attrs[1] &= ~termios.OPOST
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
    except termios.error:
        os.close(master)
        os.close(slave)
        return None
    return master, slave


def _write_all(fd: int, data: bytes) -> bool:
    """Write `data` to `fd`; False once the reader is gone (EPIPE, EIO after a hangup)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:  # someone made our stdout non-blocking: wait, no spinning
            select.select([], [fd], [])
        except OSError:
            return False
    return True


def pump(stream: Stream, masker: Masker) -> None:
    """Copy the child's stream to its sink through `masker` until EOF. After the sink
    breaks (`pip-private ... | head -1`) keep reading and discard, so the child never
    blocks on a full pipe and still exits with its own code."""
    sink = stream.sink
    try:
        while True:
            try:
                chunk = os.read(stream.our_end, _CHUNK)
            except OSError as exc:
                if exc.errno == errno.EIO:  # Linux pty master once the slave side is gone
                    break
                raise
            if not chunk:
                break
            if sink is not None and not _write_all(sink, masker.feed(chunk)):
                sink = None
        if sink is not None:
            _write_all(sink, masker.flush())
    finally:
        os.close(stream.our_end)


def open_fd(fd: int) -> Optional[int]:
    """`fd` if it is open, else None (`pip-private ... >&-`: a new pipe could reuse it)."""
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError:
        return None
    return fd


