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

The host and port are read as *every* client reads them, or not at all: the clients parse
URLs differently, and a URL they disagree on would send the credential for the host we
see to the host they see. uv (Rust's `url`, WHATWG) and urllib3 (pip, poetry, twine) end
the authority at a `\\`, httpx (pdm, hatch), curl (git) and urlsplit do not, so
`http://EVIL\\@GOOD/` is EVIL to the first and GOOD to the others. WHATWG also drops tabs
and line breaks anywhere, trims spaces and control characters at the ends, skips any
number of slashes after `http:` (`http:GOOD`, `http:///GOOD`), and percent-decodes the
host; curl refuses a second `@`. So `parse_location` returns None -- no rule's credential
-- for a URL with a control character or a trailing space; a `\\`, `%`, a second `@` or
stray brackets in its authority; a port that is not ASCII digits; a host that is not a
plain DNS name, a dotted-quad IPv4 address or an IPv6 literal; anything but `scheme://`
before it. The path may differ between readings: paths.py fails closed there.
"""

from __future__ import annotations

import re
from typing import Optional

from .paths import normalise_path, path_within, server_path
from .records import record

__all__ = ["DEFAULT_PORTS", "Location", "is_loopback", "normalise_path", "parse_location",
           "path_within"]

DEFAULT_PORTS = {"http": 80, "https": 443}
_NETLOC = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[\w.-]+)(?::(?P<port>[0-9]{1,5}))?")
#: `scheme://[userinfo@]host[:port][/path][?query][#fragment]`, the authority ending where
#: urlsplit ends it (`/?#`); nothing matches with a `\\`, `%`, stray brackets or a second
#: `@` in the authority (WHATWG and urllib3 end the host at a `\\`, curl refuses a second
#: `@`), a port not of ASCII digits (empty: the default), or a control character anywhere
#: (WHATWG drops tabs and line breaks, Python versions differ).
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?:[^@\\\[\]/?#\x00-\x1f\x7f]*@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^@\\\[\]:%/?#\x00-\x1f\x7f]+)"
    r"(?::(?P<port>[0-9]{0,5}))?"
    r"(?P<path>/[^?#\x00-\x1f\x7f]*)?"
    r"(?:[?#][^\x00-\x1f\x7f]*)?")
#: A plain DNS name whose last label WHATWG does not read as a number (which would make
#: the whole name an IPv4 address: `127.1`, `0x7f.0.0.1`, `2130706433`).
_HOST_NAME = re.compile(r"(?:[a-z0-9_-]+\.)*(?![0-9]+\Z|0x[0-9a-f]*\Z)[a-z0-9_-]+")


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
        import ipaddress  # on first use: 1-4 ms at every start of run, pip-private, pip

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_location(service: str) -> Optional[Location]:
    """Parse a URL or a bare netloc; None for what is neither, or for a URL clients could
    read as another host or port (module docstring).

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
    m = _URL.fullmatch(url)
    scheme = m["scheme"].lower() if m else ""
    if m is None or scheme not in DEFAULT_PORTS or url.endswith(" "):
        return None  # WHATWG trims a trailing space, urlsplit keeps it in the path
    host = _norm_host(m["host"])
    port = int(m["port"]) if m["port"] else DEFAULT_PORTS[scheme]
    if host is None or not 0 < port < 65536:
        return None
    raw = m["path"] or ""
    path = server_path(raw)
    return Location(scheme, host, port, path if path is not None else normalise_path(raw),
                    ambiguous=path is None)


def _norm_host(host: str) -> Optional[str]:
    """Lower case, no trailing dot, IDNA for a name that is not ASCII; None for what is not
    one host to every client: a name with characters DNS has no use for (`%`, `\\`, `!`...),
    a Unicode name IDNA 2003 and 2008 read differently (`_idna`), a number that is not a
    plain dotted IPv4 address (`127.1`, `0x7f.0.0.1` and `127.0.0.01` are 127.0.0.1 to
    WHATWG and to `inet_aton`, but strings no rule can be written for)."""
    import ipaddress  # here, not at module level (is_loopback)

    if host.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1])}]"
        except ValueError:
            return None
    host = host.lower()
    host = host[:-1] if host.endswith(".") else host
    if not host.isascii():
        host = _idna(host) or ""
    if _HOST_NAME.fullmatch(host):
        return host
    try:
        return host if str(ipaddress.IPv4Address(host)) == host else None
    except ValueError:
        return None


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
