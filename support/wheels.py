"""Build a tiny pure-Python wheel without any build backend (fast, offline, deterministic)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def build_wheel(dest: Path, name: str, version: str, body: str = "",
                entry_points: str = "") -> Path:
    """Write `<name>-<version>-py3-none-any.whl` holding module `<name>` (dashes -> `_`):
    `body` (which may start with a docstring and `__future__` imports), then `VERSION`;
    `entry_points` is the text of `entry_points.txt` (none when empty)."""
    module = name.replace("-", "_").lower()
    dist = f"{module}-{version}"
    files = {
        f"{module}/__init__.py": f'{body}VERSION = "{version}"\n',
        f"{dist}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            "Summary: a private package used by private-packages tests and demo\n"
        ),
        f"{dist}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: private-packages-support\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    if entry_points:
        files[f"{dist}.dist-info/entry_points.txt"] = entry_points
    record = [f"{path},sha256={_digest(text)},{len(text.encode())}" for path, text in
              files.items()]
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, text in files.items():
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, text)
    return wheel


def _digest(text: str) -> str:
    raw = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_BACKEND = '''\
"""A PEP 517 backend inside the repository (`backend-path`): an isolated build needs
nothing from an index, so in tests only git needs a credential."""
import base64, hashlib, os, zipfile

DIST = "{module}-{version}"
INFO = DIST + ".dist-info/"
FILES = {{"{module}/__init__.py": 'VERSION = "{version}"\\n',
          INFO + "METADATA": "Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
          INFO + "WHEEL": "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}}


def _digest(text):
    raw = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    record = [f"{{p}},sha256={{_digest(t)}},{{len(t.encode())}}" for p, t in FILES.items()]
    files = {{**FILES, INFO + "RECORD": "\\n".join(record + [INFO + "RECORD,,"])}}
    name = DIST + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return name
'''


def source_tree(name: str, version: str) -> dict[str, str]:
    """The files of a repository that pip and poetry can build offline (for git
    dependencies in tests): a pyproject.toml whose backend is `backend.py` beside it."""
    module = name.replace("-", "_").lower()
    pyproject = ('[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                 f'backend-path = ["."]\n\n[project]\nname = "{name}"\nversion = "{version}"\n')
    return {"pyproject.toml": pyproject,
            "backend.py": _BACKEND.format(module=module, name=name, version=version)}
