"""One broken input never takes every credential away (issue #13): a user config file that
cannot be read -- not UTF-8, invalid TOML, wrong types, EACCES -- drops its own rules with
one warning naming it, and the env rules keep answering in every CLI: the keyring CLI (our
backend), the git helper, `pip-private render` and `pip-private install`. Never a
traceback, never exit 2 for an unrelated layer. Real processes, the dev venv's scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from tests.leaks import assert_not_in_texts

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ENV_RULE_URL = "https://pkgs.example.com/simple"

BROKEN = {
    "not-utf8": b"[[credentials]]\nurl = \"https://x.example.com\"\npassword = \"\xff\xfe\"\n",
    "bad-toml": b"[[credentials]\nurl = \n",
    "run-is-a-number": b"[commands.mint]\nrun = 5\n",
    "run-holds-a-table": b"[commands.mint]\nrun = [\"aws\", {a = 1}]\nttl = []\n",
    "vault-types": b"[vault]\naddr = 5\ntimeout = [1]\nauth = true\nadress = 1\n",
    "credentials-not-a-list": b"credentials = 5\n",
    "rule-types": b"[[credentials]]\nurl = 5\npassword = [\"x\"]\nallow_http = \"yes\"\n",
    "eacces": b"[[credentials]]\nurl = \"https://x.example.com\"\npassword = \"${T}\"\n",
}


def run(argv: list[str], env: dict[str, str], cwd: Path, *, eacces: bool,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    # Root reads any file; without CAP_DAC_OVERRIDE it gets EACCES like anyone else.
    prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"] if eacces else []
    return subprocess.run([*prefix, *argv], env=env, cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(params=sorted(BROKEN))
def broken(request: pytest.FixtureRequest, client_env: dict[str, str], home: Path,
           canary: str) -> tuple[str, dict[str, str]]:
    name: str = request.param
    path = home / ".config" / "private-packages" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(BROKEN[name])
    if name == "eacces":
        path.chmod(0)
    env = {**client_env, "PATH": f"{BIN}:{client_env['PATH']}", "ENV_TOKEN": canary,
           "PRIVATE_PACKAGES_ENV_URL": ENV_RULE_URL,
           "PRIVATE_PACKAGES_ENV_USERNAME": "env-bot",
           "PRIVATE_PACKAGES_ENV_PASSWORD": "${ENV_TOKEN}"}
    return name, env


def assert_one_clean_warning(stderr: str, name: str, canary: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if "config.toml" in line]
    assert lines, stderr
    assert all(line.count("config.toml") >= 1 for line in lines)
    if name in ("not-utf8", "bad-toml", "eacces", "credentials-not-a-list"):
        assert len(lines) == 1, stderr  # one warning for the whole file
    assert_not_in_texts(canary, {"stderr": stderr})


def test_keyring_cli_answers_from_env_rules(broken: tuple[str, dict[str, str]],
                                            tmp_path: Path, canary: str) -> None:
    name, env = broken
    result = run([str(BIN / "keyring"), "--mode", "creds", "--output", "json", "get",
                  ENV_RULE_URL + "/"], env, tmp_path, eacces=name == "eacces")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"username": "env-bot", "password": canary}
    assert_one_clean_warning(result.stderr, name, canary)


def test_git_helper_answers_from_env_rules(broken: tuple[str, dict[str, str]],
                                           tmp_path: Path, canary: str) -> None:
    name, env = broken
    result = run([str(BIN / "git-credential-private-packages"), "get"], env, tmp_path,
                 eacces=name == "eacces",
                 stdin="protocol=https\nhost=pkgs.example.com\npath=simple/x.git\n\n")
    assert result.returncode == 0
    assert result.stdout == f"username=env-bot\npassword={canary}\n"
    assert_one_clean_warning(result.stderr, name, canary)


def test_pip_private_render_and_install_keep_working(
        broken: tuple[str, dict[str, str]], tmp_path: Path, canary: str,
        private_index: PrivateIndex) -> None:
    name, env = broken
    env = {**env, "PRIVATE_PACKAGES_ENV_URL": private_index.url,
           "PRIVATE_PACKAGES_ENV_USERNAME": "deploy-bot"}
    (tmp_path / "requirements.txt").write_text(
        f"--index-url {private_index.simple_url}\nacme-internal\n")
    render = run([str(BIN / "pip-private"), "render", "-r", "requirements.txt"], env,
                 tmp_path, eacces=name == "eacces")
    assert render.returncode == 0, render.stderr
    assert_one_clean_warning(render.stderr, name, canary)
    target = tmp_path / "target"
    install = run([str(BIN / "pip-private"), "install", "--no-cache-dir", "--target",
                   str(target), "-r", "requirements.txt"], env, tmp_path,
                  eacces=name == "eacces")
    assert install.returncode == 0, install.stderr
    assert (target / "acme_internal").is_dir()
    assert any(r.authorized for r in private_index.requests)
    assert_one_clean_warning(install.stderr, name, canary)


def test_private_packages_run_still_injects_env_rules(
        broken: tuple[str, dict[str, str]], tmp_path: Path, canary: str,
        private_index: PrivateIndex) -> None:
    """`private-packages run` warns about the broken layer and still hands the command the
    env rule's credential: a real twine upload to the covered index (401 mode)."""
    from support.wheels import build_wheel

    name, env = broken
    env = {**env, "PRIVATE_PACKAGES_ENV_URL": private_index.url,
           "PRIVATE_PACKAGES_ENV_USERNAME": "deploy-bot"}
    wheel = build_wheel(tmp_path / "dist", "acme-uploaded", "1.0.0")
    twine = [str(BIN / "twine"), "upload", "--non-interactive", "--repository-url",
             private_index.url, str(wheel)]
    shown = run([str(BIN / "private-packages"), "run", "--print-env", *twine], env,
                tmp_path, eacces=name == "eacces")
    assert shown.returncode == 0, shown.stderr
    assert "TWINE_PASSWORD=****" in shown.stdout
    assert_one_clean_warning(shown.stderr, name, canary)
    upload = run([str(BIN / "private-packages"), "run", "--", *twine], env, tmp_path,
                 eacces=name == "eacces")
    assert upload.returncode == 0, upload.stdout + upload.stderr
    assert_one_clean_warning(upload.stderr, name, canary)
    assert any(r.authorized and r.method == "POST" for r in private_index.requests)
    assert_not_in_texts(canary, {"stdout": shown.stdout + upload.stdout})
