"""What poetry will send to a source or publish repository NAME: one decision shared by the
credential hook, `poetry source check` and `poetry source bump`, so that the check reports
and probes, and bump reads with, the very credential poetry uses.

Precedence: a credential the user gave poetry explicitly wins over a rule --
- for `publish` only: `--username` with `--password`, then `pypi-token.NAME` (poetry's
  Publisher reads them in that order, before http-basic);
- a password in `http-basic.NAME` (POETRY_HTTP_BASIC_NAME_PASSWORD, config.toml, auth.toml,
  poetry.toml).
They are the more specific, deliberate choice for this one machine or run, as a URL's
userinfo beats keyring in pip. A keyring entry is not explicit: asking it would cost a
keyring round trip. Then the rule bound to NAME (`hook_rules.rule_for`), only when it may
travel to every URL of the target; else nothing (poetry may still use a URL's userinfo).

Settings are read with a list of keys (`config.get(["http-basic", NAME, "password"])`):
a dotted string would split a source name that contains a dot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol

from keyring_backend.rules import CredentialRule, RuleSet
from keyring_backend.secret import Secret

from .hook_rules import Target, rule_for, uncovered_url


class Settings(Protocol):
    """The part of poetry's `Config` read here."""

    def get(self, setting_name: Any, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class Explicit:
    """A credential the user gave poetry; `where` names it for messages, `unset` says how
    to remove it (never a value)."""

    where: str
    unset: str
    username: Optional[str]
    password: Secret = field(repr=False)


@dataclass(frozen=True)
class Choice:
    """The decision for one target. `rule` is the rule bound to it, used or not."""

    target: Target
    rule: Optional[CredentialRule]
    explicit: Optional[Explicit] = None  # wins over the rule
    uncovered: Optional[str] = None  # a URL of the target the rule may not travel to

    @property
    def rule_to_use(self) -> Optional[CredentialRule]:
        return self.rule if self.explicit is None and self.uncovered is None else None


def choose_credential(target: Target, rules: RuleSet, config: Settings,
                      env: Mapping[str, str], *, publish: bool = False,
                      command_line: tuple[Optional[str], Optional[str]] = (None, None),
                      ) -> Choice:
    """What poetry will send for `target` (module docstring); resolves nothing."""
    explicit = explicit_credential(config, target.name, env, publish=publish,
                                   command_line=command_line)
    rule = rule_for(target, rules)
    uncovered = uncovered_url(rule, target) if rule is not None else None
    return Choice(target, rule, explicit, uncovered)


def explicit_credential(config: Settings, name: str, env: Mapping[str, str], *,
                        publish: bool = False,
                        command_line: tuple[Optional[str], Optional[str]] = (None, None),
                        ) -> Optional[Explicit]:
    user, password = command_line
    if publish and user and password:
        return Explicit("--username/--password on the command line", "leave them out",
                        user, Secret(password))
    if publish:
        token = setting(config, "pypi-token", name)
        if isinstance(token, str) and token:
            return Explicit(_where(env, ("pypi-token", name), ""),
                            f"poetry config --unset pypi-token.{name}", "__token__", Secret(token))
    password = setting(config, "http-basic", name, "password")
    if not isinstance(password, str) or not password:
        return None  # a username alone: poetry asks keyring for the password
    username = setting(config, "http-basic", name, "username")
    return Explicit(_where(env, ("http-basic", name), "_USERNAME/_PASSWORD"),
                    f"poetry config --unset http-basic.{name}, or unset the variables",
                    str(username or ""), Secret(password))


def source_target(config: Settings, name: str, url: str) -> Target:
    """A project source as poetry uses it: poetry sends http-basic.NAME to
    `repositories.NAME.url` too, which an environment variable may point elsewhere."""
    configured = setting(config, "repositories", name, "url")
    extra = (configured,) if isinstance(configured, str) and configured != url else ()
    return Target(name, (url, *extra))


def setting(config: Settings, *keys: str) -> Any:
    try:  # a list keeps names with dots whole (poetry >= 2.1)
        return config.get(list(keys))
    except AttributeError:  # poetry 2.0 splits a dotted string only
        return config.get(".".join(keys))


def poetry_variable(*keys: str) -> str:
    """The environment variable poetry's `Config.get` reads for a setting."""
    return "POETRY_" + "_".join(k.upper().replace("-", "_") for k in keys)


def _where(env: Mapping[str, str], keys: tuple[str, ...], suffix: str) -> str:
    variable = poetry_variable(*keys)
    password_variable = variable + ("_PASSWORD" if suffix else "")
    if password_variable in env:
        return f"{variable}{suffix}"
    return f"poetry config {'.'.join(keys)} (auth.toml)"
