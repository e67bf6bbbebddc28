"""Every version of one project a simple index already holds (stdlib only).

Used by `poetry source bump` to pick a version the registry does not have yet, and
written for any registry that speaks the simple API, not only GitLab's own API:

- The project page `<index>/<normalised name>/` is fetched through `http.fetch` (the
  credential goes to the index's origin only), asking for PEP 691 JSON first and PEP 503
  HTML second, as pip does.
- JSON: the PEP 700 `versions` list when present, plus the version of every file listed
  (a registry may list a version before its files, or the other way round).
- HTML: the filename of every anchor (its text, else the last segment of its href).
- Versions come from filenames: a wheel or egg is `name-version-...`, an sdist
  `name-version.tar.gz` (or `.zip` and the older archive types); names compare after PEP
  503 normalisation, so `acme_tool`, `Acme.Tool` and `acme-tool` are one project (PEP 625
  sdists use the underscore form, legacy ones keep dashes).
- Yanked files count: a yanked version is still taken, a registry refuses it again.

Returned versions are the raw strings (deduplicated, in page order); PEP 440 parsing and
ordering belong to the caller, which skips the ones that do not parse.

Answers: 404 means the registry does not know the project yet (an empty list). 401/403
raise `CredentialRejected` (exit 3) when a credential reached the server, else
`ConfigError` (exit 2: nothing was sent, so a rule is missing or a redirect dropped it).
Any other status, an unreadable page or no answer at all raise `IndexUnreachable` (exit 2).
No message carries a credential: URLs lose their userinfo, rules are named by origin.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

from .errors import ConfigError, CredentialRejected, IndexUnreachable
from .http import Response, fetch, split_userinfo
from .probe import ACCEPT, index_url, normalize_name
from .rules import CredentialRule
from .secret import Secret

JSON_TYPES = frozenset({"application/vnd.pypi.simple.v1+json", "application/json"})
# Longest first: `.tar.gz` must win over `.tar`.
SDIST_SUFFIXES = (".tar.bz2", ".tar.gz", ".tar.xz", ".tgz", ".zip", ".tar")
BUILT_SUFFIXES = (".whl", ".egg")
# Every PEP 440 version starts with a digit (or a `v` before one); names rarely do after a dash.
_VERSION_START = re.compile(r"[vV]?[0-9]")


def project_page_url(index: str, project: str) -> str:
    """`<index>/<PEP 503 name>/` for an index URL (userinfo and fragment dropped)."""
    return index_url(index) + normalize_name(project) + "/"


def project_versions(index: str, project: str, *, username: Optional[str] = None,
                     password: Optional[Secret] = None, timeout: float = 10.0,
                     cafile: Optional[str] = None, rule: Optional[str] = None,
                     bound: Optional[CredentialRule] = None) -> list[str]:
    """The versions of `project` on the simple index `index` (`[]` when it answers 404).

    The credential is `username`/`password`, else the URL's own userinfo. `rule` names the
    rule it came from ("pyproject.toml credentials[1]") for messages; it is not secret.
    `bound` is that rule: a redirect keeps the credential only within it (http.fetch).
    """
    _, url_user, url_password = split_userinfo(index)
    if username is None and password is None:
        username, password = url_user, url_password
    url = project_page_url(index, project)
    response = fetch(url, username=username, password=password, accept=ACCEPT,
                     timeout=timeout, cafile=cafile, bound=bound)
    host = urlsplit(response.url).netloc
    if response.status == 404:
        return []
    if response.status in (401, 403):
        sent = username is not None or password is not None
        raise _refusal(url, response, sent, rule)
    if response.status != 200:
        raise IndexUnreachable(host, f"{response.url} answered HTTP {response.status}")
    if response.truncated:
        # A partial listing could hide a taken version: refuse rather than guess.
        raise IndexUnreachable(host, f"the page {response.url} is too large to read")
    try:
        return versions_from_page(response.body, response.content_type, project)
    except ValueError as exc:
        raise IndexUnreachable(host, f"{response.url} is not a simple index page ({exc})") \
            from None


def versions_from_page(body: bytes, content_type: str, project: str) -> list[str]:
    """Versions listed on a project page; `ValueError` for a page that cannot be read."""
    if content_type in JSON_TYPES:
        return versions_from_json(body, project)
    return versions_from_html(body.decode("utf-8", "replace"), project)


def versions_from_json(body: bytes, project: str) -> list[str]:
    """PEP 691 project page: PEP 700 `versions`, then the version of each file."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("invalid JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the JSON is not an object")
    found = [v for v in data.get("versions") or [] if isinstance(v, str)]
    for entry in data.get("files") or []:
        filename = entry.get("filename") if isinstance(entry, dict) else None
        version = version_from_filename(filename, project) if isinstance(filename, str) \
            else None
        if version is not None:
            found.append(version)
    return _unique(found)


def versions_from_html(text: str, project: str) -> list[str]:
    """PEP 503 project page: the version in each anchor's filename."""
    parser = _Anchors()
    parser.feed(text)
    parser.close()
    found = []
    for href, label in parser.anchors:
        path_name = unquote(urlsplit(href).path.rsplit("/", 1)[-1]) if href else ""
        version = version_from_filename(label.strip(), project) or \
            version_from_filename(path_name, project)
        if version is not None:
            found.append(version)
    return _unique(found)


def version_from_filename(filename: str, project: str) -> Optional[str]:
    """The version in a distribution filename of `project`, or None when it is not one."""
    name = normalize_name(project)
    lower = filename.lower()
    if lower.endswith(BUILT_SUFFIXES):
        # Wheel and egg names escape `-` as `_`, so the first `-` ends the name.
        parts = filename[:-4].split("-")
        return parts[1] if len(parts) >= 2 and _VERSION_START.match(parts[1]) and \
            normalize_name(parts[0]) == name else None
    suffix = next((s for s in SDIST_SUFFIXES if lower.endswith(s)), None)
    if suffix is None:
        return None
    stem = filename[:-len(suffix)]
    # Legacy sdists keep the dashes of the name (`acme-tool-1.0.tar.gz`): split at the
    # dash after which the left part is this project's name and the rest looks like a
    # version, so `acme-tool-extra-1.0` is not a version "extra-1.0" of acme-tool.
    for at, char in enumerate(stem):
        if char == "-" and normalize_name(stem[:at]) == name and \
                _VERSION_START.match(stem[at + 1:]):
            return stem[at + 1:]
    return None


def _refusal(url: str, response: Response, sent: bool, rule: Optional[str]) -> Exception:
    final, status = response.url, response.status
    host = urlsplit(final).netloc
    if response.credential_sent:
        source = f"the credential from {rule}" if rule else "the credential"
        return CredentialRejected(
            f"{host} rejected {source} with HTTP {status} for {url}: check that the token "
            "is current and may read packages, then run again")
    if sent:
        where = f"{rule}'s prefix" if rule else "the index's origin"
        return ConfigError(
            f"{url} redirected to {final}, outside {where}, so the credential was not sent "
            f"and it answered HTTP {status}: use the final URL as the index URL")
    return ConfigError(
        f"{host} answered HTTP {status} for {url} and no credential rule binds that URL: "
        "add a [[tool.private-packages.credentials]] rule for it")


def _unique(versions: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in versions if v.strip()))


class _Anchors(HTMLParser):
    """Collects `(href, text)` for every `<a>` of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[str, str]] = []
        self._href: Optional[str] = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        if tag == "a":
            self.handle_endtag("a")  # an anchor left open ends where the next one starts
            self._href = dict(attrs).get("href") or ""
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.anchors.append((self._href, "".join(self._text)))
            self._href = None

    def close(self) -> None:
        super().close()
        self.handle_endtag("a")  # an anchor still open at the end of the page
