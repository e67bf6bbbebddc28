"""What the bad-input guards cost on good input, printed as tables (issue #13).

- `read_regular_file` (stat, O_NONBLOCK open, fstat, bounded read) against a plain
  `Path.read_bytes` of the same small requirements file;
- the sweep every pip run does for directories of SIGKILLed runs, over temp directories of
  growing size (it lists them: a busy /tmp costs more);
- rendering a chain of N nested `-r` files (no recursion limit any more; pip itself stops
  between 600 and 1000).

Run: .venv/bin/python -m bench.bench_bad_input
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from keyring_backend.regular_files import read_project_file
from keyring_backend.settings import Settings
from pip_hook.private_dirs import sweep_orphans
from pip_hook.render import Renderer

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


def median_seconds(action: Callable[[], object], number: int) -> float:
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(number):
            action()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def reads(root: Path) -> None:
    path = root / "requirements.txt"
    path.write_text("".join(f"package-{n}==1.{n}\n" for n in range(200)))
    plain = median_seconds(path.read_bytes, 2000)
    guarded = median_seconds(lambda: read_project_file(path), 2000)
    print("#### reading a 200-line requirements file (median of "
          f"{ROUNDS} rounds x 2000)")
    print("| read | per file |\n|---|---|")
    print(f"| `Path.read_bytes` | {plain * 1e6:.1f} us |")
    print(f"| `read_project_file` (regular, bounded) | {guarded * 1e6:.1f} us |\n")


def sweeps(root: Path) -> None:
    print(f"#### sweep for orphaned rendered directories (median of {ROUNDS} rounds)")
    print("| entries in the temp dir | per pip-private run |\n|---|---|")
    for count in (0, 100, 1000, 5000):
        base = root / f"tmp{count}"
        base.mkdir()
        for n in range(count):
            (base / f"f{n}").touch()
        env = {"TMPDIR": str(base)}

        def sweep(env: dict[str, str] = env) -> object:
            return sweep_orphans(env)

        cost = median_seconds(sweep, 50)
        print(f"| {count} | {cost * 1e3:.3f} ms |")
    print()


def nesting(root: Path) -> None:
    print(f"#### rendering N nested -r files, one reference at the bottom (min of {ROUNDS})")
    print("| N | time |\n|---|---|")
    for depth in (100, 400, 1000, 2000):
        folder = root / f"nest{depth}"
        folder.mkdir()
        for n in range(depth):
            (folder / f"r{n}.txt").write_text(f"-r r{n + 1}.txt\n")
        (folder / f"r{depth}.txt").write_text("acme==${V}\n")
        samples = []
        for _ in range(ROUNDS):
            renderer = Renderer({"V": "1"}, Settings(), lambda display, text: display, folder)
            start = time.perf_counter()
            renderer.include("r0.txt")
            samples.append(time.perf_counter() - start)
        print(f"| {depth} | {min(samples) * 1e3:.0f} ms |")


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        reads(root)
        sweeps(root)
        nesting(root)


if __name__ == "__main__":
    main()
