"""`pip-private trust` (keyring_backend/approval.py through pip_hook/trust.py): what it
prints, the question, --yes, --list, --revoke, exit codes; and the requirements-file gate
(config/locations.py) it opens."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from keyring_backend.config import load_config
from keyring_backend.config.locations import LocationTrust
from keyring_backend.errors import UntrustedReference
from keyring_backend.settings import Settings
from keyring_backend.trust import read_state, state_path
from pip_hook import trust as trust_cli
from pip_hook.render import Renderer
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.trusting import trust

PYPROJECT = """\
[[tool.private-packages.credentials]]
url = "https://pkgs.example.com/simple"
username = "${DEPLOY_USER}"
password = "${file:~/.pypi-token}"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    token = home / ".pypi-token"
    token.write_text(make_canary("file") + "\n")
    return {"HOME": str(home), "DEPLOY_USER": make_canary("user"), "ENV_TOKEN": "env-value"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    (path / "src").mkdir(parents=True)
    (path / "pyproject.toml").write_text(PYPROJECT)
    return path


def run(env: dict[str, str], cwd: Path, *args: str, answer: str = "",
        monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    for key in list(os.environ):
        if key.startswith("PRIVATE_PACKAGES_") or key in ("CI", "HOME", "XDG_STATE_HOME"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    code = trust_cli.main(list(args), out, err, io.StringIO(answer), cwd=cwd)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("answer", "code"), [("y\n", 0), ("YES\n", 0), ("yes", 0),
                                               ("n\n", 1), ("\n", 1), ("", 1), ("sure\n", 1)])
def test_prints_what_it_approves_then_asks(env: dict[str, str], project: Path, answer: str,
                                           code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    got, out, err = run(env, project / "src", answer=answer, monkeypatch=monkeypatch)
    assert got == code
    assert f"Project {project} (pyproject.toml)" in out
    assert ("${file:~/.pypi-token} (username ${DEPLOY_USER}) to "
            "https://pkgs.example.com/simple") in out
    assert "Trust this project? [y/N] " in out
    assert (str(project) in read_state(state_path(env))) == (code == 0)
    assert ("Not trusted; nothing recorded." in err) == (code == 1)
    for value in (env["DEPLOY_USER"], Path(env["HOME"], ".pypi-token").read_text().strip()):
        assert_not_in_texts(value, {"out": out, "err": err})
    assert load_config(env, project).untrusted == (code != 0)


def test_yes_skips_the_question_and_a_second_run_has_nothing_to_do(
        env: dict[str, str], project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(env, project, "--yes", monkeypatch=monkeypatch)
    assert code == 0 and "[y/N]" not in out and f"Trusted {project}" in out
    code, out, _ = run(env, project, monkeypatch=monkeypatch)
    assert code == 0 and "already trusted" in out and "[y/N]" not in out


def test_list_and_revoke(env: dict[str, str], project: Path, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "reqs-only"
    other.mkdir()
    for directory in (project, other):
        assert run(env, directory, "-y", monkeypatch=monkeypatch)[0] == 0
    (project / "pyproject.toml").write_text(PYPROJECT.replace("simple", "other"))
    code, out, _ = run(env, tmp_path, "--list", monkeypatch=monkeypatch)
    assert code == 0
    assert f"{project}  approved " in out and "(changed since" in out
    assert f"{other}  approved " in out and "(holds)" in out
    code, out, _ = run(env, project / "src", "--revoke", monkeypatch=monkeypatch)
    assert (code, out) == (0, f"Revoked trust in {project}.\n")
    code, out, _ = run(env, tmp_path, "--revoke", str(project), monkeypatch=monkeypatch)
    assert "was not trusted" in out
    assert list(read_state(state_path(env))) == [str(other)]


@pytest.mark.parametrize("args", [["--bogus"], ["a", "b"], ["--list", "x"]])
def test_usage_errors_exit_2(env: dict[str, str], project: Path, args: list[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(env, project, *args, monkeypatch=monkeypatch)
    assert code == 2 and err.startswith("pip-private trust: error: ") and err.count("\n") == 1


def test_a_corrupt_state_file_is_one_line_exit_2(env: dict[str, str], project: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    state_path(env).parent.mkdir(parents=True)
    state_path(env).write_text("[]")
    code, _, err = run(env, project, "-y", monkeypatch=monkeypatch)
    assert code == 2 and "is not a version-1 trust state" in err and err.count("\n") == 1


def test_auth_approves_the_text_it_wrote_and_says_where_it_sends(env: dict[str, str],
                                                                 project: Path) -> None:
    """`poetry source auth` (approve_written): the approval is of the bytes the command
    wrote, not of the file read again -- here the file changed in between and the change
    stays unapproved -- and the line names each destination (the source's URL, which a
    cloned project chose)."""
    from keyring_backend.approval import approve_written

    written = (PYPROJECT + '\n[[tool.poetry.source]]\nname = "corp"\n'
               'url = "https://corp.example.com/simple/"\n\n'
               '[[tool.private-packages.credentials]]\nsource = "corp"\n'
               'password = "${CORP_TOKEN}"\n')
    pyproject = project / "pyproject.toml"
    pyproject.write_text(written.replace("corp.example.com", "evil.example.com"))  # the race
    note = approve_written(env, pyproject, None, written.encode())
    assert note is not None and note.startswith(f"Recorded your approval of {project}")
    assert "${CORP_TOKEN} to https://corp.example.com/" in note
    assert load_config(env, project).untrusted  # what is on disk now was not approved
    pyproject.write_text(written)
    assert not load_config(env, project).untrusted


# -- requirements files ----------------------------------------------------------------

def render(env: dict[str, str], cwd: Path, path: Path) -> list[str]:
    renderer = Renderer(env, Settings(), lambda display, text: display, cwd, LocationTrust(env))
    renderer.include(str(path))
    return renderer.values


def test_untrusted_requirements_render_env_references_only(
        env: dict[str, str], project: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", env["HOME"])  # `~` in ${file:~/...}
    req = project / "requirements.txt"
    req.write_text("--extra-index-url https://u:${ENV_TOKEN}@pkgs.example.com/simple\n")
    assert set(render(env, tmp_path, req)) == {"env-value"}
    req.write_text("--extra-index-url https://u:${file:~/.pypi-token}@pkgs.example.com/simple\n")
    with pytest.raises(UntrustedReference) as caught:
        render(env, tmp_path, req)
    message = str(caught.value)
    assert message.startswith("project/requirements.txt:1: ${file:~/.pypi-token} is not "
                              f"resolved: "
                              f"{project} is not a trusted directory")
    assert f"pip-private trust {project}" in message
    trust(env, project)
    token = Path(env["HOME"], ".pypi-token").read_text().strip()
    assert token in render(env, tmp_path, req)


def test_a_requirements_only_directory_and_its_subdirectories(
        env: dict[str, str], tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "req").mkdir(parents=True)
    req = checkout / "req" / "prod.txt"
    req.write_text("pkg @ https://u:${file:~/.pypi-token}@files.example.com/pkg.whl\n")
    gate = LocationTrust(env)
    assert gate.problem(req) is not None
    trust(env, checkout)
    assert LocationTrust(env).problem(req) is None
    assert LocationTrust({**env, "CI": "true", "HOME": "/nonexistent"}).problem(req) is None
    # a pyproject.toml added later with content makes the old approval stale
    (checkout / "pyproject.toml").write_text(PYPROJECT)
    assert LocationTrust(env).problem(req) is not None
