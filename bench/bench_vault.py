"""Vault: what N references to one secret cost, in HTTP requests and time, against a real
OpenBao dev server behind a counting proxy (fresh provider cache for each N); and how long
a reference waits for a server that drips one byte a second, for a few `timeout`s."""

from __future__ import annotations

import time
from contextlib import suppress

from keyring_backend.errors import ProviderUnavailable
from keyring_backend.providers import ResolveContext, render_template
from keyring_backend.providers.vault import reset_cache
from keyring_backend.references import parse_template
from keyring_backend.settings import Settings, VaultSettings
from support.drip_server import DripServer
from support.openbao import CountingProxy, OpenBaoServer

DATA = "/v1/secret/data/ci/pypi"


def main() -> None:
    print("## Vault: N references to one secret, one process (fresh cache per row)")
    print("| N references | secret reads | all requests | time |\n|---|---|---|---|")
    with OpenBaoServer() as bao:
        bao.put_v2("ci/pypi", {"token": "bench-token", "user": "bench"})
        for n in (1, 10, 100, 1000):
            reset_cache()
            with CountingProxy(bao.addr) as proxy:
                forms = ("${vault:secret/ci/pypi#token}", "${vault:secret/data/ci/pypi#user}")
                text = " ".join(forms[i % 2] for i in range(n))
                ctx = ResolveContext(env={"VAULT_TOKEN": bao.root_token}, where="bench",
                                     settings=Settings(vault=VaultSettings(addr=proxy.addr)))
                start = time.perf_counter()
                render_template(parse_template(text), ctx)
                elapsed = (time.perf_counter() - start) * 1000
                print(f"| {n} | {proxy.count('GET', DATA)} | {len(proxy.requests)} | "
                      f"{elapsed:.1f} ms |")
    deadline()


def deadline() -> None:
    print("\n## Vault deadline: a server that drips one byte a second (login and read)")
    print("| timeout | time to the error |\n|---|---|")
    for timeout in (1.0, 2.0, 5.0):
        reset_cache()
        with DripServer(interval=1.0, duration=120) as drip:
            ctx = ResolveContext(env={"VAULT_TOKEN": "bench"}, where="bench",
                                 settings=Settings(vault=VaultSettings(addr=drip.url,
                                                                       timeout=timeout)))
            start = time.perf_counter()
            with suppress(ProviderUnavailable):  # the point: how soon it comes
                render_template(parse_template("${vault:secret/ci/pypi#token}"), ctx)
            print(f"| {timeout:g} s | {time.perf_counter() - start:.3f} s |")


if __name__ == "__main__":
    main()
