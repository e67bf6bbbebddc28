"""`poetry source check`: for each project source, where its credential comes from, whether
the index accepts it, and what in the project puts it at risk -- never a value.

Per source: the credential's origin (our rule, else poetry's `http-basic.NAME`, else the
URL's userinfo, else none), a JWT's expiry, the index probed with that credential
(`keyring_backend.probe`), and the warnings of `check_warnings`.

Exit code (DESIGN.md "Exit codes"): 3 when an index refused access (401/403): the credential
sent was rejected, or none reached an index that wants one; else 2 for a configuration
error (unknown source name, broken config, an unresolvable reference, an index that is
unreachable or answers 404), else 0. Warnings never fail the check. When both 3 and 2
apply, 3 wins, as in `pip-private doctor`: a rejected token is the more urgent fix (it
must be rotated) and every problem is printed either way.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Protocol
from urllib.parse import quote, quote_plus

from keyring_backend.errors import EXIT_CONFIG, EXIT_REJECTED, ConfigError, PrivatePackagesError
from keyring_backend.http import redact_url, split_userinfo
from keyring_backend.probe import display_username, probe_index
from keyring_backend.references import parse_template
from keyring_backend.rules import CredentialRule, Layer
from keyring_backend.secret import MASK, Secret
from keyring_backend.store import CredentialStore
from keyring_backend.token_expiry import Expiry, github_header_expiry, jwt_expiry
from keyring_backend.urls import parse_location

from . import check_warnings as cw
from .sources import Source

OK, NOTE, WARNING, ERROR, REJECTED, MISSING = "ok", "-", "WARNING", "ERROR", "REJECTED", "MISSING"
FAILED, UNREACHABLE = "FAILED", "UNREACHABLE"
_WIDTH = len(UNREACHABLE)


class UnknownSource(ConfigError):
    """A NAME given to `poetry source check` is not a source of this project."""


class PoetrySettings(Protocol):
    """The part of poetry's `Config` the check reads (`http-basic.*`, `certificates.*`)."""

    def get(self, setting_name: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class Project:
    """What the check reads of a poetry project; `local_config` is its [tool.poetry]."""

    pyproject: Path
    lock_file: Path
    local_config: Mapping[str, Any]
    sources: Sequence[Source]
    settings: PoetrySettings


@dataclass(frozen=True)
class Item:
    marker: str
    text: str
    fix: str = ""
    exit_code: int = 0

    @property
    def is_problem(self) -> bool:
        return self.marker not in (OK, NOTE)


@dataclass
class Block:
    title: str
    items: list[Item] = field(default_factory=list)

    def add(self, marker: str, text: str, fix: str = "", exit_code: int = 0) -> None:
        self.items.append(Item(marker, text, fix, exit_code))


@dataclass
class Report:
    """The blocks of one run, and every value resolved during it (masked on output)."""

    blocks: list[Block] = field(default_factory=list)
    _secrets: set[str] = field(default_factory=set, repr=False)

    def secret(self, value: str, username: Optional[str] = None) -> None:
        """Register a resolved value: raw, percent-encoded, base64, and as a Basic header.
        Forms under 4 characters are skipped: masking them garbles text and hides nothing."""
        raw = value.encode()
        forms = {value, quote(value, safe=""), quote(value), quote_plus(value),
                 base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
        if username is not None:
            forms.add(base64.b64encode(f"{username}:{value}".encode()).decode())
        self._secrets.update(form for form in forms if len(form) >= 4)

    @property
    def items(self) -> list[Item]:
        return [item for block in self.blocks for item in block.items]

    @property
    def exit_code(self) -> int:
        codes = {item.exit_code for item in self.items}
        return EXIT_REJECTED if EXIT_REJECTED in codes else EXIT_CONFIG if codes - {0} else 0

    def text(self, quiet: bool = False) -> str:
        """The report; `quiet` keeps only problems (and prints nothing when there are none).
        Every resolved value is replaced by `****`, in case one slipped into a message."""
        lines: list[str] = []
        for block in self.blocks:
            items = [i for i in block.items if i.is_problem or not quiet]
            if items:
                lines.append(block.title)
            for item in items:
                lines.append(f"  {item.marker:<{_WIDTH}} {item.text}")
                lead = "fix: "
                for fix_line in item.fix.splitlines():
                    lines.append(f"  {'':<{_WIDTH}} {lead}{fix_line}")
                    lead = "     "
        if lines or not quiet:
            lines.append(self.summary())
        text = "\n".join(lines) + "\n" if lines else ""
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def summary(self) -> str:
        warnings = sum(1 for item in self.items if item.marker == WARNING)
        errors = sum(1 for item in self.items if item.exit_code)
        checked = sum(1 for block in self.blocks if block.title.startswith("source "))
        return (f"poetry source check: {checked} source(s), {errors} problem(s), {warnings} "
                f"warning(s); exit code {self.exit_code}")


@dataclass(frozen=True)
class Credential:
    username: Optional[str]
    password: Optional[Secret] = field(repr=False)
    rule: Optional[str] = None  # the rule's origin, for the probe's advice


class SourceCheck:
    """Checks the sources of one project; `run` returns the report."""

    def __init__(self, project: Project, env: Mapping[str, str], *, probe: bool = True,
                 timeout: float = 10.0, now: Optional[datetime] = None) -> None:
        self.project = project
        self.env = env
        self.probe = probe
        self.timeout = timeout
        self.now = now or datetime.now(timezone.utc)
        self.store = CredentialStore(env, project.pyproject.parent)
        self.report = Report()
        self.pypi = cw.pypi_priority(project.local_config, project.sources)
        self.pinned = cw.pinned_sources(project.local_config)
        self.locked = cw.locked_packages(project.lock_file)

    def run(self, names: Sequence[str] = ()) -> Report:
        """Raises `UnknownSource` (before checking anything) for a name not in the project."""
        known = [s.name for s in self.project.sources]
        wanted = {n.lower() for n in names}  # poetry's own source names ignore case
        unknown = [n for n in names if n.lower() not in {k.lower() for k in known}]
        if unknown:
            raise UnknownSource(f"no source named {', '.join(repr(n) for n in unknown)} in "
                                f"{self.project.pyproject.name}; known: "
                                f"{', '.join(known) or 'none (add one with poetry source add)'}")
        findings = (cw.credential_urls(self.project.pyproject, self.project.pyproject.name)
                    + cw.credential_urls(self.project.lock_file, self.project.lock_file.name))
        project = Block("project")
        for error in self.store.config.errors:
            project.add(ERROR, self._shorten(str(error)), exit_code=EXIT_CONFIG)
        for finding in findings:  # a URL of no source: the project's (of another: skipped)
            if not any(finding.concerns(s.url) for s in self.project.sources):
                project.add(WARNING, finding.text, finding.fix)
        if project.items:
            self.report.blocks.append(project)
        for source in self.project.sources:
            if not wanted or source.name.lower() in wanted:
                mine = [f for f in findings if f.concerns(source.url)]
                self.report.blocks.append(self.check_source(source, mine))
        return self.report

    def check_source(self, source: Source, findings: Sequence[cw.Finding]) -> Block:
        block = Block(f"source {source.name} ({source.priority})  {redact_url(source.url)}")
        try:
            credential = self.credential(source, block)
        except PrivatePackagesError as exc:
            block.add(ERROR, self._shorten(str(exc)), exit_code=EXIT_CONFIG)
            credential = None
        if credential is not None:
            if credential.password:
                self._expiry(jwt_expiry(credential.password.reveal()), block)
            self._probe(source, credential, block)
        for finding in [cw.plain_http(source), *findings, self._confusion(source, block)]:
            if finding is not None:
                block.add(WARNING, finding.text, finding.fix.replace(cw.SOURCE, source.name))
        return block

    def credential(self, source: Source, block: Block) -> Credential:
        """What poetry would send to `source`, described in `block` (never a value).
        Raises `UnresolvedReference` when our rule cannot be resolved."""
        rules = self.store.config.rules
        loc = parse_location(source.url)
        rule = rules.for_source(source.name) or (rules.find(loc) if loc else None)
        basic = self._http_basic(source.name)
        if rule is not None:
            if basic is not None:
                block.add(WARNING, f"poetry also has a credential for '{source.name}' in "
                          f"{basic[2]}", "Remove it (poetry config --unset http-basic."
                          f"{source.name}, or unset the variables) so only the rule applies.")
            return self._from_rule(rule, block)
        if basic is not None:
            username, password, where = basic
            block.add(OK, f"credential: {where} (not a private-packages rule); username "
                      f"{display_username(username)}")
            self.report.secret(password.reveal(), username)
            return Credential(username, password)
        _, url_user, url_password = split_userinfo(source.url)
        if url_user is not None or url_password is not None:
            block.add(NOTE, "credential: embedded in the source URL (see the warning below)")
            if url_password is not None:
                self.report.secret(url_password.reveal(), url_user)
            return Credential(url_user, url_password)
        block.add(NOTE, "credential: none -- no rule binds this source and poetry has no "
                  f"http-basic.{source.name}; poetry may still find one in another keyring "
                  "backend, otherwise the source is used anonymously")
        return Credential(None, None)

    def _from_rule(self, rule: CredentialRule, block: Block) -> Credential:
        origin = self._shorten(rule.origin)
        template = parse_template(rule.password, f"password of {origin}")
        providers = ", ".join(f"{r.display} ({r.kind})" for r in template.references)
        resolved = self.store.resolve(rule)
        username = resolved.username
        self.report.secret(resolved.password.reveal(), username)
        block.add(OK, f"credential: rule {origin} ({rule.layer.label}); username "
                  f"{display_username(username)}; password from "
                  f"{providers or 'a literal in the rule'}")
        if template.is_literal and rule.layer is Layer.PROJECT:
            block.add(WARNING, f"the password of {origin} is a literal in "
                      f"{self.project.pyproject.name}: it is committed with the project",
                      'Use a reference such as password = "${MY_TOKEN}" and revoke this token.')
        return Credential(username, resolved.password, origin)

    def _http_basic(self, name: str) -> Optional[tuple[str, Secret, str]]:
        """poetry's `http-basic.NAME` with a password (else poetry asks keyring), or None."""
        username = self.project.settings.get(f"http-basic.{name}.username")
        password = self.project.settings.get(f"http-basic.{name}.password")
        if not isinstance(password, str) or not password:
            return None
        variable = f"POETRY_HTTP_BASIC_{name.upper().replace('-', '_').replace('.', '_')}"
        where = (f"{variable}_USERNAME/_PASSWORD" if f"{variable}_PASSWORD" in self.env
                 else f"poetry config http-basic.{name} (auth.toml)")
        return str(username or ""), Secret(password), where

    def _probe(self, source: Source, credential: Credential, block: Block) -> None:
        if not self.probe:
            block.add(NOTE, "index: not probed (--no-probe)")
            return
        cert = self.project.settings.get(f"certificates.{source.name}.cert")
        cafile = cert if isinstance(cert, str) else self.env.get("REQUESTS_CA_BUNDLE")
        locked = (self.locked or {}).get(source.name)
        try:
            result = probe_index(source.url, username=credential.username,
                                 password=credential.password,
                                 package=locked[0] if locked else None,
                                 timeout=self.timeout, cafile=cafile or None,
                                 rule=credential.rule)
        except PrivatePackagesError as exc:
            block.add(ERROR, f"index: {exc}", exit_code=EXIT_CONFIG)
            return
        block.add(result.verdict, f"index: {result.summary}", result.fix, result.exit_code)
        if result.token_expiration:
            self._expiry(github_header_expiry(result.token_expiration), block)

    def _expiry(self, expiry: Optional[Expiry], block: Block) -> None:
        if expiry is not None:
            soon = expiry.is_soon(self.now)
            fix = "Renew the token and its secret before it stops working." if soon else ""
            block.add(WARNING if soon else OK, f"token {expiry.describe(self.now)}", fix)

    def _confusion(self, source: Source, block: Block) -> Optional[cw.Finding]:
        if self.locked is None:
            note = cw.unlocked_risk(source, self.pinned, self.pypi)
            block.items += [Item(NOTE, note)] if note else []
            return None
        return cw.dependency_confusion(source, self.locked.get(source.name, []),
                                       self.pinned, self.pypi)

    def _shorten(self, text: str) -> str:
        """Paths inside the project as relative paths: CI logs stay readable."""
        return text.replace(str(self.project.pyproject.parent) + os.sep, "")
