"""What in a poetry project puts a private source at risk, found by reading its files.

Three risks, each a `Finding` (a line of text and a fix) that never holds a credential:

- a credential embedded in a URL (`https://user:token@host/...`) in pyproject.toml or
  poetry.lock: anyone who can read the file (git history, CI logs, images) has the token;
- a source over plain http to a host that is not loopback: packages can be altered on the
  way, and a credential would travel in clear text;
- dependency confusion: a package locked from a private source, not pinned to it with
  `source = "NAME"`, while PyPI is searched too -- a same-named upload to PyPI can win.

Which sources poetry searches follows poetry 2's `Factory.create_pool` and
`RepositoryPool.find_packages`: PyPI is added implicitly (as primary) unless a source is
configured as primary or a source named `pypi` is configured; primary sources are all
searched and their candidates merged (the highest version wins, wherever it comes from);
supplemental ones only when no primary source has the package; explicit ones only for
dependencies pinned to them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote

from keyring_backend.probe import display_username, normalize_name
from keyring_backend.secret import MASK
from keyring_backend.urls import parse_location

from .sources import Source

# scheme://userinfo@rest -- userinfo ends at the last `@` before the path.
_USERINFO_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<userinfo>[^/\s\"'<>]*)@(?P<rest>[^\s\"'<>]*)")
SOURCE = "<source name>"  # the caller puts the source's name in when it knows it
_SEARCHED = {
    "primary": "PyPI is searched beside it (a primary source: the highest version wins, "
               "wherever it comes from)",
    "implicit": "PyPI is searched first (poetry adds it as the primary source because no "
                "source is primary)",
    "supplemental": "PyPI is searched when the primary sources lack a package "
                    "(a supplemental source)",
}


@dataclass(frozen=True)
class Finding:
    """One risk: `where` is `file:line` or "", `text` one line, `fix` what to do next."""

    text: str
    fix: str = ""
    where: str = ""
    url: str = ""  # the URL it concerns, without userinfo, query or fragment

    def concerns(self, source_url: str) -> bool:
        """True when the finding's URL is this source's index URL (userinfo aside)."""
        mine = parse_location(self.url) if self.url else None
        return mine is not None and mine == parse_location(source_url)


def credential_urls(path: Path, shown_name: str) -> list[Finding]:
    """Every URL in the file that carries a credential (comments included: a commented-out
    token is still committed). `shown_name` is the file as messages name it."""
    from keyring_backend.regular_files import UnreadableFile, read_project_file

    try:  # regular files only: a FIFO poetry.lock would hang the check
        text = read_project_file(path).decode("utf-8", errors="replace")
    except UnreadableFile:
        return []
    lock = path.name.endswith(".lock")
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _USERINFO_URL.finditer(line):
            if not _is_credential(match.group("scheme"), match.group("userinfo")):
                continue
            shown = _shown_url(match.group("scheme"), match.group("rest"))
            found.append(Finding(
                f"{shown_name}:{number}: a URL with an embedded credential ({shown}): anyone "
                "who can read this file (git history, CI logs, images) can use it",
                _LOCK_FIX if lock else _PYPROJECT_FIX, f"{shown_name}:{number}", shown))
    return found


_PYPROJECT_FIX = (
    "Remove the credential from the URL and bind it with a rule instead:\n"
    "    [[tool.private-packages.credentials]]\n"
    f'    source = "{SOURCE}"\n'
    '    password = "${MY_TOKEN}"\n'
    "then revoke the token: it is in the git history.")
_LOCK_FIX = ("The lock was made from a URL with a credential: remove the credential from the "
             "source URL in pyproject.toml, run `poetry lock`, and revoke the token.")


def plain_http(source: Source) -> Optional[Finding]:
    """A source over plain http to a non-loopback host, or None."""
    loc = parse_location(source.url)  # urlsplit reads the host after any userinfo
    if loc is None or loc.scheme != "http" or loc.is_loopback:
        return None
    return Finding(
        f"plain http to {loc.host}: packages (and any credential) travel unencrypted and can "
        "be read or altered on the way",
        "Use the index's https URL. A credential rule refuses plain http to a non-loopback "
        "host unless it says allow_http = true (only on a network you trust).")


def pypi_priority(local_config: Mapping[str, Any], sources: Sequence[Source]) -> str:
    """How poetry uses PyPI here: "primary", "supplemental", "explicit", "implicit" (added
    by poetry as primary) or "" (not at all)."""
    for entry in _list(local_config.get("source")):
        if isinstance(entry, dict) and str(entry.get("name", "")).lower() == "pypi":
            return str(entry.get("priority", "primary")).lower()
    if any(s.priority.lower() == "primary" for s in sources):
        return ""
    return "implicit"


def pinned_sources(local_config: Mapping[str, Any]) -> dict[str, set[str]]:
    """Normalised dependency name -> the sources it is pinned to with `source = "NAME"`,
    from [tool.poetry.dependencies], dev-dependencies and every group's dependencies."""
    tables = [local_config.get("dependencies"), local_config.get("dev-dependencies")]
    groups = local_config.get("group")
    if isinstance(groups, dict):
        tables += [g.get("dependencies") for g in groups.values() if isinstance(g, dict)]
    pinned: dict[str, set[str]] = {}
    for table in tables:
        for name, spec in (table.items() if isinstance(table, dict) else ()):
            for constraint in spec if isinstance(spec, list) else [spec]:
                if isinstance(constraint, dict) and isinstance(constraint.get("source"), str):
                    pinned.setdefault(normalize_name(name), set()).add(constraint["source"])
    return pinned


def locked_packages(lock_file: Path) -> Optional[dict[str, list[str]]]:
    """Source name -> names of the packages poetry.lock takes from it (`[package.source]`
    of type legacy); None when there is no readable lock file."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    from keyring_backend.regular_files import UnreadableFile, read_project_file

    try:  # regular files only: a FIFO poetry.lock would hang the check
        data = tomllib.loads(read_project_file(lock_file).decode("utf-8"))
    except (UnreadableFile, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    found: dict[str, list[str]] = {}
    for package in _list(data.get("package")):
        source = package.get("source") if isinstance(package, dict) else None
        if isinstance(source, dict) and source.get("type") == "legacy" and \
                isinstance(source.get("reference"), str) and isinstance(package.get("name"), str):
            found.setdefault(source["reference"], []).append(package["name"])
    return found


def dependency_confusion(source: Source, locked: Sequence[str],
                         pinned: Mapping[str, set[str]], pypi: str) -> Optional[Finding]:
    """Packages locked from `source` but not pinned to it while PyPI is searched, or None."""
    if source.is_pypi or pypi not in _SEARCHED:
        return None
    loose = sorted(n for n in locked if source.name not in pinned.get(normalize_name(n), ()))
    if not loose:
        return None
    names = ", ".join(loose[:8]) + (f" and {len(loose) - 8} more" if len(loose) > 8 else "")
    return Finding(
        f"dependency confusion: {names} locked from '{source.name}' without "
        f'source = "{source.name}", and {_SEARCHED[pypi]}: a package of the same name '
        "uploaded to PyPI could be installed instead",
        f'Pin each one under [tool.poetry.dependencies]: {loose[0]} = {{ version = "...", '
        f'source = "{source.name}" }}; or make \'{source.name}\' the only primary source and '
        'give PyPI priority = "explicit" (or leave it out).')


def unlocked_risk(source: Source, pinned: Mapping[str, set[str]], pypi: str) -> Optional[str]:
    """A note when PyPI is searched but there is no lock to tell which packages come from
    `source` (nothing is pinned to it): the check cannot judge, the user can."""
    if source.is_pypi or pypi not in _SEARCHED:
        return None
    if any(source.name in names for names in pinned.values()):
        return None
    return (f"{_SEARCHED[pypi]}, and no poetry.lock says which packages come from "
            f"'{source.name}': pin them with source = \"{source.name}\"")


def _is_credential(scheme: str, userinfo: str) -> bool:
    """Userinfo of an http(s) URL (git+https included) that holds a secret: a password, or a
    username that looks like a token. `git@` of ssh and `${...}` references are not."""
    if not scheme.lower().split("+")[-1].startswith("http"):
        return False
    user, colon, password = userinfo.partition(":")
    if colon and password and not password.startswith("${"):
        return True
    return not user.startswith("${") and display_username(unquote(user)) == MASK


def _shown_url(scheme: str, rest: str) -> str:
    """`scheme://host/path` without userinfo, query or fragment (they may hold a token)."""
    return f"{scheme}://{re.split(r'[?#]', rest, maxsplit=1)[0]}"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

