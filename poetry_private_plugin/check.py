"""`poetry source check`: for each project source, where its credential comes from, whether
the index accepts it, and what in the project puts it at risk -- never a value.

Per source: the credential poetry will send, chosen as the credential hook chooses it
(`credential_choice`: poetry's explicit `http-basic.NAME` -- a rule it overrides is a
warning --, else our rule, else the URL's userinfo, else none), a JWT's expiry, the index
probed with that very credential (`keyring_backend.probe`), and the warnings of
`check_warnings`. The report itself is `check_report`.

Exit code (DESIGN.md "Exit codes"): 3 when an index refused access (401/403): the credential
sent was rejected, or none reached an index that wants one; else 2 for a configuration
error (unknown source name, broken config, an unresolvable reference, an index that is
unreachable or answers 404, an index whose files lie outside its rule's prefix, where the
hook sends no credential: `keyring_backend.file_links`), else 0. Other warnings never fail
the check. When both 3 and 2 apply, 3 wins, as in `pip-private doctor`: a rejected token
is the more urgent fix (it must be rotated) and every problem is printed either way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from keyring_backend.errors import EXIT_CONFIG, ConfigError, PrivatePackagesError
from keyring_backend.http import redact_url, split_userinfo
from keyring_backend.probe import display_username, probe_index
from keyring_backend.references import parse_template
from keyring_backend.rules import CredentialRule, Layer
from keyring_backend.secret import Secret
from keyring_backend.store import CredentialStore
from keyring_backend.token_expiry import Expiry, github_header_expiry, jwt_expiry

from . import check_warnings as cw
from .check_report import (
    ERROR,
    FAILED,
    MISSING,
    NOTE,
    OK,
    REJECTED,
    UNREACHABLE,
    UNTRUSTED,
    WARNING,
    Block,
    Item,
    Report,
)
from .credential_choice import Settings, choose_credential, setting, source_target
from .sources import Source

__all__ = ["ERROR", "FAILED", "MISSING", "NOTE", "OK", "REJECTED", "UNREACHABLE", "WARNING",
           "Block", "Credential", "Item", "Project", "Report", "SourceCheck", "UnknownSource"]


class UnknownSource(ConfigError):
    """A NAME given to `poetry source check` is not a source of this project."""


@dataclass(frozen=True)
class Project:
    """What the check reads of a poetry project; `local_config` is its [tool.poetry]."""

    pyproject: Path
    lock_file: Path
    local_config: Mapping[str, Any]
    sources: Sequence[Source]
    settings: Settings  # poetry's Config: http-basic.*, repositories.*, certificates.*


@dataclass(frozen=True)
class Credential:
    username: Optional[str]
    password: Optional[Secret] = field(repr=False)
    rule: Optional[str] = None  # the rule's origin, for the probe's advice
    bound: Optional[CredentialRule] = None  # that rule: where its credential may go


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
        self._untrusted(project)
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
        Raises `UnresolvedReference` when the rule in use cannot be resolved."""
        settings = self.project.settings
        choice = choose_credential(source_target(settings, source.name, source.url),
                                   self.store.config.rules, settings, self.env)
        rule, explicit = choice.rule, choice.explicit
        if explicit is not None:
            block.add(OK, f"credential: {explicit.where} (not a private-packages rule); "
                      f"username {display_username(explicit.username)}")
            if rule is not None:
                block.add(WARNING, f"{self._shorten(rule.origin)} is overridden: poetry "
                          f"sends its own credential for '{source.name}' from {explicit.where}",
                          f"Remove it ({explicit.unset}) so only the rule applies.")
            self.report.secret(explicit.password.reveal(), explicit.username)
            return Credential(explicit.username, explicit.password)
        withheld = self._withheld(source) if rule is None else None
        if withheld is not None:
            block.add(UNTRUSTED, f"credential: none -- {self._shorten(withheld.origin)} is "
                      "withheld because the project is not trusted; probed anonymously")
            return Credential(None, None)
        if rule is not None and choice.uncovered is not None:
            block.add(WARNING, f"{self._shorten(rule.origin)} is bound to {rule.url}, not "
                      f"{choice.uncovered}: poetry gets no credential from it",
                      f"Bind the rule to every URL of '{source.name}', or unset "
                      f"repositories.{source.name}.url.")
        elif rule is not None:
            return self._from_rule(rule, block)
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
        return Credential(username, resolved.password, origin, rule)

    def _untrusted(self, project: Block) -> None:
        """An untrusted project: what it would send where (references only), every withheld
        rule, and how to trust it. Nothing of it is resolved or sent."""
        config = self.store.config
        summary = config.untrusted_summary()
        if summary is None or config.content is None:
            return
        project.add(UNTRUSTED, self._shorten(summary),
                    "If you trust it: `poetry source trust` (it shows what it approves, "
                    "then asks).", exit_code=EXIT_CONFIG)
        for sending in config.content.sendings():
            project.add(NOTE, f"withheld: {self._shorten(sending.origin)} would send "
                        f"{sending}")

    def _withheld(self, source: Source) -> Optional[CredentialRule]:
        """The withheld rule that would have served `source`, if any."""
        from keyring_backend.store import POETRY_REPOSITORY_PREFIX

        return self.store.withheld_rule_for(POETRY_REPOSITORY_PREFIX + source.name)

    def _probe(self, source: Source, credential: Credential, block: Block) -> None:
        if not self.probe:
            block.add(NOTE, "index: not probed (--no-probe)")
            return
        cert = setting(self.project.settings, "certificates", source.name, "cert")
        cafile = cert if isinstance(cert, str) else self.env.get("REQUESTS_CA_BUNDLE")
        locked = (self.locked or {}).get(source.name)
        try:
            result = probe_index(source.url, username=credential.username,
                                 password=credential.password,
                                 package=locked[0] if locked else None,
                                 timeout=self.timeout, cafile=cafile or None,
                                 rule=credential.rule, bound=credential.bound)
        except PrivatePackagesError as exc:
            block.add(ERROR, f"index: {exc}", exit_code=EXIT_CONFIG)
            return
        block.add(result.verdict, f"index: {result.summary}", result.fix, result.exit_code)
        if result.ok and credential.bound is not None:
            self._file_links(source, credential, credential.bound, locked, cafile, block)
        if result.token_expiration:
            self._expiry(github_header_expiry(result.token_expiration), block)

    def _file_links(self, source: Source, credential: Credential, rule: CredentialRule,
                    locked: Optional[list[str]], cafile: Optional[str], block: Block) -> None:
        """Files linked outside the rule get no credential from the hook (file_links)."""
        from keyring_backend.file_links import advice, file_outside_rule

        outside = file_outside_rule(source.url, rule, username=credential.username,
                                    password=credential.password,
                                    package=locked[0] if locked else None,
                                    timeout=self.timeout, cafile=cafile or None)
        if outside is not None:
            text, fix = advice(source.url, outside, rule)
            block.add(WARNING, f"files: {self._shorten(text)}", fix, exit_code=EXIT_CONFIG)

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
