"""`poetry source login` refuses a keyring that does not keep secrets (issue #12 item 5),
through real poetry with real keyring, keyrings.alt and our backend installed beside it.

The reproduction: with keyrings.alt as the only other backend, keyring's chainer hands the
write to PlaintextKeyring, which keeps the token base64-encoded in
~/.local/share/python_keyring/keyring_pass.cfg -- and login used to report success. Now
login looks at the backend that would receive the write and refuses it: exit 2, one line
naming the backend and suggesting --token-env or a secret file, and nothing written: no
keyring file, no user config, the files that were there unchanged, the token nowhere.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from tests.e2e.test_poetry_source_auth import USER, app, keyring_file, user_file
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import Poetry

pytestmark = pytest.mark.e2e

PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def login(poetry: Poetry, project: Path, token: str,
          env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return poetry.run("source", "login", "private", "--username", USER, cwd=project,
                      input=token + "\n", env=env, check=False)


def assert_refused(result: subprocess.CompletedProcess[str], backend: str, reason: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert lines[0].startswith(f"refusing to store the token in keyring backend {backend}: "
                               f"{reason}"), lines[0]
    assert "poetry source auth private --token-env VAR" in lines[0]
    assert "--password '${file:/run/secrets/TOKEN}'" in lines[0]
    assert "Stored the token" not in result.stdout


@pytest.mark.parametrize(
    ("env", "backend", "reason"),
    [
        # keyring's own choice: its chainer, whose only writer after ours is PlaintextKeyring
        ({}, PLAINTEXT, "it keeps secrets in a file, "),
        ({"PYTHON_KEYRING_BACKEND": PLAINTEXT}, PLAINTEXT, "it keeps secrets in a file, "),
        ({"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
         "keyring.backends.null.Keyring", "poetry treats it as no keyring"),
        ({"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
         "keyring.backends.fail.Keyring", "poetry treats it as no keyring"),
    ],
    ids=["chainer-picks-plaintext", "plaintext", "null", "fail"],
)
def test_login_refuses_a_keyring_that_keeps_no_secret(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path, env: dict[str, str], backend: str, reason: str) -> None:
    project = app(tmp_path, private_index)
    before = snapshot(tmp_path)
    result = login(poetry, project, canary, env)
    assert_refused(result, backend, reason)
    if reason.startswith("it keeps secrets in a file"):
        assert str(keyring_file(home)) in result.stderr  # the file it would have written
    assert not keyring_file(home).exists()
    assert not user_file(home).exists()
    assert snapshot(tmp_path) == before  # nothing written anywhere, nothing changed
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [tmp_path], username=USER) > 0


def test_refusal_leaves_an_existing_keyring_file_and_user_config_unchanged(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    """A keyring_pass.cfg that holds other entries and a user config with another rule stay
    byte for byte as they were."""
    project = app(tmp_path, private_index)
    # An entry the user made earlier, with keyring's own CLI writing through keyrings.alt.
    subprocess.run([str(poetry.bin / "python"), "-m", "keyring", "set", "other-service",
                    "someone"], input="not-the-canary\n", text=True, check=True,
                   env={**poetry.env, "PYTHON_KEYRING_BACKEND": PLAINTEXT},
                   capture_output=True, timeout=60)
    user_file(home).parent.mkdir(parents=True, exist_ok=True)
    user_file(home).write_text('[[credentials]]\nurl = "https://other.example/"\n'
                               'password = "${OTHER}"\n')
    before = snapshot(home)
    assert keyring_file(home) in before
    result = login(poetry, project, canary, {})
    assert_refused(result, PLAINTEXT, "it keeps secrets in a file, ")
    assert snapshot(home) == before
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [tmp_path], username=USER) > 0


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        # ours stores nothing (headless CI points keyring at it): nothing else to write to
        ("keyring_backend.backend.PrivatePackagesKeyring",
         "no keyring backend here can store a token (private-packages stores nothing)"),
        # a backend that cannot run here (no pycryptodome): keyring itself fails to load it
        ("keyrings.alt.file.EncryptedKeyring",
         "keyring could not load its backend (RuntimeError)"),
    ],
    ids=["ours-alone", "encrypted-without-crypto"],
)
def test_login_without_a_usable_keyring_is_one_line(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path, backend: str, message: str) -> None:
    project = app(tmp_path, private_index)
    result = login(poetry, project, canary, {"PYTHON_KEYRING_BACKEND": backend})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not user_file(home).exists()
    assert not keyring_file(home).exists()
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [tmp_path], username=USER) > 0
