"""`pip-private scan [PATH...]`: find credentials hard-coded into the files pip, poetry, uv,
twine and Docker read, and propose the secret-free form of each.

Tokens pasted into requirements files, source URLs, lock files, `.pypirc`, `.netrc` or
Dockerfiles leak into git history, logs and images (DESIGN.md "What it is for"). This
command finds them, the way a linter finds mistakes: one block per finding,
`path:line:col: kind: message` and an indented `fix:` with the line to write instead and
the `[[tool.private-packages.credentials]]` rule that supplies the secret from then on. It
exits 0 when clean, 1 when something was found and 2 for a usage error, so it runs as a
pre-commit hook (`.pre-commit-hooks.yaml`) or a CI step.

No output ever holds a secret, not even in part: every reader hands its secrets over with
its finding, and they are masked out of the message and the proposal once more here, so a
line that holds a second secret cannot leak it through the first one's proposal.

The package: `command` (the CLI: `main`), `targets` (which files, as what: names,
directories, `-r`/`-c` includes), `findings` (a file's findings, masked), `rules` (what
counts as a credential), `formats` (where each file kind keeps its URLs),
`keys` (keyed passwords: `.pypirc`, `.netrc`, Dockerfile `ARG`/`ENV`, literal rule
passwords), `proposals` (the secret-free form of each finding) and `uv_notes` (advice on
uv indexes plain uv asks no keyring for).
"""

from __future__ import annotations

from .command import main

__all__ = ["main"]
