"""Where a request leaves the client: a credential of ours travels only inside its rules.

Clients cache what the backend answered per host (pip by netloc, poetry by host) and send
it on: to other paths of the host, to another port, to the plain-http side of an https
index. Checking where the backend answers is not enough (STYLE.md 14), so where we run
inside the client -- pip-private, the poetry hook, and the backend once a client has
imported it -- `install` wraps the `send` of requests' `HTTPAdapter` class, which every
request passes through: pip's 401 retry (`resp.connection.send`), redirects, poetry's
sessions. A request whose `Authorization` header carries a credential this process
resolved from a rule keeps it only when its URL lies within one of the rules that
credential came from (rules.py: same scheme, host and port; the path prefix as the server
reads it, paths.py). Otherwise the header is removed, and a log line names the rule and
the URL, never the value (a warning the first time per rule and origin, so that the 401
which follows does not read as a wrong token). A credential that is not ours (your own
http-basic) is left alone.

Plain http to a loopback host is allowed without `allow_http` because such traffic never
leaves the machine -- unless a proxy carries it (`HTTP_PROXY` without the host in
`NO_PROXY`, pip's `--proxy`): the proxy then receives the whole request, Authorization in
clear text, and may pass it on over the network (a local proxy chaining to a corporate
one). So a request to an http URL that a proxy would carry (the `proxies` requests hands
the adapter, chosen with requests' own `select_proxy`) keeps a credential only under a
rule with `allow_http`.

What it remembers (`remember`, called by store.py for every credential it resolves):
the SHA-256 of each password, of each username that came from a reference (registries
that take the token as the username), and of the whole `username:password` that Basic
carries, with the rules it came from. Digests, not values, and in memory only. The whole
pair is what makes a header ours however it splits: a Basic value is split at its first
colon, so a username with a `:` (refused where rules load, RFC 7617) would otherwise hide
both halves.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    from .rules import CredentialRule

#: requests' adapter modules a client may have loaded: pip's vendored copy, and the one
#: poetry and twine use.
PIP_ADAPTERS = "pip._vendor.requests.adapters"
ADAPTER_MODULES = (PIP_ADAPTERS, "requests.adapters")
_MARK = "_private_packages_guard"
_bound: dict[bytes, tuple[CredentialRule, ...]] = {}
_warned: set[tuple[str, str]] = set()  # (rules, origin) already warned about


def remember(username: str, password: str, rule: CredentialRule, *,
             secret_username: bool) -> None:
    """Record that `rule` resolved to this credential in this process."""
    pair = f"{username}:{password}"
    for value in (password, username, pair) if secret_username else (password, pair):
        if value:
            key = _digest(value)
            known = _bound.get(key, ())
            if rule not in known:
                _bound[key] = (*known, rule)


def rules_of(authorization: str) -> Optional[tuple[CredentialRule, ...]]:
    """The rules whose credential this `Authorization` header carries; None when it
    carries none of ours."""
    if not _bound:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "basic":
        return _bound.get(_digest(value))  # `Bearer TOKEN`, `token TOKEN`
    import base64
    import binascii

    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    # requests encodes Basic credentials as latin-1; other clients use UTF-8.
    texts = {raw.decode("latin-1")}
    with contextlib.suppress(UnicodeDecodeError):
        texts.add(raw.decode("utf-8"))
    found: tuple[CredentialRule, ...] = ()
    for text in texts:
        user, _, password = text.partition(":")
        for part in (text, password, user):
            found += tuple(r for r in _bound.get(_digest(part), ()) if r not in found)
    return found or None


def may_carry(url: str, authorization: str, *, proxied: bool = False) -> bool:
    """Whether a request to `url` may keep this `Authorization` header; `proxied`: a
    proxy would carry the request."""
    rules = rules_of(authorization)
    if rules is None:
        return True  # not ours to judge
    from .urls import parse_location

    location = parse_location(url)
    if location is None or location.scheme is None:
        return False
    if proxied and location.scheme == "http":  # the loopback exemption ends at a proxy
        rules = tuple(rule for rule in rules if rule.allow_http)
    return any(rule.matches(location) for rule in rules)


def check(request: Any, proxy: Optional[str] = None) -> None:
    """Remove the `Authorization` header of a requests `PreparedRequest` that may not
    carry it (`may_carry`); `proxy`: the proxy URL that would carry the request."""
    header = request.headers.get("Authorization")
    if not header or may_carry(request.url or "", header, proxied=bool(proxy)):
        return
    del request.headers["Authorization"]
    import logging

    from .logs import NAME
    from .urls import parse_location

    rules = rules_of(header) or ()
    where = parse_location(request.url or "")
    origins = ", ".join(r.origin for r in rules)
    # A warning once per rule and origin, since the server's 401 that follows would read
    # as a wrong token; every further URL at debug level.
    seen = (origins, where.origin if where is not None else "")
    level = logging.DEBUG if seen in _warned else logging.WARNING
    _warned.add(seen)
    if proxy and where is not None and any(r.matches(where) for r in rules):
        from urllib.parse import urlsplit

        logging.getLogger(NAME).log(
            level, "private-packages: not sending the credential of %s to %s: the proxy %s "
            "would carry it in clear text (plain http is allowed to loopback hosts only "
            "without a proxy; add the host to NO_PROXY, or set allow_http = true)", origins,
            where, urlsplit(proxy if "://" in proxy else f"http://{proxy}").netloc
            .rpartition("@")[2])
        return
    logging.getLogger(NAME).log(
        level, "private-packages: not sending the credential of %s to %s: outside its "
        "prefix %s", origins, where or "a URL that is not http(s)",
        ", ".join(r.url for r in rules))


def install(adapter_class: type) -> None:
    """Check every request an adapter class (and its subclasses) sends; idempotent."""
    send: Optional[Callable[..., Any]] = getattr(adapter_class, "send", None)
    if send is None or getattr(send, _MARK, False):
        return
    select_proxy = _proxy_selector(adapter_class)

    def guarded_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if _bound:  # nothing resolved yet: nothing of ours to check
            # send(request, stream, timeout, verify, cert, proxies)
            proxies = kwargs.get("proxies", args[4] if len(args) > 4 else None)
            check(request, select_proxy(request.url, proxies) if proxies else None)
        return send(self, request, *args, **kwargs)

    setattr(guarded_send, _MARK, True)
    guarded_send.__wrapped__ = send  # type: ignore[attr-defined]
    guarded_send.__doc__ = send.__doc__
    adapter_class.send = guarded_send  # type: ignore[attr-defined]


def _proxy_selector(adapter_class: type) -> Callable[[str, Any], Optional[str]]:
    """The proxy the adapter itself will choose: `select_proxy` of the copy of requests it
    comes from (pip's vendored one, or requests), found along its classes."""
    for klass in adapter_class.__mro__:
        found = getattr(sys.modules.get(klass.__module__), "select_proxy", None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    # Not requests' adapter: any proxy for the scheme (or all) counts.
    return lambda url, proxies: next((str(proxies[key]) for key in (url.split(":", 1)[0], "all")
                                      if proxies.get(key)), None)


def install_in_clients() -> bool:
    """Install on every requests copy this process has loaded (never importing one);
    True when at least one is guarded."""
    guarded = False
    for name in ADAPTER_MODULES:
        module = sys.modules.get(name)
        adapter = getattr(module, "HTTPAdapter", None)
        if isinstance(adapter, type):
            install(adapter)
            guarded = True
    return guarded


def is_installed(adapter_class: type) -> bool:
    return bool(getattr(getattr(adapter_class, "send", None), _MARK, False))


def forget_all() -> None:
    """Forget every credential (tests; a long-lived process after a run)."""
    _bound.clear()
    _warned.clear()


def _digest(value: str) -> bytes:
    import hashlib

    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()
