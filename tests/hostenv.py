"""This machine's configuration kept out of every test (TESTING.md, "Hostile input and the
host's own configuration").

It holds by construction, in two layers:

1. `shut_out_host` runs first in every pytest process (tests/conftest.py
   `pytest_configure`; xdist workers too). This process's environment loses every variable
   that steers pip, uv, git, poetry, keyring, twine, the other clients, our own config or
   CI detection, and gets a throwaway HOME with empty XDG dirs, `PIP_CONFIG_FILE=os.devnull`
   (pip then reads no pip.conf at all: site-wide, /etc, user), `GIT_CONFIG_NOSYSTEM` and
   `GIT_CONFIG_GLOBAL=os.devnull`, `UV_NO_CONFIG`. Every in-process call and every process
   a test starts with the inherited environment sees only that.
2. `client_environment(home)` (the `client_env` fixture) is the whole environment of a
   client a test drives, with a HOME of the test's own: tests add to it, never build one.

Tests about reading such configuration write their own into that temp HOME.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from tests.venvs import BIN

#: Variables that change how a client, our own code or a build behaves.
HOST_PREFIXES = (
    "PIP_", "UV_", "POETRY_", "PDM_", "PIPENV_", "HATCH_", "TOX_", "NOX_", "KEDRO_",
    "VIRTUALENV_", "PRE_COMMIT", "TWINE_", "KEYRING_", "PYTHON_KEYRING", "GIT_", "VAULT_",
    "BAO_", "PRIVATE_PACKAGES_",
    # CI detection and the CI presets' variables (CI runs this suite with CI=true)
    "CI_", "GITLAB_", "GITHUB_", "BITBUCKET_", "SYSTEM_",
)
HOST_VARIABLES = frozenset({
    "CI", "TF_BUILD", "NETRC", "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME",
    "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONWARNINGS",
})
#: Where the run's throwaway HOME puts each XDG base directory.
XDG_DIRS = {"XDG_CONFIG_HOME": ".config", "XDG_DATA_HOME": ".local/share",
            "XDG_CACHE_HOME": ".cache", "XDG_STATE_HOME": ".local/state"}


def account_home() -> Path:
    """The account's home from the password database, whatever HOME says (pyenv lives
    there; see tests/e2e/test_python39.py)."""
    return Path(pwd.getpwuid(os.getuid()).pw_dir)


def is_host_variable(name: str) -> bool:
    return name in HOST_VARIABLES or name.startswith(HOST_PREFIXES)


def make_home(path: Path) -> Path:
    for sub in XDG_DIRS.values():
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def home_variables(home: Path) -> dict[str, str]:
    return {"HOME": str(home), **{key: str(home / sub) for key, sub in XDG_DIRS.items()}}


def shut_out_host(environ: MutableMapping[str, str]) -> Path:
    """Scrub `environ` as the module docstring says; returns the throwaway HOME (removed by
    `remove_home`). uv's download cache stays where it was: a cache, not configuration,
    and without it every run would fetch every client venv again."""
    cache = environ.get("UV_CACHE_DIR") or str(
        Path(environ.get("XDG_CACHE_HOME") or Path(environ.get("HOME") or account_home(),
                                                   ".cache")) / "uv")
    for key in [k for k in environ if is_host_variable(k)]:
        del environ[key]
    home = make_home(Path(tempfile.mkdtemp(prefix="pytest-home-")))
    environ.update(home_variables(home), XDG_CONFIG_DIRS=str(home / "etc-xdg"),
                   UV_CACHE_DIR=cache, PIP_CONFIG_FILE=os.devnull,
                   PIP_DISABLE_PIP_VERSION_CHECK="1", GIT_CONFIG_NOSYSTEM="1",
                   GIT_CONFIG_GLOBAL=os.devnull, UV_NO_CONFIG="1")
    return home


def remove_home(home: Path) -> None:
    shutil.rmtree(home, ignore_errors=True)


def client_environment(home: Path) -> dict[str, str]:
    """The environment of one client process: PATH with the dev venv's tools, the temp
    `home` (its XDG dirs, uv cache, git global config, poetry and keyring dirs all inside),
    and no system-wide pip, git or uv configuration. Nothing else of this machine."""
    return {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        **home_variables(make_home(home)),
        "UV_CACHE_DIR": str(home / ".cache/uv"),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "UV_NO_CONFIG": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
    }
