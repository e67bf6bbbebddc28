"""Throwaway client venvs built from hashed locks, once per test run.

Each venv NAME has `requirements/clients/NAME.in` (what it needs, loose) and
`requirements/clients/NAME.txt` (its lock, with hashes, compiled by `./dev lock`; one lock
per venv because the tools' pins conflict with each other). `locked_venv` installs the lock
hash-checked, so an upstream release changes nothing until the lock is refreshed. With
`--latest` (`./dev test-latest`) it installs the `.in` unpinned instead, so the same tests
meet the newest releases on purpose.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEV_LOCK = PROJECT / "requirements" / "dev.txt"
CLIENT_LOCKS = PROJECT / "requirements" / "clients"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]*?))?\s*\\?$")

#: Set by tests/conftest.py from the `--latest` option (every xdist worker parses it too).
latest = False


@dataclass(frozen=True)
class Pin:
    """One requirement of a lock: a universal lock may pin a name once per marker."""

    name: str
    version: str
    marker: str  # "" when the pin holds everywhere


def read_lock(path: Path) -> list[Pin]:
    return [Pin(m[1], m[2], m[3] or "") for m in map(_PIN.match, path.read_text().splitlines())
            if m]


def copy_project(target: Path) -> Path:
    """This working tree as a fresh clone would have it: tracked and new files, nothing git
    ignores (no .venv, no caches). The tree must be a git checkout, as every clone is."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=PROJECT, check=True,
                            capture_output=True, text=True).stdout
    for name in filter(None, listed.split("\0")):
        source = PROJECT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def run_checked(*argv: str | Path) -> None:
    """Run a setup command; its stderr's tail becomes the error if it fails."""
    result = subprocess.run([str(a) for a in argv], check=False, capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{result.stderr[-2000:]}")


def shared_build(factory: pytest.TempPathFactory, name: str,
                 build: Callable[[Path], None]) -> Path:
    """Build `name` once per test run, shared by all xdist workers (the first one builds,
    the others wait on a lock)."""
    base = factory.getbasetemp()
    # Under xdist each worker's basetemp is pytest-N/popen-gwK: share pytest-N. Without
    # xdist basetemp is pytest-N itself (its parent would outlive this run).
    root = (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "shared"
    root.mkdir(exist_ok=True)
    target = root / name
    with (root / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / f".{name}.ready").exists():
            build(target)
            (root / f".{name}.ready").touch()
    return target


def hashed_requirement(path: Path) -> str:
    """A local wheel as a requirement line with its sha256: hash-checking mode is all or
    nothing, and this way the lock must also cover the wheel's own dependencies."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"{path.resolve().as_uri()} --hash=sha256:{digest}"


def build_locked_venv(target: Path, name: str, *extra_packages: str | Path,
                      python: str = sys.executable, seed: bool = False) -> Path:
    """Create the venv `target` from lock NAME plus `extra_packages` (local wheels, such as
    the project wheel); returns its bin directory. `seed` adds pip (and, before 3.12,
    setuptools) the way `python -m venv` does: a lock that pins pip pins it anyway."""
    uv = BIN / "uv"
    run_checked(uv, "venv", "--quiet", *(["--seed"] if seed else []), "--python", python,
                target)
    install = [uv, "pip", "install", "--quiet", "--python", target / "bin/python"]
    if latest:
        run_checked(*install, "--upgrade", "-r", CLIENT_LOCKS / f"{name}.in", *extra_packages)
    else:
        requirements = target / "locked-requirements.txt"
        requirements.write_text((CLIENT_LOCKS / f"{name}.txt").read_text() + "".join(
            hashed_requirement(Path(extra)) + "\n" for extra in extra_packages))
        run_checked(*install, "--require-hashes", "-r", requirements)
    return target / "bin"


def locked_venv(factory: pytest.TempPathFactory, name: str, *extra_packages: str | Path,
                python: str = sys.executable, seed: bool = False) -> Path:
    """The venv NAME (`build_locked_venv`), built once per run and shared by every xdist
    worker; returns its bin directory."""
    return shared_build(factory, name, lambda target: build_locked_venv(
        target, name, *extra_packages, python=python, seed=seed)) / "bin"
