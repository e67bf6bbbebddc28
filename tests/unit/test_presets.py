"""CI presets (DESIGN.md "Credential rules", last layer): each active only when its CI's
marker and its token variable are set, locked to its own server, referencing the token
instead of copying it, and losing to every other layer for the same prefix."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.errors import UnresolvedReference
from keyring_backend.presets import (
    PRESETS,
    azure_pipelines,
    bitbucket_pipelines,
    github_actions,
    gitlab_ci,
    preset_rules,
)
from keyring_backend.rules import CredentialRule, Layer
from keyring_backend.secret import Secret
from keyring_backend.store import CredentialStore
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts

GITLAB_ORIGIN = "GitLab CI preset (CI_JOB_TOKEN)"
GITHUB_ORIGIN = "GitHub Actions preset (GITHUB_TOKEN)"
BITBUCKET_ORIGIN = "Bitbucket Pipelines preset (BITBUCKET_ACCESS_TOKEN)"
AZURE_ORIGIN = "Azure Pipelines preset (SYSTEM_ACCESSTOKEN)"

# Each CI's own variables without its token; tests add the token (a fresh canary), so no
# random value ever reaches a parametrize id (xdist compares ids across workers).
GITLAB = {"CI": "true", "GITLAB_CI": "true", "CI_SERVER_URL": "https://gitlab.example.com",
          "CI_SERVER_HOST": "gitlab.example.com", "CI_SERVER_PORT": "443",
          "CI_SERVER_PROTOCOL": "https"}
GITHUB = {"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com"}
BITBUCKET = {"CI": "true", "BITBUCKET_BUILD_NUMBER": "42", "BITBUCKET_WORKSPACE": "acme"}
AZURE = {"TF_BUILD": "True", "SYSTEM_COLLECTIONURI": "https://dev.azure.com/fabrikam/"}

TOKEN_VAR = {"gitlab": "CI_JOB_TOKEN", "github": "GITHUB_TOKEN",
             "bitbucket": "BITBUCKET_ACCESS_TOKEN", "azure": "SYSTEM_ACCESSTOKEN"}
CI_ENV = {"gitlab": GITLAB, "github": GITHUB, "bitbucket": BITBUCKET, "azure": AZURE}
USERNAME = {"gitlab": "gitlab-ci-token", "github": "x-access-token",
            "bitbucket": "x-token-auth", "azure": "azure-pipelines"}
ORIGIN = {"gitlab": GITLAB_ORIGIN, "github": GITHUB_ORIGIN, "bitbucket": BITBUCKET_ORIGIN,
          "azure": AZURE_ORIGIN}


@pytest.fixture
def token() -> str:
    return make_canary("ci")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="private_packages")
    return caplog


def job(ci: str, token: str, **overrides: Optional[str]) -> dict[str, str]:
    """A CI job's environment: its variables, its token, then overrides (None removes)."""
    env = {**CI_ENV[ci], TOKEN_VAR[ci]: token}
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def store_for(tmp_path: Path, env: dict[str, str]) -> CredentialStore:
    """A store over `env` itself (plus a HOME) and a project folder of its own: no rule
    file unless a test writes one, and nothing from this machine."""
    home = tmp_path / "home"
    project = tmp_path / "project"
    home.mkdir(exist_ok=True)
    project.mkdir(exist_ok=True)
    env.setdefault("HOME", str(home))
    return CredentialStore(env=env, cwd=project)


def summary(rules: list[CredentialRule]) -> list[tuple[str, str, str, str]]:
    return [(r.origin, r.username, r.url, r.password) for r in rules]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


# --------------------------------------------------------------------------- env -> rules


def test_registry_order() -> None:
    order = [gitlab_ci, github_actions, bitbucket_pipelines, azure_pipelines]
    assert order == PRESETS


@pytest.mark.parametrize(
    ("ci", "overrides", "urls"),
    [
        ("gitlab", {}, ["https://gitlab.example.com/"]),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com/"}, ["https://gitlab.example.com/"]),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com:8443"},
         ["https://gitlab.example.com:8443/"]),
        ("gitlab", {"CI_SERVER_URL": "https://Example.COM/gitlab/"},  # relative URL root
         ["https://example.com/gitlab"]),
        ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, ["http://127.0.0.1:8080/"]),
        ("gitlab", {"CI_SERVER_URL": "http://localhost:8080"}, ["http://localhost:8080/"]),
        ("gitlab", {"CI_SERVER_URL": "http://[::1]:8080"}, ["http://[::1]:8080/"]),
        ("gitlab", {"CI_SERVER_URL": None}, ["https://gitlab.example.com/"]),
        ("gitlab", {"CI_SERVER_URL": "", "CI_SERVER_PORT": None}, ["https://gitlab.example.com/"]),
        ("gitlab", {"CI_SERVER_URL": None, "CI_SERVER_PORT": "8443"},
         ["https://gitlab.example.com:8443/"]),
        ("github", {}, ["https://github.com/"]),
        ("github", {"GITHUB_SERVER_URL": None}, ["https://github.com/"]),
        ("github", {"GITHUB_SERVER_URL": "https://ghes.example.com"},
         ["https://ghes.example.com/"]),
        ("bitbucket", {}, ["https://bitbucket.org/"]),
        ("azure", {}, ["https://dev.azure.com/fabrikam", "https://pkgs.dev.azure.com/fabrikam"]),
        ("azure", {"TF_BUILD": "true"},
         ["https://dev.azure.com/fabrikam", "https://pkgs.dev.azure.com/fabrikam"]),
        ("azure", {"SYSTEM_COLLECTIONURI": None,
                   "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI": "https://dev.azure.com/fabrikam/"},
         ["https://dev.azure.com/fabrikam", "https://pkgs.dev.azure.com/fabrikam"]),
        ("azure", {"SYSTEM_COLLECTIONURI": "https://Fabrikam.visualstudio.com/"},
         ["https://fabrikam.visualstudio.com/", "https://fabrikam.pkgs.visualstudio.com/"]),
        ("azure", {"SYSTEM_COLLECTIONURI": "https://tfs.example.com/tfs/DefaultCollection/"},
         ["https://tfs.example.com/tfs/DefaultCollection"]),
    ],
    ids=["gitlab", "gitlab-slash", "gitlab-port", "gitlab-relative-root", "gitlab-loopback-ip",
         "gitlab-localhost", "gitlab-ipv6-loopback", "gitlab-host-var", "gitlab-host-empty-url",
         "gitlab-host-port-var", "github", "github-default-server", "github-enterprise",
         "bitbucket", "azure", "azure-lowercase-marker", "azure-teamfoundation-var",
         "azure-visualstudio", "azure-server"],
)
def test_env_gives_rules(ci: str, overrides: dict[str, Optional[str]], urls: list[str],
                         token: str, tmp_path: Path) -> None:
    env = job(ci, token, **overrides)

    rules = preset_rules(env)

    # The token is referenced, not copied: it is read when a client asks.
    reference = "${" + TOKEN_VAR[ci] + "}"
    assert summary(rules) == [(ORIGIN[ci], USERNAME[ci], url, reference) for url in urls]
    assert all(r.layer is Layer.PRESET and not r.allow_http for r in rules)
    config = store_for(tmp_path, env).config
    assert config.errors == []
    assert summary(config.rules.rules) == summary(rules)


def test_every_ci_at_once_keeps_each_token_on_its_own_host(token: str, tmp_path: Path) -> None:
    env = {**GITLAB, **GITHUB, **BITBUCKET, **AZURE,
           **{var: f"{token}-{ci}" for ci, var in TOKEN_VAR.items()}}
    store = store_for(tmp_path, env)
    for service, ci in [("https://gitlab.example.com/api/v4/projects/1/packages/pypi/simple/",
                         "gitlab"),
                        ("https://github.com/acme/lib.git/info/refs", "github"),
                        ("https://bitbucket.org/acme/lib.git/info/refs", "bitbucket"),
                        ("https://pkgs.dev.azure.com/fabrikam/_packaging/f/pypi/simple/",
                         "azure")]:
        rule = store.rule_for_service(service)
        assert rule is not None and rule.origin == ORIGIN[ci]
        assert store.resolve(rule).password == Secret(f"{token}-{ci}")


# --------------------------------------------------------------------------- inactive


@pytest.mark.parametrize(
    ("ci", "overrides"),
    [
        ("gitlab", {"GITLAB_CI": None}),
        ("gitlab", {"GITLAB_CI": "false"}),
        ("gitlab", {"GITLAB_CI": ""}),
        ("gitlab", {"CI_JOB_TOKEN": None}),
        ("gitlab", {"CI_JOB_TOKEN": ""}),
        ("gitlab", {"CI_JOB_TOKEN": "  "}),
        ("github", {"GITHUB_ACTIONS": None}),
        ("github", {"GITHUB_ACTIONS": "1"}),
        ("github", {"GITHUB_TOKEN": None}),  # the workflow did not map it into env
        ("github", {"GITHUB_TOKEN": ""}),
        ("bitbucket", {"BITBUCKET_BUILD_NUMBER": None}),
        ("bitbucket", {"BITBUCKET_BUILD_NUMBER": ""}),
        ("bitbucket", {"BITBUCKET_ACCESS_TOKEN": None}),
        ("bitbucket", {"BITBUCKET_ACCESS_TOKEN": ""}),
        ("azure", {"TF_BUILD": None}),
        ("azure", {"TF_BUILD": "False"}),
        ("azure", {"SYSTEM_ACCESSTOKEN": None}),  # the pipeline did not map it into env
        ("azure", {"SYSTEM_ACCESSTOKEN": ""}),
    ],
    ids=["gitlab-no-marker", "gitlab-marker-false", "gitlab-marker-empty", "gitlab-no-token",
         "gitlab-empty-token", "gitlab-blank-token", "github-no-marker", "github-marker-1",
         "github-no-token", "github-empty-token", "bitbucket-no-marker",
         "bitbucket-empty-marker", "bitbucket-no-token", "bitbucket-empty-token",
         "azure-no-marker", "azure-marker-false", "azure-no-token", "azure-empty-token"],
)
def test_inactive_without_marker_or_token(ci: str, overrides: dict[str, Optional[str]],
                                          token: str, tmp_path: Path,
                                          logs: pytest.LogCaptureFixture) -> None:
    env = job(ci, token, **overrides)
    store = store_for(tmp_path, env)
    assert preset_rules(env) == []
    assert store.config.rules.rules == []
    assert store.config.errors == []
    assert store.rule_for_service("https://gitlab.example.com/api/v4/x") is None
    assert logs.records == []  # an inactive preset is silent


def test_no_ci_at_all(tmp_path: Path) -> None:
    assert preset_rules({}) == []
    assert store_for(tmp_path, {}).config.rules.rules == []


# --------------------------------------------------------------------------- refused servers


@pytest.mark.parametrize(
    ("ci", "overrides", "reason"),
    [
        ("gitlab", {"CI_SERVER_URL": "http://gitlab.example.com"},
         "CI_SERVER_URL is plain http to gitlab.example.com; a preset sends its token over "
         "https only"),
        ("gitlab", {"CI_SERVER_URL": "http://gitlab.example.com:8080/"}, "plain http"),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com@evil.io/"}, "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "https://x:hunter2-userinfo@gitlab.example.com"},
         "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com\\@evil.io/"}, "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "gitlab.example.com"}, "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "ftp://gitlab.example.com"}, "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com/?next=evil.io"},
         "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com#evil"}, "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com:99999"}, "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": "https://gitlab example.com"}, "CI_SERVER_URL"),
        ("gitlab", {"CI_SERVER_URL": None, "CI_SERVER_HOST": "evil.io/gitlab.example.com"},
         "CI_SERVER_HOST"),
        ("gitlab", {"CI_SERVER_URL": None, "CI_SERVER_HOST": "gitlab.example.com@evil.io"},
         "CI_SERVER_HOST"),
        ("gitlab", {"CI_SERVER_URL": None, "CI_SERVER_PORT": "443/evil"}, "CI_SERVER_PORT"),
        ("gitlab", {"CI_SERVER_URL": None, "CI_SERVER_HOST": None},
         "neither CI_SERVER_URL nor CI_SERVER_HOST"),
        ("github", {"GITHUB_SERVER_URL": "http://ghes.example.com"}, "plain http"),
        ("github", {"GITHUB_SERVER_URL": "https://github.com@evil.io"}, "GITHUB_SERVER_URL"),
        ("azure", {"SYSTEM_COLLECTIONURI": "http://tfs.example.com/tfs/DefaultCollection/"},
         "plain http"),
        ("azure", {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/"}, "SYSTEM_COLLECTIONURI"),
        ("azure", {"SYSTEM_COLLECTIONURI": "https://dev.azure.com/fabrikam/proj/"},
         "SYSTEM_COLLECTIONURI"),
        ("azure", {"SYSTEM_COLLECTIONURI": "https://evil.io@dev.azure.com/fabrikam/"},
         "SYSTEM_COLLECTIONURI"),
        ("azure", {"SYSTEM_COLLECTIONURI": None}, "neither SYSTEM_COLLECTIONURI"),
    ],
    ids=["gitlab-http", "gitlab-http-port", "gitlab-userinfo-trick", "gitlab-userinfo",
         "gitlab-backslash", "gitlab-no-scheme", "gitlab-ftp", "gitlab-query", "gitlab-fragment",
         "gitlab-bad-port", "gitlab-space", "gitlab-host-path", "gitlab-host-userinfo",
         "gitlab-port-path", "gitlab-no-server", "github-http", "github-userinfo",
         "azure-server-http", "azure-no-org", "azure-extra-segment", "azure-userinfo",
         "azure-no-collection"],
)
def test_unsafe_server_contributes_nothing_and_says_why_at_debug(
        ci: str, overrides: dict[str, Optional[str]], reason: str, token: str,
        tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    env = job(ci, token, **overrides)
    store = store_for(tmp_path, env)

    assert preset_rules(env) == []
    assert store.config.rules.rules == []
    assert store.config.errors == []  # not a config error: nobody asked for this preset
    messages = [r.getMessage() for r in logs.records]
    assert messages and all(r.levelno == logging.DEBUG for r in logs.records)
    assert all(m.startswith(f"private-packages: {ORIGIN[ci]} contributes no rule: ")
               for m in messages)
    assert any(reason in m for m in messages)
    assert_not_in_texts(token, {"log": "\n".join(messages)})
    assert "hunter2" not in "\n".join(messages)  # a server URL's userinfo is never echoed


# --------------------------------------------------------------------------- host lock

LOCKS: list[tuple[str, dict[str, Optional[str]], str, bool]] = [
    # GitLab: the whole server -- registry under /api/v4, repositories beside it
    ("gitlab", {}, "https://gitlab.example.com/api/v4/projects/12/packages/pypi/simple/", True),
    ("gitlab", {}, "https://gitlab.example.com/api/v4/groups/7/-/packages/pypi/files/0f/a-1.whl"
                   "#sha256=0f", True),
    ("gitlab", {}, "https://gitlab.example.com/acme/tools.git/info/refs?service=git-upload-pack",
     True),
    ("gitlab", {}, "https://GitLab.Example.COM./acme/tools.git", True),
    ("gitlab", {}, "https://gitlab.example.com:443/acme/tools.git", True),
    ("gitlab", {}, "https://evil.gitlab.example.com/api/v4/projects/1/packages/pypi/simple/",
     False),
    ("gitlab", {}, "https://gitlab.example.com.evil.io/api/v4/", False),
    ("gitlab", {}, "https://gitlab-example.com/api/v4/", False),
    ("gitlab", {}, "https://gitlabexample.com/", False),
    ("gitlab", {}, "https://example.com/", False),
    ("gitlab", {}, "https://gitlab.example.com@evil.io/api/v4/", False),
    ("gitlab", {}, "https://gitlab.example.com:443@evil.io/", False),
    ("gitlab", {}, "https://gitlab-ci-token@evil.io/gitlab.example.com/", False),
    ("gitlab", {}, "https://evil.io/?next=https://gitlab.example.com/", False),
    ("gitlab", {}, "https://evil.io#@gitlab.example.com/", False),
    ("gitlab", {}, "https://gitlab.example.com:8443/api/v4/", False),
    ("gitlab", {}, "http://gitlab.example.com/api/v4/", False),
    ("gitlab", {}, "http://gitlab.example.com:443/api/v4/", False),
    ("gitlab", {}, "gitlab.example.com", False),
    ("gitlab", {}, "gitlab.example.com:443", False),
    ("gitlab", {}, "gitlab.example.com:80", False),
    ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com:8443"},
     "https://gitlab.example.com:8443/api/v4/projects/1/packages/pypi/simple/", True),
    ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com:8443"},
     "https://gitlab.example.com/api/v4/projects/1/packages/pypi/simple/", False),
    ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com:8443"},
     "https://gitlab.example.com:8444/api/v4/", False),
    ("gitlab", {"CI_SERVER_URL": "https://gitlab.example.com:8443"},
     "http://gitlab.example.com:8443/api/v4/", False),
    ("gitlab", {"CI_SERVER_URL": "https://example.com/gitlab"},
     "https://example.com/gitlab/api/v4/projects/1/packages/pypi/simple/", True),
    ("gitlab", {"CI_SERVER_URL": "https://example.com/gitlab"}, "https://example.com/gitlabx/",
     False),
    ("gitlab", {"CI_SERVER_URL": "https://example.com/gitlab"}, "https://example.com/other/",
     False),
    # loopback may use plain http (tests, local mirrors): still exactly that host and port
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080/simple/", True),
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "127.0.0.1:8080", True),
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "http://127.0.0.1:8081/simple/",
     False),
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "127.0.0.1:8081", False),
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "127.0.0.1", False),
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "http://127.0.0.2:8080/simple/",
     False),
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "http://localhost:8080/simple/",
     False),
    ("gitlab", {"CI_SERVER_URL": "http://127.0.0.1:8080"}, "https://127.0.0.1:8080/simple/",
     False),
    # GitHub: git on the workflow's server only
    ("github", {}, "https://github.com/acme/lib.git/info/refs?service=git-upload-pack", True),
    ("github", {}, "https://github.com/acme/lib/archive/refs/tags/v1.0.zip", True),
    ("github", {}, "https://api.github.com/repos/acme/lib", False),
    ("github", {}, "https://codeload.github.com/acme/lib/zip/refs/heads/main", False),
    ("github", {}, "https://raw.githubusercontent.com/acme/lib/main/setup.py", False),
    ("github", {}, "https://gist.github.com/acme/1", False),
    ("github", {}, "https://github.com.evil.io/acme/lib.git", False),
    ("github", {}, "https://evil-github.com/acme/lib.git", False),
    ("github", {}, "https://github.com@evil.io/acme/lib.git", False),
    ("github", {}, "http://github.com/acme/lib.git", False),
    ("github", {}, "https://github.com:8443/acme/lib.git", False),
    ("github", {}, "github.com", False),
    ("github", {}, "github.com:443", False),
    ("github", {"GITHUB_SERVER_URL": "https://ghes.example.com"},
     "https://ghes.example.com/acme/lib.git", True),
    ("github", {"GITHUB_SERVER_URL": "https://ghes.example.com"},
     "https://github.com/acme/lib.git", False),
    # Bitbucket: git on bitbucket.org only
    ("bitbucket", {}, "https://bitbucket.org/acme/lib.git/info/refs?service=git-upload-pack",
     True),
    ("bitbucket", {}, "https://api.bitbucket.org/2.0/repositories/acme/lib", False),
    ("bitbucket", {}, "https://bitbucket.org.evil.io/acme/lib.git", False),
    ("bitbucket", {}, "https://evil-bitbucket.org/acme/lib.git", False),
    ("bitbucket", {}, "https://bitbucket.org@evil.io/acme/lib.git", False),
    ("bitbucket", {}, "http://bitbucket.org/acme/lib.git", False),
    ("bitbucket", {}, "https://bitbucket.org:8443/acme/lib.git", False),
    ("bitbucket", {}, "bitbucket.org", False),
    # Azure: the organisation's repositories and feeds only
    ("azure", {}, "https://dev.azure.com/fabrikam/proj/_git/lib/info/refs", True),
    ("azure", {}, "https://pkgs.dev.azure.com/fabrikam/_packaging/feed/pypi/simple/", True),
    ("azure", {}, "https://pkgs.dev.azure.com/fabrikam/proj/_packaging/feed/pypi/simple/", True),
    ("azure", {}, "https://dev.azure.com/fabrikamfiber/proj/_git/lib", False),
    ("azure", {}, "https://dev.azure.com/fabrikam/../other/_git/lib", False),
    ("azure", {}, "https://dev.azure.com/other/proj/_git/lib", False),
    ("azure", {}, "https://dev.azure.com/", False),
    ("azure", {}, "https://pkgs.dev.azure.com/other/_packaging/feed/pypi/simple/", False),
    ("azure", {}, "https://pkgs.dev.azure.com/fabrikam-evil/_packaging/feed/pypi/simple/", False),
    ("azure", {}, "https://evil.dev.azure.com/fabrikam/", False),
    ("azure", {}, "https://dev.azure.com.evil.io/fabrikam/", False),
    ("azure", {}, "https://dev.azure.com@evil.io/fabrikam/", False),
    ("azure", {}, "http://dev.azure.com/fabrikam/proj/_git/lib", False),
    ("azure", {}, "https://fabrikam.visualstudio.com/proj/_git/lib", False),
    ("azure", {"SYSTEM_COLLECTIONURI": "https://fabrikam.visualstudio.com/"},
     "https://fabrikam.visualstudio.com/proj/_git/lib", True),
    ("azure", {"SYSTEM_COLLECTIONURI": "https://fabrikam.visualstudio.com/"},
     "https://fabrikam.pkgs.visualstudio.com/_packaging/feed/pypi/simple/", True),
    ("azure", {"SYSTEM_COLLECTIONURI": "https://fabrikam.visualstudio.com/"},
     "https://evil.visualstudio.com/proj/_git/lib", False),
    ("azure", {"SYSTEM_COLLECTIONURI": "https://fabrikam.visualstudio.com/"},
     "https://fabrikam.visualstudio.com.evil.io/", False),
    ("azure", {"SYSTEM_COLLECTIONURI": "https://tfs.example.com/tfs/DefaultCollection/"},
     "https://tfs.example.com/tfs/DefaultCollection/_packaging/feed/pypi/simple/", True),
    ("azure", {"SYSTEM_COLLECTIONURI": "https://tfs.example.com/tfs/DefaultCollection/"},
     "https://tfs.example.com/tfs/OtherCollection/_git/lib", False),
]


@pytest.mark.parametrize(("ci", "overrides", "service", "matches"), LOCKS,
                         ids=[f"{ci}-{i}" for i, (ci, *_) in enumerate(LOCKS)])
def test_token_only_goes_to_its_own_server(ci: str, overrides: dict[str, Optional[str]],
                                           service: str, matches: bool, token: str,
                                           tmp_path: Path) -> None:
    store = store_for(tmp_path, job(ci, token, **overrides))
    assert store.config.rules.rules  # the preset is active; only the URL decides

    rule = store.rule_for_service(service)

    if matches:
        assert rule is not None and rule.origin == ORIGIN[ci]
    else:
        assert rule is None


# --------------------------------------------------------------------------- resolution


@pytest.mark.parametrize("ci", ["gitlab", "github", "bitbucket", "azure"])
def test_resolves_to_the_ci_username_and_the_token_without_showing_it(
        ci: str, token: str, tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    service = {"gitlab": "https://gitlab.example.com/api/v4/projects/1/packages/pypi/simple/",
               "github": "https://github.com/acme/lib.git",
               "bitbucket": "https://bitbucket.org/acme/lib.git",
               "azure": "https://pkgs.dev.azure.com/fabrikam/_packaging/f/pypi/simple/"}[ci]
    store = store_for(tmp_path, job(ci, token))

    rule = store.rule_for_service(service)
    assert rule is not None
    credential = store.resolve(rule)

    assert credential.username == USERNAME[ci]
    assert credential.password == Secret(token)
    assert credential.password.reveal() == token
    messages = [r.getMessage() for r in logs.records]
    assert any(ORIGIN[ci] in m and TOKEN_VAR[ci] in m for m in messages), messages
    assert_not_in_texts(token, {"repr(rule)": repr(rule), "str(rule)": str(rule),
                                "repr(credential)": repr(credential),
                                "str(credential)": str(credential),
                                "log": "\n".join(messages)}, username=USERNAME[ci])


def test_token_is_read_when_asked_not_when_loaded(token: str, tmp_path: Path) -> None:
    env = job("gitlab", token)
    store = store_for(tmp_path, env)
    rule = store.rule_for_service("https://gitlab.example.com/api/v4/x")
    assert rule is not None

    env["CI_JOB_TOKEN"] = rotated = token + "-next"
    assert store.resolve(rule).password == Secret(rotated)

    del env["CI_JOB_TOKEN"]
    with pytest.raises(UnresolvedReference) as raised:
        store.resolve(rule)
    assert "CI_JOB_TOKEN" in str(raised.value) and GITLAB_ORIGIN in str(raised.value)
    assert_not_in_texts(token, {"error": str(raised.value)})


# --------------------------------------------------------------------------- precedence

SERVICE = "https://gitlab.example.com/api/v4/projects/12/packages/pypi/simple/"


def explicit_rule(layer: str, url: str, tmp_path: Path) -> dict[str, str]:
    """Write a `deploy-bot` rule for `url` in `layer`; returns env additions."""
    if layer == "env":
        return {"PRIVATE_PACKAGES_DEPLOY_URL": url,
                "PRIVATE_PACKAGES_DEPLOY_USERNAME": "deploy-bot",
                "PRIVATE_PACKAGES_DEPLOY_PASSWORD": "${DEPLOY_TOKEN}"}
    table = f'url = "{url}"\nusername = "deploy-bot"\npassword = "${{DEPLOY_TOKEN}}"\n'
    if layer == "project":
        write(tmp_path / "project" / "pyproject.toml",
              "[[tool.private-packages.credentials]]\n" + table)
    else:
        write(tmp_path / "home" / ".config" / "private-packages" / "config.toml",
              "[[credentials]]\n" + table)
    return {}


@pytest.mark.parametrize("layer", ["env", "project", "user"])
@pytest.mark.parametrize("url", ["https://gitlab.example.com",
                                 "https://gitlab.example.com/api/v4/projects/12/packages/pypi"],
                         ids=["same-prefix", "longer-prefix"])
def test_every_other_layer_wins_over_the_preset(layer: str, url: str, token: str,
                                                tmp_path: Path) -> None:
    deploy = token + "-deploy"
    extra = explicit_rule(layer, url, tmp_path)
    store = store_for(tmp_path, {**job("gitlab", token), **extra, "DEPLOY_TOKEN": deploy})
    assert store.config.errors == []

    rule = store.rule_for_service(SERVICE)

    assert rule is not None and rule.layer is not Layer.PRESET
    credential = store.resolve(rule)
    assert (credential.username, credential.password) == ("deploy-bot", Secret(deploy))


def test_preset_still_answers_beside_a_narrower_explicit_rule(token: str,
                                                              tmp_path: Path) -> None:
    extra = explicit_rule("project", "https://gitlab.example.com/api/v4/projects/12", tmp_path)
    store = store_for(tmp_path, {**job("gitlab", token), **extra, "DEPLOY_TOKEN": "d"})

    other = store.rule_for_service("https://gitlab.example.com/api/v4/projects/13/packages/"
                                   "pypi/simple/")

    assert other is not None and other.origin == GITLAB_ORIGIN
    assert store.resolve(other).password == Secret(token)
