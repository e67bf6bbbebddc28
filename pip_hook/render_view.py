"""`pip-private render`: every file pip will read, in the order pip reads it, as pip sees it.

Each requirements file named on the command line and every file it includes (`-r`, `-c`,
recursively) is shown: a file with references (or including one that has them) as
rendered, marked `(rendered)`, with its substituted values masked; a file pip reads where
it stands, marked `(unchanged)`, after pip's own preprocessing (comments stripped,
continuations joined). Line numbers are pip's. A remote file (a URL) is named, since pip
fetches it itself. Credentials a file spells out in a URL are hidden as pip hides them in
its own messages (`user:****@`, a token alone `****@`): this output is made for CI logs.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TextIO

if TYPE_CHECKING:
    from .masking import Masker
    from .render import ReadFile

_AUTHORITY_END = re.compile(r"[/?#\s]")


def render_command(args: Sequence[str], out: Optional[TextIO] = None) -> int:
    """`pip-private render [-r FILE]... [-c FILE]... [REQUIREMENT]...`."""
    out = out or sys.stdout
    from keyring_backend.config.locations import LocationTrust
    from keyring_backend.store import CredentialStore

    from .config_warnings import warn_about
    from .masking import Masker, secret_forms
    from .pipargs import INCLUDES, command_args
    from .render import Renderer

    store = CredentialStore(os.environ, Path.cwd())
    warn_about(store.config)
    renderer = Renderer(os.environ, store.config.settings, lambda display, text: display,
                        Path.cwd(), LocationTrust(os.environ))
    requirements: list[str] = []
    for number, part in enumerate(command_args("install", args), start=1):
        if part.name in INCLUDES and part.value is not None:
            renderer.include(part.value, where=f"command line {part.name} {part.value}")
        elif part.name is None and part.value is not None:
            requirements.append(renderer.render_value(part.value,
                                                      f"command line argument {number}"))
    masker = Masker(sorted({f for v in renderer.values for f in secret_forms(v)},
                           key=len, reverse=True))
    for read in renderer.read:
        _write_masked(out, masker, _section(read))
    if requirements:
        _write_masked(out, masker, "# command line\n" + "".join(
            f"      {hide_userinfo(line)}\n" for line in requirements))
    out.flush()
    return 0


def _section(read: ReadFile) -> str:
    from keyring_backend.printable import printable

    from .reqfile import preprocess

    # A name may hold a line break: printable keeps the header one line.
    origin = f", included from {printable(read.included_from)}" if read.included_from else ""
    display = printable(read.display)
    if read.remote:
        return f"# {hide_userinfo(display)} (remote{origin}): pip fetches it itself\n"
    if read.rendered is not None:
        lines: Iterable[tuple[int, str]] = (
            (n, line) for n, line in enumerate(read.rendered.text.splitlines(), start=1)
            if line)
        state = "rendered"
    else:
        lines, state = preprocess(read.text), "unchanged"
    body = "".join(f"{n:>4}  {hide_userinfo(line)}\n" for n, line in lines)
    return f"# {display} ({state}{origin})\n{body}"


def hide_userinfo(text: str) -> str:
    """Every URL's password as `****`, or its whole userinfo when it has no password (a
    token as the username), as pip's `redact_auth_from_url` shows them. Linear in the
    length of `text`, whatever it holds."""
    out: list[str] = []
    done = 0
    start = text.find("://")
    while start >= 0:
        begin = start + 3
        found = _AUTHORITY_END.search(text, begin)
        end = found.start() if found else len(text)
        at = text.rfind("@", begin, end)
        if at >= 0:
            user, colon, _ = text[begin:at].partition(":")
            out += [text[done:begin], f"{user}:****" if colon else "****"]
            done = at
        start = text.find("://", max(begin, at + 1))
    out.append(text[done:])
    return "".join(out)


def _write_masked(out: TextIO, masker: Masker, text: str) -> None:
    """`text` (lines we composed of what a project wrote: file names, requirements) with
    its secrets masked, then every character a terminal acts on escaped (printable.py)."""
    from keyring_backend.printable import printable_lines

    data = masker.feed(text.encode("utf-8")) + masker.flush()
    out.write(printable_lines(data.decode("utf-8", "replace")))
