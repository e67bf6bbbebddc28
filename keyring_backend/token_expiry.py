"""When a token expires, where the token or its registry says so -- without verifying it.

Two places carry an expiry date that can be read without any extra request:

- a JWT-shaped password (Artifactory access tokens, GitLab CI job JWTs, most OIDC tokens):
  the payload's `exp` claim, decoded but never verified -- we only want the date, the
  server decides whether the token is valid;
- GitHub's `GitHub-Authentication-Token-Expiration` response header, sent with every
  answer to a request authenticated by a personal access token that has an expiry.

Nothing here returns, logs or raises anything derived from the token except the date: a
token that does not parse is simply "no expiry known" (None), never an error whose message
could quote it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

#: An expiry closer than this is worth a warning: a week leaves time to rotate a CI secret.
WARN_WITHIN = timedelta(days=7)
GITHUB_EXPIRY_HEADER = "GitHub-Authentication-Token-Expiration"

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
# GitHub writes "2021-10-07 19:07:53 UTC"; some proxies rewrite the zone as "+0000".
_GITHUB_DATE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2})")


@dataclass(frozen=True)
class Expiry:
    """An expiry instant (UTC) and what reported it (for the message, never the token)."""

    when: datetime
    reported_by: str

    def remaining(self, now: datetime) -> timedelta:
        return self.when - now

    def is_soon(self, now: datetime, within: timedelta = WARN_WITHIN) -> bool:
        """True when expired or expiring within `within`: then the user should rotate it."""
        return self.remaining(now) < within

    def describe(self, now: datetime) -> str:
        """"expires 2025-06-01 12:00 UTC (in 3 days)" or "expired ... (2 days ago)"."""
        date = self.when.strftime("%Y-%m-%d %H:%M UTC")
        left = self.remaining(now)
        if left <= timedelta(0):
            return f"expired {date} ({_span(-left)} ago)"
        return f"expires {date} (in {_span(left)})"


def jwt_expiry(token: str) -> Optional[Expiry]:
    """The `exp` claim of a JWS-compact token (`header.payload.signature`), or None.

    The header must be a JSON object with an `alg`, so an ordinary token that happens to
    hold two dots is not mistaken for a JWT.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(_B64URL.fullmatch(part) for part in parts[:2]):
        return None
    header, payload = _json_object(parts[0]), _json_object(parts[1])
    if header is None or payload is None or "alg" not in header:
        return None
    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    try:
        when = datetime.fromtimestamp(exp, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return Expiry(when, "the token's exp claim (a JWT)")


def github_header_expiry(value: Optional[str]) -> Optional[Expiry]:
    """The instant in a `GitHub-Authentication-Token-Expiration` header value, or None."""
    match = _GITHUB_DATE.fullmatch((value or "").strip())
    if match is None:
        return None
    zone = match.group(3)
    offset = "+0000" if zone in ("UTC", "GMT", "Z") else zone.replace(":", "")
    try:
        when = datetime.strptime(f"{match.group(1)} {match.group(2)} {offset}",
                                 "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None
    return Expiry(when.astimezone(timezone.utc), f"GitHub's {GITHUB_EXPIRY_HEADER} header")


def _json_object(segment: str) -> Optional[dict[str, object]]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):  # UnicodeDecodeError and JSONDecodeError included
        return None
    return value if isinstance(value, dict) else None


def _span(delta: timedelta) -> str:
    """A rough human duration: days when at least one, else hours, else minutes."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "less than a minute"
