"""The README's first command must keep working: run the demo as `./dev demo` runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
PROJECT = Path(__file__).resolve().parents[2]


def test_demo_runs_every_step_and_reports_no_leak() -> None:
    result = subprocess.run([sys.executable, "-m", "demo"], cwd=PROJECT, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for number in range(1, 9):
        assert f"[{number}]" in result.stdout
    assert "installed again, token read from Vault" in result.stdout
    assert "is not set" in result.stdout  # step 6 shows the missing-secret warning
    assert "LEAK" not in result.stdout + result.stderr
