"""`poetry source auth NAME --preset ...` minus cleo (`source_rule.write_preset`): the source
is added or checked, the rule lands where the loader honours it, and what is written loads
back as a working rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keyring_backend.config import load_config
from keyring_backend.errors import ConfigError
from keyring_backend.registry_presets import build_preset
from keyring_backend.urls import Location, parse_location
from poetry_private_plugin.source_rule import write_preset
from tests.trusting import trust

PROJECT = """\
[project]
name = "app"  # the app

[tool.poetry]
package-mode = false
"""
GITLAB = {"host": "gitlab.example.com", "project": "29"}
CODEARTIFACT = {"domain": "acme", "owner": "123456789012", "region": "eu-west-1",
                "repository": "py"}


def location(url: str) -> Location:
    found = parse_location(url)
    assert found is not None
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(PROJECT)
    return path


def test_adds_the_source_and_a_project_rule(project: Path, tmp_path: Path) -> None:
    preset = build_preset("gitlab", GITLAB)
    written = write_preset(project, "gitlab", preset, user_file=None, priority="supplemental")
    assert (written.source_added, written.rule.action, written.command) == (True, "added", None)
    text = project.read_text()
    assert text.startswith(PROJECT)  # comments and the rest kept byte for byte
    assert ('[[tool.poetry.source]]\nname = "gitlab"\n'
            'url = "https://gitlab.example.com/api/v4/projects/29/packages/pypi/simple"\n'
            'priority = "supplemental"\n') in text
    trust({"HOME": str(tmp_path)}, project.parent)  # as `poetry source auth` records it
    config = load_config({"HOME": str(tmp_path)}, project.parent)
    assert not config.errors
    rule = config.rules.find(location(f"{preset.index_url}/acme-lib/"))
    assert rule is not None
    assert (rule.username, rule.password) == (preset.username, preset.password)
    again = write_preset(project, "gitlab", preset, user_file=None, priority="supplemental")
    assert (again.source_added, again.rule.action) == (False, "unchanged")
    assert project.read_text() == text


def test_an_existing_source_elsewhere_is_refused(project: Path) -> None:
    project.write_text(PROJECT + '\n[[tool.poetry.source]]\nname = "gitlab"\n'
                       'url = "https://other.example.com/simple/"\n')
    before = project.read_text()
    with pytest.raises(ConfigError, match=re.escape("points at https://other.example.com/")):
        write_preset(project, "gitlab", build_preset("gitlab", GITLAB), user_file=None,
                     priority="primary")
    assert project.read_text() == before


def test_a_command_preset_goes_to_the_user_file_with_its_command(project: Path,
                                                                  tmp_path: Path) -> None:
    preset = build_preset("codeartifact", CODEARTIFACT)
    with pytest.raises(ConfigError, match="only your user config may do: add --global"):
        write_preset(project, "ca", preset, user_file=None, priority="primary")
    user = tmp_path / "config" / "config.toml"
    written = write_preset(project, "ca", preset, user_file=user, priority="primary")
    assert written.command is not None and user.stat().st_mode & 0o777 == 0o600
    config = load_config({"HOME": str(tmp_path), "PRIVATE_PACKAGES_CONFIG": str(user)},
                         project.parent)
    assert not config.errors
    assert config.settings.commands[written.command].argv[0] == "aws"
    rule = config.rules.find(location(str(preset.index_url)))
    assert rule is not None and rule.password == preset.password


def test_a_git_preset_is_not_a_source(project: Path) -> None:
    with pytest.raises(ConfigError, match="for git repositories"):
        write_preset(project, "gh", build_preset("github", {"owner": "acme"}),
                     user_file=None, priority="primary")
