"""The on-disk fallback's directories name their owner, and a later run removes exactly
those whose owner is gone: never a live process's, another user's, a symlink, another pid
namespace's or an older unnamed one. An unusable $XDG_RUNTIME_DIR is one clear error."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from keyring_backend.errors import ConfigError
from pip_hook.private_dirs import (
    make_private_dir,
    owner_alive,
    pid_namespace,
    start_time,
    sweep_orphans,
)

NS = pid_namespace() or 0


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def owned(base: Path, pid: int, start: int, ns: int = NS, name: str = "abcd1234") -> Path:
    path = base / f"pip-private-{pid}.{start}.{ns}-{name}"
    path.mkdir(mode=0o700)
    (path / "1-requirements.txt").write_text("secret")
    return path


def test_a_new_directory_names_this_process_and_is_private(tmp_path: Path) -> None:
    path = Path(make_private_dir({"XDG_RUNTIME_DIR": str(tmp_path)}))
    assert path.parent == tmp_path
    assert path.name.startswith(f"pip-private-{os.getpid()}.{start_time(os.getpid())}.{NS}-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert sweep_orphans({"XDG_RUNTIME_DIR": str(tmp_path)}) == [] and path.exists()


def test_the_temp_directory_when_xdg_runtime_dir_is_unset(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert Path(make_private_dir({})).parent == tmp_path


@pytest.mark.parametrize("case", ["missing", "a-file", "others", "unwritable"])
def test_an_unusable_xdg_runtime_dir_is_one_clear_error(tmp_path: Path, case: str) -> None:
    target = tmp_path / "run"
    if case == "a-file":
        target.write_text("")
    elif case == "others":
        target.mkdir()
        os.chown(target, 65534, 65534)
    elif case == "unwritable":
        target = Path("/proc/self")  # a directory of ours that even root cannot write
    with pytest.raises(ConfigError) as info:
        make_private_dir({"XDG_RUNTIME_DIR": str(target)})
    message = str(info.value)
    assert "\n" not in message and str(target) in message
    expected = {"missing": "no such file or directory", "a-file": "not a directory",
                "others": "belongs to uid 65534, not to you",
                "unwritable": "cannot create a private directory"}[case]
    assert expected in message.lower()


def test_the_sweep_removes_exactly_the_orphans(tmp_path: Path) -> None:
    me = os.getpid()
    gone = owned(tmp_path, dead_pid(), 12345, name="gone0001")
    parent = os.getppid()
    # the parent's pid with another start time: a dead owner whose pid was reused
    reused = owned(tmp_path, parent, (start_time(parent) or 0) + 1, name="reused01")
    live = owned(tmp_path, me, start_time(me) or 0, name="live0001")
    live_parent = owned(tmp_path, parent, start_time(parent) or 0, name="parent01")
    foreign_ns = owned(tmp_path, dead_pid(), 1, ns=NS + 1, name="otherns1")
    others = owned(tmp_path, dead_pid(), 1, name="others01")
    os.chown(others, 65534, 65534)
    unnamed = tmp_path / "pip-private-x1y2z3"  # made before owners were named
    unnamed.mkdir()
    link = tmp_path / f"pip-private-{dead_pid()}.1.{NS}-symlink1"
    link.symlink_to(unnamed)
    a_file = tmp_path / f"pip-private-{dead_pid()}.1.{NS}-afile001"
    a_file.write_text("")

    removed = sweep_orphans({"XDG_RUNTIME_DIR": str(tmp_path), "TMPDIR": str(tmp_path)})

    assert sorted(removed) == sorted([str(gone), str(reused)])
    assert not gone.exists() and not reused.exists()
    for kept in (live, live_parent, foreign_ns, others, unnamed, link, a_file):
        assert kept.exists() or kept.is_symlink(), kept.name


def test_owner_alive_tells_a_reused_pid_by_its_start_time() -> None:
    me = os.getpid()
    assert owner_alive(me, 1)  # ourselves, whatever the record says
    parent = os.getppid()
    assert owner_alive(parent, start_time(parent) or 0)
    assert not owner_alive(parent, (start_time(parent) or 0) + 1)
    assert not owner_alive(dead_pid(), 1)
