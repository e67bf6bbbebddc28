"""Turn the service strings keyring callers send into comparable locations.

Callers send full URLs (pip's index URL with a trailing slash, poetry's file URLs with a
`#sha256=` fragment, uv's request URL, twine's repository URL) or a bare `host[:port]`
netloc (pip's and poetry's fallback). Keys are normalised the way uv-auth's realm is:
lower-case scheme and host, explicit default port, no userinfo, query or fragment, and a
path without dot segments, duplicate or trailing slashes. A host name that is not ASCII
becomes the IDNA (punycode) form clients connect to, so `bücher.example` and
`xn--bcher-kva.example` are one host (requests and curl convert before they connect).

The path is read the way the server will read it (paths.py): percent-decoded, so
`/groups/12/%2e%2e/123` is `/groups/123`. A path that servers could read in more than one
way is marked `ambiguous` and lies within no path prefix (DESIGN.md: a credential goes
only to its prefix, so when in doubt it does not go).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Optional
from urllib.parse import urlsplit

from .paths import normalise_path, path_within, server_path
from .records import record

__all__ = ["DEFAULT_PORTS", "Location", "is_loopback", "normalise_path", "parse_location",
           "path_within"]

DEFAULT_PORTS = {"http": 80, "https": 443}
_NETLOC = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[\w.-]+)(?::(?P<port>\d{1,5}))?")


@record(frozen=True)
class Location:
    """A normalised place: `scheme` and `path` are None for a netloc-only service."""

    scheme: Optional[str]
    host: str
    port: Optional[int]  # None only for a netloc without an explicit port
    path: Optional[str]  # "" for the root, "/a/b" otherwise
    ambiguous: bool = False  # servers may read the path differently (paths.py)

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def origin(self) -> str:
        """`scheme://host[:port]` (default port omitted), or the netloc when scheme-less."""
        if self.scheme is None:
            return self.host if self.port is None else f"{self.host}:{self.port}"
        default = DEFAULT_PORTS.get(self.scheme)
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"

    def __str__(self) -> str:
        return self.origin if self.scheme is None else f"{self.origin}{self.path or '/'}"

    def lies_within(self, prefix: str) -> bool:
        """Whether this path is `prefix` or below it, as every server will read it: an
        ambiguous path lies only within the empty prefix (the whole origin)."""
        if not prefix:
            return True
        return not self.ambiguous and path_within(self.path or "", prefix)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost`: the only hosts plain http may carry credentials to."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_location(service: str) -> Optional[Location]:
    """Parse a URL or a bare netloc; None for what is neither.

    Service names such as `poetry-repository-x` or `python-poetry-check` look like host
    names and parse as netlocs; no rule names such a host, so they match nothing.
    """
    if "://" in service:
        return _parse_url(service)
    m = _NETLOC.fullmatch(service)
    host = _norm_host(m["host"]) if m else None
    if m is None or host is None:
        return None
    port = int(m["port"]) if m["port"] else None
    if port is not None and not 0 < port < 65536:
        return None
    return Location(None, host, port, None)


def _parse_url(url: str) -> Optional[Location]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname
    if not host.isprintable() or " " in host:
        # No server has such a name, and a host is printed back raw in messages: a
        # control character there (`evil\x1b[2J.example`) would act on the terminal.
        return None
    if ":" in host:  # urlsplit drops the brackets of an IPv6 literal
        host = f"[{host}]"
    normal = _norm_host(host)
    if normal is None:
        return None
    path = server_path(parts.path)
    return Location(
        scheme,
        normal,
        port if port is not None else DEFAULT_PORTS[scheme],
        path if path is not None else normalise_path(parts.path),
        ambiguous=path is None,
    )


def _norm_host(host: str) -> Optional[str]:
    """Lower case, no trailing dot, IDNA for a name that is not ASCII; None for a name
    that is not one host to every client (`_idna`)."""
    host = host.lower().rstrip(".")
    return host if host.isascii() else _idna(host)


def _idna(host: str) -> Optional[str]:
    """The punycode form of a Unicode host name. Python's codec is IDNA 2003, requests
    and curl use IDNA 2008 / UTS 46; where they differ (`ß`, final sigma, joiners, which
    2003 maps to other letters or drops) the name could mean two hosts, so it is refused
    (None): nothing that is not a round trip through both directions."""
    import unicodedata

    try:
        encoded = host.encode("idna").decode("ascii").lower()
        back = encoded.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return None
    return encoded if back == unicodedata.normalize("NFKC", host) else None
