"""Run pip inside pip-private's own interpreter, its output masked at the file-descriptor
level (DESIGN.md "pip-private": pip's stdout and stderr go through the masker).

Why: a second interpreter costs pip-private most of its overhead -- starting Python again
and importing again what is already loaded (`re`, `pathlib`, `urllib`, `typing`...). When
pip is this interpreter's own pip, running its CLI entry here, as `python -m pip` does,
saves about 40 ms of a no-op install (bench/bench_pip_private.py).

How:
- fds 1 and 2 are pointed (`dup2`) at relays (relay.py): pipes, or ptys where ours are
  terminals, so pip still draws colours and progress bars. Everything that writes to them
  goes through the masker into the real fds, saved aside: pip, its logging, rich, and the
  processes pip starts (git, build backends), which inherit fds 1 and 2.
- `os.environ` becomes pip's environment (consumed secret variables removed, git helper
  added): pip reads its `PIP_*` settings there, and its children inherit it.
- The guard (keyring_backend/guard.py) checks every request pip sends.
- SIGTERM and SIGHUP become a KeyboardInterrupt, which pip handles ("Operation cancelled
  by user"); the caller then cleans up and this returns 128 + N, as for a killed child.
  SIGINT is already a KeyboardInterrupt.
- Afterwards pip's log files are closed (`logging.shutdown`: the `--log` pipes must reach
  EOF), stdout and stderr flushed, the real fds restored and the relays drained.

run.py uses this only when pip is this interpreter's and pip will not re-execute itself
(`--python`, `PIP_PYTHON`); `PIP_PRIVATE_SUBPROCESS=1` keeps pip in a child process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType
from typing import Callable, Optional

from pip_hook.masking import Masker
from pip_hook.relay import Stream, open_fd, pump

_STOPPING = (signal.SIGTERM, signal.SIGHUP)


def can_run_here(python: str, env: Mapping[str, str]) -> bool:
    """Whether `python -m pip` is this interpreter's pip and the user did not opt out."""
    if env.get("PIP_PRIVATE_SUBPROCESS", "").strip().lower() in ("1", "true", "yes"):
        return False
    from importlib.util import find_spec

    from pip_hook.provider_choice import is_own_interpreter

    if not is_own_interpreter(python):
        return False

    return find_spec("pip") is not None


def run_in_process(args: Sequence[str], env: Mapping[str, str],
                   masker_factory: Callable[[], Masker], *, guard: bool = False) -> int:
    """Run `pip ARGS` here with `env` as the environment; return pip's exit code. With
    `guard`, every request pip sends is checked first (keyring_backend/guard.py)."""
    _flush()
    # Saved above fd 2, so that dup2 onto 1 and 2 can never overwrite them (cli.main also
    # opens /dev/null on a closed 0, 1 or 2 before anything else).
    saved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3) if open_fd(fd) is not None else None
             for fd in (1, 2)]
    streams = [Stream(fd) for fd in saved]
    threads = [threading.Thread(target=pump, args=(stream, masker_factory()),
                                name=f"pip-private fd {fd}", daemon=True)
               for fd, stream in zip((1, 2), streams)]
    for fd, stream in zip((1, 2), streams):
        assert stream.child_end is not None  # noqa: S101 -- a fresh Stream has both ends
        os.dup2(stream.child_end, fd)
        stream.close_child_end()
    for thread in threads:
        thread.start()
    stopped: list[int] = []
    try:
        with _stopping_as_interrupt(stopped), _environment(env):
            if guard:
                _guard_pip()
            code = _pip(args)
    finally:
        _finish_pip()
        for fd, real in zip((1, 2), saved):
            if real is not None:
                os.dup2(real, fd)  # the relay's writing end is now closed here
            else:
                os.close(fd)
        for thread in threads:
            thread.join()
        for real in saved:
            if real is not None:
                os.close(real)
    return 128 + stopped[0] if stopped else code


def _pip(args: Sequence[str]) -> int:
    # `main`, not pip's newer `cli`: `cli` blocks every import until the process exits
    # once an install ran, and pip-private still has cleanup to do after pip returns.
    try:
        from pip._internal.cli.main import main

        return int(main(list(args)))
    except SystemExit as exc:  # pip exits itself on a usage error
        if isinstance(exc.code, int) or exc.code is None:
            return exc.code or 0
        print(exc.code, file=sys.stderr)  # as the interpreter would, through the masker
        return 1
    except KeyboardInterrupt:  # before pip's command caught it (importing, parsing)
        return 130


def _guard_pip() -> None:
    """pip imports its requests for every command that talks to an index anyway; guarding
    it now costs nothing more (the backend would also guard it once it answered)."""
    from pip._vendor.requests import adapters

    from keyring_backend.guard import install

    install(adapters.HTTPAdapter)


def _finish_pip() -> None:
    """Close what pip leaves open for its process exit: log files (a `--log` pipe reaches
    EOF only then) and buffered output. Logging stays off afterwards: pip's handlers write
    to our stdout and stderr, which are about to be the real, unmasked ones again."""
    if "logging" in sys.modules:
        import logging

        logging.shutdown()
        logging.disable(logging.CRITICAL)
    _flush()


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):  # None, closed, EPIPE
            stream.flush()


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    before = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


@contextlib.contextmanager
def _stopping_as_interrupt(stopped: list[int]) -> Iterator[None]:
    """SIGTERM/SIGHUP while pip runs: remember it, and let pip stop as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Optional[FrameType]) -> None:
        if not stopped:
            stopped.append(signum)
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in _STOPPING
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
