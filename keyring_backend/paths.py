"""A URL path as the server will read it, for prefix checks that cannot be walked around.

A rule binds a path prefix, and the question is always "will the server serve something
below that prefix?". Servers percent-decode a path and then remove dot segments, so
`/groups/12/%2e%2e/123` is `/groups/123` to them (and a credential for `/groups/12` must
not go there). `server_path` reads the path the same way and returns it in one canonical
spelling: escapes of characters that need none decoded (`%41` is `A`, `%2e` is `.`),
everything else percent-encoded with upper-case hex, dot segments and duplicate slashes
removed.

Where servers disagree, it returns None, and the caller treats the path as lying within no
path prefix ("fail closed"): the credential is withheld rather than guessed right.
- An encoded `/` or `\\` (`%2F`, `%5C`, a raw `\\`): some servers split there (nginx decodes
  first, IIS treats `\\` as `/`), others keep one segment (GitLab's `group%2Fproject` ids).
  Kept as one segment -- unless a piece between them is a dot segment, which a splitting
  server would walk with.
- A path parameter on a dot segment (`..;x`): Tomcat and Jetty, behind many registries,
  drop `;x` and read `..`.
- A segment that is no dot segment but reads as one after Unicode compatibility folding
  (full-width dots, U+FF0E) or with whitespace and control characters trimmed (`..%09`,
  `%20..`): harmless unless a server normalises that way, and cheap to refuse
  (`looks_like_dots`).
- Double encoding (`%252e`), NUL (`%00`) and escapes that are not UTF-8 (`%c0%ae`).
- An empty segment before a `..`: a server that keeps `//` lets `..` consume the empty
  segment instead of a real one (`/q//../p` is `/q/p` there, `/p` after merging).
"""

from __future__ import annotations

import re
from typing import Optional
from urllib.parse import quote, unquote

_PLAIN = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,=:@/]*")  # nothing to decode or quote
_SEPARATOR = re.compile(r"%2[fF]|%5[cC]|\\")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
#: RFC 3986 pchar without pct-encoded: left as they are, everything else is quoted.
_SAFE = "!$&'()*+,;=:@-._~"
_DOTS = (".", "..")
#: What a server that trims a segment may drop: whitespace and control characters.
_TRIM = re.compile(r"^[\s\x00-\x1f\x7f]+|[\s\x00-\x1f\x7f]+$")


def server_path(path: str) -> Optional[str]:
    """The canonical path a server reads (`""` for the root), or None when servers may
    read it in different ways (module docstring)."""
    plain = _PLAIN.fullmatch(path) is not None
    out: list[str] = []
    raw_segments = path.split("/")
    empty_inside = False  # an empty segment that a later `..` could consume
    for index, raw in enumerate(raw_segments):
        segment = raw if plain or _PLAIN.fullmatch(raw) else _segment(raw)
        if segment is None:
            return None
        if segment == "":
            empty_inside = empty_inside or 0 < index < len(raw_segments) - 1
        elif segment == "..":
            if empty_inside:
                return None
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    return "/" + "/".join(out) if out else ""


def _segment(raw: str) -> Optional[str]:
    """One segment in canonical spelling; None when servers could read it differently."""
    pieces = _SEPARATOR.split(raw)
    decoded: list[str] = []
    for piece in pieces:
        try:
            text = unquote(piece, errors="strict")
        except UnicodeDecodeError:
            return None
        if "\x00" in text or _ESCAPE.search(text):
            return None
        decoded.append(text)
    views = [text.split(";", 1)[0] for text in decoded]  # what Tomcat and Jetty read
    if any(view in _DOTS and view != text for view, text in zip(views, decoded)):
        return None
    if any(view not in _DOTS and looks_like_dots(view) for view in views):
        return None
    if len(pieces) > 1 and any(view in _DOTS for view in views):
        return None
    separators = ["%2F" if s.lower() == "%2f" else "%5C" for s in _SEPARATOR.findall(raw)]
    spelled = [quote(text, safe=_SAFE) for text in decoded]
    return "".join(p + s for p, s in zip(spelled, [*separators, ""]))


def looks_like_dots(segment: str) -> bool:
    """Whether a decoded segment is `.` or `..`, or reads as one to a server that folds
    Unicode compatibility forms (full-width dots) or trims whitespace and control characters."""
    if segment in _DOTS:
        return True
    import unicodedata

    return _TRIM.sub("", unicodedata.normalize("NFKC", segment)) in _DOTS


def normalise_path(path: str) -> str:
    """Remove dot segments, empty segments and the trailing slash: `/a//b/../c/` -> `/a/c`.
    The display form of a path `server_path` found ambiguous (nothing is decoded)."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return "/" + "/".join(out) if out else ""


def path_within(path: str, prefix: str) -> bool:
    """True when `path` equals `prefix` or lies below it on a `/` boundary (`/a` vs `/ab`)."""
    return not prefix or path == prefix or path.startswith(prefix + "/")
