"""`poetry source check [NAME...]`: cleo wiring for `poetry_private_plugin.check`."""

from __future__ import annotations

import os
from typing import ClassVar

from cleo.helpers import argument, option
from cleo.io.inputs.argument import Argument
from cleo.io.inputs.option import Option
from cleo.io.outputs.output import Type, Verbosity
from poetry.console.commands.command import Command

from keyring_backend.errors import EXIT_CONFIG, PrivatePackagesError

HELP = """\
For each source of this project (or only the NAMEs given): the credential poetry will send
and where it comes from (poetry's own http-basic config when it has a password -- it wins,
and a rule it overrides is a warning --, else the private-packages rule with its layer and
the providers of its password, else none), whether the index accepts that credential,
when a JWT-shaped token expires,
and warnings: a credential embedded in a URL in pyproject.toml or poetry.lock (file:line),
plain http to a non-loopback host, and packages locked from a private source without
<comment>source = "NAME"</comment> while PyPI is searched too (dependency confusion).
No secret value is ever printed.

Exit codes: 0 all good (warnings do not fail); 3 when an index refused access (401/403):
the credential was rejected, or none was sent where one is needed; 2 for a configuration
error: an unknown source name, a broken config, an unresolvable secret reference, or an
index that is unreachable or answers 404. When both 3 and 2 apply, 3 wins.
With <comment>-q</comment> only problems and warnings are printed (nothing when all is good).
"""


class SourceCheckCommand(Command):
    name = "source check"
    description = ("Check where each source's credential comes from and whether the index "
                   "accepts it (no value is printed).")
    help = HELP

    arguments: ClassVar[list[Argument]] = [
        argument("name", "Sources to check (default: all of this project's sources).",
                 optional=True, multiple=True),
    ]
    options: ClassVar[list[Option]] = [
        option("no-probe", None, "Do not contact the indexes; only resolve credentials."),
        option("timeout", None, "Seconds for each request to an index, from connecting to "
               "the last byte.", flag=False, default="10"),
    ]

    def handle(self) -> int:
        from ..check import Project, SourceCheck
        from ..sources import project_sources

        try:
            timeout = float(self.option("timeout"))
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            self.line_error("<error>--timeout needs a positive number of seconds</error>")
            return EXIT_CONFIG
        poetry = self.poetry
        project = Project(poetry.pyproject_path, poetry.locker.lock, poetry.local_config,
                          project_sources(poetry), poetry.config)
        try:
            report = SourceCheck(project, os.environ, probe=not self.option("no-probe"),
                                 timeout=timeout).run(self.argument("name"))
        except PrivatePackagesError as exc:
            self.line_error(f"<error>{self._escape(str(exc))}</error>")
            return exc.exit_code
        quiet = self.io.output.is_quiet()
        # RAW: the text is ours and holds `<`-free plain lines, but URLs and user-written
        # names must never be read as cleo tags. QUIET verbosity so -q still prints problems.
        self.io.write(report.text(quiet=quiet), verbosity=Verbosity.QUIET if quiet
                      else Verbosity.NORMAL, type=Type.RAW)
        return report.exit_code

    @staticmethod
    def _escape(text: str) -> str:
        from ..escape import escape

        return escape(text)
