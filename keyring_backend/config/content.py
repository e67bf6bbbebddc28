"""Project content: what files in a project decide about where the user's secrets go
(DESIGN.md "Trust"), and its digest.

Project content is a pyproject.toml's `[[tool.private-packages.credentials]]` rules and
`[tool.private-packages.vault]` table, and every rule of any layer bound by `source = NAME`
where the project wrote NAME's URL. It applies only in a trusted project (trust.py).

The digest covers exactly *what it sends where*: each rule's destination prefix (for a
`source = NAME` rule, the URL the project gives NAME) with the references in its username
and password (literal text as `****`: a literal in an env rule
is a value, and not even its hash may be stored), and the vault table. It is sha256 over
sorted JSON, so reordering rules or editing anything else in pyproject.toml (a version, a
dependency) keeps a project trusted, and a new destination or reference does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import PrivatePackagesError
from ..records import field, record
from ..references import Reference, parse_template
from ..rules import CredentialRule


@record(frozen=True)
class Sending:
    """One thing project content would send: references as written, and where to."""

    what: str
    to: str
    origin: str

    def __str__(self) -> str:
        return f"{self.what} to {self.to}"


@record(frozen=True)
class ProjectContent:
    directory: Path  # the project's directory, resolved: what trust records are keyed by
    rules: tuple[CredentialRule, ...] = ()
    # Per rule, the destination the project wrote: a `source = NAME` rule's is the URL the
    # project gives NAME, even when your POETRY_REPOSITORIES_NAME_URL moves the rule to
    # your own repository -- so the digest does not depend on your environment.
    destinations: tuple[str, ...] = ()
    vault: dict[str, Any] = field(default_factory=dict)  # valid keys of the project's table

    def __bool__(self) -> bool:
        return bool(self.rules or self.vault)

    def sendings(self) -> list[Sending]:
        found = []
        for rule in self.rules:
            what = shown(rule.password)
            if _has_reference(rule.username):
                what += f" (username {shown(rule.username)})"
            found.append(Sending(what, rule.url, rule.origin))
        if self.vault:
            settings = ", ".join(f"{k} = {v}" for k, v in sorted(self.vault.items()))
            found.append(Sending(f"your Vault login ({settings})",
                                 str(self.vault.get("addr", "VAULT_ADDR's server")),
                                 "[tool.private-packages.vault]"))
        return found

    def summary(self, limit: int = 3) -> str:
        """The sendings in one line: `${A} to https://x, ${B} to https://y (and 2 more)`."""
        items = [str(s) for s in self.sendings()]
        more = f" (and {len(items) - limit} more)" if len(items) > limit else ""
        return ", ".join(items[:limit]) + more

    def digest(self) -> str:
        import json

        rules = sorted({json.dumps({"to": to, "allow_http": rule.allow_http,
                                    "username": shown(rule.username),
                                    "password": shown(rule.password)}, sort_keys=True)
                        for rule, to in zip(self.rules, self.destinations)})
        payload = json.dumps({"rules": rules, "vault": self.vault}, sort_keys=True,
                             separators=(",", ":"), default=str)  # a TOML date, say
        return sha256_hex(payload.encode("utf-8"))


def sha256_hex(data: bytes) -> str:
    """sha256 of `data`. `hashlib` first loads OpenSSL (2-6 ms, more than the whole trust
    check may cost a process; bench/bench_trust.py); CPython's own built-in sha256 module
    gives the same digest at once. Elsewhere (PyPy...), or once hashlib is loaded anyway
    (pip, poetry), hashlib."""
    import sys

    if "hashlib" not in sys.modules:
        for name in ("_sha2", "_sha256"):  # CPython >= 3.12, <= 3.11
            try:
                builtin = __import__(name)
            except ImportError:
                continue
            return str(builtin.sha256(data).hexdigest())
    import hashlib

    return hashlib.sha256(data).hexdigest()


def shown(text: str) -> str:
    """Template text as it may be printed and hashed: references as written, literal runs
    as `****`; a literal-only value is `a literal`."""
    try:
        parts = parse_template(text).parts
    except PrivatePackagesError:
        return "(a malformed reference)"
    if not any(isinstance(p, Reference) for p in parts):
        return "a literal"
    return "".join(p.display if isinstance(p, Reference) else "****" for p in parts)


def _has_reference(text: str) -> bool:
    try:
        return not parse_template(text).is_literal
    except PrivatePackagesError:
        return False
