"""Writing a file the user owns (pyproject.toml, the user config) so that it is never left
half-written.

`atomic_write` writes a temporary file in the same directory (so `os.replace` is a rename
on one file system, atomic on POSIX and Windows), flushes it to disk, gives it the mode of
the file it replaces, then renames it over the file. A crash, a full disk or a killed CI
job leaves either the old file or the new one, never a truncated pyproject.toml. A
symlinked file is written through to its target, so the link stays a link.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

NEW_FILE_MODE = 0o600  # a new file may hold rules: readable by its owner only


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
