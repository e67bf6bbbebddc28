"""keyring_target: which backends login refuses, over real keyring and keyrings.alt classes
(end to end through poetry: tests/e2e/test_poetry_login_refusal.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend
from keyrings.alt.file import EncryptedKeyring, PlaintextKeyring

from keyring_backend.backend import PrivatePackagesKeyring
from poetry_private_plugin.keyring_target import (
    InsecureKeyring,
    KeyringUnavailable,
    backend_label,
    store_token,
    why_insecure,
)
from support.double_keyring import DIR_VARIABLE, DoubleSecretStore

TOKEN = "tok-3f@:/#%? &+"


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """keyrings.alt's files go under XDG_DATA_HOME/python_keyring."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "python_keyring"


@pytest.fixture
def chosen() -> Iterator[None]:
    """keyring's process-wide choice, restored after the test."""
    saved = keyring.get_keyring()
    yield
    keyring.set_keyring(saved)


def encrypted_keyring() -> EncryptedKeyring:
    # The real class, without __init__ (which needs pycryptodome, not installed here): login
    # refuses it for its file before anything would ask for its crypto.
    backend: EncryptedKeyring = object.__new__(EncryptedKeyring)
    return backend


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (PlaintextKeyring, "it keeps secrets in a file, "),
        (encrypted_keyring, "it keeps secrets in a file, "),
        (keyring.backends.null.Keyring, "poetry treats it as no keyring"),
        (keyring.backends.fail.Keyring, "poetry treats it as no keyring"),
    ],
    ids=["plaintext", "encrypted-file", "null", "fail"],
)
def test_insecure_backends(data_home: Path, make: type[KeyringBackend], reason: str) -> None:
    found = why_insecure(make())
    assert found is not None and found.startswith(reason)
    if "file" in reason:
        assert str(data_home) in found


def test_a_low_priority_backend_is_not_recommended() -> None:
    class LowPriority(KeyringBackend):  # an otherwise unremarkable third-party backend
        priority = 0.9  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            raise NotImplementedError

        def delete_password(self, service: str, username: str) -> None:
            raise NotImplementedError

    assert why_insecure(LowPriority()) == ("keyring rates it 0.9, below 1: not recommended "
                                           "for secrets")


def test_a_real_secret_store_is_accepted(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DIR_VARIABLE, str(tmp_path))
    assert why_insecure(DoubleSecretStore()) is None
    assert backend_label(DoubleSecretStore()) == "support.double_keyring.DoubleSecretStore"


@pytest.mark.usefixtures("chosen")
def test_store_refuses_plaintext_before_writing(data_home: Path) -> None:
    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(InsecureKeyring) as info:
        store_token("https://h.example/", "u", TOKEN, "private")
    message = str(info.value)
    assert message.startswith("refusing to store the token in keyring backend "
                              "keyrings.alt.file.PlaintextKeyring: it keeps secrets in a file")
    assert "--token-env VAR" in message and "${file:/run/secrets/TOKEN}" in message
    assert TOKEN not in message
    assert not data_home.exists()


@pytest.mark.usefixtures("chosen")
def test_store_writes_to_a_secret_store(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DIR_VARIABLE, str(tmp_path))
    keyring.set_keyring(DoubleSecretStore())
    label = store_token("https://h.example/", "u", TOKEN, "private")
    assert label == "support.double_keyring.DoubleSecretStore"
    assert DoubleSecretStore().get_password("https://h.example/", "u") == TOKEN


@pytest.mark.usefixtures("chosen")
def test_our_backend_alone_stores_nothing() -> None:
    keyring.set_keyring(PrivatePackagesKeyring())
    with pytest.raises(KeyringUnavailable, match=r"private-packages stores nothing"):
        store_token("https://h.example/", "u", TOKEN, "private")
