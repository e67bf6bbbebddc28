"""Ask an index whether it accepts a credential, and explain the answer to a human.

Used by `pip-private doctor` and `poetry source check`. `probe_index` fetches the index
page the way pip does (trailing slash, PEP 691 JSON preferred over PEP 503 HTML) and turns
the status into a one-line `summary`, a `fix` written for someone who has never debugged
this, and an exit code (DESIGN.md "Exit codes"):

- 0: the index answered 200 with a package listing.
- 3 (`EXIT_REJECTED`): the index refused access (401 or 403): the credential sent was
  rejected, or it needs one and none reached it (no rule, or a redirect dropped it).
- 2 (`EXIT_CONFIG`): everything else -- 404, a login page, 5xx, or an unreachable server.

No secret ever reaches `summary`, `fix` or a log line: the password is never formatted,
URLs lose their userinfo, and the username is shown only when it does not look like a
token (`display_username`).
"""

from __future__ import annotations

import logging
import re
from typing import Optional
from urllib.parse import urljoin, urlsplit, urlunsplit

from .errors import EXIT_CONFIG, EXIT_REJECTED, IndexUnreachable
from .http import Response, fetch, split_userinfo
from .probe_advice import Facts, explain, explain_unreachable
from .records import record
from .rules import CredentialRule
from .secret import MASK, Secret
from .token_expiry import GITHUB_EXPIRY_HEADER
from .urls import parse_location

log = logging.getLogger("private_packages")

ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"

#: Usernames registries document as fixed placeholders: never secret, always shown.
WELL_KNOWN_USERNAMES = frozenset({
    "__token__", "gitlab-ci-token", "x-access-token", "aws", "oauth2accesstoken",
    "_json_key", "_json_key_base64", "x-token-auth", "x-bitbucket-api-token-auth", "token",
})
_DEPLOY_TOKEN_USER = re.compile(r"gitlab\+deploy-token-\d+")
_TOKEN_PREFIXES = ("glpat-", "gldt-", "glcbt-", "glptt-", "ghp_", "gho_", "ghs_", "ghu_",
                   "github_pat_", "akia", "asia", "ya29.", "eyj", "sk-", "xox")
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._@+-]*")


@record(frozen=True)
class ProbeResult:
    """The verdict on one index. `status` is None when no HTTP answer arrived."""

    url: str  # the URL probed last, without userinfo
    status: Optional[int]
    ok: bool
    summary: str  # one line
    fix: str  # what to do next; empty when ok
    exit_code: int
    # GitHub's `GitHub-Authentication-Token-Expiration` answer to our credential, if any
    token_expiration: Optional[str] = None
    credential_sent: bool = False  # the credential reached the host that answered last

    @property
    def verdict(self) -> str:
        """The one-word label reports show: `ok`, `REJECTED` (a sent credential refused),
        `MISSING` (refused, and no credential reached it), `UNREACHABLE` or `FAILED`."""
        if self.ok:
            return "ok"
        if self.status is None:
            return "UNREACHABLE"
        if self.exit_code == EXIT_REJECTED:
            return "REJECTED" if self.credential_sent else "MISSING"
        return "FAILED"


def display_username(username: Optional[str]) -> str:
    """The username as messages may show it: `****` when it might be a token.

    Shown: the registries' fixed placeholders (`WELL_KNOWN_USERNAMES`, GitLab deploy-token
    users), and otherwise names under 20 characters that start with a letter, use only
    `A-Z a-z 0-9 . _ @ + -`, carry no known token prefix (`glpat-`, `ghp_`...), are at most
    a quarter digits and do not mix upper case, lower case and digits. Anything else is
    masked: Gemfury and some GitHub setups put the whole secret in the username, and hiding
    a real name costs little while showing a token costs a rotation.
    """
    if username is None or username == "":
        return ""
    if username in WELL_KNOWN_USERNAMES or _DEPLOY_TOKEN_USER.fullmatch(username):
        return username
    digits = sum(c.isdigit() for c in username)
    mixed = (any(c.isupper() for c in username) and any(c.islower() for c in username)
             and digits > 0)
    if (len(username) >= 20 or not _PLAIN_NAME.fullmatch(username) or mixed
            or username.lower().startswith(_TOKEN_PREFIXES) or digits * 4 > len(username)):
        return MASK
    return username


def index_url(url: str) -> str:
    """`url` without userinfo or fragment and with a trailing slash on its path, as pip
    requests an index (some servers redirect or 404 without it)."""
    parts = urlsplit(split_userinfo(url)[0])
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: runs of `-`, `_`, `.` become one `-`, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def probe_index(url: str, *, username: Optional[str], password: Optional[Secret],
                package: Optional[str] = None, timeout: float = 10.0,
                cafile: Optional[str] = None, rule: Optional[str] = None,
                bound: Optional[CredentialRule] = None) -> ProbeResult:
    """Fetch the index at `url` with the credential and explain the answer.

    The URL's own userinfo is the credential when neither `username` nor `password` is
    given. When the index root answers 404 and `package` is given, `<index>/<package>/` is
    tried too: GitLab's project registries and some proxies have no root listing. A 200
    with a credential is checked again without it, so a public index is not reported as
    accepting the credential. `rule` names the rule that binds the URL (e.g.
    "pyproject.toml credentials[1]") for the advice; it is not secret. `bound` is that rule:
    a redirect keeps the credential only within it (http.fetch). Raises `ConfigError` for a
    URL that is not http(s) or a `cafile` that cannot be loaded. `timeout` bounds each
    request, from its connect to its last byte.
    """
    _, url_user, url_password = split_userinfo(url)
    if username is None and password is None:
        username, password = url_user, url_password
    root = index_url(url)
    sent = username is not None or password is not None
    who = display_username(username)
    tried = [root]
    try:
        response = _get(root, username, password, timeout, cafile, bound)
        if response.status == 404 and package:
            tried.append(urljoin(root, normalize_name(package) + "/"))
            response = _get(tried[-1], username, password, timeout, cafile, bound)
    except IndexUnreachable as exc:
        summary, fix = explain_unreachable(exc, cafile)
        result = ProbeResult(tried[-1], None, False, summary, fix, EXIT_CONFIG)
    else:
        forwarded = response.credential_sent
        facts = Facts(root=root, tried=tuple(tried), response=response, sent=sent,
                      forwarded=forwarded, who=who, rule=rule,
                      scope=_scope(root, bound),
                      public=forwarded and response.status == 200
                      and _answers_anonymously(response.url, timeout, cafile))
        ok, summary, fix, rejected = explain(facts)
        refused = rejected or (not forwarded and response.status in (401, 403))
        code = 0 if ok else EXIT_REJECTED if refused else EXIT_CONFIG
        expiry = response.headers.get(GITHUB_EXPIRY_HEADER) if forwarded else None
        result = ProbeResult(response.url, response.status, ok, summary, fix, code, expiry,
                             forwarded)
    log.debug("private-packages: probe %s: %s", result.url, result.summary)
    return result


def _get(url: str, username: Optional[str], password: Optional[Secret], timeout: float,
         cafile: Optional[str], bound: Optional[CredentialRule] = None) -> Response:
    return fetch(url, username=username, password=password, accept=ACCEPT, timeout=timeout,
                 cafile=cafile, bound=bound)


def _scope(root: str, bound: Optional[CredentialRule]) -> str:
    """Where the credential may go, as the advice names it: the rule's prefix, else the
    index's origin (http.fetch)."""
    if bound is not None:
        return bound.url
    location = parse_location(root)
    return location.origin if location is not None else root


def _answers_anonymously(url: str, timeout: float, cafile: Optional[str]) -> bool:
    """True when `url` also answers 200 without a credential: then a 200 with the credential
    proves nothing about it (pypiserver's welcome page, a public GitLab project)."""
    try:
        return _get(url, None, None, timeout, cafile).status == 200
    except IndexUnreachable:
        return False
