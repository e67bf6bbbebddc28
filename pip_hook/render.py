"""Render a tree of requirements files (`-r` / `-c` includes, recursively) for one pip run.

Each file is read and preprocessed as pip does (reqfile.py); its includes are followed with
pip's path rules (relative to the including file's directory; a cycle is an error, a
diamond is fine). A file that holds a reference, or includes one that does, is rendered
and handed to a sink (memory files for a pip run, a list for `pip-private render`); its
include lines then point at the rendered copies. Files without references are left alone,
so pip reads them where they are. A rendered file keeps every logical line on its original
line number, so pip's "line 3 of requirements.txt" messages still point at the right line.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Callable, Optional

from keyring_backend.errors import ConfigError
from keyring_backend.providers import ResolveContext
from keyring_backend.records import field, record
from keyring_backend.settings import Settings

from .pipargs import INCLUDES, join_args, reqfile_args
from .reqfile import (
    PIP_ENV_VAR_RE,
    GitCredential,
    RenderedLine,
    RenderError,
    decode_requirements,
    preprocess,
    render_line,
)

#: Receives (display name, rendered text), returns the path pip should read.
Sink = Callable[[str, str], str]
_URL_SCHEMES = ("http://", "https://", "file:")


@record
class RenderedFile:
    display: str
    text: str = field(repr=False)  # holds secrets
    path: str  # what pip reads
    included_from: Optional[str] = None  # "req.txt:3"


@record
class Renderer:
    """Renders files and command-line values; collects what the masker and env need."""

    env: Mapping[str, str] = field(repr=False)
    settings: Settings
    sink: Sink
    cwd: Path = field(default_factory=Path.cwd)
    values: list[str] = field(default_factory=list, repr=False)
    env_names: set[str] = field(default_factory=set)
    files: list[RenderedFile] = field(default_factory=list)
    pip_expandable: list[tuple[str, str]] = field(default_factory=list)  # (where, NAME)
    git_credentials: list[GitCredential] = field(default_factory=list, repr=False)
    _done: dict[str, str] = field(default_factory=dict)  # absolute path -> path pip reads

    def include(self, target: str, *, parent: Optional[str] = None,
                where: str = "command line", stack: tuple[str, ...] = ()) -> str:
        """Render `target` (as written after `-r`) and return the path pip should read."""
        if target.startswith(_URL_SCHEMES) or (parent and parent.startswith(_URL_SCHEMES)):
            return target  # pip fetches remote files itself; they are not ours to render
        base = os.path.dirname(parent) if parent else str(self.cwd)
        absolute = os.path.abspath(os.path.join(base, target))
        if absolute in stack:
            chain = " -> ".join(self._display(p) for p in (*stack, absolute))
            raise ConfigError(f"{where}: requirements files include each other in a cycle: "
                              f"{chain}")
        if absolute in self._done:
            return self._done[absolute]
        try:
            data = Path(absolute).read_bytes()
        except OSError as exc:
            kind = "no such file" if isinstance(exc, FileNotFoundError) else exc.strerror
            raise ConfigError(f"{where}: cannot read requirements file "
                              f"{self._display(absolute)}: {kind}") from None
        result = self._render_file(absolute, data, (*stack, absolute), where)
        self._done[absolute] = result
        return result

    def is_rendered(self, path: str) -> bool:
        """Whether `path` (as `include` returned it) is a rendered copy, not the original."""
        return any(f.path == path for f in self.files)

    def render_value(self, value: str, where: str) -> str:
        """Render one command-line value (a requirement or an option's value)."""
        ctx = ResolveContext(env=self.env, where=where, settings=self.settings,
                             allow_commands=True, base_dir=self.cwd)
        rendered = render_line(value, ctx)
        self._collect(rendered, where)
        return rendered.text

    def _render_file(self, absolute: str, data: bytes, stack: tuple[str, ...],
                     where: str) -> str:
        display = self._display(absolute)
        text = decode_requirements(data)
        lines = [""] * len(text.splitlines())
        changed = False
        base_dir = Path(absolute).parent
        for number, line in preprocess(text):
            line_where = f"{display}:{number}"
            rendered = RenderedLine(line)
            if "${" in line:  # most lines hold no reference: skip the resolver for them
                # A requirements file is project content: like a project's rules, it may
                # not run `${cmd:...}` commands (DESIGN.md); the command line may.
                ctx = ResolveContext(env=self.env, where=line_where, settings=self.settings,
                                     allow_commands=False, base_dir=base_dir)
                rendered = render_line(line, ctx)
                changed = changed or bool(rendered.values) or rendered.text != line
                self._collect(rendered, line_where)
            new_text = rendered.text
            if new_text.startswith("-") or " -" in new_text:  # an option part (pip's rule)
                new_text, child_changed = self._follow_includes(
                    new_text, absolute, stack, line_where, bool(rendered.values))
                changed = changed or child_changed
            lines[number - 1] = new_text
        if not changed:
            return absolute
        rendered_text = "\n".join(lines) + "\n"
        path = self.sink(display, rendered_text)
        self.files.append(RenderedFile(display, rendered_text, path, where))
        return path

    def _follow_includes(self, line: str, absolute: str, stack: tuple[str, ...],
                         where: str, has_secret: bool) -> tuple[str, bool]:
        """Recurse into `-r`/`-c` on this line; point them (and relative `-f` paths, which
        pip resolves against the file's directory) at absolute or rendered paths."""
        head, options = break_args_options(line)
        if not options:
            return line, False
        try:
            words = shlex.split(options)
        except ValueError:
            if has_secret:
                raise RenderError(f"{where}: after substitution the options of this line "
                                  "cannot be split (an unbalanced quote in a value?)") from None
            return line, False  # pip reports its own error for the user's own text
        parts = reqfile_args(words)
        child_changed = False
        for part in parts:
            if part.value is None:
                continue
            if part.name in INCLUDES:
                path = self.include(part.value, parent=absolute, where=where, stack=stack)
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

    def _collect(self, rendered: RenderedLine, where: str) -> None:
        self.values += rendered.values
        self.env_names |= rendered.env_names
        self.git_credentials += rendered.git_credentials
        self.pip_expandable += [(where, m["name"])
                                for m in PIP_ENV_VAR_RE.finditer(rendered.text)]

    def _display(self, absolute: str) -> str:
        return display_path(absolute, self.cwd)


def display_path(absolute: str, cwd: Path) -> str:
    """`absolute` relative to `cwd` when it lies inside, else as it is."""
    try:
        relative = os.path.relpath(absolute, cwd)
    except ValueError:
        return absolute
    return absolute if relative.startswith("..") else relative


def break_args_options(line: str) -> tuple[str, str]:
    """pip's `break_args_options`: the requirement part, then the options part."""
    tokens = line.split(" ")
    args: list[str] = []
    for token in tokens:
        if token.startswith("-"):
            break
        args.append(token)
    return " ".join(args), " ".join(tokens[len(args):])
