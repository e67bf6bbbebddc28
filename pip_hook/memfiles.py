"""Where rendered requirements files live while pip reads them: never on persistent disk.

On Linux each file is an anonymous memory file (`memfd_create`) that pip reads as
`/dev/fd/N`: it has no name in any directory, is inherited by pip alone (`pass_fds`), and
disappears when the last process closes it -- after exit, a crash, SIGKILL, or a pip
failure alike. Elsewhere (or when pip must re-exec itself, which closes inherited fds) the
files go to a fresh 0700 directory (`$XDG_RUNTIME_DIR` when set: a per-user tmpfs) as 0600
files, removed by `close()`; the CLI calls it on exit and on SIGINT/SIGTERM/SIGHUP, and
after a SIGKILL the next run removes it (private_dirs.py).
"""

from __future__ import annotations

import contextlib
import os
import re
from types import TracebackType
from typing import Optional

#: Set to 1 to force the directory fallback (a pip that cannot open /dev/fd paths).
NO_MEMFD_ENV = "PIP_PRIVATE_NO_MEMFD"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def memfd_supported() -> bool:
    return hasattr(os, "memfd_create") and os.path.isdir("/dev/fd")


class RenderedFiles:
    """A set of rendered files for one pip run; use as a context manager."""

    def __init__(self, *, use_memfd: Optional[bool] = None) -> None:
        if use_memfd is None:
            use_memfd = memfd_supported() and os.environ.get(NO_MEMFD_ENV, "") in ("", "0")
        self.use_memfd = use_memfd
        self.fds: list[int] = []
        self.directory: Optional[str] = None
        self.paths: dict[str, str] = {}  # path pip reads -> name shown to the user
        self._count = 0

    def add(self, display: str, text: str) -> str:
        """Store one rendered file; return the path pip should read it from."""
        data = text.encode("utf-8")
        self._count += 1
        name = f"{self._count}-{_UNSAFE.sub('_', os.path.basename(display))[:60]}"
        path = self._add_memfd(name, data) if self.use_memfd else self._add_file(name, data)
        self.paths[path] = display
        return path

    def _add_memfd(self, name: str, data: bytes) -> str:
        fd = os.memfd_create(f"pip-private:{name}", os.MFD_CLOEXEC)
        self.fds.append(fd)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        return f"/dev/fd/{fd}"

    def _add_file(self, name: str, data: bytes) -> str:
        if self.directory is None:
            from .private_dirs import make_private_dir

            self.directory = make_private_dir(os.environ)  # 0700, named after its owner
        path = os.path.join(self.directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        return path

    def close(self) -> None:
        """Close every memory file and remove the fallback directory; safe to call twice."""
        while self.fds:
            with contextlib.suppress(OSError):
                os.close(self.fds.pop())
        if self.directory is not None:
            import shutil

            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> RenderedFiles:
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()
