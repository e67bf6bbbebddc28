"""`pip-private scan [PATH...]`: the command line; exit 0 clean, 1 found, 2 usage error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from keyring_backend.errors import EXIT_CONFIG
from keyring_backend.printable import PrintableWriter, Writer

from .findings import scan_files
from .targets import ScanError
from .uv_notes import uv_notes

USAGE = "usage: pip-private scan [PATH...]"


def main(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """`pip-private scan [PATH...]`; `argv` are the arguments after `scan`. What it prints
    quotes the files it read: printable (keyring_backend/printable.py)."""
    return _main(argv, PrintableWriter(out), PrintableWriter(err))


def _main(argv: Sequence[str], out: Writer, err: Writer) -> int:
    paths: list[Path] = []
    options_done = False
    for arg in argv:
        if options_done or not arg.startswith("-") or arg == "-":
            paths.append(Path(arg))
        elif arg == "--":
            options_done = True
        elif arg in ("-h", "--help"):
            out.write(f"{USAGE}\nFind hard-coded credentials; exit 1 when any is found.\n")
            return 0
        else:
            err.write(f"pip-private scan: unknown option {arg}; {USAGE}\n")
            return EXIT_CONFIG
    try:
        findings, read = scan_files(paths or [Path(".")])
    except ScanError as exc:
        err.write(f"pip-private scan: {exc}\n")
        return EXIT_CONFIG
    for finding in findings:
        out.write(finding.render() + "\n\n")
    for note in uv_notes([path for path in read if path.name == "pyproject.toml"]):
        out.write(note + "\n\n")
    if not findings:
        out.write(f"no hard-coded credentials in {len(read)} file(s)\n")
        return 0
    files = len({f.path for f in findings})
    out.write("a secret that was ever committed stays in git history: revoke or rotate it "
              "after the fix\n")
    out.write(f"{len(findings)} hard-coded credential(s) in {files} file(s)\n")
    return 1
