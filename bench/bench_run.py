"""`private-packages run` benchmarks, printed as tables (DESIGN.md "private-packages run").

1. `private-packages run -- true` against `true`, alternated in the same run, in a project
   with a uv index and a rule in the environment, `private-packages` installed from this
   project into a throwaway venv as users get it: the median overhead is what every
   wrapped command pays (target: under 60 ms), with the CPU time beside it (what the
   load of a shared machine moves least).
2. `uv lock` of a one-package project against a private index (pypiserver, 401 mode), no
   cache, two ways: through `run` (UV_INDEX_<NAME>_* variables) and plain uv asking the
   keyring CLI (`authenticate = "always"`, `--keyring-provider subprocess`, keyring with
   the backend on PATH). Both medians and their ratio.

Run: .venv/bin/python -m bench.bench_run (BENCH_ROUNDS=N for more rounds)
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_backend import PROJECT, _venv
from support.pypi_server import PrivateIndex
from support.wheels import build_wheel

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
BIN = Path(sys.executable).parent
TOKEN = "bench-token/with:odd@chars"


def _timed(argv: list[str], env: dict[str, str], cwd: Path,
           cpu: list[float] | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                   * 1000)
    return wall


def _project(work: Path, index_url: str, *, always: bool = False) -> Path:
    project = work / ("always" if always else "plain")
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["bench-pkg"]\n\n[[tool.uv.index]]\nname = "acme"\n'
        f'url = "{index_url}"\n' + ('authenticate = "always"\n' if always else ""))
    return project


def _env(work: Path, index: PrivateIndex) -> dict[str, str]:
    return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(work), "BENCH_TOKEN": TOKEN,
            "PIP_CONFIG_FILE": os.devnull, "UV_PYTHON_DOWNLOADS": "never",
            "PRIVATE_PACKAGES_BENCH_URL": index.url + "/",
            "PRIVATE_PACKAGES_BENCH_USERNAME": "bench",
            "PRIVATE_PACKAGES_BENCH_PASSWORD": "${BENCH_TOKEN}"}


def bench_overhead(work: Path, env: dict[str, str], project: Path) -> None:
    python = _venv(work / "venv", str(PROJECT))
    wrapped = [str(python.parent / "private-packages"), "run", "--", "true"]
    plain: list[float] = []
    through: list[float] = []
    plain_cpu: list[float] = []
    through_cpu: list[float] = []
    for _ in range(ROUNDS):
        plain.append(_timed(["true"], env, project, plain_cpu))
        through.append(_timed(wrapped, env, project, through_cpu))
    diff = [b - a for a, b in zip(plain, through)]
    print(f"\n#### private-packages run -- true ({ROUNDS} alternated rounds, ms)")
    print("| command | wall median | wall min | CPU median |\n|---|---|---|---|")
    for label, samples, cpu in (("true", plain, plain_cpu),
                                ("private-packages run -- true", through, through_cpu),
                                ("overhead (paired)", diff, None)):
        cpu_text = f"{statistics.median(cpu):.1f}" if cpu else ""
        print(f"| {label} | {statistics.median(samples):.1f} | {min(samples):.1f} | "
              f"{cpu_text} |")


def bench_uv_lock(work: Path, env: dict[str, str], index: PrivateIndex) -> None:
    plain_project = _project(work, index.simple_url)
    always_project = _project(work, index.simple_url, always=True)
    keyring_bin = work / "keyring-bin"  # only `keyring` on PATH, not this venv's python
    keyring_bin.mkdir()
    (keyring_bin / "keyring").symlink_to(BIN / "keyring")
    uv = str(BIN / "uv")
    via_run = [str(BIN / "private-packages"), "run", "--", uv, "lock", "--no-cache"]
    via_keyring = [uv, "lock", "--no-cache", "--keyring-provider", "subprocess"]
    keyring_env = {**env, "PATH": f"{keyring_bin}:{env['PATH']}"}
    runs, keyrings = [], []
    for _ in range(max(5, ROUNDS // 2)):
        for project in (plain_project, always_project):
            (project / "uv.lock").unlink(missing_ok=True)
        runs.append(_timed(via_run, env, plain_project))
        keyrings.append(_timed(via_keyring, keyring_env, always_project))
    run_ms, keyring_ms = statistics.median(runs), statistics.median(keyrings)
    print(f"\n#### uv lock, one private package, no cache (median of {len(runs)}, ms)")
    print("| how uv gets the credential | median | min |\n|---|---|---|")
    print(f"| private-packages run (UV_INDEX_ACME_*) | {run_ms:.0f} | {min(runs):.0f} |")
    print(f"| keyring CLI (--keyring-provider subprocess) | {keyring_ms:.0f} | "
          f"{min(keyrings):.0f} |")
    print(f"| ratio keyring / run | {keyring_ms / run_ms:.2f}x | |")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        build_wheel(work / "packages", "bench-pkg", "1.0.0")
        with PrivateIndex(work / "packages", password=TOKEN, username="bench") as index:
            env = _env(work, index)
            (work / "overhead").mkdir()
            bench_overhead(work, env, _project(work / "overhead", index.simple_url))
            bench_uv_lock(work, env, index)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
