"""`rule_file.RuleFile` and `write_source_rule`: tables of edits with exact expected text,
formatting kept byte for byte outside the edited rule, idempotence, atomic writes that keep
the file's mode, refusals (unknown source, literal secret, `${cmd:...}` in a project), and
that what is written is exactly what `keyring_backend.config.load_config` loads."""

from __future__ import annotations

import os
import stat
import textwrap
import uuid
from pathlib import Path
from typing import Optional

import pytest
from keyring.backend import KeyringBackend

from keyring_backend.config import load_config
from keyring_backend.errors import EXIT_CONFIG, ReferenceSyntaxError
from keyring_backend.rules import Layer
from keyring_backend.secret import Secret
from keyring_backend.urls import Location, parse_location
from poetry_private_plugin import rule_file
from poetry_private_plugin.rule_file import RuleFile, RuleFileError
from poetry_private_plugin.source_rule import (
    CommandRefused,
    LiteralSecretRefused,
    UnknownSource,
    write_source_rule,
)
from tests.trusting import trust

SOURCES = """\
[project]
name = "app"

[[tool.poetry.source]]
name = "private"
url = "https://pkgs.example.com/pypi/simple/"

[[tool.uv.index]]
name = "uv-index"
url = "https://uv.example.com/simple"
"""
RULE = {"username": "deploy-bot", "password": "${ACME_TOKEN}"}


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def location(url: str) -> Location:
    found = parse_location(url)
    assert found is not None
    return found


def make_project(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "project" / "pyproject.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SOURCES + extra, encoding="utf-8")
    return path


# (id, keys, text before, binding, values to set, action, text after)
SET_CASES = [
    ("project-add-after-other-tables", rule_file.PROJECT_KEYS,
     '[tool.black]\nline-length = 99  # wide\n',
     ("source", "private"), RULE, "added",
     '[tool.black]\nline-length = 99  # wide\n\n[[tool.private-packages.credentials]]\n'
     'source = "private"\nusername = "deploy-bot"\npassword = "${ACME_TOKEN}"\n'),
    ("project-add-beside-vault-table", rule_file.PROJECT_KEYS,
     '[tool.private-packages.vault]\naddr = "https://vault.example.com"\n',
     ("source", "private"), RULE, "added",
     '[tool.private-packages.vault]\naddr = "https://vault.example.com"\n\n'
     '[[tool.private-packages.credentials]]\n'
     'source = "private"\nusername = "deploy-bot"\npassword = "${ACME_TOKEN}"\n'),
    ("project-update-in-place-keeps-comments-and-keys", rule_file.PROJECT_KEYS,
     '[[tool.private-packages.credentials]]  # ci\nsource = "private"   # the index\n'
     'username="old"\npassword = "${OLD}"\nallow_http = false\n\n[tool.black]\nx = 1\n',
     ("source", "private"), RULE, "updated",
     '[[tool.private-packages.credentials]]  # ci\nsource = "private"   # the index\n'
     'username="deploy-bot"\npassword = "${ACME_TOKEN}"\nallow_http = false\n\n'
     '[tool.black]\nx = 1\n'),
    ("project-second-rule-for-source-removed", rule_file.PROJECT_KEYS,
     '[[tool.private-packages.credentials]]\nsource = "private"\npassword = "${A}"\n\n'
     '[[tool.private-packages.credentials]]\nurl = "https://other.example.com"\n'
     'password = "${B}"\n\n'
     '[[tool.private-packages.credentials]]\nsource = "private"\npassword = "${C}"\n',
     ("source", "private"), RULE, "updated",
     '[[tool.private-packages.credentials]]\nsource = "private"\npassword = "${ACME_TOKEN}"\n'
     'username = "deploy-bot"\n\n'
     '[[tool.private-packages.credentials]]\nurl = "https://other.example.com"\n'
     'password = "${B}"\n\n'),
    ("project-same-values-unchanged", rule_file.PROJECT_KEYS,
     '[[tool.private-packages.credentials]]\nsource = "private"\nusername = "deploy-bot"\n'
     'password = "${ACME_TOKEN}"\n',
     ("source", "private"), RULE, "unchanged",
     '[[tool.private-packages.credentials]]\nsource = "private"\nusername = "deploy-bot"\n'
     'password = "${ACME_TOKEN}"\n'),
    ("user-new-file", rule_file.USER_KEYS, "",
     ("source", "private"), RULE, "added",
     '[[credentials]]\nsource = "private"\nusername = "deploy-bot"\n'
     'password = "${ACME_TOKEN}"\n'),
    ("user-empty-inline-array-becomes-tables", rule_file.USER_KEYS, "credentials = []\n",
     ("url", "https://pkgs.example.com/pypi"), RULE, "added",
     '[[credentials]]\nurl = "https://pkgs.example.com/pypi"\nusername = "deploy-bot"\n'
     'password = "${ACME_TOKEN}"\n'),
    ("user-inline-tables-updated-in-place", rule_file.USER_KEYS,
     'credentials = [{url = "https://pkgs.example.com/pypi", password = "${X}"}]\n',
     ("url", "https://pkgs.example.com/pypi"), RULE, "updated",
     'credentials = [{url = "https://pkgs.example.com/pypi", password = "${ACME_TOKEN}", '
     'username = "deploy-bot"}]\n'),
    ("user-url-binding-matches-normalised-url", rule_file.USER_KEYS,
     '# mine\n[[credentials]]\nurl = "https://PKGS.example.com:443/pypi/"\n'
     'password = "${X}"\n\n[commands.aws]\nrun = ["aws"]\n',
     ("url", "https://pkgs.example.com/pypi"), RULE, "updated",
     '# mine\n[[credentials]]\nurl = "https://PKGS.example.com:443/pypi/"\n'
     'password = "${ACME_TOKEN}"\nusername = "deploy-bot"\n\n[commands.aws]\nrun = ["aws"]\n'),
]


@pytest.mark.parametrize(("keys", "before", "binding", "values", "action", "after"),
                         [case[1:] for case in SET_CASES], ids=[case[0] for case in SET_CASES])
def test_set_rule(tmp_path: Path, keys: tuple[str, ...], before: str,
                  binding: tuple[str, str], values: dict[str, str], action: str,
                  after: str) -> None:
    path = tmp_path / "rules.toml"
    if before:
        path.write_text(before, encoding="utf-8")
    edited = RuleFile(path, keys, may_create=True)
    assert edited.set_rule(binding, values) == action
    edited.save()
    assert path.read_text(encoding="utf-8") == after
    again = RuleFile(path, keys)  # idempotent: the same edit finds nothing to change
    assert again.set_rule(binding, values) == "unchanged"
    assert again.text() == after


# (id, text before, binding, password, removed, text after)
REMOVE_CASES = [
    ("only-exact-password", '[[credentials]]\nurl = "https://a.example.com"\n'
     'password = "${keyring:https://a.example.com/#u}"\n\n'
     '[[credentials]]\nurl = "https://a.example.com"\npassword = "${MINE}"\n',
     ("url", "https://a.example.com/"), "${keyring:https://a.example.com/#u}", 1,
     '[[credentials]]\nurl = "https://a.example.com"\npassword = "${MINE}"\n'),
    ("last-rule-leaves-no-empty-array", '[vault]\naddr = "https://v"\n\n'
     '[[credentials]]\nsource = "private"\npassword = "${keyring:s#u}"\n',
     ("source", "private"), "${keyring:s#u}", 1, '[vault]\naddr = "https://v"\n\n'),
    ("other-password-kept", '[[credentials]]\nsource = "private"\npassword = "${X}"\n',
     ("source", "private"), "${keyring:s#u}", 0,
     '[[credentials]]\nsource = "private"\npassword = "${X}"\n'),
    ("no-rules-at-all", '# nothing\n', ("source", "private"), "${X}", 0, "# nothing\n"),
]


@pytest.mark.parametrize(("before", "binding", "password", "removed", "after"),
                         [case[1:] for case in REMOVE_CASES],
                         ids=[case[0] for case in REMOVE_CASES])
def test_remove_rules(tmp_path: Path, before: str, binding: tuple[str, str], password: str,
                      removed: int, after: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(before, encoding="utf-8")
    edited = RuleFile.user(path)
    assert edited.remove_rules(binding, password) == removed
    assert edited.text() == after


def test_project_rule_removal_drops_emptied_private_packages_table(tmp_path: Path) -> None:
    path = make_project(tmp_path, '\n[[tool.private-packages.credentials]]\nsource = "private"\n'
                                  'password = "${X}"\n\n[tool.black]\nx = 1\n')
    edited = RuleFile.project(path)
    assert edited.remove_rules(("source", "private"), "${X}") == 1
    assert edited.text() == SOURCES + "\n[tool.black]\nx = 1\n"


MESSY = """\
# Project file with comments, odd spacing and tables before and after the rules.
[project]
name    =   "app"        # spaced
version = '0.1.0'
dependencies = [
    "acme-internal",   # private
    'requests >=2',
]

[tool.poetry]
package-mode=false

[[tool.poetry.source]]
  name = "private"     # indented key
  url  = "https://pkgs.example.com/pypi/simple/"

[tool.ruff]   # linter
line-length = 100
\tselect = ["E"]

# trailing comment block
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_formatting_outside_the_rule_is_kept_byte_for_byte(tmp_path: Path,
                                                            newline: str) -> None:
    path = tmp_path / "pyproject.toml"
    original = MESSY.replace("\n", newline).encode()
    path.write_bytes(original)
    written = write_source_rule(path, "private", "${ACME_TOKEN}", "deploy-bot",
                                user_file=None, allow_literal=False)
    assert written.action == "added"
    data = path.read_bytes()
    assert data.startswith(original)
    added = data[len(original):].decode()
    assert "[[tool.private-packages.credentials]]" in added
    # Updating the rule later rewrites only the rule's own lines.
    write_source_rule(path, "private", "${vault:secret/ci/pypi#token}", None,
                      user_file=None, allow_literal=False)
    data = path.read_bytes()
    assert data.startswith(original)
    assert data[len(original):].decode() == added.replace(
        '"${ACME_TOKEN}"', '"${vault:secret/ci/pypi#token}"')


def test_written_rule_is_what_the_loader_loads(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    home = tmp_path / "home"
    user = home / ".config" / "private-packages" / "config.toml"
    write_source_rule(path, "private", "${ACME_TOKEN}", "deploy-bot", user_file=None,
                      allow_literal=False)
    write_source_rule(path, "uv-index", "${vault:secret/ci/pypi#token}", None, user_file=user,
                      allow_literal=False)
    trust({"HOME": str(home)}, path.parent)  # as `poetry source auth` records it
    config = load_config({"HOME": str(home)}, path.parent)
    assert config.errors == []
    project_rule = config.rules.for_source("private")
    user_rule = config.rules.find(location("https://uv.example.com/simple/acme/"))
    assert project_rule is not None
    assert user_rule is not None
    assert user_rule.source is None  # the user file binds the url (see below)
    assert (project_rule.layer, project_rule.url, project_rule.username,
            project_rule.password) == (Layer.PROJECT, "https://pkgs.example.com/pypi",
                                       "deploy-bot", "${ACME_TOKEN}")
    assert (user_rule.layer, user_rule.url, user_rule.username, user_rule.password) == (
        Layer.USER, "https://uv.example.com/", "__token__", "${vault:secret/ci/pypi#token}")


def test_username_defaults_to_the_existing_rules_then_token(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    assert write_source_rule(path, "private", "${A}", None, user_file=None,
                             allow_literal=False).username == "__token__"
    write_source_rule(path, "private", "${A}", "deploy-bot", user_file=None, allow_literal=False)
    kept = write_source_rule(path, "private", "${B}", None, user_file=None, allow_literal=False)
    assert (kept.action, kept.username) == ("updated", "deploy-bot")
    assert RuleFile.project(path).rules() == [
        {"source": "private", "username": "deploy-bot", "password": "${B}"}]


@pytest.mark.parametrize("global_", [False, True], ids=["project", "global"])
def test_a_username_with_a_colon_is_refused_before_anything_is_written(
        tmp_path: Path, global_: bool) -> None:
    """`source auth --username deploy:bot` and `login --username deploy:bot`: the loader
    would refuse the rule (RFC 7617), so nothing is written."""
    from poetry_private_plugin.keyring_store import SourceKeyring

    path = make_project(tmp_path)
    before = path.read_text()
    user = tmp_path / "config.toml"
    with pytest.raises(RuleFileError, match=r"^--username: the username holds a ':'"):
        write_source_rule(path, "private", "${A}", "deploy:bot",
                          user_file=user if global_ else None, allow_literal=False)
    with pytest.raises(RuleFileError, match=r"^--username: the username holds a ':'"):
        SourceKeyring(path, "private", user, "deploy:bot")
    assert path.read_text() == before and not user.exists()


def test_unchanged_rule_does_not_rewrite_the_file(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    write_source_rule(path, "private", "${A}", "u", user_file=None, allow_literal=False)
    inode = path.stat().st_ino
    again = write_source_rule(path, "private", "${A}", "u", user_file=None, allow_literal=False)
    assert again.action == "unchanged"
    assert path.stat().st_ino == inode


def test_save_is_atomic_and_keeps_the_mode(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    path.chmod(0o640)
    inode = path.stat().st_ino
    write_source_rule(path, "private", "${A}", None, user_file=None, allow_literal=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # replaced by rename, never truncated in place
    assert sorted(p.name for p in path.parent.iterdir()) == ["pyproject.toml"]


def test_failed_replace_leaves_the_file_and_no_temporary(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_project(tmp_path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        write_source_rule(path, "private", "${A}", None, user_file=None, allow_literal=False)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["pyproject.toml"]


def test_new_user_file_is_private(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    user = tmp_path / "home" / ".config" / "private-packages" / "config.toml"
    old_umask = os.umask(0o022)
    try:
        write_source_rule(path, "private", "${A}", None, user_file=user, allow_literal=False)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(user.stat().st_mode) == 0o600
    assert stat.S_IMODE(user.parent.stat().st_mode) == 0o700


def test_symlinked_file_is_written_through_the_link(tmp_path: Path) -> None:
    target = make_project(tmp_path)
    link = tmp_path / "link" / "pyproject.toml"
    link.parent.mkdir()
    link.symlink_to(target)
    write_source_rule(link, "private", "${A}", None, user_file=None, allow_literal=False)
    assert link.is_symlink()
    assert "[[tool.private-packages.credentials]]" in target.read_text()


def test_unknown_source_lists_the_known_names(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    before = path.read_bytes()
    with pytest.raises(UnknownSource) as caught:
        write_source_rule(path, "privat", "${A}", None, user_file=None, allow_literal=False)
    assert "no source named 'privat'" in str(caught.value)
    assert "(known: private, uv-index)" in str(caught.value)
    assert caught.value.exit_code == EXIT_CONFIG
    assert path.read_bytes() == before


def test_global_rule_needs_the_source_in_the_project_too(tmp_path: Path) -> None:
    user = tmp_path / "config.toml"
    with pytest.raises(UnknownSource):
        write_source_rule(make_project(tmp_path), "elsewhere", "${A}", None, user_file=user,
                          allow_literal=False)
    assert not user.exists()


def literal() -> str:
    return f"lit-{uuid.uuid4().hex[:8]}@:/#%? &+"


@pytest.mark.parametrize("global_", [False, True], ids=["project", "user"])
def test_literal_is_refused_unless_allowed(tmp_path: Path, global_: bool) -> None:
    path = make_project(tmp_path)
    user = tmp_path / "config.toml" if global_ else None
    secret = literal()
    with pytest.raises(LiteralSecretRefused) as caught:
        write_source_rule(path, "private", secret, None, user_file=user, allow_literal=False)
    assert secret not in str(caught.value)
    assert "--token-env" in str(caught.value)
    assert secret not in path.read_text()
    written = write_source_rule(path, "private", secret, None, user_file=user,
                                allow_literal=True)
    assert (written.literal, written.password_shown) == (True, "****")
    assert secret in (user or path).read_text()


@pytest.mark.parametrize(("text", "shown"), [
    ("${ACME_TOKEN}", "${ACME_TOKEN}"),
    ("${ACME_TOKEN:-fallback-literal}", "${ACME_TOKEN}"),
    ("${file:~/.secrets/acme}", "${file:~/.secrets/acme}"),
    ("prefix-${A}", "****${A}"),
    ("$${not-a-ref}", "****"),
], ids=["env", "fallback-hidden", "file", "literal-part", "escaped-dollar"])
def test_password_as_shown_never_holds_literal_text(tmp_path: Path, text: str,
                                                    shown: str) -> None:
    written = write_source_rule(make_project(tmp_path), "private", text, None, user_file=None,
                                allow_literal=True)
    assert written.password_shown == shown


@pytest.mark.parametrize("field", ["password", "username"])
def test_cmd_reference_refused_in_project_allowed_in_user_file(tmp_path: Path,
                                                               field: str) -> None:
    path = make_project(tmp_path)
    values = {"password": "${A}", "username": None, field: "${cmd:aws}"}
    with pytest.raises(CommandRefused, match="only honoured from your user config"):
        write_source_rule(path, "private", str(values["password"]), values["username"],
                          user_file=None, allow_literal=False)
    user = tmp_path / "config.toml"
    write_source_rule(path, "private", str(values["password"]), values["username"],
                      user_file=user, allow_literal=False)
    assert "${cmd:aws}" in user.read_text()


def test_malformed_reference_is_refused_with_its_column(tmp_path: Path) -> None:
    with pytest.raises(ReferenceSyntaxError, match="--password, column 1: unknown provider"):
        write_source_rule(make_project(tmp_path), "private", "${vualt:x#y}", None,
                          user_file=None, allow_literal=False)


@pytest.mark.parametrize(("text", "message"), [
    ("[project\nname = 'x'\n", "invalid TOML at line"),
    ("[tool]\nprivate-packages = 3\n", "tool.private-packages must be a table"),
    ("[tool.private-packages]\ncredentials = 'x'\n",
     "tool.private-packages.credentials must be an array of tables"),
    ("[tool.private-packages]\ncredentials = [1]\n", "every entry of"),
], ids=["invalid-toml", "parent-not-table", "rules-not-array", "entry-not-table"])
def test_broken_files_are_reported_not_rewritten(tmp_path: Path, text: str,
                                                 message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    with pytest.raises(RuleFileError, match=message):
        RuleFile.project(path).set_rule(("source", "x"), RULE)
    assert path.read_text() == text


def test_toml_error_does_not_quote_the_file(tmp_path: Path) -> None:
    secret = literal()
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[tool.private-packages]\npassword = "{secret}" junk\n')
    with pytest.raises(RuleFileError) as caught:
        RuleFile.project(path)
    assert "line 2" in str(caught.value)
    assert secret not in str(caught.value)
    assert "junk" not in str(caught.value)


def test_missing_project_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="does not exist"):
        RuleFile.project(tmp_path / "pyproject.toml")


def find_rule(path: Path, binding: tuple[str, str]) -> Optional[dict[str, object]]:
    return RuleFile.user(path).find(binding)


def test_find_returns_the_first_rule_the_loader_would_use(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[credentials]]\nsource = "a"\npassword = "${ONE}"\n\n'
                    '[[credentials]]\nsource = "a"\npassword = "${TWO}"\n')
    assert find_rule(path, ("source", "a")) == {"source": "a", "password": "${ONE}"}
    assert find_rule(path, ("source", "b")) is None
    assert find_rule(tmp_path / "absent.toml", ("source", "a")) is None


@pytest.mark.parametrize(("url", "username", "message"), [
    ("http://pkgs.example.com/simple/", None, "plain http to pkgs.example.com"),
    ("https://pkgs.example.com/simple/", "a#b", "cannot be empty or contain '#'"),
], ids=["plain-http", "hash-in-username"])
def test_login_refuses_what_no_rule_could_read(tmp_path: Path, url: str,
                                               username: Optional[str], message: str) -> None:
    from poetry_private_plugin.keyring_store import SourceKeyring

    project = tmp_path / "pyproject.toml"
    project.write_text(f'[[tool.poetry.source]]\nname = "private"\nurl = "{url}"\n')
    with pytest.raises(RuleFileError, match=message):
        SourceKeyring(project, "private", tmp_path / "config.toml", username)


def test_login_reference_names_the_source_prefix(tmp_path: Path) -> None:
    from poetry_private_plugin.keyring_store import SourceKeyring

    project = make_project(tmp_path)
    entry = SourceKeyring(project, "private", tmp_path / "config.toml", "deploy-bot")
    assert entry.service == "https://pkgs.example.com/pypi"
    assert entry.reference == "${keyring:https://pkgs.example.com/pypi#deploy-bot}"


# --------------------------------------------------------------------------- user file binds urls

OLD_USER_FILE = """\
# my rules
[[credentials]]
source = "private"   # written by an older `auth --global`
username = "deploy-bot"
password = "${OLD_TOKEN}"

[[credentials]]
url = "https://other.example.com/simple"
password = "${OTHER}"
"""


def test_global_rule_binds_the_url_and_replaces_a_by_name_rule(tmp_path: Path) -> None:
    """A user-file rule bound by name would serve any project's source of that name (a
    cloned one pointing it at another host): `auth --global` binds the source's prefix and
    drops the by-name rule, keeping its username."""
    path = make_project(tmp_path)
    home = tmp_path / "home"
    user = home / ".config" / "private-packages" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(OLD_USER_FILE)
    written = write_source_rule(path, "private", "${ACME_TOKEN}", None, user_file=user,
                                allow_literal=False)
    assert (written.action, written.url, written.replaced, written.username) == (
        "added", "https://pkgs.example.com/pypi", ("${OLD_TOKEN}",), "deploy-bot")
    assert user.read_text() == (
        '# my rules\n[[credentials]]\nurl = "https://other.example.com/simple"\n'
        'password = "${OTHER}"\n\n[[credentials]]\nurl = "https://pkgs.example.com/pypi"\n'
        'username = "deploy-bot"\npassword = "${ACME_TOKEN}"\n')
    config = load_config({"HOME": str(home)}, path.parent)
    assert config.errors == []
    rule = config.rules.find(location("https://pkgs.example.com/pypi/simple/acme/"))
    assert rule is not None and (rule.layer, rule.password) == (Layer.USER, "${ACME_TOKEN}")
    again = write_source_rule(path, "private", "${ACME_TOKEN}", None, user_file=user,
                              allow_literal=False)
    assert (again.action, again.replaced) == ("unchanged", ())


def test_global_rule_refuses_plain_http_to_another_host(tmp_path: Path) -> None:
    project = tmp_path / "pyproject.toml"
    project.write_text('[[tool.poetry.source]]\nname = "private"\n'
                       'url = "http://pkgs.example.com/simple/"\n')
    user = tmp_path / "config.toml"
    with pytest.raises(RuleFileError, match=r"plain http to pkgs\.example\.com"):
        write_source_rule(project, "private", "${A}", None, user_file=user,
                          allow_literal=False)
    assert not user.exists()


@pytest.mark.parametrize(("text", "shown"), [
    ("deploy-bot", "deploy-bot"), ("__token__", "__token__"), ("${GL_USER}", "${GL_USER}"),
    ("x7Kq9TmP2vLw8RzN4bYc", "****"), ("glpat-abc", "****"), ("${A:-lit-fallback}", "${A}"),
], ids=["name", "placeholder", "reference", "token-like", "token-prefix", "fallback-hidden"])
def test_written_username_is_shown_unless_it_may_be_a_token(tmp_path: Path, text: str,
                                                            shown: str) -> None:
    written = write_source_rule(make_project(tmp_path), "private", "${A}", text,
                                user_file=None, allow_literal=False)
    assert written.username_shown == shown


# --------------------------------------------------------------------------- login, in memory


class MemoryKeyring(KeyringBackend):
    """An in-memory store implementing keyring's real backend interface."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> Optional[str]:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.passwords[(service, username)]


KeyringBackend._classes.discard(MemoryKeyring)  # keep it out of keyring's own detection


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    import keyring.backend
    import keyring.core

    memory = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", memory)
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: [memory])
    return memory


SERVICE = "https://pkgs.example.com/pypi"


def test_login_rebinds_a_by_name_rule_to_the_url(tmp_path: Path,
                                                 memory_keyring: MemoryKeyring) -> None:
    from poetry_private_plugin.keyring_store import SourceKeyring

    user = tmp_path / "config.toml"
    user.write_text(OLD_USER_FILE)
    token = literal()
    entry = SourceKeyring(make_project(tmp_path), "private", user)
    outcome = entry.login(Secret(token))
    assert (outcome.user_rule, outcome.replaced) == ("added", ("${OLD_TOKEN}",))
    reference = f"${{keyring:{SERVICE}#deploy-bot}}"  # the by-name rule's username, adopted
    assert RuleFile.user(user).rules() == [
        {"url": "https://other.example.com/simple", "password": "${OTHER}"},
        {"url": SERVICE, "username": "deploy-bot", "password": reference}]
    assert memory_keyring.passwords == {(SERVICE, "deploy-bot"): token}
    assert token not in user.read_text()


def test_login_keeps_a_reference_username_for_the_rule_only(
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """A rule's `username = "${GL_USER}"` cannot name a keyring entry; only what the user
    typed is checked as --username, and the rule keeps its reference."""
    from poetry_private_plugin.keyring_store import SourceKeyring

    project = make_project(tmp_path)
    user = tmp_path / "config.toml"
    user.write_text(f'[[credentials]]\nurl = "{SERVICE}"\nusername = "${{GL_USER}}"\n'
                    f'password = "${{keyring:{SERVICE}#old}}"\n')
    with pytest.raises(RuleFileError) as caught:
        SourceKeyring(project, "private", user)
    assert str(caught.value) == (
        f"the rule for source 'private' in {user} has username ${{GL_USER}}, which cannot "
        "name a keyring entry; give --username NAME for the entry (the rule keeps its "
        "username)")
    entry = SourceKeyring(project, "private", user, "bob")
    assert (entry.username, entry.rule_username) == ("bob", "${GL_USER}")
    assert entry.login(Secret(literal())).user_rule == "updated"
    assert RuleFile.user(user).rules() == [
        {"url": SERVICE, "username": "${GL_USER}", "password": f"${{keyring:{SERVICE}#bob}}"}]


def test_login_masks_a_token_like_username_in_what_it_prints(tmp_path: Path) -> None:
    from poetry_private_plugin.keyring_store import SourceKeyring

    entry = SourceKeyring(make_project(tmp_path), "private", tmp_path / "config.toml",
                          "x7Kq9TmP2vLw8RzN4bYc")
    assert entry.username_shown == "****"
    assert entry.reference_shown == f"${{keyring:{SERVICE}#****}}"


def test_concurrent_global_writes_keep_every_rule(tmp_path: Path) -> None:
    """Six processes, each writing four user-file rules as `poetry source auth --global`
    does: the lock held from read to replace keeps all 24 (without it most are lost)."""
    import subprocess
    import sys
    import textwrap

    project = tmp_path / "pyproject.toml"
    project.write_text('[project]\nname = "x"\n' + "".join(
        f'[[tool.poetry.source]]\nname = "s{i}"\nurl = "https://idx{i}.example.com/simple/"\n'
        for i in range(24)))
    user = tmp_path / "home" / "config.toml"
    code = textwrap.dedent("""
        import sys
        from pathlib import Path
        from poetry_private_plugin.source_rule import write_source_rule
        first = int(sys.argv[3])
        for i in range(first, first + 4):
            write_source_rule(Path(sys.argv[1]), f"s{i}", "${T%d}" % i, None,
                              user_file=Path(sys.argv[2]), allow_literal=False)
    """)
    processes = [subprocess.Popen([sys.executable, "-c", code, str(project), str(user),
                                   str(n * 4)]) for n in range(6)]
    assert [p.wait(timeout=120) for p in processes] == [0] * 6
    text = user.read_text()
    assert sorted(i for i in range(24) if f'url = "https://idx{i}.example.com/"' in text) == \
        list(range(24))
