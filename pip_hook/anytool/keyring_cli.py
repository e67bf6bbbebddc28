"""The `keyring get` that pip's and uv's subprocess providers run, answered from
private-packages rules only (bin/keyring starts it; see underneath.py for when).

pip runs `keyring --mode=creds --output=json get URL [USER]` and reads
`{"username": ..., "password": ...}`; uv runs `keyring get URL USER` (or with `--mode
creds`) and reads the password (or `username\\npassword`). Exit 1 with nothing on stdout
means "no credential", as keyring's own CLI does; a secret that cannot be read is one
stderr line naming the reference. `set` and `del` answer 1: we store nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Optional

USAGE = "usage: keyring [--mode password|creds] [--output plain|json] get SERVICE [USERNAME]"


def main(argv: Optional[Sequence[str]] = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    options = {"--mode": "password", "--output": "plain"}
    rest: list[str] = []
    while words:
        word = words.pop(0)
        name, eq, value = word.partition("=")
        if name in options:
            options[name] = value if eq else (words.pop(0) if words else "")
        else:
            rest.append(word)
    if not rest or rest[0] != "get" or len(rest) not in (2, 3):
        print(USAGE, file=sys.stderr)
        return 1 if rest and rest[0] in ("set", "del") else 2
    found = _credential(rest[1], rest[2] if len(rest) == 3 else None)
    if found is None:
        return 1
    username, password = found
    if options["--mode"] != "creds":
        print(password)
    elif options["--output"] == "json":
        print(json.dumps({"username": username, "password": password}))
    else:
        print(f"{username}\n{password}")
    return 0


def _credential(service: str, username: Optional[str]) -> Optional[tuple[str, str]]:
    from keyring_backend.errors import PrivatePackagesError
    from keyring_backend.store import CredentialStore

    try:
        credential = CredentialStore().credential_for(service, username)
    except PrivatePackagesError as exc:  # names the reference, never a value
        from keyring_backend.printable import printable

        print(f"private-packages: {printable(str(exc))}", file=sys.stderr)
        return None
    if credential is None:
        return None
    return credential.username, credential.password.reveal()
