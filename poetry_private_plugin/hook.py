"""The credential hook: every poetry command that talks to a package source gets that
source's credential in memory, before poetry creates an environment or starts resolving.

plugin.py calls `authenticate_command` on cleo's COMMAND event (before poetry's own
listeners) and `finish_command` on TERMINATE. For each source the command needs -- the
project's `[[tool.poetry.source]]` entries, or for `publish` only its `-r` repository -- the
hook finds the rule (`source = "NAME"` first, else the longest URL prefix), resolves it and
merges `http-basic.NAME = {username, password}` into poetry's `Config`. That `Config` is the
`Config.create()` singleton every `Authenticator` in the process reads when it first needs a
credential, so nothing is written to auth.toml and it works with `keyring.enabled = false`.

Precedence (`credential_choice.choose_credential`, shared with `source check` and `source
bump`): a credential the user gave poetry explicitly wins over a rule -- a password in
`http-basic.NAME`, and for `publish` also `pypi-token.NAME` and `--username` with
`--password`. The hook then leaves that source alone.

Every request poetry sends then passes the guard (keyring_backend/guard.py): poetry picks a
source's credential by host, and the guard keeps it within the rule's prefix, off plain
http and other ports, redirects included.

Git dependencies over http(s): poetry's dulwich client tries once without a credential, and
after its 401 runs system git (so does `system-git-client = true`). GIT_CONFIG_* variables
in os.environ make that git ask `git-credential-private-packages` for every host a rule
binds; they hold a command line, never a value.

An unresolvable reference, or a config error in a rule a needed source may depend on, is
one `<error>` line; the command is disabled and exits 2 (cleo alone would report 113).
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from keyring_backend.errors import EXIT_CONFIG, PrivatePackagesError

from .hook_rules import Target, blocking_errors

if TYPE_CHECKING:
    from cleo.commands.command import Command
    from cleo.events.console_command_event import ConsoleCommandEvent
    from cleo.events.console_terminate_event import ConsoleTerminateEvent
    from poetry.config.config import Config
    from poetry.poetry import Poetry

    from keyring_backend.rules import CredentialRule
    from keyring_backend.store import CredentialStore

    from .credential_choice import Choice

PREFIX = "private-packages:"
# Commands that may clone a git dependency (and so need the git credential helper).
GIT_COMMANDS = frozenset({"install", "sync", "lock", "add", "update", "remove", "show",
                          "debug resolve", "self add", "self install", "self update",
                          "self sync", "self remove", "self lock", "self show"})
# Commands that read only the lock file unless asked for the latest versions.
SHOW_COMMANDS = frozenset({"show", "self show"})
_HELPER_MARK = "keyring_backend.git_credential"

# Commands this hook disabled, until their TERMINATE event (weak: tests run many commands).
_refused: weakref.WeakSet[Command] = weakref.WeakSet()


def authenticate_command(event: ConsoleCommandEvent) -> None:
    """Give the sources `event.command` needs their credentials, or refuse the command."""
    name = event.command.name or ""
    if name in SHOW_COMMANDS and not (_option(event, "outdated") or _option(event, "latest")):
        return  # plain `show` reads the lock file only
    poetry = _poetry_of(event)
    if poetry is None:
        return  # no (valid) pyproject.toml: poetry reports it when the command runs
    try:
        if name == "export":
            _export(event, poetry)
        else:
            _authenticate(event, name, poetry)
    except PrivatePackagesError as exc:
        _refuse(event, str(exc))
    except Exception as exc:  # noqa: BLE001 -- a bug must not print a value-bearing message
        _refuse(event, f"unexpected {type(exc).__name__} while preparing credentials; "
                       "please report it (run `poetry source check` to see which rule fails)")


def finish_command(event: ConsoleTerminateEvent) -> None:
    """Exit 2 (DESIGN.md) for a command this hook refused, instead of cleo's 113."""
    if event.command in _refused:
        _refused.discard(event.command)
        event.set_exit_code(EXIT_CONFIG)


def _authenticate(event: ConsoleCommandEvent, name: str, poetry: Poetry) -> None:
    from keyring_backend.store import CredentialStore

    from .credential_choice import choose_credential
    from .sources import user_repositories

    project_dir = Path(poetry.pyproject_path).parent
    configs = _configs(poetry)
    publish = name == "publish"
    targets = _publish_targets(event, configs[0]) if publish else \
        _source_targets(poetry, configs[0])
    store = CredentialStore(os.environ, cwd=project_dir,
                            repositories=user_repositories() if publish else None)
    command_line = (_option(event, "username"), _option(event, "password")) if publish \
        else (None, None)
    choices = [choose_credential(target, store.config.rules, configs[0], os.environ,
                                 publish=publish, command_line=command_line)
               for target in targets]
    # A target served by the user's explicit credential needs no rule, broken or not.
    matched = {c.target: c.rule for c in choices if c.explicit is None}
    concerning, other = blocking_errors(store.config.errors, matched)
    if concerning:
        _refuse(event, f"{concerning[0]} (run `poetry source check` for every problem)")
        return
    notice = store.config.untrusted_notice()
    for text in [*map(str, other), *([notice] if notice else [])]:
        _warn_once(event, text)
    grants: dict[str, dict[str, str]] = {}
    for choice in choices:
        grant = _grant(event, store, choice)
        if grant is not None:
            grants[choice.target.name] = grant
    if grants:
        for config in configs:
            config.merge({"http-basic": grants})
        _guard_requests()
    if name in GIT_COMMANDS and store.config.rules.rules:
        _enable_git_helper(event, project_dir)


def _export(event: ConsoleCommandEvent, poetry: Poetry) -> None:
    """`export --with-credentials` writes each rule's references, never its value
    (export.py); without the flag there is nothing to do."""
    if _option(event, "with-credentials"):
        from .export import write_references

        for warning in write_references(poetry, _configs(poetry)[0]):
            _write(event, f"<warning>{PREFIX} {_escape(warning)}</warning>")


def _grant(event: ConsoleCommandEvent, store: CredentialStore,
           choice: Choice) -> Optional[dict[str, str]]:
    """`{username, password}` for one target, or None (no rule, or the user's own wins)."""
    target, rule = choice.target, choice.rule
    label = f"source '{target.name}'"
    if choice.explicit is not None:
        unused = f"; {rule.origin} not used" if rule is not None else ""
        _debug(event, f"{label}: keeping poetry's own credential ({choice.explicit.where})"
                      f"{unused}")
        return None
    if rule is None:
        _debug(event, f"{label}: no rule binds {', '.join(map(str, target.locations))}")
        return None
    if choice.uncovered is not None:
        _write(event, f"<warning>{PREFIX} {_escape(label)}: {_escape(rule.origin)} is bound "
                      f"to {rule.url}, not {_escape(choice.uncovered)}; not sending its "
                      "credential</warning>")
        return None
    try:
        username, password = store.resolve(rule).for_basic_auth()
    except PrivatePackagesError as exc:  # it names the reference and the rule; add the source
        raise PrivatePackagesError(f"{label}: {exc}") from None
    # The username is not shown: some registries take the token as the username.
    _debug(event, f"{label}: credential from {rule.origin} ({_providers(rule)})")
    return {"username": username, "password": password}


def _guard_requests() -> None:
    """poetry matches credentials by host (its Authenticator, `get_repository_config_for_url`)
    and sends a source's credential to every path of that host: from here on each request
    keeps a rule's credential within the rule's prefix (keyring_backend/guard.py)."""
    import requests.adapters

    from keyring_backend.guard import install

    install(requests.adapters.HTTPAdapter)


def _publish_targets(event: ConsoleCommandEvent, config: Config) -> list[Target]:
    from .sources import repository_url

    name = str(_option(event, "repository") or "pypi")
    url = repository_url(config, name)
    return [] if url is None else [Target(name, (url,))]  # unknown: poetry reports it


def _source_targets(poetry: Poetry, config: Config) -> list[Target]:
    from .credential_choice import source_target
    from .sources import project_sources

    return [source_target(config, s.name, s.url) for s in project_sources(poetry)]


def _enable_git_helper(event: ConsoleCommandEvent, project_dir: Path) -> None:
    if any(_HELPER_MARK in value for key, value in os.environ.items()
           if key.startswith("GIT_CONFIG_VALUE_")):
        return  # already set up in this process (or by pip-private around it)
    from keyring_backend.git_credential import git_config_env

    try:
        extra = git_config_env(os.environ, project_dir=project_dir)
    except PrivatePackagesError as exc:
        _write(event, f"<warning>{PREFIX} git dependencies get no credential: "
                      f"{_escape(str(exc))}</warning>")
        return
    os.environ.update(extra)
    _debug(event, "git over http(s) asks git-credential-private-packages "
                  f"({(len(extra) - 1) // 6} host(s))")


def _configs(poetry: Poetry) -> list[Config]:
    """poetry.config and, if a poetry version ever hands out a copy, the singleton that
    `get_default_authenticator()` (git) and new Authenticators read."""
    from poetry.config.config import Config

    found = [poetry.config]
    singleton = Config.create()
    return found if singleton is poetry.config else [*found, singleton]


def _poetry_of(event: ConsoleCommandEvent) -> Optional[Poetry]:
    try:
        poetry: Poetry = getattr(event.command, "poetry")  # noqa: B009 -- Command has none
    except Exception:  # noqa: BLE001 -- PyProjectError, RuntimeError...: poetry reports it
        return None
    return poetry


def _option(event: ConsoleCommandEvent, name: str) -> Any:
    try:
        return event.io.input.option(name)
    except Exception:  # noqa: BLE001 -- unbound input or an option this command lacks
        return None


def _providers(rule: CredentialRule) -> str:
    from keyring_backend.references import parse_template

    references = parse_template(rule.password, f"password of {rule.origin}").references
    return ", ".join(ref.display for ref in references) or "a literal"


def _refuse(event: ConsoleCommandEvent, message: str) -> None:
    event.io.write_error_line(f"<error>{PREFIX} {_escape(message)}</error>")
    event.disable_command()
    event.stop_propagation()  # poetry's own listeners would create a virtualenv first
    _refused.add(event.command)


def _warn_once(event: ConsoleCommandEvent, text: str) -> None:
    """One warning line per process (our keyring backend, in the same process, may load
    the same configuration)."""
    from keyring_backend.notices import first_time

    if first_time(text):
        _write(event, f"<warning>{PREFIX} {_escape(text)}</warning>")


def _debug(event: ConsoleCommandEvent, message: str) -> None:
    if event.io.is_debug():
        _write(event, f"{PREFIX} {_escape(message)}")


def _write(event: ConsoleCommandEvent, line: str) -> None:
    event.io.write_error_line(line)


def _escape(text: str) -> str:
    from .escape import escape  # printable: a project's text never acts on the terminal

    return escape(text)
