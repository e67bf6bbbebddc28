"""`pip-private pin` from the installed wheel against a real `git http-backend` behind basic
auth: tags and branches become commit SHAs, a branch that moves is re-pinned only on
`--update`, comments and order stay, a wrong token fails cleanly, and the token shows in
no output, file or process argument (git runs behind a recording shim)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from support.git_server import GitServer
from support.shims import install_recording_shim
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts

pytestmark = pytest.mark.e2e

GIT = "/usr/bin/git"
USER = "deploy-bot"
_GIT_ENV = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "HOME": tempfile.gettempdir()}


def git(*args: str) -> str:
    return subprocess.run([GIT, *args], env=_GIT_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def push_commit(bare: Path, message: str, tag: Optional[str] = None,
                annotated: bool = False) -> str:
    """Commit on `main` and push straight into the bare repository (the HTTP server only
    serves fetches); return the new commit."""
    with tempfile.TemporaryDirectory(prefix="git-push-") as tmp:
        work = Path(tmp) / "w"
        git("clone", "--quiet", str(bare), str(work))
        ident = ["-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false"]
        git("-C", str(work), *ident, "commit", "--quiet", "--allow-empty", "-m", message)
        if tag:
            git("-C", str(work), *ident, "tag", *(["-a", "-m", tag] if annotated else []), tag)
        git("-C", str(work), "push", "--quiet", "--tags", "origin", "HEAD:refs/heads/main")
        return git("-C", str(work), "rev-parse", "HEAD")


@dataclass
class Pin:
    root: Path
    project: Path
    env: dict[str, str]
    pip_private: Path
    argv_log: Path
    bare: Path
    repo_url: str

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.pip_private), "pin", *args], cwd=self.project,
                              env=self.env, capture_output=True, text=True, timeout=120,
                              check=False)

    def write(self, text: str, name: str = "requirements.txt") -> Path:
        path = self.project / name
        path.write_text(text)
        return path

    def assert_clean(self, secret: str, *results: subprocess.CompletedProcess[str]) -> None:
        texts = {f"{kind} {n}": getattr(r, kind) for n, r in enumerate(results)
                 for kind in ("stdout", "stderr")}
        texts["git argv"] = self.argv_log.read_text() if self.argv_log.exists() else ""
        assert_not_in_texts(secret, texts, username=USER)
        assert assert_not_in_files(secret, [self.root], username=USER) > 0


@pytest.fixture
def server(tmp_path: Path, canary: str) -> Iterator[GitServer]:
    with GitServer(tmp_path / "repos", password=canary, username=USER) as git_server:
        git_server.make_repo("acme-git", {"README": "acme\n"})
        yield git_server


@pytest.fixture
def pin(tmp_path: Path, server: GitServer, clients: Clients, client_env: dict[str, str],
        canary: str) -> Pin:
    """A project whose git host is bound by an env-defined rule to ${GIT_TOKEN}."""
    argv_log = tmp_path / "argv.log"
    shims = tmp_path / "shims"
    install_recording_shim(shims, "git", GIT, argv_log)
    for name in ("tmp", "project"):
        (tmp_path / name).mkdir()
    env = {**client_env, "PATH": f"{shims}:{client_env['PATH']}",
           "TMPDIR": str(tmp_path / "tmp"), "GIT_CONFIG_NOSYSTEM": "1",
           "PRIVATE_PACKAGES_GIT_URL": server.url, "PRIVATE_PACKAGES_GIT_USERNAME": USER,
           "PRIVATE_PACKAGES_GIT_PASSWORD": "${GIT_TOKEN}", "GIT_TOKEN": canary}
    bare = server.root / "acme-git.git"
    return Pin(tmp_path, tmp_path / "project", env, clients.pip_python.parent / "pip-private",
               argv_log, bare, f"{server.url}/acme-git.git")


def test_tags_and_branches_become_shas_keeping_comments_and_order(
        pin: Pin, server: GitServer, canary: str) -> None:
    v1 = push_commit(pin.bare, "one", tag="v1.0")
    v2 = push_commit(pin.bare, "two", tag="v2.0", annotated=True)
    head = push_commit(pin.bare, "three")
    url = pin.repo_url
    path = pin.write(f"# internal libraries\nacme-git @ git+{url}@v1.0  # API v1\n"
                     f"requests==2.32.3\n-e git+{url}@v2.0#egg=acme-git\n"
                     f"acme-git @ git+{url}@main#subdirectory=. \\\n    --no-deps\n"
                     f"floating @ git+{url}\n")
    before = pin.run("--check", "-r", "requirements.txt")

    result = pin.run("-r", "requirements.txt")
    after = pin.run("--check", "-r", "requirements.txt")

    assert before.returncode == 1 and "not pinned" in before.stdout
    assert result.returncode == 0, result.stderr
    assert path.read_text() == (
        f"# internal libraries\nacme-git @ git+{url}@{v1}  # v1.0 -- API v1\n"
        f"requests==2.32.3\n-e git+{url}@{v2}#egg=acme-git  # v2.0\n"
        f"acme-git @ git+{url}@{head}#subdirectory=. \\\n    --no-deps  # main\n"
        f"floating @ git+{url}\n")
    assert "requirements.txt:7" in result.stderr and "no @REF" in result.stderr
    assert after.returncode == 1 and "requirements.txt:7" in after.stdout
    assert "ls-remote" in pin.argv_log.read_text()
    authorized = [r for r in server.requests if r.authorized]
    assert authorized and {r.username for r in authorized} == {USER}
    pin.assert_clean(canary, before, result, after)


def test_a_branch_that_moves(pin: Pin, canary: str) -> None:
    first = push_commit(pin.bare, "one")
    path = pin.write(f"acme-git @ git+{pin.repo_url}@main\n")
    pinned = pin.run("-r", "requirements.txt")
    assert pinned.returncode == 0, pinned.stderr
    assert path.read_text() == f"acme-git @ git+{pin.repo_url}@{first}  # main\n"

    second = push_commit(pin.bare, "two")
    path.write_text(path.read_text() + f"other @ git+{pin.repo_url}@main\n")
    again = pin.run("-r", "requirements.txt")
    assert again.returncode == 0, again.stderr
    assert path.read_text() == (f"acme-git @ git+{pin.repo_url}@{first}  # main\n"
                                f"other @ git+{pin.repo_url}@{second}  # main\n")

    updated = pin.run("--update", "-r", "requirements.txt")
    assert updated.returncode == 0, updated.stderr
    assert path.read_text() == (f"acme-git @ git+{pin.repo_url}@{second}  # main\n"
                                f"other @ git+{pin.repo_url}@{second}  # main\n")
    assert f"main -> {second}" in updated.stdout and "is still" in updated.stdout
    pin.assert_clean(canary, pinned, again, updated)


def test_wrong_token_is_one_line_exit_3_and_the_file_is_untouched(
        pin: Pin, server: GitServer, canary: str) -> None:
    push_commit(pin.bare, "one", tag="v1.0")
    wrong = canary.replace("tok-", "wrong-")
    pin.env["GIT_TOKEN"] = wrong
    text = f"acme-git @ git+{pin.repo_url}@v1.0\n"
    path = pin.write(text)

    result = pin.run("-r", "requirements.txt")

    assert result.returncode == 3
    assert result.stderr.startswith("pip-private pin: error: ") and "rejected" in result.stderr
    assert [line for line in result.stderr.splitlines() if "pip-private" in line] == [
        result.stderr.splitlines()[-1]]
    assert path.read_text() == text
    assert any(r.username == USER and not r.authorized for r in server.requests)
    for secret in (canary, wrong):
        pin.assert_clean(secret, result)


def test_no_rule_is_exit_2_and_sends_nothing(pin: Pin, server: GitServer, canary: str) -> None:
    push_commit(pin.bare, "one", tag="v1.0")
    for key in [k for k in pin.env if k.startswith("PRIVATE_PACKAGES_")]:
        del pin.env[key]
    text = f"acme-git @ git+{pin.repo_url}@v1.0\n"
    path = pin.write(text)

    result = pin.run("-r", "requirements.txt")

    assert result.returncode == 2
    assert "no rule supplies one" in result.stderr
    assert path.read_text() == text
    assert not any(r.username for r in server.requests)
    pin.assert_clean(canary, result)


def test_references_in_the_url_are_rendered_and_kept_out_of_git_argv(
        pin: Pin, canary: str) -> None:
    v1 = push_commit(pin.bare, "one", tag="v1.0")
    for key in [k for k in pin.env if k.startswith("PRIVATE_PACKAGES_")]:
        del pin.env[key]
    pin.env["GIT_USER"] = USER
    # pin sends the credential in a URL only for a trusted file (else it asks anonymously)
    pin.env["PRIVATE_PACKAGES_TRUST"] = "1"
    host = pin.repo_url.removeprefix("http://")
    path = pin.write(f"acme-git @ git+http://${{GIT_USER}}:${{GIT_TOKEN}}@{host}@v1.0\n")

    result = pin.run("-r", "requirements.txt")

    assert result.returncode == 0, result.stderr
    assert path.read_text() == (
        f"acme-git @ git+http://${{GIT_USER}}:${{GIT_TOKEN}}@{host}@{v1}  # v1.0\n")
    calls = [line for line in pin.argv_log.read_text().splitlines() if "ls-remote" in line]
    assert calls == [f"git ls-remote -- {pin.repo_url}"]
    pin.assert_clean(canary, result)
