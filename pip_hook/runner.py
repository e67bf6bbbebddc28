"""Run pip as a child process and stream its output through maskers (DESIGN.md "pip-private").

The child's stdout and stderr each go through their own `Masker` to our fd 1 / fd 2, chunk
by chunk, kept apart. Where our stream is a terminal the child gets a pty instead of a
pipe, because pip (rich) draws progress bars and colours only when `isatty()` says yes.
The pty is not the child's controlling terminal and the child stays in our process
group: Ctrl-C from the real terminal reaches it directly, and getpass still prompts on
/dev/tty. stdin is inherited unchanged.

`run_masked` always returns the child's exit code (128 + N for a child killed by signal
N): SIGTERM and SIGHUP sent to us are forwarded to the child, SIGINT too unless the
terminal already delivered it, so the caller always gets to clean up its temp files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any, Optional, Union

from pip_hook.masking import Masker
from pip_hook.relay import Stream, open_fd, pump

_FORWARDED = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
_Handler = Union[Callable[[int, Optional[FrameType]], Any], int, signal.Handlers, None]


class _StopDraining(Exception):
    """Raised in the main thread by a signal that arrives after the child has exited."""


class _SignalForwarding:
    """While installed: SIGTERM/SIGHUP/SIGINT go to the child, SIGWINCH resizes the ptys.

    Signals that arrive before the child exists are delivered once it does; after it has
    exited, one stops the wait for output that a lingering grandchild may be holding open.
    Handlers can only be set from the main thread; elsewhere this does nothing.
    """

    def __init__(self, streams: Sequence[Stream]) -> None:
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.draining = False
        self._pending: list[int] = []
        self._streams = streams
        self._saved: dict[int, _Handler] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in _FORWARDED:
            # An ignored signal stays ignored (nohup, background jobs); the child
            # inherits SIG_IGN as well.
            if signal.getsignal(signum) is not signal.SIG_IGN:
                self._saved[signum] = signal.signal(signum, self._forward)
        if any(stream.is_pty for stream in self._streams):
            self._saved[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, self._resize)

    def restore(self) -> None:
        for signum, handler in self._saved.items():
            # None: set outside Python, nothing we can restore; default is the safe choice.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._saved.clear()

    def attach(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        for signum in self._pending:
            proc.send_signal(signum)
        self._pending.clear()

    def _forward(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.draining:
            self.draining = False
            raise _StopDraining
        if signum == signal.SIGINT and _terminal_sent_sigint():
            return  # the child got it from the terminal too; never KeyboardInterrupt here
        if self.proc is None:
            self._pending.append(signum)
        else:
            self.proc.send_signal(signum)  # a no-op once the child is reaped

    def _resize(self, signum: int, frame: Optional[FrameType]) -> None:
        for stream in self._streams:
            stream.copy_window_size()


def _terminal_sent_sigint() -> bool:
    """Ctrl-C signals the terminal's whole foreground process group, the child included:
    when that group is ours, forwarding would deliver SIGINT to the child twice."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def run_masked(argv: Sequence[str], *, env: Mapping[str, str],
               masker_factory: Callable[[], Masker], pass_fds: Sequence[int] = (),
               cwd: Optional[str] = None, die_with_us: bool = False) -> int:
    """Run `argv` with its stdout/stderr masked onto ours; return its exit code.

    Raises OSError only when the child cannot be started (e.g. no such interpreter).
    Signals are forwarded only when called from the main thread (Python delivers them
    there); from another thread the child is merely waited for. `die_with_us`: the child
    is signalled when this process dies, even by SIGKILL (parent_death.py; Linux).
    """
    for stream in (sys.stdout, sys.stderr):  # what the caller printed comes first
        with contextlib.suppress(AttributeError, OSError, ValueError):  # None, closed, EPIPE
            stream.flush()
    sinks = [open_fd(1), open_fd(2)]  # checked before any new fd can take their numbers
    streams: list[Stream] = []
    pumping = False
    forwarding = _SignalForwarding(streams)
    try:
        for sink in sinks:
            streams.append(Stream(sink))
        threads = [threading.Thread(target=pump, args=(stream, masker_factory()),
                                    name=f"pip-private fd {stream.sink}", daemon=True)
                   for stream in streams]
        forwarding.install()
        preexec = None
        if die_with_us:
            from pip_hook.parent_death import die_with_parent

            preexec = die_with_parent()
        proc = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, pass_fds=tuple(pass_fds),
                                stdout=streams[0].child_end, stderr=streams[1].child_end,
                                preexec_fn=preexec)  # noqa: PLW1509 -- see parent_death.py
        forwarding.attach(proc)
        for stream in streams:
            stream.close_child_end()  # or a pty/pipe would never report EOF
        pumping = True
        for thread in threads:
            thread.start()
        code = proc.wait()
        try:
            forwarding.draining = True
            for thread in threads:
                thread.join()
            forwarding.draining = False
        except _StopDraining:
            pass  # the pumps own their fds and close them when they end
    finally:
        forwarding.restore()
        for stream in streams:
            stream.close_child_end()
            if not pumping:
                os.close(stream.our_end)
    return 128 - code if code < 0 else code
