"""`${file:PATH}`: the text of a secret file (Docker / Kubernetes secrets), one newline dropped.

A relative PATH is taken from the directory of the file that holds the reference (the
project for pyproject.toml rules), else from the working directory; `~` is expanded. Only a
regular file of at most 1 MiB is read (regular_files.py): `${file:/dev/zero}` or a FIFO
would otherwise hang every client that asks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PermissionDenied, UnresolvedReference
from ..selectors import select

if TYPE_CHECKING:
    from ..references import Reference
    from . import ResolveContext


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    path = Path(ref.target).expanduser()
    if not path.is_absolute() and ctx.base_dir is not None:
        path = ctx.base_dir / path
    from ..regular_files import SECRET_FILE_LIMIT, UnreadableFile, read_regular_file

    try:
        # Bytes, then decode: read_text's universal newlines would turn every `\r` inside
        # the secret into `\n`; only one trailing newline may go.
        text = read_regular_file(path, SECRET_FILE_LIMIT).decode("utf-8")
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
