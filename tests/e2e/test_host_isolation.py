"""The suite ignores the host's configuration: a child pytest run of tests that drive pip,
uv, twine, keyring, git and poetry passes on a hostile host (tests/hostile_host.py: pip.conf
with `constraint`, `find-links` and dead indexes, PIP_*/UV_*/GIT_* variables, ~/.gitconfig,
keyring, .netrc, .pypirc, poetry and user config), and every hostile piece is first shown to
be live, so a pass means the suite shut it out, not that it was harmless."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_host import hostile_config_files, hostile_host, hostile_variables
from tests.venvs import BIN, PROJECT

pytestmark = pytest.mark.e2e

#: One test per client, the quickest that still installs, uploads or clones for real.
SUBSET = [
    "tests/unit/test_pipargs.py::test_pip_parses_like_we_do",
    "tests/unit/test_pin.py::test_pins_tags_and_branches_keeping_everything_else",
    "tests/e2e/test_clients.py::test_pip_import_provider_installs_with_env_secret",
    "tests/e2e/test_clients.py::test_pip_subprocess_provider_uses_keyring_cli_from_another_venv",
    "tests/e2e/test_clients.py::test_uv_subprocess_keyring_installs",
    "tests/e2e/test_clients.py::test_twine_upload_gets_username_and_password_from_backend",
    "tests/e2e/test_git_credential.py::test_clone_gets_the_token_from_the_helper_only",
    "tests/e2e/test_poetry_keyring.py::test_poetry_lock_and_install_use_source_rule",
]


def run(argv: list[str], env: dict[str, str], cwd: Path,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def test_every_hostile_piece_is_live(tmp_path: Path) -> None:
    """Without the suite's isolation, pip and git read every hostile file and variable."""
    files = hostile_config_files(tmp_path)
    base = {"PATH": f"{BIN}:/usr/bin:/bin"}
    pip_config = [sys.executable, "-m", "pip", "config", "list"]
    # the user's pip.conf, then the site-wide one (XDG_CONFIG_DIRS), each on its own
    by_home = run(pip_config, {**base, **files, "XDG_CONFIG_DIRS": str(tmp_path / "none")},
                  tmp_path).stdout
    by_site = run(pip_config, {**base, "HOME": str(tmp_path / "empty"),
                               "XDG_CONFIG_DIRS": files["XDG_CONFIG_DIRS"]}, tmp_path).stdout
    for listed in (by_home, by_site):
        assert "global.constraint=" in listed and "global.find-links=" in listed
        assert "global.extra-index-url='http://127.0.0.1:9/simple/'" in listed
    variables = hostile_variables(tmp_path)
    by_env = run(pip_config, {**base, **variables, "PIP_CONFIG_FILE": "/dev/null",
                              "HOME": str(tmp_path / "empty")}, tmp_path).stdout
    assert ":env:.constraint=" in by_env and ":env:.index-url=" in by_env
    for env in ({**base, **files}, {**base, **variables, "HOME": str(tmp_path / "empty")}):
        rewrite = run(["git", "config", "--get", "url.http://127.0.0.1:9/.insteadof"], env,
                      tmp_path)
        assert rewrite.stdout.strip() == "http://", rewrite.stderr
    refused = run([sys.executable, "-m", "pip", "download", "--no-deps", "--retries", "0",
                   "--timeout", "5", "-d", str(tmp_path / "dl"), "keyring"],
                  {**base, **files, **variables}, tmp_path, timeout=120)
    assert refused.returncode != 0


def test_suite_passes_on_a_hostile_host(tmp_path: Path) -> None:
    env = hostile_host(tmp_path / "host")
    result = run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                  "--basetemp", str(tmp_path / "basetemp"), *SUBSET], env, PROJECT,
                 timeout=900)

    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert re.fullmatch(rf"{len(SUBSET)} passed in .*", summary), summary
