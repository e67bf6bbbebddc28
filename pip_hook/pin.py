"""`pip-private pin -r FILE [-r FILE]... [--check] [--update]`: git refs -> commit SHAs.

Every `git+URL@REF` requirement whose REF is a branch or tag is resolved with `git
ls-remote` (a branch wins over a tag of the same name, as in pip's `resolve_revision`;
annotated tags are peeled to their commit) and rewritten in place as `git+URL@SHA`, with
`# REF` appended as a comment so a human still sees what it was. A pinned file installs the
same code tomorrow, caches well, and rolls back without needing the branch (or a token baked
into an old file). `--update` re-resolves lines pinned that way (the recorded `# REF`);
SHAs are otherwise left alone. A git requirement without `@REF` follows the default branch:
it is reported and left as it is. `--check` changes nothing, needs no network, and exits 1
when any git requirement is not pinned to a full SHA (for CI).

This module reads and rewrites the files; pin_git.py asks git, with credentials from the
rules and never in git's argv (a literal credential in a URL is refused). A file is
rewritten atomically, byte for byte except the refs and their comments, and only once every
ref of every file resolved: an unreachable repository or a rejected token is one line, exit
2 or 3, and no file changes. Included files (`-r other.txt` inside a file) are not followed:
name each file to pin.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, TextIO

from keyring_backend.errors import ConfigError, PrivatePackagesError
from keyring_backend.printable import PrintableWriter, Writer

from .reqfile import COMMENT_RE

USAGE = "usage: pip-private pin -r FILE [-r FILE]... [--check] [--update]\n"
#: Scheme names are case-insensitive, as pip reads them (`Git+Https://`).
_GIT_URL = re.compile(r"git\+(?P<scheme>https?|ssh|git|file)://(?P<rest>[^\s\\]+)",
                      re.IGNORECASE)
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}", re.IGNORECASE)
_RECORDED = re.compile(r"#\s*(?P<ref>[^\s#]+)(?:\s+--\s.*)?\s*$")


@dataclass
class GitRef:
    """One `git+` URL on physical line `index` (0-based) of a file."""

    index: int
    url: str  # the requirement's URL up to the ref: `git+https://host/org/repo.git`
    ref: Optional[str]
    span: tuple[int, int]  # where the ref (or, without one, the URL's end) stands in the line
    last: int  # the last physical line of its logical line, where the comment goes
    recorded: Optional[str] = None  # `# REF` after a SHA this command wrote

    @property
    def pinned(self) -> bool:
        return self.ref is not None and bool(_SHA.fullmatch(self.ref))


@dataclass
class ReqFile:
    path: Path
    lines: list[str]  # physical lines with their line ends
    bom: bytes
    refs: list[GitRef] = field(default_factory=list)

    def where(self, ref: GitRef) -> str:
        return f"{self.path}:{ref.index + 1}"


def main(argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """`argv` are the arguments after `pin`. What it prints quotes requirements files:
    printable (keyring_backend/printable.py)."""
    return _main(argv, PrintableWriter(out), PrintableWriter(err))


def _main(argv: Sequence[str], out: Writer, err: Writer) -> int:
    try:
        parsed = _parse(argv)
        if parsed is None:
            out.write(USAGE)
            return 0
        paths, check, update = parsed
        files = [read(path) for path in paths]
        if check:
            return _check(files, out)
        from .pin_git import Resolver

        resolver = Resolver(Path.cwd())
        report = io.StringIO()  # shown once every file resolved, so no line claims a change
        changes = [(f, resolver.pin(f, update, report, err)) for f in files]
        out.write(report.getvalue())
        for req, count in changes:
            if count:
                write(req)
            out.write(f"{req.path}: pinned {count} git requirement(s)\n" if count
                      else f"{req.path}: nothing to pin\n")
    except PrivatePackagesError as exc:
        err.write(f"pip-private pin: error: {exc}\n")
        return exc.exit_code
    return 0


def _parse(argv: Sequence[str]) -> Optional[tuple[list[Path], bool, bool]]:
    args, paths = list(argv), []
    check = update = False
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            return None
        if arg in ("-r", "--requirement"):
            if not args:
                raise ConfigError(f"{arg} needs a requirements file")
            paths.append(Path(args.pop(0)))
        elif arg.startswith("--requirement="):
            paths.append(Path(arg.partition("=")[2]))
        elif arg.startswith("-r") and len(arg) > 2:
            paths.append(Path(arg[2:]))
        elif arg in ("--check", "--update"):
            check, update = check or arg == "--check", update or arg == "--update"
        else:
            raise ConfigError(f"unexpected argument {arg!r}; {USAGE.strip()}")
    if not paths:
        raise ConfigError(f"name a requirements file with -r FILE; {USAGE.strip()}")
    return paths, check, update


def read(path: Path) -> ReqFile:
    from keyring_backend.regular_files import UnreadableFile, read_project_file

    try:  # regular files only: a FIFO or /dev/zero would hang (regular_files.py)
        data = read_project_file(path)
    except UnreadableFile as exc:
        raise ConfigError(f"requirements file {path} {exc.reason}") from None
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = data[len(bom):].decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: pin rewrites UTF-8 requirements files only") from None
    req = ReqFile(path, text.splitlines(keepends=True), bom)
    req.refs = list(find_refs(req.lines))
    return req


def logical_lines(lines: Sequence[str]) -> Iterator[tuple[int, int]]:
    """(first, last) physical index of each logical line, by pip's `join_lines` rule."""
    start: Optional[int] = None
    for index, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if not text.endswith("\\") or COMMENT_RE.match(text):
            yield (index if start is None else start), index
            start = None
        elif start is None:
            start = index
    if start is not None:
        yield start, len(lines) - 1


def find_refs(lines: Sequence[str]) -> Iterator[GitRef]:
    for first, last in logical_lines(lines):
        found = []
        for index in range(first, last + 1):
            text = lines[index].rstrip("\r\n")
            comment = COMMENT_RE.search(text)
            code = text[:comment.start()] if comment else text
            for match in _GIT_URL.finditer(code):
                found.append(split_ref(index, match, last))
        if len(found) == 1 and found[0].pinned:
            tail = lines[last].rstrip("\r\n")
            comment = COMMENT_RE.search(tail)
            recorded = _RECORDED.match(tail[comment.start():].strip()) if comment else None
            found[0].recorded = recorded["ref"] if recorded else None
        yield from found


def split_ref(index: int, match: re.Match[str], last: int) -> GitRef:
    """pip's rule (`get_url_rev_and_auth`): the ref follows the last `@` of the path."""
    rest_start = match.start("rest")
    body = match["rest"].split("#", 1)[0]
    path_start = body.find("/")
    path_end = min(i for i in (body.find("?"), len(body)) if i >= 0)
    at = body.rfind("@", max(path_start, 0), path_end) if path_start >= 0 else -1
    if at < 0:
        end = rest_start + path_end
        return GitRef(index, match.string[match.start():end], None, (end, end), last)
    start, end = rest_start + at + 1, rest_start + path_end
    return GitRef(index, match.string[match.start():rest_start + at],
                  match.string[start:end], (start, end), last)


def display(url: str) -> str:
    """The URL without its userinfo (split at the last `@` of the authority, as URLs are,
    so a password holding `@` does not show its tail) or fragment, for messages."""
    from keyring_backend.http import redact_url

    return redact_url(url)


def _check(files: Sequence[ReqFile], out: Writer) -> int:
    loose = 0
    for req in files:
        for ref in req.refs:
            if not ref.pinned:
                loose += 1
                what = f"@{ref.ref}" if ref.ref else " with no @REF (the default branch)"
                out.write(f"{req.where(ref)}: {display(ref.url)}{what} is not pinned to a "
                          "commit\n")
    if loose:
        names = " ".join(f"-r {req.path}" for req in files)
        out.write(f"{loose} git requirement(s) not pinned; run pip-private pin {names}\n")
        return 1
    out.write(f"every git requirement is pinned ({sum(len(f.refs) for f in files)})\n")
    return 0


def apply(req: ReqFile, new: dict[int, str], notes: dict[int, str]) -> None:
    """Replace refs (by position in `req.refs`) and add `# REF` notes to logical lines."""
    for position in sorted(new, key=lambda p: -req.refs[p].span[0]):
        ref = req.refs[position]
        line = req.lines[ref.index]
        req.lines[ref.index] = line[:ref.span[0]] + new[position] + line[ref.span[1]:]
    for last, note in notes.items():
        line = req.lines[last]
        body = line.rstrip("\r\n")
        end = line[len(body):]
        comment = COMMENT_RE.search(body)
        if comment:
            hash_at = body.index("#", comment.start())
            theirs = body[hash_at + 1:].strip()
            body = body[:hash_at] + f"# {note}" + (f" -- {theirs}" if theirs else "")
        elif not body.endswith("\\"):  # a comment there would swallow the next line
            body = f"{body}  # {note}"
        req.lines[last] = body + end


def write(req: ReqFile) -> None:
    """Replace the file atomically, keeping its permissions."""
    data = req.bom + "".join(req.lines).encode("utf-8")
    mode = stat.S_IMODE(req.path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{req.path.name}.", suffix=".pin",
                               dir=req.path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, req.path)
    except BaseException:
        os.unlink(tmp)
        raise
