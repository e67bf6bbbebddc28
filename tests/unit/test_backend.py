"""`PrivatePackagesKeyring` for every service form pip, poetry, uv and twine send
(DESIGN.md "The keyring backend"): it supplies the username, answers None for anything
that is not its own, never raises out of a `get_*`, and warns once without a value."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Optional

import keyring
import keyring.core
import pytest
from keyring.credentials import Credential

from keyring_backend.backend import POETRY_EMPTY_USERNAME, PrivatePackagesKeyring
from keyring_backend.rules import CredentialRule
from keyring_backend.store import CredentialStore
from tests.leaks import forms
from tests.trusting import trust

PORT = 3141
NEXUS = "https://nexus.example.com/repository/pypi-internal"
GITLAB = "https://gitlab.example.com/api/v4/projects/7/packages/pypi"
UPLOAD = "https://upload.example.com/legacy/"
BROKEN = "https://broken.example.com/simple"

PYPROJECT = f"""
[[tool.poetry.source]]
name = "internal"
url = "{NEXUS}/simple/"
priority = "supplemental"

[[tool.poetry.source]]
name = "gitlab"
url = "{GITLAB}/simple"
priority = "supplemental"

[[tool.private-packages.credentials]]
source = "internal"
username = "__token__"
password = "${{INTERNAL_TOKEN}}"

[[tool.private-packages.credentials]]
url = "{GITLAB}"
username = "gitlab-ci-token"
password = "${{CI_JOB_TOKEN}}"

[[tool.private-packages.credentials]]
url = "http://127.0.0.1:{PORT}/"
username = "deploy-bot"
password = "${{LOCAL_TOKEN}}"

[[tool.private-packages.credentials]]
url = "{UPLOAD}"
username = "uploader"
password = "${{UPLOAD_TOKEN}}"

[[tool.private-packages.credentials]]
url = "https://team.example.com/simple"
username = "${{TEAM_USER}}"
password = "tok-${{TEAM_TOKEN[1]}}"

[[tool.private-packages.credentials]]
url = "{BROKEN}"
password = "${{MISSING_TOKEN}}"
"""

SECRET_NAMES = ("INTERNAL_TOKEN", "CI_JOB_TOKEN", "LOCAL_TOKEN", "UPLOAD_TOKEN", "TEAM_TOKEN")


def make_secret(label: str) -> str:
    return f"s3cr@t:/#%? ü-{label}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def secrets() -> dict[str, str]:
    values = {name: make_secret(name.lower()) for name in SECRET_NAMES}
    values["TEAM_PART"] = make_secret("team-1").replace(";", "")
    values["TEAM_TOKEN"] = values["TEAM_TOKEN"].replace(";", "") + ";" + values["TEAM_PART"]
    return values


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    (path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path, secrets: dict[str, str]) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "TEAM_USER": "team-bot", **secrets}


@pytest.fixture
def backend(env: dict[str, str], project: Path) -> PrivatePackagesKeyring:
    trust(env, project)  # the service forms are the subject here; test_trust.py has trust
    kr = PrivatePackagesKeyring()
    kr._store = CredentialStore(env=env, cwd=project)
    return kr


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="private_packages")
    return caplog


def expected_password(name: str, secrets: dict[str, str]) -> str:
    return "tok-" + secrets["TEAM_PART"] if name == "TEAM_TOKEN" else secrets[name]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def assert_logs_clean(caplog: pytest.LogCaptureFixture, secrets: dict[str, str]) -> None:
    for record in caplog.records:
        assert record.exc_info is None  # a handler would print the exception's text
        text = record.getMessage()
        for secret in secrets.values():
            for form in forms(secret):
                assert form not in text


# --------------------------------------------------------------------------- every service form


@pytest.mark.parametrize(
    ("service", "username", "answer"),
    [
        # pip: the index URL with a trailing slash, then the netloc
        (GITLAB + "/simple/", None, ("gitlab-ci-token", "CI_JOB_TOKEN")),
        (GITLAB + "/simple/acme-internal/", None, ("gitlab-ci-token", "CI_JOB_TOKEN")),
        (GITLAB + "/simple/", "gitlab-ci-token", ("gitlab-ci-token", "CI_JOB_TOKEN")),
        (f"http://127.0.0.1:{PORT}/simple/", None, ("deploy-bot", "LOCAL_TOKEN")),
        (f"127.0.0.1:{PORT}", None, ("deploy-bot", "LOCAL_TOKEN")),
        (f"127.0.0.1:{PORT + 1}", None, None),
        ("gitlab.example.com", None, None),  # https rule: never to a bare netloc
        ("nexus.example.com", None, None),
        # poetry: repository name with a user, the source URL, file URLs
        ("poetry-repository-internal", "__token__", ("__token__", "INTERNAL_TOKEN")),
        ("poetry-repository-internal", None, ("__token__", "INTERNAL_TOKEN")),
        ("poetry-repository-internal", POETRY_EMPTY_USERNAME, ("__token__", "INTERNAL_TOKEN")),
        ("poetry-repository-internal", "someone-else", None),
        ("poetry-repository-gitlab", "__token__", None),  # the rule's user is gitlab-ci-token
        ("poetry-repository-gitlab", "gitlab-ci-token", ("gitlab-ci-token", "CI_JOB_TOKEN")),
        ("poetry-repository-gitlab", None, ("gitlab-ci-token", "CI_JOB_TOKEN")),
        ("poetry-repository-unknown", "__token__", None),
        (f"{NEXUS}/simple/", None, ("__token__", "INTERNAL_TOKEN")),
        (f"{NEXUS}/simple", None, ("__token__", "INTERNAL_TOKEN")),
        (f"{NEXUS}/files/ab/acme_internal-1.0-py3-none-any.whl#sha256=ab12",
         None, ("__token__", "INTERNAL_TOKEN")),
        (f"{NEXUS}/files/ab/acme_internal-1.0.tar.gz#sha256=ab12",
         "__token__", ("__token__", "INTERNAL_TOKEN")),
        ("python-poetry-check", None, None),
        ("python-poetry-check", "__token__", None),
        ("python-poetry", None, None),
        # uv: the request URL and the username it has
        (f"{NEXUS}/simple/acme-internal/", "__token__", ("__token__", "INTERNAL_TOKEN")),
        # twine: the repository URL, first without a username
        (UPLOAD, None, ("uploader", "UPLOAD_TOKEN")),
        (UPLOAD.rstrip("/"), "uploader", ("uploader", "UPLOAD_TOKEN")),
        (UPLOAD, "__token__", None),
        # a username that is itself a reference, a password built from a literal and a part
        ("https://team.example.com/simple/", None, ("team-bot", "TEAM_TOKEN")),
        ("https://team.example.com/simple/", "team-bot", ("team-bot", "TEAM_TOKEN")),
        ("https://team.example.com/simple/", "other", None),
        # not ours
        ("https://pypi.org/simple/", None, None),
        ("https://upload.example.com/other/", None, None),
        ("http://upload.example.com/legacy/", "uploader", None),  # never https -> http
        ("https://gitlab.example.com/api/v4/projects/8/packages/pypi/simple/", None, None),
        # a path that leaves the prefix as the server reads it (poetry asks with file URLs)
        (GITLAB + "/%2e%2e/%2e%2e/8/packages/pypi/files/x.whl#sha256=ab", None, None),
        (GITLAB + "/..;/..;/8/packages/pypi/files/x.whl", None, None),
        (GITLAB + "/files/%2E%2e/simple/", None, ("gitlab-ci-token", "CI_JOB_TOKEN")),
        (f"{NEXUS}-public/simple/", None, None),
        ("system", "user", None),
        ("", None, None),
    ],
)
def test_get_credential(backend: PrivatePackagesKeyring, secrets: dict[str, str],
                        logs: pytest.LogCaptureFixture, service: str, username: Optional[str],
                        answer: Optional[tuple[str, str]]) -> None:
    credential = backend.get_credential(service, username)
    if answer is None:
        assert credential is None
    else:
        assert isinstance(credential, Credential)
        user, secret_name = answer
        assert credential.username == user
        assert credential.password == expected_password(secret_name, secrets)
    assert warnings(logs) == []
    assert_logs_clean(logs, secrets)


@pytest.mark.parametrize(
    ("service", "username", "secret_name"),
    [
        ("poetry-repository-internal", "__token__", "INTERNAL_TOKEN"),
        ("poetry-repository-internal", POETRY_EMPTY_USERNAME, None),  # poetry falls back
        ("poetry-repository-internal", "", None),
        ("poetry-repository-gitlab", "__token__", None),
        ("poetry-repository-gitlab", "gitlab-ci-token", "CI_JOB_TOKEN"),
        (f"{NEXUS}/simple/acme-internal/", "__token__", "INTERNAL_TOKEN"),  # uv
        (UPLOAD, "uploader", "UPLOAD_TOKEN"),  # twine, after get_credential(url, None)
        (UPLOAD, "someone", None),
        (f"127.0.0.1:{PORT}", "deploy-bot", "LOCAL_TOKEN"),
        ("gitlab.example.com", "gitlab-ci-token", None),
        ("python-poetry-check", "__token__", None),
        ("https://pypi.org/simple/", "__token__", None),
    ],
)
def test_get_password(backend: PrivatePackagesKeyring, secrets: dict[str, str],
                      logs: pytest.LogCaptureFixture, service: str, username: str,
                      secret_name: Optional[str]) -> None:
    expected = None if secret_name is None else expected_password(secret_name, secrets)
    assert backend.get_password(service, username) == expected
    assert warnings(logs) == []
    assert_logs_clean(logs, secrets)


def test_twine_flow(backend: PrivatePackagesKeyring, secrets: dict[str, str]) -> None:
    credential = backend.get_credential(UPLOAD, None)
    assert credential is not None
    assert credential.username == "uploader"
    assert backend.get_password(UPLOAD, credential.username) == secrets["UPLOAD_TOKEN"]


def test_answers_do_not_depend_on_the_order_of_calls(backend: PrivatePackagesKeyring,
                                                     secrets: dict[str, str]) -> None:
    for _ in range(2):
        assert backend.get_credential("https://pypi.org/simple/", None) is None
        assert backend.get_password("poetry-repository-internal",
                                    "__token__") == secrets["INTERNAL_TOKEN"]


# --------------------------------------------------------------------------- failures


def test_unresolvable_reference_warns_once_and_answers_none(
    backend: PrivatePackagesKeyring, secrets: dict[str, str], logs: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        assert backend.get_credential(BROKEN + "/", None) is None
        assert backend.get_password(BROKEN + "/", "__token__") is None
    [warning] = warnings(logs)
    assert "MISSING_TOKEN" in warning
    assert "is not set" in warning
    assert "\n" not in warning
    assert warning.startswith("private-packages: password of ")
    assert_logs_clean(logs, secrets)
    # the other rules still answer
    assert backend.get_password(UPLOAD, "uploader") == secrets["UPLOAD_TOKEN"]
    assert len(warnings(logs)) == 1


def test_unexpected_exception_warns_without_its_text(
    backend: PrivatePackagesKeyring, secrets: dict[str, str], logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary = f"secret-canary-{uuid.uuid4().hex}"
    secrets = {**secrets, "canary": canary}

    def explode(rule: CredentialRule) -> None:
        raise ValueError(canary)

    store = backend._store
    assert store is not None
    monkeypatch.setattr(store, "resolve", explode)
    for _ in range(2):
        assert backend.get_credential(GITLAB + "/simple/", None) is None
        assert backend.get_password(UPLOAD, "uploader") is None
    [warning] = warnings(logs)
    assert warning == ("private-packages: unexpected ValueError (run with debug logging for "
                       "the traceback)")
    assert_logs_clean(logs, secrets)


def test_writes_are_refused_so_the_chainer_moves_on(backend: PrivatePackagesKeyring) -> None:
    with pytest.raises(NotImplementedError):
        backend.set_password(UPLOAD, "uploader", "x")
    with pytest.raises(NotImplementedError):
        backend.delete_password(UPLOAD, "uploader")


def test_name_and_priority() -> None:
    # poetry treats a backend whose name holds any of these words as "keyring unavailable"
    for text in (PrivatePackagesKeyring.name, PrivatePackagesKeyring.__name__,
                 PrivatePackagesKeyring.__module__, str(PrivatePackagesKeyring())):
        for word in ("plaintext", "fail", "null", "chainer"):
            assert word not in text.lower()
    assert 5 < PrivatePackagesKeyring.priority < 10
    assert PrivatePackagesKeyring.viable


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """os.environ without this machine's private-packages settings; HOME in tmp_path."""
    import os

    for key in list(os.environ):
        if key.startswith(("PRIVATE_PACKAGES_", "POETRY_REPOSITORIES_")):
            monkeypatch.delenv(key)
    # The suite may itself run inside a CI job: keep its presets out of these tests.
    for key in ("XDG_CONFIG_HOME", "GITLAB_CI", "GITHUB_ACTIONS", "TF_BUILD",
                "BITBUCKET_BUILD_NUMBER"):
        monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def test_config_error_warns_once_and_env_rules_still_answer(
    clean_environ: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    logs: pytest.LogCaptureFixture,
) -> None:
    # The production path: no seam, the backend builds its store from os.environ and the cwd.
    secret, file_secret = make_secret("env"), make_secret("file")
    project = tmp_path / "broken-project"
    project.mkdir()
    pyproject = project / "pyproject.toml"
    pyproject.write_text("[[tool.private-packages.credentials]]\nurl = 'https://x.example/'\n"
                         f"password = '{file_secret}\n", encoding="utf-8")
    monkeypatch.chdir(project)
    monkeypatch.setenv("PRIVATE_PACKAGES_CI_URL", GITLAB)
    monkeypatch.setenv("PRIVATE_PACKAGES_CI_USERNAME", "gitlab-ci-token")
    monkeypatch.setenv("PRIVATE_PACKAGES_CI_PASSWORD", "${CI_JOB_TOKEN}")
    monkeypatch.setenv("CI_JOB_TOKEN", secret)
    kr = PrivatePackagesKeyring()
    for _ in range(3):
        credential = kr.get_credential(GITLAB + "/simple/", None)
        assert credential is not None
        assert (credential.username, credential.password) == ("gitlab-ci-token", secret)
        assert kr.get_credential("https://x.example/simple/", None) is None
    [warning] = warnings(logs)
    assert warning.startswith(f"private-packages: {pyproject}: invalid TOML")
    assert_logs_clean(logs, {"env": secret, "file": file_secret})


# --------------------------------------------------------------------------- the keyring API


@pytest.fixture
def installed(backend: PrivatePackagesKeyring,
              monkeypatch: pytest.MonkeyPatch) -> PrivatePackagesKeyring:
    # monkeypatch restores whatever keyring had chosen (even "nothing yet") at teardown,
    # without initialising keyring's own detection now.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    keyring.set_keyring(backend)
    return backend


def test_through_the_keyring_api(installed: PrivatePackagesKeyring,
                                 secrets: dict[str, str]) -> None:
    assert keyring.get_keyring() is installed
    credential = keyring.get_credential(f"{NEXUS}/simple/", None)
    assert credential is not None
    assert (credential.username, credential.password) == ("__token__",
                                                          secrets["INTERNAL_TOKEN"])
    assert keyring.get_password("poetry-repository-internal",
                                "__token__") == secrets["INTERNAL_TOKEN"]
    assert keyring.get_password(UPLOAD, "uploader") == secrets["UPLOAD_TOKEN"]
    assert keyring.get_credential("https://pypi.org/simple/", None) is None
    assert keyring.get_password("python-poetry-check", "__token__") is None
    with pytest.raises(NotImplementedError):
        keyring.set_password(UPLOAD, "uploader", "x")
    with pytest.raises(NotImplementedError):
        keyring.delete_password(UPLOAD, "uploader")


def test_a_username_mismatch_logs_no_token_username(tmp_path: Path,
                                                    logs: pytest.LogCaptureFixture) -> None:
    """Gemfury-style rules send the token as the username: the debug line that says
    "not answering for another user" must not print either username when it looks secret."""
    token = make_secret("fury").replace(":", "")  # a username cannot hold one (RFC 7617)
    env = {"HOME": str(tmp_path), "PRIVATE_PACKAGES_FURY_URL": "https://pypi.fury.io/acme",
           "PRIVATE_PACKAGES_FURY_USERNAME": "${FURY_TOKEN}",
           "PRIVATE_PACKAGES_FURY_PASSWORD": "${FURY_TOKEN}", "FURY_TOKEN": token}
    store = CredentialStore(env=env, cwd=tmp_path)
    other = make_secret("other-user")
    assert store.credential_for("https://pypi.fury.io/acme/", other) is None
    assert "binds user" in logs.text
    assert_logs_clean(logs, {"token": token, "other": other})


def test_an_answer_guards_the_requests_the_client_has_loaded(
        backend: PrivatePackagesKeyring, secrets: dict[str, str]) -> None:
    """The backend inside pip (import provider), poetry or twine: once it answered, that
    process's requests keep the credential within the rule (guard.py)."""
    import requests.adapters

    from keyring_backend import guard

    class Adapter:  # stands in for requests' class (the real one may be guarded already)
        def send(self, request: object) -> None:
            pass

    original = requests.adapters.HTTPAdapter
    requests.adapters.HTTPAdapter = Adapter  # type: ignore[misc]
    try:
        assert not guard.is_installed(Adapter)
        assert backend.get_credential("https://pypi.org/simple/", None) is None
        assert not guard.is_installed(Adapter)  # no answer: nothing to guard
        assert backend.get_credential(GITLAB + "/simple/", None) is not None
        assert guard.is_installed(Adapter)
        header = "Basic " + __import__("base64").b64encode(
            f"gitlab-ci-token:{secrets['CI_JOB_TOKEN']}".encode()).decode()
        assert guard.may_carry(GITLAB + "/files/x.whl", header)
        assert not guard.may_carry("http://gitlab.example.com/api/v4/projects/7/", header)
        assert not guard.may_carry(GITLAB.replace("/7/", "/8/") + "/files/x.whl", header)
    finally:
        requests.adapters.HTTPAdapter = original  # type: ignore[misc]
        guard.forget_all()


@pytest.mark.parametrize(("password", "env", "answer"), [
    ("${EMPTY_OK:-}", {}, ("tok-user-0123", "")),
    ("${EMPTY_OK:-}", {"EMPTY_OK": "pw-0123"}, ("tok-user-0123", "pw-0123")),
    ("${EMPTY_OK}", {"EMPTY_OK": ""}, None),
    ("x${EMPTY_OK:-}", {}, ("tok-user-0123", "x")),
], ids=["explicitly-empty", "set", "empty-is-an-error", "not-alone"])
def test_an_explicitly_empty_password(tmp_path: Path, password: str, env: dict[str, str],
                                      answer: Optional[tuple[str, str]]) -> None:
    """`${NAME:-}` alone as a rule's password may resolve to an empty password (a registry
    taking the token as the username; pip-private's lifted `https://TOKEN@host`)."""
    kr = PrivatePackagesKeyring()
    kr._store = CredentialStore(env={
        "PRIVATE_PACKAGES_E_URL": "https://fury.example/acme", "PRIVATE_PACKAGES_E_USERNAME":
        "${TOKEN_USER}", "PRIVATE_PACKAGES_E_PASSWORD": password, "TOKEN_USER": "tok-user-0123",
        **env}, cwd=tmp_path)
    credential = kr.get_credential("https://fury.example/acme/simple/", None)
    assert (credential and (credential.username, credential.password)) == answer


@pytest.mark.parametrize(("service", "inside_pip", "answer"), [
    ("files.example", False, None),
    ("files.example", True, "https"),  # a port-less netloc: https first
    ("files.example:443", True, "https"),
    ("files.example:80", True, "http"),
    ("files.example:8443", True, None),
    ("other.example", True, None),
])
def test_a_netloc_lookup_gets_a_whole_origin_rule_only_where_pip_is_guarded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str, inside_pip: bool,
        answer: Optional[str]) -> None:
    """pip asks `host[:port]` for find-links and direct URLs. A rule for a whole https
    origin answers that only inside pip whose requests the guard checks (it then keeps the
    credential off http://host/); elsewhere the netloc rule of rules.py holds."""
    import sys
    import types

    from keyring_backend import guard

    class Adapter:
        def send(self, request: object) -> None:
            pass

    adapters = types.ModuleType("adapters")
    adapters.HTTPAdapter = Adapter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, guard.PIP_ADAPTERS, adapters)
    if inside_pip:
        monkeypatch.setitem(sys.modules, "pip._internal.network.auth", types.ModuleType("a"))
    else:
        monkeypatch.delitem(sys.modules, "pip._internal.network.auth", raising=False)
    kr = PrivatePackagesKeyring()
    kr._store = CredentialStore(env={
        "PRIVATE_PACKAGES_S_URL": "https://files.example", "PRIVATE_PACKAGES_S_USERNAME": "s",
        "PRIVATE_PACKAGES_S_PASSWORD": "${S_TOKEN}", "S_TOKEN": "tok-https-0123",
        "PRIVATE_PACKAGES_H_URL": "http://files.example", "PRIVATE_PACKAGES_H_USERNAME": "h",
        "PRIVATE_PACKAGES_H_PASSWORD": "${H_TOKEN}", "H_TOKEN": "tok-http-0123",
        "PRIVATE_PACKAGES_H_ALLOW_HTTP": "1"}, cwd=tmp_path)
    credential = kr.get_credential(service, None)
    assert (credential and credential.password) == (answer and f"tok-{answer}-0123")
    assert guard.is_installed(Adapter) is inside_pip
    guard.forget_all()
