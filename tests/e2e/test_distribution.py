"""The distribution's metadata: `license = "MIT"` (an SPDX expression, setuptools >= 77)
reaches the wheel as `License-Expression: MIT`, the build prints no deprecation warning
(the old `{ text = ... }` table printed one on every install), and the oldest Python the
distribution claims still builds it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

from tests.e2e.test_python39 import find_python39
from tests.venvs import BIN, PROJECT, copy_project, locked_venv

pytestmark = pytest.mark.e2e


def build(python: str, tmp_path: Path) -> tuple[Path, str]:
    """Build the wheel from a copy of the tree with `python`'s own setuptools (no build
    isolation: the locked one); returns the wheel and everything the build printed."""
    source = copy_project(tmp_path / "source")
    result = subprocess.run([str(BIN / "uv"), "build", "--wheel", "--no-build-isolation",
                             "--python", python, "--out-dir", str(tmp_path / "dist"),
                             str(source)], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return next((tmp_path / "dist").glob("private_packages-*.whl")), result.stdout + result.stderr


def metadata(wheel: Path) -> dict[str, list[str]]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(archive.read(name).decode())
    return {key: headers.get_all(key) or [] for key in set(headers.keys())}


def assert_mit_without_warning(wheel: Path, output: str) -> None:
    fields = metadata(wheel)
    assert fields["License-Expression"] == ["MIT"]
    assert "License" not in fields
    assert not [c for c in fields.get("Classifier", []) if c.startswith("License ::")]
    assert fields["Requires-Python"] == [">=3.9"]
    assert "Deprecat" not in output, output


def test_wheel_says_mit_and_builds_without_a_deprecation_warning(tmp_path: Path) -> None:
    assert_mit_without_warning(*build(sys.executable, tmp_path))


@pytest.mark.skipif(find_python39() is None, reason="no Python 3.9 interpreter on this machine")
def test_python_39_builds_the_same_wheel(tmp_path_factory: pytest.TempPathFactory,
                                         project_wheel: Path, tmp_path: Path) -> None:
    python = find_python39()
    assert python is not None
    py39 = locked_venv(tmp_path_factory, "py39", project_wheel, python=python)

    wheel, output = build(str(py39 / "python"), tmp_path)

    assert_mit_without_warning(wheel, output)
    assert metadata(wheel) == metadata(project_wheel)


def test_the_wheel_holds_exactly_the_tree_s_modules(project_wheel: Path) -> None:
    """pyproject.toml lists the packages one by one: a new subpackage left off that list is
    missing from every install (while the tests that import the tree still pass), and a
    module deleted from the tree must not linger in the wheel."""
    tree = {str(path.relative_to(PROJECT)) for top in ("keyring_backend", "pip_hook",
                                                       "poetry_private_plugin")
            for path in (PROJECT / top).rglob("*.py") if "__pycache__" not in path.parts}
    with zipfile.ZipFile(project_wheel) as archive:
        shipped = {name for name in archive.namelist() if name.endswith(".py")}
    assert shipped == tree
