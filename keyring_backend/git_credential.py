"""`git-credential-private-packages`: private-packages rules as a git credential helper.

git runs `git-credential-private-packages get|store|erase` (with `credential.helper =
private-packages`) and writes `key=value` lines to its stdin until a blank line or EOF:
`protocol`, `host` (with `:port` when the URL has one), `path` (no leading slash) and maybe
`username`, plus attributes this helper ignores (`wwwauth[]`, `capability[]`...). For `get`
it answers `username=...` and `password=...` when a rule binds `protocol://host/path`, and
nothing otherwise, so git asks its next helper or the terminal. `store` and `erase` are
ignored (we store nothing), as is any operation a newer git may add (gitcredentials(7)).

`credential.useHttpPath` must be true: without it git leaves out `path`, and rules bind path
prefixes (`https://gitlab.example.com/org` must not answer for `/other-org`), so only a rule
bound to a whole host could answer. `git_config_env` sets both (and switches redirects off
for those hosts), through GIT_CONFIG_COUNT environment variables, so no config file changes
and nothing lands in git's argv or in a clone's `.git/config` (pip's editable installs keep
theirs). git sends `path` percent-decoded: one with a dot segment is answered only by a
rule for the whole host (`_url_of`).

Which project's rules: git runs helpers inside fresh clones and submodules (a partial
clone fetches its blobs with the clone as working directory), whose `pyproject.toml` nobody
reviewed and which would shadow the real project's. So `--project-dir DIR` names the
project (`git_config_env` pins the caller's), and without it no project file is read: the
environment, the user config and CI presets only.

A value leaves only through stdout of `get`. An unresolvable secret is one stderr line that
names the reference, and exit 0, so git falls back (and with GIT_TERMINAL_PROMPT=0 fails fast).
git runs this once per HTTP authentication: imports stay light.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TextIO

if TYPE_CHECKING:
    from .store import CredentialStore

PREFIX = "private-packages:"
USAGE = "usage: git-credential-private-packages [--project-dir DIR] get|store|erase"
# Characters a path may keep when it goes back into a URL (RFC 3986 pchar): git sends the
# path percent-decoded, and a `#`, `?`, `%` or space would otherwise change its meaning.
_PATH_SAFE = "/:@!$&'()*+,;=~"
# `python -m` puts the working directory first on sys.path, and git runs helpers inside
# clones: a repository's `logging/` or `keyring_backend/` would shadow ours. `-c` with ""
# dropped from sys.path keeps user-site and PYTHONPATH installs working (unlike `-I`).
_HELPER_CODE = ("import sys; sys.path[:] = [p for p in sys.path if p]; "
                "from keyring_backend.git_credential import main; sys.exit(main())")


def main(argv: Optional[list[str]] = None, *, store: Optional[CredentialStore] = None,
         env: Optional[Mapping[str, str]] = None) -> int:
    """Run one helper operation; `store`/`env` are for tests (default: os.environ)."""
    if argv is None:  # the real helper: it is about to hold a secret
        from .core_dumps import keep_out_of_core_dumps

        keep_out_of_core_dumps()
    args = sys.argv[1:] if argv is None else list(argv)
    project_dir: Optional[Path] = None
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if args and (args[0] == "--project-dir" or args[0].startswith("--project-dir=")):
        option = args.pop(0)
        value = option.partition("=")[2] if "=" in option else (args.pop(0) if args else "")
        if not value:
            return _usage("--project-dir needs a directory")
        project_dir = Path(value)
    if len(args) != 1:
        return _usage("expected exactly one operation")
    attributes = read_attributes(sys.stdin)  # always drain stdin: git writes all of it
    if args[0] != "get":
        return 0
    try:
        if store is None:
            store = _store(env, project_dir)
        for error in store.config.errors:
            _warn(str(error))
        answer = answer_get(attributes, store)
        if answer is None and store.config.untrusted:
            _note_untrusted(attributes, store)
    except Exception as exc:  # noqa: BLE001 -- git must fall back, never see a traceback
        from .errors import PrivatePackagesError

        # Only our own messages are known to be free of values; anything else is a bug.
        _warn(str(exc) if isinstance(exc, PrivatePackagesError)
              else f"unexpected {type(exc).__name__} while answering git")
        return 0
    if answer is not None:
        _write(sys.stdout, f"username={answer[0]}\npassword={answer[1]}\n")
    return 0


def read_attributes(stream: TextIO) -> dict[str, str]:
    """`key=value` lines up to a blank line or EOF; later keys win, `name[]` keys are kept."""
    raw = getattr(stream, "buffer", None)
    attributes: dict[str, str] = {}
    while True:
        # git's values are bytes; decode them the way Python decodes file names.
        line = (raw.readline().decode("utf-8", "surrogateescape") if raw is not None
                else stream.readline())
        line = line.rstrip("\n").rstrip("\r")
        if not line:
            return attributes
        key, sep, value = line.partition("=")
        if sep:
            attributes[key] = value


def answer_get(attributes: Mapping[str, str],
               store: CredentialStore) -> Optional[tuple[str, str]]:
    """(username, password) for the URL git describes, or None when no rule binds it."""
    from .errors import ConfigError
    from .urls import parse_location

    protocol, host = attributes.get("protocol", ""), attributes.get("host", "")
    if protocol not in ("http", "https"):
        return None
    loc = parse_location(host)  # a bare host[:port]; rejects anything that could smuggle
    if loc is None or loc.scheme is not None:  # userinfo, a path or another host into the URL
        return None
    credential = store.credential_for(_url_of(attributes), attributes.get("username"))
    if credential is None:
        return None
    rule = credential.rule
    password = credential.password.reveal()
    for name, text in (("username", credential.username), ("password", password)):
        if "\n" in text or "\0" in text:
            # A line break would end the value and inject attributes into git's protocol.
            raise ConfigError(f"{name} of {rule.origin} contains a line break or NUL, "
                              "which git's credential protocol cannot carry")
    return credential.username, password


def _note_untrusted(attributes: Mapping[str, str], store: CredentialStore) -> None:
    """One line when a withheld rule of an untrusted project would have answered git."""
    notice = store.config.untrusted_notice()
    if notice and store.withheld_rule_for(_url_of(attributes)) is not None:
        _warn(notice)


def _url_of(attributes: Mapping[str, str]) -> str:
    """The URL git asks about. git sends the path percent-DECODED (credential.c) while curl
    requests it as written, so `/evil/..%2forg/repo.git` arrives as `evil/../org/repo.git`,
    which would read as `/org/repo.git`, while the server reads it below `/evil`. A path
    with a dot segment (or one that reads as one, paths.py) is therefore unknown here: only
    a rule for the whole origin answers it."""
    from urllib.parse import quote

    from .paths import looks_like_dots

    protocol, host = attributes.get("protocol", ""), attributes.get("host", "")
    path = attributes.get("path", "").lstrip("/")
    if any(looks_like_dots(segment) for segment in path.split("/")):
        path = ""
    return f"{protocol}://{host}/{quote(path, safe=_PATH_SAFE)}"


def git_config_env(env: Mapping[str, str], *, project_dir: Optional[Path] = None,
                   store: Optional[CredentialStore] = None) -> dict[str, str]:
    """GIT_CONFIG_* variables that make this helper answer for every host a rule binds.

    Merge the result into the environment of pip, poetry or git: `{**env, **result}`;
    entries already in `env` are kept (ours are appended). For each rule's
    `scheme://host[:port]` the user's helper list is reset (an empty `helper` entry) before
    ours is added: otherwise git would hand our token to their `store` or keychain helper
    after a successful fetch and it would land in ~/.git-credentials. Other hosts keep the
    user's helpers and settings untouched. `useHttpPath` is switched on for those hosts only,
    because rules bind path prefixes (https://gitlab.example.com/org). `http.followRedirects`
    is switched off for them: once the helper answered for `/org/repo.git`, curl keeps the
    credential on a same-host redirect (to `/evil/...` too) without asking the helper
    again, and git's default (`initial`) follows exactly that first request's redirects, so
    a repository on those hosts must be named by its final URL (GitLab: with `.git`). A
    plain-http loopback origin whose rule has no `allow_http` gets `http.<origin>.proxy`
    empty (no proxy): its credential may travel in clear text only because it never leaves
    the machine, and an `http_proxy` would carry it off (guard.py). `project_dir`
    (default: the current directory) is the project whose rules answer, wherever git runs.
    `store`: the caller's rules for that same `env` and project, to save loading them again.
    Needs git 2.31 or newer; older versions ignore these variables.
    """
    from .errors import ConfigError

    text = env.get("GIT_CONFIG_COUNT", "").strip() or "0"
    if not text.isdigit():
        raise ConfigError(f"GIT_CONFIG_COUNT must be a number, not {text!r}")
    count = int(text)
    project = (project_dir or Path.cwd()).resolve()
    command = " ".join(shlex.quote(part) for part in (
        sys.executable, "-c", _HELPER_CODE, "--project-dir", str(project)))
    entries: list[tuple[str, str]] = []
    store = store or _store(env, project)
    for origin in rule_origins(store):
        entries += [(f"credential.{origin}.helper", ""),
                    (f"credential.{origin}.helper", f"!{command}"),
                    (f"credential.{origin}.useHttpPath", "true"),
                    (f"http.{origin}.followRedirects", "false")]
    entries += [(f"http.{origin}.proxy", "") for origin in _loopback_http_origins(store)]
    if not entries:
        return {}
    out = {"GIT_CONFIG_COUNT": str(count + len(entries))}
    for index, (key, value) in enumerate(entries, start=count):
        out[f"GIT_CONFIG_KEY_{index}"] = key
        out[f"GIT_CONFIG_VALUE_{index}"] = value
    return out


def rule_origins(store: CredentialStore) -> list[str]:
    """`scheme://host[:port]` of every rule, in rule order, without repeats."""
    return list(dict.fromkeys(rule.location.origin for rule in store.config.rules.rules))


def _loopback_http_origins(store: CredentialStore) -> list[str]:
    """Origins a rule may reach over plain http only because they are loopback."""
    return list(dict.fromkeys(
        rule.location.origin for rule in store.config.rules.rules
        if rule.location.scheme == "http" and rule.location.is_loopback and not rule.allow_http))


def _store(env: Optional[Mapping[str, str]], project_dir: Optional[Path]) -> CredentialStore:
    from .store import CredentialStore

    # The project file is searched from `cwd` upward; from the filesystem root only a
    # root-owned /pyproject.toml could be found, so an unpinned helper reads no project.
    root = Path(os.path.abspath(os.sep))
    return CredentialStore(env=env, cwd=project_dir.resolve() if project_dir else root)


def _usage(problem: str) -> int:
    from .printable import printable

    print(f"{PREFIX} {printable(problem)}; {USAGE}", file=sys.stderr)
    return 2


def _warn(text: str) -> None:
    from .printable import printable

    print(f"{PREFIX} {printable(text)}", file=sys.stderr)  # it may quote the project


def _write(stream: TextIO, text: str) -> None:
    raw = getattr(stream, "buffer", None)
    if raw is None:
        stream.write(text)
    else:
        raw.write(text.encode("utf-8", "surrogateescape"))
    stream.flush()


if __name__ == "__main__":
    sys.exit(main())
