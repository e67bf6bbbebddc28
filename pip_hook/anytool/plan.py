"""What `run` hands a command: environment variables, each with the reason it is there.

A `Plan` is filled by the per-tool planners (uv.py, poetry.py, publish.py, underneath.py)
and then either printed (`--print-env`: names, reasons, no secret ever resolved) or
applied. Rules: a variable the user already set wins over ours (their explicit choice, as
poetry's own http-basic wins over a rule); a credential is resolved once per rule, only
when a planner found a URL of this command that the rule covers; nothing goes into argv
or a file (the environment is the accepted channel: `/proc/PID/environ` is owner-only).
A variable whose name a project chose in part (a source or index NAME) is set only when
that name is a usable one (`usable_name`): else it is skipped with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from keyring_backend.records import field, record
from keyring_backend.rules import CredentialRule
from keyring_backend.secret import MASK
from keyring_backend.store import Credential, CredentialStore
from keyring_backend.urls import parse_location

from .tools import Invocation

#: What a variable name may hold: ASCII letters, digits and `_` (POSIX's portable set), and
#: `.`, which poetry 2.2+ keeps inside a source name (POETRY_HTTP_BASIC_ACME.INTERNAL_...).
#: `=` or NUL would make the environment unbuildable (os.execve refuses it), and a space
#: or a non-ASCII letter is a name no shell or CI form can set or show plainly.
_USABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def usable_name(name: str) -> bool:
    return _USABLE.fullmatch(name) is not None


@record(frozen=True)
class Variable:
    name: str
    value: str = field(repr=False)
    secret: bool  # shown as **** by --print-env
    why: str


class Plan:
    """Variables for one command. With `resolve=False` (`--print-env`) secrets are never
    read: every credential value is `****`."""

    def __init__(self, store: CredentialStore, env: Mapping[str, str], cwd: Path,
                 invocation: Invocation, argv: Sequence[str], *, resolve: bool = True) -> None:
        self.store = store
        self.env = env
        self.cwd = cwd
        self.invocation = invocation
        self.argv = list(argv)  # uv's index URLs may move from here into the environment
        self.resolve = resolve
        self.variables: dict[str, Variable] = {}
        self.warnings: list[str] = []
        self._credentials: dict[CredentialRule, Credential] = {}

    def rule_for(self, url: str, target: str) -> Optional[CredentialRule]:
        """The rule whose credential may go to `url` (the URL of `target`), or None. A URL
        that clients read as different hosts gets none, with a warning (urls.py)."""
        rule = self.store.rule_for_service(url)
        warning = (f"not giving {target} a credential: clients read the host of its URL "
                   "differently (a '\\', '%' or second '@' before the host, a control "
                   "character, not '//' after the scheme); write the URL plainly")
        if rule is None and url.lower().startswith(("http:", "https:")) and \
                parse_location(url) is None and warning not in self.warnings:
            self.warnings.append(warning)
        return rule

    def sole_rule(self, claims: Sequence[tuple[str, Optional[CredentialRule]]], what: str,
                  shared: str, one: str) -> Optional[CredentialRule]:
        """The rule of every (name, rule) that a tool reads from one variable family
        (`shared`, e.g. UV_INDEX_CORP_*), or None: when they disagree (another rule, or
        none), either target could be sent the other's credential, so nothing is set and a
        warning names the `what` (uv indexes, poetry sources) to rename `one` of."""
        rules = {rule for _, rule in claims}
        if len(rules) > 1:
            names = ", ".join(sorted({name for name, _ in claims}))
            self.warnings.append(f"{what} {names} share {shared}, but not one credential "
                                 f"rule; not setting it (rename {one})")
            return None
        return rules.pop()

    def set(self, name: str, value: str, why: str, *, secret: bool = False,
            replace: bool = False) -> bool:
        """Set `name` unless the user's environment has it (`replace`: ours is merged into
        theirs, e.g. GIT_CONFIG_COUNT) or a planner already did."""
        if name in self.variables or (name in self.env and not replace):
            return False
        self.variables[name] = Variable(name, value, secret, why)
        return True

    def user_set(self, *names: str) -> bool:
        return any(self.env.get(name) for name in names)

    def set_credential(self, username_var: Optional[str], password_var: str,
                       rule: CredentialRule, target: str) -> None:
        """The rule's username and password into two variables (both or neither)."""
        if password_var in self.env or (username_var is not None and username_var in self.env):
            return
        unusable = [name for name in (username_var, password_var)
                    if name is not None and not usable_name(name)]
        if unusable:
            self.warnings.append(f"not setting {unusable[0]} for {target}: not a usable "
                                 "environment variable name (rename it)")
            return
        credential = self.credential(rule)
        why = f"for {target}, from {rule.origin}"
        if username_var is not None:
            self.set(username_var, credential.username if credential else MASK, why,
                     secret=True)
        self.set(password_var, credential.password.reveal() if credential else MASK, why,
                 secret=True)

    def url_with_credential(self, url: str, rule: CredentialRule) -> str:
        """`url` with the rule's username and password as percent-encoded userinfo."""
        credential = self.credential(rule)
        scheme, sep, rest = url.partition("://")
        if credential is None:
            return f"{scheme}{sep}{MASK}:{MASK}@{rest}"
        user = quote(credential.username, safe="")
        password = quote(credential.password.reveal(), safe="")
        return f"{scheme}{sep}{user}:{password}@{rest}"

    def credential(self, rule: CredentialRule) -> Optional[Credential]:
        """The resolved credential (once per rule), None under `--print-env`. Raises
        `UnresolvedReference` for a secret that cannot be read."""
        if not self.resolve:
            return None
        if rule not in self._credentials:
            self._credentials[rule] = self.store.resolve(rule)
        return self._credentials[rule]

    @property
    def credentials(self) -> list[Credential]:
        return list(self._credentials.values())

    def environment(self) -> dict[str, str]:
        return {**self.env, **{v.name: v.value for v in self.variables.values()}}
