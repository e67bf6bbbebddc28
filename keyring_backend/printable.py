"""Text a project chose, made safe to print: every character that a terminal would act on
instead of showing is replaced by a visible escape.

A cloned project writes text that we quote back to the user: paths, source names, rule
URLs and references, Vault settings, unknown keys, requirements lines. Raw, such text can
hold terminal escape sequences (`ESC [2J` clears the screen, `ESC [?7l` stops line
wrapping), carriage returns and line breaks that redraw what came before, or Unicode bidi
overrides (`U+202E`) that show text in another order -- and so forge the very question
`trust` asks ("It would send ... Trust this project?") or hide a warning. `printable`
turns each of them into an escape a reader sees: `\\x1b`, `\\r`, `\\n`, `\\u202e`.

What is escaped: C0 controls and DEL, C1 controls (Unicode category Cc), format
characters (Cf: bidi embeddings, overrides and isolates, zero-width characters, the BOM,
tag characters), line and paragraph separators (Zl, Zp), and lone surrogates (Cs: bytes
that were not UTF-8, decoded with `surrogateescape`). A backslash stays a backslash:
`\\x1b` written as text is four harmless characters either way.

Every message that quotes project-controlled text goes through `printable`, and `trust`
refuses to approve project content that holds such a character (`first_unprintable`
says where): nothing in it could need one.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol


class Writer(Protocol):
    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` with every character a terminal would act on shown as an escape."""
    if text.isprintable():  # the common case, in C: no control, format or separator
        return text
    from unicodedata import category

    return "".join(_escape(ch) if category(ch) in _ESCAPED else ch for ch in text)


def printable_lines(text: str) -> str:
    """`printable` for each line of a multi-line text we composed; its line breaks stay."""
    return "\n".join(printable(line) for line in text.split("\n"))


def unprintable_char(text: str) -> Optional[str]:
    """The first character of `text` that `printable` escapes, as its escape; or None."""
    if text.isprintable():
        return None
    from unicodedata import category

    return next((_escape(ch) for ch in text if category(ch) in _ESCAPED), None)


def first_unprintable(value: Any, where: str) -> Optional[str]:
    """Where the first unprintable character in a TOML value stands (its keys included),
    with the character as an escape: `tool.private-packages.vault.role holds \\x1b`; None
    when there is none. `where` names `value` itself (dotted keys, `#N` for array items)."""
    if isinstance(value, str):
        found = unprintable_char(value)
        return None if found is None else f"{printable(where)} holds {found}"
    if isinstance(value, dict):
        for key, item in value.items():
            found = unprintable_char(str(key))
            if found is not None:
                return f"a key in {printable(where)} holds {found}"
            hit = first_unprintable(item, f"{where}.{key}")
            if hit is not None:
                return hit
    elif isinstance(value, list):
        for number, item in enumerate(value, 1):
            hit = first_unprintable(item, f"{where} #{number}")
            if hit is not None:
                return hit
    return None


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class PrintableWriter:
    """A text stream that writes through `printable_lines`: for outputs of many lines
    composed of what a project wrote (`pin`, `scan`), whose line breaks are our own."""

    def __init__(self, stream: Writer) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable_lines(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()
