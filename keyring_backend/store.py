"""Find the rule for a keyring service string and resolve it into a credential.

This is the one place that turns "which service is asking" into "which username and
password": the keyring backend calls it, and so will pip-private and the poetry plugin.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

from .config import Config, Repositories, load_config, source_prefix
from .logs import info_level, quiet_logger
from .providers import ResolveContext, render_template
from .records import field, record
from .references import Reference, Template, parse_template
from .rules import CredentialRule, Layer, RuleSet
from .secret import Secret
from .urls import parse_location

POETRY_REPOSITORY_PREFIX = "poetry-repository-"


@record(frozen=True)
class Credential:
    username: str
    password: Secret = field(repr=False)
    rule: CredentialRule

    def for_basic_auth(self) -> tuple[str, str]:
        """(username, password) for a client that sends them with requests (pip, poetry,
        twine), which encodes HTTP Basic credentials as latin-1: on a character it cannot
        encode it raises an error that quotes the character and its position, part of the
        secret. Raises `BrokenSecret` naming the rule instead."""
        password = self.password.reveal()
        for part, text in (("username", self.username), ("password", password)):
            try:
                text.encode("latin-1")
            except UnicodeEncodeError:
                from .errors import BrokenSecret

                raise BrokenSecret(
                    f"{part} of {self.rule.origin} holds a character HTTP Basic "
                    "authentication cannot carry (not latin-1: a typographic quote or an "
                    "invisible character pasted with the token?); not sending it") from None
        return self.username, password


class CredentialStore:
    """Rules of the four layers for one environment and working directory, loaded once."""

    def __init__(self, env: Optional[Mapping[str, str]] = None,
                 cwd: Optional[Path] = None,
                 repositories: Optional[Repositories] = None) -> None:
        self.env: Mapping[str, str] = os.environ if env is None else env
        self._cwd = cwd
        self._repositories = repositories or {}
        self._config: Optional[Config] = None
        self._withheld: Optional[RuleSet] = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.env, self._cwd or Path.cwd(), self._repositories)
        return self._config

    def rule_for_service(self, service: str, *,
                         guarded: bool = False) -> Optional[CredentialRule]:
        """The rule answering a keyring service string, or None when none is ours.
        `guarded`: the caller's requests are checked by the guard, so a netloc-only
        lookup may also get a rule bound to a whole origin (`RuleSet.for_whole_origin`)."""
        return self._lookup(self.config.rules, service, guarded)

    def withheld_rule_for(self, service: str) -> Optional[CredentialRule]:
        """The rule of an untrusted project that *would* answer `service` (to say so once),
        or None. Never resolve it: that is what withholding it means."""
        withheld = self.config.withheld
        if not withheld:
            return None
        if self._withheld is None:
            self._withheld = RuleSet(withheld)
        return self._lookup(self._withheld, service, guarded=True)

    def _lookup(self, rules: RuleSet, service: str,
                guarded: bool) -> Optional[CredentialRule]:
        if service.startswith(POETRY_REPOSITORY_PREFIX):
            name = service[len(POETRY_REPOSITORY_PREFIX):]
            rule = rules.for_source(name)
            written = self.config.project_sources.get(name)
            if rule is not None and written is not None and rule.source is not None:
                # Bound to the user's repository of that name, while the project's source
                # of the same name (where poetry sends it) may point elsewhere.
                loc = parse_location(source_prefix(written))
                return rule if loc is not None and rule.matches(loc) else None
            if rule is not None:
                return rule
            url = self.config.sources.get(name)
            loc = parse_location(url) if url else None
        else:
            loc = parse_location(service)
        if loc is None:
            return None
        found = rules.find(loc)
        return rules.for_whole_origin(loc) if found is None and guarded else found

    def context_for(self, rule: CredentialRule, part: str) -> ResolveContext:
        return ResolveContext(
            env=self.env,
            where=f"{part} of {rule.origin}",
            settings=self.config.settings,
            allow_commands=rule.layer in (Layer.ENV, Layer.USER),
            base_dir=rule.base_dir,
            # The project may change its own files after you approved the rule (confined.py).
            confine_to=rule.base_dir if rule.layer is Layer.PROJECT else None,
        )

    def username_for(self, rule: CredentialRule) -> str:
        template = parse_template(rule.username, f"username of {rule.origin}")
        username = render_template(template, self.context_for(rule, "username")).reveal()
        if ":" in username:  # a literal one is refused when the rule loads (rules.py)
            from .errors import UnresolvedReference
            from .rules import COLON_IN_USERNAME

            raise UnresolvedReference(f"username of {rule.origin}: {COLON_IN_USERNAME}")
        return username

    def credential_for(self, service: str, username: Optional[str] = None, *,
                       guarded: bool = False) -> Optional[Credential]:
        """The credential for a service string, or None when no rule binds it or the caller
        names a different user than the rule's (then it is not ours to answer)."""
        rule = self.rule_for_service(service, guarded=guarded)
        if rule is None:
            return None
        if username:
            expected = self.username_for(rule)
            if username != expected:
                log = quiet_logger()
                if log is not None:  # usernames may be tokens (Gemfury): shown masked
                    from .probe import display_username

                    log.debug("private-packages: %s binds user %s, not %s; not answering",
                              rule.origin, display_username(expected),
                              display_username(username))
                return None
        return self.resolve(rule)

    def resolve(self, rule: CredentialRule) -> Credential:
        """Resolve a rule's username and password; raises `UnresolvedReference` subclasses."""
        username = self.username_for(rule)
        template = parse_template(rule.password, f"password of {rule.origin}")
        password = render_template(template, self.context_for(rule, "password"))
        if not password and not (username and _empty_allowed(template)):
            from .errors import UnresolvedReference

            raise UnresolvedReference(f"password of {rule.origin} resolved to an empty value")
        from . import guard

        # Every credential we hand out is remembered, so that where we run inside the
        # client its requests keep it only within this rule (guard.py).
        guard.remember(username, password.reveal(), rule,
                       secret_username=not _is_literal(rule.username, rule.origin))
        log = quiet_logger()
        if log is not None and log.isEnabledFor(level := info_level()):
            providers = ", ".join(r.display for r in template.references) or "a literal"
            log.log(level, "private-packages: credential for %s from %s (%s)", rule.url,
                    providers, rule.origin)
        return Credential(username, password, rule)


def _is_literal(template: str, origin: str) -> bool:
    return parse_template(template, f"username of {origin}").is_literal


def _empty_allowed(template: Template) -> bool:
    """`password = "${NAME:-}"` and nothing else: an empty password on purpose (a registry
    that takes the token as the username; pip-private's lifted `https://TOKEN@host`)."""
    parts = template.parts
    return len(parts) == 1 and isinstance(parts[0], Reference) and parts[0].fallback == ""
