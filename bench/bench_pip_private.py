"""`pip-private` benchmarks, printed as tables (DESIGN.md "pip-private"; masker throughput
is bench/bench_masking.py).

1. Wall time of `pip-private install -r req.txt` (a `${BENCH_TOKEN}` reference) against
   `python -m pip install -r rendered.txt` (already substituted): no-op installs of a local
   wheel in a throwaway venv, alternated, with the parts the difference is made of.
   Then the instructions each executes (valgrind's callgrind, when installed): a count the
   load of a shared machine does not move, with pip in-process (the default) and as a child.
2. Rendering 50 nested files (10,000 lines, 1,000 references) in-process into memory files
   as pip_hook/run.py does; `parse_template` is lru_cached, so cold and warm apart.

Run: .venv/bin/python -m bench.bench_pip_private (BENCH_ROUNDS=N for more rounds)
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.bench_backend import PROJECT, _venv
from keyring_backend.references import _parse_cached
from keyring_backend.settings import Settings
from pip_hook.memfiles import RenderedFiles
from pip_hook.render import Renderer
from support.wheels import build_wheel

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
TOKEN = "bench-token/with:odd@chars"
FILES, LINES_PER_FILE, REFS_PER_FILE = 50, 200, 20
RENDER_ENV = {"BENCH_TOKEN": TOKEN, "BENCH_JSON": '{"token": "json-token", "user": "ci"}',
              "BENCH_LIST": "first-token;second-token", "BENCH_HOST": "mirror.example.invalid"}


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples):.1f} | {min(samples):.1f}"


def _cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _no_op_install(work: Path) -> tuple[Path, str, list[str], dict[str, str]]:
    """A throwaway venv with pip, keyring and this project, a local wheel, `req.txt` (a
    `${BENCH_TOKEN}` reference) and `rendered.txt` (substituted): the interpreter,
    pip-private, the `install` arguments of a no-op install, and its environment."""
    python = _venv(work / "venv", "pip", "keyring", str(PROJECT))
    wheels = work / "wheels"
    build_wheel(wheels, "bench-pkg", "1.0.0")
    index = "--extra-index-url https://u:{}@example.invalid/simple\n"
    (work / "req.txt").write_text("bench-pkg==1.0.0\n" + index.format("${BENCH_TOKEN}"))
    (work / "rendered.txt").write_text("bench-pkg==1.0.0\n" + index.format(TOKEN))
    env = {"PATH": os.environ["PATH"], "HOME": str(work), "BENCH_TOKEN": TOKEN,
           "PIP_NO_INPUT": "1", "PIP_CONFIG_FILE": os.devnull,
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    install = ["install", "--no-index", "--find-links", str(wheels)]
    subprocess.run([str(python), "-m", "pip", *install, "bench-pkg==1.0.0", "-q"], env=env,
                   check=True)
    return python, str(python.parent / "pip-private"), install, env


def bench_overhead(rounds: int = ROUNDS) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Fresh processes, every command once per round (alternated): wall ms and CPU ms (user +
    system of the whole process tree, which the load other processes put on a shared
    machine disturbs far less than wall time) per command."""
    with tempfile.TemporaryDirectory() as tmp:
        python, ours, install, env = _no_op_install(Path(tmp))
        pip = [str(python), "-m", "pip"]
        commands = {  # label: argv; the first two are the measure, the rest the parts
            "`python -m pip install -r rendered.txt`": [*pip, *install, "-r", "rendered.txt"],
            "`pip-private install -r req.txt`": [ours, *install, "-r", "req.txt"],
            "`python -c pass` (interpreter start-up)": [str(python), "-c", "pass"],
            "`python -c 'import pip_hook.cli'`": [str(python), "-c", "import pip_hook.cli"],
            "`python -c 'import pip_hook.run'` (an install imports it)":
                [str(python), "-c", "import pip_hook.run"],
            "`pip-private render -r req.txt` (no pip)": [ours, "render", "-r", "req.txt"],
            "pip with the `--keyring-provider import` pip-private adds":
                [*pip, *install, "--keyring-provider", "import", "-r", "rendered.txt"],
        }
        samples: dict[str, list[float]] = {key: [] for key in commands}
        cpu: dict[str, list[float]] = {key: [] for key in commands}
        for round_ in range(rounds + 1):  # round 0 warms caches and writes .pyc files
            for key, argv in commands.items():
                start, cpu_start = time.perf_counter(), _cpu_ms()
                subprocess.run(argv, env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                if round_:
                    samples[key].append((time.perf_counter() - start) * 1000)
                    cpu[key].append(_cpu_ms() - cpu_start)
    return samples, cpu


def _instructions(argv: list[str], env: dict[str, str], cwd: str) -> float:
    """Millions of instructions the whole process tree executes (valgrind's callgrind):
    a count, not a time, so the load other processes put on the machine does not move it."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                        f"--callgrind-out-file={out}/cg.%p", *argv], env=env, cwd=cwd,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = 0
        for path in Path(out).glob("cg.*"):
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith(("summary:", "totals:")):
                    total += int(line.split()[1])
                    break
    return total / 1e6


def bench_instructions() -> list[tuple[str, float]]:
    """pip alone, pip-private with pip in-process (the default) and as a child."""
    with tempfile.TemporaryDirectory() as tmp:
        python, ours, install, env = _no_op_install(Path(tmp))
        runs = [("`python -m pip install -r rendered.txt`",
                 [str(python), "-m", "pip", *install, "-r", "rendered.txt"], {}),
                ("`pip-private install -r req.txt` (pip in-process)",
                 [ours, *install, "-r", "req.txt"], {}),
                ("the same with `PIP_PRIVATE_SUBPROCESS=1` (pip as a child)",
                 [ours, *install, "-r", "req.txt"], {"PIP_PRIVATE_SUBPROCESS": "1"})]
        for _, argv, extra in runs:  # warm: .pyc files written
            subprocess.run(argv, env={**env, **extra}, cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
        return [(label, _instructions(argv, {**env, **extra}, tmp))
                for label, argv, extra in runs]


def _ref(k: int, n: int) -> str:
    """One line holding one reference; five forms in turn."""
    return (f"--extra-index-url https://bench:${{BENCH_TOKEN}}@pypi{n}.example.invalid/simple/",
            f"acme-git-{n} @ git+https://${{BENCH_JSON#token}}@git.example.invalid/r{n}.git",
            f"acme-tar-{n} @ https://deploy:${{BENCH_LIST[1]}}@files.example.invalid/{n}.tgz",
            f"acme-pin-{n}==${{BENCH_PIN:-1.0.{n % 10}}}  # optional pin",
            "--trusted-host ${BENCH_HOST}")[k % 5]


def _path(i: int) -> str:
    return f"d{(i + 1).bit_length() - 1}/f{i:02}.txt"  # one directory per tree level


def write_tree(root: Path) -> Path:
    """FILES files in a binary tree of `-r` includes; LINES_PER_FILE physical lines each
    (comments, `\\` continuations, plain pins) with REFS_PER_FILE references spread out."""
    for i in range(FILES):
        head = [f"-r ../{_path(c)}" for c in (2 * i + 1, 2 * i + 2) if c < FILES]
        refs = [_ref(i + k, i * REFS_PER_FILE + k) for k in range(REFS_PER_FILE)]
        fill, used, j = [], len(head) + len(refs), 0
        while used < LINES_PER_FILE:
            j += 1
            two = j % 7 == 0 and used + 2 <= LINES_PER_FILE
            fill.append(f"acme-cont-{i}-{j} \\\n    >=1.{j % 5}" if two else
                        f"# group {j}" if j % 5 == 0 else f"acme-{i}-{j}=={j % 9}.{j % 4}")
            used += 1 + two
        step = len(fill) // len(refs)
        for k, ref in enumerate(refs):
            fill.insert(k * (step + 1) + step // 2, ref)
        path = root / _path(i)
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join([*head, *fill]) + "\n")
    return root / _path(0)


def render_once(root: Path, top: Path, clear: bool = False) -> tuple[float, int, int]:
    """ms to render the whole tree into memory files (closed again), files, secret values."""
    if clear:
        _parse_cached.cache_clear()
    start = time.perf_counter()
    with RenderedFiles() as files:
        renderer = Renderer(RENDER_ENV, Settings(), files.add, root)
        renderer.include(str(top.relative_to(root)))
    return (time.perf_counter() - start) * 1000, len(renderer.files), len(renderer.values)


def bench_render(runs: int = 15) -> tuple[list[float], list[float], str]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        top = write_tree(root)
        texts = [p.read_text() for p in root.rglob("*.txt")]
        lines, refs = sum(t.count("\n") for t in texts), sum(t.count("${") for t in texts)
        cold = [render_once(root, top, clear=True)[0] for _ in range(runs)]
        _, files, values = render_once(root, top)
        before = _parse_cached.cache_info()
        warm = [render_once(root, top)[0] for _ in range(runs)]
        after = _parse_cached.cache_info()
    return cold, warm, (f"{files} files rendered, {lines} lines, {refs} references, {values} "
                        f"secret values; warm runs: {after.hits - before.hits} parse-cache "
                        f"hits, {after.misses - before.misses} misses (maxsize {after.maxsize})")


def main() -> None:
    wall, cpu = bench_overhead()
    (pip_label, pip), (ours_label, ours), *parts = wall.items()
    print(f"## pip-private install overhead ({ROUNDS} no-op installs each, alternated; ms)")
    print("| measure | median | min | target |\n|---|---:|---:|---|")
    print(f"| {pip_label} | {_ms(pip)} | |\n| {ours_label} | {_ms(ours)} | |")
    added = statistics.median(ours) - statistics.median(pip)
    paired = statistics.median(o - p for o, p in zip(ours, pip))
    print(f"| added (difference of medians) | {added:+.1f} | {min(ours) - min(pip):+.1f} | "
          f"< 40 ms |\n| added (median of per-round differences) | {paired:+.1f} | | |")
    print(f"| ratio | {statistics.median(ours) / statistics.median(pip):.2f}x | "
          f"{min(ours) / min(pip):.2f}x | |")
    cpu_pip, cpu_ours = cpu[pip_label], cpu[ours_label]
    cpu_paired = statistics.median(o - p for o, p in zip(cpu_ours, cpu_pip))
    print(f"| added CPU time, user + system (median of per-round differences) | "
          f"{cpu_paired:+.1f} | {min(cpu_ours) - min(cpu_pip):+.1f} | |")
    print("\n## where it goes (same rounds; ms, a fresh interpreter each)")
    print("| measure | median | min |\n|---|---:|---:|")
    for label, samples in parts:
        print(f"| {label} | {_ms(samples)} |")
    if shutil.which("valgrind"):
        print("\n## instructions executed, whole process tree (callgrind; millions)")
        print("| command | instructions | vs pip |\n|---|---:|---:|")
        rows = bench_instructions()
        for label, count in rows:
            print(f"| {label} | {count:.1f} M | {count / rows[0][1]:.3f}x |")
    else:
        print("\n(valgrind not installed: no instruction counts)")
    cold, warm, info = bench_render()
    print(f"\n## rendering {FILES} nested files in-process, into memory files "
          f"(median of {len(cold)}; ms)")
    print("| parse cache | median | min | target |\n|---|---:|---:|---|")
    print(f"| cold (`_parse_cached.cache_clear()` before each run) | {_ms(cold)} | < 100 ms |")
    print(f"| warm (after a first run) | {_ms(warm)} | < 100 ms |")
    print(f"\n{info}")


if __name__ == "__main__":
    main()
