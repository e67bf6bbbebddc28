"""Real poetry for end-to-end tests: throwaway venvs from their locks (newest 2.x and the
oldest 2.x we support, requirements/clients/poetry*.in) with this project's wheel installed
as a plugin, isolated POETRY_* dirs, and a
helper that writes a project with a private source.

tests/conftest.py loads this module as a pytest plugin, so its fixtures (`poetry`,
`poetry_bin`, `poetry_oldest_bin`) are available to every test.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

from support.wheels import build_wheel
from tests.venvs import PROJECT, locked_venv

#: Set to a directory, it switches on the test double of a system secret store
#: (support/double_keyring.py) in the poetry venvs; unset, that backend does not exist.
DOUBLE_KEYRING_DIR = "PP_DOUBLE_KEYRING_DIR"


@dataclass
class Poetry:
    """One poetry installation with an isolated config, cache and data dir."""

    bin: Path
    env: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)  # every run's stdout/stderr

    def run(self, *args: str, cwd: Path, input: Optional[str] = None,
            env: Optional[Mapping[str, str]] = None, check: bool = True,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`poetry ARGS --no-ansi`; with check, a non-zero exit fails with the output."""
        merged = {**self.env, **(env or {})}
        result = subprocess.run([str(self.bin / "poetry"), *args, "--no-ansi"], cwd=cwd,
                                env=merged, input=input, capture_output=True, text=True,
                                timeout=timeout, check=False)
        label = f"poetry {' '.join(args)} #{len(self.outputs) // 2}"
        self.outputs[f"{label} stdout"] = result.stdout
        self.outputs[f"{label} stderr"] = result.stderr
        if check and result.returncode != 0:
            raise AssertionError(f"{label} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def trust(self, project: Path, env: Optional[Mapping[str, str]] = None) -> None:
        """Approve `project` as `poetry source trust --yes` does, for tests about something
        else (tests/e2e/test_trust.py is about trust)."""
        from tests.trusting import trust

        trust({**self.env, **(env or {})}, project)

    @property
    def config_dir(self) -> Path:
        return Path(self.env["POETRY_CONFIG_DIR"])


def poetry_for(bin_dir: Path, client_env: Mapping[str, str], home: Path) -> Poetry:
    env = {**client_env,
           "PATH": f"{bin_dir}:{client_env['PATH']}",
           "POETRY_CACHE_DIR": str(home / "poetry-cache"),
           "POETRY_CONFIG_DIR": str(home / "poetry-config"),
           "POETRY_DATA_DIR": str(home / "poetry-data"),
           "POETRY_VIRTUALENVS_IN_PROJECT": "true",
           "POETRY_NO_INTERACTION": "1",
           "GIT_TERMINAL_PROMPT": "0"}
    return Poetry(bin_dir, env)


@pytest.fixture(scope="session")
def double_keyring_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """support/double_keyring.py as a wheel with a `keyring.backends` entry point: the test
    double of a system secret store (off unless DOUBLE_KEYRING_DIR is set)."""
    return build_wheel(tmp_path_factory.mktemp("double-keyring"), "pp-double-keyring",
                       "1.0.0", body=(PROJECT / "support" / "double_keyring.py").read_text(),
                       entry_points="[keyring.backends]\npp-double = pp_double_keyring\n")


@pytest.fixture(scope="session")
def poetry_bin(tmp_path_factory: pytest.TempPathFactory, project_wheel: Path,
               double_keyring_wheel: Path) -> Path:
    """Newest poetry 2.x with our wheel (keyring backend + plugin) beside it, and the
    secret-store test double."""
    return locked_venv(tmp_path_factory, "poetry", project_wheel, double_keyring_wheel)


@pytest.fixture(scope="session")
def poetry_oldest_bin(tmp_path_factory: pytest.TempPathFactory, project_wheel: Path,
                      double_keyring_wheel: Path) -> Path:
    """poetry 2.0.0, the oldest 2.x README claims (requirements/clients/poetry-oldest.in)."""
    return locked_venv(tmp_path_factory, "poetry-oldest", project_wheel, double_keyring_wheel)


@pytest.fixture
def poetry(poetry_bin: Path, client_env: dict[str, str], home: Path) -> Poetry:
    return poetry_for(poetry_bin, client_env, home)


def write_project(folder: Path, index_url: str, *, source: str = "private",
                  dependencies: tuple[str, ...] = (), extra: str = "",
                  name: str = "app", package_mode: bool = False) -> Path:
    """A poetry 2 project (PEP 621 metadata) with one primary private source."""
    folder.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (folder / "pyproject.toml").write_text(f"""\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = [{deps}]

[tool.poetry]
package-mode = {"true" if package_mode else "false"}

[[tool.poetry.source]]
name = "{source}"
url = "{index_url}"
priority = "primary"
{extra}""")
    return folder


@pytest.fixture(scope="session")
def poetry_vault_bin(tmp_path_factory: pytest.TempPathFactory, project_wheel: Path) -> Path:
    """Newest poetry 2.x with `private-packages[vault]` (hvac) for `${vault:…}` references,
    and poetry-plugin-export."""
    return locked_venv(tmp_path_factory, "poetry-vault", project_wheel)
