"""The findings of `pip-private scan`: each file's text through its kind's reader.

No finding ever holds a secret, not even in part: every reader hands its secrets over with
its finding, and they are masked out of the message and the proposal once more here, so a
line that holds a second secret cannot leak it through the first one's proposal.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote, quote_plus, unquote

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
from .targets import includes, read_text, targets

_MASK = "****"
_MIN_MASKED = 4  # shorter values would mask ordinary words; readers never print them anyway

Reader = Callable[[str, str], Iterator[Hit]]


def _pyproject(text: str, name: str) -> Iterator[Hit]:
    yield from scan_pyproject_urls(text, name)
    yield from scan_pyproject_rules(text, name)


READERS: dict[str, Reader] = {
    "requirements": scan_requirements,
    "pyproject": _pyproject,
    "uv-config": scan_pyproject_urls,  # uv.toml: index URLs, as in [tool.uv]
    "lock": scan_lock,
    "pip-conf": scan_pip_conf,
    "pypirc": scan_pypirc,
    "netrc": scan_netrc,
    "dockerfile": scan_dockerfile,
}


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
        from keyring_backend.printable import printable

        # The path and message quote the scanned files: printable, each one line.
        head = printable(f"{os.fspath(self.path)}:{self.line}:{self.column}: {self.kind}: "
                         f"{self.message}")
        fix = [printable(line) for line in self.proposal.splitlines()] or [""]
        return "\n".join([head, f"    fix: {fix[0]}", *(f"         {line}" for line in fix[1:])])


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


def scan_paths(paths: Sequence[Path]) -> list[Finding]:
    """Findings in `paths` (targets.py says which files). Raises `ScanError` for a path
    that does not exist or cannot be read."""
    return scan_files(paths)[0]


def scan_files(paths: Sequence[Path]) -> tuple[list[Finding], list[Path]]:
    """Findings and the files read: the targets in order, each requirements file followed
    by the files it includes, every file once."""
    findings: list[Finding] = []
    read: list[Path] = []
    seen: set[Path] = set()
    todo = list(reversed(list(targets(paths))))
    while todo:
        path, kind = todo.pop()
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        read.append(path)
        text = read_text(path)
        findings += scan_text(text, kind, path)
        if kind == "requirements":
            todo += reversed([(p, "requirements") for p in includes(text, path)])
    return findings, read
