"""Rewriting a file the user owns (pyproject.toml, the user config, the trust state) so that
it is never left half-written, and never loses a concurrent writer's change.

`atomic_write` writes a temporary file in the same directory (so `os.replace` is a rename
on one file system, atomic on POSIX and Windows), flushes it to disk, gives it the mode of
the file it replaces, then renames it over the file. A crash, a full disk or a killed CI
job leaves either the old file or the new one, never a truncated pyproject.toml. A
symlinked file is written through to its target, so the link stays a link.

`locked` serialises read-modify-write cycles: six parallel `poetry source auth --global`
runs each read the file, add their rule and replace it; without a lock held from the read
to the replace, the last writer wins and five rules are gone. The lock is an `flock` on
the directory that holds the target -- not on the target itself, whose inode `os.replace`
swaps, and not on a lock file, which would stay behind. Only our own files are locked
this way (the user config, the trust state).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NEW_FILE_MODE = 0o600  # a new file may hold rules: readable by its owner only
NEW_DIR_MODE = 0o700


def atomic_write(path: Path, data: bytes, new_file_mode: int = NEW_FILE_MODE) -> None:
    """Replace `path` with `data` atomically, keeping its mode (`new_file_mode` when it does
    not exist yet). The directory must exist."""
    target = path.resolve() if path.is_symlink() else path
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else new_file_mode
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, mode)  # mkstemp creates 0600 whatever the umask
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def make_private_dir(path: Path) -> None:
    """Create `path` (and parents) if missing; a directory we create is 0700."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(NEW_DIR_MODE)  # mkdir's mode is filtered by the umask


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for rewriting `path` until the block ends (the module
    docstring says why). Creates `path`'s directory (0700) when it is missing."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the replace is still atomic
        yield
        return
    target = path.resolve() if path.is_symlink() else path
    make_private_dir(target.parent)
    fd = os.open(target.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
