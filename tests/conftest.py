"""Shared fixtures: real client venvs (built once per run), a private index, canaries."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from support.wheels import build_wheel

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Clients:
    """Throwaway venvs: `pip` (latest pip + keyring + our wheel) and `tools` (keyring CLI,
    twine, our wheel). pip's subprocess provider ignores a keyring in its own scripts folder,
    so the keyring CLI it runs comes from `tools`."""

    pip_python: Path
    tools_bin: Path
    uv: Path
    wheel: Path


def _run(*argv: str | Path) -> None:
    subprocess.run([str(a) for a in argv], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


@pytest.fixture(scope="session")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Clients:
    # Shared by all xdist workers of this run; the first one builds, the others wait.
    root = tmp_path_factory.getbasetemp().parent / "clients"
    root.mkdir(exist_ok=True)
    uv = BIN / "uv"
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "ready").exists():
            dist = root / "dist"
            _run(uv, "build", "--wheel", "--quiet", "--out-dir", dist, PROJECT)
            wheel = next(dist.glob("private_packages-*.whl"))
            _run(uv, "venv", "--quiet", "--seed", "--python", sys.executable, root / "pip")
            _run(uv, "pip", "install", "--quiet", "--python", root / "pip/bin/python",
                 "--upgrade", "pip", "keyring", wheel)
            _run(uv, "venv", "--quiet", "--python", sys.executable, root / "tools")
            _run(uv, "pip", "install", "--quiet", "--python", root / "tools/bin/python",
                 "keyring", "twine", wheel)
            (root / "ready").write_text(str(wheel))
    return Clients(root / "pip/bin/python", root / "tools/bin", uv,
                   Path((root / "ready").read_text()))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh HOME with XDG dirs, so no user config, keyring or cache leaks in or out."""
    path = tmp_path / "home"
    for sub in (".config", ".local/share", ".cache"):
        (path / sub).mkdir(parents=True)
    return path


@pytest.fixture
def client_env(home: Path) -> dict[str, str]:
    """A minimal environment for client processes: nothing inherited from this machine's
    pip configuration (its find-links would mask auth failures)."""
    return {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "UV_CACHE_DIR": str(home / ".cache/uv"),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "UV_NO_CONFIG": "1",
    }


def make_canary(label: str = "tok", *, ascii_only: bool = True) -> str:
    """A unique secret with the characters that break naive URL handling.

    Secrets sent over HTTP Basic auth stay ASCII: requests (pip, poetry, twine) encodes
    Basic credentials as latin-1, so a non-ASCII token cannot authenticate anywhere.
    """
    tail = "" if ascii_only else " é"
    return f"{label}-{uuid.uuid4().hex[:10]}@:/#%? &+{tail}"


@pytest.fixture
def canary() -> str:
    return make_canary()


@pytest.fixture(scope="session")
def sample_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("wheels")
    build_wheel(dest, "acme-internal", "1.0.0")
    return dest


@pytest.fixture
def private_index(tmp_path: Path, canary: str, sample_wheels: Path) -> Iterator[PrivateIndex]:
    """A pypiserver in 401 mode holding `acme-internal 1.0.0`, password = canary, any user."""
    root = tmp_path / "packages"
    shutil.copytree(sample_wheels, root)
    with PrivateIndex(root, password=canary, username="deploy-bot") as index:
        yield index
