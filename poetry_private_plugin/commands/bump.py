"""`poetry source bump NAME RULE`: set the project's next version from what a registry holds.

Thin cleo wiring: it gathers the project's sources, poetry's publish repository, the
credential rule and the project's version, and hands them to `poetry_private_plugin.bump`
(the decisions are documented there) and `keyring_backend.simple_index`. Exit codes as in
DESIGN.md: 2 for a usage or configuration error (unknown source or rule, unresolvable
reference, unreachable index), 3 when the registry rejects the credential.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar, Optional

from cleo.formatters.formatter import Formatter
from cleo.helpers import argument, option
from cleo.io.outputs.output import Verbosity
from poetry.console.commands.command import Command

if TYPE_CHECKING:
    from cleo.io.inputs.argument import Argument
    from cleo.io.inputs.option import Option

    from keyring_backend.store import Credential

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
    ]
    help = """\
Reads every version of this project from the source's simple index (PEP 691 JSON or PEP
503 HTML, with the credential rule bound to its URL), applies the bump <comment>RULE</> to
the newest of those and pyproject.toml's own version, and writes the result to
<comment>pyproject.toml</>. Two pipelines therefore never publish the same version twice.

For a publish repository (<comment>poetry config repositories.NAME URL</>) the simple index
is derived from the upload URL (<comment>…/simple/</>); <comment>--index-url</> overrides.
"""

    def handle(self) -> int:
        from keyring_backend.errors import PrivatePackagesError

        try:
            return self._bump()
        except PrivatePackagesError as exc:
            # Messages name URLs, rules and references, never a value (errors.py).
            self.line_error(f"<error>{Formatter.escape(str(exc))}</error>")
            return exc.exit_code

    def _bump(self) -> int:
        from keyring_backend.simple_index import project_page_url, project_versions

        from ..bump import check_rule, choose_index, plan_bump, write_version
        from ..sources import project_sources, repository_url

        name, rule = str(self.argument("name")), str(self.argument("rule"))
        check_rule(rule)
        override: Optional[str] = self.option("index-url")
        sources = {source.name: source.url for source in project_sources(self.poetry)}
        repository = None if override or name in sources else \
            repository_url(self.poetry.config, name)
        index = choose_index(name, sources, repository, override)
        project = self.poetry.package.name
        credential = self._credential(name, index, repository)
        url = project_page_url(index, project)
        if credential is not None:
            self.line(f"Reading {url} with the credential from {credential.rule.origin}",
                      verbosity=Verbosity.VERBOSE)
        else:
            self.line(f"Reading {url} without a credential (no rule binds it)",
                      verbosity=Verbosity.VERBOSE)
        versions = project_versions(
            index, project, username=credential.username if credential else None,
            password=credential.password if credential else None,
            timeout=DEFAULT_TIMEOUT, cafile=self._cafile(name),
            rule=credential.rule.origin if credential else None)
        if not versions:
            hidden = "" if credential else (" (no credential was sent: a private registry "
                                            "may answer 404 to anonymous requests)")
            self.line_error(f"<comment>{project} is not on {url} yet{hidden}; starting from "
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

    def _credential(self, name: str, index: str,
                    repository: Optional[str]) -> Optional[Credential]:
        """The credential for the index, chosen as the hook chooses one for NAME (`source =
        "NAME"` first, else the longest URL prefix), and only ever one bound to the index."""
        from keyring_backend.http import redact_url
        from keyring_backend.store import CredentialStore
        from keyring_backend.urls import parse_location

        from ..hook_rules import Target, blocking_errors, rule_for, uncovered_url

        env = dict(os.environ)
        if repository:  # so that a `source = "NAME"` rule binds a repository from config
            key = f"POETRY_REPOSITORIES_{name.upper().replace('-', '_')}_URL"
            env.setdefault(key, repository)
        store = CredentialStore(env, self.poetry.pyproject_path.parent)
        target = Target(name, (redact_url(index),))
        rules = store.config.rules
        rule = rule_for(target, rules)
        if rule is not None and uncovered_url(rule, target) is not None:
            warning = (f"{rule.origin} is bound to {rule.url}, not to {target.urls[0]}; "
                       "not sending its credential there")
            self.line_error(f"<warning>{Formatter.escape(warning)}</warning>")
            location = parse_location(target.urls[0])
            rule = rules.find(location) if location is not None else None
        concerning, other = blocking_errors(store.config.errors, {target: rule})
        if concerning:
            raise concerning[0]
        for error in other:
            self.line_error(f"<warning>{Formatter.escape(str(error))}</warning>")
        return store.resolve(rule) if rule is not None else None

    def _cafile(self, name: str) -> Optional[str]:
        """poetry's `certificates.NAME.cert` when it names a CA bundle file."""
        cert: Any = self.poetry.config.get(f"certificates.{name}.cert")
        return cert if isinstance(cert, str) else None
