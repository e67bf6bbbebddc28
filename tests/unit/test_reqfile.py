"""The requirements-line pipeline, checked against pip's own code in this venv: the same
preprocessing, a superset of pip's `${VAR}` expansion, and rendered lines that pip's real
parser reads back to exactly the intended values."""

from __future__ import annotations

import codecs
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
from pip._internal.network.session import PipSession
from pip._internal.req import req_file

from keyring_backend.errors import ConfigError, ReferenceSyntaxError, UnresolvedReference
from keyring_backend.providers import ResolveContext
from pip_hook.reqfile import RenderError, decode_requirements, preprocess, render_line
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts

PREPROCESS_CASES = {
    "plain": "requests==2.0\nflask\n",
    "comments": "# header\nrequests  # pinned\n  \n#x\nurl@https://h/x#egg=y\n",
    "continuation": "requests \\\n  ==2.0\nflask\\\n",
    "comment-ends-continuation": "a \\\n# comment\nb\n",
    "backslash-last-line": "pkg\\",
    "tabs-and-hash": "pkg\t# comment\npkg2 #c\npkg3#not-a-comment\n",
    "options": "--extra-index-url https://u:p@h/simple  # mirror\n-r other.txt\n",
    "crlf": "a\r\nb \\\r\nc\r\n",
}


@pytest.mark.parametrize("text", PREPROCESS_CASES.values(), ids=PREPROCESS_CASES.keys())
def test_preprocess_matches_pip(text: str) -> None:
    assert list(preprocess(text)) == list(req_file.preprocess(text))


@pytest.mark.parametrize(("data", "expected"), [
    (b"\xef\xbb\xbfpkg\n", "pkg\n"),
    ("# -*- coding: latin-1 -*-\np\xe9\n".encode("latin-1"), "# -*- coding: latin-1 -*-\npé\n"),
    ("pé\n".encode(), "pé\n"),
    ("pkg\n".encode("utf-16"), "pkg\n"),
], ids=["utf8-bom", "pep263", "utf8", "utf16-bom"])
def test_decode_matches_pip(data: bytes, expected: str) -> None:
    assert decode_requirements(data, "f") == expected == req_file._decode_req_file(data, "f")


@pytest.mark.parametrize(("data", "pip_raises", "message"), [
    (b"pkg\n\xffsecret-ish\n", UnicodeDecodeError,
     "requirements file r.txt: line 2 is not utf-8 text; save it as UTF-8"),
    (b"# -*- coding: bogus -*-\npkg\n", LookupError,
     "requirements file r.txt declares the encoding 'bogus', which Python does not know"),
    (b"# coding: ascii\npkg\n\n\xe9\n", UnicodeDecodeError,
     "requirements file r.txt: line 4 is not ascii text, as its coding line declares"),
    (codecs.BOM_UTF16_LE + b"p\x00\x00", UnicodeDecodeError,
     "requirements file r.txt: line 1 is not utf-16-le text, as its byte order mark says"),
], ids=["not-utf8", "unknown-coding", "declared-coding-mismatch", "truncated-utf16"])
def test_undecodable_files_are_one_line_where_pip_raises(
        data: bytes, pip_raises: type[Exception], message: str) -> None:
    with pytest.raises(pip_raises):  # pip's own behaviour: a traceback
        req_file._decode_req_file(data, "r.txt")
    with pytest.raises(ConfigError) as info:
        decode_requirements(data, "r.txt")
    assert str(info.value).lower().startswith(message.lower())
    assert "\n" not in str(info.value) and "xff" not in str(info.value)
    assert "secret" not in str(info.value) and "\xe9" not in str(info.value)


def ctx(env: dict[str, str], where: str = "req.txt:1") -> ResolveContext:
    return ResolveContext(env=env, where=where)


# Lines pip itself can expand (upper-case names, values without URL-special characters):
# pip-private must render them identically (DESIGN.md: a superset of pip).
PIP_COMPATIBLE = {
    "index-userinfo": "--extra-index-url https://MY_USER:${TOKEN}@host/simple",
    "credentials-in-one": "--index-url https://${CREDS}@host/simple",
    "version": "pkg==${VERSION}",
    "path": "-f ${WHEELS}/dist",
    "two": "https://${USER_NAME}:${TOKEN}@h/pkg.whl",
}
PIP_ENV = {"TOKEN": "glpat-abc123", "CREDS": "bot:s3cret", "VERSION": "1.2.3",
           "WHEELS": "/srv/wheels", "USER_NAME": "deploy"}


@pytest.mark.parametrize("line", PIP_COMPATIBLE.values(), ids=PIP_COMPATIBLE.keys())
def test_renders_like_pip_for_what_pip_can_expand(line: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PIP_ENV.items():
        monkeypatch.setenv(name, value)
    pip_result = next(req_file.expand_env_variables(iter([(1, line)])))[1]
    assert render_line(line, ctx(PIP_ENV, "req.txt:1")).text == pip_result


def pip_reads(tmp_path: Path, line: str) -> req_file.ParsedRequirement:
    path = tmp_path / "rendered.txt"
    path.write_text(line + "\n", encoding="utf-8")
    return next(iter(req_file.parse_requirements(str(path), session=PipSession())))


SECRETS = {
    "specials": make_canary(),
    "non-ascii": make_canary(ascii_only=False),
    "colon-first": "a:b@c/d#e%f?g h",
    "percent-sequence": "%41%zz%",
}


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_userinfo_values_survive_pips_parser(secret: str, tmp_path: Path) -> None:
    env = {"TOKEN": secret}
    line = "acme @ https://deploy:${TOKEN}@files.example.com/org/acme-1.0-py3-none-any.whl"
    rendered = render_line(line, ctx(env, "req.txt:1"))
    assert rendered.values[0] == secret and rendered.env_names == {"TOKEN"}
    assert all(value in rendered.values for value in (secret, quote(secret, safe="")))
    parsed = pip_reads(tmp_path, rendered.text)
    url = urlsplit(str(parsed.requirement).split(" @ ", 1)[1])
    assert unquote(url.password or "") == secret
    assert url.username == "deploy" and url.hostname == "files.example.com"


@pytest.mark.parametrize(("line", "expected_url", "user"), [
    ("acme @ git+https://bot:${T}@git.example:8443/org/acme.git@v1.0#egg=acme",
     "https://git.example:8443/org/acme.git", "bot"),
    ("-e git+https://${T}@github.com/org/acme.git#egg=acme",
     "https://github.com/org/acme.git", None),
    ("git+http://x-access-token:${T}@127.0.0.1:9/acme.git", "http://127.0.0.1:9/acme.git",
     "x-access-token"),
], ids=["user-and-token", "token-only", "loopback-http"])
def test_git_userinfo_moves_to_the_credential_helper(line: str, expected_url: str,
                                                     user: str | None) -> None:
    # No `:` in this secret: in a token-only userinfo the first `:` separates user and
    # password, as it does for pip (test_token_only_userinfo_keeps_pips_first_colon_rule).
    secret = make_canary(ascii_only=False).replace(":", "")
    rendered = render_line(line, ctx({"T": secret}))
    assert "@" not in rendered.text.split("://", 1)[1].split("/", 1)[0]
    assert_not_in_texts(secret, {"line": rendered.text})
    [credential] = rendered.git_credentials
    assert (credential.url, credential.password) == (expected_url, secret)
    assert credential.username == (user or secret)
    assert secret not in repr(credential)


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_token_only_userinfo_keeps_pips_first_colon_rule(secret: str, tmp_path: Path) -> None:
    # `https://${CREDS}@host` with `user:token`: pip splits at the first `:` -- so do we,
    # and everything else in the value is encoded.
    env = {"CREDS": f"bot:{secret}"}
    rendered = render_line("https://${CREDS}@h.example/simple", ctx(env, "r:1"))
    url = urlsplit(rendered.text)
    assert (url.username, unquote(url.password or "")) == ("bot", secret)
    # pip prints the username of a URL: both halves and the encoded text are masked.
    assert {"bot", secret, rendered.text.split("//")[1].split("@h.example")[0]} <= set(
        rendered.values)


def test_index_option_with_packed_secret(tmp_path: Path) -> None:
    secret = make_canary()
    env = {"VIKTOR_APP_SECRET": f'{{"gitlab": "{secret}", "other": "x"}}'}
    line = "--extra-index-url https://MY_USER:${VIKTOR_APP_SECRET#gitlab}@h.example/simple"
    rendered = render_line(line, ctx(env, "r:1"))
    (tmp_path / "r.txt").write_text(rendered.text + "\npkg\n")
    from pip._internal.index.collector import LinkCollector
    from pip._internal.index.package_finder import PackageFinder
    from pip._internal.models.selection_prefs import SelectionPreferences

    session = PipSession()
    finder = PackageFinder.create(LinkCollector(session, req_file.SearchScope([], [], False)),
                                  SelectionPreferences(allow_yanked=False))
    list(req_file.parse_requirements(str(tmp_path / "r.txt"), session=session, finder=finder))
    url = urlsplit(finder.index_urls[-1])
    assert url.username == "MY_USER" and unquote(url.password or "") == secret


@pytest.mark.parametrize(("line", "env", "expected"), [
    ("pkg==${V:-1.0}", {}, "pkg==1.0"),
    ("pkg==${V:-1.0}", {"V": ""}, "pkg==1.0"),
    ("$${LITERAL} pkg", {}, "${LITERAL} pkg"),
    ("https://h/${P[1]}/x", {"P": "a;b;c"}, "https://h/b/x"),
], ids=["fallback-unset", "fallback-empty", "dollar-escape", "index-selector"])
def test_verbatim_values(line: str, env: dict[str, str], expected: str) -> None:
    assert render_line(line, ctx(env, "r:1")).text == expected


def test_fallback_text_is_not_a_secret() -> None:
    rendered = render_line("pkg==${V:-1.0}", ctx({}, "r:1"))
    assert rendered.values == [] and rendered.env_names == set()


@pytest.mark.parametrize(("value", "problem"), [
    ("a #b", "comment"),
    ("x\ny", "line break"),
    ("tail\\", "continuation"),
], ids=["comment", "newline", "backslash"])
def test_values_pip_would_reparse_are_refused(value: str, problem: str) -> None:
    with pytest.raises(RenderError) as info:
        render_line("pkg==${V}", ctx({"V": value}, "req.txt:4"))
    message = str(info.value)
    assert problem in message and "req.txt:4" in message and "${V}" in message
    assert value not in message


def test_unset_variable_names_reference_and_place() -> None:
    with pytest.raises(UnresolvedReference) as info:
        render_line("--index-url https://u:${GONE}@h/simple", ctx({}, "req.txt:7"))
    assert "GONE" in str(info.value) and "req.txt:7" in str(info.value)


def test_required_message_is_shown() -> None:
    with pytest.raises(UnresolvedReference, match="ask the admin"):
        render_line("x==${GONE:?ask the admin}", ctx({}, "req.txt:2"))


def test_syntax_error_points_at_the_column() -> None:
    with pytest.raises(ReferenceSyntaxError) as info:
        render_line("pkg @ https://${bad name}@h/x", ctx({}, "req.txt:3"))
    assert info.value.position == 15 and "req.txt:3" in str(info.value)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # poetry-plugin-export writes an http index's netloc, userinfo included
        ("--trusted-host deploy-bot:${TOKEN}@127.0.0.1:8080", "--trusted-host 127.0.0.1:8080"),
        ("--trusted-host=u:${vault:secret/ci#token}@h.example", "--trusted-host=h.example"),
        ("-i http://u:${TOKEN}@h/simple --trusted-host u:${TOKEN}@h",
         "-i http://u:SECRET@h/simple --trusted-host h"),
        ("--trusted-host h.example:8080", "--trusted-host h.example:8080"),
    ],
)
def test_a_trusted_hosts_userinfo_is_dropped_unresolved(line: str, expected: str) -> None:
    rendered = render_line(line, ResolveContext(env={"TOKEN": "SECRET"}, where="r.txt:1"))
    assert rendered.text == expected
