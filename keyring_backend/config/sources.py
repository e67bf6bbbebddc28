"""Named sources a `source = NAME` rule binds to, and who chose each one's URL.

Two kinds of names exist. The project writes `[[tool.poetry.source]]` and `[[tool.uv.index]]`
(and, for `poetry publish -r NAME`, maybe `[repositories.NAME]` in its `poetry.toml`):
a cloned project can point them anywhere, so a rule bound through one of them is project
content that needs trust (DESIGN.md "Trust"), whichever layer the rule comes from. The user
sets `POETRY_REPOSITORIES_<NAME>_URL` (or `repositories.NAME.url` in their own poetry
config, which the poetry plugin passes in): a rule bound through one of those is the
user's own decision. When both name the same source, the user's URL is the one a rule binds: a
project must not be able to move the user's repository elsewhere by reusing its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from ..errors import ConfigError
from ..records import field, record
from .reading import as_list, dig, read_toml

REPOSITORY_VARIABLE = ("POETRY_REPOSITORIES_", "_URL")


@record(frozen=True)
class Sources:
    """`user`: names whose URL the user chose; `project`: names the project wrote."""

    user: dict[str, str] = field(default_factory=dict)
    project: dict[str, str] = field(default_factory=dict)

    @property
    def urls(self) -> dict[str, str]:
        """Each name's URL for binding: the user's wins over the project's."""
        return {**self.project, **self.user}

    def chosen_by_project(self, name: str) -> bool:
        return name in self.project and name not in self.user


def named_sources(project: Mapping[str, Any], env: Mapping[str, str],
                  project_dir: Optional[Path] = None,
                  repositories: Mapping[str, str] = {}) -> Sources:
    """The names of both kinds. `project_dir`: where the project's `poetry.toml` may name
    repositories; `repositories`: ones a caller read from the user's own poetry config."""
    user = {**repositories, **env_repositories(env)}
    written = project_sources(project)
    if project_dir is not None:
        for name, url in poetry_toml_repositories(project_dir).items():
            written.setdefault(name, url)
    return Sources(user, written)


def project_sources(project: Mapping[str, Any]) -> dict[str, str]:
    """Sources a pyproject.toml names: poetry sources, then uv indexes (first one wins)."""
    found: dict[str, str] = {}
    for entry in [*as_list(dig(project, "tool", "poetry", "source")),
                  *as_list(dig(project, "tool", "uv", "index"))]:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and \
                isinstance(entry.get("url"), str):
            found.setdefault(entry["name"], entry["url"])
    return found


def poetry_toml_repositories(project_dir: Path) -> dict[str, str]:
    """`[repositories.NAME] url` in the project's `poetry.toml` (poetry merges that file
    into its config, so `poetry publish -r NAME` uses it); none when it is absent or
    unreadable (poetry reports that)."""
    return toml_repositories(project_dir / "poetry.toml")


def toml_repositories(path: Path) -> dict[str, str]:
    """`[repositories.NAME] url` of a poetry config file (poetry's own `config.toml`, a
    project's `poetry.toml`); none when it is absent or unreadable."""
    if not path.is_file():
        return {}
    errors: list[ConfigError] = []
    table = dig(read_toml(path, errors), "repositories")
    return {name: entry["url"] for name, entry in (table.items() if isinstance(table, dict)
                                                   else ())
            if isinstance(entry, dict) and isinstance(entry.get("url"), str)}


def env_repositories(env: Mapping[str, str]) -> dict[str, str]:
    """`POETRY_REPOSITORIES_<NAME>_URL` (poetry reads NAME back lower-case, `_` as `-`)."""
    head, tail = REPOSITORY_VARIABLE
    found: dict[str, str] = {}
    for key, value in env.items():
        if key.startswith(head) and key.endswith(tail) and value:
            found.setdefault(key[len(head):-len(tail)].lower().replace("_", "-"), value)
    return found


def source_prefix(url: str) -> str:
    """A source's index URL minus a trailing `/simple`: downloads live beside it."""
    trimmed = url.rstrip("/")
    return trimmed[: -len("/simple")] if trimmed.endswith("/simple") else trimmed
