"""A URL the clients read as different hosts gets no credential through `private-packages
run` (attack 3, finding 1; keyring_backend/urls.py, tests/unit/test_urls.py).

The user's own rule (env variables, which trust never withholds) binds the good index on
127.0.0.2; a cloned project names its index `http://EVIL\\@GOOD/simple/`, EVIL being a
logging server on 127.0.0.3. urlsplit reads GOOD there, so run used to hand the rule's
credential to the tool: uv (WHATWG) and twine (urllib3) then connect to EVIL and send it;
pdm (httpx) reads GOOD. Each real tool runs through run; EVIL sees no credential, nothing
is given at all (GOOD sees none either), and run says why.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from support.evil_server import EvilServer
from support.wheels import build_wheel
from tests.leaks import assert_not_in_texts
from tests.venvs import BIN, locked_venv

pytestmark = pytest.mark.e2e

USER = "deploy-bot"


def _clone(root: Path, url: str) -> Path:
    """The cloned project: one uv index, a pdm repository and a .pypirc, all at `url`."""
    clone = root / "cloned"
    (clone / ".git").mkdir(parents=True)
    (clone / "pyproject.toml").write_text(f"""\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["somepkg"]

[[tool.uv.index]]
name = "internal"
url = '{url}/simple/'

[tool.pdm]
distribution = false
""")
    (clone / "pdm.toml").write_text(f"[repository.corp]\nurl = '{url}/'\n")
    (clone / ".pypirc").write_text(f"[distutils]\nindex-servers = corp\n\n"
                                   f"[corp]\nrepository = {url}/\n")
    build_wheel(clone / "dist", "app", "0.1.0")
    return clone


#: tool -> (argv after run, the server the tool connects to without a credential). Given
#: one, uv sent it to EVIL (`GET /@GOOD/simple/somepkg/`), twine too (`POST /\\@GOOD/`),
#: pdm to GOOD; without one twine stops before it connects (--non-interactive).
COMMANDS: dict[str, tuple[list[str], Optional[str]]] = {
    "uv": ([str(BIN / "uv"), "lock"], "evil"),
    "twine": ([str(BIN / "twine"), "upload", "--non-interactive", "--config-file", ".pypirc",
               "-r", "corp", "dist/app-0.1.0-py3-none-any.whl"], None),
    "pdm": (["pdm", "publish", "--no-build", "-r", "corp"], "good"),
}


@pytest.mark.parametrize("tool", [
    "uv", "twine", pytest.param("pdm", marks=pytest.mark.clients)])
def test_a_backslash_before_the_host_gets_no_credential(
        tool: str, client_env: dict[str, str], good: EvilServer, evil: EvilServer,
        canary: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    evil_host, good_host = evil.url.split("//")[1], good.url.split("//")[1]
    clone = _clone(tmp_path, f"http://{evil_host}\\@{good_host}")
    env = {k: v for k, v in client_env.items() if k != "UV_NO_CONFIG"}
    env.update({"ACME_TOKEN": canary, "PRIVATE_PACKAGES_ACME_URL": good.url + "/",
                "PRIVATE_PACKAGES_ACME_USERNAME": USER,
                "PRIVATE_PACKAGES_ACME_PASSWORD": "${ACME_TOKEN}",
                "UV_PYTHON_DOWNLOADS": "never", "PDM_CHECK_UPDATE": "false",
                "PDM_IGNORE_SAVED_PYTHON": "1", "PDM_PYTHON": sys.executable})
    if tool == "pdm":
        env["PATH"] = f"{locked_venv(tmp_path_factory, 'run-pdm')}:/usr/bin:/bin"
    argv, reached = COMMANDS[tool]
    result = subprocess.run([str(BIN / "private-packages"), "run", "--", *argv], cwd=clone,
                            env=env, capture_output=True, text=True, timeout=180, check=False,
                            stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    if reached is not None:  # the tool went where the URL took it
        assert {"evil": evil, "good": good}[reached].requests, output
    assert not evil.saw(canary, USER), "the credential reached the other host"
    assert not good.saw(canary, USER), "a credential was given for an unclear URL"
    assert_not_in_texts(canary, {"output": output}, username=USER)
    assert "private-packages: warning: not giving" in result.stderr, output
    assert "clients read the host of its URL differently" in result.stderr
