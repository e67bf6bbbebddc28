"""No core dump of a process holding a secret lands in the project (core_dumps.py).

Each process is started with core dumps on (`ulimit -c unlimited`) while its environment
holds a canary, blocked at a point where it holds it (pip-private at the index, `run`'s
command and the git helper waiting on stdin), then sent SIGQUIT -- Ctrl-\\, which dumps
core. Always checked: the process and what it started have a core limit of 0
(/proc/PID/limits). Where the kernel writes cores to the working directory
(`kernel.core_pattern = core`), also: no file of the project holds the canary -- and the
control, a plain Python in the same spot, does leave one there.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import Clients
from tests.processes import descendants

pytestmark = pytest.mark.e2e

CORES_HERE = Path("/proc/sys/kernel/core_pattern").read_text().strip() == "core"
WAIT = 60  # seconds: "did not hang"


def cores_on() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def core_limit(pid: int) -> Optional[str]:
    """The soft core file size limit of a process, as /proc shows it."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return line.split()[4]
    return None


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.02)


SLEEPER = "import sys; print('ready', flush=True); sys.stdin.read()"
CASES = ["control", "pip-private", "pip-private-child", "run", "git-helper"]


@pytest.mark.parametrize("case", CASES)
def test_sigquit_leaves_no_core_with_the_secret(
        case: str, clients: Clients, client_env: dict[str, str], tmp_path: Path,
        silent_index: tuple[int, threading.Event]) -> None:
    token = f"tok-core-{os.urandom(8).hex()}"
    port, accepted = silent_index
    bin_dir = clients.pip_python.parent
    env = {**client_env, "TOKEN": token, "PRIVATE_PACKAGES_G_URL": "https://h.example",
           "PRIVATE_PACKAGES_G_PASSWORD": "${TOKEN}"}
    argv = {
        "control": [sys.executable, "-c", SLEEPER],
        "pip-private": [str(bin_dir / "pip-private"), "install", "--timeout", "60",
                        "-r", "requirements.txt"],
        "run": [str(bin_dir / "private-packages"), "run", "--", str(clients.pip_python),
                "-c", SLEEPER],
        "git-helper": [str(bin_dir / "git-credential-private-packages"), "get"],
    }[case.removesuffix("-child")]
    if case.startswith("pip-private"):
        (tmp_path / "requirements.txt").write_text(
            f"--index-url http://ci:${{TOKEN}}@127.0.0.1:{port}/simple/\nacme\n")
        env["PIP_PRIVATE_SUBPROCESS"] = "1" if case.endswith("child") else ""
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, preexec_fn=cores_on,  # noqa: PLW1509
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        if case.startswith("pip-private"):
            assert accepted.wait(WAIT), "pip never reached the index"
        elif case == "git-helper":  # blocked on stdin once it has made itself safe
            wait_for(lambda: core_limit(proc.pid) == "0", "the helper lower its limit")
        else:
            assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        ours = [proc.pid, *descendants(proc.pid)]
        limits = {pid: core_limit(pid) for pid in ours}
        if case == "control":
            assert set(limits.values()) == {"unlimited"}
        else:  # pip-private's child pip, run's command: the limit is inherited
            assert set(limits.values()) == {"0"}, limits
            assert len(ours) >= (2 if case in ("pip-private-child", "run") else 1)
        proc.send_signal(signal.SIGQUIT)
        proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    holding = [p.name for p in tmp_path.iterdir()
               if p.is_file() and token.encode() in p.read_bytes()]
    if not CORES_HERE:
        return  # cores go elsewhere on this machine: the limits above are the check
    if case == "control":
        assert holding, "the control left no core: this check could not fail"
    else:
        assert holding == [], f"a core dump in the project holds the secret: {holding}"


def test_the_process_is_neither_dumpable_nor_readable(tmp_path: Path) -> None:
    """`keep_out_of_core_dumps` in a fresh interpreter: limit 0 (inherited by what it
    starts), and not dumpable, so no piped core_pattern gets it either and other processes
    of the user cannot read its memory."""
    code = (
        "import ctypes, resource, subprocess, sys\n"
        "from keyring_backend.core_dumps import keep_out_of_core_dumps\n"
        "keep_out_of_core_dumps()\n"
        "dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)\n"  # PR_GET_DUMPABLE
        "child = subprocess.run([sys.executable, '-c', 'import resource; "
        "print(resource.getrlimit(resource.RLIMIT_CORE)[0])'], capture_output=True, "
        "text=True).stdout.strip()\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE)[0], dumpable, child)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          preexec_fn=cores_on, check=True, cwd=tmp_path)
    assert done.stdout.split() == ["0", "0", "0"]
