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
from typing import Callable

import pytest

from support.pypi_server import PrivateIndex
from support.wheels import build_wheel

pytest_plugins = ["tests.poetry_env"]

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: Host variables that change how pip, git, uv, poetry or keyring behave in this process and
#: in every child a test starts without its own environment.
_HOST_PREFIXES = ("PIP_", "UV_", "POETRY_", "PRIVATE_PACKAGES_", "VAULT_", "PYTHON_KEYRING",
                  "GIT_", "TWINE_", "KEYRING_")


def pytest_configure(config: pytest.Config) -> None:
    """Shut the host's configuration out of the whole run (TESTING.md): no `PIP_*`, no
    pip.conf (site-wide, user or /etc), no git system/global config, no uv.toml. Tests
    about reading such configuration set up their own."""
    for key in [k for k in os.environ if k.startswith(_HOST_PREFIXES)]:
        del os.environ[key]
    os.environ.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
                      GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
                      UV_NO_CONFIG="1")


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
    result = subprocess.run([str(a) for a in argv], check=False, capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{result.stderr[-2000:]}")


def _shared_build(factory: pytest.TempPathFactory, name: str,
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


def shared_venv(factory: pytest.TempPathFactory, name: str, *packages: str | Path,
                python: str = sys.executable, seed: bool = False) -> Path:
    """A throwaway venv with `packages`, built once per run; returns its bin directory."""
    uv = BIN / "uv"

    def build(target: Path) -> None:
        _run(uv, "venv", "--quiet", *(["--seed"] if seed else []), "--python", python, target)
        _run(uv, "pip", "install", "--quiet", "--python", target / "bin/python", *packages)

    return _shared_build(factory, name, build) / "bin"


@pytest.fixture(scope="session")
def project_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project built as a wheel, the way users install it."""
    dist = _shared_build(tmp_path_factory, "dist", lambda target: _run(
        BIN / "uv", "build", "--wheel", "--quiet", "--out-dir", target, PROJECT))
    return next(dist.glob("private_packages-*.whl"))


@pytest.fixture(scope="session")
def clients(tmp_path_factory: pytest.TempPathFactory, project_wheel: Path) -> Clients:
    pip_bin = shared_venv(tmp_path_factory, "pip", "--upgrade", "pip", "keyring",
                          f"private-packages[vault] @ {project_wheel.as_uri()}",
                          seed=True)
    tools_bin = shared_venv(tmp_path_factory, "tools", "keyring", "twine", project_wheel)
    return Clients(pip_bin / "python", tools_bin, BIN / "uv", project_wheel)


@pytest.fixture
def fresh_vault_cache() -> Iterator[None]:
    """Vault clients and secrets are cached per process; tests start and end without."""
    from keyring_backend.providers.vault import reset_cache

    reset_cache()
    yield
    reset_cache()


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
