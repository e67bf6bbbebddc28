"""The README's first command must keep working: run the demo as `./dev demo` runs it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_output() -> str:
    result = subprocess.run([sys.executable, "-m", "demo"], cwd=PROJECT, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LEAK" not in result.stdout + result.stderr
    return result.stdout


def test_demo_runs_every_step_and_reports_no_leak(demo_output: str) -> None:
    numbers = [int(n) for n in re.findall(r"^\[(\d+)\]", demo_output, re.MULTILINE)]
    assert numbers == list(range(1, 13))
    assert "[12] Checked: the token is in no output above" in demo_output
    assert "installed again, token read from Vault" in demo_output
    assert "is not set" in demo_output  # step 6 shows the missing-secret warning


def test_poetry_steps_install_from_env_secret_then_from_openbao(demo_output: str) -> None:
    env_step, vault_step = demo_output.split("[9] ")[1].split("[10] ")
    vault_step = vault_step.split("[11] ")[0]
    # Step 9: the rule `poetry source auth --token-env` wrote names the variable only.
    assert "$ poetry source auth acme --token-env CI_JOB_TOKEN --username gitlab-ci-token" \
        in env_step
    assert 'password = "${CI_JOB_TOKEN}"' in env_step
    assert "Installing acme-internal (1.0.0)" in env_step
    assert "installed with poetry; token from CI_JOB_TOKEN" in env_step
    # Step 10: after `unset CI_JOB_TOKEN` the same source works from OpenBao alone.
    assert 'password = "${vault:secret/ci/pypi#token}"' in vault_step
    assert "unset CI_JOB_TOKEN" in vault_step
    assert "password from ${vault:secret/ci/pypi#token} (vault)" in vault_step
    assert "index: 200 OK: the index accepted the credential" in vault_step
    assert "Installing acme-internal (1.0.0)" in vault_step
    assert "installed again, token read from OpenBao" in vault_step
    for text in (env_step, vault_step):
        # every request poetry made carried the credential, and the files hold none
        sent = re.search(r"index: (\d+) requests, (\d+) with the credential", text)
        assert sent is not None, text
        assert int(sent[1]) > 0
        assert sent[1] == sent[2]
        assert "pyproject.toml, poetry.lock: no token" in text
        assert "auth.toml: none written" in text


def test_any_tool_step_installs_with_uv_through_run(demo_output: str) -> None:
    """Step 11: `private-packages run` gives uv its credential in uv's own variable (shown
    as ****), and the install works."""
    uv_step = demo_output.split("[11] ")[1].split("[12] ", maxsplit=1)[0]
    assert "UV_INDEX_URL=****" in uv_step
    assert "+ acme-internal==1.0.0" in uv_step
    assert "installed with uv; the credential lived only in uv's environment" in uv_step
