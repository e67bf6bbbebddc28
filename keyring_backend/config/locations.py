"""Whether a file in some directory (a requirements file) may use references beyond what
pip itself expands there (DESIGN.md "Trust").

pip expands `${NAME}` in requirements files, NAME in upper case (`[A-Z0-9_]+`), and sends
everything else as literal text. So `${NAME}` in exactly that form always renders: parity,
not a new risk. Everything else -- `${file:}`, `${vault:}`, `${keyring:}`, and `${name}`,
`${NAME:-x}`, `${NAME#f}`, `${env:NAME}`, which pip would never expand (a lower-case
`${https_proxy}` holds a proxy password) -- only when the environment trusts every project
(CI, `PRIVATE_PACKAGES_TRUST=1`) or the file belongs to a project the user approved
(`pip-private trust DIR`) whose approval still holds.

Which project a file belongs to: its *nearest* one. From the file's directory upward, the
first directory that is approved decides; the first one holding a `pyproject.toml` or a
`.git` (a project of its own: a clone or a submodule inside an approved project) ends the
search unapproved. An approval covers that project only, never a checkout below it. A
requirements-only checkout can be approved too; its digest is that of no content.

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
from .reading import unsafe

#: What makes a directory a project of its own (a `.git` file: a submodule or worktree).
PROJECT_MARKERS = ("pyproject.toml", ".git")


class LocationTrust:
    """Answers `problem(path)` for the files of one run, reading the state file once."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self._global = global_trust(env) is not None
        self._approvals: Optional[dict[str, Approval]] = None
        self._state_problem = ""
        self._folders: dict[Path, bool] = {}

    def refusal(self, path: Path, text: str) -> Optional[str]:
        """`problem(path)` when `text` holds a reference pip would not expand itself; None
        (nothing read) when it holds none, or a malformed one (the renderer reports that
        with its place)."""
        from ..errors import PrivatePackagesError
        from ..references import parse_template

        try:
            references = parse_template(text).references
        except PrivatePackagesError:
            return None
        if all(ref.pip_expands for ref in references):
            return None
        return self.problem(path)

    def problem(self, path: Path) -> Optional[str]:
        """None when a file at `path` may use every reference; else why not, and how to
        trust it (one sentence for the end of an error message)."""
        if self._global:
            return None
        directory = Path(os.path.abspath(path)).parent.resolve()
        project = nearest_project(directory)
        for folder in (directory, *directory.parents):
            if self._approved(folder):
                return None
            if folder == project:  # a project of its own: an approval above is not its
                break
        from . import trust_hint

        return (f"{directory} is not a trusted directory{self._state_problem}, so its files "
                "may only use ${NAME} references as pip itself expands them (NAME in upper "
                "case; no env:, selector or fallback). "
                f"{trust_hint(project or directory)}")

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


def nearest_project(directory: Path) -> Optional[Path]:
    """The first of `directory` and its parents that holds a `pyproject.toml` or a `.git`
    (whatever its owner: it marks a project of its own), or None."""
    for folder in (directory, *directory.parents):
        if any(os.path.lexists(folder / marker) for marker in PROJECT_MARKERS):
            return folder
    return None
