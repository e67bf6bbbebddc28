"""Not keyring: a stand-in that `private-packages run` puts first on PYTHONPATH.

`run` sets `PIP_KEYRING_PROVIDER=import`, so every pip underneath (in a venv that tox, nox,
pipenv or hatch made) asks keyring -- but such a venv has no keyring and no backend. When a
process imports `keyring`, this module is found first and steps aside at once:

1. it takes its own folder off `sys.path`, so nothing else is ever found here;
2. it appends a finder to the *end* of `sys.meta_path` that serves the top-level packages
   of private-packages and of what it requires (keyring, jaraco..., hvac and requests for
   Vault; not the platform keyrings such as SecretStorage) from the folders of the
   interpreter `run` belongs to (`PRIVATE_PACKAGES_RUN_PATH`) -- only when the process has
   no copy of its own, so a tool's own keyring, requests or jaraco always win;
3. the same finder lists one in-memory distribution whose only entry point is the
   backend's `keyring.backends` one, for keyring's plugin discovery, and only to a
   discovery over the whole `sys.path` (pip's scans of a venv's folders never see it);
4. it imports the real `keyring` in its own place in `sys.modules` (the import system
   returns what `sys.modules` holds once this module has run).
"""

import os
import re
import sys
from collections.abc import Iterator, Sequence
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from typing import Any, Optional

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DIRS = [d for d in os.environ.get("PRIVATE_PACKAGES_RUN_PATH", "").split(os.pathsep) if d]
_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_NAME = "private-packages-run"
_FILES = {
    "METADATA": f"Metadata-Version: 2.1\nName: {_NAME}\nVersion: 0\n",
    "entry_points.txt": "[keyring.backends]\nprivate-packages = keyring_backend.backend\n",
}


def _served_names(root: str = "private-packages") -> frozenset:  # type: ignore[type-arg]
    """Top-level names of `root` and its requirements, as installed in `_DIRS`: every
    requirement but the platform-specific ones (a D-Bus keyring in a pip underneath would
    only slow it down) and the extras other than `vault`."""
    from importlib.metadata import distributions

    names: set = set()  # type: ignore[type-arg]
    seen: set = set()  # type: ignore[type-arg]
    todo = [root]
    while todo:
        key = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        dist = None if key in seen else next(iter(distributions(name=key, path=_DIRS)), None)
        seen.add(key)
        if dist is None:
            continue
        top = dist.read_text("top_level.txt")
        names.update(top.split() if top else (
            str(f).split("/")[0].replace(".py", "") for f in dist.files or ()
            if str(f).endswith(".py")))
        for requirement in dist.requires or ():
            marker = requirement.partition(";")[2]
            if "sys_platform" in marker or ("extra" in marker and "vault" not in marker):
                continue
            match = _REQUIREMENT.match(requirement)
            if match:
                todo.append(match.group(1))
    return frozenset(names)


class PrivatePackagesRunFinder:
    """A meta path finder of last resort for `_SERVED` top-level packages."""

    @classmethod
    def find_spec(cls, name: str, path: Optional[Sequence[str]] = None,
                  target: Any = None) -> Optional[ModuleSpec]:
        if path is not None or name not in _SERVED:
            return None
        return PathFinder.find_spec(name, _DIRS)

    @classmethod
    def find_distributions(cls, context: Any = None) -> Iterator[Any]:
        wanted = getattr(context, "name", None)
        if getattr(context, "path", None) is not sys.path or wanted not in (None, _NAME):
            return iter(())
        # importlib.metadata or its backport, whichever is asking: each wants its own type.
        base = getattr(sys.modules.get(type(context).__module__), "Distribution", None)
        if base is None:
            return iter(())

        class BackendOnly(base):  # type: ignore[misc, valid-type]
            def read_text(self, filename: str) -> Optional[str]:
                return _FILES.get(filename)

            def locate_file(self, path: Any) -> Path:
                return Path(_HERE, str(path))

        return iter((BackendOnly(),))


_SERVED = _served_names() if _DIRS else frozenset()
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path_importer_cache.pop(_HERE, None)
if not any(getattr(f, "__name__", "") == PrivatePackagesRunFinder.__name__
           for f in sys.meta_path):
    sys.meta_path.append(PrivatePackagesRunFinder)
del sys.modules[__name__]
import keyring  # noqa: E402, F401 -- the real one now takes this module's place
