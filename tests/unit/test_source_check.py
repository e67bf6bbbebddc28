"""`poetry source check`'s plain classes without poetry or a network: real pyproject.toml
and poetry.lock files in tmp dirs, environments passed as mappings, `probe=False`, and a
dict standing in for poetry's `Config.get` (the one method the check reads). Token expiry
is decoded from JWT-shaped tokens built here. Every scenario that resolves a secret checks
the report does not show it."""

from __future__ import annotations

import base64
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

import pytest

from keyring_backend.errors import EXIT_CONFIG, EXIT_REJECTED, PrivatePackagesError
from keyring_backend.token_expiry import github_header_expiry, jwt_expiry
from poetry_private_plugin.check import (
    ERROR,
    NOTE,
    OK,
    WARNING,
    Item,
    Project,
    Report,
    SourceCheck,
    UnknownSource,
)
from poetry_private_plugin.sources import Source
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
RULE = """
[[tool.private-packages.credentials]]
source = "private"
username = "deploy-bot"
password = "${ACME_TOKEN}"
"""


class Settings(dict[str, Any]):
    """poetry's `Config.get(name, default)` over a dict of dotted names; a list of keys (as
    the check asks, so that a source name may hold a dot) is joined with dots."""

    def get(self, setting_name: Any, default: Any = None) -> Any:
        key = setting_name if isinstance(setting_name, str) else ".".join(setting_name)
        return super().get(key, default)


def pyproject(url: str = "https://pkgs.example.com/simple/", priority: str = "primary",
              extra: str = "", pypi: Optional[str] = None) -> str:
    pypi_source = f'\n[[tool.poetry.source]]\nname = "PyPI"\npriority = "{pypi}"\n' if pypi else ""
    return f"""\
[project]
name = "app"
version = "0.1.0"
dependencies = ["acme-internal", "requests"]

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "private"
url = "{url}"
priority = "{priority}"
{pypi_source}{extra}"""


def lock(*packages: tuple[str, str]) -> str:
    """A poetry.lock taking each `(name, source)` from a legacy source (or PyPI: "")."""
    out = []
    for name, source in packages:
        out.append(f'[[package]]\nname = "{name}"\nversion = "1.0.0"\nfiles = []\n')
        if source:
            out.append(f'\n[package.source]\ntype = "legacy"\nurl = "https://pkgs.example.com/'
                       f'simple"\nreference = "{source}"\n')
        out.append("\n")
    return "".join(out) + '[metadata]\nlock-version = "2.1"\n'


def make_project(root: Path, text: str, lock_text: Optional[str] = None,
                 settings: Optional[Settings] = None) -> Project:
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    if lock_text is not None:
        (root / "poetry.lock").write_text(lock_text, encoding="utf-8")
    local = tomllib.loads(text)["tool"]["poetry"]
    sources = [Source(e["name"], e["url"], e.get("priority", "primary"))
               for e in local.get("source", []) if "url" in e]
    return Project(root / "pyproject.toml", root / "poetry.lock", local, sources,
                   settings or Settings())


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No user config, no CI variables: only what a test adds. Project rules apply
    (PRIVATE_PACKAGES_TRUST=1): the check of an untrusted project has tests of its own."""
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
            "PRIVATE_PACKAGES_TRUST": "1", **extra}


def check(project: Project, environ: dict[str, str], *names: str) -> Report:
    return SourceCheck(project, environ, probe=False, now=NOW).run(names)


def with_marker(report: Report, marker: str) -> list[Item]:
    return [item for item in report.items if item.marker == marker]


def jwt(exp: Any, header: Optional[dict[str, Any]] = None) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part(header or {'alg': 'RS256', 'typ': 'JWT'})}.{part({'exp': exp})}.c2lnbmF0dXJl"


# ---------------------------------------------------------------------- token expiry

@pytest.mark.parametrize(("offset", "text", "soon"), [
    (timedelta(days=30), "expires 2025-03-31 12:00 UTC (in 30 days)", False),
    (timedelta(days=3, hours=2), "expires 2025-03-04 14:00 UTC (in 3 days)", True),
    (timedelta(hours=5), "expires 2025-03-01 17:00 UTC (in 5 hours)", True),
    (-timedelta(days=2), "expired 2025-02-27 12:00 UTC (2 days ago)", True),
], ids=["in-30-days", "in-3-days", "in-5-hours", "expired"])
def test_jwt_expiry_is_read_from_the_exp_claim(offset: timedelta, text: str,
                                               soon: bool) -> None:
    expiry = jwt_expiry(jwt(int((NOW + offset).timestamp())))
    assert expiry is not None
    assert expiry.describe(NOW) == text
    assert expiry.is_soon(NOW) is soon


@pytest.mark.parametrize("token", [
    make_canary(), "glpat-abcdefghij", "a.b.c", "not.a.jwt",
    jwt(1_900_000_000, header={"typ": "JWT"}),  # no alg: not a JWS header
    jwt(True), jwt("2030-01-01"), jwt(10**20),
    jwt(1_900_000_000) + ".extra",
], ids=["canary", "gitlab-pat", "dots", "words", "no-alg", "bool-exp", "string-exp",
        "huge-exp", "five-parts"])
def test_tokens_without_a_readable_exp_have_no_expiry(token: str) -> None:
    assert jwt_expiry(token) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-03-04 19:07:53 UTC", datetime(2025, 3, 4, 19, 7, 53, tzinfo=timezone.utc)),
    ("2025-03-04 21:07:53 +0200", datetime(2025, 3, 4, 19, 7, 53, tzinfo=timezone.utc)),
    ("2025-03-04 12:07:53 -07:00", datetime(2025, 3, 4, 19, 7, 53, tzinfo=timezone.utc)),
    ("tomorrow", None), ("", None), (None, None), ("2025-13-40 00:00:00 UTC", None),
], ids=["utc", "plus-offset", "minus-offset-colon", "word", "empty", "absent", "bad-date"])
def test_github_expiry_header(value: Optional[str], expected: Optional[datetime]) -> None:
    expiry = github_header_expiry(value)
    assert (expiry.when if expiry else None) == expected


# ------------------------------------------------------------------ where credentials come from

def test_rule_from_env_secret_names_rule_and_provider_not_value(tmp_path: Path) -> None:
    secret = make_canary()
    report = check(make_project(tmp_path, pyproject(extra=RULE)),
                   env(tmp_path, ACME_TOKEN=secret))
    text = report.text()
    [line] = [i.text for i in with_marker(report, OK) if i.text.startswith("credential:")]
    assert "rule pyproject.toml [[tool.private-packages.credentials]] #1 (project)" in line
    assert "username deploy-bot" in line
    assert "password from ${ACME_TOKEN} (env)" in line
    assert "not probed (--no-probe)" in text
    assert report.exit_code == 0
    assert_not_in_texts(secret, {"report": text, "repr": repr(report)}, username="deploy-bot")


def test_missing_env_var_is_a_config_error_naming_the_reference(tmp_path: Path) -> None:
    report = check(make_project(tmp_path, pyproject(extra=RULE)), env(tmp_path))
    [error] = with_marker(report, ERROR)
    assert "${ACME_TOKEN}" in error.text
    assert "pyproject.toml [[tool.private-packages.credentials]] #1" in error.text
    assert str(tmp_path) not in error.text  # project paths are shown relative
    assert report.exit_code == EXIT_CONFIG


def test_unknown_source_lists_the_known_ones(tmp_path: Path) -> None:
    project = make_project(tmp_path, pyproject())
    with pytest.raises(UnknownSource, match=r"'nope'.*known: private") as raised:
        check(project, env(tmp_path), "nope")
    assert raised.value.exit_code == EXIT_CONFIG
    assert check(project, env(tmp_path), "PRIVATE").blocks  # names ignore case, as poetry's


def test_poetry_http_basic_is_named_and_masked(tmp_path: Path) -> None:
    secret = make_canary()
    settings = Settings({"http-basic.private.username": "deploy-bot",
                         "http-basic.private.password": secret})
    report = check(make_project(tmp_path, pyproject(), settings=settings),
                   env(tmp_path, POETRY_HTTP_BASIC_PRIVATE_PASSWORD=secret))
    assert any("credential: POETRY_HTTP_BASIC_PRIVATE_USERNAME/_PASSWORD" in i.text
               for i in report.items)
    assert report.exit_code == 0
    assert_not_in_texts(secret, {"report": report.text()}, username="deploy-bot")


def test_http_basic_beside_a_rule_is_a_warning(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """poetry sends its own http-basic (the hook keeps it): the check reports it, warns that
    the rule is overridden, and probes the index with http-basic's credential."""
    import poetry_private_plugin.check as check_module

    theirs, ours = make_canary("theirs"), make_canary("ours")
    probed: list[tuple[Optional[str], Optional[str]]] = []

    def fake_probe(url: str, *, username: Optional[str], password: Any, **_: Any) -> Any:
        probed.append((username, password.reveal() if password else None))
        raise PrivatePackagesError("stopped after recording the credential")

    monkeypatch.setattr(check_module, "probe_index", fake_probe)
    settings = Settings({"http-basic.private.username": "someone",
                         "http-basic.private.password": theirs})
    project = make_project(tmp_path, pyproject(extra=RULE), settings=settings)
    report = SourceCheck(project, env(tmp_path, ACME_TOKEN=ours), now=NOW).run()
    [warning] = with_marker(report, WARNING)
    assert warning.text.startswith("pyproject.toml [[tool.private-packages.credentials]] #1 "
                                   "is overridden")
    assert "poetry config http-basic.private (auth.toml)" in warning.text
    assert "poetry config --unset http-basic.private" in warning.fix
    [used] = [i.text for i in with_marker(report, OK) if i.text.startswith("credential:")]
    assert "not a private-packages rule" in used and "username someone" in used
    assert probed == [("someone", theirs)]
    for value in (theirs, ours):
        assert_not_in_texts(value, {"report": report.text()}, username="someone")


def test_http_basic_of_a_dotted_source_name_is_found(tmp_path: Path) -> None:
    secret = make_canary()
    text = pyproject().replace('name = "private"', 'name = "my.repo"')
    settings = Settings({"http-basic.my.repo.username": "someone",
                         "http-basic.my.repo.password": secret})
    report = check(make_project(tmp_path, text, settings=settings), env(tmp_path))
    assert any(i.text.startswith("credential: poetry config http-basic.my.repo (auth.toml)")
               for i in with_marker(report, OK))
    assert_not_in_texts(secret, {"report": report.text()}, username="someone")


def test_no_credential_says_anonymous(tmp_path: Path) -> None:
    report = check(make_project(tmp_path, pyproject()), env(tmp_path))
    assert any("credential: none" in i.text and "anonymously" in i.text
               for i in with_marker(report, NOTE))


def test_literal_password_in_project_is_a_warning(tmp_path: Path) -> None:
    secret = "literal-" + "x" * 12
    rule = RULE.replace("${ACME_TOKEN}", secret)
    report = check(make_project(tmp_path, pyproject(extra=rule)), env(tmp_path))
    assert any("is a literal in pyproject.toml" in i.text for i in with_marker(report, WARNING))
    assert secret not in report.text()


@pytest.mark.parametrize(("days", "marker"), [(3, WARNING), (40, OK), (-1, WARNING)],
                         ids=["soon", "later", "expired"])
def test_jwt_password_expiry_is_reported(tmp_path: Path, days: int, marker: str) -> None:
    token = jwt(int((NOW + timedelta(days=days)).timestamp()))
    report = check(make_project(tmp_path, pyproject(extra=RULE)), env(tmp_path, ACME_TOKEN=token))
    [item] = [i for i in report.items if i.text.startswith("token expire")]
    assert item.marker == marker
    assert report.exit_code == 0  # expiry is a warning; the probe judges validity
    assert_not_in_texts(token, {"report": report.text()})


# ------------------------------------------------------------------------- warnings

def test_credentials_in_source_url_and_lock_are_warned_with_file_line(tmp_path: Path) -> None:
    secret = make_canary()
    url = f"https://deploy-bot:{quote(secret, safe='')}@pkgs.example.com/simple/"
    lock_text = lock(("acme-internal", "private")).replace(
        "https://pkgs.example.com/simple", url)
    report = check(make_project(tmp_path, pyproject(url=url), lock_text), env(tmp_path))
    warnings = [i.text for i in with_marker(report, WARNING)]
    assert any(w.startswith("pyproject.toml:11: a URL with an embedded credential "
                            "(https://pkgs.example.com/simple/)") for w in warnings)
    assert any(w.startswith("poetry.lock:8: a URL with an embedded credential") for w in warnings)
    assert 'source = "private"' in report.text()  # the proposed rule names the source
    assert_not_in_texts(secret, {"report": report.text()}, username="deploy-bot")


@pytest.mark.parametrize("userinfo", [
    "git@", "${USER}:${TOKEN}@", "deploy-bot@", "__token__:@",
], ids=["ssh-user", "references", "plain-name", "empty-password"])
def test_userinfo_without_a_secret_is_not_warned(tmp_path: Path, userinfo: str) -> None:
    extra = f'\n[tool.poetry.dependencies]\nlib = {{ git = "https://{userinfo}git.example/x" }}\n'
    report = check(make_project(tmp_path, pyproject(extra=extra)), env(tmp_path))
    assert not [i for i in with_marker(report, WARNING) if "embedded credential" in i.text]


@pytest.mark.parametrize(("url", "warned"), [
    ("http://pkgs.example.com/simple/", True),
    ("http://127.0.0.1:8080/simple/", False),
    ("http://localhost/simple/", False),
    ("https://pkgs.example.com/simple/", False),
], ids=["http-remote", "http-loopback-ip", "http-localhost", "https"])
def test_plain_http_to_a_remote_host_is_warned(tmp_path: Path, url: str, warned: bool) -> None:
    report = check(make_project(tmp_path, pyproject(url=url)), env(tmp_path))
    assert any("plain http to" in i.text for i in with_marker(report, WARNING)) is warned


PIN = '\n[tool.poetry.dependencies]\nacme-internal = { source = "private" }\n'
GROUP_PIN = ('\n[tool.poetry.group.dev.dependencies]\n'
             'acme_internal = [{ version = "1", source = "private" }]\n')


@pytest.mark.parametrize(("priority", "pypi", "extra", "warned"), [
    ("primary", None, "", False),            # PyPI is not searched at all
    ("supplemental", None, "", True),        # PyPI added implicitly, searched first
    ("explicit", None, "", True),
    ("primary", "primary", "", True),        # candidates merged: highest version wins
    ("primary", "supplemental", "", True),
    ("primary", "explicit", "", False),
    ("supplemental", None, PIN, False),
    ("supplemental", None, GROUP_PIN, False),
], ids=["private-primary", "private-supplemental", "private-explicit", "pypi-primary",
        "pypi-supplemental", "pypi-explicit", "pinned", "pinned-in-group"])
def test_dependency_confusion(tmp_path: Path, priority: str, pypi: Optional[str], extra: str,
                              warned: bool) -> None:
    project = make_project(tmp_path, pyproject(priority=priority, pypi=pypi, extra=extra),
                           lock(("acme-internal", "private"), ("requests", "")))
    found = [i.text for i in with_marker(check(project, env(tmp_path)), WARNING)
             if i.text.startswith("dependency confusion")]
    assert bool(found) is warned
    if warned:
        assert "acme-internal locked from 'private'" in found[0]
        assert "requests" not in found[0]


def test_without_a_lock_a_searched_pypi_is_a_note(tmp_path: Path) -> None:
    report = check(make_project(tmp_path, pyproject(priority="supplemental")), env(tmp_path))
    assert any("no poetry.lock says which packages come from 'private'" in i.text
               for i in with_marker(report, NOTE))


# --------------------------------------------------------------------------- report

def test_quiet_prints_nothing_when_all_is_well_and_only_problems_otherwise(
        tmp_path: Path) -> None:
    good = check(make_project(tmp_path, pyproject(extra=RULE)), env(tmp_path, ACME_TOKEN="t"))
    assert good.text(quiet=True) == ""
    bad = check(make_project(tmp_path, pyproject(url="http://pkgs.example.com/simple/")),
                env(tmp_path))
    lines = bad.text(quiet=True).splitlines()
    assert lines[0].startswith("source private")
    assert not [line for line in lines if line.startswith(f"  {NOTE} ")]
    assert any("plain http" in line for line in lines)


def test_report_masks_a_value_that_slipped_into_a_message() -> None:
    secret = make_canary()
    report = Report()
    report.secret(secret, "deploy-bot")
    report.blocks.append(_block_with(f"oops {secret} {quote(secret, safe='')} "
                                     f"{base64.b64encode(secret.encode()).decode()}"))
    assert_not_in_texts(secret, {"report": report.text()}, username="deploy-bot")


def test_rejected_wins_over_config_errors() -> None:
    report = Report()
    report.blocks.append(_block_with("a", EXIT_CONFIG))
    assert report.exit_code == EXIT_CONFIG
    report.blocks.append(_block_with("b", EXIT_REJECTED))
    assert report.exit_code == EXIT_REJECTED


def _block_with(text: str, exit_code: int = 0) -> Any:
    from poetry_private_plugin.check import Block

    block = Block("source x (primary)  https://x/")
    block.add(ERROR if exit_code else NOTE, text, exit_code=exit_code)
    return block
