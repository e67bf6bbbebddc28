"""A child pip must not outlive pip-private.

When pip-private is SIGKILLed (a CI runner's hard timeout, the OOM killer) no handler of
ours runs: a child pip would go on installing with nobody masking its output, holding
rendered files open. On Linux the kernel can signal the child when its parent dies
(`prctl(PR_SET_PDEATHSIG)`), set in the child between fork and exec (`preexec_fn`).

Which signal: SIGINT, which pip turns into "Operation cancelled by user" -- it removes its
temporary build directories, and with pip's own `--python` the pip in between kills the
pip it started (`main_parser.py`) -- unless SIGINT is ignored (a background job of a
script: the child inherits the ignore), then SIGTERM.

`preexec_fn` and threads: pip-private may have threads at that moment (the masking pumps
of `--log` files). The function below runs only a pre-resolved C call and two system
calls: no import, no lock that another thread could hold across the fork.

Elsewhere (macOS, BSD, Windows) there is no such call: a child pip whose pip-private was
killed runs on until it writes output -- its stdout and stderr lead to pip-private's
masker, so the first write fails (SIGPIPE / EIO) and pip stops there.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Callable, Optional

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> Optional[Callable[[], None]]:
    """A `preexec_fn` that has the child signalled when this process dies; None where the
    platform cannot (module docstring)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    signum = int(signal.SIGTERM if signal.getsignal(signal.SIGINT) is signal.SIG_IGN
                 else signal.SIGINT)
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os._exit(128 + signum)

    return in_child
