"""Projects of the third-party clients, shared by tests/e2e/test_run_clients.py (through
`private-packages run`) and tests/e2e/test_clients_without_run.py (the backend beside the
tool): a pdm project, a venv for pip-sync to fill, a kedro project with a micro-package on
the index."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

from support.pypi_server import PrivateIndex
from support.wheels import source_tree
from tests.run_job import RunJob
from tests.venvs import BIN


def pdm_project(job: RunJob, index: PrivateIndex, extra: str = "") -> None:
    """A pdm project (no package of its own) whose one source is `index`; `extra` ends its
    pyproject.toml. pdm itself is kept from checking for updates or reusing a Python."""
    job.env.update(PDM_CHECK_UPDATE="false", PDM_IGNORE_SAVED_PYTHON="1",
                   PDM_PYTHON=sys.executable)
    job.write("pyproject.toml", f"""\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[[tool.pdm.source]]
name = "acme"
url = "{index.simple_url}"
verify_ssl = false

[tool.pdm]
distribution = false
{extra}""")


def pip_sync_target(target: Path) -> Path:
    """A venv with pip alone for `pip-sync --python-executable` to fill."""
    subprocess.run([str(BIN / "uv"), "venv", "-q", str(target)], check=True)
    # pip-sync wants a recent pip in the target: from the cache the client venvs filled.
    subprocess.run([str(BIN / "uv"), "pip", "install", "-q", "--offline", "--python",
                    str(target / "bin/python"), "pip"], check=True)
    return target


def micropackage_sdist(root: Path) -> Path:
    """What `kedro micropkg package` uploads: an sdist with one package, buildable offline
    (kedro reads its metadata through an isolated build)."""
    files = dict(source_tree("acme-pipeline", "0.1.0"))
    files["acme_pipeline/__init__.py"] = '"""A private micro-package."""\n'
    files["acme_pipeline/pipeline.py"] = "def create_pipeline(**kwargs):\n    return None\n"
    files["PKG-INFO"] = "Metadata-Version: 2.1\nName: acme-pipeline\nVersion: 0.1.0\n"
    path = root / "acme_pipeline-0.1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"acme_pipeline-0.1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def kedro_project(job: RunJob, index: PrivateIndex) -> tuple[str, ...]:
    """A kedro 0.19 project and the micro-package `acme-pipeline` on `index`; returns the
    `micropkg pull` argv (its pip still needs to be told the index)."""
    micropackage_sdist(index.root)
    job.env["KEDRO_DISABLE_TELEMETRY"] = "true"
    job.write("pyproject.toml", '[tool.kedro]\npackage_name = "demo"\nproject_name = "demo"\n'
                                'kedro_init_version = "0.19.15"\nsource_dir = "src"\n')
    job.write("src/demo/__init__.py", "")
    job.write("src/demo/settings.py", "")
    return ("kedro", "micropkg", "pull", "acme-pipeline==0.1.0")
