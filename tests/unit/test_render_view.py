"""`pip-private render` shows the whole picture: every file pip will read, in pip's order,
rendered or unchanged, with no value and no hard-coded password in sight."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pip_hook.render_view import hide_userinfo, render_command
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def render(*args: str) -> str:
    out = io.StringIO()
    assert render_command(list(args), out) == 0
    return out.getvalue()


def test_every_file_is_shown_rendered_or_unchanged(project: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    secret = make_canary()
    monkeypatch.setenv("TOKEN", secret)
    write(project, {
        "requirements.txt": "--index-url https://bot:${TOKEN}@h.example/simple  # ours\n"
                            "-r reqs/app.txt\n",
        "reqs/app.txt": "# app\n-c ../constraints.txt\nacme \\\n  ==1.0\n"
                        "-r https://u:hard-coded-pw@h.example/r.txt\n",
        "constraints.txt": "acme<2\n",
    })
    out = render("-r", "requirements.txt", "tool @ https://${TOKEN}@h.example/t.whl")
    assert out == (
        "# requirements.txt (rendered)\n"
        "   1  --index-url https://bot:****@h.example/simple\n"
        f"   2  --requirement {project / 'reqs/app.txt'}\n"
        "# reqs/app.txt (unchanged, included from requirements.txt:2)\n"
        "   2  -c ../constraints.txt\n"
        "   3  acme   ==1.0\n"
        "   5  -r https://u:****@h.example/r.txt\n"
        "# constraints.txt (unchanged, included from reqs/app.txt:2)\n"
        "   1  acme<2\n"
        "# https://u:****@h.example/r.txt (remote, included from reqs/app.txt:5): pip "
        "fetches it itself\n"
        "# command line\n"
        # the value's first ':' parts user and password (README), so both are masked
        "      tool @ https://****:****@h.example/t.whl\n")
    assert_not_in_texts(secret, {"render": out}, username="bot")
    assert "hard-coded-pw" not in out


def test_a_rendered_child_makes_its_includer_rendered_too(project: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("V", "1.2.3")
    write(project, {"r.txt": "-r base.txt\n", "base.txt": "acme==${V}\n"})
    out = render("-r", "r.txt")
    assert out.splitlines() == ["# r.txt (rendered)", "   1  --requirement base.txt",
                                "# base.txt (rendered, included from r.txt:1)",
                                "   1  acme==****"]


@pytest.mark.parametrize(("text", "shown"), [
    ("https://user:pw@h/x", "https://user:****@h/x"),
    ("https://token@h/x", "https://****@h/x"),
    ("git+https://a:b@c@h/x.git@v1", "git+https://a:****@h/x.git@v1"),
    ("pkg @ https://h/x.whl#sha256=1", "pkg @ https://h/x.whl#sha256=1"),
    ("a https://u:p@h b http://q@g/ c", "a https://u:****@h b http://****@g/ c"),
    ("https://h/path@v1", "https://h/path@v1"),
    ("://@", "://****@"),
    ("no url at all", "no url at all"),
])
def test_hide_userinfo_as_pip_redacts(text: str, shown: str) -> None:
    assert hide_userinfo(text) == shown


def test_hide_userinfo_is_linear_on_a_hostile_line() -> None:
    # 200,000 scheme separators with no authority end: one pass, not one per separator.
    assert hide_userinfo("a://" * 200_000 + "@").endswith("a://****@")
