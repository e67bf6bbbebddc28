"""`pip-private scan` and `pip-private render` from the installed wheel, on one project
laid out the way real ones are: requirements split over `requirements/` and a `req/`
folder, includes with names no walk would pick, `uv.toml` and a PEP 751 `pylock.toml`.
scan finds every hard-coded credential pip, uv and the lock would use; render shows every
file pip reads; neither shows a secret."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import Clients, make_canary
from tests.leaks import assert_not_in_texts

pytestmark = pytest.mark.e2e


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def run(clients: Clients, env: dict[str, str], cwd: Path,
        *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(clients.pip_python.parent / "pip-private"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_scan_reads_every_file_pip_uv_and_locks_read(clients: Clients,
                                                    client_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    secrets = {name: f"pw{uuid.uuid4().hex[:12]}"
               for name in ("included", "req", "uv", "pylock", "nested")}
    write(tmp_path, {
        "requirements.txt": "-r requirements/base.txt\n-c deps.constraints\n",
        "requirements/base.txt": "-r ../shared/common.pip\nacme\n",
        "shared/common.pip": f"-i https://u:{secrets['included']}@a.example.com/simple\n",
        "deps.constraints": "acme<2\n",
        "req/prod/extra.txt": f"--extra-index-url https://u:{secrets['req']}@b.example.com/s\n",
        "uv.toml": f'[[index]]\nname = "x"\nurl = "https://u:{secrets["uv"]}@c.example.com/s"\n',
        "pylock.toml": 'lock-version = "1.0"\n[[packages]]\nname = "acme"\n'
                       f'index = "https://u:{secrets["pylock"]}@d.example.com/simple"\n',
        "docs/notes.txt": f"https://u:{secrets['nested']}@e.example.com/ is not read\n",
    })

    result = run(clients, client_env, tmp_path, "scan")

    assert result.returncode == 1, result.stderr
    found = sorted(line.split(":", 1)[0] for line in result.stdout.splitlines()
                   if ": url-userinfo: " in line or ": lock-url: " in line)
    assert found == ["pylock.toml", "req/prod/extra.txt", "shared/common.pip", "uv.toml"]
    assert "then run `pip lock" in result.stdout
    for secret in secrets.values():
        assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr})


def test_render_shows_every_file_pip_reads(clients: Clients, client_env: dict[str, str],
                                           tmp_path: Path) -> None:
    secret = make_canary()
    write(tmp_path, {
        "requirements.txt": "--index-url https://bot:${TOKEN}@h.example/simple\n"
                            "-r requirements/base.txt\n",
        "requirements/base.txt": "# no reference here\n-c ../constraints.txt\nacme\n",
        "constraints.txt": "acme==${ACME_VERSION:-1.0}\n",
    })
    env = {**client_env, "TOKEN": secret, "PRIVATE_PACKAGES_TRUST": "1"}  # a `:-` fallback

    result = run(clients, env, tmp_path, "render", "-r", "requirements.txt")

    assert result.returncode == 0, result.stderr
    assert [line for line in result.stdout.splitlines() if line.startswith("#")] == [
        "# requirements.txt (rendered)",
        "# requirements/base.txt (rendered, included from requirements.txt:2)",
        "# constraints.txt (rendered, included from requirements/base.txt:2)"]
    assert "   3  acme" in result.stdout and "acme==1.0" in result.stdout
    write(tmp_path, {"constraints.txt": "acme==1.0\n"})  # now no reference below the top
    result = run(clients, env, tmp_path, "render", "-r", "requirements.txt")
    assert [line for line in result.stdout.splitlines() if line.startswith("#")] == [
        "# requirements.txt (rendered)",
        "# requirements/base.txt (unchanged, included from requirements.txt:2)",
        "# constraints.txt (unchanged, included from requirements/base.txt:2)"]
    assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr},
                        username="bot")
