"""Which files `pip-private scan` reads, and the findings in one file's text.

No finding ever holds a secret, not even in part: every reader hands its secrets over with
its finding, and they are masked out of the message and the proposal once more here, so a
line that holds a second secret cannot leak it through the first one's proposal.
"""

from __future__ import annotations

import base64
import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote, quote_plus, unquote

from keyring_backend.errors import PrivatePackagesError
from keyring_backend.records import record

from ..reqfile import join_lines
from .formats import (
    Hit,
    scan_lock,
    scan_pip_conf,
    scan_pyproject_urls,
    scan_requirements,
    token_hits,
)
from .keys import scan_dockerfile, scan_netrc, scan_pypirc, scan_pyproject_rules

SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__",
                       "site-packages", ".tox", "build", "dist"})
_MASK = "****"
_MIN_MASKED = 4  # shorter values would mask ordinary words; readers never print them anyway

Reader = Callable[[str, str], Iterator[Hit]]


def _pyproject(text: str, name: str) -> Iterator[Hit]:
    yield from scan_pyproject_urls(text, name)
    yield from scan_pyproject_rules(text, name)


READERS: dict[str, Reader] = {
    "requirements": scan_requirements,
    "pyproject": _pyproject,
    "lock": scan_lock,
    "pip-conf": scan_pip_conf,
    "pypirc": scan_pypirc,
    "netrc": scan_netrc,
    "dockerfile": scan_dockerfile,
}


_KIND_BY_NAME = {"pyproject.toml": "pyproject", "poetry.lock": "lock", "uv.lock": "lock",
                 "pip.conf": "pip-conf", "pip.ini": "pip-conf", ".pypirc": "pypirc",
                 ".netrc": "netrc", "_netrc": "netrc"}


class ScanError(PrivatePackagesError):
    """A path given to `pip-private scan` does not exist or cannot be read."""


@record(frozen=True)
class Finding:
    """One hard-coded credential. `message` and `proposal` never hold its value."""

    path: Path
    line: int  # 1-based; for a continued requirements line, its first physical line
    column: int  # 1-based; for a continued requirements line, in the joined line pip reads
    kind: str  # url-userinfo, lock-url, pypirc-password, netrc, docker-secret, ...
    host: Optional[str]
    message: str
    proposal: str

    def render(self) -> str:
        """The ruff/flake8-style block: location, kind and message, then the indented fix."""
        head = f"{os.fspath(self.path)}:{self.line}:{self.column}: {self.kind}: {self.message}"
        fix = self.proposal.splitlines() or [""]
        return "\n".join([head, f"    fix: {fix[0]}", *(f"         {line}" for line in fix[1:])])


def file_kind(path: Path, explicit: bool = False) -> Optional[str]:
    """Which reader a file gets; None for a file a directory walk leaves alone. A file
    named on the command line is read as a requirements file unless its name says more."""
    name = path.name
    lowered = name.lower()
    if name in _KIND_BY_NAME:
        return _KIND_BY_NAME[name]
    if name.startswith(("Dockerfile", "Containerfile")) or lowered.endswith(".dockerfile"):
        return "dockerfile"
    if (fnmatch.fnmatch(lowered, "*requirements*.txt")
            or fnmatch.fnmatch(lowered, "*constraints*.txt")
            or (path.parent.name == "requirements" and lowered.endswith(".txt"))
            or (lowered.endswith(".in") and lowered != "manifest.in")):
        return "requirements"
    return "requirements" if explicit else None


def walk(root: Path) -> Iterator[Path]:
    """Files under `root` that `file_kind` knows, in a stable order, skipping virtualenvs,
    VCS metadata and build output."""
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            path = Path(directory) / name
            if file_kind(path) is not None and path.is_file():
                yield path


def scan_text(text: str, kind: str, path: Path) -> list[Finding]:
    """Findings in `text`, read as a file of `kind` (a key of `READERS`) named `path`."""
    hits = list(READERS[kind](text, path.name))
    lines = (list(join_lines(text)) if kind == "requirements"
             else list(enumerate(text.splitlines(), start=1)))
    hits += token_hits(lines, hits)
    secrets = {form for hit in hits for secret in hit.secrets for form in _spellings(secret)}
    return [Finding(path, hit.line, hit.column, hit.kind, hit.host,
                    _masked(hit.message, secrets), _masked(hit.proposal, secrets))
            for hit in sorted(hits, key=lambda h: (h.line, h.column))]


def _spellings(secret: str) -> set[str]:
    raw = unquote(secret)
    forms = {secret, raw, quote(raw, safe=""), quote(raw), quote_plus(raw)}
    forms |= {base64.b64encode(raw.encode()).decode(),
              base64.urlsafe_b64encode(raw.encode()).decode()}
    return {form for form in forms if len(form) >= _MIN_MASKED}


def _masked(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


def read_text(path: Path) -> str:
    """A file's text: UTF-8 (with or without BOM), else Latin-1, which decodes any bytes.
    Regular files of at most 16 MiB only (regular_files.py): a FIFO would hang the scan."""
    from keyring_backend.regular_files import (
        PROJECT_FILE_LIMIT,
        UnreadableFile,
        read_regular_file,
    )

    try:
        data = read_regular_file(path, PROJECT_FILE_LIMIT)
    except UnreadableFile as exc:
        raise ScanError(f"{os.fspath(path)} {exc.reason}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _targets(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    for path in paths:
        if path.is_dir():
            for found in walk(path):
                yield found, file_kind(found) or "requirements"
        elif path.is_file():
            yield path, file_kind(path, explicit=True) or "requirements"
        elif path.exists():  # a FIFO or a device would block or never end
            raise ScanError(f"not a regular file: {os.fspath(path)}")
        else:
            raise ScanError(f"no such file or directory: {os.fspath(path)}")


def scan_paths(paths: Sequence[Path]) -> list[Finding]:
    """Findings in `paths`: files are read whatever their name (pre-commit passes the
    files it matched), directories are walked for the file names `file_kind` knows.
    Raises `ScanError` for a path that does not exist or cannot be read."""
    return scan_with_count(paths)[0]


def scan_with_count(paths: Sequence[Path]) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    count = 0
    for path, kind in _targets(paths):
        findings += scan_text(read_text(path), kind, path)
        count += 1
    return findings, count
