"""What the guard (keyring_backend/guard.py) costs, printed as tables (issue 12).

1. Per request: the wrapped `HTTPAdapter.send` over the original, on an adapter whose
   `send` does nothing (so only the check is measured), for the cases a client meets:
   nothing resolved yet in the process, a header that is not ours, our credential inside
   its rule, and our credential outside it (the header is removed).
2. Per process: starting pip through bootstrap.py (pip-private's child mode) against
   `python -m pip`, and with `--guard` (pip's requests imported up front, as every
   command that talks to an index imports them anyway), for `pip --version`.
3. Per answer: the first `get_credential` of a process, which also installs the guard.

The keyring backend's import cost is unchanged (nothing new at module level):
bench/bench_backend.py measures it.

Run: .venv/bin/python -m bench.bench_guard   (BENCH_ROUNDS=N for more rounds)
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.bench_backend import per_call_us

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
BOOTSTRAP = str(Path(__file__).resolve().parent.parent / "pip_hook" / "bootstrap.py")


class _Request:
    """The part of a requests `PreparedRequest` the guard reads."""

    def __init__(self, url: str, authorization: str | None) -> None:
        self.url = url
        self.headers: dict[str, str] = {} if authorization is None else {
            "Authorization": authorization}
        self._authorization = authorization

    def reset(self) -> None:
        if self._authorization is not None:
            self.headers["Authorization"] = self._authorization


def bench_per_request() -> list[tuple[str, float]]:
    import logging

    from keyring_backend import guard
    from keyring_backend.rules import Layer, make_rule

    logging.getLogger("private_packages").setLevel(logging.ERROR)  # time the check only

    class Adapter:
        def send(self, request: Any) -> None:
            pass

    class Guarded(Adapter):
        pass

    guard.install(Guarded)
    plain, guarded = Adapter(), Guarded()
    token = "glpat-0123456789abcdefghij"
    ours = "Basic " + base64.b64encode(f"gitlab-ci-token:{token}".encode()).decode()
    theirs = "Basic " + base64.b64encode(b"someone:their-own-password").decode()
    inside = "https://gitlab.example.com/api/v4/projects/29/packages/pypi/files/0f/a-1.0.whl"
    outside = "http://gitlab.example.com/api/v4/projects/29/packages/pypi/files/0f/a-1.0.whl"
    base = per_call_us(lambda: plain.send(_Request(inside, ours)))
    rows = [("original send (baseline)", base)]
    guard.forget_all()
    rows.append(("nothing resolved in this process",
                 per_call_us(lambda: guarded.send(_Request(inside, ours))) - base))
    guard.remember("gitlab-ci-token", token,
                   make_rule("https://gitlab.example.com/api/v4", "gitlab-ci-token",
                             "${CI_JOB_TOKEN}", Layer.ENV, "env"), secret_username=False)
    rows.append(("a header that is not ours",
                 per_call_us(lambda: guarded.send(_Request(inside, theirs))) - base))
    rows.append(("our credential, inside its rule",
                 per_call_us(lambda: guarded.send(_Request(inside, ours))) - base))
    request = _Request(outside, ours)

    def strip() -> None:
        request.reset()
        guarded.send(request)

    rows.append(("our credential, outside (removed)", per_call_us(strip) - base))
    guard.forget_all()
    return rows


def _start_ms(argv: list[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench_per_process(rounds: int = ROUNDS) -> list[tuple[str, float, float]]:
    """Alternated so machine noise hits every variant alike."""
    variants = {"python -m pip --version": [sys.executable, "-m", "pip", "--version"],
                "bootstrap.py --version": [sys.executable, BOOTSTRAP, "--version"],
                "bootstrap.py --guard --version": [sys.executable, BOOTSTRAP, "--guard",
                                                   "--version"]}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, argv in variants.items():
            samples[name] += _start_ms(argv, 1)
    return [(name, statistics.median(s), min(s)) for name, s in samples.items()]


def bench_first_answer(rounds: int = ROUNDS) -> tuple[float, float]:
    """ms of `import pip._vendor.requests; get_credential(...)` in a fresh interpreter,
    minus the same without the answer (no rule): what answering and guarding adds."""
    code = ("import time, pip._vendor.requests.adapters, keyring_backend.backend as b;"
            "k=b.PrivatePackagesKeyring(); t=time.perf_counter();"
            "k.get_credential('https://gitlab.example.com/api/v4/groups/12/simple/', None);"
            "print((time.perf_counter()-t)*1000)")
    env = {**os.environ, "PRIVATE_PACKAGES_G_URL": "https://gitlab.example.com/api/v4",
           "PRIVATE_PACKAGES_G_PASSWORD": "${G_TOKEN}", "G_TOKEN": "bench-token",
           "PRIVATE_PACKAGES_CONFIG": os.devnull}
    samples = []
    for _ in range(rounds):
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=True, cwd="/")
        samples.append(float(done.stdout))
    return statistics.median(samples), min(samples)


def main() -> None:
    print("#### guard, per request (median of 15 rounds x 2000 calls; us over the original)")
    print("| request | cost |")
    print("|---|---|")
    for name, cost in bench_per_request():
        print(f"| {name} | {cost:.2f} us |")
    print()
    print(f"#### child pip start ({ROUNDS} fresh interpreters each, alternated; ms)")
    print("| command | median | min |")
    print("|---|---|---|")
    for name, median, low in bench_per_process():
        print(f"| `{name}` | {median:.1f} | {low:.1f} |")
    print()
    median, low = bench_first_answer()
    print("#### the first answer of a process (resolve, remember, install the guard; ms)")
    print(f"| measure | median | min |\n|---|---|---|\n| first `get_credential` | "
          f"{median:.2f} | {low:.2f} |")


if __name__ == "__main__":
    main()
