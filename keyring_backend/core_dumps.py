"""A process holding resolved secrets leaves no core dump, and no memory others can read.

A core dump is a copy of a process's memory, written where `kernel.core_pattern` says --
with the common `core`, into the working directory: the project checkout, one `git add -A`
or `COPY . .` away from being committed or shipped, with every secret the process
resolved. pip-private, `private-packages run` and the git credential helper hold such
secrets, so each calls `keep_out_of_core_dumps` first thing:

- the soft `RLIMIT_CORE` goes to 0 (POSIX): no core file from this process, nor from what
  it starts (pip, git, build backends, the command under `run`: they inherit the limit,
  and hold the same secrets in their environment). The hard limit stays, so a program
  may still raise its own on purpose;
- on Linux, `prctl(PR_SET_DUMPABLE, 0)`: no core dump at all, also through a piped
  `core_pattern` (systemd-coredump, apport), which ignores RLIMIT_CORE; and other
  processes of the same user can no longer read this one's `/proc/PID/mem` or `environ`,
  or attach a debugger (as ssh-agent and gpg-agent do). `execve` resets it, so the programs
  we start are dumpable again, with the limit of 0 above. Signals such as
  `PR_SET_PDEATHSIG`, pipes and ptys are unaffected.

Not in the keyring backend: it is a library inside pip, poetry or twine, whose process --
and its policy on core dumps and debuggers (py-spy, gdb) -- is theirs.
"""

from __future__ import annotations

import sys

_PR_SET_DUMPABLE = 4


def keep_out_of_core_dumps() -> None:
    """Apply both measures above where the platform has them; never fails."""
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    except (ImportError, OSError, ValueError):
        pass  # no resource module (Windows), or a limit we may not change
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            return
        prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
        prctl.restype = ctypes.c_int
        prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
