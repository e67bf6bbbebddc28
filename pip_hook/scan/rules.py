"""What `pip-private scan` counts as a hard-coded credential, and what it does not.

Three questions, answered without ever printing a value:

- does this text have the shape of a well-known token (`TOKEN_SHAPES`: GitHub, GitLab, PyPI,
  AWS)? The patterns follow each vendor's documented format, anchored at both ends, so a
  commit SHA or a base64 blob never matches;
- is this value a secret at all? `${...}` references (our grammar and pip's), `$${`, shell
  and CI variables, `****` and placeholders such as `<token>`, `TOKEN` or `your-token` are not;
- does this URL carry a credential in its userinfo (`split_url`, `url_credential`)? A password
  may hold unencoded `@ : / # ?` (users paste tokens as they are), so the userinfo ends at
  the *last* `@` before the host, and a netloc that is no valid host sends us looking for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Optional
from urllib.parse import unquote

from keyring_backend.records import field, record


@record(frozen=True)
class TokenShape:
    """A vendor's token format; `variable` is the `${...}` name a proposal suggests."""

    label: str
    variable: str
    pattern: re.Pattern[str]


def _shape(label: str, variable: str, body: str) -> TokenShape:
    # Token alphabets are [A-Za-z0-9_-]: a neighbour from that set means we are inside a
    # longer word (a hash, a base64 blob), which is not this token.
    return TokenShape(label, variable,
                      re.compile(rf"(?<![A-Za-z0-9_-]){body}(?![A-Za-z0-9_-])"))


TOKEN_SHAPES: tuple[TokenShape, ...] = (
    _shape("GitHub personal access token", "GITHUB_TOKEN", r"ghp_[A-Za-z0-9]{36,251}"),
    _shape("GitHub OAuth token", "GITHUB_TOKEN", r"gho_[A-Za-z0-9]{36,251}"),
    _shape("GitHub user-to-server token", "GITHUB_TOKEN", r"ghu_[A-Za-z0-9]{36,251}"),
    _shape("GitHub app installation token", "GITHUB_TOKEN", r"ghs_[A-Za-z0-9]{36,251}"),
    _shape("GitHub fine-grained personal access token", "GITHUB_TOKEN",
           r"github_pat_[A-Za-z0-9]{22,}_[A-Za-z0-9]{40,}"),
    _shape("GitLab personal access token", "GITLAB_TOKEN",
           r"glpat-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*"),
    _shape("GitLab deploy token", "GITLAB_TOKEN", r"gldt-[A-Za-z0-9_-]{20,}"),
    _shape("GitLab CI job token", "CI_JOB_TOKEN", r"glcbt-[A-Za-z0-9_-]{20,}"),
    # A PyPI token is `pypi-` + a base64 macaroon, whose first bytes always encode as AgE.
    _shape("PyPI API token", "PYPI_TOKEN", r"pypi-AgE[A-Za-z0-9_-]{50,}"),
    _shape("AWS access key id", "AWS_ACCESS_KEY_ID", r"(?:AKIA|ASIA)[A-Z0-9]{16}"),
)

# Every shape's fixed prefix: one search rules out most lines before ten patterns run.
_PREFIXES = re.compile(r"gh[pous]_|github_pat_|gl(?:pat|dt|cbt)-|pypi-AgE|AKIA|ASIA")

# Runs that only documentation and tests put into a token: AWS's AKIAIOSFODNN7EXAMPLE,
# `ghp_xxxx...`, `ghp_1234567890abcdef...`.
_FAKE_RUNS = ("example", "xxxxx", "12345678", "abcdefgh", "00000000")


def token_shapes(text: str) -> Iterator[tuple[TokenShape, re.Match[str]]]:
    """Every well-known token in `text`, documentation examples left out."""
    if not _PREFIXES.search(text):
        return
    for shape in TOKEN_SHAPES:
        for match in shape.pattern.finditer(text):
            if not _looks_fake(match[0]):
                yield shape, match


def _looks_fake(token: str) -> bool:
    lowered = token.lower()
    return any(run in lowered for run in _FAKE_RUNS) or len(set(token)) <= 6


_REFERENCE = re.compile(r"\$\{[^}]*\}")
_VARIABLE = re.compile(
    r"\$[A-Za-z_][A-Za-z0-9_]*"  # shell, Dockerfile: $TOKEN
    r"|\$\([^)]*\)"  # shell command substitution, Azure Pipelines macro $(System.AccessToken)
    r"|%[A-Za-z_][A-Za-z0-9_]*%"  # Windows cmd
    r"|\{\{[^}]*\}\}"  # Jinja, Helm, GitHub expressions
)
# The words placeholders are made of: `<token>`, `YOUR_TOKEN_HERE`, `your-password`.
_PLACEHOLDER_WORDS = frozenset({
    "a", "access", "an", "api", "apikey", "auth", "changeme", "ci", "deploy", "dummy",
    "example", "fake", "here", "insert", "job", "key", "login", "me", "my", "name", "pass",
    "passwd", "password", "pat", "personal", "placeholder", "private", "put", "redacted",
    "registry", "replace", "secret", "the", "this", "token", "user", "username", "value",
    "with", "your"})
_PLACEHOLDER_TEXT = re.compile(r"[*xX.\u2022\u2026_-]+|<[^<>]*>|\[[^\[\]]*\]|\{[^{}]*\}")
# GitHub's legacy `https://TOKEN:x-oauth-basic@github.com`: the username is the secret.
_NON_SECRET_PASSWORDS = frozenset({"x-oauth-basic"})


def mask_references(text: str) -> str:
    """`text` with the inside of every `${...}` blanked, keeping every offset.

    A reference may hold `://`, `#` or `@` (`${keyring:https://host#user}`), which would
    otherwise read as a URL of its own, or as the end of a userinfo.
    """
    return _REFERENCE.sub(lambda m: "${" + "_" * (len(m[0]) - 3) + "}", text)


def is_secret_value(value: str) -> bool:
    """True when `value` is literal secret text, not a reference, a variable or a placeholder.

    A value holding any `${...}` is a template (or a `$${` literal): its author knows the
    grammar, and a well-known token hidden in a fallback is still found by `token_shapes`.
    """
    text = value.strip()
    if not text or "${" in text or text.lower() in _NON_SECRET_PASSWORDS:
        return False
    if _VARIABLE.fullmatch(text) or _PLACEHOLDER_TEXT.fullmatch(text):
        return False
    return not _made_of_placeholder_words(text.lower())


def _made_of_placeholder_words(text: str) -> bool:
    if not re.fullmatch(r"[a-z][a-z _-]*", text):
        return False
    letters = re.sub(r"[ _-]", "", text)
    # Segment `yourtokenhere` into known words; any leftover letters make it a real value.
    reachable = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        reachable[end] = any(reachable[start] and letters[start:end] in _PLACEHOLDER_WORDS
                             for start in range(max(0, end - 11), end))
    return reachable[-1]


_HEX40 = re.compile(r"[0-9a-f]{40}")
_OPAQUE = re.compile(r"[A-Za-z0-9]{32,}")  # no separators: `svc-readonly-2024-...` is a name


def is_token_like(value: str) -> bool:
    """True when a *username* is really a token (`https://ghp_...@github.com`).

    Usernames are normally words (`__token__`, `oauth2`, `gitlab-ci-token`, `deploy-bot`);
    a well-known token, 40 hex digits (GitHub's classic OAuth tokens) or a long opaque run
    of letters *and* digits (Azure DevOps PATs) is not.
    """
    text = value.strip()
    if any(s.pattern.fullmatch(text) and not _looks_fake(text) for s in TOKEN_SHAPES):
        return True
    if _HEX40.fullmatch(text):
        return not _looks_fake(text)
    return bool(_OPAQUE.fullmatch(text) and re.search(r"[0-9]", text)
                and re.search(r"[A-Za-z]", text) and not _looks_fake(text))


# ----------------------------------------------------------------------------- URLs

_URL_START = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://")
_URL_STOP = re.compile(r"[\s\"'`<>]")
_HOSTPORT = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]|\$\{_*\}|[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?)(?::[0-9]{0,5})?")


def find_urls(line: str) -> Iterator[tuple[int, int]]:
    """`(start, end)` of every `scheme://...` in `line`. A URL right after a quote runs to
    the closing quote (a TOML or shell string may hold a raw space); otherwise it ends at
    whitespace or a quote."""
    masked = mask_references(line)
    pos = 0
    for match in _URL_START.finditer(masked):
        start = match.start()
        if start < pos:
            continue
        quote = line[start - 1] if start and line[start - 1] in "\"'" else ""
        if quote:
            end = masked.find(quote, match.end())
            end = len(line) if end < 0 else end
        else:
            stop = _URL_STOP.search(masked, match.end())
            end = stop.start() if stop else len(line)
        yield start, end
        pos = end


@record(frozen=True)
class UrlParts:
    """A URL split as written: `scheme://[userinfo@]hostport rest`."""

    scheme: str
    userinfo: Optional[str] = field(repr=False)
    hostport: str
    rest: str  # path, query and fragment

    @property
    def host(self) -> str:
        """The host name, lower-case, without port or brackets."""
        host = self.hostport
        if host.startswith("["):
            return host[1:host.find("]")].lower()
        return host.partition(":")[0].lower()

    def with_userinfo(self, userinfo: Optional[str]) -> str:
        auth = "" if userinfo is None else userinfo + "@"
        return f"{self.scheme}://{auth}{self.hostport}{self.rest}"


def split_url(url: str) -> Optional[UrlParts]:
    """Split `url`; None when no valid host can be found."""
    masked = mask_references(url)
    scheme = _URL_START.match(masked)
    if scheme is None:
        return None
    base = scheme.end()
    after = masked[base:]
    stop = re.search(r"[/?#]", after)
    netloc_end = stop.start() if stop else len(after)
    netloc = after[:netloc_end]
    at: Optional[int] = None
    if "@" in netloc and _HOSTPORT.fullmatch(netloc, netloc.rfind("@") + 1):
        at, host_end = netloc.rfind("@"), netloc_end
    elif "@" not in netloc and _HOSTPORT.fullmatch(netloc):
        host_end = netloc_end
    else:  # a password with an unencoded `/`, `?` or `#`: find the real host
        found = _host_after_userinfo(after)
        if found is None:
            return None
        at, host_end = found
    userinfo = None if at is None else url[base:base + at]
    host_start = base + (0 if at is None else at + 1)
    return UrlParts(url[:base - 3], userinfo, url[host_start:base + host_end],
                    url[base + host_end:])


def _host_after_userinfo(after: str) -> Optional[tuple[int, int]]:
    # Each `@` followed by a valid host and then `/`, `?`, `#` or the end could close the
    # userinfo. Prefer the last one followed by a path: a later `@` belongs to the path
    # (`repo.git@v1.0#egg=x`), which starts with `/`.
    candidates: list[tuple[int, int]] = []
    for at in (i for i, char in enumerate(after) if char == "@" and i > 0):
        host = _HOSTPORT.match(after, at + 1)
        if host and (host.end() == len(after) or after[host.end()] in "/?#"):
            candidates.append((at, host.end()))
    with_path = [c for c in candidates if after[c[1]:c[1] + 1] == "/"]
    chosen = with_path or candidates
    return chosen[-1] if chosen else None


@record(frozen=True)
class UrlCredential:
    """A URL whose userinfo holds a literal secret. `secrets` are the spellings to hide."""

    parts: UrlParts
    username: str  # as written; a token when `token_user`
    token_user: bool
    has_password: bool
    secrets: tuple[str, ...] = field(repr=False)

    @property
    def shown_userinfo(self) -> str:
        """The userinfo as a message may show it."""
        user = "****" if self.token_user else self.username
        return f"{user}:****" if self.has_password else user


def url_credential(url: str) -> Optional[UrlCredential]:
    """The hard-coded credential in `url`'s userinfo, or None when it carries none.

    `user` alone (`__token__`, `git`, `gitlab-ci-token`) is a name, not a secret; a token
    in the username position is (`https://ghp_...@github.com`, `https://<40 hex>@...`).
    """
    parts = split_url(url)
    if parts is None or parts.userinfo is None:
        return None
    user, sep, password = parts.userinfo.partition(":")
    secrets: list[str] = []
    has_password = bool(sep) and is_secret_value(unquote(password))
    if has_password:
        secrets += [password, unquote(password)]
    token_user = is_token_like(unquote(user))
    if token_user:
        secrets += [user, unquote(user)]
    if not secrets:
        return None
    return UrlCredential(parts, user, token_user, has_password, tuple(secrets))
