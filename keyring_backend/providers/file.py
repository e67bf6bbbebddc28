"""`${file:PATH}`: the text of a secret file (Docker / Kubernetes secrets), one newline dropped.

A relative PATH is taken from the directory of the file that holds the reference (the
project for pyproject.toml rules), else from the working directory; `~` is expanded.
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
    try:
        # Bytes, then decode: read_text's universal newlines would turn every `\r` inside
        # the secret into `\n`; only one trailing newline may go.
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UnresolvedReference(f"{ctx.where}: {ref.display}: no such file {path}") from None
    except PermissionError:
        raise PermissionDenied(f"{ctx.where}: {ref.display}: cannot read {path}") from None
    except IsADirectoryError:
        raise UnresolvedReference(f"{ctx.where}: {ref.display}: {path} is a directory") from None
    except UnicodeDecodeError:
        raise UnresolvedReference(
            f"{ctx.where}: {ref.display}: {path} is not UTF-8 text") from None
    except OSError as exc:
        raise UnresolvedReference(
            f"{ctx.where}: {ref.display}: cannot read {path} ({exc.strerror})") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    value = select(text, ref, ctx.where)
    if not value:
        raise UnresolvedReference(f"{ctx.where}: {ref.display}: {path} is empty")
    return value
