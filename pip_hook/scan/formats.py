"""Where credentialed URLs stand in each file `pip-private scan` reads, and how each file
comments: requirements files (pip's own rules), TOML (pyproject.toml, poetry.lock, uv.lock)
and pip.conf. Plus the one pass every file gets: well-known token shapes, anywhere.

Each reader yields `Hit`s: a finding plus the secret spellings it was about, so `scan` can
make sure no message or proposal shows any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Callable, Optional

from keyring_backend.records import field, record

from ..reqfile import COMMENT_RE, join_lines
from .proposals import lock_proposal, url_message, url_proposal
from .rules import UrlCredential, UrlParts, find_urls, token_shapes, url_credential

_VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")
_TOML_TABLE = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*$")
_TOML_GIT_KEY = re.compile(r"""\bgit\s*=\s*["']$""")
_TOML_TYPE_GIT = re.compile(r"""^\s*type\s*=\s*["']git["']""")


@record(frozen=True)
class Hit:
    """One finding before it is attached to a path; `secrets` never leave `scan`."""

    line: int
    column: int
    kind: str
    host: Optional[str]
    message: str
    proposal: str
    secrets: tuple[str, ...] = field(repr=False, default=())


def is_vcs(parts: UrlParts) -> bool:
    return parts.scheme.lower().startswith(_VCS_SCHEMES)


def url_hits(number: int, code: str, kind: str,
             propose: Callable[[UrlCredential, tuple[int, int]], str],
             where: str = "the URL") -> Iterator[Hit]:
    """A hit for each URL in `code` (comments already removed) that carries a credential."""
    for start, end in find_urls(code):
        cred = url_credential(code[start:end])
        if cred is not None:
            yield Hit(number, start + 1, kind, cred.parts.host, url_message(cred, where),
                      propose(cred, (start, end)), cred.secrets)


# ----------------------------------------------------------------- requirements files

def scan_requirements(text: str, name: str) -> Iterator[Hit]:
    """URLs in index options, find-links, `-e`, `pkg @ url`, `git+https://` and `-r URL`
    lines. Columns count in the joined line, as pip sees it."""
    del name
    for number, line in join_lines(text):
        comment = COMMENT_RE.search(line)
        code = line[:comment.start()] if comment else line

        def propose(cred: UrlCredential, span: tuple[int, int], code: str = code) -> str:
            vcs = is_vcs(cred.parts)
            return url_proposal(code, span, cred, vcs=vcs, offer_reference=not vcs)

        yield from url_hits(number, code, "url-userinfo", propose)


# ---------------------------------------------------------------------------- TOML

def toml_code(line: str) -> str:
    """`line` without its comment: a `#` outside a basic or literal string."""
    quote = ""
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 2
                continue
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[:index]
        index += 1
    return line


def _toml_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """`(number, code, in_git_table)`: `in_git_table` after a `type = "git"` line in the same
    table (poetry.lock's `[package.source]` of a git dependency)."""
    git_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        code = toml_code(line)
        if _TOML_TABLE.fullmatch(code):
            git_table = False
        elif _TOML_TYPE_GIT.match(code):
            git_table = True
        yield number, code, git_table


def _toml_vcs(cred: UrlCredential, code: str, start: int, git_table: bool) -> bool:
    # poetry's `{ git = "https://..." }`, uv.lock's `source = { git = "..." }`
    return is_vcs(cred.parts) or git_table or bool(_TOML_GIT_KEY.search(code[:start]))


def scan_pyproject_urls(text: str, name: str) -> Iterator[Hit]:
    """Source and index URLs (`[[tool.poetry.source]]`, `[[tool.uv.index]]`, `[tool.uv]`),
    PEP 621 and poetry dependency strings, `{git = ...}` / `{url = ...}` tables."""
    del name
    for number, code, git_table in _toml_lines(text):
        def propose(cred: UrlCredential, span: tuple[int, int], code: str = code,
                    git_table: bool = git_table) -> str:
            vcs = _toml_vcs(cred, code, span[0], git_table)
            return url_proposal(code, span, cred, vcs=vcs, offer_reference=False)

        yield from url_hits(number, code, "url-userinfo", propose)


def scan_lock(text: str, name: str) -> Iterator[Hit]:
    """poetry.lock's `[package.source] url`, uv.lock's `url` / `source` fields, and
    pylock.toml's (PEP 751) `index`, `url` and `[packages.vcs]` URLs."""
    # the command that makes the lock again, once its source has no credential
    tool = {"uv.lock": "uv lock", "poetry.lock": "poetry lock"}.get(
        name, "pip lock -o pylock.toml (or the tool that wrote it)")
    for number, code, git_table in _toml_lines(text):
        def propose(cred: UrlCredential, span: tuple[int, int], code: str = code,
                    git_table: bool = git_table) -> str:
            vcs = _toml_vcs(cred, code, span[0], git_table)
            return lock_proposal(cred, vcs=vcs, tool=tool)

        yield from url_hits(number, code, "lock-url", propose, where=f"a {name} URL")


# ------------------------------------------------------------------------ pip.conf

def scan_pip_conf(text: str, name: str) -> Iterator[Hit]:
    """`index-url`, `extra-index-url` (one URL a line when continued) and `find-links`.
    pip reads its config with configparser: only whole lines starting with `#` or `;` are
    comments, a `#` inside a value is part of it."""
    del name
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith(("#", ";")):
            continue

        def propose(cred: UrlCredential, span: tuple[int, int], line: str = line) -> str:
            return url_proposal(line, span, cred, vcs=is_vcs(cred.parts),
                                offer_reference=False)

        yield from url_hits(number, line, "url-userinfo", propose)


# -------------------------------------------------------------------- token shapes

def token_hits(lines: Iterable[tuple[int, str]], reported: Sequence[Hit]) -> Iterator[Hit]:
    """Well-known tokens anywhere, comments included: a real token in a comment is as
    leaked as one in a URL. A token another hit on the same line already covers is skipped."""
    covered: dict[int, list[str]] = {}
    for hit in reported:
        covered.setdefault(hit.line, []).extend(hit.secrets)
    for number, text in lines:
        for shape, match in token_shapes(text):
            if any(match[0] in secret for secret in covered.get(number, [])):
                continue
            if shape.variable == "AWS_ACCESS_KEY_ID":
                where = "the environment (AWS_ACCESS_KEY_ID) or an AWS profile"
            else:
                where = f"${{{shape.variable}}}, e.g. in a rule's password"
            yield Hit(number, match.start() + 1, "token-shape", None,
                      f"looks like a {shape.label} (****)",
                      "revoke it (it stays in the file's history), keep its replacement in a "
                      f"secret (a CI variable, a file, the keyring or Vault) and refer to it "
                      f"through {where}", (match[0],))
