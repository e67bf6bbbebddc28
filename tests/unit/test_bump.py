"""`poetry_private_plugin.bump`: PEP 440 ordering, `poetry version`'s rules applied to the
newest of the registry's and pyproject's versions, the simple index for a source or an
upload URL, and writing the version into pyproject.toml without touching anything else."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.errors import EXIT_CONFIG, ConfigError
from poetry_private_plugin.bump import (
    RULES,
    BumpPlan,
    choose_index,
    is_public_index,
    parse_versions,
    plan_bump,
    simple_index_for_upload,
    write_version,
)

PEP440_ORDER = ["0.9", "1.0.0.dev0", "1.0.0a1", "1.0.0rc1", "1.0.0", "1.0.0+local.1",
                "1.0.0.post1", "1.1.0a1", "1.1.0", "1.1.1.dev0", "1.1.1", "2.0.0", "1!0.1"]


def test_pep440_ordering() -> None:
    mixed = PEP440_ORDER[1::2] + PEP440_ORDER[::-2]
    assert [v.text for v in sorted(parse_versions(mixed))] == PEP440_ORDER


def test_versions_that_are_not_pep440_are_skipped() -> None:
    assert [v.text for v in parse_versions(["1.0", "latest", "2.0-beta-x", "3"])] == \
        ["1.0", "3"]


@pytest.mark.parametrize(("registry", "local", "rule", "next_phase", "expected"), [
    # registry newest wins over an older pyproject version
    (["1.0.0"], "0.1.0", "patch", False, ("1.0.0", "registry", "1.0.1")),
    (["1.0.0", "1.2.3", "1.10.0"], "0.1.0", "minor", False, ("1.10.0", "registry", "1.11.0")),
    (["1.2.3"], "0.1.0", "major", False, ("1.2.3", "registry", "2.0.0")),
    (["1.2.3"], "0.1.0", "prepatch", False, ("1.2.3", "registry", "1.2.4a0")),
    (["1.2.3"], "0.1.0", "preminor", False, ("1.2.3", "registry", "1.3.0a0")),
    (["1.2.3"], "0.1.0", "premajor", False, ("1.2.3", "registry", "2.0.0a0")),
    # pre-releases are versions too: 1.1.0a1 < 1.1.0 < 1.1.1.dev0
    (["1.0.0", "1.1.0a1"], "0.1.0", "patch", False, ("1.1.0a1", "registry", "1.1.0")),
    (["1.1.0a1", "1.1.0"], "0.1.0", "patch", False, ("1.1.0", "registry", "1.1.1")),
    (["1.1.0", "1.1.1.dev0"], "0.1.0", "patch", False, ("1.1.1.dev0", "registry", "1.1.1")),
    (["1.1.0a1"], "0.1.0", "prerelease", False, ("1.1.0a1", "registry", "1.1.0a2")),
    (["1.1.0a1"], "0.1.0", "prerelease", True, ("1.1.0a1", "registry", "1.1.0b0")),
    (["1.1.0rc1"], "0.1.0", "prerelease", True, ("1.1.0rc1", "registry", "1.1.0")),
    (["1.1.0"], "0.1.0", "prerelease", False, ("1.1.0", "registry", "1.1.1a0")),
    # poetry asserts on a dev release without a pre segment; we give its first pre-release
    (["1.1.1.dev0"], "0.1.0", "prerelease", False, ("1.1.1.dev0", "registry", "1.1.1a0")),
    # post and local releases, epochs
    (["1.0.0", "1.0.0.post1"], "0.1.0", "patch", False, ("1.0.0.post1", "registry", "1.0.1")),
    (["1.0.1", "1.0.1+abc"], "0.1.0", "patch", False, ("1.0.1+abc", "registry", "1.0.2")),
    (["2.0.0", "1!1.0.0"], "0.1.0", "patch", False, ("1!1.0.0", "registry", "1!1.0.1")),
    # pyproject's version when newer (never backwards) or when the registry has nothing
    (["1.4.2"], "2.0.0", "patch", False, ("2.0.0", "pyproject.toml", "2.0.1")),
    ([], "0.3.0", "minor", False, ("0.3.0", "pyproject.toml", "0.4.0")),
    (["latest"], "0.3.0", "patch", False, ("0.3.0", "pyproject.toml", "0.3.1")),
    (["1.0.0"], "1.0.0", "patch", False, ("1.0.0", "registry", "1.0.1")),
], ids=lambda value: ",".join(value) if isinstance(value, (list, tuple)) else str(value))
def test_plan_bump(registry: list[str], local: str, rule: str, next_phase: bool,
                   expected: tuple[str, str, str]) -> None:
    plan = plan_bump(registry, local, rule, next_phase)
    assert (plan.base, plan.origin, plan.version) == expected
    taken = parse_versions([*registry, local])
    (new,) = parse_versions([plan.version])
    assert all(new > version for version in taken)


def test_describe_is_the_dry_run_line() -> None:
    assert BumpPlan("1.0.0", "registry", "1.0.1").describe() == "1.0.0 (registry) -> 1.0.1"


@pytest.mark.parametrize(("rule", "fragment"), [
    ("2.0.0", "unknown bump rule '2.0.0'"),
    ("bugfix", "unknown bump rule 'bugfix'"),
], ids=["explicit-version", "typo"])
def test_rules_are_poetry_version_rules_only(rule: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment) as caught:
        plan_bump(["1.0.0"], "0.1.0", rule)
    assert caught.value.exit_code == EXIT_CONFIG
    assert ", ".join(RULES) in str(caught.value)


def test_local_version_must_be_pep440() -> None:
    with pytest.raises(ConfigError, match="not a PEP 440 version"):
        plan_bump(["1.0.0"], "not-a-version", "patch")


@pytest.mark.parametrize(("upload", "simple"), [
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),          # pypiserver
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
    ("https://gitlab.example.com/api/v4/projects/7/packages/pypi",
     "https://gitlab.example.com/api/v4/projects/7/packages/pypi/simple/"),
    ("https://acme.jfrog.io/artifactory/api/pypi/pypi-local",
     "https://acme.jfrog.io/artifactory/api/pypi/pypi-local/simple/"),
    ("https://nexus.example/repository/pypi-hosted/",
     "https://nexus.example/repository/pypi-hosted/simple/"),
    ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
    ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
    ("https://mirror.example/pypi/legacy", "https://mirror.example/pypi/simple/"),
    ("https://mirror.example/pypi/simple", "https://mirror.example/pypi/simple/"),
    ("https://devpi.example/team/prod/+simple/", "https://devpi.example/team/prod/+simple/"),
], ids=lambda value: value.split("://", 1)[1])
def test_simple_index_for_upload(upload: str, simple: str) -> None:
    assert simple_index_for_upload(upload) == simple


SOURCES = {"private": "https://registry.example/simple/"}


@pytest.mark.parametrize(("name", "repository", "override", "expected"), [
    ("private", None, None, "https://registry.example/simple/"),
    ("private", None, "https://other.example/simple/", "https://other.example/simple/"),
    ("uploads", "http://127.0.0.1:9/", None, "http://127.0.0.1:9/simple/"),
    ("nowhere", None, "https://other.example/simple/", "https://other.example/simple/"),
], ids=["source", "override", "repository", "override-unknown"])
def test_choose_index(name: str, repository: Optional[str], override: Optional[str],
                      expected: str) -> None:
    assert choose_index(name, SOURCES, repository, override) == expected


def test_unknown_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        choose_index("nowhere", SOURCES, None, None)
    assert caught.value.exit_code == EXIT_CONFIG
    assert "unknown source 'nowhere'" in str(caught.value)
    assert "--index-url" in str(caught.value)


PEP621 = """\
# the project
[project]
name = "acme-tool"   # keep this comment
version = "1.0.0"
dependencies = [
    "requests>=2",
]

[tool.poetry]
packages = [{ include = "acme_tool" }]
"""

POETRY_ONLY = """\
[tool.poetry]
name = "acme-tool"
version = '0.1.0'  # old style
description = ""
"""

BOTH = """\
[project]
name = "acme-tool"
version = "1.0.0"

[tool.poetry]
version = "1.0.0"
"""


@pytest.mark.parametrize(("text", "old"), [
    (PEP621, 'version = "1.0.0"'),
    (POETRY_ONLY, "version = '0.1.0'"),
    (BOTH, 'version = "1.0.0"'),
    (PEP621.replace("\n", "\r\n"), 'version = "1.0.0"'),
], ids=["pep621", "tool-poetry", "both", "crlf"])
def test_write_version_changes_only_the_version(tmp_path: Path, text: str, old: str) -> None:
    """Only the version changes: its quotes (double or single) and comment stay."""
    path = tmp_path / "pyproject.toml"
    path.write_bytes(text.encode())
    write_version(path, "1.0.1")
    quote = old.split("= ")[1][0]
    assert path.read_bytes().decode() == text.replace(old, f"version = {quote}1.0.1{quote}")


def test_write_version_needs_a_version(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    text = '[project]\nname = "acme-tool"\ndynamic = ["version"]\n'
    path.write_text(text)
    with pytest.raises(ConfigError, match="declares no version to set"):
        write_version(path, "1.0.1")
    assert path.read_text() == text


def test_write_version_is_atomic_and_keeps_the_mode(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Written through a temporary file and os.replace: a failure while writing leaves the
    old file whole and no temporary file; the new file keeps the old one's mode."""
    import os

    path = tmp_path / "pyproject.toml"
    path.write_bytes(PEP621.encode())
    path.chmod(0o640)
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        replaced.append((src, dst))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_version(path, "1.0.1")
    assert path.read_bytes() == PEP621.encode()
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]
    assert replaced and Path(replaced[0][0]).parent == tmp_path

    monkeypatch.setattr(os, "replace", real_replace)
    write_version(path, "1.0.1")
    assert 'version = "1.0.1"' in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o640


def test_write_version_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_bytes(POETRY_ONLY.encode())
    link = tmp_path / "pyproject.toml"
    link.symlink_to(real)
    write_version(link, "0.2.0")
    assert link.is_symlink()
    assert "version = '0.2.0'  # old style" in real.read_text()


@pytest.mark.parametrize(("url", "public"), [
    ("https://pypi.org/simple/", True),
    ("https://test.pypi.org/simple/", True),
    ("https://gitlab.example.com/api/v4/projects/7/packages/pypi/simple/", False),
    ("http://127.0.0.1:8080/simple/", False),
    ("https://pypi.org.evil.example/simple/", False),
], ids=["pypi", "testpypi", "gitlab", "local", "lookalike"])
def test_only_pypi_and_testpypi_are_public(url: str, public: bool) -> None:
    assert is_public_index(url) is public
