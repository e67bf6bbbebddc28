"""Which files uv reads its indexes from, for one command (uv_indexes.py reads them).

`UV_INDEX_<NAME>_*` binds a NAME, not a URL, so `run` must see every index that name could
mean to uv. It reads a superset of uv's own choice, never less: a file too many can only
make it refuse a name; one too few hands the credential to an index it never saw. What
uv reads (docs "Configuration files"; uv's lib.rs and uv-settings `FilesystemOptions`):

- where: `--directory` / `UV_WORKING_DIR` moves uv, `--project` / `UV_PROJECT` names the
  project from there. Every value found before `--` is followed (one may belong to the
  command `uv run` starts), and so is the place without them;
- the project level: from the project's workspace root (a member reads its root's) up to
  `/`, the nearest directory with a `uv.toml` (alone, or over its pyproject.toml) or a
  pyproject.toml with `[tool.uv]`; project commands read the workspace's
  `[[tool.uv.index]]` even under `--no-config`. `run` reads every uv.toml and
  pyproject.toml from the project directory to `/`: whichever uv picks is among them;
- `--config-file` / `UV_CONFIG_FILE` (instead of the uv.toml files uv would discover);
- the user's `$XDG_CONFIG_HOME/uv/uv.toml` and the system's (`$XDG_CONFIG_DIRS/uv/uv.toml`,
  `/etc/uv/uv.toml`); `UV_NO_CONFIG` / `--no-config` skip every uv.toml but a named one;
- a script's inline metadata (PEP 723 `# /// script`): `--script PATH`, and every word of
  `uv run` that names a file. A script uv reads from stdin (`-`) or a URL cannot be read
  beforehand: `uv_config_files` returns None, and `run` sets no `UV_INDEX_<NAME>_*`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from keyring_backend.records import record

from .files import config_home, parse_toml, read_text, read_toml
from .tools import Invocation

#: PEP 723's reference regular expression for a metadata block.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
#: uv options whose value may be a URL that is no script (`uv run --index URL script.py`).
_URL_VALUED = frozenset({"--index", "--default-index", "--index-url", "-i",
                         "--extra-index-url", "--find-links", "-f"})
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})  # clap's boolish "true" words
_INDEX = ("index",)
_TOOL_UV_INDEX = ("tool", "uv", "index")


@record(frozen=True)
class UvConfig:
    """One file uv may read, and where its indexes stand in it."""

    path: Path
    keys: tuple[str, ...]
    script: bool = False  # a Python script: the TOML is its `# /// script` block

    def read(self) -> dict[str, Any]:
        return script_metadata(self.path) if self.script else read_toml(self.path)


def uv_config_files(inv: Invocation, cwd: Path, env: Mapping[str, str],
                    no_config: bool = False) -> Optional[list[UvConfig]]:
    """The files above, for `uv ARGS` (`inv`) started in `cwd`; None when uv may read a
    script that cannot be read first. `no_config`: `--no-config` among uv's own words."""
    bases = [cwd / d for d in [*inv.option("--directory"), env.get("UV_WORKING_DIR") or "."]]
    projects = [base / p for base in bases
                for p in [*inv.option("--project"), env.get("UV_PROJECT") or "."]]
    skip_uv_toml = no_config or env.get("UV_NO_CONFIG", "").strip().lower() in _TRUE
    files: list[UvConfig] = []
    for directory in _upward(projects):
        if not skip_uv_toml:
            files.append(UvConfig(directory / "uv.toml", _INDEX))
        files.append(UvConfig(directory / "pyproject.toml", _TOOL_UV_INDEX))
    named = [*inv.option("--config-file"), *filter(None, [env.get("UV_CONFIG_FILE")])]
    files += [UvConfig(path, _INDEX) for path in _beside(named, [cwd, *bases])]
    if not skip_uv_toml:
        system = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)
        files += [UvConfig(Path(d) / "uv" / "uv.toml", _INDEX)
                  for d in [str(config_home(env)), *filter(None, system), "/etc"]]
    scripts = list(inv.option("--script"))
    if inv.subcommand == "run":
        scripts += [word for before, word in zip(("", *inv.args), inv.args)
                    if (not word.startswith("-") or word == "-") and before not in _URL_VALUED]
    if any(word == "-" or word.startswith(("http://", "https://")) for word in scripts):
        return None
    files += [UvConfig(path, _TOOL_UV_INDEX, script=True)
              for path in _beside(scripts, bases) if path.is_file()]
    return _unique(files)


def script_metadata(path: Path) -> dict[str, Any]:
    """The TOML of a script's `# /// script` block (PEP 723), or {}."""
    text = read_text(path)
    block = next((m for m in _BLOCK.finditer(text or "") if m["type"] == "script"), None)
    if block is None:
        return {}
    toml = "".join(line[2:] if line.startswith("# ") else line[1:]
                   for line in block["content"].splitlines(keepends=True))
    return parse_toml(toml)


def _upward(directories: Iterable[Path]) -> list[Path]:
    """Each directory and its parents, both as written (`a/../b`) and as resolved."""
    found: list[Path] = []
    for directory in directories:
        for start in (Path(os.path.abspath(directory)), directory.resolve()):
            found += [start, *start.parents]
    return list(dict.fromkeys(found))


def _beside(paths: Sequence[str], bases: Sequence[Path]) -> list[Path]:
    return list(dict.fromkeys(base / path for path in paths for base in bases))


def _unique(files: list[UvConfig]) -> list[UvConfig]:
    return list(dict.fromkeys(files))
