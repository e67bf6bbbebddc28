"""Files a project names are read only when they are regular files of bounded size: a FIFO,
a device, a directory or a file that never ends is refused at once, with a reason that
completes "FILE ..." -- and nothing blocks (each case runs in a child with a timeout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from keyring_backend.regular_files import MIB, UnreadableFile, read_regular_file
from tests.conftest import PROJECT


def refused(path: str | Path, limit: int = MIB) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as info:
        read_regular_file(path, limit)
    return info.value


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a\r\nb\x00\xff")
    assert read_regular_file(path, 7) == b"a\r\nb\x00\xff"


def test_exactly_the_limit_is_allowed_one_more_byte_is_not(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert len(read_regular_file(path, 100)) == 100
    assert refused(path, 99).reason == "is larger than 99 bytes"


def test_a_sparse_file_over_the_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge"
    with path.open("wb") as fh:
        fh.truncate(64 * MIB)  # sparse: no disk used, but 64 MiB to read
    assert refused(path, 16 * MIB).reason == "is larger than 16 MiB"


def test_a_file_that_reports_size_zero_but_goes_on_is_cut_at_the_limit() -> None:
    # /proc files are regular files of size 0 that produce text when read.
    assert os.stat("/proc/self/maps").st_size == 0
    assert refused("/proc/self/maps", 10).reason == "is larger than 10 bytes"


@pytest.mark.parametrize(("kind", "reason"), [
    ("fifo", "is a FIFO (named pipe), not a regular file"),
    ("fifo-link", "is a FIFO (named pipe), not a regular file"),
    ("zero", "is a character device, not a regular file"),
    ("directory", "is a directory"),
    ("missing", "does not exist"),
    ("socket", "is a socket, not a regular file"),
])
def test_special_files_are_refused_and_nothing_blocks(tmp_path: Path, kind: str,
                                                      reason: str) -> None:
    if kind.startswith("fifo"):
        os.mkfifo(tmp_path / "fifo")  # no writer: a plain open() would block forever
        target = tmp_path / "fifo"
        if kind == "fifo-link":
            (tmp_path / "link").symlink_to(target)
            target = tmp_path / "link"
    elif kind == "socket":
        import socket

        sock = socket.socket(socket.AF_UNIX)
        target = tmp_path / "sock"
        sock.bind(str(target))
    else:
        target = {"zero": Path("/dev/zero"), "directory": tmp_path,
                  "missing": tmp_path / "absent"}[kind]
    code = ("import sys\nfrom keyring_backend.regular_files import *\n"
            "try:\n    read_regular_file(sys.argv[1], MIB)\n"
            "except UnreadableFile as exc:\n    print(exc.reason, exc.missing)\n")
    result = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                            text=True, timeout=30, check=True)
    assert result.stdout == f"{reason} {kind == 'missing'}\n"


def test_the_null_device_reads_as_empty(tmp_path: Path) -> None:
    """`-c /dev/null` stands in for "no constraints" in many tox and CI configs."""
    (tmp_path / "none.txt").symlink_to(os.devnull)
    assert read_regular_file(os.devnull, MIB) == b""
    assert read_regular_file(tmp_path / "none.txt", MIB) == b""


def test_a_fifo_swapped_in_after_the_check_is_caught_by_fstat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the O_NONBLOCK open closes: stat saw a regular file, open gets a FIFO."""
    os.mkfifo(tmp_path / "fifo")
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: real_stat(__file__))
    assert refused(tmp_path / "fifo").reason == "is a FIFO (named pipe), not a regular file"


def test_permission_denied_is_marked(tmp_path: Path) -> None:
    path = tmp_path / "locked"
    path.write_text("x")
    path.chmod(0)
    code = ("import os, sys\nfrom keyring_backend.regular_files import *\n"
            "if os.geteuid() == 0:\n    os.setgid(65534); os.setuid(65534)  # root reads all\n"
            "try:\n    read_regular_file(sys.argv[1], MIB)\n"
            "except UnreadableFile as exc:\n    print(exc.reason, exc.permission)\n")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                            text=True, timeout=30, check=True,
                            env={**os.environ, "PYTHONPATH": str(PROJECT)})
    assert result.stdout == "cannot be read: permission denied True\n"
