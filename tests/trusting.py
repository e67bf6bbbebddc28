"""Trust for tests that are not about trust: approve a temporary project exactly as
`pip-private trust DIR --yes` does (state under the test's own HOME / XDG_STATE_HOME)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path


def trust(env: Mapping[str, str], directory: Path) -> None:
    from keyring_backend.approval import TrustOptions, run_trust

    err = io.StringIO()
    code = run_trust(TrustOptions(directory, yes=True), io.StringIO(), err, io.StringIO(),
                     env, directory)
    assert code == 0, err.getvalue()
