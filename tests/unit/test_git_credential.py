"""`git-credential-private-packages` (DESIGN.md "pip-private": git over HTTPS gets its
credential through git's credential-helper protocol): parsing what git writes, answering
only for the rule's prefix and username, staying silent otherwise, one value-free stderr
line for a secret that cannot be resolved, and the GIT_CONFIG_* variables that install it."""

from __future__ import annotations

import io
import json
import shlex
import sys
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.errors import ConfigError
from keyring_backend.git_credential import git_config_env, main, read_attributes
from keyring_backend.store import CredentialStore
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.trusting import trust

GITLAB = "https://gitlab.example.com/org"
LOCAL = "http://127.0.0.1:8929"

PYPROJECT = f"""
[[tool.private-packages.credentials]]
url = "{GITLAB}"
username = "gitlab-ci-token"
password = "${{GIT_TOKEN}}"

[[tool.private-packages.credentials]]
url = "{LOCAL}/"
username = "deploy-bot"
password = "${{LOCAL_TOKEN}}"

[[tool.private-packages.credentials]]
url = "https://whole.example.com"
username = "x-access-token"
password = "${{WHOLE_TOKEN}}"

[[tool.private-packages.credentials]]
url = "https://packed.example.com/team"
username = "bot"
password = "${{PACKED_SECRET#gitlab}}"

[[tool.private-packages.credentials]]
url = "https://missing.example.com/org"
username = "bot"
password = "${{MISSING_TOKEN}}"

[[tool.private-packages.credentials]]
url = "https://multiline.example.com/org"
username = "bot"
password = "${{MULTILINE_TOKEN}}"
"""


class Git:
    """One helper run as git does it: attributes on stdin, the answer on stdout."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch,
                 store: Optional[CredentialStore]) -> None:
        self.monkeypatch = monkeypatch
        self.store = store
        self.stdout = ""
        self.stderr = ""
        self.rest = ""  # what the helper left unread on stdin

    def __call__(self, argv: list[str], text: str = "",
                 env: Optional[dict[str, str]] = None) -> int:
        stdin, stdout, stderr = io.StringIO(text), io.StringIO(), io.StringIO()
        self.monkeypatch.setattr(sys, "stdin", stdin)
        self.monkeypatch.setattr(sys, "stdout", stdout)
        self.monkeypatch.setattr(sys, "stderr", stderr)
        code = main(argv, store=self.store, env=env)
        self.stdout, self.stderr, self.rest = stdout.getvalue(), stderr.getvalue(), stdin.read()
        return code


@pytest.fixture
def secrets() -> dict[str, str]:
    return {"GIT_TOKEN": make_canary("git"), "LOCAL_TOKEN": make_canary("local"),
            "WHOLE_TOKEN": make_canary("whole"), "MULTILINE_TOKEN": "line1\nline2-" +
            make_canary("multi"), "PACKED_SECRET": json.dumps({"nexus": make_canary("nexus")})}


@pytest.fixture
def env(tmp_path: Path, secrets: dict[str, str]) -> dict[str, str]:
    # HOME and XDG point at empty dirs: no user config of this machine takes part.
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
            **secrets}


@pytest.fixture
def project(tmp_path: Path, env: dict[str, str]) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    (path / "pyproject.toml").write_text(PYPROJECT)
    trust(env, path)  # the helper protocol is the subject; trust has its own tests
    return path


@pytest.fixture
def git(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], project: Path) -> Git:
    return Git(monkeypatch, CredentialStore(env=env, cwd=project))


def describe(protocol: str = "https", host: str = "gitlab.example.com",
             path: Optional[str] = "org/repo.git", **extra: str) -> str:
    lines = [f"protocol={protocol}", f"host={host}"]
    if path is not None:
        lines.append(f"path={path}")
    lines += [f"{key}={value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n\n"


def assert_clean(git: Git, secrets: dict[str, str]) -> None:
    for value in secrets.values():
        assert_not_in_texts(value, {"stderr": git.stderr})


# -- answering ------------------------------------------------------------------------

@pytest.mark.parametrize(("description", "username", "secret"), [
    pytest.param(describe(), "gitlab-ci-token", "GIT_TOKEN", id="path-below-prefix"),
    pytest.param(describe(path="org"), "gitlab-ci-token", "GIT_TOKEN", id="path-is-prefix"),
    pytest.param(describe(path="org/sub/deep/repo.git"), "gitlab-ci-token", "GIT_TOKEN",
                 id="deep-path"),
    pytest.param(describe(path="/org/repo.git"), "gitlab-ci-token", "GIT_TOKEN",
                 id="leading-slash-tolerated"),
    pytest.param(describe(path="org/my repo#1?.git"), "gitlab-ci-token", "GIT_TOKEN",
                 id="decoded-path-with-url-syntax"),
    pytest.param(describe(host="GitLab.Example.COM"), "gitlab-ci-token", "GIT_TOKEN",
                 id="host-case-insensitive"),
    pytest.param(describe(host="gitlab.example.com:443"), "gitlab-ci-token", "GIT_TOKEN",
                 id="explicit-default-port"),
    pytest.param(describe("http", "127.0.0.1:8929", "acme.git"), "deploy-bot", "LOCAL_TOKEN",
                 id="loopback-http-with-port"),
    pytest.param(describe(host="whole.example.com", path=None), "x-access-token",
                 "WHOLE_TOKEN", id="no-path-host-wide-rule"),
    pytest.param(describe(username="gitlab-ci-token"), "gitlab-ci-token", "GIT_TOKEN",
                 id="username-sent-matches"),
    pytest.param(describe(**{"wwwauth[]": 'Basic realm="git"', "capability[]": "authtype"}),
                 "gitlab-ci-token", "GIT_TOKEN", id="unknown-attributes-ignored"),
])
def test_get_answers_username_and_password(git: Git, secrets: dict[str, str],
                                           description: str, username: str,
                                           secret: str) -> None:
    assert git(["get"], description) == 0
    assert git.stdout == f"username={username}\npassword={secrets[secret]}\n"
    assert git.stderr == ""


@pytest.mark.parametrize("description", [
    pytest.param(describe(path=None), id="no-path-so-prefix-unknown"),
    pytest.param(describe(path="org2/repo.git"), id="sibling-prefix"),
    pytest.param(describe(path="other/repo.git"), id="other-path"),
    pytest.param(describe(path="org/../other/repo.git"), id="dot-segments-escape-prefix"),
    pytest.param(describe(path="org?x/../../other/repo.git"), id="query-cannot-truncate-path"),
    pytest.param(describe(path="org#x/../../other/repo.git"), id="hash-cannot-truncate-path"),
    # git decodes `/evil/..%2forg/repo.git` to this, while curl sends it raw (the server
    # reads it below /evil): a dot segment makes the path unknown (attack2:
    # test_git_paths.py); so do look-alikes a server might fold or trim
    pytest.param(describe(path="evil/../org/repo.git"), id="dots-walking-into-the-prefix"),
    pytest.param(describe(path="evil%2f/../org/repo.git"), id="dots-after-decoded-slash"),
    pytest.param(describe(path="org/./repo.git"), id="single-dot-inside"),
    pytest.param(describe(path="org/../org/repo.git"), id="dots-leaving-and-coming-back"),
    pytest.param(describe(path="evil/\uff0e\uff0e/org/repo.git"), id="full-width-dots"),
    pytest.param(describe(path="evil/..\t/org/repo.git"), id="dots-and-a-tab"),
    pytest.param(describe(host="gitlab.example.com:8443"), id="other-port"),
    pytest.param(describe("http"), id="https-rule-never-over-http"),
    pytest.param(describe(host="unknown.example.com"), id="no-rule-for-host"),
    pytest.param(describe("ssh"), id="not-http"),
    pytest.param(describe(username="someone-else"), id="username-mismatch"),
    pytest.param(describe(host="evil.example#@gitlab.example.com"), id="host-smuggles-fragment"),
    pytest.param(describe(host="evil.example/x@gitlab.example.com"), id="host-smuggles-path"),
    pytest.param(describe(host="gitlab.example.com@evil.example"), id="host-with-userinfo"),
    pytest.param(describe(host=""), id="empty-host"),
    pytest.param("", id="empty-input"),
])
def test_get_prints_nothing_when_no_rule_answers(git: Git, description: str) -> None:
    assert git(["get"], description) == 0
    assert git.stdout == ""
    assert git.stderr == ""


@pytest.mark.parametrize("path", ["evil/../org/repo.git", "x/./y.git", "a/\uff0e/b.git"])
def test_a_path_with_dot_segments_still_gets_a_rule_for_the_whole_host(
        git: Git, secrets: dict[str, str], path: str) -> None:
    """Unknown path, known origin: a rule bound to the whole origin covers any path."""
    assert git(["get"], describe(host="whole.example.com", path=path)) == 0
    assert git.stdout == f"username=x-access-token\npassword={secrets['WHOLE_TOKEN']}\n"


@pytest.mark.parametrize("operation", ["store", "erase", "capability", "some-future-op"])
def test_other_operations_drain_stdin_and_do_nothing(git: Git, secrets: dict[str, str],
                                                     operation: str) -> None:
    text = describe(username="gitlab-ci-token", password=secrets["GIT_TOKEN"])
    assert git([operation], text) == 0
    assert (git.stdout, git.stderr, git.rest) == ("", "", "")


def test_reading_stops_at_the_blank_line(git: Git) -> None:
    assert git(["get"], describe() + "protocol=https\nhost=ignored.example.com\n") == 0
    assert git.stdout.startswith("username=gitlab-ci-token\n")
    assert git.rest == "protocol=https\nhost=ignored.example.com\n"


def test_attributes_are_read_as_bytes_when_git_sends_non_utf8() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"protocol=https\r\nhost=h\npath=caf\xe9.git\n"
                                         b"novalue\n\n"), encoding="ascii")
    attributes = read_attributes(stream)
    assert attributes == {"protocol": "https", "host": "h", "path": "caf\udce9.git"}


# -- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "expected"), [
    pytest.param("missing.example.com", "MISSING_TOKEN", id="unset-variable"),
    pytest.param("packed.example.com", "nexus", id="missing-field-lists-names-only"),
    pytest.param("multiline.example.com", "line break", id="value-with-newline"),
])
def test_unresolvable_secret_is_one_stderr_line_and_exit_0(
        git: Git, secrets: dict[str, str], host: str, expected: str) -> None:
    path = "team/repo.git" if host.startswith("packed") else "org/repo.git"
    assert git(["get"], describe(host=host, path=path)) == 0
    assert git.stdout == ""
    lines = git.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("private-packages: ")
    assert expected in lines[0]
    assert "Traceback" not in git.stderr
    assert_clean(git, secrets)
    assert_not_in_texts("line2-", {"stderr": git.stderr})


def test_unexpected_exception_is_named_by_type_only(
        git: Git, secrets: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: CredentialStore, service: str, **kwargs: object) -> None:
        raise ValueError(f"oops {secrets['GIT_TOKEN']}")

    monkeypatch.setattr(CredentialStore, "rule_for_service", broken)
    assert git(["get"], describe()) == 0
    assert git.stdout == ""
    assert git.stderr == "private-packages: unexpected ValueError while answering git\n"
    assert_clean(git, secrets)


@pytest.mark.parametrize("argv", [
    pytest.param([], id="no-operation"),
    pytest.param(["get", "extra"], id="two-operations"),
    pytest.param(["--project-dir"], id="project-dir-without-value"),
    pytest.param(["--project-dir="], id="project-dir-empty"),
    pytest.param(["--project-dir", "/tmp"], id="project-dir-without-operation"),
    pytest.param(["--project-directory", "/tmp", "get"], id="unknown-option"),
])
def test_usage_errors_exit_2_with_one_line(git: Git, argv: list[str]) -> None:
    assert git(argv, describe()) == 2
    assert git.stdout == ""
    assert len(git.stderr.splitlines()) == 1
    assert git.stderr.startswith("private-packages: ")
    assert "usage: git-credential-private-packages" in git.stderr


def test_help_goes_to_stdout(git: Git) -> None:
    assert git(["--help"]) == 0
    assert git.stdout.startswith("usage: git-credential-private-packages")


# -- which project ----------------------------------------------------------------------

def test_unpinned_helper_reads_no_project_file(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], project: Path) -> None:
    # git runs helpers inside fresh clones: their pyproject.toml must not bind credentials.
    monkeypatch.chdir(project)
    git = Git(monkeypatch, None)
    assert git(["get"], describe(), env=env) == 0
    assert (git.stdout, git.stderr) == ("", "")


@pytest.mark.parametrize("style", ["separate", "equals"])
def test_project_dir_pins_the_project_wherever_git_runs(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], project: Path, tmp_path: Path,
        secrets: dict[str, str], style: str) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "pyproject.toml").write_text('[project]\nname = "cloned"\n')
    monkeypatch.chdir(clone)
    argv = (["--project-dir", str(project)] if style == "separate"
            else [f"--project-dir={project}"])
    git = Git(monkeypatch, None)
    assert git([*argv, "get"], describe(), env=env) == 0
    assert git.stdout == f"username=gitlab-ci-token\npassword={secrets['GIT_TOKEN']}\n"


def test_env_rules_answer_and_config_errors_are_reported(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tmp_path: Path,
        secrets: dict[str, str]) -> None:
    monkeypatch.chdir(tmp_path)
    env = {**env,
           "PRIVATE_PACKAGES_GIT_URL": f"{LOCAL}/acme",
           "PRIVATE_PACKAGES_GIT_USERNAME": "deploy-bot",
           "PRIVATE_PACKAGES_GIT_PASSWORD": "${LOCAL_TOKEN}",
           "PRIVATE_PACKAGES_PLAIN_URL": "http://insecure.example.com/",
           "PRIVATE_PACKAGES_PLAIN_PASSWORD": "${GIT_TOKEN}"}
    git = Git(monkeypatch, None)
    assert git(["get"], describe("http", "127.0.0.1:8929", "acme/lib.git"), env=env) == 0
    assert git.stdout == f"username=deploy-bot\npassword={secrets['LOCAL_TOKEN']}\n"
    assert git.stderr.startswith("private-packages: env PRIVATE_PACKAGES_PLAIN_*: refusing")
    assert_clean(git, secrets)


# -- GIT_CONFIG_* -----------------------------------------------------------------------

RULES = {"PRIVATE_PACKAGES_A_URL": "https://gitlab.example.com/org",
         "PRIVATE_PACKAGES_A_PASSWORD": "${T}",
         "PRIVATE_PACKAGES_B_URL": "https://gitlab.example.com/other",  # same origin as A
         "PRIVATE_PACKAGES_B_PASSWORD": "${T}",
         "PRIVATE_PACKAGES_C_URL": "http://127.0.0.1:8080/repos",
         "PRIVATE_PACKAGES_C_PASSWORD": "${T}"}


def test_git_config_env_scopes_the_helper_to_each_rule_origin(tmp_path: Path) -> None:
    project = tmp_path / "it's a project"
    env = {**RULES, "HOME": str(tmp_path), "GIT_CONFIG_COUNT": "2",
           "GIT_CONFIG_KEY_0": "credential.helper", "GIT_CONFIG_VALUE_0": "osxkeychain",
           "GIT_CONFIG_KEY_1": "http.sslVerify", "GIT_CONFIG_VALUE_1": "true"}
    added = git_config_env(env, project_dir=project)
    # 2 kept + 4 for each of the 2 origins + no proxy for the loopback http one
    assert added["GIT_CONFIG_COUNT"] == "11"
    assert (added["GIT_CONFIG_KEY_10"], added["GIT_CONFIG_VALUE_10"]) == (
        "http.http://127.0.0.1:8080.proxy", "")
    pairs = [(added[f"GIT_CONFIG_KEY_{i}"], added[f"GIT_CONFIG_VALUE_{i}"])
             for i in range(2, 10)]
    for origin, at in (("https://gitlab.example.com", 0), ("http://127.0.0.1:8080", 4)):
        (reset_key, reset), (helper_key, helper), (path_key, path), redirects = \
            pairs[at:at + 4]
        # the user's helpers are reset for this origin only, so their `store` never
        # receives our token; then ours; then paths, which rules bind; and no redirect,
        # which curl would follow with the credential the helper gave for another path
        assert (reset_key, reset) == (f"credential.{origin}.helper", "")
        assert helper_key == f"credential.{origin}.helper"
        assert (path_key, path) == (f"credential.{origin}.useHttpPath", "true")
        assert redirects == (f"http.{origin}.followRedirects", "false")
        assert helper.startswith("!")
        argv = shlex.split(helper[1:])
        assert argv[:2] == [sys.executable, "-c"]
        assert "keyring_backend.git_credential" in argv[2]
        assert argv[3:] == ["--project-dir", str(project.resolve())]
    assert "GIT_CONFIG_KEY_0" not in added  # the caller's entries are left as they were


@pytest.mark.parametrize("count", [None, "", "0"])
def test_git_config_env_starts_at_zero(count: Optional[str], tmp_path: Path) -> None:
    env = {**RULES, "HOME": str(tmp_path)}
    if count is not None:
        env["GIT_CONFIG_COUNT"] = count
    added = git_config_env(env)
    assert added["GIT_CONFIG_COUNT"] == "9"
    assert added["GIT_CONFIG_KEY_0"].startswith("credential.")
    assert shlex.split(added["GIT_CONFIG_VALUE_1"][1:])[-1] == str(Path.cwd().resolve())


@pytest.mark.parametrize(("url", "allow_http", "proxied"), [
    ("http://127.0.0.1:8080/repos", "", False),  # loopback http: never through a proxy
    ("http://[::1]:8080", "", False),
    ("http://localhost:8080", "", False),
    ("http://127.0.0.1:8080/repos", "1", True),  # you allowed http on the network anyway
    ("https://127.0.0.1:8443", "", True),  # TLS end to end: a proxy only tunnels it
    ("https://gitlab.example.com", "", True),
])
def test_git_config_env_keeps_a_loopback_http_credential_off_proxies(
        tmp_path: Path, url: str, allow_http: str, proxied: bool) -> None:
    env = {"HOME": str(tmp_path), "PRIVATE_PACKAGES_C_URL": url,
           "PRIVATE_PACKAGES_C_PASSWORD": "${T}", "PRIVATE_PACKAGES_C_ALLOW_HTTP": allow_http}
    added = git_config_env(env, project_dir=tmp_path)
    entries = {added[key]: added[key.replace("KEY", "VALUE")] for key in added
               if key.startswith("GIT_CONFIG_KEY_")}
    origin = url.removesuffix("/repos")
    assert {k: v for k, v in entries.items() if k.endswith(".proxy")} == (
        {} if proxied else {f"http.{origin}.proxy": ""})


def test_git_config_env_without_rules_changes_nothing(tmp_path: Path) -> None:
    assert git_config_env({"HOME": str(tmp_path), "GIT_CONFIG_COUNT": "1"},
                          project_dir=tmp_path) == {}


@pytest.mark.parametrize("count", ["two", "-1", "1.5"])
def test_git_config_env_rejects_a_bogus_count(count: str) -> None:
    with pytest.raises(ConfigError, match="GIT_CONFIG_COUNT"):
        git_config_env({"GIT_CONFIG_COUNT": count})
