"""Where the user's own files are: the home directory, the XDG base directories, and `~`.

A path derived from HOME or an `XDG_*_HOME` variable decides which file is the *user's*:
the user config (its rules always apply, its `[commands]` run), the trust state, the
Vault token file, a rule's `${file:~/...}`. A relative value would make it a file of
whatever directory the process runs in -- a cloned project's. So:
- an `XDG_*_HOME` that is not absolute is ignored, as the XDG Base Directory spec says
  ("If an implementation encounters a relative path in any of these variables it should
  consider the path invalid and ignore it");
- HOME counts only when it is absolute; otherwise (unset, empty, relative) the home
  directory is the one the password database gives this user, as `~` does without HOME;
- when neither gives an absolute directory, there is no user directory: `UnknownHome`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .errors import ConfigError


class UnknownHome(ConfigError):
    """No absolute home directory: HOME is unset or relative, and the password database
    has none for this user either."""


def home_dir(env: Mapping[str, str]) -> Path:
    """The user's home directory (module docstring), absolute; else `UnknownHome`."""
    home = env.get("HOME", "")
    if os.path.isabs(home):
        return Path(home)
    try:
        import pwd
    except ImportError:  # Windows: USERPROFILE, as Path.home() reads it
        home = os.path.expanduser("~")
    else:
        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:  # a uid the password database lacks (some containers)
            home = ""
    if os.path.isabs(home):
        return Path(home)
    raise UnknownHome("cannot tell your home directory: HOME is not an absolute path and "
                      "the password database has none for you; set HOME=/path/to/home")


def xdg_home(env: Mapping[str, str], variable: str, default: str) -> Path:
    """`$variable` when it is absolute, else `default` (`.config`) under the home."""
    value = env.get(variable, "")
    return Path(value) if os.path.isabs(value) else home_dir(env) / default


def expand_home(path: str, env: Mapping[str, str]) -> Path:
    """`path` with a leading `~` or `~/` made the home directory (`home_dir`), and
    `~name/` that user's; any other path as it is."""
    if path == "~" or path.startswith(("~/", "~" + os.sep)):
        return home_dir(env) / path[2:]
    return Path(os.path.expanduser(path) if path.startswith("~") else path)
