"""Credentials taken out of rendered URLs (pip_hook/lifting.py), scheme case included, and
the requirements-line scanners that must stay linear on long lines (reqfile.py)."""

from __future__ import annotations

import random
import re
import threading
from typing import Callable

import pytest

from keyring_backend.providers import ResolveContext
from pip_hook.lifting import LiftedCredential, lift_credentials
from pip_hook.reqfile import COMMENT_RE, RenderError, _authorities, _userinfo_of, render_line
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts


def render(line: str, env: dict[str, str], *, lift_urls: bool = True):  # type: ignore[no-untyped-def]
    return render_line(line, ResolveContext(env=env, where="r.txt:1"), lift_urls=lift_urls)


@pytest.mark.parametrize("scheme", ["git+https", "Git+Http", "GIT+HTTPS", "git+HTTP"])
def test_git_urls_are_lifted_whatever_the_scheme_case(scheme: str) -> None:
    token = make_canary().replace(":", "")
    rendered = render(f"acme @ {scheme}://oauth2:${{GT}}@Git.Example/org/acme.git@v1", {
        "GT": token}, lift_urls=False)
    assert_not_in_texts(token, {"line": rendered.text})
    assert rendered.text == f"acme @ {scheme.lower()}://Git.Example/org/acme.git@v1"
    [credential] = rendered.git_credentials
    assert credential.url == f"{scheme.lower()[4:]}://Git.Example/org/acme.git"
    assert (credential.username, credential.password) == ("oauth2", token)


@pytest.mark.parametrize(("line", "origin", "user", "password"), [
    ("--index-url https://deploy:${T}@h.example/groups/12/simple/", "https://h.example",
     "deploy", "T"),
    ("--extra-index-url HTTPS://deploy:${T}@h.example:8443/simple", "https://h.example:8443",
     "deploy", "T"),
    ("-f http://u:${T}@127.0.0.1:9/wheels/", "http://127.0.0.1:9", "u", "T"),
    ("acme @ https://${T}@files.example/acme-1.0-py3-none-any.whl", "https://files.example",
     "T", ""),
    ("--index-url https://${T}:@pypi.fury.io/acme/", "https://pypi.fury.io", "T", ""),
], ids=["index", "upper-case-scheme-and-port", "find-links-http", "token-only", "empty-pw"])
def test_index_and_file_urls_are_lifted_to_their_origin(line: str, origin: str, user: str,
                                                        password: str) -> None:
    token = make_canary().replace(":", "")
    rendered = render(line, {"T": token})
    assert_not_in_texts(token, {"line": rendered.text})
    assert "@" not in rendered.text.split("://", 1)[1].split("/", 1)[0]
    [credential] = rendered.url_credentials
    assert credential.url == origin
    assert credential.username == (token if user == "T" else user)
    assert credential.password == (token if password == "T" else password)
    assert rendered.git_credentials == []


def test_without_lift_urls_an_index_url_keeps_its_credential() -> None:
    """pip's interpreter cannot ask our backend: the credential must stay in the URL."""
    token = make_canary()
    rendered = render("--index-url https://u:${T}@h.example/simple/", {"T": token},
                      lift_urls=False)
    assert rendered.url_credentials == [] and "@h.example" in rendered.text


@pytest.mark.parametrize("vcs", ["svn+https", "hg+https", "bzr+http", "SVN+HTTPS"])
def test_other_vcs_urls_with_a_secret_are_refused(vcs: str) -> None:
    token = make_canary()
    with pytest.raises(RenderError, match="process arguments") as caught:
        render(f"-e {vcs}://u:${{T}}@h.example/repo#egg=x", {"T": token})
    assert_not_in_texts(token, {"error": str(caught.value)})


@pytest.mark.parametrize("url", ["https://deploy%3Abot:${T}@h.example/simple/",
                                 "git+https://deploy%3abot:${T}@h.example/r.git"])
def test_a_url_username_with_a_colon_is_refused(url: str) -> None:
    """`deploy%3Abot` is the username `deploy:bot`, which HTTP Basic cannot carry (RFC 7617):
    lifted into a rule it would hide from the guard (attack2: test_guard_colon_username)."""
    token = make_canary()
    with pytest.raises(RenderError, match=r"^r\.txt:1: in the userinfo of a URL, the "
                       r"username holds a ':', which HTTP Basic cannot carry") as caught:
        render(f"acme @ {url}" if url.startswith("git") else f"--index-url {url}", {"T": token})
    assert_not_in_texts(token, {"error": str(caught.value)})
    assert "bot" not in str(caught.value)


@pytest.mark.parametrize("url", ["https://u:${T}\\@h.example/simple/",
                                 "https://${T}@evil.example\\@h.example/simple/",
                                 "https://u:${T}@a@h.example/simple/",
                                 "git+https://u:${T}\\@h.example/r.git"])
@pytest.mark.parametrize("lift_urls", [True, False])
def test_a_url_clients_read_as_different_hosts_is_refused(url: str, lift_urls: bool) -> None:
    """urllib3 and uv end the host at `\\`, urlsplit and curl do not (urls.py): which host
    the lifted rule should bind, or pip send the URL's secret to, would be a guess."""
    token = make_canary()
    line = f"acme @ {url}" if url.startswith("git") else f"--index-url {url}"
    with pytest.raises(RenderError, match="clients read the host of a URL") as caught:
        render(line, {"T": token}, lift_urls=lift_urls)
    assert_not_in_texts(token, {"error": str(caught.value)})


def test_a_scheme_inside_a_word_is_not_a_url() -> None:
    lifted = lift_credentials("xhttps://u:p@h.example/ git+https://u:p@g.example/r.git",
                              urls=True)
    assert lifted.text == "xhttps://u:p@h.example/ git+https://g.example/r.git"


def test_rule_env_holds_references_and_an_explicitly_empty_password() -> None:
    env = LiftedCredential("https://h.example", "tok", "").rule_env("P_", "V_")
    assert env["P_PASSWORD"] == "${V_TOKEN:-}" and env["P_USERNAME"] == "${V_USER}"
    assert "P_ALLOW_HTTP" not in env
    env = LiftedCredential("http://h.example", "u", "pw").rule_env("P_", "V_")
    assert env["P_PASSWORD"] == "${V_TOKEN}" and env["P_ALLOW_HTTP"] == "true"


# --------------------------------------------------------------------------- linear scanners

_OLD_COMMENT = re.compile(r"(^|\s+)#.*$")
_OLD_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _random_lines(alphabet: str, count: int = 3000) -> list[str]:
    rng = random.Random(12)  # noqa: S311 -- reproducible test input, not a secret
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
            for _ in range(count)]


def test_comment_regex_matches_pips() -> None:
    for line in _random_lines(" \t#ab\u00a0"):
        assert COMMENT_RE.sub("", line) == _OLD_COMMENT.sub("", line), repr(line)
        old, new = _OLD_COMMENT.search(line), COMMENT_RE.search(line)
        assert (old and old.span()) == (new and new.span()), repr(line)


def test_authorities_are_where_the_scheme_regex_finds_them() -> None:
    for line in _random_lines("a1+:/.@x-"):
        assert list(_authorities(line)) == [m.end() for m in _OLD_SCHEME.finditer(line)]


def _finishes(work: Callable[[], object], seconds: float = 10.0) -> bool:
    """A generous did-not-hang check (the quadratic versions took 8 s to minutes); the
    timings themselves are printed by bench/bench_reqfile.py."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


@pytest.mark.parametrize("line", [
    "a" * 80_000 + "${T}",
    ("https://u:${T}@h.example/ " * 8_000).strip(),
    " " * 80_000 + "x${T}",
    "pkg==1.0" + " " * 80_000 + "${T}",
], ids=["letters", "many-urls", "spaces", "spaces-before-a-reference"])
def test_long_lines_render_in_linear_time(line: str) -> None:
    env = {"T": "tok-0123456789"}
    assert _finishes(lambda: render(line, env))
    assert _finishes(lambda: _userinfo_of(line.replace("${T}", "\x00")))
