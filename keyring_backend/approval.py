"""The `trust` verb (`pip-private trust`, `poetry source trust`, `private-packages trust`):
show what a project would send where, ask, and record the approval (trust.py).

    trust [DIR] [--yes]     approve the project DIR (default: the working directory) is in
    trust --list            every approval, and whether it still holds
    trust --revoke [DIR]    forget an approval

Which directory is approved: the project `load_config` finds from DIR (the directory of
the first safe pyproject.toml upward), else DIR itself -- a requirements-only checkout,
whose requirements files may then read `${file:}`, `${vault:}` and `${keyring:}`. What it
prints are destinations and references, never a value. The question reads one line from
stdin (a terminal or a pipe); `y` or `yes` approves, anything else, or end of input, does
not (exit 1). `--yes` skips the question.

`approve_written` is for commands that write project content themselves (`poetry source
auth`): the user's own edit is consent for it, but never for content already there that
they had not approved.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Optional, Protocol

from .config import Config, load_config, load_project
from .config.content import ProjectContent
from .errors import ConfigError
from .records import record
from .trust import approve, global_trust, read_state, revoke, state_path


class Writer(Protocol):
    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class Reader(Protocol):
    def readline(self, /) -> str: ...


#: Exit code when the user declines (not an error of ours: they said no).
EXIT_DECLINED = 1
_YES = frozenset({"y", "yes"})


@record
class TrustOptions:
    directory: Optional[Path] = None
    yes: bool = False
    list: bool = False
    revoke: bool = False


def run_trust(options: TrustOptions, out: Writer, err: Writer, stdin: Reader,
              env: Mapping[str, str], cwd: Path) -> int:
    """Carry out one `trust` command; returns its exit code (ConfigError for bad input)."""
    if options.list:
        return _list(env, out)
    directory = _directory(options.directory or cwd, cwd)
    if options.revoke:
        return _revoke(env, directory, out)
    approvals = read_state(state_path(env))  # unusable: one error, before anything else
    config = load_config(env, directory)
    _refuse_unsafe(directory, config)
    for error in config.errors:
        err.write(f"warning: {error}\n")
    content = config.content or ProjectContent(_key(config, directory))
    reason = global_trust(env)
    if reason is not None:
        out.write(f"Note: {reason} already trusts every project in this environment; "
                  "recording the approval anyway.\n")
    approved = approvals.get(str(content.directory))
    if approved is not None and approved.digest == content.digest():
        out.write(f"{content.directory} is already trusted (approved on "
                  f"{approved.approved}); nothing changed since.\n")
        return 0
    _describe(config, content, out)
    if not options.yes and not _confirm(out, stdin):
        err.write("Not trusted; nothing recorded.\n")
        return EXIT_DECLINED
    path = approve(env, content.directory, content.digest())
    out.write(f"Trusted {content.directory} (recorded in {path}).\n")
    return 0


def approve_written(env: Mapping[str, str], project_dir: Path,
                    before: Optional[Config]) -> Optional[str]:
    """After a command wrote project content in `project_dir`: record it as approved when
    everything else was approved already (`before`: the configuration before the write);
    returns a line for the user, or None when there is nothing to say."""
    after = load_config(env, project_dir)
    if after.content is None or (after.trust is not None and after.trust.by_environment):
        return None
    if before is not None and before.untrusted:
        return (f"{after.content.directory} is not trusted, and this does not trust it: run "
                "`poetry source trust` to review everything it sends where")
    try:
        path = approve(env, after.content.directory, after.content.digest())
    except ConfigError as exc:  # the state file is unusable: the write itself succeeded
        return f"could not record your approval: {exc}"
    return f"Recorded your approval of {after.content.directory} in {path}"


def _directory(given: Path, cwd: Path) -> Path:
    directory = (cwd / given).resolve()
    if not directory.is_dir():
        raise ConfigError(f"trust: {given} is not a directory")
    return directory


def _key(config: Config, directory: Path) -> Path:
    return config.project_file.parent.resolve() if config.project_file else directory


def _refuse_unsafe(directory: Path, config: Config) -> None:
    candidate = directory / "pyproject.toml"
    if config.project_file is None and candidate.is_file():
        raise ConfigError(f"trust: {candidate} belongs to another user or others may write "
                          "it (or its directory), so it is never used; fix that first")


def _describe(config: Config, content: ProjectContent, out: Writer) -> None:
    name = f" ({config.project_file.name})" if config.project_file else ""
    out.write(f"Project {content.directory}{name}\n")
    sendings = content.sendings()
    if sendings:
        out.write("It would send, in every pip, poetry, uv and twine run from there:\n")
        inside = f"{content.directory}{os.sep}"
        for sending in sendings:
            out.write(f"  {sending}    ({sending.origin.replace(inside, '')})\n")
    else:
        out.write("Nothing in it chooses where your secrets go.\n")
    out.write("Its requirements files could also read ${file:...}, ${vault:...} and "
              "${keyring:...} references.\n")


def _confirm(out: Writer, stdin: Reader) -> bool:
    out.write("Trust this project? [y/N] ")
    out.flush()
    answer = stdin.readline()
    if not answer.endswith("\n"):
        out.write("\n")
    return answer.strip().lower() in _YES


def _list(env: Mapping[str, str], out: Writer) -> int:
    reason = global_trust(env)
    if reason is not None:
        out.write(f"{reason}: every project is trusted in this environment.\n")
    approvals = read_state(state_path(env))
    if not approvals:
        out.write("No project is trusted by approval.\n")
    for directory, approval in sorted(approvals.items()):
        out.write(f"{directory}  approved {approval.approved}  "
                  f"{_status(env, Path(directory), approval.digest)}\n")
    return 0


def _status(env: Mapping[str, str], directory: Path, digest: str) -> str:
    if not directory.is_dir():
        return "(the directory is gone)"
    candidate = directory / "pyproject.toml"
    config = load_project(env, candidate if candidate.is_file() else None)
    current = config.content or ProjectContent(directory)
    if current.directory != directory or current.digest() != digest:
        return "(changed since: not trusted until approved again)"
    return "(holds)"


def _revoke(env: Mapping[str, str], directory: Path, out: Writer) -> int:
    config = load_config(env, directory)
    candidates = dict.fromkeys([_key(config, directory), directory])
    removed = [d for d in candidates if revoke(env, d)]
    if removed:
        out.write(f"Revoked trust in {removed[0]}.\n")
    else:
        out.write(f"{directory} was not trusted; nothing to revoke.\n")
    return 0
