"""The on-disk fallback for rendered files: a private directory that names its owner, and
the sweep that removes the directories of owners that died.

Rendered files go to a directory only when memory files are off (`PIP_PRIVATE_NO_MEMFD=1`,
no memfd on the platform, or pip's own `--python`, whose re-exec closes inherited fds).
pip-private removes it on exit and on SIGINT/SIGTERM/SIGHUP, but nothing runs after a
SIGKILL (a CI runner's hard timeout, the OOM killer): the directory, secrets inside,
stays. So each directory's name records its owner -- `pip-private-PID.START.NS-XXXXXXXX`,
the process id, its start time (clock ticks since boot, from /proc) and its pid
namespace -- and the next run removes every such directory whose owner is gone:

- only directories of this user (`st_uid`), never a symlink, never another user's;
- only when the owner is gone: no process PID, or a process PID that started at another
  time (the pid was reused); a live owner's directory is never touched;
- only from this pid namespace (a container sharing /tmp with its host sees other pids);
- without /proc (macOS, BSD) there is no start time: a live PID counts as the owner, so a
  reused pid only delays the cleanup. Directories from before this naming are left alone.

Where: `$XDG_RUNTIME_DIR` (a per-user tmpfs) when it is set, else the temp directory. An
`$XDG_RUNTIME_DIR` that is set but unusable (missing, not a directory, another user's,
not writable) is an error, not a silent move of secrets to another place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Optional

from keyring_backend.errors import ConfigError

PREFIX = "pip-private-"
_OWNED = re.compile(r"pip-private-(?P<pid>\d+)\.(?P<start>\d+)\.(?P<ns>\d+)-[A-Za-z0-9_]+")


def make_private_dir(env: Mapping[str, str]) -> str:
    """A fresh 0700 directory named after this process; `ConfigError` when impossible."""
    import tempfile  # only the fallback needs it: keep pip-private's start-up short

    base = _runtime_dir(env)
    pid = os.getpid()
    stamp = f"{PREFIX}{pid}.{start_time(pid) or 0}.{pid_namespace() or 0}-"
    try:
        return tempfile.mkdtemp(prefix=stamp, dir=base)  # mode 0700
    except OSError as exc:  # gettempdir's "No usable temporary directory" included
        where = f"$XDG_RUNTIME_DIR ({base})" if base else "the temp directory"
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot create a private directory for rendered requirements "
                          f"files in {where}: {reason}") from None


def _runtime_dir(env: Mapping[str, str]) -> Optional[str]:
    base = env.get("XDG_RUNTIME_DIR")
    if not base:
        return None
    try:
        info = os.stat(base)
    except OSError as exc:
        problem = (exc.strerror or "cannot be read").lower()
    else:
        import stat

        getuid = getattr(os, "geteuid", None)
        if not stat.S_ISDIR(info.st_mode):
            problem = "not a directory"
        elif getuid is not None and info.st_uid != getuid():
            problem = f"it belongs to uid {info.st_uid}, not to you"
        else:
            return base
    raise ConfigError(f"$XDG_RUNTIME_DIR ({base}) cannot hold rendered requirements files: "
                      f"{problem}; fix or unset it (memory files are off here, so they go "
                      "to a private directory)")


def sweep_orphans(env: Mapping[str, str]) -> list[str]:
    """Remove the rendered-file directories whose owner process is gone (module
    docstring); return their paths. Never raises: cleanup must not stop a run."""
    if os.name != "posix":  # no safe way to ask whether a pid lives (os.kill kills)
        return []
    import shutil

    removed = []
    namespace = pid_namespace() or 0
    for path in _candidates(env, namespace):
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _candidates(env: Mapping[str, str], namespace: int) -> Iterator[str]:
    uid = os.geteuid()
    for base in _bases(env):
        try:
            entries = list(os.scandir(base))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.startswith(PREFIX):  # cheap: a busy /tmp has thousands
                continue
            match = _OWNED.fullmatch(entry.name)
            if match is None or int(match["ns"]) != namespace:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            import stat

            if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and \
                    not owner_alive(int(match["pid"]), int(match["start"])):
                yield entry.path


def _bases(env: Mapping[str, str]) -> list[str]:
    """Where directories may have been made: `$XDG_RUNTIME_DIR`, and the temp directory as
    `tempfile.gettempdir` would choose it (without importing tempfile: ~2 ms)."""
    bases = [env["XDG_RUNTIME_DIR"]] if env.get("XDG_RUNTIME_DIR") else []
    # tempfile's own candidates, in its order; only searched here, never written to
    system = ("/tmp", "/var/tmp", "/usr/tmp")  # noqa: S108
    for candidate in (env.get("TMPDIR"), env.get("TEMP"), env.get("TMP"), *system):
        if candidate and os.path.isdir(candidate):
            bases.append(candidate)
            break
    return list(dict.fromkeys(bases))


def owner_alive(pid: int, start: int) -> bool:
    """Whether the process that made a directory still runs (module docstring)."""
    if pid == os.getpid():
        return True
    if os.path.isdir("/proc/self"):
        return start_time(pid) == start if start else start_time(pid) is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it lives, as another user
        return True
    return True


def start_time(pid: int) -> Optional[int]:
    """The start time of process `pid` in clock ticks since boot, or None (no such
    process, or no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces and ')', so count after the last.
    fields = data[data.rfind(b")") + 2:].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def pid_namespace() -> Optional[int]:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
