"""Text for cleo's output: what a project wrote (source names, URLs, paths, rules) made
printable -- every character a terminal acts on shown as an escape
(keyring_backend/printable.py) -- and never read as a cleo tag (`<`, `>`)."""

from __future__ import annotations


def escape(text: str) -> str:
    """One line of `text`, safe inside a cleo message."""
    from cleo.formatters.formatter import Formatter

    from keyring_backend.printable import printable

    return Formatter.escape(printable(text))


def escape_lines(text: str) -> str:
    """`escape` for a text of several lines of ours; its line breaks stay."""
    from cleo.formatters.formatter import Formatter

    from keyring_backend.printable import printable_lines

    return Formatter.escape(printable_lines(text))
