"""A secret outside the userinfo of a URL: what pip records, and so what pip-private allows.

Only a URL's userinfo keeps a secret out of everything pip writes: pip-private lifts it
into a rule (lifting.py), and pip removes what is left of it from what it records. A
value anywhere else in a URL -- the path (Cloudsmith's `https://dl.cloudsmith.io/TOKEN/
...`), the query (`?private_token=...`), the host -- reaches pip as it is, and:

- `VCS`: a `git+`, `hg+`, `svn+` or `bzr+` URL goes into that tool's argv (`git clone
  URL`, `git checkout REF`), a clone's `.git/config`, `direct_url.json` and `pip freeze`;
- `DIRECT`: a direct URL (`name @ https://...`, a bare URL, `-e URL`) goes into
  `direct_url.json`, `pip freeze` and the wheel cache's `origin.json`;
  so both are refused: one line, exit 2.
- `FETCHED`: an index, find-links or remote requirements-file URL. pip records the file
  URLs it finds there only in its caches (`origin.json` beside a wheel built from an
  sdist; page bodies in the HTTP cache) and in what it prints and writes, which the masker
  covers (`--log`, `--report`, a lock file: run.py). Allowed, with pip's cache off for the
  run (`keep_out_of_caches`), and never where pip could hand an index URL to a `keyring`
  command's argv after a 401 (its `subprocess` keyring provider).

Values are found in the URL as pip sees it, in every spelling the masker knows, so a whole
URL taken from one variable (`--index-url ${INDEX}`) counts as well; so does each
whitespace-separated piece of a value, since pip's URL ends at the first space. `file:`
URLs and local paths name no place a secret is sent: they are left alone.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Iterable, Iterator
from functools import lru_cache
from typing import Optional

from keyring_backend.errors import ConfigError

from .interpreter import Plan
from .pipargs import Arg, break_args_options, reqfile_args

VCS, DIRECT, FETCHED = "vcs", "direct", "fetched"
#: Options whose URL pip fetches pages or files from without recording it as installed.
_FETCHED_OPTIONS = frozenset({"--index-url", "--extra-index-url", "--find-links",
                              "--requirement", "--constraint", "--build-constraint"})
_URL = re.compile(r"(?<![A-Za-z0-9+.-])(?:(?P<vcs>(?:git|hg|svn|bzr)\+[A-Za-z][A-Za-z0-9+.-]*)"
                  r"|https?)://\S*", re.IGNORECASE)


def needles_of(values: Iterable[str]) -> set[str]:
    """What to look for in a URL: each value's spellings, and those of its pieces."""
    return {needle for value in values for needle in _spellings(value)}


@lru_cache(maxsize=256)  # a file repeats the same few secrets on many lines
def _spellings(value: str) -> frozenset[str]:
    from keyring_backend.secret import secret_forms

    pieces = {value, *value.split()}
    return frozenset(form.decode() for piece in pieces for form in secret_forms(piece))


def kind_on_line(line: str, needles: Collection[str]) -> Optional[str]:
    """The gravest place (VCS, DIRECT, FETCHED) a secret stands in a URL of a
    requirements-file line, or None."""
    if not _in_a_url(line, needles):  # the common case: the line's URLs hold none
        return None
    head, options = break_args_options(line)
    try:
        words = shlex.split(options)
    except ValueError:  # pip reports the line itself; judge what it would split on
        words = options.split()
    found = [kind_in_value(head, None, needles)]
    found += [kind_in_value(part.value, part.name, needles)
              for part in reqfile_args(words) if part.value is not None]
    return _gravest(found)


def kind_in_value(value: str, option: Optional[str], needles: Collection[str]) -> Optional[str]:
    """The same for one value of pip's command line: a requirement (`option` None) or the
    value of `option`."""
    return _gravest(_kinds(value, option, needles))


def _in_a_url(text: str, needles: Collection[str]) -> bool:
    for match in _URL.finditer(text):
        url = _without_userinfo(match[0])
        if any(needle in url for needle in needles):
            return True
    return False


def _kinds(value: str, option: Optional[str], needles: Collection[str]) -> Iterator[str]:
    for match in _URL.finditer(value):
        if not _in_a_url(match[0], needles):
            continue
        if match["vcs"]:
            yield VCS
        elif option is None or option == "--editable":
            yield DIRECT
        elif option in _FETCHED_OPTIONS:
            yield FETCHED


def _without_userinfo(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    return f"{scheme}{sep}{rest[:end].rpartition('@')[2]}{rest[end:]}"


def _gravest(kinds: Iterable[Optional[str]]) -> Optional[str]:
    found = set(kinds)
    return next((kind for kind in (VCS, DIRECT, FETCHED) if kind in found), None)


def refusal(kind: str, where: str, names: str) -> str:
    """The one-line error for a VCS or DIRECT secret."""
    if kind == VCS:
        records = ("a VCS URL goes into that tool's process arguments, a clone's "
                   ".git/config, direct_url.json and `pip freeze`")
    else:
        records = "pip records a direct URL in direct_url.json and `pip freeze`"
    return (f"{where}: {names} is substituted outside the userinfo of a URL, and {records}; "
            "put a secret in the userinfo (https://user:${TOKEN}@host/...) or in a "
            "credential rule, and write any other value literally")


def keep_out_of_caches(where: str, general: list[Arg], rest: list[Arg], env: dict[str, str],
                       plan: Plan) -> None:
    """Run pip, and every pip it starts, without its caches (a FETCHED secret at `where`);
    refuse when pip could pass the index URL to a `keyring` command."""
    if plan.keyring_command:
        raise ConfigError(
            f"{where}: a secret stands outside the userinfo of an index URL, and pip may "
            "pass that URL to a `keyring` command's process arguments (its subprocess "
            "keyring provider); pass --keyring-provider import (or disabled), or put the "
            "secret in the userinfo (https://user:${TOKEN}@host/...) or a credential rule")
    for parts in (general, rest):
        parts[:] = [part for part in parts if part.name != "--cache-dir"]
    if not any(part.name == "--no-cache-dir" for part in general + rest):
        general.append(Arg(["--no-cache-dir"], "--no-cache-dir"))
    env.pop("PIP_CACHE_DIR", None)
    env["PIP_NO_CACHE_DIR"] = "1"  # the nested build-dependency pip of an older pip
