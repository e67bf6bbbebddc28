"""The oldest Python we claim (3.9: tomli instead of tomllib) resolves a pyproject rule
through the installed wheel and the real keyring CLI."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.hostenv import account_home
from tests.venvs import locked_venv

pytestmark = pytest.mark.e2e


def find_python39() -> str | None:
    """A working 3.9 interpreter (pyenv's shims fail when 3.9 is not selected). HOME is the
    test run's throwaway one: pyenv's root comes from PYENV_ROOT or the account's home."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or account_home() / ".pyenv")
    candidates = [*sorted(glob.glob(str(pyenv / "versions/3.9*/bin/python3.9"))),
                  shutil.which("python3.9")]
    for candidate in filter(None, candidates):
        check = "import sys; assert sys.version_info[:2] == (3, 9)"
        probe = subprocess.run([candidate, "-c", check], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return None


@pytest.mark.skipif(find_python39() is None, reason="no Python 3.9 interpreter on this machine")
def test_wheel_works_on_python_39(tmp_path_factory: pytest.TempPathFactory, project_wheel: Path,
                                  client_env: dict[str, str], canary: str,
                                  tmp_path: Path) -> None:
    python = find_python39()
    assert python is not None
    bin_dir = locked_venv(tmp_path_factory, "py39", project_wheel, python=python)
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.private-packages.credentials]]\nurl = "https://pkgs.example.com/simple"\n'
        'username = "ci"\npassword = "${TOKEN#pypi}"\n')
    env = {**client_env, "TOKEN": json.dumps({"pypi": canary})}
    approved = subprocess.run([str(bin_dir / "pip-private"), "trust", "--yes"], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=60,
                              check=False)
    assert approved.returncode == 0, approved.stderr  # the trust state on 3.9 too

    result = subprocess.run([str(bin_dir / "keyring"), "--mode", "creds", "--output", "json",
                             "get", "https://pkgs.example.com/simple/"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"username": "ci", "password": canary}
    version = subprocess.run([str(bin_dir / "python"), "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True, check=True).stdout
    assert version.startswith("3.9.")
