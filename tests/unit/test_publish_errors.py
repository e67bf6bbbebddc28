"""Which refused uploads get one clear line (publish_errors.refusal_line); the e2e
re-upload test in tests/e2e/test_poetry_bump.py shows it through real poetry."""

from __future__ import annotations

from typing import Optional

import pytest

from poetry_private_plugin.publish_errors import refusal_line


@pytest.mark.parametrize(("status", "body", "expected"), [
    (409, "<html>Conflict</html>", "is already on 'gitlab' (HTTP 409 X)"),
    (400, "400 File already exists. See https://pypi.org/help/#file-name-reuse",
     "is already on 'gitlab' (HTTP 400 X)"),
    (403, "Cannot redeploy: the artifact already exists", "is already on 'gitlab'"),
    (401, "", "'gitlab' rejected the credential (HTTP 401 X)"),
    (403, "<html>forbidden</html>", "'gitlab' rejected the credential (HTTP 403 X)"),
    (400, "Invalid distribution metadata", None),
    (403, "Project does not exist or you do not have permission",
     "'gitlab' rejected the credential (HTTP 403 X)"),
    (400, "Project acme does not exist", None),
    (500, "already exists", None),
], ids=["409", "pypi-400-exists", "artifactory-403-exists", "401", "403", "400-other",
        "403-does-not-exist", "400-does-not-exist", "500"])
def test_refusal_line(status: int, body: str, expected: Optional[str]) -> None:
    line = refusal_line(status, "X", body, "gitlab", "acme-tool 1.0.1")
    if expected is None:
        assert line is None
        return
    assert line is not None and expected in line and "\n" not in line
    assert line.startswith("private-packages: ")
    if "already" in expected:
        assert "acme-tool 1.0.1" in line and "poetry source bump gitlab patch" in line
