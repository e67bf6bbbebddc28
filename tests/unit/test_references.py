"""`${...}` grammar (DESIGN.md "Secret references"): every form parsed into `Reference`
fields, literal text split out exactly, and malformed references reported at their column
without ever echoing a fallback text."""

from __future__ import annotations

import uuid

import pytest

from keyring_backend.errors import PrivatePackagesError, ReferenceSyntaxError
from keyring_backend.references import Part, Reference, Template, parse_template


def only_reference(text: str) -> Reference:
    template = parse_template(text)
    assert len(template.parts) == 1
    part = template.parts[0]
    assert isinstance(part, Reference)
    return part


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${NAME}", Reference("env", "NAME", 1, pip_expands=True)),
        ("${env:NAME}", Reference("env", "NAME", 1)),  # pip would send it as written
        ("${_x9}", Reference("env", "_x9", 1)),
        ("${NAME:-fallback}", Reference("env", "NAME", 1, fallback="fallback")),
        ("${X:-}", Reference("env", "X", 1, fallback="")),
        ("${X:-a b:c/d#e}", Reference("env", "X", 1, fallback="a b:c/d#e")),
        ("${env:X:-fb}", Reference("env", "X", 1, fallback="fb")),
        ("${NAME:?message}", Reference("env", "NAME", 1, message="message")),
        ("${NAME:?set it in CI}", Reference("env", "NAME", 1, message="set it in CI")),
        ("${NAME#field}", Reference("env", "NAME", 1, field="field")),
        ("${NAME[2]}", Reference("env", "NAME", 1, index=2)),
        ("${NAME[0]:?gone}", Reference("env", "NAME", 1, index=0, message="gone")),
        ("${NAME#field:-x}", Reference("env", "NAME", 1, field="field", fallback="x")),
        ("${VIKTOR_APP_SECRET#gitlab}",
         Reference("env", "VIKTOR_APP_SECRET", 1, field="gitlab")),
        ("${file:/run/secrets/t}", Reference("file", "/run/secrets/t", 1)),
        ("${file:rel/path#field}", Reference("file", "rel/path", 1, field="field")),
        ("${file:/p[1]}", Reference("file", "/p", 1, index=1)),
        ("${file:~/tok}", Reference("file", "~/tok", 1)),
        ("${vault:secret/ci/pypi#token}",
         Reference("vault", "secret/ci/pypi", 1, field="token")),
        ("${vault:/secret/data/x#f}", Reference("vault", "secret/data/x", 1, field="f")),
        ("${vault:secret/data/x/#f}", Reference("vault", "secret/data/x", 1, field="f")),
        ("${keyring:https://host/simple#user}",
         Reference("keyring", "https://host/simple", 1, username="user")),
        ("${keyring:svc#a#b}", Reference("keyring", "svc#a", 1, username="b")),
        ("${cmd:aws-token}", Reference("cmd", "aws-token", 1)),
        ("${cmd:gcloud.token_v2}", Reference("cmd", "gcloud.token_v2", 1)),
    ],
)
def test_every_form_parses_into_its_fields(text: str, expected: Reference) -> None:
    assert only_reference(text) == expected


@pytest.mark.parametrize(("text", "expands"), [
    ("${NAME}", True), ("${A_1}", True), ("${_X}", True), ("${https_proxy}", False),
    ("${Name}", False), ("${env:NAME}", False), ("${NAME:-x}", False), ("${NAME:?m}", False),
    ("${NAME#f}", False), ("${NAME[0]}", False), ("${file:/p}", False),
    ("${keyring:s#u}", False), ("${vault:p#f}", False), ("${cmd:c}", False),
])
def test_pip_expands_exactly_its_own_form(text: str, expands: bool) -> None:
    """pip's ENV_VAR_RE, `\\$\\{([A-Z0-9_]+)\\}`: an untrusted requirements file renders
    only what pip would expand itself (config/locations.py)."""
    assert only_reference(text).pip_expands is expands


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", ()),
        ("plain text", ("plain text",)),
        ("a${X}b", ("a", Reference("env", "X", 2, pip_expands=True), "b")),
        ("${A}${B}", (Reference("env", "A", 1, pip_expands=True),
                      Reference("env", "B", 5, pip_expands=True))),
        (
            "https://u:${TOK}@host/${file:/p#f}/x",
            ("https://u:", Reference("env", "TOK", 11, pip_expands=True), "@host/",
             Reference("file", "/p", 23, field="f"), "/x"),
        ),
        ("$${", ("${",)),
        ("$${X}", ("${X}",)),
        ("a$${X}b", ("a${X}b",)),
        ("$${A}${B}", ("${A}", Reference("env", "B", 6, pip_expands=True))),
        ("${A}$${B}", (Reference("env", "A", 1, pip_expands=True), "${B}")),
        ("$", ("$",)),
        ("$$", ("$$",)),
        ("a $ b $$ c $X {Y}", ("a $ b $$ c $X {Y}",)),
        ("price: 5$", ("price: 5$",)),
        ("}{", ("}{",)),
    ],
)
def test_literals_and_references_split_exactly(text: str, parts: tuple[Part, ...]) -> None:
    template = parse_template(text)
    assert template == Template(parts)
    assert template.is_literal == (not any(isinstance(p, Reference) for p in parts))
    assert template.references == tuple(p for p in parts if isinstance(p, Reference))


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("abc ${X", 5, "unterminated"),
        ("${X", 1, "unterminated"),
        ("ok ${A} then ${B", 14, "unterminated"),
        ("${}", 1, "empty reference"),
        ("x${}", 2, "empty reference"),
        ("${1ABC}", 1, "malformed"),
        ("${A-B}", 1, "malformed"),
        ("${NAME[x]}", 1, "malformed"),
        ("${env:}", 1, "malformed"),
        ("ab${foo:bar}", 3, "unknown provider 'foo:'"),
        ("${vault:path}", 1, "${vault:PATH#FIELD}"),
        ("${vault:path#}", 1, "${vault:PATH#FIELD}"),
        ("${vault:#f}", 1, "${vault:PATH#FIELD}"),
        ("${keyring:svc}", 1, "${keyring:SERVICE#USERNAME}"),
        ("${keyring:svc#}", 1, "${keyring:SERVICE#USERNAME}"),
        ("${cmd:has space}", 1, "${cmd:NAME}"),
        ("${cmd:}", 1, "${cmd:NAME}"),
        ("${cmd:a/b}", 1, "${cmd:NAME}"),
        ("${file:}", 1, "${file:PATH}"),
        ("${file:/p#}", 1, "${file:PATH}"),
        ("${file:[1]}", 1, "${file:PATH}"),
        ("$${A}${}", 6, "empty reference"),
    ],
)
def test_malformed_reference_reports_its_column(text: str, column: int, words: str) -> None:
    with pytest.raises(ReferenceSyntaxError) as info:
        parse_template(text)
    assert info.value.position == column
    assert str(info.value).startswith(f"column {column}: ")
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, PrivatePackagesError)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("text", ["abc ${X", "${}", "${foo:bar}", "${vault:p}", "${1A}"])
def test_error_names_where_the_reference_stands(text: str) -> None:
    with pytest.raises(ReferenceSyntaxError) as info:
        parse_template(text, where="requirements.txt:7")
    assert info.value.where == "requirements.txt:7"
    assert str(info.value).startswith(f"requirements.txt:7, column {info.value.position}: ")


def test_same_text_in_two_places_reports_each_place() -> None:
    # parse_template caches; the cache must not hand back the first place's error text.
    for where in ("a.txt:1", "b.txt:2"):
        with pytest.raises(ReferenceSyntaxError, match=rf"^{where}, column 1: "):
            parse_template("${}", where)


@pytest.mark.parametrize(
    "template",
    [
        "${1BAD:-{fb}}",
        "${1BAD:?{fb}}",
        "${A-B:-{fb}}",
        "${X#f[1]:-{fb}}",
        "${X[1]#f:-{fb}}",
        "${NAME:-{fb}",  # unterminated
        "${bogus:x:-{fb}}",
        "${cmd:a b:-{fb}}",
        "${file::-{fb}#}",
        "${vault:p:-{fb}}",
        "${keyring:s:-{fb}}",
    ],
)
def test_error_never_contains_the_fallback_text(template: str) -> None:
    fallback = f"fb{uuid.uuid4().hex[:6]}"  # short: a clipped message must not hide a leak
    text = template.replace("{fb}", fallback)
    with pytest.raises(ReferenceSyntaxError) as info:
        parse_template(text, where="w")
    assert fallback not in str(info.value)
    assert fallback not in repr(info.value)


def test_long_malformed_body_is_clipped_to_one_readable_line() -> None:
    with pytest.raises(ReferenceSyntaxError) as info:
        parse_template("${" + "A-" * 60 + "}")
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("${NAME}", "${NAME}"),
        ("${env:NAME}", "${NAME}"),
        ("${NAME:-hidden fallback}", "${NAME}"),
        ("${NAME:?hidden message}", "${NAME}"),
        ("${NAME#field:-hidden}", "${NAME#field}"),
        ("${NAME[1]:?hidden}", "${NAME[1]}"),
        ("${file:/run/secrets/t}", "${file:/run/secrets/t}"),
        ("${file:cfg.json#pypi}", "${file:cfg.json#pypi}"),
        ("${file:/p[1]}", "${file:/p[1]}"),
        ("${vault:/secret/ci/pypi#token}", "${vault:secret/ci/pypi#token}"),
        ("${keyring:https://host/simple#user}", "${keyring:https://host/simple#user}"),
        ("${cmd:aws-token}", "${cmd:aws-token}"),
    ],
)
def test_display_is_the_reference_without_fallback_or_message(text: str, display: str) -> None:
    ref = only_reference(text)
    assert ref.display == display
    assert "hidden" not in ref.display


def test_references_keep_their_own_columns_in_a_long_line() -> None:
    text = "--index-url https://${USER_NAME}:${TOKEN:-x}@h/simple ${file:/a}"
    columns = [ref.column for ref in parse_template(text).references]
    assert columns == [text.index("${USER_NAME}") + 1, text.index("${TOKEN") + 1,
                       text.index("${file") + 1]
