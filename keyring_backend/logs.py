"""The package's logger, without importing `logging` into a process that never set it up.

`pip-private` and `git-credential-private-packages` do not configure logging, so their
debug and info lines go nowhere; importing `logging` (with `traceback`, `threading`,
`string`...) would only cost them ~3 ms of start-up. pip, poetry and twine import it
themselves, and there these lines reach their `-v` output as before.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from logging import Logger

NAME = "private_packages"


def quiet_logger() -> Optional[Logger]:
    """The `private_packages` logger if this process uses logging at all, else None.

    Only for debug and info lines: with logging never imported, nothing could show them.
    A warning must reach the user, so it imports logging itself.
    """
    logging = sys.modules.get("logging")
    return None if logging is None else logging.getLogger(NAME)
