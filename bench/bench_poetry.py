"""Poetry plugin benchmarks, printed as a table (issue #4, "Performance").

1. `poetry --version` (poetry loads and activates every plugin first) in a venv with poetry
   alone and one with poetry and this project, alternated so machine noise hits both
   alike: medians and their ratio (target <= 1.03).
2. The plugin's own cost, inside fresh interpreters that already imported poetry's
   Application: importing `poetry_private_plugin.plugin` and calling `activate` on a real
   Application (target < 5 ms).
3. What the hook adds to a hooked command: `authenticate_command` for `poetry lock` in a
   project with one source bound to an env secret (rules loaded, secret resolved, config
   merged, git helper variables set).

Run: .venv/bin/python -m bench.bench_poetry   (BENCH_ROUNDS=N; numbers only, nothing asserted)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.bench_backend import PROJECT, _venv

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
POETRY = "poetry>=2,<3"
_ACTIVATE = """\
import time
from poetry.console.application import Application
app = Application()
t = time.perf_counter()
from poetry_private_plugin.plugin import PrivatePackagesPlugin
PrivatePackagesPlugin().activate(app)
print((time.perf_counter() - t) * 1000)
"""
_HOOK = """\
import sys, time
from cleo.events.console_command_event import ConsoleCommandEvent
from cleo.io.buffered_io import BufferedIO
from cleo.io.inputs.argv_input import ArgvInput
from poetry.console.application import Application
from poetry.factory import Factory
poetry = Factory().create_poetry(sys.argv[1])
command = Application().find("lock")
command.set_poetry(poetry)
event = ConsoleCommandEvent(command, BufferedIO(ArgvInput(["poetry", "lock"])))
t = time.perf_counter()
from poetry_private_plugin.hook import authenticate_command
authenticate_command(event)
print((time.perf_counter() - t) * 1000)
assert event.command_should_run()
"""
_PROJECT = """\
[project]
name = "bench"
version = "0.1.0"

[tool.poetry]
package-mode = false

[[tool.poetry.source]]
name = "private"
url = "https://gitlab.example.com/api/v4/groups/12/-/packages/pypi/simple"
priority = "primary"

[[tool.private-packages.credentials]]
source = "private"
username = "gitlab-ci-token"
password = "${BENCH_TOKEN}"
"""


def _run_ms(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def _printed_ms(argv: list[str], env: dict[str, str], cwd: str) -> float:
    out = subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def bench(rounds: int = ROUNDS) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        bare = _venv(Path(tmp, "bare"), POETRY)
        ours = _venv(Path(tmp, "ours"), POETRY, str(PROJECT))
        project = Path(tmp, "project")
        project.mkdir()
        (project / "pyproject.toml").write_text(_PROJECT)
        env = {"PATH": os.environ["PATH"], "HOME": tmp, "BENCH_TOKEN": "bench-token",
               "POETRY_CONFIG_DIR": str(Path(tmp, "config")),
               "POETRY_CACHE_DIR": str(Path(tmp, "cache"))}
        samples: dict[str, list[float]] = {"bare": [], "ours": [], "activate": [], "hook": []}
        for round_ in range(rounds + 1):  # round 0 warms caches and writes .pyc files
            got = {
                "bare": _run_ms([str(bare.parent / "poetry"), "--version"], env, tmp),
                "ours": _run_ms([str(ours.parent / "poetry"), "--version"], env, tmp),
                "activate": _printed_ms([str(ours), "-c", _ACTIVATE], env, tmp),
                "hook": _printed_ms([str(ours), "-c", _HOOK, str(project)], env, tmp),
            }
            if round_:
                for key, value in got.items():
                    samples[key].append(value)
    return samples


def main() -> None:
    samples = bench()
    median = {key: statistics.median(values) for key, values in samples.items()}
    rows = [
        ("`poetry --version`, poetry alone", median["bare"], min(samples["bare"])),
        ("`poetry --version`, with private-packages", median["ours"], min(samples["ours"])),
        ("import plugin + activate (in-process)", median["activate"],
         min(samples["activate"])),
        ("hook for `poetry lock`, 1 source, env secret", median["hook"],
         min(samples["hook"])),
    ]
    print(f"{ROUNDS} rounds, alternated; ms")
    print(f"{'measure':<48} {'median':>8} {'min':>8}")
    for label, med, low in rows:
        print(f"{label:<48} {med:>8.1f} {low:>8.1f}")
    print(f"ratio with/without plugin: {median['ours'] / median['bare']:.3f} (target <= 1.03)")
    print(f"activate: {median['activate']:.2f} ms (target < 5 ms)")


if __name__ == "__main__":
    main()
