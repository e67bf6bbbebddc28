"""The CLIs' warnings about the configuration, one line each, once per process.

A broken layer or rule is left out and the rest still works (keyring_backend/config), so
pip-private warns and goes on: refusing to run because of an unrelated typo would take
every credential away. When the broken rule is the one an index needs, pip's own 401
follows this line, which names the rule. An untrusted project's content is withheld, and
one line says what it would have sent where and how to trust it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional, TextIO

if TYPE_CHECKING:
    from keyring_backend.config import Config


def warn_about(config: Config, stream: Optional[TextIO] = None,
               prog: str = "pip-private") -> None:
    from keyring_backend.notices import first_time
    from keyring_backend.printable import printable

    lines = [str(error) for error in config.errors]
    notice = config.untrusted_notice()
    if notice is not None:
        lines.append(notice)
    for line in lines:
        if first_time(line):  # each quotes the project: printable, and one line
            print(f"{prog}: warning: {printable(line)}", file=stream or sys.stderr)
