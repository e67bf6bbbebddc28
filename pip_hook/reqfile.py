"""Render one requirements line the way pip reads it, with DESIGN.md's reference grammar.

The pipeline is pip's own (`pip/_internal/req/req_file.py::preprocess`): decode, join `\\`
continuations, strip comments (`(^|\\s+)#.*$`), then resolve references. It works on
`(line_number, text)` pairs with the environment passed in, so it is pure and testable.

pip parses our output again, so a substituted value must survive that second pass
unchanged: a value in the userinfo of a URL is percent-encoded (tokens with `@ : / # % ?`
or spaces work); elsewhere it is verbatim, and a value that pip would re-read differently
(a line break, a ` #` that starts a comment, a trailing `\\`) is an error, not a surprise.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from keyring_backend.errors import ConfigError, ReferenceSyntaxError, UnresolvedReference
from keyring_backend.providers import ResolveContext, resolve_reference
from keyring_backend.records import field, record
from keyring_backend.references import Reference, parse_template

from .lifting import LiftedCredential, lift_credentials

#: pip's `(^|\s+)#.*$`, with the same matches: a match may only start where a run of
#: whitespace starts, so a long run of spaces costs linear time, not quadratic.
COMMENT_RE = re.compile(r"(^|(?<!\s)\s+)#.*$")
#: What pip itself expands in a requirements file (upper-case names only).
PIP_ENV_VAR_RE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_AUTHORITY_END = re.compile(r"[/?#\s]")
_PLACEHOLDER = "\x00"
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"))
_PEP263 = re.compile(rb"coding[:=]\s*([-\w.]+)")
#: The userinfo of a `--trusted-host` value: poetry-plugin-export writes the netloc of an
#: http index's authenticated URL there (`--trusted-host user:${TOKEN}@host:port`).
_TRUSTED_HOST_USERINFO = re.compile(r"(?:^|(?<=\s))(--trusted-host(?:\s+|=))\S*@(?=\S)")


class RenderError(UnresolvedReference):
    """A substituted value would change how pip parses the line (see the module docstring)."""


@record
class RenderedLine:
    """One logical line after substitution, and what it consumed."""

    text: str = field(repr=False)  # holds the substituted values
    values: list[str] = field(default_factory=list, repr=False)  # every substituted value
    env_names: set[str] = field(default_factory=set)  # variables read as secrets
    references: str = ""  # the references on the line, as written ("${A}, ${B}")
    git_credentials: list[LiftedCredential] = field(default_factory=list)
    url_credentials: list[LiftedCredential] = field(default_factory=list)


def decode_requirements(data: bytes, name: str) -> str:
    """Decode a requirements file exactly as pip does: BOM, PEP 263 comment, UTF-8, locale.

    Where pip raises (a traceback: an unknown coding, bytes the encoding cannot decode),
    this raises one `ConfigError` naming the file `name` and the line, never the bytes:
    they may be part of a hard-coded secret."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom):], encoding, name, ", as its byte order mark says")
    for line in data.split(b"\n")[:2]:
        if line[:1] == b"#":
            found = _PEP263.search(line)
            if found:
                declared = found.group(1).decode("ascii")
                return _decode(data, declared, name, ", as its coding line declares")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        import locale  # pip's last resort, rarely reached

        fallback = locale.getpreferredencoding(False) or "utf-8"
        why = "" if codecs.lookup(fallback).name == "utf-8" else (
            " nor UTF-8 (pip tries this system's locale encoding after UTF-8)")
        return _decode(data, fallback, name, why)


def _decode(data: bytes, encoding: str, name: str, why: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise ConfigError(f"requirements file {name} declares the encoding '{encoding}', "
                          "which Python does not know (pip fails on it too); fix its "
                          "'# -*- coding: ... -*-' line") from None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        encoding = codecs.lookup(encoding).name  # one spelling, whatever the locale says
        raise ConfigError(f"requirements file {name}: line {line} is not {encoding} text"
                          f"{why}; save it as UTF-8, or declare its encoding in a first "
                          "line such as '# -*- coding: latin-1 -*-'") from None


def preprocess(text: str) -> Iterator[tuple[int, str]]:
    """pip's `join_lines` + `ignore_comments`: logical lines with their first line number."""
    yield from _ignore_comments(join_lines(text))


def join_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's `join_lines`: a line ending in `\\` continues on the next one (unless it is a
    comment); a joined line keeps the number of its first physical line. Comments stay
    (`scan` reads them too); a standalone line keeps its columns."""
    primary = 0
    pending: list[str] = []
    for number, physical in enumerate(text.splitlines(), start=1):
        if not physical.endswith("\\") or COMMENT_RE.match(physical):
            if pending:
                # pip prefixes a space so a comment joined to a continued line stays one
                line = " " + physical if COMMENT_RE.match(physical) else physical
                yield primary, "".join([*pending, line])
                pending = []
            else:
                yield number, physical
        else:
            if not pending:
                primary = number
            pending.append(physical.strip("\\"))
    if pending:
        yield primary, "".join(pending)


def _ignore_comments(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    for number, line in lines:
        stripped = COMMENT_RE.sub("", line).strip()
        if stripped:
            yield number, stripped


def render_line(line: str, ctx: ResolveContext, *, lift_urls: bool = False) -> RenderedLine:
    """Resolve every reference in one logical line; raise `UnresolvedReference` subclasses.
    `ctx.where` names the place ("requirements.txt:3") in every error. A credential
    substituted into a URL's userinfo is lifted out of it (lifting.py): always from
    `git+` URLs, from `http(s)` URLs too with `lift_urls`."""
    where = ctx.where
    # A trusted host needs no credential: its userinfo is dropped, never resolved.
    line = _TRUSTED_HOST_USERINFO.sub(r"\1", line)
    try:  # parse without the place, so identical lines share one cached parse
        template = parse_template(line)
    except ReferenceSyntaxError:
        template = parse_template(line, where)  # raises again, now naming file:line
    if template.is_literal:
        return RenderedLine("".join(p for p in template.parts if isinstance(p, str)))
    skeleton = "".join(p if isinstance(p, str) else _PLACEHOLDER for p in template.parts)
    userinfo = _userinfo_of(skeleton)
    out: list[str] = []
    result = RenderedLine("")
    index = 0
    secret_in_userinfo = False
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = resolve_reference(part, ctx)
        _record(part, value, ctx, result)
        authority = userinfo.get(index)
        if authority is None:
            if "\n" in value or "\r" in value:
                raise RenderError(f"{where}: the value of {part.display} holds a line break, "
                                  "which would split the requirements line")
            out.append(value)
        else:
            encoded, used_colon = _encode_userinfo(value, keep_first_colon=authority.open)
            authority.open = authority.open and not used_colon
            out.append(encoded)
            if _recorded(part, ctx):
                # pip shows a URL's username (it redacts only the password): the masker
                # must know each half of a split value, and the exact encoded text.
                result.values += [encoded, *(value.split(":", 1) if used_colon else [])]
                secret_in_userinfo = True
        index += 1
    result.text = "".join(out)
    if secret_in_userinfo:
        _lift(result, where, lift_urls)
    names = result.references = ", ".join(ref.display for ref in template.references)
    if COMMENT_RE.search(result.text):  # linear: see COMMENT_RE
        raise RenderError(f"{where}: a value substituted for {names} holds ' #', which pip "
                          "would read as the start of a comment; only values in the userinfo "
                          "of a URL (https://user:${TOKEN}@host/) are percent-encoded")
    if result.text.endswith("\\"):
        raise RenderError(f"{where}: a value substituted for {names} ends with '\\', which "
                          "pip would read as a line continuation")
    return result


def _lift(result: RenderedLine, where: str, lift_urls: bool) -> None:
    """Take the credentials out of the line's URLs (lifting.py), or refuse the line."""
    lifted = lift_credentials(result.text, urls=lift_urls)
    if lifted.refused:
        raise RenderError(f"{where}: a secret in the userinfo of a {lifted.refused[0]}:// "
                          "URL would reach that tool's process arguments; use git, or "
                          "a URL without the secret")
    if lifted.unclear:
        raise RenderError(f"{where}: clients read the host of a URL with a secret in its "
                          "userinfo differently (a '\\', '%' or second '@' before the host, a "
                          "control character); write the URL plainly")
    if lifted.colon_username:
        from keyring_backend.rules import COLON_IN_USERNAME

        raise RenderError(f"{where}: in the userinfo of a URL, {COLON_IN_USERNAME}")
    result.text = lifted.text
    result.git_credentials += lifted.git
    result.url_credentials += lifted.urls


def _recorded(ref: Reference, ctx: ResolveContext) -> bool:
    """Whether a value is a secret to mask: an env reference that fell back to its `:-`
    text used text from the file itself, which is not secret."""
    return ref.kind != "env" or bool(ctx.env.get(ref.target))


def _record(ref: Reference, value: str, ctx: ResolveContext, result: RenderedLine) -> None:
    if _recorded(ref, ctx):
        result.values.append(value)
        if ref.kind == "env":
            result.env_names.add(ref.target)


@record
class _Userinfo:
    open: bool  # no `:` separator seen yet (neither literal nor from a value)


def _userinfo_of(skeleton: str) -> dict[int, _Userinfo]:
    """Map each placeholder (by index) that stands in the userinfo of a URL to that
    userinfo. Decided on the template, before substitution: a value may hold `@` or `/`.
    Linear in the line's length (an 80,000-character line once took seconds)."""
    import bisect

    positions = [i for i, ch in enumerate(skeleton) if ch == _PLACEHOLDER]
    found: dict[int, _Userinfo] = {}
    for start in _authorities(skeleton):
        end_match = _AUTHORITY_END.search(skeleton, start)
        end = end_match.start() if end_match else len(skeleton)
        at = skeleton.rfind("@", start, end)
        if at < 0:
            continue
        info = _Userinfo(open=":" not in skeleton[start:at])
        first = bisect.bisect_left(positions, start)
        for placeholder_index in range(first, bisect.bisect_left(positions, at)):
            found[placeholder_index] = info
    return found


def _authorities(text: str) -> Iterator[int]:
    """Where each authority starts: after every `scheme://` (RFC 3986: a letter, then
    letters, digits, `+`, `.`, `-`), as a left-to-right regex search finds them. Found from
    each `://` backwards, so a long run of letters is read once, not once per letter."""
    lower = 0  # the end of the previous match: a scheme never reaches back past it
    sep = text.find("://")
    while sep >= 0:
        start = sep
        while start > lower and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        while start < sep and text[start] not in _LETTERS:
            start += 1
        if start < sep:
            yield sep + 3
            lower = sep + 3
        sep = text.find("://", sep + 1)


def _encode_userinfo(value: str, *, keep_first_colon: bool) -> tuple[str, bool]:
    """Percent-encode a userinfo value. When the line has no literal `:` in that userinfo,
    the first `:` of the values is the user/password separator, as with pip's own `${VAR}`
    (`https://${CREDENTIALS}@host` with `user:token`), so it stays."""
    if keep_first_colon and ":" in value:
        user, _, password = value.partition(":")
        return f"{quote(user, safe='')}:{quote(password, safe='')}", True
    return quote(value, safe=""), False
