"""Masker throughput on pip-like output, printed as a table (DESIGN.md "pip-private").

Every byte pip prints goes through `Masker.feed`, so it must not slow an install down.
The text is a synthetic `pip install` log: "Collecting"/"Downloading" lines, rich progress
bars redrawn with `\\r` and ANSI colours, and one line in 200 carrying a needle (so the
masking path runs too, not only the search). Needles are 40-byte random tokens, like a
CI job token or its base64 form. Chunk sizes: 1 KiB (a pty read, a line or two of pip)
and 64 KiB (a full pipe).

Run: .venv/bin/python -m bench.bench_masking
"""

from __future__ import annotations

import random
import statistics
import string
import time

from pip_hook.masking import MASK, Masker

SIZE = 4 * 1024 * 1024
TARGET_MB_S = 50.0  # for 10 needles


def tokens(count: int, rng: random.Random) -> list[bytes]:
    alphabet = string.ascii_letters + string.digits + "-_"
    return ["".join(rng.choices(alphabet, k=40)).encode() for _ in range(count)]


def pip_log(needles: list[bytes], rng: random.Random) -> bytes:
    """About SIZE bytes of pip-like output with a needle in one line in 200."""
    lines: list[bytes] = []
    total = 0
    while total < SIZE:
        n = len(lines)
        name = f"acme-lib-{n % 97}"
        if needles and n % 200 == 0:
            secret = rng.choice(needles).decode()
            line = f"  Looking in indexes: https://deploy:{secret}@gitlab.example.com/simple/\n"
        elif n % 3 == 0:
            line = f"Collecting {name}==1.{n % 10}.0 (from -r requirements.txt (line {n}))\n"
        elif n % 3 == 1:
            line = (f"  Downloading https://files.example.com/packages/{n:x}/{name}-1.0.0-"
                    f"py3-none-any.whl ({n % 900} kB)\n")
        else:
            line = "".join(
                f"\r   \x1b[38;5;197m{'━' * step}\x1b[0m\x1b[38;5;237m{'━' * (40 - step)}"
                f"\x1b[0m \x1b[32m{step / 10:.1f}/4.0 MB\x1b[0m \x1b[31m9.8 MB/s\x1b[0m"
                for step in range(0, 41, 8)) + "\n"
        data = line.encode()
        lines.append(data)
        total += len(data)
    return b"".join(lines)


def mb_per_s(needles: list[bytes], text: bytes, chunk: int, rounds: int = 5) -> float:
    """Median over `rounds` of feeding `text` in `chunk`-byte pieces, then flushing."""
    chunks = [text[i:i + chunk] for i in range(0, len(text), chunk)]
    samples = []
    for _ in range(rounds):
        masker = Masker(needles)
        start = time.perf_counter()
        out = [masker.feed(piece) for piece in chunks]
        out.append(masker.flush())
        samples.append(len(text) / (time.perf_counter() - start) / 1e6)
        masked = b"".join(out)
        for needle in needles:
            assert needle not in masked
        assert (MASK in masked) == bool(needles)
    return statistics.median(samples)


def main() -> None:
    rng = random.Random(2024)  # noqa: S311 -- reproducible sample text, not secrets
    print(f"## Masker.feed on pip-like output ({SIZE // 1024 // 1024} MiB, median of 5; MB/s)")
    print("| needles | 1 KiB chunks | 64 KiB chunks | target |")
    print("|---:|---:|---:|---|")
    for count in (0, 1, 10, 100):
        needles = tokens(count, rng)
        text = pip_log(needles, rng)
        small, large = mb_per_s(needles, text, 1024), mb_per_s(needles, text, 65536)
        target = f"> {TARGET_MB_S:.0f}" if count == 10 else ""
        print(f"| {count} | {small:.0f} | {large:.0f} | {target} |")


if __name__ == "__main__":
    main()
