"""`pip-private scan` as a real pre-commit hook (`.pre-commit-hooks.yaml`): pre-commit from
PyPI installs this project into its own hook environment, runs the `pip-private` console
script on the files its `files:` pattern matches, and a commit holding a hard-coded
credential is refused -- with the secret nowhere in what the user sees."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import locked_venv
from tests.leaks import assert_not_in_texts
from tests.venvs import copy_project

pytestmark = pytest.mark.e2e

GIT = "/usr/bin/git"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run([GIT, "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def _hook_repo(target: Path) -> Path:
    """This working tree, uncommitted files included, committed into a repository of its own:
    pre-commit installs hooks from a commit, and `try-repo` would leave untracked files out."""
    copy_project(target)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-q", "-m", "snapshot")
    return target


def test_precommit_hook_refuses_a_hard_coded_credential(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
        client_env: dict[str, str], canary: str) -> None:
    pre_commit = locked_venv(tmp_path_factory, "pre-commit") / "pre-commit"
    hooks = _hook_repo(tmp_path / "hooks")
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q")
    (work / "requirements.txt").write_text(
        f"acme==1.0\n-i https://deploy:{quote(canary, safe='')}@h.example.com/simple\n")
    (work / "Dockerfile").write_text("FROM python:3.12\nARG GITLAB_TOKEN\n")
    # not a file the hook reads: the `files:` pattern keeps it away from the scanner
    (work / "NOTES.md").write_text(f"-i https://deploy:{quote(canary, safe='')}@h.example.com/\n")
    env = {**client_env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}

    tried = subprocess.run(
        [pre_commit, "try-repo", hooks, "pip-private-scan", "--verbose",
         "--files", "requirements.txt", "Dockerfile", "NOTES.md"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)

    assert tried.returncode == 1, tried.stdout + tried.stderr
    assert "requirements.txt:2:4: url-userinfo: hard-coded password in the URL for " \
           "h.example.com (userinfo deploy:****)" in tried.stdout
    assert "NOTES.md" not in tried.stdout
    assert "1 hard-coded credential(s) in 1 file(s)" in tried.stdout

    # The README's .pre-commit-config.yaml, installed as a git hook: the commit is refused.
    rev = subprocess.run([GIT, "rev-parse", "HEAD"], cwd=hooks, check=True,
                         capture_output=True, text=True).stdout.strip()
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: pip-private-scan\n")
    subprocess.run([pre_commit, "install"], cwd=work, env=env, check=True,
                   capture_output=True, timeout=60)
    _git(work, "add", "-A")
    committed = subprocess.run(
        [GIT, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-m", "leak"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)

    assert committed.returncode != 0
    assert "pip-private scan" in committed.stdout + committed.stderr
    assert "requirements.txt:2:4: url-userinfo" in committed.stdout + committed.stderr
    assert_not_in_texts(canary, {"try-repo": tried.stdout + tried.stderr,
                                 "commit": committed.stdout + committed.stderr})

    # With the credential replaced by the proposal, the same commit goes through.
    (work / "requirements.txt").write_text(
        "acme==1.0\n-i https://deploy:${H_EXAMPLE_COM_TOKEN}@h.example.com/simple\n")
    (work / "NOTES.md").unlink()
    _git(work, "add", "-A")
    clean = subprocess.run(
        [GIT, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-m", "ok"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
