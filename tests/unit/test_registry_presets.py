"""Registry presets: every registry's URL shapes and usernames, the one-line errors, and the
printed snippets loading through `load_config` as working rules."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.config import load_config
from keyring_backend.errors import ConfigError
from keyring_backend.registry_presets import (
    PRESET_NAMES,
    PRESET_OPTIONS,
    build_preset,
    env_lines,
    normalise_host,
    rule_toml,
)
from keyring_backend.registry_presets_table import SPECS
from keyring_backend.urls import parse_location
from tests.trusting import trust

CA = "https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/internal"
GAR = "https://europe-west1-python.pkg.dev/acme-prod/python"
AZ = "https://pkgs.dev.azure.com/acme"

# (preset, options, token_env, index_url, upload_url, rule_url, username, password)
TABLE = [
    ("gitlab", {"host": "gitlab.example.com", "project": "29"}, None,
     "https://gitlab.example.com/api/v4/projects/29/packages/pypi/simple",
     "https://gitlab.example.com/api/v4/projects/29/packages/pypi",
     "https://gitlab.example.com/api/v4/projects/29/packages/pypi", "__token__",
     "${GITLAB_TOKEN}"),
    ("gitlab", {"group": "acme/platform"}, "CI_JOB_TOKEN",
     "https://gitlab.com/api/v4/groups/acme%2Fplatform/-/packages/pypi/simple", None,
     "https://gitlab.com/api/v4", "gitlab-ci-token",
     "${CI_JOB_TOKEN}"),
    ("gitlab", {"host": "https://git.acme.io:8443/", "group": "12",
                "user": "gitlab+deploy-token-3"}, "DEPLOY_TOKEN",
     "https://git.acme.io:8443/api/v4/groups/12/-/packages/pypi/simple", None,
     "https://git.acme.io:8443/api/v4", "gitlab+deploy-token-3",
     "${DEPLOY_TOKEN}"),
    ("github", {"owner": "acme"}, None, None, None, "https://github.com/acme", "x-access-token",
     "${GITHUB_TOKEN}"),
    ("github", {"owner": "acme", "host": "github.acme.io"}, "GHE_TOKEN", None, None,
     "https://github.acme.io/acme", "x-access-token", "${GHE_TOKEN}"),
    ("bitbucket", {"owner": "acme-ws"}, None, None, None, "https://bitbucket.org/acme-ws",
     "x-token-auth", "${BITBUCKET_ACCESS_TOKEN}"),
    ("artifactory", {"host": "acme.jfrog.io", "repository": "pypi-local", "user": "ci-bot"},
     None, "https://acme.jfrog.io/artifactory/api/pypi/pypi-local/simple",
     "https://acme.jfrog.io/artifactory/api/pypi/pypi-local",
     "https://acme.jfrog.io/artifactory/api/pypi/pypi-local", "ci-bot", "${ARTIFACTORY_TOKEN}"),
    ("nexus", {"host": "nexus.example.com", "repository": "pypi-internal", "user": "ci"}, None,
     "https://nexus.example.com/repository/pypi-internal/simple",
     "https://nexus.example.com/repository/pypi-internal/",
     "https://nexus.example.com/repository/pypi-internal", "ci", "${NEXUS_PASSWORD}"),
    ("codeartifact", {"domain": "acme", "owner": "123456789012", "region": "eu-west-1",
                      "repository": "internal"}, None, f"{CA}/simple/", f"{CA}/", CA, "aws",
     "${cmd:codeartifact-acme-123456789012}"),
    ("codeartifact", {"domain": "acme", "owner": "123456789012", "region": "cn-north-1",
                      "repository": "internal"}, "CODEARTIFACT_AUTH_TOKEN",
     "https://acme-123456789012.d.codeartifact.cn-north-1.amazonaws.com.cn/pypi/internal/simple/",
     "https://acme-123456789012.d.codeartifact.cn-north-1.amazonaws.com.cn/pypi/internal/",
     "https://acme-123456789012.d.codeartifact.cn-north-1.amazonaws.com.cn/pypi/internal", "aws",
     "${CODEARTIFACT_AUTH_TOKEN}"),
    ("gar", {"location": "europe-west1", "project": "acme-prod", "repository": "python"}, None,
     f"{GAR}/simple/", f"{GAR}/", GAR, "oauth2accesstoken", "${cmd:gcloud-access-token}"),
    ("google", {"location": "us", "project": "acme-prod", "repository": "py"}, "GAR_TOKEN",
     "https://us-python.pkg.dev/acme-prod/py/simple/", "https://us-python.pkg.dev/acme-prod/py/",
     "https://us-python.pkg.dev/acme-prod/py", "oauth2accesstoken", "${GAR_TOKEN}"),
    ("azure", {"organization": "acme", "project": "my web", "feed": "internal"}, None,
     f"{AZ}/my%20web/_packaging/internal/pypi/simple/",
     f"{AZ}/my%20web/_packaging/internal/pypi/upload/", AZ, "azure", "${AZURE_DEVOPS_TOKEN}"),
    ("azure", {"organization": "acme", "feed": "org-feed"}, "SYSTEM_ACCESSTOKEN",
     f"{AZ}/_packaging/org-feed/pypi/simple/", f"{AZ}/_packaging/org-feed/pypi/upload/", AZ,
     "azure", "${SYSTEM_ACCESSTOKEN}"),
    ("gemfury", {"account": "acme"}, None, "https://pypi.fury.io/acme/", None,
     "https://pypi.fury.io/acme", "${GEMFURY_TOKEN}", "${GEMFURY_TOKEN}"),
    ("pypiserver", {"host": "127.0.0.1:8080", "user": "deploy-bot"}, None,
     "http://127.0.0.1:8080/simple/", "http://127.0.0.1:8080/", "http://127.0.0.1:8080",
     "deploy-bot", "${PYPISERVER_PASSWORD}"),
    ("pypiserver", {"host": "https://pypi.example.com/", "user": "bot", "path": "/pypi"}, None,
     "https://pypi.example.com/pypi/simple/", "https://pypi.example.com/pypi/",
     "https://pypi.example.com/pypi", "bot", "${PYPISERVER_PASSWORD}"),
    ("devpi", {"host": "devpi.example.com", "index": "team/prod", "user": "ci"}, None,
     "https://devpi.example.com/team/prod/+simple/", "https://devpi.example.com/team/prod/",
     "https://devpi.example.com/team/prod", "ci", "${DEVPI_PASSWORD}"),
]
IDS = [f"{row[0]}-{n}" for n, row in enumerate(TABLE)]


@pytest.mark.parametrize(("name", "options", "token_env", "index", "upload", "rule", "user",
                          "password"), TABLE, ids=IDS)
def test_preset_urls_and_usernames(name: str, options: dict[str, str],
                                   token_env: Optional[str], index: Optional[str],
                                   upload: Optional[str], rule: str, user: str,
                                   password: str) -> None:
    preset = build_preset(name, options, token_env)
    assert (preset.index_url, preset.upload_url, preset.rule_url) == (index, upload, rule)
    assert (preset.username, preset.password) == (user, password)
    assert preset.is_git == (index is None)
    if index is not None:  # the rule covers the index and the files below it
        for url in (index, index + "acme/acme-1.0-py3-none-any.whl"):
            loc = parse_location(url)
            assert loc is not None and (loc.path or "").startswith(
                parse_location(rule).path or "")  # type: ignore[union-attr]


def test_every_preset_is_in_the_table_and_documents_its_options() -> None:
    assert {row[0] for row in TABLE} >= set(PRESET_NAMES)
    for spec in SPECS.values():
        assert set(spec.takes) <= set(PRESET_OPTIONS)
        assert spec.example


@pytest.mark.parametrize(("name", "options", "token_env", "expected"), [
    ("artifact-hub", {}, None, "unknown preset 'artifact-hub'; known presets: gitlab, github"),
    ("codeartifact", {"region": "eu-west-1"}, None,
     "preset 'codeartifact' is missing --domain, --owner, --repository; for example: "
     "codeartifact --domain acme --owner 123456789012 --region eu-west-1 --repository internal"),
    ("gitlab", {}, None, "preset 'gitlab' is missing --project or --group; for example: "
                         "gitlab --host gitlab.example.com --project 29"),
    ("gitlab", {"project": "1", "group": "2"}, None, "takes only one of --project or --group"),
    ("gitlab", {"project": "1", "region": "eu"}, None,
     "preset 'gitlab' does not take --region; it takes --project, --group, --host, --user"),
    ("gitlab", {"project": "1", "user": "bob"}, "CI_JOB_TOKEN",
     "GitLab accepts CI_JOB_TOKEN only with the username gitlab-ci-token"),
    ("gitlab", {"project": "1"}, "NOT-A-VAR", "--token-env takes an environment variable"),
    ("codeartifact", {"domain": "acme", "owner": "12345", "region": "eu-west-1",
                      "repository": "r"}, None, "12-digit AWS account id"),
    ("nexus", {"host": "n.example.com", "repository": "a/b", "user": "u"}, None,
     "--repository of preset 'nexus' must be a name without '/'"),
    ("pypiserver", {"host": "http://pypi.example.com", "user": "u"}, None,
     "refusing plain http to pypi.example.com"),
    ("pypiserver", {"host": "pypi.example.com/simple", "user": "u"}, None,
     "--host takes a host name and port only"),
    ("pypiserver", {"host": "ftp://pypi.example.com", "user": "u"}, None,
     "--host takes a host name, or an http(s):// URL"),
    ("pypiserver", {"host": "pypi.example.com:99999", "user": "u"}, None,
     "--host is not a host name"),
], ids=["unknown", "missing-several", "missing-one-of", "both", "unknown-option",
        "job-token-user", "bad-variable", "owner", "slash", "http", "path", "scheme", "port"])
def test_errors_are_one_line_saying_what_to_write(name: str, options: dict[str, str],
                                                  token_env: Optional[str],
                                                  expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_preset(name, options, token_env)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_a_token_pasted_into_host_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        build_preset("gitlab", {"host": "bot:glpat-SECRET123@gitlab.example.com", "project": "1"})
    assert "SECRET123" not in str(info.value)


@pytest.mark.parametrize(("given", "base"), [
    ("gitlab.example.com", "https://gitlab.example.com"),
    ("https://GitLab.Example.com/", "https://gitlab.example.com"),
    ("gitlab.example.com:443", "https://gitlab.example.com"),
    ("127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://localhost:3141/", "http://localhost:3141"),
    ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
    ("[::1]:8080", "http://[::1]:8080"),
], ids=["bare", "scheme-slash-case", "default-port", "loopback", "localhost", "loopback-tls",
        "ipv6"])
def test_hosts_are_normalised(given: str, base: str) -> None:
    assert normalise_host(given) == base


def test_empty_option_values_count_as_missing() -> None:
    with pytest.raises(ConfigError, match="missing --account"):
        build_preset("gemfury", {"account": "  "})


@pytest.mark.parametrize("row", TABLE, ids=IDS)
def test_printed_toml_is_a_working_rule(row: tuple[object, ...], tmp_path: Path) -> None:
    name, options, token_env = str(row[0]), row[1], row[2]
    assert isinstance(options, dict)
    preset = build_preset(name, options, token_env if isinstance(token_env, str) else None)
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    env = {"HOME": str(home), "PRIVATE_PACKAGES_CONFIG": str(home / "config.toml")}
    (home / "config.toml").write_text("")
    text = rule_toml(preset)
    target = home / "config.toml" if preset.command else project / "pyproject.toml"
    target.write_text(text)
    trust(env, project)  # what the printed rule does is the subject, not trust
    config = load_config(env, project)
    assert config.errors == []
    url = preset.index_url or f"{preset.rule_url}/lib.git"
    loc = parse_location(url)
    assert loc is not None
    rule = config.rules.find(loc)
    assert rule is not None
    assert (rule.username, rule.password) == (preset.username, preset.password)
    if preset.command:
        spec = config.settings.commands[preset.command.name]
        assert spec.argv == preset.command.argv
        assert 0 < spec.ttl < 12 * 3600


def test_user_config_form_loads_from_the_user_file(tmp_path: Path) -> None:
    preset = build_preset("nexus", {"host": "nexus.example.com", "repository": "py",
                                    "user": "ci"})
    (tmp_path / "config.toml").write_text(rule_toml(preset, user_file=True))
    config = load_config({"PRIVATE_PACKAGES_CONFIG": str(tmp_path / "config.toml")}, tmp_path)
    assert config.errors == []
    assert [r.url for r in config.rules.rules] == ["https://nexus.example.com/repository/py"]


@pytest.mark.parametrize("name", ["gemfury", "pypiserver"])
def test_env_lines_are_env_defined_rules(name: str, tmp_path: Path) -> None:
    options = {"account": "acme"} if name == "gemfury" else {"host": "127.0.0.1:9", "user": "u"}
    preset = build_preset(name, options)
    env = {}
    for line in env_lines(preset, "my-index"):
        key, _, value = line.partition("=")
        env[key] = shlex.split(value)[0]  # what `eval` in a POSIX shell makes of it
    assert set(env) == {f"PRIVATE_PACKAGES_MY_INDEX_{k}" for k in ("URL", "USERNAME",
                                                                    "PASSWORD")}
    config = load_config({**env, "HOME": str(tmp_path)}, tmp_path)
    assert config.errors == []
    (rule,) = [r for r in config.rules.rules if r.origin.startswith("env")]
    assert (rule.url.rstrip("/"), rule.password) == (preset.rule_url, preset.password)
