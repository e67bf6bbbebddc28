"""The checks of one `pip-private doctor` run: configuration, requirements files and their
includes, references and rules; the indexes they name are probed by indexes.py."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

from keyring_backend.config.locations import LocationTrust
from keyring_backend.errors import ConfigError, PrivatePackagesError, UnresolvedReference
from keyring_backend.providers import ResolveContext, resolve_reference
from keyring_backend.references import Reference, parse_template
from keyring_backend.store import CredentialStore

from ..nested import Steps, run_nested
from ..pipargs import INCLUDES, break_args_options, command_args, reqfile_args
from ..render import as_written, display_path
from ..reqfile import decode_requirements, preprocess, render_line
from . import Options
from . import report as dr
from .indexes import IndexUse, check_indexes
from .report import Report, rule_item, shown_url, without_place

_INDEX_OPTIONS = ("--index-url", "--extra-index-url")
_ENV_INDEXES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")
_REMOTE = ("http://", "https://", "file:")
_NAME = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:$|[\[<>=!~;@(])")


class Doctor:
    """Collects the checks of one run into `report`."""

    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.store = CredentialStore(env, cwd)
        self.trust = LocationTrust(env)
        self.report = Report()
        self.indexes: list[IndexUse] = []
        self.package: Optional[str] = None  # first plain requirement name, for the probe
        self._read: set[str] = set()
        self._shown: dict[str, str] = {}  # secret-built path -> the include as written

    def run(self, options: Options) -> None:
        config, report = self.store.config, self.report
        for error in config.errors:
            report.problem(dr.CONFIGURATION, dr.ERROR, str(error))
        notice = config.untrusted_notice()
        if notice is not None:
            report.problem(dr.CONFIGURATION, dr.UNTRUSTED, notice)
        if not config.errors:
            files = ", ".join(str(p) for p in (config.project_file, config.user_file) if p)
            report.ok(dr.CONFIGURATION, f"{len(config.rules.rules)} rule(s) loaded from "
                                        f"{files or 'the environment only'}")
        self.check_arguments(options.args)
        for variable in _ENV_INDEXES:
            for url in self.env.get(variable, "").split():
                if "${" in url:  # pip reads its environment literally; so does pip-private
                    report.problem(dr.INDEXES, dr.ERROR, f"{variable} holds a ${{...}} "
                                   "reference, which pip would send as literal text; put "
                                   "the URL in a requirements file instead")
                else:
                    self.indexes.append(IndexUse(url, shown_url(url), variable))
        for rule in config.rules.rules:
            report.add(dr.RULES, rule_item(self.store, rule, report))
        for rule in config.withheld:  # listed, never resolved: probes go out anonymously
            report.add(dr.RULES, dr.withheld_item(rule))
        from ..anytool.uv_indexes import SKIP_FIX, SKIP_MESSAGE, keyring_skips

        for index, rule in keyring_skips(self.store, self.env):  # advice: exit code unchanged
            shown = f"uv index '{index.name}' ({shown_url(index.url)}; rule {rule.origin})"
            report.add(dr.INDEXES, dr.Item(dr.NOTE, f"{shown}: {SKIP_MESSAGE}", SKIP_FIX))
        check_indexes(self, options)

    def check_arguments(self, args: Sequence[str]) -> None:
        for number, part in enumerate(command_args("install", args), start=1):
            if part.value is None:
                continue
            if part.name in INCLUDES:
                self.check_file(part.value, where=f"command line {part.name} {part.value}")
                continue
            ctx = ResolveContext(env=self.env, where=f"command line argument {number}",
                                 settings=self.store.config.settings, allow_commands=True,
                                 base_dir=self.cwd)
            text = self.check_line(part.value, ctx)
            if part.name in _INDEX_OPTIONS:
                self._add_index(text, part.value, ctx.where)
            elif part.name is None and text is not None:
                self._note_requirement(text)

    def check_file(self, target: str, *, where: str) -> None:
        """Check one requirements file and its includes (pip's path rules, as render.py;
        as deep as they nest: nested.py)."""
        run_nested(self._check_file(target, where, None, (), None))

    def _check_file(self, target: str, where: str, parent: Optional[str],
                    stack: tuple[str, ...], shown: Optional[str]) -> Steps[None]:
        if target.startswith(_REMOTE) or (parent and parent.startswith(_REMOTE)):
            self.report.note(dr.FILES, f"{shown or shown_url(target)} ({where}): a remote "
                                       "file; pip fetches it itself, not checked")
            return
        base = os.path.dirname(parent) if parent else str(self.cwd)
        absolute = os.path.abspath(os.path.join(base, target))
        if absolute in stack:
            chain = " -> ".join([*map(self.display, stack), shown or self.display(absolute)])
            self.report.problem(dr.FILES, dr.ERROR, f"{where}: requirements files include "
                                                    f"each other in a cycle: {chain}")
            return
        if absolute in self._read:
            return  # a diamond: already checked
        self._read.add(absolute)
        if shown is not None:  # first met through a secret
            self._shown.setdefault(absolute, shown)
        display = self.display(absolute)
        from keyring_backend.regular_files import UnreadableFile, read_project_file

        try:
            text = decode_requirements(read_project_file(absolute), display)
        except UnreadableFile as exc:
            self.report.problem(dr.FILES, dr.ERROR, f"{where}: requirements file {display} "
                                                    f"{exc.reason}")
            return
        except ConfigError as exc:  # not decodable
            self.report.problem(dr.FILES, dr.ERROR, f"{where}: {exc}")
            return
        self.report.ok(dr.FILES, display if parent is None
                       else f"{display} (included from {where})")
        for number, line in preprocess(text):
            # A requirements file is project content: no `${cmd:...}` (DESIGN.md).
            ctx = ResolveContext(env=self.env, where=f"{display}:{number}",
                                 settings=self.store.config.settings, allow_commands=False,
                                 base_dir=Path(absolute).parent,
                                 untrusted=self.trust.refusal(Path(absolute), line))
            rendered = self.check_line(line, ctx)
            yield from self._follow_options(rendered, line, ctx.where, absolute,
                                            (*stack, absolute))

    def check_line(self, line: str, ctx: ResolveContext) -> Optional[str]:
        """Report each reference of one logical line; return the line rendered, or None
        when it cannot be rendered."""
        failure: Optional[UnresolvedReference] = None
        try:
            references = parse_template(line, ctx.where).references
            rendered = render_line(line, ctx)
        except UnresolvedReference as exc:
            failure = exc
        except PrivatePackagesError as exc:  # a malformed reference
            self.report.problem(dr.REFERENCES, dr.ERROR, str(exc))
            return None
        else:
            for value in rendered.values:
                self.report.secret(value)
        found = [self._check_reference(ref, ctx, resolve=failure is not None)
                 for ref in references]
        if failure is None:
            return rendered.text
        if all(found):  # each value is there, but substituting it would break the line
            self.report.problem(dr.REFERENCES, dr.ERROR, str(failure))
        return None

    def _check_reference(self, ref: Reference, ctx: ResolveContext, *, resolve: bool) -> bool:
        label = f"{ctx.where}  {ref.display}  {ref.kind}"
        if resolve:  # the line failed: find out which of its references did
            try:
                value = resolve_reference(ref, ctx)
            except UnresolvedReference as exc:
                self.report.problem(dr.REFERENCES, dr.MISSING,
                                    f"{label}  missing: {without_place(exc, ctx.where)}")
                return False
            if ref.kind != "env" or self.env.get(ref.target):
                self.report.secret(value)
        fallback = ref.kind == "env" and not self.env.get(ref.target)
        self.report.ok(dr.REFERENCES, f"{label}  found{' (fallback text)' if fallback else ''}")
        return True

    def _follow_options(self, rendered: Optional[str], line: str, where: str, absolute: str,
                        stack: tuple[str, ...]) -> Steps[None]:
        head, options = break_args_options(rendered if rendered is not None else line)
        if rendered is not None and head:
            self._note_requirement(head)
        try:
            words = shlex.split(options)
        except ValueError:
            self.report.problem(dr.FILES, dr.ERROR, f"{where}: the options of this line "
                                "cannot be split (an unbalanced quote?); pip refuses it too")
            return
        parts = reqfile_args(words)
        written = as_written(parts, line if rendered not in (None, line) else None, where)
        for index, part in enumerate(parts):
            if part.value is None:
                continue
            if rendered is None and "${" in part.value:  # its reference is reported missing
                if part.name in _INDEX_OPTIONS:
                    self._add_index(None, part.value, where, absolute)
            elif part.name in INCLUDES:
                yield self._check_file(part.value, where, absolute, stack,
                                       written[index] if written is not None else None)
            elif part.name in _INDEX_OPTIONS:
                self._add_index(part.value, part.value, where, absolute)

    def _add_index(self, rendered: Optional[str], written: str, where: str,
                   file: Optional[str] = None) -> None:
        self.indexes.append(IndexUse(rendered, shown_url(rendered or written), where, file))

    def _note_requirement(self, text: str) -> None:
        match = _NAME.match(text.strip())
        if self.package is None and match:
            self.package = match.group(1)

    def display(self, absolute: str) -> str:
        return self._shown.get(absolute) or display_path(absolute, self.cwd)
