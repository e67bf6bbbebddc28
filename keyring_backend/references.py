"""Parse `${...}` secret references (DESIGN.md "Secret references") into a template.

A template is a tuple of literal strings and `Reference`s. Parsing never touches a value;
it only reports where a malformed reference stands (1-based column). `$${` is a literal
`${` (as in docker compose), and a `$` not followed by `{` is ordinary text.

A reference ends at the first `}`, so a `:-fallback` or `:?message` cannot hold `}`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NoReturn, Optional, Union

from .records import record

ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ENV_BODY = re.compile(
    rf"(?:env:)?(?P<name>{ENV_NAME})"
    r"(?:#(?P<field>[^:\[\]]+)|\[(?P<index>\d+)\])?"
    r"(?:(?P<op>:[-?])(?P<arg>.*))?",
    re.DOTALL,
)
_PROVIDER = re.compile(r"(?P<kind>[A-Za-z][A-Za-z0-9_]*):(?![-?])(?P<rest>.*)", re.DOTALL)
_INDEX_SUFFIX = re.compile(r"\[(\d+)\]$")
_CMD_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_OPERATOR = re.compile(r":[-?]")
_PIP_NAME = re.compile(r"[A-Z0-9_]+")  # pip's ENV_VAR_RE body: upper case only

PROVIDERS = ("env", "file", "vault", "keyring", "cmd")
_FORMS = (
    "${NAME}, ${NAME:-fallback}, ${NAME:?message}, ${NAME#field}, ${NAME[N]}, "
    "${file:PATH}, ${vault:PATH#FIELD}, ${keyring:SERVICE#USERNAME} or ${cmd:NAME}"
)


@record(frozen=True)
class Reference:
    """One parsed reference. `target` is the variable name, path, service or command name."""

    kind: str
    target: str
    column: int
    field: Optional[str] = None
    index: Optional[int] = None
    username: Optional[str] = None  # keyring only
    fallback: Optional[str] = None  # `:-`
    message: Optional[str] = None  # `:?`
    # Written `${NAME}` with NAME in pip's own `[A-Z0-9_]+`: what pip itself expands in a
    # requirements file (pip/_internal/req/req_file.py ENV_VAR_RE), and nothing else is.
    pip_expands: bool = False

    @property
    def display(self) -> str:
        """The reference as a user would recognise it, without any fallback text."""
        if self.kind == "env":
            text = self.target
        elif self.kind == "keyring":
            text = f"keyring:{self.target}#{self.username}"
        else:
            text = f"{self.kind}:{self.target}"
        if self.field is not None:
            text += f"#{self.field}"
        if self.index is not None:
            text += f"[{self.index}]"
        return "${" + text + "}"


Part = Union[str, Reference]


@record(frozen=True)
class Template:
    """Literal text and references, in order."""

    parts: tuple[Part, ...]

    @property
    def references(self) -> tuple[Reference, ...]:
        return tuple(p for p in self.parts if isinstance(p, Reference))

    @property
    def is_literal(self) -> bool:
        return not self.references


def parse_template(text: str, where: str = "") -> Template:
    """Split `text` into literals and references; raise `ReferenceSyntaxError` on bad input."""
    return _parse_cached(text, where)


@lru_cache(maxsize=1024)
def _parse_cached(text: str, where: str) -> Template:
    parts: list[Part] = []
    literal: list[str] = []
    pos = 0
    while True:
        start = text.find("${", pos)
        if start < 0:
            literal.append(text[pos:])
            break
        if start > 0 and text[start - 1] == "$":  # `$${` is a literal `${`
            literal.append(text[pos : start - 1] + "${")
            pos = start + 2
            continue
        literal.append(text[pos:start])
        end = text.find("}", start + 2)
        if end < 0:
            _fail("unterminated reference: '${' without a closing '}'", start, where)
        if literal and "".join(literal):
            parts.append("".join(literal))
        literal = []
        parts.append(_parse_body(text[start + 2 : end], start, where))
        pos = end + 1
    tail = "".join(literal)
    if tail:
        parts.append(tail)
    return Template(tuple(parts))


def _fail(message: str, offset: int, where: str) -> NoReturn:
    from .errors import ReferenceSyntaxError

    raise ReferenceSyntaxError(message, offset + 1, where)


def _parse_body(body: str, offset: int, where: str) -> Reference:
    column = offset + 1
    if not body:
        _fail(f"empty reference '${{}}'; expected one of {_FORMS}", offset, where)
    provider = _PROVIDER.fullmatch(body)
    if provider and provider["kind"] != "env":
        return _parse_provider(provider["kind"], provider["rest"], offset, where)
    m = _ENV_BODY.fullmatch(body)
    if not m:
        _fail(f"malformed reference '${{{_clip(body)}}}'; expected one of {_FORMS}", offset, where)
    op, arg = m["op"], m["arg"]
    return Reference(
        kind="env",
        target=m["name"],
        column=column,
        field=m["field"],
        index=int(m["index"]) if m["index"] is not None else None,
        fallback=arg if op == ":-" else None,
        message=arg if op == ":?" else None,
        pip_expands=_PIP_NAME.fullmatch(body) is not None,
    )


def _parse_provider(kind: str, rest: str, offset: int, where: str) -> Reference:
    column = offset + 1
    if kind not in PROVIDERS:
        _fail(
            f"unknown provider '{kind}:' in a reference; known providers: "
            + ", ".join(PROVIDERS),
            offset,
            where,
        )
    if kind == "file":
        index_match = _INDEX_SUFFIX.search(rest)
        index: Optional[int]
        field: Optional[str]
        if index_match:
            path, index = rest[: index_match.start()], int(index_match[1])
            field = None
        else:
            path, sep, field_text = rest.rpartition("#")
            path, field, index = (path, field_text, None) if sep else (rest, None, None)
        if not path or field == "":
            _fail("expected ${file:PATH}, ${file:PATH#FIELD} or ${file:PATH[N]}", offset, where)
        return Reference("file", path, column, field=field, index=index)
    if kind == "cmd":
        if not _CMD_NAME.fullmatch(rest):
            _fail("expected ${cmd:NAME} with NAME made of letters, digits, '_', '.', '-'",
                  offset, where)
        return Reference("cmd", rest, column)
    head, sep, tail = rest.rpartition("#")
    if not (sep and head and tail):
        second = "FIELD" if kind == "vault" else "USERNAME"
        _fail(f"expected ${{{kind}:{'PATH' if kind == 'vault' else 'SERVICE'}#{second}}}",
              offset, where)
    if kind == "vault":
        return Reference("vault", head.strip("/"), column, field=tail)
    return Reference("keyring", head, column, username=tail)


def _clip(body: str) -> str:
    # The body of a malformed reference is configuration text, not a resolved value; still,
    # keep messages to one readable line, and never echo what follows `:-` / `:?`: a
    # fallback may be a literal token (Reference.display leaves it out for the same reason).
    operator = _OPERATOR.search(body)
    if operator:
        body = body[: operator.end()] + "..."
    return body if len(body) <= 40 else body[:37] + "..."
