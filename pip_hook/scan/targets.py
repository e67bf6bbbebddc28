"""Which files `pip-private scan` reads, and as what.

- Files named on the command line are read whatever their name (pre-commit passes the
  files its pattern matched), as requirements files unless the name says more.
- Directories are walked for the names pip, poetry, uv, twine and Docker read:
  `*requirements*.txt`, `*constraints*.txt`, `*.in`, every `.txt`/`.in` under a
  directory named `req`, `reqs`, `requirement` or `requirements` (at any depth below
  the walked one, or the walked one itself), `pyproject.toml`, `poetry.lock`, `uv.lock`,
  `uv.toml`, `pylock.toml` / `pylock.NAME.toml` (PEP 751), `pip.conf`, `.pypirc`,
  `.netrc` and Dockerfiles -- skipping VCS metadata, virtualenvs and build output.
- A requirements file's `-r` / `-c` includes are followed (pip's path rules: relative to
  the including file), whatever their names, each file once; an include pip would fetch
  (a URL) or that a reference names (`${...}`) is not ours to read, and one that does
  not exist is pip's error to report, not a credential.

Every file is read as a regular file of at most 16 MiB (regular_files.py): a FIFO or a
device among them is refused, never waited on.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Optional

from keyring_backend.errors import PrivatePackagesError

from ..pipargs import INCLUDES, break_args_options, reqfile_args
from ..reqfile import COMMENT_RE, join_lines

SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__",
                       "site-packages", ".tox", "build", "dist"})
REQUIREMENT_DIRS = frozenset({"req", "reqs", "requirement", "requirements"})
_KIND_BY_NAME = {"pyproject.toml": "pyproject", "poetry.lock": "lock", "uv.lock": "lock",
                 "pylock.toml": "lock", "uv.toml": "uv-config", "pip.conf": "pip-conf",
                 "pip.ini": "pip-conf", ".pypirc": "pypirc", ".netrc": "netrc",
                 "_netrc": "netrc"}
_REMOTE = ("http://", "https://", "file:")


class ScanError(PrivatePackagesError):
    """A path given to `pip-private scan` does not exist or cannot be read."""


def file_kind(path: Path, explicit: bool = False,
              folders: Optional[Sequence[str]] = None) -> Optional[str]:
    """Which reader a file gets; None for a file a directory walk leaves alone. A file
    named on the command line is read as a requirements file unless its name says more.
    `folders`: the directories from the walked root (itself included) down to the file;
    by default the parts of `path`'s own (relative, repository-style) parent."""
    name = path.name
    lowered = name.lower()
    if name in _KIND_BY_NAME:
        return _KIND_BY_NAME[name]
    if fnmatch.fnmatchcase(name, "pylock.*.toml"):
        return "lock"
    if name.startswith(("Dockerfile", "Containerfile")) or lowered.endswith(".dockerfile"):
        return "dockerfile"
    folders = path.parent.parts if folders is None else folders
    in_requirement_dir = any(f in REQUIREMENT_DIRS for f in folders)
    if (fnmatch.fnmatch(lowered, "*requirements*.txt")
            or fnmatch.fnmatch(lowered, "*constraints*.txt")
            or (in_requirement_dir and lowered.endswith((".txt", ".in")))
            or (lowered.endswith(".in") and lowered != "manifest.in")):
        return "requirements"
    return "requirements" if explicit else None


def walk(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, kind) under `root` for the files `file_kind` knows, in a stable order,
    skipping virtualenvs, VCS metadata and build output."""
    top = root.resolve().name
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        folders = (top, *Path(directory).relative_to(root).parts)
        for name in sorted(files):
            path = Path(directory) / name
            kind = file_kind(path, folders=folders)
            if kind is not None and path.is_file():
                yield path, kind


def targets(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    """(file, kind) for each path given, directories walked."""
    for path in paths:
        if path.is_dir():
            yield from walk(path)
        elif path.is_file():
            yield path, file_kind(path, explicit=True) or "requirements"
        elif path.exists():  # a FIFO or a device would block or never end
            raise ScanError(f"not a regular file: {os.fspath(path)}")
        else:
            raise ScanError(f"no such file or directory: {os.fspath(path)}")


def includes(text: str, path: Path) -> list[Path]:
    """The local files a requirements file's `-r` / `-c` lines include (module docstring)."""
    found: list[Path] = []
    for _, line in join_lines(text):
        options = break_args_options(COMMENT_RE.sub("", line).strip())[1]
        if not options:
            continue
        try:
            parts = reqfile_args(shlex.split(options))
        except ValueError:  # an unbalanced quote: pip refuses the line, nothing to follow
            continue
        for part in parts:
            target = part.value
            if part.name not in INCLUDES or not target or "${" in target or \
                    target.startswith(_REMOTE):
                continue
            included = Path(os.path.normpath(path.parent / target))
            if included.exists() or included.is_symlink():
                found.append(included)
    return found


def read_text(path: Path) -> str:
    """A file's text: UTF-8 (with or without BOM), else Latin-1, which decodes any bytes.
    Regular files of at most 16 MiB only (regular_files.py): a FIFO would hang the scan."""
    from keyring_backend.regular_files import UnreadableFile, read_project_file

    try:
        data = read_project_file(path)
    except UnreadableFile as exc:
        raise ScanError(f"{os.fspath(path)} {exc.reason}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
