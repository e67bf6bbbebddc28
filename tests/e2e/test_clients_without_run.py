"""pdm, pip-tools and kedro WITHOUT `private-packages run` (issue #14): keyring and
private-packages installed into the tool's own venv, nothing else. The token lives only in
`ACME_TOKEN`; the rule is an env-defined one or a trusted project's; pypiserver is in 401
mode. Each scenario first shows that the credential comes from the rule (without it the
tool fails), then the tool working, then the token absent from outputs, lock files,
written files and the argv of every process (tests/run_job.py).

PATH holds the tool's venv and the system only, as when that venv is activated. Where the
tool works only with a setting (pip under `--no-input` skips keyring unless a provider is
chosen), the test shows the failure and the setting that fixes it, as the README says.
Marker `clients`, like tests/e2e/test_run_clients.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from support.wheels import build_wheel
from tests.client_projects import kedro_project, pdm_project, pip_sync_target
from tests.conftest import Clients, locked_venv
from tests.run_job import USER, RunJob, make_run_job
from tests.venvs import build_locked_venv

pytestmark = [pytest.mark.e2e, pytest.mark.clients]

ENV_RULE = ("PRIVATE_PACKAGES_ACME_URL", "PRIVATE_PACKAGES_ACME_USERNAME",
            "PRIVATE_PACKAGES_ACME_PASSWORD")


@pytest.fixture
def job(tmp_path: Path, clients: Clients, client_env: dict[str, str],
        private_index: PrivateIndex, canary: str) -> RunJob:
    """A job with the env rule, pip's default provider (`auto`: no PIP_NO_INPUT), and no
    keyring on PATH until the test puts its tool's venv there (`with_tool`)."""
    job = make_run_job(tmp_path, clients, client_env, private_index, canary)
    job.env["PATH"] = "/usr/bin:/bin"
    del job.env["PIP_NO_INPUT"]
    return job


def tool_venv(clients: Clients, factory: pytest.TempPathFactory, name: str) -> Path:
    """The bin directory of requirements/clients/NAME-keyring.in's venv (the tool, keyring,
    and this project's wheel), shared by the tests of one run."""
    return locked_venv(factory, f"{name}-keyring", clients.wheel)


def with_tool(job: RunJob, bin_dir: Path) -> None:
    job.env["PATH"] = f"{bin_dir}:{job.env['PATH']}"


def without_rule(job: RunJob) -> dict[str, str]:
    return {k: v for k, v in job.env.items() if k not in ENV_RULE}


# --------------------------------------------------------------------------------- pdm

def test_pdm_with_a_trusted_project_rule(job: RunJob, clients: Clients,
                                         private_index: PrivateIndex, canary: str,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, tool_venv(clients, tmp_path_factory, "pdm"))
    for key in ENV_RULE:  # the rule is the project's own
        del job.env[key]
    pdm_project(job, private_index, f"""
[[tool.private-packages.credentials]]
url = "{private_index.url}/"
username = "{USER}"
password = "${{ACME_TOKEN}}"
""")
    untrusted = job.run("pdm", "add", "acme-internal", through_run=False)
    assert untrusted.returncode != 0
    assert "is not trusted" in untrusted.stderr
    trusted = job.run("private-packages", "trust", "--yes", through_run=False)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr

    for command in (["add", "--no-sync", "acme-internal"], ["lock"], ["install"]):
        before = len(private_index.requests)
        result = job.run("pdm", *command, through_run=False)
        assert result.returncode == 0, result.stdout + result.stderr
        # each step asks the index, with the rule's credential (none is served from a cache)
        assert any(r.authorized for r in private_index.requests[before:]), command
    assert "acme-internal" in (job.project / "pdm.lock").read_text()
    assert list(job.project.glob(".venv/lib/python*/site-packages/acme_internal"))

    wheel = build_wheel(job.project / "dist", "acme-new", "2.0.0")
    published = job.run("pdm", "publish", "--no-build", "-r", private_index.url + "/",
                        through_run=False)
    assert published.returncode == 0, published.stdout + published.stderr
    assert (private_index.root / wheel.name).is_file()
    job.assert_clean(canary)


# --------------------------------------------------------------------------- pip-tools

def pip_tools_project(job: RunJob, index: PrivateIndex
                      ) -> tuple[tuple[str, ...], tuple[str | Path, ...], Path]:
    """requirements.in on the index, and a venv without keyring for pip-sync to fill:
    (the pip-compile argv, the pip-sync argv into that venv, that venv)."""
    job.write("requirements.in", f"--index-url {index.simple_url}\nacme-internal\n")
    target = pip_sync_target(job.project / "target")
    return (("pip-compile", "-q", "requirements.in"),
            ("pip-sync", "--python-executable", target / "bin/python", "requirements.txt"),
            target)


def test_pip_compile_and_pip_sync(job: RunJob, clients: Clients, private_index: PrivateIndex,
                                  canary: str) -> None:
    # pip-tools' own venv, for this test alone: its last step empties it
    own = build_locked_venv(job.root / "pip-tools", "pip-tools-keyring", clients.wheel)
    with_tool(job, own)
    compile_, sync, target = pip_tools_project(job, private_index)
    assert job.run(*compile_, through_run=False, env=without_rule(job)).returncode != 0

    compiled = job.run(*compile_, through_run=False)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert "acme-internal==1.0.0" in (job.project / "requirements.txt").read_text()
    # The target's pip has no keyring: `auto` runs the `keyring` command of pip-tools' venv
    # (on PATH; pip skips one in its own scripts folder only).
    synced = job.run(*sync, through_run=False)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert list(target.glob("lib/python*/site-packages/acme_internal"))

    # pip-sync into its own venv first uninstalls what requirements.txt lacks: keyring and
    # private-packages too, so its pip then finds no credential (README: use a venv of its own)
    assert job.run("pip-sync", "requirements.txt", through_run=False).returncode != 0
    assert not list(own.parent.glob("lib/python*/site-packages/keyring_backend"))
    job.assert_clean(canary)


def test_pip_tools_under_no_input_need_a_keyring_provider(
        job: RunJob, clients: Clients, private_index: PrivateIndex, canary: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """PIP_NO_INPUT (common in CI): pip's `auto` provider then asks no keyring at all."""
    with_tool(job, tool_venv(clients, tmp_path_factory, "pip-tools"))
    compile_, sync, target = pip_tools_project(job, private_index)
    job.env["PIP_NO_INPUT"] = "1"
    assert job.run(*compile_, through_run=False).returncode != 0

    # pip-compile's pip runs in pip-tools' venv: it imports keyring
    compiled = job.run(*compile_, through_run=False,
                       env={**job.env, "PIP_KEYRING_PROVIDER": "import"})
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert job.run(*sync, through_run=False).returncode != 0
    # the target's pip has no keyring to import: it runs the `keyring` command on PATH
    synced = job.run(*sync, through_run=False,
                     env={**job.env, "PIP_KEYRING_PROVIDER": "subprocess"})
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert list(target.glob("lib/python*/site-packages/acme_internal"))
    job.assert_clean(canary)


# ------------------------------------------------------------------------------ kedro

def test_kedro_micropkg_pull(job: RunJob, clients: Clients, private_index: PrivateIndex,
                             canary: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, tool_venv(clients, tmp_path_factory, "kedro"))
    pull = kedro_project(job, private_index)
    pypi = job.root / "pypi"  # an empty index where PyPI would be: offline
    pypi.mkdir()
    job.env.update(PIP_INDEX_URL=pypi.as_uri(), PIP_EXTRA_INDEX_URL=private_index.simple_url)
    assert job.run(*pull, through_run=False, env=without_rule(job)).returncode != 0

    result = job.run(*pull, through_run=False)

    assert result.returncode == 0, result.stdout + result.stderr
    pulled = job.project / "src/demo/acme_pipeline"
    assert (pulled / "pipeline.py").is_file()
    # PIP_NO_INPUT makes pip's `auto` skip keyring (shown with pip-tools above); naming
    # the provider is all kedro's pip needs then
    shutil.rmtree(pulled)
    again = job.run(*pull, through_run=False, env={**job.env, "PIP_NO_INPUT": "1",
                                                   "PIP_KEYRING_PROVIDER": "import"})
    assert again.returncode == 0, again.stdout + again.stderr
    assert (pulled / "pipeline.py").is_file()
    job.assert_clean(canary)
