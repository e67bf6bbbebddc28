"""Whether a file in some directory (a requirements file) may use references that read
your secrets: `${file:}`, `${vault:}`, `${keyring:}` (DESIGN.md "Trust").

`${NAME}` environment references always render: pip expands those in requirements files
itself, so allowing them is parity, not a new risk. The others are allowed when the
environment trusts every project (CI, `PRIVATE_PACKAGES_TRUST=1`) or when the file lies
inside a directory the user approved (`pip-private trust DIR`) whose approval still holds:
the directory's project content (if it has a pyproject.toml) still has the approved digest.
A requirements-only checkout can be approved too; its digest is that of no content.

Nothing is read until a file actually holds such a reference.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

from ..trust import Approval, TrustStateError, global_trust, read_state, state_path
from .content import ProjectContent
from .reading import find_project_file, unsafe

#: Reference kinds that read the user's secrets beyond the environment.
GATED_KINDS = frozenset({"file", "vault", "keyring"})


class LocationTrust:
    """Answers `problem(path)` for the files of one run, reading the state file once."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self._global = global_trust(env) is not None
        self._approvals: Optional[dict[str, Approval]] = None
        self._state_problem = ""
        self._folders: dict[Path, bool] = {}

    def refusal(self, path: Path, text: str) -> Optional[str]:
        """`problem(path)` when `text` holds a gated reference; None (nothing read) when it
        holds none, or a malformed one (the renderer reports that with its place)."""
        from ..errors import PrivatePackagesError
        from ..references import parse_template

        try:
            references = parse_template(text).references
        except PrivatePackagesError:
            return None
        if not any(ref.kind in GATED_KINDS for ref in references):
            return None
        return self.problem(path)

    def problem(self, path: Path) -> Optional[str]:
        """None when a file at `path` may use every reference; else why not, and how to
        trust it (one sentence for the end of an error message)."""
        if self._global:
            return None
        directory = Path(os.path.abspath(path)).parent.resolve()
        if any(self._approved(folder) for folder in (directory, *directory.parents)):
            return None
        from . import trust_hint

        project = find_project_file(directory)
        suggested = project.parent if project is not None else directory
        return (f"{directory} is not a trusted directory{self._state_problem}, so its files "
                f"may only use ${{NAME}} environment references. {trust_hint(suggested)}")

    def _approved(self, folder: Path) -> bool:
        if folder not in self._folders:
            self._folders[folder] = self._check(folder)
        return self._folders[folder]

    def _check(self, folder: Path) -> bool:
        if self._approvals is None:
            try:
                self._approvals = read_state(state_path(self.env))
            except TrustStateError as exc:
                self._approvals = {}
                self._state_problem = f" ({exc})"
        approval = self._approvals.get(str(folder))
        if approval is None:
            return False
        candidate = folder / "pyproject.toml"
        try:
            info = os.stat(candidate)
        except OSError:
            return approval.digest == ProjectContent(folder).digest()
        if not stat.S_ISREG(info.st_mode) or unsafe(candidate, info, any_owner=False):
            return False
        from . import load_project

        config = load_project(self.env, candidate)
        if config.trust is None:  # a pyproject.toml without project content
            return approval.digest == ProjectContent(folder).digest()
        return config.trust.trusted
