"""The package's logger, without importing `logging` into a process that never set it up.

`pip-private` and `git-credential-private-packages` do not configure logging, so their
debug and info lines go nowhere; importing `logging` (with `traceback`, `threading`,
`string`...) would only cost them ~3 ms of start-up. pip, poetry and twine import it
themselves, and there these lines reach their `-v` output as before.

Which level says where a credential came from (`info_level`): INFO inside pip's own
command line (plain pip, and pip under pip-private, in its process or as its child),
where it shows in pip's normal output -- useful in a CI log, and masked by pip-private.
DEBUG everywhere else: poetry, twine, the keyring CLI, uv's keyring subprocess, pipenv
and any tool that sets the root logger to INFO would otherwise print it as a warning
(pipenv: `Warning: INFO:private_packages:...`); their debug/verbose modes still show it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from logging import Logger, LogRecord

NAME = "private_packages"


def quiet_logger() -> Optional[Logger]:
    """The `private_packages` logger if this process uses logging at all, else None.

    Only for debug and info lines: with logging never imported, nothing could show them.
    A warning must reach the user, so it imports logging itself (`printable_logger`).
    """
    logging = sys.modules.get("logging")
    return None if logging is None else printable_logger(logging.getLogger(NAME))


def printable_logger(logger: Logger) -> Logger:
    """`logger`, whose every line is made printable before any handler sees it: its
    arguments may quote what a project wrote (a path, a reference, a rule's origin), and
    a terminal must not act on escape sequences in it (printable.py)."""
    if _printable_record not in logger.filters:
        logger.addFilter(_printable_record)
    return logger


def _printable_record(record: LogRecord) -> bool:
    from .printable import printable

    record.msg = printable(record.getMessage())
    record.args = ()  # a tuple: pip's handler asserts one (and no `%` is applied again)
    return True


def info_level() -> int:
    """`logging.INFO` when pip's command line set up this process's logging, else
    `logging.DEBUG` (module docstring). Asked only when a line is about to be logged."""
    logging = sys.modules.get("logging")
    if logging is None:
        return 10  # DEBUG
    handlers = logging.getLogger().handlers
    if any(type(h).__module__.startswith("pip._internal.") for h in handlers):
        return 20  # INFO
    return 10
