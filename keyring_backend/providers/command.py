"""`${cmd:NAME}`: stdout of a command the *user* defined, cached in memory for its ttl.

Commands come only from the user config file (`[commands.NAME]`), and references to them
are honoured only in rules from the user file or the environment: a cloned project must
never run a command on your machine. The command runs without a shell, stdin closed;
its stdout is the secret (trailing newline dropped) and is never written anywhere: the
cache lives in this process's memory only.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from ..errors import CommandFailed

if TYPE_CHECKING:
    from ..references import Reference
    from . import ResolveContext

_cache: dict[tuple[str, tuple[str, ...]], tuple[float, str]] = {}
_lock = threading.Lock()


def reset_cache() -> None:
    with _lock:
        _cache.clear()


def resolve(ref: Reference, ctx: ResolveContext) -> str:
    where = f"{ctx.where}: {ref.display}"
    if not ctx.allow_commands:
        raise CommandFailed(
            f"{where}: commands are only run for rules in your user config file or the "
            "environment and for pip-private's command line, never from a project's files "
            "(pyproject.toml, requirements files): a cloned project must not run commands"
        )
    spec = ctx.settings.commands.get(ref.target)
    if spec is None:
        raise CommandFailed(
            f"{where}: no [commands.{ref.target}] in the user config file "
            "(~/.config/private-packages/config.toml or $PRIVATE_PACKAGES_CONFIG)"
        )
    key = (spec.name, spec.argv)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and (spec.ttl <= 0 or hit[0] > now):
            return hit[1]
        value = _run(spec.argv, spec.timeout, ctx, where)
        _cache[key] = (now + spec.ttl if spec.ttl > 0 else float("inf"), value)
        return value


def _run(argv: tuple[str, ...], timeout: float, ctx: ResolveContext, where: str) -> str:
    import subprocess

    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=dict(ctx.env),
            check=False,
        )
    except FileNotFoundError:
        raise CommandFailed(f"{where}: command not found: {argv[0]}") from None
    except subprocess.TimeoutExpired:
        raise CommandFailed(f"{where}: {argv[0]} did not finish within {timeout:g} s") from None
    except OSError as exc:  # not executable, a directory, bad interpreter line...
        raise CommandFailed(f"{where}: cannot run {argv[0]} ({exc.strerror})") from None
    if proc.returncode != 0:
        # stderr of a failing CLI is shown (it explains expired logins) but only its last
        # line and never stdout, which would be the secret.
        last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise CommandFailed(f"{where}: {argv[0]} exited {proc.returncode}: {last[0][:200]}")
    value = proc.stdout.decode("utf-8", "replace")
    value = value[:-1] if value.endswith("\n") else value
    value = value[:-1] if value.endswith("\r") else value
    if not value:
        raise CommandFailed(f"{where}: {argv[0]} printed nothing")
    return value
