"""Who decides where a secret goes (DESIGN.md "Trust"): the verdict on a project's content,
and the state file that records the user's approvals.

A project is trusted when:
1. the environment trusts every project: a CI job (`CI` true, or a preset's marker:
   `GITLAB_CI`, `GITHUB_ACTIONS`, `TF_BUILD`, `BITBUCKET_BUILD_NUMBER`; the job runs the
   repository's own code anyway) or `PRIVATE_PACKAGES_TRUST=1` (Docker builds, scripts);
2. the user approved it (`pip-private trust`, `poetry source trust`): the state file holds
   its directory with the digest of what it sends where (config/content.py), and the
   digest still matches. A change of destination or reference makes it untrusted again,
   as with `direnv allow` and `mise trust`.

The state file, `$XDG_STATE_HOME/private-packages/trust.json` (else
`~/.local/state/private-packages/trust.json`), is read only when a project has content to
judge and no global trust applies, and rewritten atomically under a lock (files.py), so
concurrent `trust` runs keep every record. A state file that is corrupt, or that someone
else owns or may write, trusts nothing: one `TrustStateError`, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .errors import ConfigError
from .records import record

if TYPE_CHECKING:
    from .regular_files import Verify

TRUST_VARIABLE = "PRIVATE_PACKAGES_TRUST"
_TRUE = frozenset({"1", "true", "yes"})
# (variable, how it is set in that CI): `True`/`true` for most, any build number for Bitbucket.
CI_MARKERS = (("CI", "true"), ("GITLAB_CI", "true"), ("GITHUB_ACTIONS", "true"),
              ("TF_BUILD", "true"), ("BITBUCKET_BUILD_NUMBER", "set"))
STATE_VERSION = 1
STATE_LIMIT = 4 * 1024 * 1024  # thousands of approvals; more is not a state we wrote


class TrustStateError(ConfigError):
    """The trust state file cannot be used: nothing is trusted until it is fixed."""


@record(frozen=True)
class Approval:
    digest: str
    approved: str  # ISO date and time, UTC


@record(frozen=True)
class Verdict:
    """Whether a project's content may apply, and why (for messages)."""

    trusted: bool
    reason: str  # "CI (GITLAB_CI)", "PRIVATE_PACKAGES_TRUST=1", "approved on ...", ...
    directory: Path
    digest: str
    by_environment: bool = False  # trusted by CI or PRIVATE_PACKAGES_TRUST, not a record


def global_trust(env: Mapping[str, str]) -> Optional[str]:
    """Why the environment trusts every project, or None."""
    if env.get(TRUST_VARIABLE, "").strip().lower() in _TRUE:
        return f"{TRUST_VARIABLE}=1"
    for name, kind in CI_MARKERS:
        value = env.get(name, "").strip()
        if value and (kind == "set" or value.lower() in _TRUE):
            return f"CI ({name})"
    return None


def verdict(env: Mapping[str, str], directory: Path, digest: str) -> Verdict:
    """The verdict on content with `digest` in `directory` (resolved). Raises
    `TrustStateError` when the state file cannot be used (then nothing is trusted)."""
    reason = global_trust(env)
    if reason is not None:
        return Verdict(True, reason, directory, digest, by_environment=True)
    approval = read_state(state_path(env)).get(str(directory))
    if approval is None:
        return Verdict(False, "you have not approved it", directory, digest)
    if approval.digest != digest:
        return Verdict(False, f"what it sends where changed since you approved it on "
                              f"{approval.approved}", directory, digest)
    return Verdict(True, f"approved on {approval.approved}", directory, digest)


def state_path(env: Mapping[str, str]) -> Path:
    """Never relative (user_dirs.py: a relative XDG_STATE_HOME or HOME would put the user's
    approvals in the project's hands); `TrustStateError` when there is no home at all."""
    from .user_dirs import UnknownHome, xdg_home

    try:
        base = xdg_home(env, "XDG_STATE_HOME", ".local/state")
    except UnknownHome as exc:
        raise _state_error(Path("~/.local/state/private-packages/trust.json"),
                           str(exc)) from None
    return base / "private-packages" / "trust.json"


def read_state(path: Path) -> dict[str, Approval]:
    """Approvals by directory; {} when there is no state file yet. Read as a bounded
    regular file (regular_files.py): a FIFO or a device there must not hang every client
    that judges a project; a symlink is refused, not followed."""
    from .regular_files import UnreadableFile, read_regular_file

    try:
        data = read_regular_file(path, STATE_LIMIT, nofollow=True, verify=_owned_by_you(path))
    except UnreadableFile as exc:
        if exc.missing:
            return {}
        raise _state_error(path, f"it {exc.reason}") from None
    return _parse(path, data)


def _owned_by_you(path: Path) -> Verify:
    def verify(fd: int, info: os.stat_result) -> None:
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
            raise _state_error(path, "another user owns it or may write it")

    return verify


def _parse(path: Path, data: bytes) -> dict[str, Approval]:
    import json

    try:
        document: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _state_error(path, "it is not valid JSON") from None
    entries = document.get("projects") if isinstance(document, dict) else None
    if not isinstance(entries, dict) or document.get("version") != STATE_VERSION:
        raise _state_error(path, f"it is not a version-{STATE_VERSION} trust state")
    found = {}
    for directory, entry in entries.items():
        if isinstance(entry, dict) and isinstance(entry.get("digest"), str):
            found[directory] = Approval(entry["digest"], str(entry.get("approved", "?")))
    return found


def _state_error(path: Path, problem: str) -> TrustStateError:
    error = TrustStateError(f"trust state {path}: {problem}; no project is trusted until it "
                            "is fixed or removed")
    # It withholds project content only: a source without a rule is not its concern (the
    # poetry hook must not refuse a command for it), so it names no rule -- an empty entry.
    error.entry = {}
    return error


def approve(env: Mapping[str, str], directory: Path, digest: str) -> Path:
    """Record `directory` with `digest` (replacing an older record); returns the file."""
    from datetime import datetime, timezone

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return _update(env, lambda found: {**found, str(directory): Approval(digest, when)})


def revoke(env: Mapping[str, str], directory: Path) -> bool:
    """Forget `directory`; False when it had no record."""
    removed: list[str] = []

    def change(found: dict[str, Approval]) -> dict[str, Approval]:
        if str(directory) in found:
            removed.append(str(directory))
        return {k: v for k, v in found.items() if k != str(directory)}

    _update(env, change)
    return bool(removed)


def _update(env: Mapping[str, str], change: Any) -> Path:
    import json

    from .files import atomic_write, locked

    path = state_path(env)
    with locked(path):
        updated = change(read_state(path))
        document = {"version": STATE_VERSION, "projects": {
            directory: {"digest": a.digest, "approved": a.approved}
            for directory, a in sorted(updated.items())}}
        atomic_write(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    return path
