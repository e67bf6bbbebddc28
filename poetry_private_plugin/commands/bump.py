"""`poetry source bump NAME RULE`: set the project's next version from what a registry holds.

Thin cleo wiring: it gathers the project's sources, poetry's publish repository, the
credential rule and the project's version, and hands them to `poetry_private_plugin.bump`
(the decisions are documented there) and `keyring_backend.simple_index`. Exit codes as in
DESIGN.md: 2 for a usage or configuration error (unknown source or rule, unresolvable
reference, unreachable index), 3 when the registry rejects the credential.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from cleo.helpers import argument, option
from cleo.io.outputs.output import Verbosity
from poetry.console.commands.command import Command

from keyring_backend.errors import ConfigError

from ..escape import escape

if TYPE_CHECKING:
    from cleo.io.inputs.argument import Argument
    from cleo.io.inputs.option import Option

    from keyring_backend.rules import CredentialRule
    from keyring_backend.secret import Secret

DEFAULT_TIMEOUT = 15.0  # poetry's own default for its HTTP requests


class SourceBumpCommand(Command):
    name = "source bump"
    description = ("Sets the project's next version from the versions a source or publish "
                   "repository already holds.")
    arguments: ClassVar[list[Argument]] = [
        argument("name", "A [[tool.poetry.source]] name or a publish repository name."),
        argument("rule", "The bump rule: patch, minor, major, prepatch, preminor, premajor "
                         "or prerelease (as for `poetry version`)."),
    ]
    options: ClassVar[list[Option]] = [
        option("dry-run", None, "Print the new version; do not write pyproject.toml."),
        option("short", "s", "Print the new version number only."),
        option("next-phase", None, "Increment the phase of a pre-release (with prerelease)."),
        option("index-url", None, "Read versions from this simple index instead of NAME's.",
               flag=False),
        option("allow-anonymous", None, "Go on when no credential was sent and the index "
                                        "does not have the project (a public index)."),
    ]
    help = """\
Reads every version of this project from the source's simple index (PEP 691 JSON or PEP
503 HTML, with the credential rule bound to its URL), applies the bump <comment>RULE</> to
the newest of those and pyproject.toml's own version, and writes the result to
<comment>pyproject.toml</>. Two pipelines therefore never publish the same version twice.

For a publish repository (<comment>poetry config repositories.NAME URL</>) the simple index
is derived from the upload URL (<comment>…/simple/</>); <comment>--index-url</> overrides
(a credential in its userinfo is used, never printed).

The credential is the one poetry would send for NAME (its own <comment>http-basic.NAME</>
wins over a rule). When none is sent and the index does not have the project, the bump
stops with exit code 2: a private registry (GitLab) answers 404 to anonymous requests, and
starting from pyproject.toml's version could collide with a published one. PyPI and
TestPyPI are public; for another public index pass <comment>--allow-anonymous</>.
"""

    def handle(self) -> int:
        from keyring_backend.errors import PrivatePackagesError

        try:
            return self._bump()
        except PrivatePackagesError as exc:
            # Messages name URLs, rules and references, never a value (errors.py).
            self.line_error(f"<error>{escape(str(exc))}</error>")
            return exc.exit_code

    def _bump(self) -> int:
        from keyring_backend.simple_index import project_page_url, project_versions

        from ..bump import check_rule, choose_index, is_public_index, plan_bump, write_version
        from ..sources import project_sources, repository_url

        name, rule = str(self.argument("name")), str(self.argument("rule"))
        check_rule(rule)
        override: Optional[str] = self.option("index-url")
        sources = {source.name: source.url for source in project_sources(self.poetry)}
        repository = None if name in sources else repository_url(self.poetry.config, name)
        index = choose_index(name, sources, None if override else repository, override)
        project = self.poetry.package.name
        url = project_page_url(index, project)
        sending = self._credential(name, index, sources.get(name) or repository,
                                   from_option=bool(override), publish=name not in sources)
        self.line(f"Reading {escape(url)} {escape(sending.described)}",
                  verbosity=Verbosity.VERBOSE)
        versions = project_versions(
            index, project, username=sending.username, password=sending.password,
            timeout=DEFAULT_TIMEOUT, cafile=self._cafile(name), rule=sending.rule,
            bound=sending.bound)
        if not versions and not sending.sent and not is_public_index(index) \
                and not self.option("allow-anonymous"):
            raise ConfigError(
                f"{project} is not on {url}, but no credential was sent and a private "
                "registry hides projects from anonymous requests (GitLab answers 404), so "
                f"the new version could collide with one already published: bind a rule to "
                f"'{name}' (see `poetry source auth --help`), or pass --allow-anonymous if "
                "the index is public")
        if not versions:
            self.line_error(f"<comment>{project} is not on {escape(url)} yet; starting from "
                            "pyproject.toml's version</comment>")
        else:
            self.line(f"Found {len(versions)} version(s) of {project}",
                      verbosity=Verbosity.VERBOSE)
        plan = plan_bump(versions, self.poetry.package.pretty_version, rule,
                         bool(self.option("next-phase")))
        if not self.option("dry-run"):
            write_version(self.poetry.pyproject_path, plan.version)
        self.line(plan.version if self.option("short") else plan.describe())
        return 0

    def _credential(self, name: str, index: str, named_url: Optional[str], *,
                    from_option: bool, publish: bool) -> Sending:
        """What to send to the index, as the hook chooses for NAME (`credential_choice`):
        userinfo in --index-url (given for this run) first; poetry's explicit credential
        for NAME (`publish`: a repository's pypi-token too) when the index is on NAME's
        origin; the rule (`source = "NAME"` first,
        else the longest URL prefix), only ever one bound to the index; NAME's URL
        userinfo; nothing."""
        from keyring_backend.http import redact_url, same_origin, split_userinfo
        from keyring_backend.store import CredentialStore
        from keyring_backend.urls import parse_location

        from ..credential_choice import choose_credential
        from ..hook_rules import Target, blocking_errors
        from ..sources import user_repositories

        _, url_user, url_password = split_userinfo(index)
        in_url = url_user is not None or url_password is not None
        if from_option and in_url:  # project_versions sends the URL's own userinfo
            return Sending(None, None, "with the credential in --index-url's userinfo", True)
        target = Target(name, (redact_url(index),))
        project_dir = self.poetry.pyproject_path.parent
        store = CredentialStore(os.environ, project_dir,
                                user_repositories() if publish and named_url else None)
        choice = choose_credential(target, store.config.rules, self.poetry.config, os.environ,
                                   publish=publish)
        explicit = choice.explicit
        if explicit is not None and named_url and same_origin(index, named_url):
            return Sending(explicit.username, explicit.password,
                           f"with poetry's own credential ({explicit.where})", True)
        rule = choice.rule_to_use
        if choice.rule is not None and choice.uncovered is not None:
            warning = (f"{choice.rule.origin} is bound to {choice.rule.url}, not to "
                       f"{target.urls[0]}; not sending its credential there")
            self.line_error(f"<warning>{escape(warning)}</warning>")
            location = parse_location(target.urls[0])
            rule = store.config.rules.find(location) if location is not None else None
        concerning, other = blocking_errors(store.config.errors, {target: rule})
        if concerning:
            raise concerning[0]
        notice = store.config.untrusted_notice()
        for text in [*map(str, other), *([notice] if notice else [])]:
            self.line_error(f"<warning>{escape(text)}</warning>")
        if rule is not None:
            resolved = store.resolve(rule)
            return Sending(resolved.username, resolved.password,
                           f"with the credential from {rule.origin}", True, rule.origin, rule)
        if in_url:
            return Sending(None, None, f"with the credential in {name}'s URL", True)
        return Sending(None, None, "without a credential (no rule binds it)", False)

    def _cafile(self, name: str) -> Optional[str]:
        """poetry's `certificates.NAME.cert` when it names a CA bundle file."""
        from ..credential_choice import setting

        cert: Any = setting(self.poetry.config, "certificates", name, "cert")
        return cert if isinstance(cert, str) else None


@dataclass(frozen=True)
class Sending:
    """What the bump sends to the index: a credential (or None: the URL's userinfo, if
    any), how the verbose line describes it (never a value), whether anything is sent."""

    username: Optional[str]
    password: Optional[Secret] = field(repr=False)
    described: str
    sent: bool
    rule: Optional[str] = None  # the rule's origin, for the refusal message
    bound: Optional[CredentialRule] = None  # that rule: where a redirect may take it
