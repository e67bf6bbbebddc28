"""Render a tree of requirements files (`-r` / `-c` includes, recursively) for one pip run.

Each file is read and preprocessed as pip does (reqfile.py); its includes are followed with
pip's path rules (relative to the including file's directory; a cycle is an error, a
diamond is fine). A file that holds a reference, or includes one that does, is rendered
and handed to a sink (memory files for a pip run, a list for `pip-private render`); its
include lines then point at the rendered copies. Files without references are left alone,
so pip reads them where they are. A rendered file keeps every logical line on its original
line number, so pip's "line 3 of requirements.txt" messages still point at the right line.

Includes nest as deep as a project likes (nested.py: no recursion limit). Only regular
files of at most 16 MiB are read (keyring_backend/regular_files.py: a FIFO or /dev/zero
would hang). A path built from a substituted value (`-r ${file:...}`, `-r /x/${TOKEN}.txt`)
is never shown: messages, `render` headers and rendered file names use the include as
written, references and all.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Callable, Optional

from keyring_backend.config.locations import LocationTrust
from keyring_backend.errors import ConfigError
from keyring_backend.providers import ResolveContext
from keyring_backend.records import field, record
from keyring_backend.settings import Settings

from .lifting import LiftedCredential
from .nested import Steps, run_nested
from .pipargs import INCLUDES, Arg, break_args_options, join_args, reqfile_args
from .recorded_urls import (
    DIRECT,
    FETCHED,
    VCS,
    kind_in_value,
    kind_on_line,
    needles_of,
    refusal,
)
from .reqfile import (
    PIP_ENV_VAR_RE,
    RenderedLine,
    RenderError,
    decode_requirements,
    preprocess,
    render_line,
)

#: Receives (display name, rendered text), returns the path pip should read.
Sink = Callable[[str, str], str]
_URL_SCHEMES = ("http://", "https://", "file:")  # compared lower-cased, as pip does


@record
class RenderedFile:
    display: str
    text: str = field(repr=False)  # holds secrets
    path: str  # what pip reads
    included_from: Optional[str] = None  # "req.txt:3"


@record
class ReadFile:
    """A file pip will read, in the order pip meets it; `rendered` is None when it holds no
    reference and pip reads it where it is (`text` is then what it says)."""

    display: str
    text: str = field(repr=False)
    included_from: Optional[str] = None  # "req.txt:3", None on the command line
    rendered: Optional[RenderedFile] = None
    remote: bool = False  # a URL: pip fetches it itself


@record
class Renderer:
    """Renders files and command-line values; collects what the masker and env need."""

    env: Mapping[str, str] = field(repr=False)
    settings: Settings
    sink: Sink
    cwd: Path = field(default_factory=Path.cwd)
    # Which files may read secrets beyond the environment (an untrusted project's may not);
    # None: judged from `env` on first need.
    trust: Optional[LocationTrust] = None
    values: list[str] = field(default_factory=list, repr=False)
    env_names: set[str] = field(default_factory=set)
    files: list[RenderedFile] = field(default_factory=list)
    #: (where, NAME, inside a substituted value): `${NAME}` that pip would expand itself
    pip_expandable: list[tuple[str, str, bool]] = field(default_factory=list)
    git_credentials: list[LiftedCredential] = field(default_factory=list, repr=False)
    url_credentials: list[LiftedCredential] = field(default_factory=list, repr=False)
    lift_urls: bool = False  # take credentials out of http(s) URLs too (lifting.py)
    #: where a secret first stands outside the userinfo of an index or find-links URL
    #: (pip's caches would record it, so pip runs without them: recorded_urls.py)
    fetched_secret: Optional[str] = None
    read: list[ReadFile] = field(default_factory=list, repr=False)  # every file, pip's order
    _done: dict[str, str] = field(default_factory=dict)  # absolute path -> path pip reads
    _shown: dict[str, str] = field(default_factory=dict)  # secret-built path -> as written

    def include(self, target: str, *, where: str = "command line") -> str:
        """Render `target` (as written after `-r` on the command line) and its includes;
        return the path pip should read."""
        return run_nested(self._include(target, None, where, (), None))

    def _include(self, target: str, parent: Optional[str], where: str,
                 stack: tuple[str, ...], shown: Optional[str]) -> Steps[str]:
        if target.lower().startswith(_URL_SCHEMES) or (
                parent and parent.lower().startswith(_URL_SCHEMES)):
            # pip fetches remote files itself; they are not ours to render
            self.read.append(ReadFile(shown or target, "", where if parent else None,
                                      remote=True))
            return target
        base = os.path.dirname(parent) if parent else str(self.cwd)
        absolute = os.path.abspath(os.path.join(base, target))
        if absolute in stack:
            chain = " -> ".join([*map(self._display, stack), shown or self._display(absolute)])
            raise ConfigError(f"{where}: requirements files include each other in a cycle: "
                              f"{chain}")
        if shown is not None and absolute not in self._done:  # first met through a secret
            self._shown.setdefault(absolute, shown)
        if absolute in self._done:
            return self._done[absolute]
        display = self._display(absolute)
        from keyring_backend.regular_files import UnreadableFile, read_project_file

        try:
            data = read_project_file(absolute)
        except UnreadableFile as exc:
            raise ConfigError(f"{where}: requirements file {display} {exc.reason}") from None
        entry = ReadFile(display, decode_requirements(data, display), where if parent else None)
        self.read.append(entry)
        result = yield from self._render_file(absolute, entry, (*stack, absolute))
        self._done[absolute] = result
        return result

    def is_rendered(self, path: str) -> bool:
        """Whether `path` (as `include` returned it) is a rendered copy, not the original."""
        return any(f.path == path for f in self.files)

    def render_value(self, value: str, where: str, option: Optional[str] = None) -> str:
        """Render one command-line value: a requirement (`option` None) or the value of
        `option`. A `--proxy` URL keeps its credential (it belongs to the proxy)."""
        ctx = ResolveContext(env=self.env, where=where, settings=self.settings,
                             allow_commands=True, base_dir=self.cwd)
        rendered = render_line(value, ctx, lift_urls=self.lift_urls and option != "--proxy")
        self._judge(rendered, where, option)
        self._collect(rendered, where)
        return rendered.text

    def _render_file(self, absolute: str, entry: ReadFile,
                     stack: tuple[str, ...]) -> Steps[str]:
        display, text = entry.display, entry.text
        lines = [""] * len(text.splitlines())
        changed = False
        base_dir = Path(absolute).parent
        for number, line in preprocess(text):
            line_where = f"{display}:{number}"
            rendered = RenderedLine(line)
            if "${" in line:  # most lines hold no reference: skip the resolver for them
                # A requirements file is project content: like a project's rules, it may
                # not run `${cmd:...}` commands (DESIGN.md), nor use more than pip itself
                # expands (`${NAME}`, upper case) unless its project is trusted
                # (config/locations.py); the command line may.
                if self.trust is None:
                    self.trust = LocationTrust(self.env)
                untrusted = self.trust.refusal(Path(absolute), line)
                ctx = ResolveContext(env=self.env, where=line_where, settings=self.settings,
                                     allow_commands=False, base_dir=base_dir,
                                     untrusted=untrusted)
                rendered = render_line(line, ctx, lift_urls=self.lift_urls)
                self._judge(rendered, line_where, whole_line=True)
                changed = changed or bool(rendered.values) or rendered.text != line
                self._collect(rendered, line_where)
            new_text = rendered.text
            if new_text.startswith("-") or " -" in new_text:  # an option part (pip's rule)
                new_text, child_changed = yield from self._follow_includes(
                    new_text, line if rendered.values else None, absolute, stack, line_where)
                changed = changed or child_changed
            lines[number - 1] = new_text
        if not changed:
            return absolute
        rendered_text = "\n".join(lines) + "\n"
        path = self.sink(display, rendered_text)
        entry.rendered = RenderedFile(display, rendered_text, path, entry.included_from)
        self.files.append(entry.rendered)
        return path

    def _follow_includes(self, line: str, written: Optional[str], absolute: str,
                         stack: tuple[str, ...], where: str) -> Steps[tuple[str, bool]]:
        """Recurse into `-r`/`-c` on this line; point them (and relative `-f` paths, which
        pip resolves against the file's directory) at absolute or rendered paths.
        `written` is the line before substitution when a secret went into it."""
        head, options = break_args_options(line)
        if not options:
            return line, False
        try:
            words = shlex.split(options)
        except ValueError:
            if written is not None:
                raise RenderError(f"{where}: after substitution the options of this line "
                                  "cannot be split (an unbalanced quote in a value?)") from None
            return line, False  # pip reports its own error for the user's own text
        parts = reqfile_args(words)
        shown_names = as_written(parts, written, where)
        child_changed = False
        for index, part in enumerate(parts):
            if part.value is None:
                continue
            if part.name in INCLUDES:
                shown = shown_names[index] if shown_names is not None else None
                path = yield self._include(part.value, absolute, where, stack, shown)
                child_changed = child_changed or self.is_rendered(path)
                part.value, part.changed = path, True
            elif part.name == "--find-links":
                relative = os.path.join(os.path.dirname(absolute), part.value)
                if not os.path.isabs(part.value) and os.path.exists(relative):
                    part.value, part.changed = relative, True
        if not any(part.changed for part in parts):
            return line, child_changed
        rebuilt = shlex.join(join_args(parts))
        return (f"{head} {rebuilt}" if head else rebuilt), child_changed

    def _judge(self, rendered: RenderedLine, where: str, option: Optional[str] = None, *,
               whole_line: bool = False) -> None:
        """Refuse a secret in a URL pip records; note one that only pip's caches would
        keep (recorded_urls.py). Judges a requirements-file line, or a command-line value
        (a requirement, or the value of `option`)."""
        if not rendered.values or "://" not in rendered.text:  # most lines: no URL at all
            return
        needles = needles_of(rendered.values)
        kind = (kind_on_line(rendered.text, needles) if whole_line
                else kind_in_value(rendered.text, option, needles))
        if kind in (VCS, DIRECT):
            raise RenderError(refusal(kind, where, rendered.references))
        if kind == FETCHED and self.fetched_secret is None:
            self.fetched_secret = where

    def _collect(self, rendered: RenderedLine, where: str) -> None:
        self.values += rendered.values
        self.env_names |= rendered.env_names
        self.git_credentials += rendered.git_credentials
        self.url_credentials += rendered.url_credentials
        self.pip_expandable += [(where, m["name"], any(m[0] in v for v in rendered.values))
                                for m in PIP_ENV_VAR_RE.finditer(rendered.text)]

    def _display(self, absolute: str) -> str:
        return self._shown.get(absolute) or display_path(absolute, self.cwd)


def as_written(parts: list[Arg], written: Optional[str],
                where: str) -> Optional[list[Optional[str]]]:
    """For a line a secret went into: how each option value that changed read before
    substitution, to name included files by (`${file:/run/secrets/req}`, never the path
    it gave); None for a value that did not change. A value whose written form cannot be
    matched (a value with a space split the line differently) is named by its place."""
    if written is None:
        return None
    try:
        before = reqfile_args(shlex.split(break_args_options(written)[1]))
    except ValueError:
        before = []
    # Parts line up until a value with a space or a quote split the line differently.
    aligned = next((i for i, (b, p) in enumerate(zip(before, parts)) if b.name != p.name),
                   min(len(before), len(parts)))
    return [(None if before[i].value == part.value else before[i].value) if i < aligned
            else f"<named on {where}>" for i, part in enumerate(parts)]


def display_path(absolute: str, cwd: Path) -> str:
    """`absolute` relative to `cwd` when it lies inside, else as it is."""
    try:
        relative = os.path.relpath(absolute, cwd)
    except ValueError:
        return absolute
    return absolute if relative.startswith("..") else relative
