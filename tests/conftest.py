"""Shared fixtures: real client venvs (built once per run), a private index, canaries."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.names import self_signed, server_context
from support.pypi_server import PrivateIndex
from support.wheels import build_wheel
from tests import venvs
from tests.hostenv import client_environment, make_home, remove_home, shut_out_host
from tests.venvs import BIN, PROJECT, copy_project, locked_venv, run_checked, shared_build

pytest_plugins = ["tests.poetry_env", "tests.victim"]
__all__ = ["BIN", "PROJECT", "Clients", "locked_venv", "make_canary"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--latest", action="store_true",
                     help="build client venvs from requirements/clients/*.in unpinned "
                          "instead of their locks (./dev test-latest)")


_run_home: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    """Shut the host's configuration out of the whole run, before anything starts
    (tests/hostenv.py)."""
    _run_home.append(shut_out_host(os.environ))
    venvs.latest = config.getoption("latest")


def pytest_unconfigure(config: pytest.Config) -> None:
    for home in _run_home:
        remove_home(home)


@dataclass(frozen=True)
class Clients:
    """Throwaway venvs from their locks: `pip` (pip, keyring, hvac + our wheel) and `tools`
    (keyring CLI, twine + our wheel). pip's subprocess provider ignores a keyring in its own
    scripts folder, so the keyring CLI it runs comes from `tools`."""

    pip_python: Path
    tools_bin: Path
    uv: Path
    wheel: Path


@pytest.fixture(scope="session")
def project_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project built as a wheel, the way users install it, by the dev venv's (locked)
    setuptools: build isolation would fetch whatever setuptools is newest. Built from a
    copy of the tree as a clone has it: setuptools never empties the tree's `build/`, so a
    module moved or deleted since the last build would still be in the wheel."""
    def build(target: Path) -> None:
        source = copy_project(target.parent / "dist-source")
        run_checked(BIN / "uv", "build", "--wheel", "--quiet", "--no-build-isolation",
                    "--python", sys.executable, "--out-dir", target, source)

    dist = shared_build(tmp_path_factory, "dist", build)
    return next(dist.glob("private_packages-*.whl"))


@pytest.fixture(scope="session")
def clients(tmp_path_factory: pytest.TempPathFactory, project_wheel: Path) -> Clients:
    pip_bin = locked_venv(tmp_path_factory, "pip", project_wheel, seed=True)
    tools_bin = locked_venv(tmp_path_factory, "tools", project_wheel)
    return Clients(pip_bin / "python", tools_bin, BIN / "uv", project_wheel)


@pytest.fixture(autouse=True)
def _fresh_notices() -> Iterator[None]:
    """Warnings are said once per process (keyring_backend/notices.py); each test is a
    process of its own in that respect."""
    from keyring_backend import notices

    notices._said.clear()
    yield
    notices._said.clear()


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
    return make_home(tmp_path / "home")


@pytest.fixture
def client_env(home: Path) -> dict[str, str]:
    """The environment of a client process a test starts (tests/hostenv.py): nothing of
    this machine's configuration (its pip.conf find-links would mask auth failures)."""
    return client_environment(home)


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
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert, key); the cert is its own CA bundle."""
    return self_signed(tmp_path_factory.mktemp("tls"), "127.0.0.1")


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A server-side TLS context with the `certificate` fixture's pair."""
    return server_context(*certificate)


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


@pytest.fixture
def silent_index() -> Iterator[tuple[int, threading.Event]]:
    """A port that accepts connections and never answers: pip waits there."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        accepted = threading.Event()
        held: list[socket.socket] = []

        def serve() -> None:
            while True:
                try:
                    held.append(server.accept()[0])
                except OSError:
                    return
                accepted.set()

        threading.Thread(target=serve, daemon=True).start()
        yield server.getsockname()[1], accepted
        for conn in held:
            conn.close()
