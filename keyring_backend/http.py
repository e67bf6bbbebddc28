"""A small, safe HTTP GET for checking indexes and reading simple pages (stdlib only).

Shared by `pip-private doctor`, `poetry source check` and, later, `bump`. It is never
imported by the keyring backend, which must stay import-light.

What makes it safe where plain `urllib` is not:
- Redirects are followed by hand (at most `MAX_REDIRECTS`), and each hop carries the
  `Authorization` header only where the credential may go: within its rule (`bound`, the
  check the guard makes in pip and poetry: a `/groups/12` rule's credential never follows a
  302 to `/groups/123/`), else within the scheme, host and port of the URL the caller
  asked for. urllib's own redirect handler forwards every header to any host; requests
  strips it on a host change only.
- An https page that redirects to plain http is refused (`InsecureRedirect`) unless the
  target is a loopback host.
- Userinfo in the URL (`https://user:token@host/`) never reaches a request line or a
  message: it is split off and used as the credential when the caller passes none.
- Error statuses (401, 403, 404, 5xx...) come back as a `Response`; only a failure to talk
  to the server at all raises `IndexUnreachable`, whose message names the host and the
  reason, never a credential.
- Bodies are capped at `MAX_BODY` bytes (`Response.truncated` says when the cap was hit).
  A body that ends before its `Content-Length` (or its last chunk) is a failure
  (`IndexUnreachable`), never a page.
- `timeout` is a deadline for the whole request, redirects included, from the first
  connect to the last byte (deadline.py): a server that drips one byte a second is cut off
  there (each socket read alone would wait as long as the server goes on).

TLS uses the default context (the system's CA store) or `cafile`. Environment variables
such as `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE` or `PIP_CERT` are *not* read here: which one
applies is the calling tool's decision (pip and poetry differ), so the caller passes
`cafile`. Proxies follow urllib's defaults: `http_proxy`, `https_proxy` and `no_proxy`
from the environment -- except for a loopback host, which is always reached directly: a
proxy would carry a loopback http credential off the machine in clear text (guard.py).
"""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import ssl
import urllib.error
import urllib.request
from email.message import Message
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from . import __version__
from .deadline import Deadline, watch
from .errors import ConfigError, IndexUnreachable, InsecureRedirect
from .records import field, record
from .secret import Secret
from .urls import is_loopback, parse_location

if TYPE_CHECKING:
    from .rules import CredentialRule

log = logging.getLogger("private_packages")

MAX_REDIRECTS = 5
MAX_BODY = 10 * 1024 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"private-packages/{__version__}"


@record(frozen=True)
class Response:
    """What the last hop answered. `url` is the final URL (no userinfo); `redirected_from`
    lists the earlier hops in order. `headers` is case-insensitive (`email.message.Message`)."""

    url: str
    status: int
    headers: Message = field(repr=False)
    body: bytes = field(repr=False)
    redirected_from: tuple[str, ...] = ()
    truncated: bool = False  # longer than MAX_BODY: only that much was read
    credential_sent: bool = False  # the last hop carried the credential

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case (`text/plain` when absent)."""
        return self.headers.get_content_type()


def split_userinfo(url: str) -> tuple[str, Optional[str], Optional[Secret]]:
    """`(url without userinfo and fragment, username, password)`, both percent-decoded;
    None for a part the URL does not carry."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        # The text may hold a token: name it only as "the URL".
        raise ConfigError("the index URL is not a valid URL") from None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, ""))
    if not at:
        return clean, None, None
    user, colon, password = userinfo.partition(":")
    return clean, unquote(user), Secret(unquote(password)) if colon else None


def redact_url(url: str) -> str:
    """The URL as it may be shown: no userinfo, no fragment."""
    return split_userinfo(url)[0]


def same_origin(a: str, b: str) -> bool:
    """Same scheme, host and port (default ports made explicit) -- the only condition under
    which the credential meant for `a` is sent to `b`."""
    la, lb = parse_location(a), parse_location(b)
    return (la is not None and lb is not None and la.scheme is not None
            and (la.scheme, la.host, la.port) == (lb.scheme, lb.host, lb.port))


def redirect_target(current: str, location: str) -> str:
    """The absolute URL (no userinfo) a `Location` header sends `current` to.

    Relative locations resolve against `current`. Raises `InsecureRedirect` for a scheme
    other than http(s), and for https -> http unless the target is a loopback host.
    """
    target = redact_url(urljoin(current, location.strip()))
    here, there = urlsplit(current), urlsplit(target)
    host = there.hostname or "?"
    if there.scheme not in ("http", "https") or not there.hostname:
        raise InsecureRedirect(here.netloc, f"redirected to a non-http URL ({there.scheme}:)")
    if here.scheme == "https" and there.scheme == "http" and not is_loopback(host):
        raise InsecureRedirect(
            here.netloc, f"redirected from https to plain http ({there.netloc}); refused")
    return target


def basic_authorization(username: Optional[str], password: Optional[Secret]) -> Optional[str]:
    """The `Authorization: Basic` value for a credential, or None when there is none."""
    if username is None and password is None:
        return None
    secret = password.reveal() if password is not None else ""
    raw = f"{username or ''}:{secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def fetch(url: str, *, username: Optional[str] = None, password: Optional[Secret] = None,
          accept: Optional[str] = None, timeout: float = 10.0,
          cafile: Optional[str] = None, bound: Optional[CredentialRule] = None) -> Response:
    """GET `url`, following up to `MAX_REDIRECTS` redirects by hand, all within `timeout`.

    The credential is `username`/`password`, else the URL's own userinfo. A hop carries it
    only when its URL lies within `bound` (the rule the credential came from), or, without
    a rule, on the original URL's origin. Raises `IndexUnreachable` when no complete HTTP
    answer arrives in time, `InsecureRedirect` for a refused redirect, `ConfigError` for a
    bad URL or `cafile`.
    """
    start, url_user, url_password = split_userinfo(url)
    if username is None and password is None:
        username, password = url_user, url_password
    parsed = parse_location(start)
    if parsed is None or parsed.scheme is None:
        # Not echoed: without a scheme, `user:token@host` does not even parse as userinfo.
        raise ConfigError("the index URL must start with http:// or https://")
    authorization = basic_authorization(username, password)
    opener = _opener(cafile)
    current, history = start, list[str]()
    with Deadline(timeout) as deadline:
        while True:
            send = authorization is not None and _may_send(start, current, bound)
            headers = {"User-Agent": USER_AGENT}
            if accept:
                headers["Accept"] = accept
            if send and authorization is not None:
                headers["Authorization"] = authorization
            log.debug("private-packages: GET %s (%s)", current,
                      "with credential" if send else "without credential")
            status, message, body, truncated = _get(opener, current, headers, deadline)
            location = message.get("Location") if status in REDIRECT_STATUSES else None
            if not location:
                return Response(current, status, message, body, tuple(history), truncated,
                                send)
            if len(history) >= MAX_REDIRECTS:
                raise IndexUnreachable(urlsplit(current).netloc,
                                       f"more than {MAX_REDIRECTS} redirects", "redirect")
            history.append(current)
            current = redirect_target(current, location)


def _may_send(start: str, url: str, bound: Optional[CredentialRule]) -> bool:
    """Whether a request to `url` may carry the credential (module docstring)."""
    if bound is None:
        return same_origin(start, url)
    location = parse_location(url)
    return location is not None and location.scheme is not None and bound.matches(location)


class _KeepErrorStatuses(urllib.request.HTTPErrorProcessor):
    """Hand every status back as a response: no HTTPError, so urllib's own redirect
    handler (which would forward `Authorization` to any host) never runs."""

    def http_response(self, request: urllib.request.Request,
                      response: http.client.HTTPResponse) -> http.client.HTTPResponse:
        return response

    https_response = http_response


def _opener(cafile: Optional[str]) -> urllib.request.OpenerDirector:
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise ConfigError(f"cannot load the CA bundle {cafile}: {reason}") from None
    return urllib.request.build_opener(_HTTPHandler(), _HTTPSHandler(context),
                                       _KeepErrorStatuses(), _NoProxyForLoopback())


class _NoProxyForLoopback(urllib.request.ProxyHandler):
    """urllib's environment proxies, never for a loopback host (module docstring)."""

    def proxy_open(self, req: urllib.request.Request, proxy: str,
                   type: str) -> Optional[http.client.HTTPResponse]:
        if is_loopback(urlsplit(req.full_url).hostname or ""):
            return None
        return super().proxy_open(req, proxy, type)


def _get(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str],
         deadline: Deadline) -> tuple[int, Message, bytes, bool]:
    host = urlsplit(url).netloc
    # Only http(s) gets here: `fetch` and `redirect_target` check the scheme of every hop.
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310
    try:
        # The socket timeout is the time left; the deadline's watchdog ends a trickle.
        with opener.open(request, timeout=max(deadline.remaining(), 0.001)) as response:
            body = response.read(MAX_BODY + 1)
            missing = response.length  # what Content-Length promised and never came
            status, message = int(response.status), response.headers
    except urllib.error.URLError as exc:
        reason: object = exc.reason
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = exc
    else:
        capped = len(body) > MAX_BODY
        if not deadline.passed and (capped or not missing):
            return status, message, body[:MAX_BODY], capped
        reason = f"the answer ended after {len(body)} of its {len(body) + (missing or 0)} bytes"
    if deadline.passed:  # whatever broke, it broke because the deadline cut it short
        reason = TimeoutError()
    # `from None`: the chained exception adds nothing a user needs and keeps tracebacks short.
    raise _unreachable(host, reason, deadline.seconds) from None


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_WatchedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._tls = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_WatchedHTTPS, req, context=self._tls)


def _watched_connection(*args: Any, **kwargs: Any) -> socket.socket:
    sock = socket.create_connection(*args, **kwargs)
    watch(sock)  # from the connect on: a TLS handshake that trickles too
    return sock


class _WatchedHTTP(http.client.HTTPConnection):
    """A connection whose sockets the current `Deadline` may shut down."""

    def connect(self) -> None:
        self._create_connection = _watched_connection
        super().connect()


class _WatchedHTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        self._create_connection = _watched_connection
        super().connect()
        watch(self.sock)  # the TLS socket that now wraps the plain one


def _unreachable(host: str, reason: object, timeout: float) -> IndexUnreachable:
    kind = "other"
    if isinstance(reason, ssl.SSLCertVerificationError):
        kind, text = "tls", f"TLS certificate not trusted ({reason.verify_message or reason})"
    elif isinstance(reason, ssl.SSLError):
        kind, text = "tls", f"TLS handshake failed ({reason.reason or reason})"
    elif isinstance(reason, socket.gaierror):
        kind, text = "dns", f"DNS lookup failed ({reason.strerror})"
    elif isinstance(reason, ConnectionRefusedError):
        kind, text = "refused", "connection refused (nothing listens there)"
    elif isinstance(reason, (TimeoutError, socket.timeout)):
        kind, text = "timeout", f"no complete answer within {timeout:g} s (timeout)"
    elif isinstance(reason, OSError) and reason.strerror:
        text = reason.strerror
    elif isinstance(reason, (str, http.client.HTTPException)):  # texts from the server/urllib
        text = str(reason) or reason.__class__.__name__
    else:  # a ValueError may quote a request header (`Invalid header value ...`)
        text = f"the request failed ({reason.__class__.__name__})"
    return IndexUnreachable(host, text, kind)
