"""Which credential rule serves each source a poetry command needs, and which config errors
stand in its way. Plain functions over keyring_backend types: no poetry, no cleo.

A *target* is a source (or the publish repository) by name with every URL poetry will send
its `http-basic.NAME` credential to: the source URL and, when poetry's config names another
one, `repositories.NAME.url`. A rule is only used when it may be sent to all of them
(DESIGN.md: a credential travels only to the prefix it is bound to).

A config error about one rule carries that rule's `source`/`url` (`ConfigError.entry`),
compared with the targets to tell an error that concerns a needed source from one that
does not. An error that names no rule (a whole file unreadable) may have taken any rule
away: it concerns every target that is left without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from keyring_backend.config import source_prefix
from keyring_backend.errors import ConfigError
from keyring_backend.rules import CredentialRule, RuleSet
from keyring_backend.urls import Location, parse_location, path_within


@dataclass(frozen=True)
class Target:
    """A source or publish repository a command needs, and the URLs poetry sends it to."""

    name: str
    urls: tuple[str, ...]

    @property
    def locations(self) -> list[Location]:
        return [loc for loc in map(parse_location, self.urls) if loc is not None]


def rule_for(target: Target, rules: RuleSet) -> Optional[CredentialRule]:
    """The rule bound to the target by name (`source = "NAME"`), else by its first URL."""
    rule = rules.for_source(target.name)
    if rule is None and target.locations:
        rule = rules.find(target.locations[0])
    return rule


def uncovered_url(rule: CredentialRule, target: Target) -> Optional[str]:
    """The first of the target's URLs the rule's credential may not travel to, shown
    without userinfo; None when the rule covers them all."""
    for url in target.urls:
        loc = parse_location(url)
        if loc is None or not rule.matches(loc):
            return str(loc) if loc is not None else "a URL that is not http(s)"
    return None


def blocking_errors(errors: Iterable[ConfigError], matched: Mapping[Target, Any],
                    ) -> tuple[list[ConfigError], list[ConfigError]]:
    """Split config errors into (those that concern a needed target, the rest).
    `matched` maps each target to its rule, or None when it has none."""
    concerning: list[ConfigError] = []
    other: list[ConfigError] = []
    for error in errors:
        entry = error.entry
        if entry is None:
            hit = any(rule is None for rule in matched.values())
        else:
            hit = any(entry_concerns(entry, target) for target in matched)
        (concerning if hit else other).append(error)
    return concerning, other


def entry_concerns(entry: Mapping[str, str], target: Target) -> bool:
    if entry.get("source") == target.name:
        return True
    bound = parse_location(source_prefix(entry["url"])) if "url" in entry else None
    return bound is not None and any(
        (loc.scheme, loc.host, loc.port) == (bound.scheme, bound.host, bound.port)
        and path_within(loc.path or "", bound.path or "") for loc in target.locations)
