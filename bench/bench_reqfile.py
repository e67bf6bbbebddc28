"""Rendering one very long requirements line, printed as a table (issue 13: an
80,000-character line took 8.7 s in `_userinfo_of`, and pip's comment regex is quadratic
on a run of spaces too). Each row renders one 80,000-character line of a hostile shape
(`render_line`: comments, userinfo detection, substitution, lifting); the target is
< 50 ms, linear in the length (the 160,000-character column shows the growth).

Run: .venv/bin/python -m bench.bench_reqfile
"""

from __future__ import annotations

import statistics
import time

from keyring_backend.providers import ResolveContext
from pip_hook.reqfile import render_line

TARGET_MS = 50.0
SHAPES = {
    "letters, then a reference": lambda n: "a" * n + "${T}",
    "many URLs with a reference each": lambda n: ("https://u:${T}@h.example/ " * (n // 26)),
    "spaces, then a reference": lambda n: " " * n + "x${T}",
    "scheme-like runs": lambda n: "a1+." * (n // 4) + "://${T}@h",
    "one URL, long userinfo": lambda n: "https://" + "u" * n + ":${T}@h.example/simple",
}


def render_ms(line: str, rounds: int = 5) -> float:
    ctx = ResolveContext(env={"T": "tok-0123456789"}, where="r.txt:1")
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        render_line(line, ctx, lift_urls=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    print("#### one long requirements line, `render_line` (median of 5; ms)")
    print("| shape | 80,000 chars | 160,000 chars | target |")
    print("|---|---|---|---|")
    for name, make in SHAPES.items():
        small, large = render_ms(make(80_000)), render_ms(make(160_000))
        print(f"| {name} | {small:.1f} | {large:.1f} | < {TARGET_MS:.0f} ms |")


if __name__ == "__main__":
    main()
