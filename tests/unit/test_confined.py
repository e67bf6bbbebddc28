"""A project rule's `${file:}` reads only what the project cannot move after approval
(keyring_backend/confined.py): trust attack, finding 7 -- an approved
`${file:ci/public-read-token}` became, after a `git pull`, a symlink to `~/.secrets/token`.
The e2e case (plain pip, evil server) is tests/e2e/test_trust_attacks.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.confined import opened_here, resolve_confined
from keyring_backend.errors import UnresolvedReference
from keyring_backend.regular_files import UnreadableFile
from keyring_backend.store import CredentialStore
from tests.conftest import make_canary
from tests.trusting import trust


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/project/ci/token (the project's own file), tmp/home/.secrets/token (yours)."""
    (tmp_path / "project" / "ci").mkdir(parents=True)
    (tmp_path / "project" / "ci" / "token").write_text("public\n")
    (tmp_path / "home" / ".secrets").mkdir(parents=True)
    (tmp_path / "home" / ".secrets" / "token").write_text("yours\n")
    return tmp_path


# (links to add: path -> target, the path as written, relative?, where it must end or None)
CASES: dict[str, tuple[dict[str, str], str, bool, Optional[str]]] = {
    "the project's file": ({}, "project/ci/token", True, "project/ci/token"),
    "a link inside that stays inside": ({"project/ci/t2": "token"}, "project/ci/t2", True,
                                        "project/ci/token"),
    "the last component swapped for a link out": (
        {"project/ci/token": "../../home/.secrets/token"}, "project/ci/token", True, None),
    "a directory swapped for a link out": ({"project/ci": "../home/.secrets"},
                                           "project/ci/token", True, None),
    "relative, walking out with ..": ({}, "project/../home/.secrets/token", True, None),
    "absolute, through the project's link": ({"project/ci": "../home/.secrets"},
                                             "/proc/self/cwd/ci/token", False, None),
    "absolute, into the project's own file": ({}, "/proc/self/cwd/ci/token", False,
                                              "project/ci/token"),
    "absolute, your own file": ({}, "home/.secrets/token", False, "home/.secrets/token"),
    "absolute, through your own link": ({"home/link": ".secrets"}, "home/link/token", False,
                                        "home/.secrets/token"),
    "a link out and back in": ({"project/out": "../home", "home/back": "../project/ci"},
                               "project/out/back/token", True, "project/ci/token"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_which_files_a_project_rule_may_read(tree: Path, case: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    links, written, relative, ends = CASES[case]
    for link, target in links.items():
        if (tree / link).is_dir() and not (tree / link).is_symlink():
            (tree / link).rename(tree / f"{link}.moved")
        else:
            (tree / link).unlink(missing_ok=True)
        (tree / link).symlink_to(target)
    monkeypatch.chdir(tree / "project")
    path = Path(written) if written.startswith("/") else tree / written
    if ends is None:
        with pytest.raises(UnreadableFile, match="lies outside the project"):
            resolve_confined(path, tree / "project", relative=relative)
    else:
        assert resolve_confined(path, tree / "project", relative=relative) == tree / ends


def test_a_loop_of_links_is_refused(tree: Path) -> None:
    (tree / "project" / "a").symlink_to("b")
    (tree / "project" / "b").symlink_to("a")
    with pytest.raises(UnreadableFile, match="loop"):
        resolve_confined(tree / "project" / "a", tree / "project", relative=True)


def test_a_file_swapped_between_the_check_and_the_open_is_refused(tree: Path) -> None:
    """The race: the checked path was the project's file; what got opened is yours."""
    checked = tree / "project" / "ci" / "token"
    verify = opened_here(checked, tree / "project", relative=True)
    fd = os.open(tree / "home" / ".secrets" / "token", os.O_RDONLY)
    try:
        with pytest.raises(UnreadableFile, match="changed while it was opened"):
            verify(fd, os.fstat(fd))
        good = os.open(checked, os.O_RDONLY)
        verify(good, os.fstat(good))  # the file that was checked passes
        os.close(good)
    finally:
        os.close(fd)


def test_an_approved_rule_stops_reading_after_a_pull_swaps_its_file(tree: Path) -> None:
    secret = make_canary("yours")
    (tree / "home" / ".secrets" / "token").write_text(secret + "\n")
    project = tree / "project"
    (project / "pyproject.toml").write_text(
        '[[tool.private-packages.credentials]]\nurl = "https://evil.example.com/"\n'
        'password = "${file:ci/token}"\n\n[[tool.private-packages.credentials]]\n'
        'url = "https://mine.example.com/"\npassword = "${file:~/.secrets/token}"\n')
    env = {"HOME": str(tree / "home")}
    trust(env, project)
    store = CredentialStore(env, project)
    credential = store.credential_for("https://evil.example.com/simple/")
    assert credential is not None and credential.password.reveal() == "public"
    (project / "ci" / "token").unlink()  # `git pull`: pyproject.toml, and the digest, unchanged
    (project / "ci" / "token").symlink_to("../../home/.secrets/token")
    store = CredentialStore(env, project)
    assert store.config.trust is not None and store.config.trust.trusted
    with pytest.raises(UnresolvedReference) as info:
        store.credential_for("https://evil.example.com/simple/")
    assert "lies outside the project" in str(info.value) and secret not in str(info.value)
    # an absolute (or ~) reference you approved reads your file, as approved
    mine = store.credential_for("https://mine.example.com/simple/")
    assert mine is not None and mine.password.reveal() == secret
