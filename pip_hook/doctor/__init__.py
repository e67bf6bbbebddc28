"""`pip-private doctor`: check everything a `pip-private` run would need, print no value.

A failing install says little ("401", "no matching distribution"); doctor walks the same
inputs and names the broken link: a configuration error, a requirements file or include
that cannot be read (or a cycle), each `${...}` reference (file:line, provider, found or
why not), each credential rule (username and password found, which providers answer), and
each index the files, arguments or `PIP_INDEX_URL` / `PIP_EXTRA_INDEX_URL` name, probed with
the credential pip would send (`keyring_backend.probe`). It reports every problem, not the
first, and exits 3 when an index refused access (a credential rejected, or none sent where
one is needed), else 2 when anything is missing or broken, else 0 (report.py prints
and masks the result).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional, TextIO

from keyring_backend.errors import ConfigError
from keyring_backend.records import field, record

USAGE = """\
usage: pip-private doctor [--no-probe] [--timeout SECONDS] [-r FILE]... [-c FILE]...
                          [-i URL] [--extra-index-url URL] [REQUIREMENT]...
"""


@record
class Options:
    args: list[str] = field(default_factory=list)  # pip-style: -r/-c/-i and requirements
    probe: bool = True
    timeout: float = 10.0


def parse_options(args: Sequence[str]) -> Optional[Options]:
    """Doctor's own options; everything else is read as pip reads `install`. None = help."""
    options = Options()
    words = list(args)
    while words:
        word = words.pop(0)
        if word in ("-h", "--help"):
            return None
        if word == "--no-probe":
            options.probe = False
        elif word == "--timeout" or word.startswith("--timeout="):
            value = word.partition("=")[2] if "=" in word else (words.pop(0) if words else "")
            try:
                options.timeout = float(value)
            except ValueError:
                raise ConfigError("doctor: --timeout needs a number of seconds") from None
        else:
            options.args.append(word)
    return options


def main(args: Sequence[str], out: TextIO, env: Optional[Mapping[str, str]] = None,
         cwd: Optional[Path] = None) -> int:
    options = parse_options(args)
    if options is None:
        out.write(USAGE)
        return 0
    from .checks import Doctor

    doctor = Doctor(os.environ if env is None else env, cwd or Path.cwd())
    doctor.run(options)
    doctor.report.write(out)
    return doctor.report.exit_code
