"""`poetry export --with-credentials` (poetry-plugin-export) writes references, never values.

The export plugin writes each index as `repository.authenticated_url`: poetry's
Authenticator looks the credential up -- in `http-basic.NAME`, or in keyring, where our
backend answers with the resolved token -- and writes it percent-encoded into
`--extra-index-url https://user:TOKEN@host/simple`, in a file or on stdout.

Before `export` runs, the hook (hook.py) wraps every package repository's authenticator:

- a source whose credential comes from a rule is written with the rule's username and
  password *as written*: literal text percent-encoded, references kept as `${...}` (as
  `Reference.display` shows them: a `:-fallback`, which may be a literal token, is left
  out). pip itself expands `${CI_JOB_TOKEN}` (upper-case environment names); pip-private
  renders any reference (`${vault:...}`, `${file:...}`, `${VIKTOR_APP_SECRET#gitlab}`).
  Nothing is resolved: export needs no secret at all;
- a rule that cannot be written is not: the URL goes out bare, with a warning. That is a
  literal password (a value), a command (`${cmd:...}`: a requirements file may not run
  one), a `[N]` selector (the plugin's `urlsplit` takes `[...]` in a netloc for an IPv6
  address and fails), and, for an http source, a reference holding `/ ? # @`: the plugin
  also writes an http index's netloc as `--trusted-host`, which `urlsplit` would cut there
  (pip-private drops a trusted host's userinfo, so `${NAME}` works);
- every other URL (the user's own explicit credential, a source without a rule) is looked
  up as poetry does, with our backend silent, so no rule's value reaches the output
  through poetry's keyring lookup.

Without --with-credentials the hook does nothing: the plugin writes bare URLs anyway. A
lock that export runs first is a command of its own, hooked as usual.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote, urlsplit

from keyring_backend.errors import PrivatePackagesError

if TYPE_CHECKING:
    from poetry.config.config import Config
    from poetry.poetry import Poetry

    from keyring_backend.references import Template
    from keyring_backend.rules import CredentialRule


def write_references(poetry: Poetry, config: Config) -> list[str]:
    """Make `poetry export --with-credentials` write references; return warnings."""
    from keyring_backend.store import CredentialStore

    from .credential_choice import choose_credential, source_target
    from .hook_rules import blocking_errors
    from .sources import project_sources

    targets = [source_target(config, s.name, s.url) for s in project_sources(poetry)]
    store = CredentialStore(os.environ, cwd=Path(poetry.pyproject_path).parent)
    choices = [choose_credential(t, store.config.rules, config, os.environ) for t in targets]
    matched = {c.target: c.rule for c in choices if c.explicit is None}
    concerning, other = blocking_errors(store.config.errors, matched)
    if concerning:
        raise PrivatePackagesError(f"{concerning[0]} (run `poetry source check` for every "
                                   "problem)")
    notice = store.config.untrusted_notice()  # its rules are not written either
    warnings = [str(error) for error in other] + ([notice] if notice else [])
    # source name -> the userinfo to write, or None for a bare URL (never what poetry holds:
    # a lock that export runs first gives poetry the rule's value)
    userinfo: dict[str, Optional[str]] = {}
    for choice in choices:
        name, rule = choice.target.name, choice.rule
        if choice.explicit is not None or rule is None:
            continue  # the user's own credential, as poetry writes it; or none of ours
        if choice.uncovered is not None:
            written, why_not = None, f"{rule.origin} is bound to {rule.url}, not " \
                                     f"{choice.uncovered}; exported without credentials"
        else:
            written, why_not = rule_userinfo(rule, choice.target.urls[0])
            why_not += ("; exported without credentials (pip with the keyring backend, and "
                        "pip-private, still use the rule)")
        if written is None:
            warnings.append(f"source '{name}': {why_not}")
        userinfo[name.lower()] = written
    _wrap_authenticators(poetry, userinfo)
    return warnings


def rule_userinfo(rule: CredentialRule, url: str) -> tuple[Optional[str], str]:
    """(`username:password` as the export of `url` may write it, "") or (None, why not)."""
    from keyring_backend.references import parse_template

    username = parse_template(rule.username, f"username of {rule.origin}")
    password = parse_template(rule.password, f"password of {rule.origin}")
    if password.is_literal:
        return None, f"the password of {rule.origin} is a literal, not a reference"
    if any(ref.kind == "cmd" for ref in (*username.references, *password.references)):
        return None, (f"{rule.origin} runs a command (${{cmd:...}}), which a requirements "
                      "file may not")
    written = f"{_as_written(username)}:{_as_written(password)}"
    if "[" in written or "]" in written:
        return None, (f"{rule.origin} uses a [N] selector, which poetry-plugin-export "
                      "cannot parse in a URL")
    if url.lower().startswith("http:") and any(c in written for c in "/?#@"):
        return None, (f"{rule.origin} holds '/', '?', '#' or '@', which poetry-plugin-export "
                      "would cut off in the --trusted-host line of an http source")
    return written, ""


def _as_written(template: Template) -> str:
    return "".join(quote(part, safe="") if isinstance(part, str) else part.display
                   for part in template.parts)


def _wrap_authenticators(poetry: Poetry, userinfo: dict[str, Optional[str]]) -> None:
    from poetry.repositories.http_repository import HTTPRepository

    for repository in poetry.pool.all_repositories:
        if not isinstance(repository, HTTPRepository):
            continue
        inner = getattr(repository, "_authenticator", None)
        if not callable(getattr(inner, "authenticated_url", None)):
            # A poetry this hook does not know: refuse rather than risk writing a value.
            raise PrivatePackagesError(
                "cannot make this poetry's export write references instead of tokens; "
                "export without --with-credentials (pip-private and pip with the keyring "
                "backend authenticate from your rules)")
        name = repository.name.lower()
        repository._authenticator = ReferenceAuthenticator(  # type: ignore[assignment]
            inner, name in userinfo, userinfo.get(name))


class ReferenceAuthenticator:
    """Poetry's Authenticator of one repository, but for the URL export writes: for a
    source of a rule (`ours`), that URL with `userinfo`, or bare when None."""

    def __init__(self, inner: Any, ours: bool, userinfo: Optional[str]) -> None:
        self._inner = inner
        self._ours = ours
        self._userinfo = userinfo

    def authenticated_url(self, url: str) -> str:
        if not self._ours:
            from keyring_backend.providers.keyring_source import others_only

            with others_only():  # poetry may still ask keyring: our backend stays silent
                return str(self._inner.authenticated_url(url))
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]  # never a userinfo the URL carried already
        userinfo = f"{self._userinfo}@" if self._userinfo is not None else ""
        return f"{parts.scheme}://{userinfo}{host}{parts.path}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)  # every request poetry makes: unchanged
