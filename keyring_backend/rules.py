"""A credential rule binds a URL prefix to a username and a password (each literal or a
reference), and a `RuleSet` finds the one rule for a location.

Matching (DESIGN.md): same scheme, host and port; then the longest path prefix on `/`
boundaries; ties go to the earlier layer, then to the earlier rule in a file. A netloc-only
lookup (pip's and poetry's `host:port` fallback) carries no scheme and no path, so it only
gets a rule that is bound to the whole host *and* may travel over plain http: otherwise
pip could send an https credential to `http://host/` after an http index answered 401.
A netloc without a port only gets a loopback rule: `host` may mean port 80 or 443.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path
from typing import Optional

from .errors import ConfigError, PrivatePackagesError
from .records import field, record
from .urls import DEFAULT_PORTS, Location, is_loopback, parse_location

DEFAULT_USERNAME = "__token__"
#: RFC 7617: the user-id of HTTP Basic ends at the first colon, so a server (and our guard)
#: would read `deploy:bot` + token as user `deploy` with another password.
COLON_IN_USERNAME = ("the username holds a ':', which HTTP Basic cannot carry (the user-id "
                     "ends at the first colon, RFC 7617); use the username the registry "
                     "documents")


class Layer(IntEnum):
    """Where a rule comes from, in precedence order (lower wins a tie)."""

    ENV = 0
    PROJECT = 1
    USER = 2
    PRESET = 3

    @property
    def label(self) -> str:
        return {0: "environment", 1: "project", 2: "user config", 3: "CI preset"}[self.value]


@record(frozen=True)
class CredentialRule:
    """One rule. `password` may be a literal secret, so it never shows in a repr."""

    location: Location
    username: str
    password: str = field(repr=False)
    layer: Layer
    origin: str  # "env PRIVATE_PACKAGES_GITLAB_*", "pyproject.toml credentials[2]"...
    allow_http: bool = False
    source: Optional[str] = None  # the poetry/uv source name the rule was bound through
    base_dir: Optional[Path] = None  # relative ${file:...} paths start here

    @property
    def url(self) -> str:
        return str(self.location)

    @property
    def may_use_http(self) -> bool:
        return self.allow_http or self.location.is_loopback

    def matches(self, loc: Location) -> bool:
        """True when this rule's credential may be sent to `loc`."""
        mine = self.location
        if loc.host != mine.host:
            return False
        if loc.scheme is None:  # netloc only: the caller's scheme and path are unknown
            if mine.path or not self.may_use_http:
                return False
            if loc.port is not None:
                return loc.port == mine.port
            # Without a port even the port is unknown (80 or 443): only loopback may guess.
            return mine.is_loopback and mine.port == DEFAULT_PORTS[mine.scheme or "http"]
        return (
            loc.scheme == mine.scheme
            and loc.port == mine.port
            and loc.lies_within(mine.path or "")
        )


def make_rule(
    url: str,
    username: Optional[str],
    password: str,
    layer: Layer,
    origin: str,
    *,
    allow_http: bool = False,
    source: Optional[str] = None,
    base_dir: Optional[Path] = None,
) -> CredentialRule:
    """Validate and build a rule; `ConfigError` names the origin for anything wrong."""
    loc = parse_location(url) if "://" in url else None
    if loc is None or loc.scheme is None:
        raise ConfigError(f"{origin}: url must be an http(s) URL such as https://host/simple"
                          ", one every client reads as the same host (no '\\', '%' or "
                          "second '@' before the host, no control characters)")
    if loc.ambiguous:
        raise ConfigError(f"{origin}: the path of url {loc} could be read in more than one "
                          "way by servers (an encoded '/' next to '.' or '..', '..;', double "
                          "encoding); write it plainly")
    if loc.scheme == "http" and not (allow_http or is_loopback(loc.host)):
        raise ConfigError(
            f"{origin}: refusing to send a credential over plain http to {loc.host}; "
            "use https, or set allow_http = true if this network is trusted"
        )
    if not password:
        raise ConfigError(f"{origin}: password is empty")
    if username is not None and username_has_colon(username):
        raise ConfigError(f"{origin}: {COLON_IN_USERNAME}")
    return CredentialRule(
        location=loc,
        username=username if username is not None else DEFAULT_USERNAME,
        password=password,
        layer=layer,
        origin=origin,
        allow_http=allow_http,
        source=source,
        base_dir=base_dir,
    )


class RuleSet:
    """Rules indexed by host for fast lookup; `errors` holds what could not be loaded."""

    def __init__(
        self, rules: list[CredentialRule], errors: Optional[list[ConfigError]] = None
    ) -> None:
        self.rules = rules
        self.errors = errors or []
        ordered = sorted(
            enumerate(rules),
            key=lambda pair: (-len(pair[1].location.path or ""), pair[1].layer, pair[0]),
        )
        self._by_host: dict[str, list[CredentialRule]] = {}
        for _, rule in ordered:
            self._by_host.setdefault(rule.location.host, []).append(rule)

    def find(self, loc: Location) -> Optional[CredentialRule]:
        for rule in self._by_host.get(loc.host, ()):
            if rule.matches(loc):
                return rule
        return None

    def for_whole_origin(self, loc: Location) -> Optional[CredentialRule]:
        """For a netloc-only lookup where the guard checks every request (guard.py): a
        rule bound to a whole origin on that host and port, https first when the netloc
        names no port (it may mean 443 or 80). Without the guard such a lookup only gets
        what `find` gives (module docstring)."""
        if loc.scheme is not None:
            return None
        for port in (loc.port,) if loc.port is not None else (443, 80):
            for rule in self._by_host.get(loc.host, ()):
                if not rule.location.path and rule.location.port == port:
                    return rule
        return None

    def for_source(self, name: str) -> Optional[CredentialRule]:
        """The rule bound to a poetry/uv source by name (`source = "NAME"`), if any."""
        return next((r for r in sorted(self.rules, key=lambda r: r.layer)
                     if r.source == name), None)


def username_has_colon(username: str) -> bool:
    """Whether the literal text of a username template (outside its references) holds a
    colon; a value a reference gives is checked where it is resolved (store.py)."""
    from .references import parse_template

    try:
        parts = parse_template(username).parts
    except PrivatePackagesError:  # reported where the username is resolved
        return ":" in username and "${" not in username
    return any(isinstance(part, str) and ":" in part for part in parts)


def referenced_env_names(rules: Iterable[CredentialRule]) -> set[str]:
    """Environment variables the rules' usernames and passwords reference: what a process
    that answers from these rules must still be given (a malformed value names none)."""
    from .references import parse_template

    names: set[str] = set()
    for rule in rules:
        for text in (rule.username, rule.password):
            try:
                template = parse_template(text, rule.origin)
            except PrivatePackagesError:
                continue
            names |= {ref.target for ref in template.references if ref.kind == "env"}
    return names
