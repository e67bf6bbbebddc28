"""The file a project rule's `${file:PATH}` names, read so that the project cannot move it.

An approval covers a reference as written (`${file:ci/public-read-token}`), not the file
it named that day: a later `git pull` can make `ci/public-read-token` a symlink to
`~/.secrets/token`, or `ci` a symlink to `~/.secrets`, and the approved rule would send
your secret. So a `${file:}` reference of a project rule is read only when
- a relative PATH ends inside the project directory, and
- no symlink that lies inside the project is followed to a place outside it, however
  PATH was written (`/proc/self/cwd/ci/token` walks into the project too);
and the file opened is the file that was checked. `resolve_confined` follows every symlink
by hand, judging each by where it lies, to a path without symlinks; that path is opened
with `O_NOFOLLOW`, and the opened file must really be there: its path as the kernel
knows it (`/proc/self/fd`), or, where there is no such thing, the same inode found by
walking the path once more. A symlink swapped in between the check and the open is
refused, never followed.

Why not bind the approval to the resolved path instead: a resolution taken when the
digest is computed can change before the read (the same race), and a secret outside the
project legitimately resolves elsewhere over time (a Kubernetes secret file is a symlink
into a `..data` directory that every rotation renames).
"""

from __future__ import annotations

import os
from pathlib import Path

from .regular_files import UnreadableFile, Verify

_MAX_LINKS = 40  # as Linux's MAXSYMLINKS


def resolve_confined(path: Path, project: Path, *, relative: bool) -> Path:
    """`path` (absolute) with every symlink followed; `UnreadableFile` when following them
    leaves `project` through a symlink inside it, or when a reference written `relative`
    to the project ends outside it."""
    root = Path(os.path.realpath(project))
    current = Path(path.anchor)
    pending = list(path.parts[1:])
    crossed = False  # followed a symlink that lies inside the project
    links = 0
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            current = current.parent  # `current` holds no symlink: its parent is real
            continue
        candidate = current / name
        try:
            target = Path(os.readlink(candidate))
        except OSError:  # not a symlink (or missing: the open says so)
            current = candidate
            continue
        links += 1
        if links > _MAX_LINKS:
            raise UnreadableFile("is a loop of symbolic links")
        crossed = crossed or _within(current, root)
        if target.is_absolute():
            current = Path(target.anchor)
        pending[:0] = target.parts[1:] if target.is_absolute() else target.parts
    if (relative or crossed) and not _within(current, root):
        how = "through a symbolic link inside it" if crossed else "as written"
        raise UnreadableFile(f"lies outside the project {root} ({how}); a project rule "
                             "reads only the project's own files there")
    return current


def opened_here(path: Path, project: Path, *, relative: bool) -> Verify:
    """A `verify` for `read_regular_file`: the opened descriptor is the file at `path`
    (what `resolve_confined` returned)."""

    def verify(fd: int, info: os.stat_result) -> None:
        try:
            kernel = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # no /proc: the same inode, reached by the same checked walk
            again = resolve_confined(path, project, relative=relative)
            seen = os.stat(again)
            if again != path or (seen.st_dev, seen.st_ino) != (info.st_dev, info.st_ino):
                raise UnreadableFile("changed while it was opened") from None
            return
        if kernel != str(path):
            raise UnreadableFile("changed while it was opened (a symbolic link was swapped "
                                 "in)")

    return verify


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
