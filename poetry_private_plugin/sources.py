"""The package sources and publish repositories a poetry project knows, by name.

Two places name them: `[[tool.poetry.source]]` in pyproject.toml (install, lock, add...) and
poetry's `repositories.NAME.url` config, which `poetry publish -r NAME` reads (poetry copies
every source into it, and `POETRY_REPOSITORIES_NAME_URL` sets one from the environment).
Which of those the *user* chose (`user_repositories`) only poetry's own config file says.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
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


def user_repositories() -> dict[str, str]:
    """The publish repositories the user chose in poetry's own config file
    (`CONFIG_DIR/config.toml`), so that a `source = "NAME"` rule binds them as the user's.
    Never read from poetry's merged `Config`: poetry copies every project source into
    `repositories.NAME.url` there (`Factory.create_poetry`) and merges the project's
    `poetry.toml` into it, which would pass a cloned project's URLs off as the user's own
    (`poetry publish -r NAME` in an untrusted project). `POETRY_REPOSITORIES_<NAME>_URL`
    keyring_backend reads itself. A CONFIG_DIR that is not absolute (a relative
    POETRY_CONFIG_DIR) names a directory of the project: nothing."""
    import poetry.config.config

    from keyring_backend.config.sources import toml_repositories

    config_dir: Path = getattr(poetry.config.config, "CONFIG_DIR")  # noqa: B009 -- what
    # Config.create() reads (poetry.locations' value, imported there; tests patch it there)
    if not config_dir.is_absolute():
        return {}
    return toml_repositories(config_dir / "config.toml")
