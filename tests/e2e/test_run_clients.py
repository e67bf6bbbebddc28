"""`private-packages run` with the third-party clients people pick (issue #14): poetry
without the plugin (and poetry-plugin-export), pdm, pipenv, hatch, pip-tools, tox, nox and
kedro, each from its own venv with neither keyring nor private-packages in it, against
pypiserver in 401 mode. The token lives only in `ACME_TOKEN`, the rule in env-defined
variables; each tool is shown failing without `run` where it cannot find the credential
itself, then working through it, and after each scenario the token is absent from outputs,
lock files, written files and the argv of every process (tests/run_job.py).

PATH holds the tool's venv and the system only: no `keyring` CLI with the backend that a
tool could find on its own. Marker `clients`: `-m "not clients"` leaves these out of a
quick run; `./dev test` and .ci/run run them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from support.wheels import build_wheel
from tests.client_projects import kedro_project, pdm_project, pip_sync_target
from tests.conftest import Clients, locked_venv
from tests.poetry_env import write_project
from tests.run_job import RunJob, make_run_job

pytestmark = [pytest.mark.e2e, pytest.mark.clients]


def client_bin(factory: pytest.TempPathFactory, name: str) -> Path:
    """The venv of requirements/clients/run-NAME.in (its lock), built once per test run."""
    return locked_venv(factory, f"run-{name}")


@pytest.fixture
def job(tmp_path: Path, clients: Clients, client_env: dict[str, str],
        private_index: PrivateIndex, canary: str) -> RunJob:
    job = make_run_job(tmp_path, clients, client_env, private_index, canary)
    job.env["PATH"] = "/usr/bin:/bin"  # each test puts its tool's venv first
    return job


def with_tool(job: RunJob, bin_dir: Path) -> None:
    job.env["PATH"] = f"{bin_dir}:{job.env['PATH']}"


# ---------------------------------------------------------------- poetry without the plugin

def poetry_env(job: RunJob) -> None:
    home = Path(job.env["HOME"])
    job.env.update(POETRY_CONFIG_DIR=str(home / "poetry-config"),
                   POETRY_CACHE_DIR=str(home / "poetry-cache"),
                   POETRY_DATA_DIR=str(home / "poetry-data"),
                   POETRY_VIRTUALENVS_IN_PROJECT="true")


def test_poetry_without_the_plugin(job: RunJob, private_index: PrivateIndex, canary: str,
                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "poetry"))
    poetry_env(job)
    write_project(job.project, private_index.simple_url, source="acme.internal",
                  dependencies=("acme-internal",))
    assert job.run("poetry", "lock", through_run=False).returncode != 0

    for command in (["lock"], ["install"]):
        result = job.run("poetry", *command)
        assert result.returncode == 0, result.stdout + result.stderr
    assert list(job.project.glob(".venv/lib/python*/site-packages/acme_internal"))
    # export needs no credential and gets none: --with-credentials writes the bare URL
    for through_run in (True, False):
        exported = job.run("poetry", "export", "--with-credentials", "-f", "requirements.txt",
                           "-o", "exported.txt", through_run=through_run)
        assert exported.returncode == 0, exported.stdout + exported.stderr
        assert f"--index-url {private_index.simple_url.rstrip('/')}" in (
            job.project / "exported.txt").read_text()

    package = job.project / "acme-new"  # publishing needs package mode
    package.mkdir()
    (package / "pyproject.toml").write_text('[project]\nname = "acme-new"\nversion = "2.0.0"\n')
    wheel = build_wheel(package / "dist", "acme-new", "2.0.0")
    job.env["POETRY_REPOSITORIES_ACME_URL"] = private_index.url + "/"
    assert job.run("poetry", "publish", "-r", "acme", "-n", cwd=package,
                   through_run=False).returncode != 0
    published = job.run("poetry", "publish", "-r", "acme", "-n", cwd=package)
    assert published.returncode == 0, published.stdout + published.stderr
    assert (private_index.root / wheel.name).is_file()
    job.assert_clean(canary)


# --------------------------------------------------------------------------------- pdm

def test_pdm_add_lock_install_publish(job: RunJob, private_index: PrivateIndex, canary: str,
                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "pdm"))
    pdm_project(job, private_index)
    assert job.run("pdm", "add", "acme-internal", through_run=False).returncode != 0

    for command in (["add", "acme-internal"], ["lock"], ["install"]):
        result = job.run("pdm", *command)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "acme-internal" in (job.project / "pdm.lock").read_text()
    assert list(job.project.glob(".venv/lib/python*/site-packages/acme_internal"))

    wheel = build_wheel(job.project / "dist", "acme-new", "2.0.0")
    publish = ["pdm", "publish", "--no-build", "-r", private_index.url + "/"]
    assert job.run(*publish, through_run=False).returncode != 0
    published = job.run(*publish)
    assert published.returncode == 0, published.stdout + published.stderr
    assert (private_index.root / wheel.name).is_file()
    job.assert_clean(canary)


# ------------------------------------------------------------------------------ pipenv

def test_pipenv_lock_and_install(job: RunJob, private_index: PrivateIndex, canary: str,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "pipenv"))
    job.env.update(PIPENV_VENV_IN_PROJECT="1", PIPENV_NOSPIN="1", PIPENV_YES="1",
                   PIPENV_PYTHON=sys.executable)
    job.write("Pipfile", f"""\
[[source]]
url = "{private_index.simple_url}"
verify_ssl = false
name = "acme"

[packages]
acme-internal = "*"
""")
    assert job.run("pipenv", "lock", through_run=False).returncode != 0

    for command in (["lock"], ["install"]):
        result = job.run("pipenv", *command)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "acme-internal" in (job.project / "Pipfile.lock").read_text()
    assert list(job.project.glob(".venv/lib/python*/site-packages/acme_internal"))
    job.assert_clean(canary)


# ------------------------------------------------------------------------------- hatch

def test_hatch_environments_through_pip_and_uv_and_publish(
        job: RunJob, private_index: PrivateIndex, canary: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "hatch"))
    job.env.pop("UV_NO_CONFIG")  # hatch's uv reads the project's [[tool.uv.index]]
    job.write("pyproject.toml", f"""\
[project]
name = "app"
version = "0.1.0"

[tool.hatch.envs.viapip]
installer = "pip"
skip-install = true
dependencies = ["acme-internal"]

[tool.hatch.envs.viauv]
installer = "uv"
skip-install = true
dependencies = ["acme-internal"]

[[tool.uv.index]]
name = "acme"
url = "{private_index.simple_url}"
""")
    check = "import acme_internal; print('imported', acme_internal.VERSION)"
    job.env["PIP_INDEX_URL"] = private_index.simple_url  # pip's index; uv's is the project's
    for env in ("viapip", "viauv"):
        assert job.run("hatch", "run", f"{env}:python", "-c", check,
                       through_run=False).returncode != 0
        result = job.run("hatch", "run", f"{env}:python", "-c", check)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "imported 1.0.0" in result.stdout

    wheel = build_wheel(job.project / "dist", "acme-new", "2.0.0")
    publish = ["hatch", "publish", "-r", private_index.url + "/", str(wheel)]
    assert job.run(*publish, through_run=False).returncode != 0  # "Missing ... user"
    published = job.run(*publish)
    assert published.returncode == 0, published.stdout + published.stderr
    assert (private_index.root / wheel.name).is_file()
    job.assert_clean(canary)


# --------------------------------------------------------------------------- pip-tools

def test_pip_compile_and_pip_sync(job: RunJob, private_index: PrivateIndex, canary: str,
                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "pip-tools"))
    job.write("requirements.in", f"--index-url {private_index.simple_url}\nacme-internal\n")
    target = pip_sync_target(job.project / "target")
    assert job.run("pip-compile", "-q", "requirements.in", through_run=False).returncode != 0

    compiled = job.run("pip-compile", "-q", "requirements.in")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert "acme-internal==1.0.0" in (job.project / "requirements.txt").read_text()
    synced = job.run("pip-sync", "--python-executable", target / "bin/python",
                     "requirements.txt")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert list(target.glob("lib/python*/site-packages/acme_internal"))
    job.assert_clean(canary)


# --------------------------------------------------------------------------- tox, nox

def test_tox_with_an_unchanged_tox_ini(job: RunJob, private_index: PrivateIndex, canary: str,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "tox"))
    job.env["PIP_INDEX_URL"] = private_index.simple_url  # tox passes PIP_* on
    job.write("tox.ini", """\
[tox]
skipsdist = true
envlist = check

[testenv:check]
deps = acme-internal
commands = python -c "import acme_internal; print('imported', acme_internal.VERSION)"
""")
    assert job.run("tox", through_run=False).returncode != 0

    result = job.run("tox")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported 1.0.0" in result.stdout
    job.assert_clean(canary)


def test_nox_with_a_venv_session(job: RunJob, private_index: PrivateIndex, canary: str,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "nox"))
    job.write("noxfile.py", f"""\
import nox


@nox.session(venv_backend="venv")
def check(session):
    session.install("--index-url", "{private_index.simple_url}", "acme-internal")
    session.run("python", "-c", "import acme_internal; print('imported', acme_internal.VERSION)")
""")
    assert job.run("nox", through_run=False).returncode != 0

    result = job.run("nox")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "imported 1.0.0" in result.stdout + result.stderr
    job.assert_clean(canary)


# ------------------------------------------------------------------------------ kedro

def test_kedro_micropkg_pull(job: RunJob, private_index: PrivateIndex, canary: str,
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    with_tool(job, client_bin(tmp_path_factory, "kedro"))
    pull = kedro_project(job, private_index)
    job.env["PIP_INDEX_URL"] = private_index.simple_url
    assert job.run(*pull, through_run=False).returncode != 0

    result = job.run(*pull)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (job.project / "src/demo/acme_pipeline/pipeline.py").is_file()
    job.assert_clean(canary)
