"""Replace secrets in a byte stream with `****`, chunk by chunk (DESIGN.md "pip-private").

pip echoes what it was given: URLs from requirements files, error messages quoting a
line, `git clone` commands. Everything it prints passes through a `Masker` on its way to
the user, so a secret that slips into pip's output is replaced, in every spelling worth
looking for (`secret_forms`), even when the pipe delivers it split across reads.

Streaming costs latency only where it must: `feed` emits everything except the longest
tail that could still grow into a needle, so progress bars (`\\r` lines) keep flowing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Optional

from keyring_backend.secret import MASK as _MASK_TEXT
from keyring_backend.secret import MIN_FORM_LENGTH, secret_forms

__all__ = ["MASK", "MIN_FORM_LENGTH", "Masker", "secret_forms"]

MASK = _MASK_TEXT.encode()


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
        table.update((needle, MASK) for needle in needles if needle)
        self._table = table
        self._keys = sorted(table, key=lambda k: (-len(k), k))
        self._pattern = re.compile(b"|".join(map(re.escape, self._keys)))
        self._pending = b""
        # Index of every proper prefix of every key, by its last two bytes (longest first),
        # plus the first bytes: finding the tail to hold back costs a dict lookup, and
        # nothing at all when a chunk ends in "\n" or "\r" as pip's output usually does.
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
        out, self._pending = self._mask(buf, len(buf) - self._held_length(buf))
        return out

    def flush(self) -> bytes:
        """At end of stream: return everything still held back, masked."""
        buf, self._pending = self._pending, b""
        return self._mask(buf, len(buf))[0] if buf else b""

    def _held_length(self, buf: bytes) -> int:
        """Length of the longest suffix of `buf` that is a proper prefix of some key."""
        if len(buf) >= 2:
            for length, key in self._tails.get(buf[-2:], ()):
                if length <= len(buf) and buf.endswith(key[:length]):
                    return length
        return 1 if buf and buf[-1] in self._firsts else 0

    def _mask(self, buf: bytes, cut: int) -> tuple[bytes, bytes]:
        """Mask `buf`; return (output, pending). Nothing from `cut` on is final yet: a
        key could still start or grow there, so it and any match reaching it stay pending.
        """
        # bytes.find per key locates candidates at memchr speed; a regex alternation of
        # many literals is 10-100x slower per byte, so it only settles the longest key at
        # a position that is already known to hold one.
        nexts = [buf.find(key) for key in self._keys]
        if max(nexts) < 0:
            return (buf, b"") if cut == len(buf) else (buf[:cut], buf[cut:])
        parts: list[bytes] = []
        done = 0
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
            parts.append(buf[done:start])
            parts.append(MASK if merged else self._table[match.group()])
            done = end
            nexts = [buf.find(key, end) if 0 <= n < end else n
                     for key, n in zip(self._keys, nexts)]
        parts.append(buf[done:cut])
        return b"".join(parts), buf[cut:]
