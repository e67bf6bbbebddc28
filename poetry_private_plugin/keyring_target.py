"""Which keyring backend `poetry source login` would write to, and whether it keeps secrets.

`keyring.set_password` goes to `keyring.get_keyring()`: one configured backend, or keyring's
chainer, which tries its backends by falling priority and writes to the first that does not
raise NotImplementedError (ours always does). `store_token` walks the same order itself so
that it can look at each backend *before* it writes, and refuses one that does not keep a
secret safe:

- a file-backed store (keyrings.alt's `FileBacked`: `PlaintextKeyring`, which keeps base64,
  and `EncryptedKeyring`, whose file is as good as its password; keyrings.cryptfile builds
  on it too): anyone who can read the user's files reads the token;
- a name poetry rejects (`PoetryKeyring.is_available`: first word `chainer`, `fail` or
  `null`, or `plaintext` anywhere): poetry would never read the token back from it;
- a priority below 1, keyring's own line for "not recommended" (`keyring.core.recommended`),
  which every keyrings.alt backend sits under on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from keyring_backend.errors import PrivatePackagesError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

# What poetry's PoetryKeyring.is_available treats as "no keyring"
# (poetry/utils/password_manager.py).
POETRY_REJECTED_NAMES = ("chainer", "fail", "null")


class KeyringUnavailable(PrivatePackagesError):
    """No keyring backend could store, read or delete the token (headless machine...)."""


class InsecureKeyring(PrivatePackagesError):
    """The backend that would receive the token keeps it where other programs or users can
    read it: login refuses before anything is written."""


def backend_label(backend: KeyringBackend) -> str:
    """The backend as `PYTHON_KEYRING_BACKEND` names it, e.g. keyrings.alt.file.PlaintextKeyring."""
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def why_insecure(backend: KeyringBackend) -> Optional[str]:
    """Why a login must not write to `backend`, or None when it is a real secret store."""
    path = getattr(backend, "file_path", None)
    if path is not None:
        return f"it keeps secrets in a file, {path}"
    name = f"{getattr(backend, 'name', '')} {type(backend).__name__}"
    if name.split(" ", maxsplit=1)[0] in POETRY_REJECTED_NAMES or "plaintext" in name.lower():
        return "poetry treats it as no keyring"
    try:
        priority = float(backend.priority)
    except Exception:  # noqa: BLE001 -- a backend that cannot rate itself is not usable here
        return "it is not usable on this machine"
    if priority < 1:  # keyring.core.recommended
        return f"keyring rates it {priority:g}, below 1: not recommended for secrets"
    return None


def writers() -> list[KeyringBackend]:
    """The backends `keyring.set_password` would try, in order, without our own (it stores
    nothing) and without keyring's chainer (its members are listed instead)."""
    import keyring
    from keyring.backends.chainer import ChainerBackend

    from keyring_backend.backend import PrivatePackagesKeyring

    try:
        chosen = keyring.get_keyring()
        chain = list(chosen.backends) if isinstance(chosen, ChainerBackend) else [chosen]
    except Exception as exc:  # noqa: BLE001 -- e.g. PYTHON_KEYRING_BACKEND names a backend
        # that cannot run here (EncryptedKeyring without pycryptodome): RuntimeError, ImportError
        raise KeyringUnavailable(f"keyring could not load its backend ({type(exc).__name__}); "
                                 "check PYTHON_KEYRING_BACKEND and keyringrc.cfg") from None
    return [b for b in chain if not isinstance(b, PrivatePackagesKeyring)]


def store_token(service: str, username: str, token: str, source: str) -> str:
    """Store through the backend keyring would use; return its label. Raises
    `InsecureKeyring` before writing anything when that backend is not a secret store."""
    from keyring.errors import KeyringError

    advice = (f"use `poetry source auth {source} --token-env VAR` or a secret file "
              f"(`poetry source auth {source} --password '${{file:/run/secrets/TOKEN}}'`)")
    candidates = writers()
    for backend in candidates:
        reason = why_insecure(backend)
        if reason is not None:
            raise InsecureKeyring(
                f"refusing to store the token in keyring backend {backend_label(backend)}: "
                f"{reason}; {advice}")
        try:
            backend.set_password(service, username, token)
        except NotImplementedError:  # as keyring's chainer: the next one may store it
            continue
        except (KeyringError, RuntimeError) as exc:
            # The type only: a backend's message is not ours to vouch for.
            raise KeyringUnavailable(
                f"keyring backend {backend_label(backend)} could not store the token "
                f"({type(exc).__name__}); {advice}") from None
        return backend_label(backend)
    raise KeyringUnavailable(
        "no keyring backend here can store a token ("
        + (", ".join(map(backend_label, candidates)) or "private-packages stores nothing")
        + f"); {advice}")
