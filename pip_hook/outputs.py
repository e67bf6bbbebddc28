"""Files pip writes itself (`--log`, `--report`, `pip lock --output`) go through the masker.

pip redacts the password of a URL in most messages, but not a token used as the username
(`https://${GITHUB_TOKEN}@github.com/...`), not a token in a URL's path (an index URL
`https://dl.cloudsmith.io/TOKEN/...` that `--report` and a lock file record), and not every
debug line. Its stdout and stderr pass through our masker; these files would not. So pip
gets `/dev/fd/N` -- the write end of a pipe -- instead of the path, and a thread masks
what arrives and writes it to the real file (appending for logs, as pip does; replacing
for reports and lock files).

pip learns where to write from its command line, its `PIP_<OPTION>` variables and its
config files (`log = ...` in pip.conf), in that precedence, and `pip lock` writes
`pylock.toml` when told nothing: `redirect_files` follows each of those.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from typing import Callable, Optional

from .masking import Masker
from .pipargs import Arg

#: Option -> how pip opens the file it names.
FILE_OPTIONS: Mapping[str, str] = {"--log": "ab", "--log-file": "ab", "--local-log": "ab",
                                   "--report": "wb", "--output": "wb"}
#: Each file pip writes: the options that name it (one `dest` in pip), the commands that
#: have them (None: every command, a general option), and pip's default.
_FILES: tuple[tuple[tuple[str, ...], Optional[frozenset[str]], Optional[str]], ...] = (
    (("--log", "--log-file", "--local-log"), None, None),
    (("--report",), frozenset({"install"}), None),
    (("--output",), frozenset({"lock"}), "pylock.toml"),
)
#: Their keys in pip's config files.
CONFIG_KEYS = tuple(option[2:] for options, _, _ in _FILES for option in options)


def redirect_files(outputs: MaskedOutputs, general: list[Arg], rest: list[Arg],
                   env: dict[str, str], command: Optional[str], *, isolated: bool,
                   config: Optional[Mapping[str, str]]) -> None:
    """Point pip at a masking pipe for every file it will write (module docstring).
    `config`: what pip's config files set for CONFIG_KEYS, None when no secret was
    rendered (the masker would change nothing there, nor in pip's default files);
    `isolated`: pip ignores `PIP_*` then."""
    for part in general + rest:
        name, value = part.name, part.value
        if name in FILE_OPTIONS and name is not None and value is not None and value != "-":
            part.value, part.changed = outputs.redirect(name, value), True
    named = {part.name for part in general + rest}
    for options, commands, default in _FILES:
        if commands is not None and command not in commands:
            continue
        spelt = [] if isolated else [env.pop(_variable(option), "") for option in options]
        if named.intersection(options):
            continue
        target = next((value for value in spelt if value), None)
        if config is not None:
            target = target or next((config[o[2:]] for o in options if o[2:] in config),
                                    default)
        if target and target != "-":
            path = outputs.redirect(options[0], target)
            (general if commands is None else rest).append(Arg([options[0], path],
                                                               options[0], path))


def _variable(option: str) -> str:
    return "PIP_" + option[2:].upper().replace("-", "_")


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
        # pip expands `~` in the path options (optparse type "path"), not in --report
        path = os.path.abspath(target if option == "--report" else os.path.expanduser(target))
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
