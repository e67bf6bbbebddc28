"""`pip-private pin`: finding git refs the way pip splits them, rewriting lines without
disturbing anything else, `--check`, and resolution with real git against local `file://`
repositories (no credentials; the authenticated server is in tests/e2e/test_pin.py)."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from pip_hook.pin import find_refs, main

GIT = "/usr/bin/git"
_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull, "HOME": "/nonexistent"}


@pytest.mark.parametrize(("line", "url", "ref"), [
    ("acme @ git+https://h.example/org/acme.git@v1.2", "git+https://h.example/org/acme.git",
     "v1.2"),
    ("git+https://h.example/org/acme.git@main#egg=acme", "git+https://h.example/org/acme.git",
     "main"),
    ("-e git+https://h.example/org/acme.git@release/2.x#egg=acme&subdirectory=pkg",
     "git+https://h.example/org/acme.git", "release/2.x"),
    ("acme @ git+https://${U}:${T}@h.example/acme.git@v1 ; python_version > '3'",
     "git+https://${U}:${T}@h.example/acme.git", "v1"),
    ("acme @ git+ssh://git@h.example/org/acme.git@v3", "git+ssh://git@h.example/org/acme.git",
     "v3"),
    ("acme @ git+https://bot@h.example/acme.git", "git+https://bot@h.example/acme.git", None),
    ("git+file:///srv/repos/acme.git@" + "a" * 40, "git+file:///srv/repos/acme.git", "a" * 40),
    ("acme @ git+https://h.example/acme.git?x=1#egg=acme", "git+https://h.example/acme.git",
     None),
], ids=["pep508", "egg", "editable-slash-ref", "references-markers", "ssh-user", "no-ref",
        "sha", "query"])
def test_refs_are_split_like_pip(line: str, url: str, ref: Optional[str]) -> None:
    (found,) = find_refs([line + "\n"])
    assert (found.url, found.ref) == (url, ref)


def test_comments_and_continuations() -> None:
    lines = ["# git+https://h.example/commented.git@v1\n",
             "acme @ git+https://h.example/a.git@v1  # git+https://h.example/b.git@v2\n",
             "-e git+https://h.example/c.git@v3#egg=c \\\n",
             "    --config-settings x=y\n",
             "git+https://h.example/d.git@" + "b" * 40 + "#egg=d  # main -- our fork\n"]
    refs = list(find_refs(lines))
    assert [(r.url.rsplit("/", 1)[1], r.ref, r.index, r.last) for r in refs] == [
        ("a.git", "v1", 1, 1), ("c.git", "v3", 2, 3), ("d.git", "b" * 40, 4, 4)]
    assert refs[2].recorded == "main"
    assert refs[2].pinned and not refs[0].pinned


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        code = main(list(args), out, err)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def git(*args: str, cwd: Optional[Path] = None) -> str:
    return subprocess.run([GIT, *args], cwd=cwd, env=_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def commit(work: Path, message: str) -> str:
    git("-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", "commit",
        "--quiet", "--allow-empty", "-m", message, cwd=work)
    git("push", "--quiet", "--tags", "origin", "HEAD:refs/heads/main", cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A bare repo with branch `main`, lightweight tag `v1`, annotated tag `v2`, and a tag
    named like the branch (`main`) on an older commit: pip prefers the branch."""
    for key, value in _ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    bare, work = tmp_path / "acme.git", tmp_path / "work"
    git("init", "--quiet", "--bare", "--initial-branch", "main", str(bare))
    git("clone", "--quiet", str(bare), str(work))
    commit(work, "one")
    git("tag", "main", cwd=work)
    commit(work, "two")
    git("tag", "v1", cwd=work)
    git("-c", "user.name=t", "-c", "user.email=t@e", "tag", "-a", "v2", "-m", "v2", cwd=work)
    commit(work, "three")
    return bare.as_uri(), work


def test_pins_tags_and_branches_keeping_everything_else(repo: tuple[str, Path],
                                                        tmp_path: Path) -> None:
    url, work = repo
    text = (f"# our libraries\r\nacme @ git+{url}@v1  # pinned for the API\r\n"
            f"git+{url}@v2#egg=acme2\r\n-e git+{url}@main#egg=acme3 \\\r\n  --no-deps\r\n"
            f"git+{url}#egg=floating\r\nrequests==2.32.3\r\n")
    (tmp_path / "req.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "req.txt").chmod(0o640)

    code, out, err = run("-r", "req.txt", cwd=tmp_path)

    v1 = git("rev-parse", "v1^{commit}", cwd=work)
    head = git("rev-parse", "refs/heads/main", cwd=work)
    assert code == 0, err
    assert (tmp_path / "req.txt").read_bytes() == b"\xef\xbb\xbf" + (
        f"# our libraries\r\nacme @ git+{url}@{v1}  # v1 -- pinned for the API\r\n"
        f"git+{url}@{v1}#egg=acme2  # v2\r\n-e git+{url}@{head}#egg=acme3 \\\r\n"
        f"  --no-deps  # main\r\ngit+{url}#egg=floating\r\nrequests==2.32.3\r\n").encode()
    assert oct((tmp_path / "req.txt").stat().st_mode & 0o777) == "0o640"
    assert "req.txt:4" in out and f"main -> {head}" in out
    assert "req.txt:6" in err and "has no @REF" in err


def test_a_scheme_in_upper_case_is_pinned_too(repo: tuple[str, Path], tmp_path: Path) -> None:
    """pip reads `Git+File://` as `git+file://`; so does pin, and git gets it lower-case."""
    url, work = repo
    (tmp_path / "req.txt").write_text(f"acme @ Git+File://{url[len('file://'):]}@v1\n")
    code, _, err = run("-r", "req.txt", cwd=tmp_path)
    assert code == 0, err
    v1 = git("rev-parse", "v1^{commit}", cwd=work)
    assert f"@{v1}  # v1" in (tmp_path / "req.txt").read_text()


def test_a_moving_branch_is_left_alone_until_update(repo: tuple[str, Path],
                                                    tmp_path: Path) -> None:
    url, work = repo
    (tmp_path / "req.txt").write_text(f"acme @ git+{url}@main\n")
    assert run("-r", "req.txt", cwd=tmp_path)[0] == 0
    first = (tmp_path / "req.txt").read_text()
    newer = commit(work, "four")

    again = run("-r", "req.txt", cwd=tmp_path)
    assert again[0] == 0 and "nothing to pin" in again[1]
    assert (tmp_path / "req.txt").read_text() == first

    updated = run("--update", "-r", "req.txt", cwd=tmp_path)
    assert updated[0] == 0, updated[2]
    assert (tmp_path / "req.txt").read_text() == f"acme @ git+{url}@{newer}  # main\n"


def test_check_is_offline_and_fails_on_anything_unpinned(tmp_path: Path) -> None:
    sha = "c" * 40
    (tmp_path / "ok.txt").write_text(f"acme @ git+https://nowhere.invalid/a.git@{sha}\n")
    (tmp_path / "loose.txt").write_text("acme @ git+https://nowhere.invalid/a.git@v1\n"
                                        "b @ git+https://nowhere.invalid/b.git\n")
    assert run("--check", "-r", "ok.txt", cwd=tmp_path)[0] == 0
    code, out, _ = run("--check", "-rloose.txt", cwd=tmp_path)
    assert code == 1
    assert "loose.txt:1" in out and "loose.txt:2" in out and "2 git requirement(s)" in out
    assert (tmp_path / "loose.txt").read_text().count("@v1") == 1


def test_messages_hide_a_password_that_holds_an_at_sign(tmp_path: Path) -> None:
    """Userinfo ends at the LAST `@` of the authority: cutting at the first showed the
    password's tail (`ssw0rd-SECRET@host`)."""
    (tmp_path / "r.txt").write_text(
        "acme @ git+https://oauth2:p@ssw0rd-SECRET@gitlab.example.invalid/org/r.git@v1\n")
    code, out, err = run("--check", "-r", "r.txt", cwd=tmp_path)
    assert code == 1 and "git+https://gitlab.example.invalid/org/r.git@v1" in out
    assert "SECRET" not in out + err and "ssw0rd" not in out + err


def test_unknown_ref_fails_and_leaves_every_file_untouched(repo: tuple[str, Path],
                                                           tmp_path: Path) -> None:
    url, _ = repo
    (tmp_path / "a.txt").write_text(f"acme @ git+{url}@v1\n")
    (tmp_path / "b.txt").write_text(f"acme @ git+{url}@abc1234\n")
    code, _, err = run("-r", "a.txt", "-r", "b.txt", cwd=tmp_path)
    assert code == 2
    assert "b.txt:1" in err and "'abc1234'" in err and "abbreviated commit" in err
    assert (tmp_path / "a.txt").read_text() == f"acme @ git+{url}@v1\n"


def test_unreachable_repository_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text(f"acme @ git+{(tmp_path / 'none.git').as_uri()}@v1\n")
    code, _, err = run("-r", "r.txt", cwd=tmp_path)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("pip-private pin: error: ")


@pytest.mark.parametrize("scheme", ["git+https", "Git+Https"])
def test_a_literal_credential_never_reaches_git(tmp_path: Path, scheme: str) -> None:
    (tmp_path / "r.txt").write_text(f"acme @ {scheme}://bot:s3cr3t-value@h.invalid/a.git@v1\n")
    code, out, err = run("-r", "r.txt", cwd=tmp_path)
    assert code == 2
    assert "holds a credential" in err
    assert "s3cr3t-value" not in out + err
    code, out, _ = run("--check", "-r", "r.txt", cwd=tmp_path)
    assert code == 1 and "s3cr3t-value" not in out


@pytest.mark.parametrize(("args", "expected"), [
    ([], "name a requirements file"), (["-r"], "-r needs a requirements file"),
    (["--frobnicate"], "unexpected argument '--frobnicate'"),
    (["-r", "missing.txt"], "requirements file missing.txt does not exist"),
], ids=["nothing", "no-file", "unknown", "missing"])
def test_usage_errors_exit_2(args: list[str], expected: str, tmp_path: Path) -> None:
    code, _, err = run(*args, cwd=tmp_path)
    assert code == 2 and expected in err
