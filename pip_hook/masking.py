"""Replace secrets in a byte stream with `****`, chunk by chunk (DESIGN.md "pip-private").

pip echoes what it was given: URLs from requirements files, error messages quoting a
line, `git clone` commands. Everything it prints passes through a `Masker` on its way to
the user, so a secret that slips into pip's output is replaced, in every spelling worth
looking for (`secret_forms`), even when the pipe delivers it split across reads.

Streaming costs latency only where it must: `feed` emits everything except the longest
tail that could still grow into a needle, so progress bars (`\\r` lines) keep flowing.

A secret can also arrive wrapped: rich (twine --verbose, pip, pdm) breaks a long line at
the console's width -- 80 columns on a pipe, the terminal's on a pty -- at a space, or
folds a longer word into pieces on indented lines. So needles are matched in the text
with every line break and the blanks around it (`_GAP`) left out, a needle also without
any one of its spaces (the one a break took), and a match is masked in all its pieces
(the breaks stay, so lines do not move). A line that ends in at least `WRAP_MIN` bytes of
a needle is held back until the next line shows whether it goes on; shorter ends flow (a
line ending in `f` must not wait for a needle starting with `f`), so a secret broken
after fewer than `WRAP_MIN` bytes is masked only when both pieces arrive in one read, as
rich writes them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Optional

from keyring_backend.secret import MASK as _MASK_TEXT
from keyring_backend.secret import MIN_FORM_LENGTH, secret_forms

__all__ = ["MASK", "MIN_FORM_LENGTH", "Masker", "secret_forms"]

MASK = _MASK_TEXT.encode()
#: A line break with the blanks around it (padding, the indentation of the next line):
#: what a wrapping console puts into a word it folds, or in place of a space it breaks at.
_GAP = re.compile(rb"[ \t\r]*\n[ \t\r]*")
_BLANK = b" \t\r"
_BLANKS = (b" ", b"\t", b"\r", b"\n")
#: Needles with more spaces than this are not also matched with one of them broken at.
_MAX_SPACES = 8
#: A line ending in fewer bytes of a needle than this is not held back (module docstring).
WRAP_MIN = 8


class Masker:
    """Stream filter: `needles` become `****`, keys of `replacements` their values.

    `replacements` are not secrets (the wrapper uses them to turn `/dev/fd/5` back into
    `requirements.txt` in pip's messages); a byte string that is both is masked.

    Matching is leftmost-longest, through one regex alternation sorted longest first.
    Matches that overlap (`abcd` and `cdef` in `abcdef`) are merged and the whole region
    becomes `****`: printing the leftover `ef` would show part of the second secret.
    """

    def __init__(self, needles: Iterable[bytes],
                 replacements: Optional[Mapping[bytes, bytes]] = None) -> None:
        table = {key: value for key, value in (replacements or {}).items() if key}
        table.update((form, MASK) for needle in needles for form in _spellings(needle)
                     if len(form) >= MIN_FORM_LENGTH)
        self._table = table
        self._keys = sorted(table, key=lambda k: (-len(k), k))
        self._pattern = re.compile(b"|".join(map(re.escape, self._keys)))
        self._pending = b""
        # Index of every proper prefix of every key, by its last two bytes (longest first),
        # plus the first bytes: finding the tail to hold back costs a dict lookup.
        self._tails: dict[bytes, list[tuple[int, bytes]]] = {}
        self._firsts = {key[0] for key in self._keys if len(key) > 1}
        for key in self._keys:
            for length in range(2, len(key)):
                self._tails.setdefault(key[length - 2:length], []).append((length, key))
        for entries in self._tails.values():
            entries.sort(key=lambda entry: -entry[0])

    def feed(self, data: bytes) -> bytes:
        """Take the next chunk; return the bytes that are safe to show now."""
        if not self._keys:
            return data  # nothing to mask: a pass-through
        buf = self._pending + data if self._pending else data
        out, cut = self._mask(buf, final=False)
        self._pending = buf[cut:]
        return out

    def flush(self) -> bytes:
        """At end of stream: return everything still held back, masked."""
        buf, self._pending = self._pending, b""
        return self._mask(buf, final=True)[0] if buf else b""

    def _mask(self, buf: bytes, final: bool) -> tuple[bytes, int]:
        """(what may be shown of `buf`, where the rest that stays pending starts)."""
        if b"\n" not in buf:  # no break inside: the buffer is the text
            spans, cut = self._spans(buf, len(buf) if final else self._cut(buf, buf))
            return self._render(buf, spans, cut), cut
        lines = _Lines(buf)
        text = lines.text
        last = lines.last_length  # the end of `text` that is on the buffer's last line
        spans, cut = self._spans(text, len(text) if final else self._cut(text, buf))
        if not spans and len(text) - cut <= last:  # the common case: no map needed
            cut = len(buf) - (len(text) - cut)
            return (buf if cut == len(buf) else buf[:cut]), cut
        cut = lines.position(cut)
        return self._render(buf, [(lines.position(start), lines.position(end - 1) + 1, key)
                                  for start, end, key in spans], cut), cut

    def _cut(self, text: bytes, buf: bytes) -> int:
        """Where the tail of `text` (`buf` without its breaks) that must wait begins: a
        proper prefix of a key that ends it, or -- when `buf` ends in blanks, where a break
        is or may come -- at least `WRAP_MIN` bytes of a key that end before the blanks."""
        if buf[-1:] not in _BLANKS:
            return len(text) - self._held_length(text)
        core = text.rstrip(_BLANK)
        wrapped = self._held_length(core)
        cut = len(core) - wrapped if wrapped >= WRAP_MIN else len(text)
        if len(core) < len(text):  # blanks on the last line: a key with spaces goes on?
            cut = min(cut, len(text) - self._held_length(text))
        return cut

    def _held_length(self, buf: bytes) -> int:
        """Length of the longest suffix of `buf` that is a proper prefix of some key."""
        if len(buf) >= 2:
            for length, key in self._tails.get(buf[-2:], ()):
                if length <= len(buf) and buf.endswith(key[:length]):
                    return length
        return 1 if buf and buf[-1] in self._firsts else 0

    def _render(self, buf: bytes, spans: list[tuple[int, int, bytes]], cut: int) -> bytes:
        """`buf[:cut]` with each span replaced; the line breaks inside a span stay."""
        if not spans:
            return buf if cut == len(buf) else buf[:cut]
        parts: list[bytes] = []
        done = 0
        for start, end, replacement in spans:
            parts.append(buf[done:start])
            parts.append(replacement)
            parts.extend(_GAP.findall(buf, start, end))
            done = end
        parts.append(buf[done:cut])
        return b"".join(parts)

    def _spans(self, buf: bytes, cut: int) -> tuple[list[tuple[int, int, bytes]], int]:
        """(start, end, replacement) of each match in `buf`, and the new cut. Nothing from
        `cut` on is final yet: a key could still start or grow there, so it and any match
        reaching it stay pending."""
        # bytes.find per key locates candidates at memchr speed; a regex alternation of
        # many literals is 10-100x slower per byte, so it only settles the longest key at
        # a position that is already known to hold one.
        nexts = [buf.find(key) for key in self._keys]
        spans: list[tuple[int, int, bytes]] = []
        if max(nexts) < 0:
            return spans, cut
        while True:
            starts = [n for n in nexts if n >= 0]
            if not starts or min(starts) >= cut:
                break
            start = min(starts)
            match = self._pattern.match(buf, start)
            if match is None:  # unreachable: bytes.find saw a key at `start`
                raise AssertionError(start)
            end, merged = match.end(), False
            pos = start + 1
            while pos < end:  # extend over keys that start inside and run past the end
                inner = self._pattern.match(buf, pos)
                if inner is not None and inner.end() > end:
                    end, merged = inner.end(), True
                pos += 1
            if end > cut:  # could still grow with the next chunk: hold it whole
                cut = start
                break
            spans.append((start, end, MASK if merged else self._table[match.group()]))
            nexts = [buf.find(key, end) if 0 <= n < end else n
                     for key, n in zip(self._keys, nexts)]
        return spans, cut


def _spellings(needle: bytes) -> set[bytes]:
    """A needle as the masker reads text, without line breaks and indentation (so one
    that spans lines itself, a key file, still matches), and with any one of its spaces
    left out: a console that wraps there drops it."""
    joined = _GAP.sub(b"", needle)
    spaces = [at for at, byte in enumerate(joined) if byte == 0x20]
    if len(spaces) > _MAX_SPACES:
        return {joined}
    return {joined, *(joined[:at] + joined[at + 1:] for at in spaces)}


class _Lines:
    """A buffer read without its line breaks and indentation (`_GAP`): `text`, and
    `position` from an offset in it back to the buffer (its table built on first use)."""

    def __init__(self, buf: bytes) -> None:
        self._buf = buf
        self._parts = buf.split(b"\n")  # memchr speed: no regex over every byte
        self._pieces = [part.strip(_BLANK) for part in self._parts]
        self._pieces[0] = self._parts[0].rstrip(_BLANK)
        self._pieces[-1] = self._parts[-1].lstrip(_BLANK)
        self.text = b"".join(self._pieces)
        self.last_length = len(self._pieces[-1])
        self._starts: list[int] = []  # in text, of each piece
        self._origins: list[int] = []  # in the buffer, of each piece

    def position(self, offset: int) -> int:
        """The buffer offset of `text[offset]`; the buffer's end for the text's end."""
        if offset >= len(self.text):
            return len(self._buf)
        if not self._starts:
            at = length = 0
            for n, (part, piece) in enumerate(zip(self._parts, self._pieces)):
                if piece:
                    indentation = len(part) - len(part.lstrip(_BLANK)) if n else 0
                    self._starts.append(length)
                    self._origins.append(at + indentation)
                    length += len(piece)
                at += len(part) + 1
        index = bisect_right(self._starts, offset) - 1
        return self._origins[index] + offset - self._starts[index]
