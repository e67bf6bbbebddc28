"""`private-packages run` driving real tools, shared by the run test files: a project dir,
an environment with the token only in `ACME_TOKEN` and the rule in env-defined variables
(the user's own layer, which trust never withholds), and a runner that samples the argv of
every process the command starts (tests/processes.py) while it runs."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from support.pypi_server import PrivateIndex
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.processes import ArgvSampler

USER = "deploy-bot"


@dataclass
class RunJob:
    root: Path
    project: Path
    env: dict[str, str]
    private_packages: Path
    argv_seen: set[str] = field(default_factory=set)
    outputs: list[str] = field(default_factory=list)
    ran: bool = False

    def run(self, *argv: str | Path, through_run: bool = True, timeout: float = 300,
            cwd: Optional[Path] = None, env: Optional[dict[str, str]] = None
            ) -> subprocess.CompletedProcess[str]:
        words = [str(a) for a in argv]
        if through_run:
            words = [str(self.private_packages), "run", "--", *words]
        with ArgvSampler() as sampler:
            result = subprocess.run(words, cwd=cwd or self.project,
                                    env={**(env or self.env), **sampler.env},
                                    capture_output=True, text=True, timeout=timeout,
                                    check=False, stdin=subprocess.DEVNULL)
        self.argv_seen |= sampler.seen
        self.ran = True
        self.outputs += [result.stdout, result.stderr]
        return result

    def write(self, name: str, text: str) -> Path:
        path = self.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def assert_clean(self, secret: str) -> None:
        """The token is nowhere: outputs, every process's argv, any file under the test's
        directory (project, lock files, venvs, HOME, caches, temp dir)."""
        # A command that fails in milliseconds may end between two samples; the scenario
        # as a whole must have been seen, when it ran anything through `run`.
        assert self.argv_seen or not self.ran, "the sampler saw no process of this scenario"
        assert_not_in_texts(secret, {"output": "\n".join(self.outputs),
                                     "argv": "\n".join(self.argv_seen)}, username=USER)
        assert assert_not_in_files(secret, [self.root], username=USER) > 0


def make_run_job(tmp_path: Path, clients: Clients, client_env: dict[str, str],
                 index: PrivateIndex, token: str) -> RunJob:
    """The rule binds the index to `${ACME_TOKEN}` through env-defined variables."""
    project = tmp_path / "project"
    (tmp_path / "tmp").mkdir()
    project.mkdir()
    env = {**client_env, "ACME_TOKEN": token, "TMPDIR": str(tmp_path / "tmp"),
           "PRIVATE_PACKAGES_ACME_URL": index.url + "/",
           "PRIVATE_PACKAGES_ACME_USERNAME": USER,
           "PRIVATE_PACKAGES_ACME_PASSWORD": "${ACME_TOKEN}",
           "GIT_TERMINAL_PROMPT": "0", "PIP_NO_INPUT": "1", "UV_PYTHON_DOWNLOADS": "never"}
    return RunJob(tmp_path, project, env, clients.pip_python.parent / "private-packages")
