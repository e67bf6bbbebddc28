"""The next version of a project from what a registry already holds (`poetry source bump`).

Plain logic, no cleo: `commands/bump.py` reads the options and prints. Decisions:

- The rules are `poetry version`'s (patch, minor, major, prepatch, preminor, premajor,
  prerelease; `--next-phase` for prerelease), applied by poetry's own
  `VersionCommand.increment_version` (the same signature in poetry 2.0 and 2.5), so a rule
  means here exactly what it means there -- e.g. `patch` on `1.1.0a1` gives `1.1.0`.
  An explicit version is not a rule here: it would bypass the registry. One gap in poetry
  is filled: `prerelease` on a dev release without a pre-release segment (`1.1.1.dev0`)
  trips an assertion in poetry; it is treated like a stable base (`1.1.1a0`).
- The base is the newest, by PEP 440, of every version the registry holds (pre-, post-,
  dev and yanked releases included) *and* the version in pyproject.toml. So the result is
  newer than anything uploaded (two pipelines never collide on an existing version) and
  never older than what the project says (a hand-set `2.0.0` is not bumped back to
  `1.4.3`). A package the registry does not have yet therefore starts from pyproject's
  version. Registry versions that are not PEP 440 are ignored.
- The new version is written to `[project].version` and/or `[tool.poetry].version`,
  whichever the file has (as `poetry version` does), with tomlkit so formatting stays, and
  atomically (`keyring_backend.files.atomic_write`: the file keeps its mode). The value
  keeps the quotes the file used (`'1.0.0'` stays single-quoted; a diff shows only the
  version), set explicitly so the result does not depend on the installed tomlkit (0.13 wrote double
  quotes, newer releases keep the old style).
- Which index: NAME is a `[[tool.poetry.source]]` (its URL is the simple index) or a
  publish repository (`poetry config repositories.NAME.url`, or `pypi`). An upload URL
  becomes a simple index by `simple_index_for_upload`; `--index-url` overrides both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit, urlunsplit

from keyring_backend.errors import ConfigError

if TYPE_CHECKING:
    from poetry.core.constraints.version import Version

RULES = ("patch", "minor", "major", "prepatch", "preminor", "premajor", "prerelease")
REGISTRY = "registry"
PYPROJECT = "pyproject.toml"
# PyPI's and TestPyPI's upload endpoints live on other paths (and hosts) than their indexes.
PUBLIC_HOSTS = frozenset({"pypi.org", "test.pypi.org"})
KNOWN_UPLOADS = {
    "upload.pypi.org/legacy": "https://pypi.org/simple/",
    "test.pypi.org/legacy": "https://test.pypi.org/simple/",
}


@dataclass(frozen=True)
class BumpPlan:
    """`base` (from `origin`: the registry or pyproject.toml) becomes `version`."""

    base: str
    origin: str
    version: str

    def describe(self) -> str:
        return f"{self.base} ({self.origin}) -> {self.version}"


def simple_index_for_upload(url: str) -> str:
    """The simple index beside an upload URL.

    `https://upload.pypi.org/legacy/` -> `https://pypi.org/simple/` (TestPyPI alike); a URL
    that already ends in `/simple` or devpi's `/+simple` stays; any other `…/legacy` becomes
    `…/simple/`; anything else gets `simple/` appended -- the layout of pypiserver
    (`http://host/`), GitLab (`…/packages/pypi`), Artifactory (`…/api/pypi/REPO`), Nexus
    (`…/repository/REPO/`) and CodeArtifact (`…/pypi/REPO/`). Other layouts: `--index-url`.
    """
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    known = KNOWN_UPLOADS.get(f"{parts.hostname}{path}")
    if known is not None:
        return known
    last = path.rsplit("/", 1)[-1]
    if last in ("simple", "+simple"):
        new_path = path + "/"
    elif last == "legacy":
        new_path = path[: -len(last)] + "simple/"
    else:
        new_path = path + "/simple/"
    return urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))


def is_public_index(url: str) -> bool:
    """PyPI and TestPyPI answer anonymous requests: their 404 means "no such project"."""
    return (urlsplit(url.strip()).hostname or "") in PUBLIC_HOSTS


def choose_index(name: str, sources: Mapping[str, str], repository: Optional[str],
                 override: Optional[str]) -> str:
    """The simple index to read for source or repository NAME; `ConfigError` when unknown."""
    if override:
        return override
    if name in sources:
        return sources[name]
    if repository:
        return simple_index_for_upload(repository)
    raise ConfigError(
        f"unknown source {name!r}: name a [[tool.poetry.source]] or a repository set with "
        f"`poetry config repositories.{name} URL`, or pass --index-url URL")


def check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ConfigError(f"unknown bump rule {rule!r}: use one of {', '.join(RULES)}")


def parse_versions(texts: Iterable[str]) -> list[Version]:
    """The texts that are PEP 440 versions, parsed (the rest are skipped)."""
    from poetry.core.constraints.version import Version
    from poetry.core.version.exceptions import InvalidVersionError

    parsed = []
    for text in texts:
        try:
            parsed.append(Version.parse(text))
        except InvalidVersionError:
            continue
    return parsed


def increment(base: Version, rule: str, next_phase: bool = False) -> Version:
    """`poetry version RULE` applied to `base`."""
    from poetry.console.commands.version import VersionCommand

    check_rule(rule)
    if rule == "prerelease" and base.is_devrelease() and base.pre is None:
        # poetry asserts a pre-release segment here; a dev release has none. Its stable
        # branch gives the first pre-release of the release the dev build leads to.
        return base.next_patch().first_prerelease()
    return VersionCommand().increment_version(base.text, rule, next_phase)


def plan_bump(registry: Iterable[str], local: str, rule: str,
              next_phase: bool = False) -> BumpPlan:
    """Bump the newest of the registry's versions and pyproject's own (module docstring)."""
    check_rule(rule)
    mine = parse_versions([local])
    if not mine:
        raise ConfigError(f"pyproject.toml's version {local!r} is not a PEP 440 version")
    taken = parse_versions(registry)
    newest = max(taken) if taken else None
    if newest is not None and newest >= mine[0]:
        base, origin = newest, REGISTRY
    else:
        base, origin = mine[0], PYPROJECT
    new = increment(base, rule, next_phase)
    if new <= base:  # cannot happen with poetry's rules today; a collision must not either
        raise ConfigError(f"bump rule {rule!r} turns {base.text} into {new.text}, which is "
                          "not newer; choose another rule")
    return BumpPlan(base.text, origin, new.text)


def write_version(pyproject: Path, version: str) -> None:
    """Set the version in pyproject.toml wherever the file declares one, keeping its layout."""
    import tomlkit

    from .rule_file import read_toml_text

    # Bytes in and out: text mode would turn a CRLF file into LF.
    document = tomlkit.parse(read_toml_text(pyproject)[0])
    tables = [document.get("project"), document.get("tool", {}).get("poetry")]
    written = False
    for table in tables:
        if isinstance(table, dict) and "version" in table:
            table["version"] = _same_style(table["version"], version)
            written = True
    if not written:
        raise ConfigError(f"{pyproject} declares no version to set: add [project] version "
                          "(or [tool.poetry] version)")
    from keyring_backend.files import atomic_write

    # Atomic: a killed CI job must not leave a truncated pyproject.toml behind.
    atomic_write(pyproject, tomlkit.dumps(document).encode("utf-8"))


def _same_style(old: object, version: str) -> object:
    """`version` as a TOML string quoted like `old` (basic or literal, one line), with
    `old`'s comment and spacing kept."""
    from tomlkit.items import String, StringType

    if not isinstance(old, String):
        return version
    style = old._t  # `.type` only since tomlkit 0.13; `_t` in every release poetry 2 allows
    kind = StringType.SLL if style in (StringType.SLL, StringType.MLL) else StringType.SLB
    return String(kind, version, version, old.trivia)
