"""`run_masked` with real processes (DESIGN.md "pip-private": pip's stdout and stderr are
streamed through the masker, keeping progress bars and colours; pip keeps its exit code).

Each test starts a small driver -- a Python process that calls `run_masked` the way
`pip-private` does -- with its fd 1 / fd 2 on pipes, files or a pty owned by the test,
and a child in place of pip. Nothing is mocked; no test measures time.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.conftest import PROJECT, make_canary
from tests.leaks import assert_not_in_texts

USER = "deploy-bot"
TIMEOUT = 60  # a hang fails the test instead of the whole run; never an assertion

DRIVER = """
import json, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # not inherited SIG_IGN
from pip_hook.masking import Masker, secret_forms
from pip_hook.runner import run_masked
config = json.loads(sys.argv[1])
needles = secret_forms(os.environ["CANARY"], "deploy-bot")
pass_fds = []
if "pass_text" in config:
    read_end, write_end = os.pipe()
    os.write(write_end, config["pass_text"].encode())
    os.close(write_end)
    pass_fds.append(read_end)
    os.environ["PASSED_FD"] = str(read_end)
code = run_masked([sys.executable, "-c", config["child"]], env=os.environ,
                  masker_factory=lambda: Masker(needles), pass_fds=pass_fds,
                  cwd=config.get("cwd"))
with open(os.environ["RESULT"], "w") as result:
    result.write(str(code))
sys.exit(code)
"""

# Writes every spelling of the secret to stdout and stderr, a few bytes per write,
# alternating streams, so the secret reaches the masker split across reads.
CHILD_IN_PIECES = """
import base64, os, sys, time
from urllib.parse import quote
s = os.environ["CANARY"]
forms = [s, quote(s, safe=""), base64.b64encode(("deploy-bot:" + s).encode()).decode()]
for form in forms:
    for fd, name in ((1, "out"), (2, "err")):
        line = f"{name}: token={form};\\n".encode()
        for i in range(0, len(line), 3):
            os.write(fd, line[i:i + 3])
            time.sleep(0.001)
sys.exit(int(os.environ["CHILD_CODE"]))
"""


class Driver:
    """A driver process plus the files it reports into."""

    def __init__(self, tmp_path: Path, child: str, canary: str, *,
                 extra_env: Optional[dict[str, str]] = None, **popen: Any) -> None:
        self.result = tmp_path / "result"
        env = {**os.environ, "CANARY": canary, "RESULT": str(self.result),
               "PYTHONPATH": str(PROJECT), **(extra_env or {})}
        config = {"child": child, **popen.pop("config", {})}
        self.proc = subprocess.Popen([sys.executable, "-c", DRIVER, json.dumps(config)],
                                     env=env, **popen)

    def returned(self) -> int:
        """The code `run_masked` returned (the driver wrote it after the call came back)."""
        return int(self.result.read_text())


@pytest.fixture
def canary() -> str:  # no HTTP here, so a non-ASCII canary too
    return make_canary(ascii_only=False)


@pytest.mark.parametrize("code", [0, 1, 7], ids=["exit 0", "exit 1", "exit 7"])
def test_secret_in_pieces_is_masked_on_each_stream(tmp_path: Path, canary: str,
                                                   code: int) -> None:
    driver = Driver(tmp_path, CHILD_IN_PIECES, canary, extra_env={"CHILD_CODE": str(code)},
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out, err = driver.proc.communicate(timeout=TIMEOUT)
    assert driver.proc.returncode == code
    assert driver.returned() == code
    assert out.decode() == "out: token=****;\n" * 3
    assert err.decode() == "err: token=****;\n" * 3
    assert_not_in_texts(canary, {"stdout": out.decode(), "stderr": err.decode()}, USER)


def test_child_killed_by_a_signal_gives_128_plus_n(tmp_path: Path, canary: str) -> None:
    child = "import os, signal; print('bye', flush=True); os.kill(os.getpid(), signal.SIGKILL)"
    driver = Driver(tmp_path, child, canary, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = driver.proc.communicate(timeout=TIMEOUT)
    assert (driver.proc.returncode, driver.returned()) == (137, 137)
    assert (out, err) == (b"bye\n", b"")


def test_pass_fds_cwd_and_stdin_reach_the_child(tmp_path: Path, canary: str) -> None:
    child = ("import os, sys; print(os.read(int(os.environ['PASSED_FD']), 100).decode(), "
             "os.getcwd(), sys.stdin.read())")
    driver = Driver(tmp_path, child, canary, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    config={"pass_text": "from a memfd", "cwd": str(tmp_path)})
    out, _ = driver.proc.communicate(b"typed " + canary.encode(), timeout=TIMEOUT)
    assert out.decode() == f"from a memfd {tmp_path} typed ****\n"


# -- a terminal on our side: the child gets a pty ------------------------------------------

TTY_CHILD = """
import os, sys
report = " ".join(f"{fd}:{os.isatty(fd)}:{tuple(os.get_terminal_size(fd))}"
                  if os.isatty(fd) else f"{fd}:False" for fd in (1, 2))
os.write(1, report.encode() + b"\\n")
for fd in (1, 2):
    os.write(fd, b"a\\nb\\r\\x1b[31mred\\x1b[0m\\n" + os.environ["CANARY"].encode() + b"|")
"""


def open_tty(rows: int, cols: int) -> tuple[int, int]:
    """A pty pair standing in for the user's terminal, with its output processing off so
    the test reads exactly what the driver wrote."""
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return master, slave


def read_until(master: int, end: bytes) -> bytes:
    """Read `master` until the data ends with `end`, or EOF (EIO once the slave is gone)."""
    data = b""
    while not data.endswith(end):
        ready, _, _ = select.select([master], [], [], TIMEOUT)
        assert ready, f"no output from the pty; so far {data!r}"
        try:
            chunk = os.read(master, 4096)
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("ttys", [(1,), (2,), (1, 2)], ids=["stdout", "stderr", "both"])
def test_a_terminal_gives_the_child_a_pty_with_bytes_unchanged(
    tmp_path: Path, canary: str, ttys: tuple[int, ...]
) -> None:
    terminals = {fd: open_tty(33, 111) for fd in ttys}
    streams: dict[str, Any] = {
        "stdout": terminals[1][1] if 1 in terminals else subprocess.PIPE,
        "stderr": terminals[2][1] if 2 in terminals else subprocess.PIPE}
    driver = Driver(tmp_path, TTY_CHILD, canary, stdin=subprocess.DEVNULL, **streams)
    for _, slave in terminals.values():
        os.close(slave)
    piped = dict(zip(("stdout", "stderr"), driver.proc.communicate(timeout=TIMEOUT)))
    shown = {fd: read_until(master, b"\xff") for fd, (master, _) in terminals.items()}
    shown.update({1: piped["stdout"]} if 1 not in ttys else {})
    shown.update({2: piped["stderr"]} if 2 not in ttys else {})
    for master, _ in terminals.values():
        os.close(master)

    assert driver.proc.returncode == 0
    report = " ".join(f"{fd}:True:(111, 33)" if fd in ttys else f"{fd}:False" for fd in (1, 2))
    body = b"a\nb\r\x1b[31mred\x1b[0m\n****|"
    assert shown == {1: report.encode() + b"\n" + body, 2: body}
    assert_not_in_texts(canary, {str(fd): text.decode() for fd, text in shown.items()}, USER)


def test_window_size_changes_reach_the_pty(tmp_path: Path, canary: str) -> None:
    child = """
import os, sys
for line in sys.stdin:
    if line.strip() == "quit":
        break
    print("%dx%d" % tuple(os.get_terminal_size(1)), flush=True)
"""
    master, slave = open_tty(24, 80)
    driver = Driver(tmp_path, child, canary, stdin=subprocess.PIPE, stdout=slave,
                    stderr=subprocess.PIPE)
    os.close(slave)
    assert driver.proc.stdin is not None
    ask = driver.proc.stdin

    def size() -> bytes:
        ask.write(b"size\n")
        ask.flush()
        return read_until(master, b"\n").strip()

    assert size() == b"80x24"
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 132, 0, 0))
    driver.proc.send_signal(signal.SIGWINCH)  # our pty has no session: send it ourselves
    # The driver's handler runs asynchronously: ask until it has (bounded by TIMEOUT).
    sizes = iter(size, b"132x50")
    assert all(seen == b"80x24" for seen in sizes)
    ask.write(b"quit\n")
    ask.close()
    assert driver.proc.wait(timeout=TIMEOUT) == 0
    os.close(master)


# -- signals and a closed stdout ------------------------------------------------------------

SIGNAL_CHILD = """
import os, signal, sys, time
def record(signum, frame):
    with open(os.environ["MARKER"], "w") as marker:
        marker.write(signal.Signals(signum).name)
    os._exit(3)
for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(signum, record)
print("ready", flush=True)
time.sleep(120)  # ends by itself if a test fails before signalling
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_signals_to_the_wrapper_reach_the_child_and_it_returns(
    tmp_path: Path, canary: str, signum: signal.Signals
) -> None:
    marker = tmp_path / "marker"
    driver = Driver(tmp_path, SIGNAL_CHILD, canary, extra_env={"MARKER": str(marker)},
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert driver.proc.stdout is not None
    assert driver.proc.stdout.readline() == b"ready\n"
    driver.proc.send_signal(signum)
    out, err = driver.proc.communicate(timeout=TIMEOUT)
    assert marker.read_text() == signum.name
    assert (driver.proc.returncode, driver.returned()) == (3, 3)
    assert (out, err) == (b"", b"")


def test_ctrl_c_on_the_terminal_reaches_the_child_and_the_wrapper_returns(
    tmp_path: Path, canary: str
) -> None:
    """A real controlling terminal: Ctrl-C signals the whole foreground group, so the
    child gets SIGINT from the terminal, and the wrapper survives it to return."""
    import pty

    marker = tmp_path / "marker"
    env = {**os.environ, "CANARY": canary, "RESULT": str(tmp_path / "result"),
           "PYTHONPATH": str(PROJECT), "MARKER": str(marker)}
    argv = [sys.executable, "-c", DRIVER, json.dumps({"child": SIGNAL_CHILD})]
    pid, master = pty.fork()
    if pid == 0:  # pragma: no cover -- the forked child: become the driver at once
        try:
            os.execve(argv[0], argv, env)  # noqa: S606 -- exec is the point, no shell
        finally:
            os._exit(127)
    try:
        assert read_until(master, b"ready\r\n") == b"ready\r\n"  # one \r: OPOST off inside
        os.write(master, b"\x03")  # the line discipline turns it into SIGINT for the group
        shown = read_until(master, b"\xff")
    finally:
        os.close(master)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3
    assert (tmp_path / "result").read_text() == "3"
    assert marker.read_text() == "SIGINT"
    assert b"Traceback" not in shown


def test_a_closed_stdout_is_drained_not_a_crash(tmp_path: Path, canary: str) -> None:
    child = """
import os, sys
os.write(1, b"first\\n")
sys.stdin.readline()
for n in range(4000):
    os.write(1, b"line %d %s\\n" % (n, os.environ["CANARY"].encode()))
os.write(2, b"done\\n")
"""
    errors = tmp_path / "stderr"
    with errors.open("wb") as stderr:
        driver = Driver(tmp_path, child, canary, stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=stderr)
    assert driver.proc.stdin is not None
    assert driver.proc.stdout is not None
    assert driver.proc.stdout.readline() == b"first\n"  # like `| head -1`
    driver.proc.stdout.close()
    driver.proc.stdin.write(b"go\n")
    driver.proc.stdin.close()
    assert driver.proc.wait(timeout=TIMEOUT) == 0
    assert driver.returned() == 0
    assert errors.read_bytes() == b"done\n"  # no BrokenPipeError traceback


def test_a_missing_program_raises_and_leaves_no_fds_or_handlers() -> None:
    from pip_hook.masking import Masker
    from pip_hook.runner import run_masked

    def state() -> tuple[list[str], list[object]]:
        return (sorted(os.listdir("/proc/self/fd")),
                [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)])

    before = state()
    with pytest.raises(FileNotFoundError):
        run_masked(["/nonexistent/python"], env={}, masker_factory=lambda: Masker([]))
    assert state() == before
