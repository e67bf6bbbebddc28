"""Where an index links its files, compared with the rule that binds the index.

pip-private and the poetry hook send a rule's credential only within its prefix
(guard.py). A registry whose pages link files elsewhere on the host -- GitLab's group
index links each file below the project holding it, `/api/v4/projects/ID/packages/pypi/
files/...` -- then answers those downloads with 401, although the index itself accepted the
credential. `pip-private doctor` and `poetry source check` read one project page (the
package being installed, else the first one listed) and say so before an install fails.
"""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import urljoin

from .errors import PrivatePackagesError
from .http import fetch
from .probe import ACCEPT, index_url, normalize_name
from .rules import CredentialRule
from .secret import Secret
from .simple_index import JSON_TYPES, _Anchors
from .urls import Location, parse_location


def file_outside_rule(index: str, rule: CredentialRule, *, username: Optional[str],
                      password: Optional[Secret], package: Optional[str] = None,
                      timeout: float = 10.0, cafile: Optional[str] = None
                      ) -> Optional[Location]:
    """The first file the index links outside `rule`'s prefix, or None (also when the
    pages cannot be read: the probe reports that)."""
    root = index_url(index)

    def get(url: str) -> Optional[tuple[str, list[str]]]:
        try:
            response = fetch(url, username=username, password=password, accept=ACCEPT,
                             timeout=timeout, cafile=cafile, bound=rule)
        except PrivatePackagesError:
            return None
        if response.status != 200:
            return None
        return response.url, _links(response.body, response.content_type)

    if package is None:
        listing = get(root)
        names = [n.strip("/").rsplit("/", 1)[-1] for n in listing[1]] if listing else []
        package = next((n for n in names if n), None)
    page = get(root + normalize_name(package) + "/") if package else None
    if page is None:
        return None
    for href in page[1]:
        location = parse_location(urljoin(page[0], href))
        if location is not None and not rule.matches(location):
            return location
    return None


def advice(index: str, outside: Location, rule: CredentialRule) -> tuple[str, str]:
    """(one line, the fix) about files linked outside the rule."""
    text = (f"{index_url(index)} links files outside {rule.origin}'s prefix {rule.url}, "
            f"e.g. {outside}: pip-private and the poetry hook send no credential there (a "
            "download that needs one gets 401)")
    mine = rule.location
    if (outside.scheme, outside.host, outside.port) != (mine.scheme, mine.host, mine.port):
        return text, f"Add a rule for {outside.origin} (the files' host) as well."
    shared = []
    for a, b in zip((mine.path or "").split("/")[1:], (outside.path or "").split("/")[1:]):
        if a != b:
            break
        shared.append(a)
    prefix = f"{mine.origin}/{'/'.join(shared)}" if shared else mine.origin
    return text, f'Bind the rule to a prefix that covers both: url = "{prefix}".'


def _links(body: bytes, content_type: str) -> list[str]:
    """Every link of a simple page: PEP 691 `projects`/`files`, or PEP 503 anchors."""
    if content_type in JSON_TYPES:
        try:
            data: Any = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return []
        if not isinstance(data, dict):
            return []
        entries = [*(data.get("files") or []), *(data.get("projects") or [])]
        return [str(e.get("url") or e.get("name") or "") for e in entries
                if isinstance(e, dict)]
    parser = _Anchors()
    parser.feed(body.decode("utf-8", "replace"))
    parser.close()
    return [href for href, _ in parser.anchors if href]
