"""An untrusted project as each client of the core sees it, in-process: the keyring backend
(one warning, on the first lookup a withheld rule would have answered), the git helper,
`pip-private doctor` and `poetry source check` (withheld rules listed, never resolved,
exit 2). The end-to-end matrix against an evil server is tests/e2e/test_trust.py."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest

from keyring_backend.backend import PrivatePackagesKeyring
from keyring_backend.errors import EXIT_CONFIG
from keyring_backend.git_credential import main as git_helper
from keyring_backend.store import CredentialStore
from pip_hook import doctor
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.trusting import trust

INDEX = "https://evil.example.com/simple"
PYPROJECT = f"""\
[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "corp"
url = "{INDEX}/"

[[tool.private-packages.credentials]]
url = "{INDEX}"
username = "bot"
password = "${{STOLEN}}"
"""


@pytest.fixture
def secret() -> str:
    return make_canary("stolen")


@pytest.fixture
def env(tmp_path: Path, secret: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "STOLEN": secret}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "cloned"
    path.mkdir()
    (path / "pyproject.toml").write_text(PYPROJECT)
    return path


def test_backend_warns_once_and_only_when_a_withheld_rule_would_answer(
        env: dict[str, str], project: Path, secret: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="private_packages")
    backend = PrivatePackagesKeyring()
    backend._store = CredentialStore(env, project)
    assert backend.get_credential("https://pypi.org/simple/", None) is None
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    for _ in range(3):
        assert backend.get_credential(INDEX + "/acme/", None) is None
        assert backend.get_password(INDEX + "/", "bot") is None
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.startswith(f"private-packages: {project / 'pyproject.toml'} is not trusted")
    assert_not_in_texts(secret, {"logs": caplog.text})
    trust(env, project)
    backend._store = CredentialStore(env, project)
    credential = backend.get_credential(INDEX + "/acme/", None)
    assert credential is not None and credential.password == secret


def test_git_helper_says_why_it_does_not_answer(env: dict[str, str], project: Path,
                                                secret: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    stdin, stdout, stderr = (io.StringIO("protocol=https\nhost=evil.example.com\n"
                                         "path=simple/x.git\n\n"), io.StringIO(), io.StringIO())
    for name, stream in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr)):
        monkeypatch.setattr(sys, name, stream)
    assert git_helper(["get"], store=CredentialStore(env, project)) == 0
    assert stdout.getvalue() == ""
    assert stderr.getvalue().count("\n") == 1 and "is not trusted" in stderr.getvalue()
    assert_not_in_texts(secret, {"stderr": stderr.getvalue()})


def test_doctor_lists_withheld_rules_and_probes_anonymously(
        env: dict[str, str], project: Path, secret: str) -> None:
    out = io.StringIO()
    code = doctor.main(["--no-probe", "-i", INDEX + "/"], out, env=env, cwd=project)
    text = out.getvalue()
    assert code == EXIT_CONFIG
    assert "UNTRUSTED" in text and "is not trusted (you have not approved it)" in text
    assert f"{INDEX}: password ${{STOLEN}}, username a literal; withheld" in text
    assert "credential none: " in text and "is withheld, the project is not trusted" in text
    assert_not_in_texts(secret, {"doctor": text})


def test_source_check_lists_withheld_rules_and_exits_2(env: dict[str, str], project: Path,
                                                       secret: str) -> None:
    import tomllib

    from poetry_private_plugin.check import Project, SourceCheck
    from poetry_private_plugin.sources import Source

    local = tomllib.loads(PYPROJECT)["tool"]["poetry"]
    checked = Project(project / "pyproject.toml", project / "poetry.lock", local,
                      [Source("corp", INDEX + "/")], _NoSettings())
    report = SourceCheck(checked, env, probe=False).run()
    text = report.text()
    assert report.exit_code == EXIT_CONFIG
    assert "UNTRUSTED" in text and "poetry source trust" in text
    assert f"withheld: pyproject.toml [[tool.private-packages.credentials]] #1 would send " \
           f"${{STOLEN}} to {INDEX}" in text
    assert "credential: none -- pyproject.toml [[tool.private-packages.credentials]] #1 is " \
           "withheld" in text
    assert_not_in_texts(secret, {"check": text})
    trust(env, project)
    assert "UNTRUSTED" not in SourceCheck(checked, env, probe=False).run().text()


class _NoSettings(dict[str, object]):
    def get(self, setting_name: object, default: object = None) -> object:
        return default
