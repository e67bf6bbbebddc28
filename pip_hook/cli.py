"""`pip-private`: the console script. Parses its own options, dispatches its verbs
(`render`, `doctor`, `scan`, `pin`, `preset`, `trust`) and hands every other command to
pip (run.py).

Our own failures print one line, `pip-private: error: ...`, and exit 2 (a usage or
configuration error) or 3 (a server rejected a credential); pip's exit code is passed
through unchanged (DESIGN.md "Exit codes").
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Callable, NoReturn, Optional, TextIO

from keyring_backend.errors import EXIT_CONFIG, PrivatePackagesError

USAGE = """\
usage: pip-private [--python PATH] [--keep-env] <pip command> [pip args...]
       pip-private render [-r FILE]... [-c FILE]... [REQUIREMENT]...
       pip-private doctor [--no-probe] [-r FILE]... [-c FILE]... [REQUIREMENT]...
       pip-private scan [PATH]...
       pip-private pin -r FILE [-r FILE]... [--check] [--update]
       pip-private preset NAME [--OPTION VALUE]... [--format text|toml|env]
       pip-private trust [DIR] [--yes] | --list | --revoke [DIR]

Runs pip with every requirements file rendered first: ${NAME}, ${NAME#field}, ${NAME[N]},
${NAME:-fallback}, ${file:PATH}, ${vault:PATH#FIELD}, ${keyring:SERVICE#USER} (and
${cmd:NAME} on the command line) are resolved; values never reach pip's argv, a file on
disk or pip's output (masked as ****).

options (before the pip command):
  --python PATH   run pip in the interpreter PATH (e.g. .venv/bin/python)
  --keep-env      keep variables consumed as secrets in pip's environment
  --version       print pip-private's version
  -h, --help      this text

verbs:
  render   print every file pip will read (rendered or unchanged), secrets masked
  doctor   check every reference and rule, and probe each index with its credential
  scan     find hard-coded credentials in requirements files (and their includes),
           pyproject.toml, uv.toml, lock files, pip.conf, .pypirc and .netrc;
           exit 1 when found
  pin      resolve git+...@branch-or-tag requirements to commit SHAs (--check: exit 1
           when any git requirement is not pinned, changing nothing)
  preset   print a registry's index URL and credential rule (pip-private preset --help)
  trust    approve a project: its pyproject.toml rules and vault settings, and the
           ${file:}/${vault:}/${keyring:} references of its requirements files, apply
           only in a trusted project (or in CI, or with PRIVATE_PACKAGES_TRUST=1)
"""


def main(argv: Optional[Sequence[str]] = None) -> int:
    return console(_dispatch, argv, "pip-private")


def console(dispatch: Callable[[list[str]], int], argv: Optional[Sequence[str]],
            program: str) -> int:
    """Run a console script's `dispatch`: our own errors as one line and their exit code,
    Ctrl-C as 130, a reader that left the pipe (`| head`) as success. `argv` None means
    the real console script (sys.argv, and a fast exit)."""
    if argv is None:  # the real process: it is about to hold secrets
        from keyring_backend.core_dumps import keep_out_of_core_dumps

        keep_out_of_core_dumps()
        open_standard_fds()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = dispatch(args)
    except PrivatePackagesError as exc:
        code = error(str(exc), exc.exit_code, program=program)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # `pip-private render | head`: the reader left, not an error
        silence_stdout()
        code = 0
    if argv is None:
        exit_now(code)
    return code


def open_standard_fds() -> None:
    """`pip-private ... >&-`: give a closed fd 0, 1 or 2 /dev/null, as the shell's user
    meant, before anything opens a file. Otherwise the next file (a rendered memfd, a
    relay pipe) takes the number, and pip reads or writes the wrong thing."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    for name, fd in (("stdout", 1), ("stderr", 2)):
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "w", closefd=False))  # noqa: SIM115 -- lives on


def exit_now(code: int) -> NoReturn:
    """End the console script: skip the interpreter's teardown (~8 ms of GC, more after an
    in-process pip), but not the exit handlers pip's libraries register (certifi removes a
    CA bundle it extracted)."""
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        silence_stdout()
    os._exit(code)


def silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def error(message: str, code: int = EXIT_CONFIG, stream: Optional[TextIO] = None, *,
          program: str = "pip-private") -> int:
    from keyring_backend.printable import printable

    # One line, whatever the project wrote into what it quotes (paths, keys, references).
    print(f"{program}: error: {printable(message)}", file=stream or sys.stderr)
    return code


def _dispatch(args: list[str]) -> int:
    from .run import Options, run_pip

    options = Options(python=sys.executable)
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-h", "--help", "--version"):
            return _about(flag)
        if flag == "--keep-env":
            options.keep_env = True
        elif flag == "--python" or flag.startswith("--python="):
            value = flag.partition("=")[2] if "=" in flag else (args.pop(0) if args else "")
            if not value:
                return error("--python needs a path to a Python interpreter")
            options.python = value
        else:  # a pip general option: it and everything after it belong to pip
            args.insert(0, flag)
            break
    if not args:
        print(USAGE, end="", file=sys.stderr)
        return EXIT_CONFIG
    verb = VERBS.get(args[0])
    return verb(args[1:]) if verb else run_pip(options, args)


def _about(flag: str) -> int:
    if flag == "--version":
        from importlib.metadata import version

        print(f"pip-private {version('private-packages')}")
    else:
        print(USAGE, end="")
    return 0


def _scan(args: Sequence[str]) -> int:
    from .scan import main as scan_main

    return int(scan_main(args, sys.stdout, sys.stderr))


def _pin(args: Sequence[str]) -> int:
    from .pin import main as pin_main

    return pin_main(args, sys.stdout, sys.stderr)


def _preset(args: Sequence[str]) -> int:
    from .preset import main as preset_main

    return preset_main(args, sys.stdout, sys.stderr)


def _trust(args: Sequence[str]) -> int:
    from .trust import main as trust_main

    return trust_main(args, sys.stdout, sys.stderr, sys.stdin)


def _doctor(args: Sequence[str]) -> int:
    from .doctor import main as doctor_main

    return int(doctor_main(args, sys.stdout))


def render_command(args: Sequence[str], out: Optional[TextIO] = None) -> int:
    """`pip-private render`: every file pip will read, secrets masked (render_view.py)."""
    from .render_view import render_command as view

    return view(args, out)


VERBS: dict[str, Callable[[Sequence[str]], int]] = {
    "render": render_command,
    "doctor": _doctor,
    "scan": _scan,
    "pin": _pin,
    "preset": _preset,
    "trust": _trust,
}

if __name__ == "__main__":
    sys.exit(main())
