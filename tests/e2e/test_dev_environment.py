"""`./dev` on a fresh clone builds its venv from requirements/dev.txt, hash-checked, exactly
as locked, on a hostile host (tests/hostile_host.py: pip.conf and PIP_* with a `constraint`
on versions that do not exist, `find-links`, dead indexes; uv.toml and UV_*), and a smoke
subset of the suite passes in it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from tests.hostile_host import hostile_host
from tests.venvs import DEV_LOCK, copy_project, read_lock

pytestmark = pytest.mark.e2e

SMOKE = [
    "tests/unit/test_locks.py",
    "tests/unit/test_pipargs.py",
    "tests/e2e/test_clients.py::test_pip_import_provider_installs_with_env_secret",
    "tests/e2e/test_vault.py::test_approle_login",
]
INSTALLED = ("import importlib.metadata as m, json; "
             "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))")


def run(argv: list[str | Path], env: dict[str, str], cwd: Path,
        timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def locked_here() -> dict[str, str]:
    """The lock's pins that apply to this interpreter and platform."""
    return {canonicalize_name(pin.name): pin.version for pin in read_lock(DEV_LOCK)
            if not pin.marker or Marker(pin.marker).evaluate()}


def test_fresh_clone_builds_the_locked_environment_and_passes_a_smoke_run(
        tmp_path: Path) -> None:
    clone = copy_project(tmp_path / "clone")
    # a clone is a git checkout (the suite builds its wheel from `git ls-files`)
    for argv in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(argv, cwd=clone, check=True, capture_output=True)
    # The interpreter this suite runs on (a venv's python makes a venv of its base Python),
    # so the lock's markers evaluate here as they do in the clone.
    env = {**hostile_host(tmp_path / "host"), "PYTHON": sys.executable}

    setup = run(["./dev", "setup"], env, clone, timeout=600)

    assert setup.returncode == 0, setup.stdout + setup.stderr
    python = clone / ".venv/bin/python"
    found = json.loads(run([python, "-c", INSTALLED], env, clone, timeout=60).stdout)
    installed = {canonicalize_name(name): version for name, version in found.items()}
    assert installed.pop("private-packages") == "0.1.0"  # editable, from the clone
    assert installed == locked_here()

    smoke = run([python, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                 "--basetemp", tmp_path / "basetemp", *SMOKE], env, clone, timeout=600)

    assert smoke.returncode == 0, smoke.stdout[-6000:] + smoke.stderr[-3000:]
    summary = smoke.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in .*", summary), summary
    for tool in ("ruff", "mypy", "bao"):
        assert run([clone / ".venv/bin" / tool, "version" if tool == "bao" else "--version"],
                   env, clone, timeout=60).returncode == 0, tool
