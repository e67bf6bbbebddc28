"""Real poetry 2.x, keyring enabled (its default), with our backend installed beside it:
`poetry lock` and `poetry install` authenticate to a private source from a `source =` rule,
with no `poetry config http-basic` step and nothing written to auth.toml or poetry.lock.

The same wheel also installs the poetry plugin, whose hook would hand poetry the credential
before it asks keyring: `--no-plugins` keeps this test on the keyring path alone, the one
every poetry without the plugin uses (tests/e2e/test_poetry_hook.py covers the hook).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import write_project
from tests.trusting import trust

pytestmark = pytest.mark.e2e


def test_poetry_lock_and_install_use_source_rule(
        poetry_bin: Path, private_index: PrivateIndex, client_env: dict[str, str],
        canary: str, tmp_path: Path, home: Path) -> None:
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",), extra="""
[[tool.private-packages.credentials]]
source = "private"
username = "deploy-bot"
password = "${ACME_TOKEN}"
""")
    env = {**client_env, "ACME_TOKEN": canary, "PATH": f"{poetry_bin}:{client_env['PATH']}",
           "POETRY_CACHE_DIR": str(home / "poetry-cache"),
           "POETRY_CONFIG_DIR": str(home / "poetry-config"),
           "POETRY_DATA_DIR": str(home / "poetry-data"),
           "POETRY_VIRTUALENVS_IN_PROJECT": "true"}
    trust(env, project)  # the keyring path is the subject; test_trust.py covers trust
    outputs = {}
    for command in ("lock", "install"):
        result = subprocess.run([str(poetry_bin / "poetry"), command, "-vvv", "--no-interaction",
                                 "--no-plugins"],
                                env=env, cwd=project, capture_output=True, text=True,
                                timeout=300, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs[f"{command} stdout"] = result.stdout
        outputs[f"{command} stderr"] = result.stderr

    # Keyring (ours alone, or keyring's chainer when keyrings.alt is installed too) asked
    # our backend, which names the rule and the reference it resolved, never the value.
    shown = "".join(outputs.values())
    assert "Using keyring backend" in shown
    assert "private-packages: credential for " in shown and "from ${ACME_TOKEN}" in shown
    assert 'name = "acme-internal"' in (project / "poetry.lock").read_text()
    assert list(project.glob(".venv/lib/python*/site-packages/acme_internal/__init__.py"))
    authorized = [r for r in private_index.requests if r.authorized]
    assert {r.path for r in authorized} >= {"/simple/acme-internal/"}
    assert all(r.username == "deploy-bot" for r in authorized)
    assert not (home / "poetry-config" / "auth.toml").exists()
    assert_not_in_texts(canary, outputs, username="deploy-bot")
    assert assert_not_in_files(canary, [project, home], username="deploy-bot") > 0
