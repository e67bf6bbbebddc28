"""SIGKILL, the signal nothing can handle (a CI runner's hard timeout, the OOM killer), sent
to the installed `pip-private` while a real pip waits on an index that never answers, in
each mode that writes rendered files to disk:

- `child`: `PIP_PRIVATE_NO_MEMFD=1`, pip as a child process (`PIP_PRIVATE_SUBPROCESS=1`);
- `pip-python`: pip's own `--python` (through `PIP_PYTHON`), which forces on-disk files
  and re-executes pip under the other interpreter: pip-private -> pip -> pip;
- `in-process`: `PIP_PRIVATE_NO_MEMFD=1`, pip inside pip-private's own process.

Every pip process exits on its own (PR_SET_PDEATHSIG), the rendered directory stays (no
handler runs on SIGKILL), the next `pip-private` run removes it, and the token is nowhere.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.processes import descendants

pytestmark = pytest.mark.e2e

MODES = {
    "child": {"PIP_PRIVATE_NO_MEMFD": "1", "PIP_PRIVATE_SUBPROCESS": "1"},
    "pip-python": {"PIP_PYTHON": "PYTHON"},
    "in-process": {"PIP_PRIVATE_NO_MEMFD": "1"},
}


def running(pid: int) -> bool:
    """A process that has not exited (a zombie waiting for its reaper has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:].split()[0] != b"Z"


@pytest.mark.parametrize("mode", MODES)
def test_sigkill_leaves_no_pip_running_and_the_next_run_cleans_up(
        mode: str, clients: Clients, client_env: dict[str, str], tmp_path: Path,
        silent_index: tuple[int, threading.Event]) -> None:
    port, accepted = silent_index
    secret = f"tok-{os.urandom(8).hex()}"
    project, tmp = tmp_path / "project", tmp_path / "tmp"
    project.mkdir()
    tmp.mkdir()
    (project / "r.txt").write_text(
        f"--index-url http://deploy-bot:${{TOKEN}}@127.0.0.1:{port}/simple/\nacme-internal\n")
    extra = {k: str(clients.pip_python) if v == "PYTHON" else v for k, v in MODES[mode].items()}
    env = {**client_env, **extra, "TOKEN": secret, "TMPDIR": str(tmp)}
    pip_private = str(clients.pip_python.parent / "pip-private")
    proc = subprocess.Popen([pip_private, "install", "--timeout", "120", "--retries", "0",
                             "--target", str(tmp_path / "target"), "-r", "r.txt"],
                            cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    pips: list[int] = []
    try:
        assert accepted.wait(120), "pip never reached the index"
        pips = descendants(proc.pid)
        rendered = [p for p in tmp.iterdir() if p.name.startswith("pip-private-")]
        assert len(rendered) == 1, "the on-disk mode wrote one private directory"
        expected_pips = {"child": 1, "pip-python": 2, "in-process": 0}[mode]
        assert len(pips) == expected_pips, pips

        proc.send_signal(signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=60)
        deadline = time.monotonic() + 60  # a generous "did not hang", not a timing claim
        while any(running(pid) for pid in pips) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in pips if running(pid)], "a pip outlived pip-private"
    finally:  # whatever failed above, leave no process behind
        for pid in [*pips, proc.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert rendered[0].exists(), "nothing runs on SIGKILL: the directory is still there"

    after = subprocess.run([pip_private, "list"], cwd=project, env=env, capture_output=True,
                           text=True, timeout=120, check=False)

    assert after.returncode == 0, after.stderr
    assert not rendered[0].exists(), "the next run removed the dead run's directory"
    assert not [p for p in tmp.iterdir() if p.name.startswith("pip-private-")]
    assert_not_in_texts(secret, {"stdout": stdout.decode(), "stderr": stderr.decode(),
                                 "next run": after.stdout + after.stderr},
                        username="deploy-bot")
    assert assert_not_in_files(secret, [tmp_path], username="deploy-bot") > 0
