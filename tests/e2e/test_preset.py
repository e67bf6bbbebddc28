"""`pip-private preset` from the installed wheel: the rule it prints (as pyproject.toml TOML,
and as env-defined rules) is used as it is by a real `pip-private install` against the
private pypiserver on 127.0.0.1, and its errors are one line with exit 2."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts

pytestmark = pytest.mark.e2e

USER = "deploy-bot"


@dataclass
class Cli:
    root: Path
    project: Path
    env: dict[str, str]
    pip_private: Path

    def run(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.pip_private), *args], cwd=self.project, env=env,
                              capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture
def cli(tmp_path: Path, clients: Clients, client_env: dict[str, str]) -> Cli:
    for name in ("tmp", "project", "target"):
        (tmp_path / name).mkdir()
    env = {**client_env, "TMPDIR": str(tmp_path / "tmp"), "PIP_NO_INPUT": "1"}
    return Cli(tmp_path, tmp_path / "project", env, clients.pip_python.parent / "pip-private")


def preset_args(index: PrivateIndex, fmt: str) -> list[str]:
    return ["preset", "pypiserver", "--host", index.url, "--user", USER,
            "--token-env", "PYPI_TOKEN", "--format", fmt]


def index_url_of(printed: str) -> str:
    (line,) = [line for line in printed.splitlines() if line.startswith("# index URL: ")]
    return line.removeprefix("# index URL: ")


def install(cli: Cli, index_url: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return cli.run("install", "--target", str(cli.root / "target"), "--index-url", index_url,
                   "acme-internal", env=env)


def test_printed_toml_rule_installs_from_the_private_index(
        cli: Cli, private_index: PrivateIndex, canary: str) -> None:
    printed = cli.run(*preset_args(private_index, "toml"), env=cli.env)
    assert printed.returncode == 0, printed.stderr
    (cli.project / "pyproject.toml").write_text(printed.stdout)
    index_url = index_url_of(printed.stdout)
    assert index_url == private_index.simple_url
    approved = cli.run("trust", "--yes", env=cli.env)  # the rule is now the project's
    assert approved.returncode == 0, approved.stderr
    assert "${PYPI_TOKEN} (username" not in approved.stdout  # its username is a literal
    assert f"${{PYPI_TOKEN}} to {private_index.url}" in approved.stdout

    installed = install(cli, index_url, {**cli.env, "PYPI_TOKEN": canary})

    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert any(p.name.startswith("acme_internal") for p in (cli.root / "target").iterdir())
    authorized = [r for r in private_index.requests if r.authorized]
    assert authorized and {r.username for r in authorized} == {USER}
    assert "${PYPI_TOKEN}" in (cli.project / "pyproject.toml").read_text()
    for result in (printed, installed):
        assert_not_in_texts(canary, {"stdout": result.stdout, "stderr": result.stderr},
                            username=USER)
    assert assert_not_in_files(canary, [cli.root], username=USER) > 0


def test_printed_env_rule_installs_from_the_private_index(
        cli: Cli, private_index: PrivateIndex, canary: str) -> None:
    printed = cli.run(*preset_args(private_index, "env"), "--name", "internal", env=cli.env)
    assert printed.returncode == 0, printed.stderr
    rules = {}
    for line in printed.stdout.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            rules[key] = " ".join(shlex.split(value))  # as `eval` in a shell would set it
    assert set(rules) == {"PRIVATE_PACKAGES_INTERNAL_URL", "PRIVATE_PACKAGES_INTERNAL_USERNAME",
                          "PRIVATE_PACKAGES_INTERNAL_PASSWORD"}

    installed = install(cli, index_url_of(printed.stdout),
                        {**cli.env, **rules, "PYPI_TOKEN": canary})

    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert any(r.authorized for r in private_index.requests)
    assert_not_in_texts(canary, {"stdout": installed.stdout, "stderr": installed.stderr},
                        username=USER)
    assert assert_not_in_files(canary, [cli.root], username=USER) > 0


def test_without_the_preset_rule_the_index_refuses(
        cli: Cli, private_index: PrivateIndex, canary: str) -> None:
    # The control for the two tests above: the same install with no rule fails.
    installed = install(cli, private_index.simple_url, {**cli.env, "PYPI_TOKEN": canary})
    assert installed.returncode != 0
    assert not any(r.authorized for r in private_index.requests)


@pytest.mark.parametrize(("args", "expected"), [
    (["preset", "gitlab", "--host", "gitlab.example.com"],
     "preset 'gitlab' is missing --project or --group; for example: gitlab --host"),
    (["preset", "quay"], "unknown preset 'quay'; known presets: gitlab, github, bitbucket"),
    (["preset", "nexus", "--host", "http://nexus.example.com", "--repository", "py",
      "--user", "u"], "refusing plain http to nexus.example.com"),
    (["preset", "gemfury", "--account", "acme", "--format", "yaml"], "--format takes"),
], ids=["incomplete", "unknown", "plain-http", "format"])
def test_errors_are_one_line_exit_2(cli: Cli, args: list[str], expected: str) -> None:
    result = cli.run(*args, env=cli.env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and expected in result.stderr


def test_help_lists_every_preset_and_option(cli: Cli) -> None:
    result = cli.run("preset", "--help", env=cli.env)
    assert result.returncode == 0
    for word in ("gitlab", "github", "bitbucket", "artifactory", "nexus", "codeartifact",
                 "gar", "azure", "gemfury", "pypiserver", "devpi", "--organization",
                 "--token-env", "--format"):
        assert word in result.stdout


def test_a_command_preset_prints_the_user_config_tables(cli: Cli) -> None:
    result = cli.run("preset", "codeartifact", "--domain", "acme", "--owner", "123456789012",
                     "--region", "eu-west-1", "--repository", "internal", env=cli.env)
    assert result.returncode == 0, result.stderr
    assert "add to your user config file:" in result.stdout
    assert "[[credentials]]" in result.stdout
    assert 'password = "${cmd:codeartifact-acme-123456789012}"' in result.stdout
    assert "[commands.codeartifact-acme-123456789012]" in result.stdout
    assert 'ttl = "11h"' in result.stdout
