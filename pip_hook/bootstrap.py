"""How pip-private starts pip in a child process: `PYTHON .../pip_hook/bootstrap.py ARGS`.

Started as a file, not with `-m pip` or `-c`: Python then puts this file's folder first on
sys.path, never the working directory, so a cloned project's own top-level `pip/` or
`keyring/` package is never imported instead of the real one (issue 13, "safe interpreter
start"). That folder is taken off sys.path too, before anything else is imported, so
pip_hook's own modules shadow nothing either.

- `--probe`: print `backend=1` when keyring and private-packages are importable here (pip
  can ask our backend), else `backend=0`; and `keyring=1` or `keyring=0` for keyring alone.
- `--has-feature NAME`: exit 0 when this pip has `--use-feature NAME` (e.g.
  `inprocess-build-deps`: pip installs build dependencies in its own process), else 1.
- `--guard ARGS`: when private-packages is importable here, check every request pip sends
  (keyring_backend/guard.py) before running `pip ARGS`.
- `ARGS`: run pip exactly as `python -m pip ARGS` would -- in a process that leaves no
  core dump and whose memory other processes cannot read (keyring_backend/core_dumps.py:
  `execve` made it dumpable again; it inherited the core limit of 0 already).

It runs on every Python pip-private supports (3.9+) and needs nothing but the standard
library and pip; it must stay importable as a plain script (no relative imports).
"""

import sys

if __name__ == "__main__":
    del sys.path[0]  # this file's folder (see above)


def probe() -> int:
    from importlib.util import find_spec

    keyring = find_spec("keyring") is not None
    backend = keyring and find_spec("keyring_backend") is not None
    print(f"backend={int(backend)}\nkeyring={int(keyring)}")
    return 0


def pip_has_feature(name: str) -> bool:
    try:
        from pip._internal.cli import cmdoptions

        return name in (cmdoptions.use_new_feature().choices or ())
    except Exception:  # noqa: BLE001 -- an old or broken pip simply lacks it
        return False


def guard() -> None:
    try:
        from keyring_backend.guard import install
    except ImportError:
        return  # private-packages is not installed here: pip cannot ask our backend either
    from pip._vendor.requests import adapters

    install(adapters.HTTPAdapter)


def not_dumpable() -> None:
    if sys.platform.startswith("linux"):
        import contextlib
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--probe"]:
        sys.exit(probe())
    if args[:1] == ["--has-feature"] and len(args) == 2:
        sys.exit(0 if pip_has_feature(args[1]) else 1)
    not_dumpable()  # pip is about to hold what pip-private rendered
    if args[:1] == ["--guard"]:
        args.pop(0)
        guard()
    import runpy

    sys.argv[1:] = args
    # As `python -m pip`: pip/__main__.py runs as __main__, and names itself "python -m
    # pip" in its messages (sys.argv[0] becomes that file).
    runpy.run_module("pip", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
