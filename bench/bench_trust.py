"""What trust costs (issue #11, "Performance"): targets < 1 ms on a warm keyring lookup and
< 5 ms on a process.

1. Warm lookups (in-process, median of rounds): the same rule as an env rule (no trust
   involved), as an approved project rule, and a lookup an untrusted project's withheld
   rule would have answered (the path that decides to warn).
2. A process: loading the configuration in a fresh interpreter -- imports, pyproject.toml,
   and for project content the state file, `json` and `hashlib` and the digest -- for a
   project without content, and for one with an approved rule; alternated, medians.

Run: .venv/bin/python -m bench.bench_trust   (bench_backend prints it too)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_backend import per_call_us

URL = "https://gitlab.example.com/api/v4/groups/12/-/packages/pypi"
RULE = f"""
[[tool.private-packages.credentials]]
url = "{URL}"
username = "gitlab-ci-token"
password = "${{CI_JOB_TOKEN}}"
"""
# The store is imported before the clock starts (both cases pay that alike); timed: finding
# and reading pyproject.toml and the user file, the rules, and for content the trust check.
_LOAD = ("import time, sys; from pathlib import Path; "
         "from keyring_backend.store import CredentialStore; t = time.perf_counter(); "
         "CredentialStore(cwd=Path(sys.argv[1])).config; "
         "print((time.perf_counter() - t) * 1000)")


def _projects(root: Path) -> tuple[Path, Path, dict[str, str]]:
    """(a project without content, an approved project with one rule, the environment)."""
    from keyring_backend.approval import TrustOptions, run_trust

    plain, ruled = root / "plain", root / "ruled"
    for folder, extra in ((plain, ""), (ruled, RULE)):
        folder.mkdir()
        (folder / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "1"\n{extra}')
    env = {"HOME": str(root), "CI_JOB_TOKEN": "bench-token", "PATH": os.environ["PATH"]}
    sink = open(os.devnull, "w")  # noqa: SIM115 -- closed below
    try:
        run_trust(TrustOptions(ruled, yes=True), sink, sink, sink, env, ruled)  # type: ignore[arg-type]
    finally:
        sink.close()
    return plain, ruled, env


def bench_lookups() -> list[tuple[str, float]]:
    import logging

    from keyring_backend.backend import PrivatePackagesKeyring
    from keyring_backend.store import CredentialStore

    logging.getLogger("private_packages").setLevel(logging.ERROR)  # the untrusted warning

    with tempfile.TemporaryDirectory() as tmp:
        plain, ruled, env = _projects(Path(tmp))
        rows = []
        as_env = {**env, "PRIVATE_PACKAGES_X_URL": URL, "PRIVATE_PACKAGES_X_USERNAME": "u",
                  "PRIVATE_PACKAGES_X_PASSWORD": "${CI_JOB_TOKEN}"}
        for label, store in (("env rule (no trust involved)", CredentialStore(as_env, plain)),
                             ("approved project rule", CredentialStore(env, ruled)),
                             ("untrusted project rule (withheld)",
                              CredentialStore({**env, "HOME": str(plain)}, ruled))):
            backend = PrivatePackagesKeyring()
            backend._store = store
            _ = store.config
            rows.append((label, per_call_us(lambda b=backend: b.get_credential(URL + "/", None))))
        return rows


def bench_process(runs: int = 40) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        plain, ruled, env = _projects(Path(tmp))
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        samples: dict[str, list[float]] = {"plain": [], "ruled": []}
        for _ in range(runs):
            for key, cwd in (("plain", plain), ("ruled", ruled)):
                out = subprocess.run([sys.executable, "-c", _LOAD, str(cwd)], env=env,
                                     check=True, capture_output=True, text=True).stdout
                samples[key].append(float(out))
    result = {key: statistics.median(values) for key, values in samples.items()}
    result.update({f"{key}_min": min(values) for key, values in samples.items()})
    return result


def main() -> None:
    print("## trust (warm get_credential, median of 15 rounds x 2000 calls)")
    print("| lookup | time | target |\n|---|---|---|")
    rows = bench_lookups()
    base = rows[0][1]
    for label, micro in rows:
        extra = "" if micro is base else f" ({micro - base:+.2f} us)"
        print(f"| {label} | {micro:.2f} us{extra} | < 1 ms added |")
    process = bench_process()
    print("\n## trust in a fresh process (load the configuration; 40 runs each, medians)")
    print("| project | median ms | min ms | target |\n|---|---|---|---|")
    print(f"| no project content (the state file is never opened) | {process['plain']:.2f} | "
          f"{process['plain_min']:.2f} | |")
    print(f"| one approved rule (state file, json, sha256 digest) | {process['ruled']:.2f} | "
          f"{process['ruled_min']:.2f} | |")
    print(f"| added | {process['ruled'] - process['plain']:+.2f} | "
          f"{process['ruled_min'] - process['plain_min']:+.2f} | < 5 ms |")


if __name__ == "__main__":
    main()
