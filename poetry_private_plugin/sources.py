"""The package sources and publish repositories a poetry project knows, by name.

Two places name them: `[[tool.poetry.source]]` in pyproject.toml (install, lock, add...) and
poetry's `repositories.NAME.url` config, which `poetry publish -r NAME` reads (poetry copies
every source into it, and `POETRY_REPOSITORIES_NAME_URL` sets one from the environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from poetry.config.config import Config
    from poetry.poetry import Poetry

PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/"


@dataclass(frozen=True)
class Source:
    """One `[[tool.poetry.source]]` entry (priority as written; poetry's default "primary")."""

    name: str
    url: str
    priority: str = "primary"

    @property
    def is_pypi(self) -> bool:
        return self.name.lower() == "pypi"


def project_sources(poetry: Poetry) -> list[Source]:
    """Sources with a URL, in file order (PyPI named without a URL is poetry's own)."""
    found = []
    for entry in poetry.local_config.get("source", []):
        if isinstance(entry, dict) and entry.get("name") and entry.get("url"):
            found.append(Source(str(entry["name"]), str(entry["url"]),
                                str(entry.get("priority", "primary"))))
    return found


def repository_url(config: Config, name: str) -> Optional[str]:
    """The upload URL `poetry publish -r NAME` uses, or None when poetry knows none."""
    url: Any = config.get(f"repositories.{name}.url")
    if isinstance(url, str) and url:
        return url
    return PYPI_UPLOAD_URL if name == "pypi" else None
