"""`${file:PATH}`: the text of a secret file (Docker / Kubernetes secrets), one newline dropped.

A relative PATH is taken from the directory of the file that holds the reference (the
project for pyproject.toml rules), else from the working directory; `~` is the home
directory (user_dirs.py: never a relative HOME). A project rule's file must stay where
the project cannot move it (confined.py). Only a regular file of at most 1 MiB is read
(regular_files.py): `${file:/dev/zero}` or a FIFO would otherwise hang every client that
asks.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PermissionDenied, UnresolvedReference
from ..selectors import select

if TYPE_CHECKING:
    from ..references import Reference
    from . import ResolveContext


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    from ..errors import ConfigError
    from ..regular_files import UnreadableFile
    from ..user_dirs import expand_home

    try:
        path = expand_home(ref.target, ctx.env)
    except ConfigError as exc:  # `~` with no home directory to stand for
        raise UnresolvedReference(f"{ctx.where}: {ref.display}: {exc}") from None
    relative = not path.is_absolute()
    if relative and ctx.base_dir is not None:
        path = ctx.base_dir / path
    try:
        # Bytes, then decode: read_text's universal newlines would turn every `\r` inside
        # the secret into `\n`; only one trailing newline may go.
        text = _read(Path(os.path.abspath(path)), ctx, relative=relative).decode("utf-8")
    except UnreadableFile as exc:
        if exc.missing:
            raise UnresolvedReference(f"{ctx.where}: {ref.display}: no such file {path}") from None
        if exc.permission:
            raise PermissionDenied(f"{ctx.where}: {ref.display}: cannot read {path}") from None
        raise UnresolvedReference(f"{ctx.where}: {ref.display}: {path} {exc.reason}") from None
    except UnicodeDecodeError:
        raise UnresolvedReference(
            f"{ctx.where}: {ref.display}: {path} is not UTF-8 text") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    value = select(text, ref, ctx.where)
    if not value:
        raise UnresolvedReference(f"{ctx.where}: {ref.display}: {path} is empty")
    return value


def _read(path: Path, ctx: ResolveContext, *, relative: bool) -> bytes:
    """The file's bytes; a project rule's file only where the project cannot move it."""
    from ..regular_files import SECRET_FILE_LIMIT, read_regular_file

    if ctx.confine_to is None:
        return read_regular_file(path, SECRET_FILE_LIMIT)
    from ..confined import opened_here, resolve_confined

    real = resolve_confined(path, ctx.confine_to, relative=relative)
    return read_regular_file(real, SECRET_FILE_LIMIT, nofollow=True,
                             verify=opened_here(real, ctx.confine_to, relative=relative))
