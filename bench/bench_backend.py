"""Keyring backend benchmarks, printed as a table (issue: foundation, "Performance").

1. `get_credential` for a matching URL with an env secret, and for a URL no rule matches,
   side by side with keyrings.envvars (a peer backend from PyPI) in the same run.
2. What importing our backend adds to `import keyring; keyring.get_keyring()`: fresh
   interpreters in two throwaway venvs, one with keyring alone and one with keyring and
   this project, alternated so machine noise hits both alike.
3. Trust (bench_trust.py): what the trust check adds to a warm lookup and to a process.
4. Vault: N references to one secret cost one HTTP read per process (requests counted by
   a proxy in front of a real OpenBao dev server).

Run: .venv/bin/python -m bench.bench_backend   (or via ./dev bench)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def per_call_us(fn: Callable[[], object], calls: int = 2000, rounds: int = 15) -> float:
    """Median over `rounds` of the mean time of one call, in microseconds."""
    for _ in range(200):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def bench_get_credential() -> list[tuple[str, float, float]]:
    from keyrings.envvars.keyring import EnvvarsKeyring

    from keyring_backend.backend import PrivatePackagesKeyring
    from keyring_backend.store import CredentialStore

    url = "https://gitlab.example.com/api/v4/groups/12/-/packages/pypi/simple/"
    other = "https://pypi.org/simple/"
    env = {
        "PRIVATE_PACKAGES_GITLAB_URL": "https://gitlab.example.com/api/v4/groups/12",
        "PRIVATE_PACKAGES_GITLAB_USERNAME": "gitlab-ci-token",
        "PRIVATE_PACKAGES_GITLAB_PASSWORD": "${CI_JOB_TOKEN}",
        "CI_JOB_TOKEN": "bench-token",
    }
    ours = PrivatePackagesKeyring()
    with tempfile.TemporaryDirectory() as empty:  # no pyproject.toml, no user file
        ours._store = CredentialStore(env={**env, "HOME": empty}, cwd=Path(empty))
        ours._store.config  # noqa: B018 -- load rules before timing (warm)
        assert ours.get_credential(url, None) is not None
        assert ours.get_credential(other, None) is None
        hit = per_call_us(lambda: ours.get_credential(url, None))
        miss = per_call_us(lambda: ours.get_credential(other, None))

    peer_env = {"KEYRING_SERVICE_NAME_1": url, "KEYRING_SERVICE_USERNAME_1": "gitlab-ci-token",
                "KEYRING_SERVICE_PASSWORD_1": "bench-token"}
    saved = dict(os.environ)
    os.environ.update(peer_env)
    try:
        peer = EnvvarsKeyring()
        assert peer.get_credential(url, None) is not None
        peer_hit = per_call_us(lambda: peer.get_credential(url, None))
        peer_miss = per_call_us(lambda: peer.get_credential(other, None))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return [("get_credential, matching URL (env secret)", hit, peer_hit),
            ("get_credential, no rule matches", miss, peer_miss)]


def _venv(path: Path, *packages: str) -> Path:
    uv = str(BIN / "uv")
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(path)], check=True)
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(path / "bin/python"),
                    *packages], check=True)
    return path / "bin/python"


_PHASE = ("import time; t = time.perf_counter(); import keyring; keyring.get_keyring(); "
          "print((time.perf_counter() - t) * 1000)")
_OWN = ("import time, keyring.backend, keyring.credentials; t = time.perf_counter(); "
        "import keyring_backend.backend; print((time.perf_counter() - t) * 1000)")


def bench_import(runs: int = 40) -> dict[str, float]:
    """`import keyring; keyring.get_keyring()` timed inside fresh interpreters (startup
    excluded) in a venv without and one with our backend, alternated; plus the cost of
    importing our module once keyring is loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        bare = _venv(Path(tmp, "bare"), "keyring")
        ours = _venv(Path(tmp, "ours"), "keyring", str(PROJECT))
        env = {"PATH": os.environ["PATH"], "HOME": tmp}
        samples: dict[str, list[float]] = {"bare": [], "ours": [], "own": []}
        for _ in range(runs):
            for key, python, code in (("bare", bare, _PHASE), ("ours", ours, _PHASE),
                                      ("own", ours, _OWN)):
                out = subprocess.run([python, "-c", code], env=env, check=True,
                                     capture_output=True, text=True).stdout
                samples[key].append(float(out))
    result = {f"{k}_median": statistics.median(v) for k, v in samples.items()}
    result.update({f"{k}_min": min(v) for k, v in samples.items()})
    return result


def main() -> None:
    rows = bench_get_credential()
    print("## keyring backend (median of 15 rounds x 2000 calls, warm)")
    print(f"| {'operation':44} | {'private-packages':>16} | {'keyrings.envvars':>16} | target |")
    print(f"|{'-' * 46}|{'-' * 18}|{'-' * 18}|--------|")
    targets = ["< 50 us", "< 10 us"]
    for (label, ours, peer), target in zip(rows, targets):
        print(f"| {label:44} | {ours:13.2f} us | {peer:13.2f} us | {target:6} |")
    t = bench_import()
    print("\n## import cost (40 fresh interpreters each, alternated; ms)")
    print("| measure | median | min | target |\n|---|---|---|---|")
    print(f"| `import keyring; keyring.get_keyring()`, keyring alone | {t['bare_median']:.1f} | "
          f"{t['bare_min']:.1f} | |")
    print(f"| the same with private-packages installed | {t['ours_median']:.1f} | "
          f"{t['ours_min']:.1f} | |")
    print(f"| added | {t['ours_median'] - t['bare_median']:+.1f} | "
          f"{t['ours_min'] - t['bare_min']:+.1f} | < 5 ms |")
    print(f"| `import keyring_backend.backend` after keyring | {t['own_median']:.2f} | "
          f"{t['own_min']:.2f} | < 5 ms |")
    from bench.bench_trust import main as trust_main

    print()
    trust_main()
    try:
        from bench.bench_vault import main as vault_main
    except ImportError:
        return
    print()
    vault_main()


if __name__ == "__main__":
    main()
