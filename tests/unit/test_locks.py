"""The committed locks match what they are compiled from: requirements/dev.txt from
pyproject.toml (dependencies, `test` and `vault` extras) and requirements/dev.in, each
requirements/clients/NAME.txt from NAME.in. Every requirement pinned, to a version its
specifier allows, with hashes. A lock left stale after an edit fails here, offline, before
any venv is built from it (`./dev lock` recompiles)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.venvs import CLIENT_LOCKS, DEV_LOCK, PROJECT, read_lock

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def requirements_in(path: Path) -> list[Requirement]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def pins(lock: Path) -> dict[str, list[str]]:
    """name -> every pinned version (a universal lock may pin one per Python range)."""
    found: dict[str, list[str]] = {}
    for pin in read_lock(lock):
        found.setdefault(canonicalize_name(pin.name), []).append(pin.version)
    return found


def requirement_blocks(lock: Path) -> list[str]:
    """Each requirement with its continuation lines (`\\`-joined)."""
    text = lock.read_text().replace("\\\n", " ")
    return [line for line in text.splitlines() if line[:1].isalnum()]


def dev_requirements() -> list[Requirement]:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [*map(Requirement, [*project["dependencies"], *extras["test"], *extras["vault"]]),
            *requirements_in(PROJECT / "requirements" / "dev.in")]


def client_locks() -> list[str]:
    return sorted(path.stem for path in CLIENT_LOCKS.glob("*.in"))


LOCKS = {"dev": (DEV_LOCK, dev_requirements),
         **{f"clients/{name}": (CLIENT_LOCKS / f"{name}.txt",
                                lambda name=name: requirements_in(CLIENT_LOCKS / f"{name}.in"))
            for name in client_locks()}}


def test_every_lock_has_its_in_file_and_back() -> None:
    assert client_locks()
    assert sorted(path.stem for path in CLIENT_LOCKS.glob("*.txt")) == client_locks()


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_lock_pins_what_it_is_compiled_from(name: str) -> None:
    lock, wanted = LOCKS[name]
    locked = pins(lock)
    for requirement in wanted():
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in {lock.name}: run ./dev lock"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), \
                f"{lock.name} pins {requirement.name}=={version}, but " \
                f"{requirement.specifier} is asked for: run ./dev lock"


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_every_locked_requirement_carries_hashes(name: str) -> None:
    blocks = requirement_blocks(LOCKS[name][0])
    assert len(blocks) == len(read_lock(LOCKS[name][0])) > 0  # every pin read
    assert [block for block in blocks if "--hash=sha256:" not in block] == []
