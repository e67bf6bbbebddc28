"""Read a file that someone else may have chosen: regular files only, and only so much.

A cloned project names files we read (`-r`, `${file:...}`, its pyproject.toml), so a
path may be a FIFO (an `open` that blocks forever), `/dev/zero` (a read that never
ends), or a file of gigabytes. Before this module such a path hung pip-private, or ate
memory until the machine gave up. Now:

- the path is `stat`ed first and anything but a regular file is refused unopened (as
  root, opening a device can act: `/dev/watchdog` arms a reboot timer) -- except the null
  device, which reads as empty, as it does for pip (`-c /dev/null` is a common
  placeholder);
- it is then opened with `O_NONBLOCK` (a FIFO swapped in after the `stat` cannot block
  the `open`) and checked again with `fstat`, which is what counts;
- at most `limit` bytes are read: a file that grows past it (or a `/proc`-like file
  that reports size 0 and never ends) is refused too.

Our own files are read the same way (the trust state: a FIFO there would hang every
client), with `nofollow` (a symlink is refused, not followed) and a `verify` callback that
judges the opened file itself (its owner and mode; where it really is).

The limits, and why (README "Limits"): a secret file is at most 1 MiB, the cap of a
Kubernetes Secret (Docker's secrets stop at 500 KB); requirements files, pyproject.toml
and lock files are at most 16 MiB, several times the largest fully hashed requirements
file of a big application (a few MB).
"""

from __future__ import annotations

import os
import stat
from typing import Callable, Optional, Union

from .errors import PrivatePackagesError

MIB = 1 << 20
SECRET_FILE_LIMIT = 1 * MIB
PROJECT_FILE_LIMIT = 16 * MIB

_CHUNK = 1 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class UnreadableFile(PrivatePackagesError):
    """A file could not be read, or was refused. `reason` completes a sentence whose
    subject is the file ("does not exist", "is a FIFO (named pipe), not a regular file",
    "is larger than 1 MiB", "cannot be read: permission denied"): callers put the name in
    front. `missing`: it does not exist; `permission`: access was denied."""

    def __init__(self, reason: str, *, missing: bool = False,
                 permission: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing
        self.permission = permission


#: Judges the opened file (its descriptor and `fstat`); raises to refuse it.
Verify = Callable[[int, os.stat_result], None]


def read_regular_file(path: Union[str, os.PathLike[str]], limit: int, *,
                      nofollow: bool = False, verify: Optional[Verify] = None) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes; else `UnreadableFile`.
    `nofollow`: a symlink is refused ("is a symbolic link"); `verify` may refuse the
    opened file by raising (its exception goes to the caller)."""
    try:
        info = os.lstat(path) if nofollow else os.stat(path)
        if nofollow and stat.S_ISLNK(info.st_mode):
            raise UnreadableFile("is a symbolic link, not a regular file")
        if _is_null_device(info):  # `-c /dev/null`, a common placeholder: pip reads ""
            return b""
        _refuse_special(info.st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
                     | getattr(os, "O_NOCTTY", 0) | (_NOFOLLOW if nofollow else 0))
    except OSError as exc:
        raise _unreadable(exc) from None
    try:
        info = os.fstat(fd)
        _refuse_special(info.st_mode)
        if verify is not None:
            verify(fd, info)
        if info.st_size > limit:
            raise UnreadableFile(f"is larger than {_size(limit)}")
        chunks: list[bytes] = []
        left = limit + 1  # one byte more tells a file that grew past the limit
        while left > 0:
            chunk = os.read(fd, min(left, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise UnreadableFile(f"is larger than {_size(limit)}")
        return b"".join(chunks)
    except OSError as exc:
        raise _unreadable(exc) from None
    finally:
        os.close(fd)


def read_project_file(path: Union[str, os.PathLike[str]]) -> bytes:
    """A requirements, pyproject.toml, lock or rule file: regular, at most 16 MiB."""
    return read_regular_file(path, PROJECT_FILE_LIMIT)


def _is_null_device(info: os.stat_result) -> bool:
    if not stat.S_ISCHR(info.st_mode):
        return False
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return (info.st_rdev, info.st_dev, info.st_ino) == (null.st_rdev, null.st_dev, null.st_ino)


def _refuse_special(mode: int) -> None:
    for test, kind in _KINDS:
        if test(mode):
            raise UnreadableFile(f"is {kind}, not a regular file" if kind != "a directory"
                                 else "is a directory")


def _unreadable(exc: OSError) -> UnreadableFile:
    import errno

    if isinstance(exc, FileNotFoundError):
        return UnreadableFile("does not exist", missing=True)
    if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink swapped in after the lstat
        return UnreadableFile("is a symbolic link (or a loop of them), not a regular file")
    reason = (exc.strerror or type(exc).__name__).lower()
    return UnreadableFile(f"cannot be read: {reason}",
                          permission=isinstance(exc, PermissionError))


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"
