"""pypiserver under GitLab-shaped paths, so recipes can keep GitLab's real registry URLs.

GitLab serves a project's PyPI packages at `/api/v4/projects/<id>/packages/pypi` (upload,
and `/simple/` to read) and every package of a group's projects at
`/api/v4/groups/<id>/-/packages/pypi/simple` (read only). `GitLabPackages` is a
`PrivateIndex` whose one pypiserver root answers under every such prefix: the prefix moves
from `PATH_INFO` to `SCRIPT_NAME`, as a reverse proxy mounting an app at a path does, and
pypiserver (bottle) builds its links and redirects from `SCRIPT_NAME`, so pip, poetry and
twine follow them back under the same prefix. Any other path is a 404, so a recipe with a
wrong registry URL fails instead of reaching the index by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Callable

from support.pypi_server import PrivateIndex

App = Callable[..., Iterable[bytes]]

GITLAB_PREFIX = r"/api/v4/(?:projects/[^/]+|groups/[^/]+/-)/packages/pypi"


def mount_under(pattern: str, app: App, seen: list[str]) -> App:
    """`app` answering below every path prefix `pattern` (a regex) matches; the prefixes
    requests came through are appended to `seen`."""
    prefix = re.compile(pattern + r"(?=/|$)")

    def mounted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        found = prefix.match(path)
        if found is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not a GitLab package registry path\n"]
        seen.append(found.group(0))
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + found.group(0)
        environ["PATH_INFO"] = path[found.end():] or "/"
        return app(environ, start_response)

    return mounted


class GitLabPackages(PrivateIndex):
    """One package root behind GitLab's project and group registry paths.

    `prefixes` lists the registry prefix of every request, in order (the group endpoint
    for installs, the project endpoint for uploads and `poetry source bump`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefixes: list[str] = []

    def __enter__(self) -> GitLabPackages:
        super().__enter__()
        return self

    @property
    def api_url(self) -> str:
        """What GitLab CI puts in `CI_API_V4_URL`."""
        return f"{self.url}/api/v4"

    def _wrap(self, app: App) -> App:
        # Outermost: the auth layer and the request log see pypiserver's own paths.
        return mount_under(GITLAB_PREFIX, super()._wrap(app), self.prefixes)
