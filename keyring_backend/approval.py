"""The `trust` verb (`pip-private trust`, `poetry source trust`, `private-packages trust`):
show what a project would send where, ask, and record the approval (trust.py).

    trust [DIR] [--yes]     approve the project DIR (default: the working directory) is in
    trust --list            every approval, and whether it still holds
    trust --revoke [DIR]    forget an approval

Which directory is approved: DIR's nearest project -- the first of DIR and its parents that
holds a pyproject.toml or a .git -- else DIR itself; with a pyproject.toml, that file's
content (it must be one the rules are read from: yours, in a directory only you may
write), else none: a requirements-only checkout, whose requirements files may then use
every reference. A checkout inside an approved project is not covered: it is approved on
its own. What it
prints are destinations and references, never a value. The question reads one line from
stdin (a terminal or a pipe); `y` or `yes` approves, anything else, or end of input, does
not (exit 1). `--yes` skips the question.

`approve_written` is for commands that write project content themselves (`poetry source
auth`): the user's own edit is consent for it, but never for content already there that
they had not approved. It approves the text the command wrote (not the file read again:
it may have changed since) and says what that sends where.

Everything printed that the project chose (paths, destinations, references, Vault
settings) goes through `printable`: escape sequences or bidi overrides in it could
otherwise redraw the question itself. Content that holds such a character is refused
outright (exit 2): no approval covers what the question may not have shown.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Optional, Protocol

from .config import Config, find_project_file, load_project
from .config.content import ProjectContent
from .config.locations import nearest_project
from .errors import ConfigError
from .printable import printable
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
    config, root = _project(env, directory)
    _refuse_hidden(config)
    for error in config.errors:
        _line(err, f"warning: {error}")
    content = config.content or ProjectContent(root)
    reason = global_trust(env)
    if reason is not None:
        _line(out, f"Note: {reason} already trusts every project in this environment; "
                   "recording the approval anyway.")
    approved = approvals.get(str(content.directory))
    if approved is not None and approved.digest == content.digest():
        _line(out, f"{content.directory} is already trusted (approved on "
                   f"{approved.approved}); nothing changed since.")
        return 0
    _describe(config, content, out)
    if not options.yes and not _confirm(out, stdin):
        err.write("Not trusted; nothing recorded.\n")
        return EXIT_DECLINED
    path = approve(env, content.directory, content.digest())
    _line(out, f"Trusted {content.directory} (recorded in {path}).")
    return 0


def approve_written(env: Mapping[str, str], project_file: Path, before: Optional[Config],
                    written: bytes) -> Optional[str]:
    """After a command wrote `written` to `project_file`: record that content as approved
    when everything else was approved already (`before`: the configuration before the
    write); returns a line for the user (what it approved, sending where), or None when
    there is nothing to say."""
    found = find_project_file(project_file.parent)
    if found is None or found.resolve() != project_file.resolve():
        return None  # not a file the rules are read from (another user's, say)
    after = load_project(env, found, written=written)
    if after.content is None or (after.trust is not None and after.trust.by_environment):
        return None
    directory = printable(str(after.content.directory))
    if after.hidden is not None:
        return (f"{directory} is not trusted, and this does not trust it: "
                f"{printable(after.hidden)}, which no approval covers")
    if before is not None and before.untrusted:
        return (f"{directory} is not trusted, and this does not trust it: run "
                "`poetry source trust` to review everything it sends where")
    try:
        path = approve(env, after.content.directory, after.content.digest())
    except ConfigError as exc:  # the state file is unusable: the write itself succeeded
        return f"could not record your approval: {printable(str(exc))}"
    sends = ", ".join(printable(str(sending)) for sending in after.content.sendings())
    return (f"Recorded your approval of {directory} in {printable(str(path))}: it sends "
            f"{sends}")


def _directory(given: Path, cwd: Path) -> Path:
    directory = (cwd / given).resolve()
    if not directory.is_dir():
        raise ConfigError(f"trust: {given} is not a directory")
    return directory


def _project(env: Mapping[str, str], directory: Path) -> tuple[Config, Path]:
    """The project `trust DIR` is about, and its directory: DIR's nearest project (the
    first of DIR and its parents holding a pyproject.toml or a .git: config/locations.py),
    else DIR itself. Never a project above a `.git` (a clone inside another project is a
    project of its own), and never a pyproject.toml the rules are not read from."""
    root = nearest_project(directory) or directory
    candidate = root / "pyproject.toml"
    if not os.path.lexists(candidate):
        return load_project(env, None), root
    if find_project_file(root, any_owner=global_trust(env) is not None) != candidate:
        raise ConfigError(f"trust: {candidate} belongs to another user or others may write "
                          "it (or its directory), so it is never used; fix that first")
    return load_project(env, candidate), root


def _refuse_hidden(config: Config) -> None:
    if config.hidden is not None:
        raise ConfigError(f"trust: {config.project_file}: {config.hidden}, a character that "
                          "could redraw or hide what this command shows; nothing was "
                          "approved (such text has no place there: remove it first)")


def _describe(config: Config, content: ProjectContent, out: Writer) -> None:
    name = f" ({config.project_file.name})" if config.project_file else ""
    _line(out, f"Project {content.directory}{name}")
    sendings = content.sendings()
    if sendings:
        out.write("It would send, in every pip, poetry, uv and twine run from there:\n")
        inside = f"{content.directory}{os.sep}"
        for sending in sendings:
            _line(out, f"  {sending}    ({sending.origin.replace(inside, '')})")
    else:
        out.write("Nothing in it chooses where your secrets go.\n")
    out.write("Its requirements files could also read ${file:...}, ${vault:...} and "
              "${keyring:...} references.\n")


def _line(out: Writer, text: str) -> None:
    """One line of `text`, which may quote the project: printable, so it stays one line."""
    out.write(printable(text) + "\n")


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
        _line(out, f"{directory}  approved {approval.approved}  "
                   f"{_status(env, Path(directory), approval.digest)}")
    return 0


def _status(env: Mapping[str, str], directory: Path, digest: str) -> str:
    if not directory.is_dir():
        return "(the directory is gone)"
    candidate = directory / "pyproject.toml"
    config = load_project(env, candidate if candidate.is_file() else None)
    current = config.content or ProjectContent(directory)
    if current.directory != directory or current.digest() != digest:
        return "(changed since: not trusted until approved again)"
    if config.hidden is not None:
        return "(not trusted: it holds text that no approval covers)"
    return "(holds)"


def _revoke(env: Mapping[str, str], directory: Path, out: Writer) -> int:
    candidates = dict.fromkeys([nearest_project(directory) or directory, directory])
    removed = [d for d in candidates if revoke(env, d)]
    if removed:
        _line(out, f"Revoked trust in {removed[0]}.")
    else:
        _line(out, f"{directory} was not trusted; nothing to revoke.")
    return 0
