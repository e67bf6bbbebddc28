"""Files pip writes itself (`--log`, `--report`, `pip lock --output`) go through the masker.

pip redacts the password of a URL in most messages, but not a token used as the username
(`https://${GITHUB_TOKEN}@github.com/...`), and not every debug line. Its stdout and stderr
pass through our masker; these files would not. So pip gets `/dev/fd/N` -- the write end
of a pipe -- instead of the path, and a thread masks what arrives and writes it to the
real file (appending for logs, as pip does; replacing for reports and lock files).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from typing import Callable, Optional

from .masking import Masker

#: Option -> how pip opens the file it names.
FILE_OPTIONS: Mapping[str, str] = {"--log": "ab", "--log-file": "ab", "--local-log": "ab",
                                   "--report": "wb", "--output": "wb"}
#: pip's environment spellings of the log options (pip reads PIP_<OPTION>).
ENV_OPTIONS: Mapping[str, str] = {"PIP_LOG": "--log", "PIP_LOG_FILE": "--log-file",
                                  "PIP_LOCAL_LOG": "--local-log"}


class MaskedOutputs:
    """Pipes standing in for pip's output files, each drained by a masking thread."""

    def __init__(self, masker_factory: Callable[[], Masker]) -> None:
        self._factory = masker_factory
        self.fds: list[int] = []  # write ends, passed to pip
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def redirect(self, option: str, target: str) -> str:
        """Start masking into `target`; return the path to give pip instead."""
        mode = FILE_OPTIONS[option]
        path = os.path.abspath(target)
        read_end, write_end = os.pipe()
        self.fds.append(write_end)
        thread = threading.Thread(target=self._drain, args=(read_end, path, mode),
                                  name=f"pip-private {option}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return f"/dev/fd/{write_end}"

    def _drain(self, read_end: int, path: str, mode: str) -> None:
        masker = self._factory()
        out: Optional[int] = None
        try:
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "ab" else os.O_TRUNC)
            out = os.open(path, flags, 0o666)
            while True:
                chunk = os.read(read_end, 65536)
                data = masker.feed(chunk) if chunk else masker.flush()
                view = memoryview(data)
                while view:
                    view = view[os.write(out, view):]
                if not chunk:
                    break
        except OSError as exc:
            self.errors.append(f"cannot write {path}: {exc.strerror}")
            with contextlib.suppress(OSError):  # keep pip from blocking on a full pipe
                while os.read(read_end, 65536):
                    pass
        finally:
            os.close(read_end)
            if out is not None:
                os.close(out)

    def finish(self) -> None:
        """After pip exited: close our write ends so the threads see EOF, then wait."""
        while self.fds:
            with contextlib.suppress(OSError):
                os.close(self.fds.pop())
        for thread in self._threads:
            thread.join()
        self._threads.clear()
