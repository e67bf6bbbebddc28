"""`poetry source auth`, `poetry source login` and `poetry source logout` through real poetry
(newest 2.x with our wheel as a plugin) against a real pypiserver on 127.0.0.1.

auth writes a reference, never a token: the rule it writes is what `poetry lock` and
`poetry install` then authenticate with (keyring disabled, so only the plugin's hook can
supply the credential). login stores the piped token in the system secret store -- here
its test double (support/double_keyring.py, "secure" by keyring's rules, found by keyring's
chainer beside our backend and keyrings.alt's PlaintextKeyring, as on a desktop) -- and
writes the user-file rule that reads it back; the token is then in that store and nowhere
else -- not in any output, the project, the user config, poetry's own dirs or keyrings.alt's
plaintext file. logout removes both. tests/e2e/test_poetry_login_refusal.py covers the
keyrings login refuses.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from support.pypi_server import PrivateIndex
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import DOUBLE_KEYRING_DIR, Poetry, write_project
from tests.terminal import read_pty

pytestmark = pytest.mark.e2e

USER = "deploy-bot"
NO_KEYRING = {"POETRY_KEYRING_ENABLED": "false"}
DOUBLE = "pp_double_keyring.DoubleSecretStore"

MESSY_TAIL = """
# --- team settings: keep these comments ---
[tool.black]
line-length    =   99      # wide screens
skip-string-normalization = true

[tool.private-packages.vault]   # vault for CI
addr = 'https://vault.example.com'
"""


def user_file(home: Path) -> Path:
    return home / ".config" / "private-packages" / "config.toml"


def keyring_file(home: Path) -> Path:
    """keyrings.alt's PlaintextKeyring file: login must never write it."""
    return home / ".local" / "share" / "python_keyring" / "keyring_pass.cfg"


def secret_store(home: Path) -> dict[str, str]:
    """The environment that switches on the secret-store test double, kept under HOME."""
    return {DOUBLE_KEYRING_DIR: str(home / "secret-store")}


def stored(home: Path) -> str:
    """What the secret-store double holds (its JSON file)."""
    return (home / "secret-store" / "entries.json").read_text()


def app(tmp_path: Path, index: PrivateIndex, extra: str = "") -> Path:
    return write_project(tmp_path / "app", index.simple_url, dependencies=("acme-internal",),
                         extra=extra)


def out(result: object) -> str:
    return f"{getattr(result, 'stdout', '')}{getattr(result, 'stderr', '')}"


def assert_lock_and_install_authenticate(poetry: Poetry, project: Path, index: PrivateIndex,
                                         env: dict[str, str]) -> None:
    for command in ("lock", "install"):
        poetry.run(command, "-vvv", cwd=project, env=env)
    assert 'name = "acme-internal"' in (project / "poetry.lock").read_text()
    assert list(project.glob(".venv/lib/python*/site-packages/acme_internal/__init__.py"))
    authorized = [r for r in index.requests if r.authorized]
    assert "/simple/acme-internal/" in {r.path for r in authorized}
    assert all(r.username == USER for r in authorized)


def test_auth_token_env_then_lock_and_install_authenticate(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    project = app(tmp_path, private_index)
    result = poetry.run("source", "auth", "private", "--token-env", "ACME_TOKEN",
                        "--username", USER, cwd=project)
    assert (f"Added [[tool.private-packages.credentials]] for source private in "
            f"{project / 'pyproject.toml'}: username deploy-bot, password ${{ACME_TOKEN}}"
            in result.stdout)
    assert ('[[tool.private-packages.credentials]]\nsource = "private"\n'
            'username = "deploy-bot"\npassword = "${ACME_TOKEN}"\n'
            in (project / "pyproject.toml").read_text())

    assert_lock_and_install_authenticate(poetry, project, private_index,
                                         {**NO_KEYRING, "ACME_TOKEN": canary})
    assert not (poetry.config_dir / "auth.toml").exists()
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [tmp_path, home], username=USER) > 0


def test_auth_global_writes_a_private_user_file(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path, home: Path) -> None:
    project = app(tmp_path, private_index)
    before = (project / "pyproject.toml").read_bytes()
    result = poetry.run("source", "auth", "private", "--global", "--vault",
                        "secret/ci/pypi#token", cwd=project)
    path = user_file(home)
    prefix = f"{private_index.url}/"  # the source's URL minus /simple: never its name
    assert f"Added [[credentials]] for source private (url {prefix}) in {path}" in result.stdout
    assert path.read_text() == (f'[[credentials]]\nurl = "{prefix}"\nusername = "__token__"\n'
                                'password = "${vault:secret/ci/pypi#token}"\n')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert (project / "pyproject.toml").read_bytes() == before


def test_auth_unknown_source_exits_2_naming_the_known_ones(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path, home: Path) -> None:
    project = app(tmp_path, private_index)
    before = (project / "pyproject.toml").read_bytes()
    for extra in ((), ("--global",)):
        result = poetry.run("source", "auth", "privat", "--token-env", "ACME_TOKEN", *extra,
                            cwd=project, check=False)
        assert result.returncode == 2, out(result)
        assert "no source named 'privat'" in result.stderr
        assert "(known: private)" in result.stderr
    assert (project / "pyproject.toml").read_bytes() == before
    assert not user_file(home).exists()
    usage = poetry.run("source", "auth", "private", "--token-env", "A", "--vault", "p#f",
                       cwd=project, check=False)
    assert usage.returncode == 2
    assert "Give exactly one of --password" in usage.stderr


def test_literal_is_refused_then_written_with_a_warning(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path) -> None:
    project = app(tmp_path, private_index)
    before = (project / "pyproject.toml").read_bytes()
    refused = poetry.run("source", "auth", "private", "--password", canary, cwd=project,
                         check=False)
    assert refused.returncode == 2
    assert "holds no ${...} reference" in refused.stderr
    assert (project / "pyproject.toml").read_bytes() == before

    allowed = poetry.run("source", "auth", "private", "--password", canary, "--allow-literal",
                         cwd=project)
    assert "password ****" in allowed.stdout
    assert "pyproject.toml, which is committed" in allowed.stderr
    assert canary in (project / "pyproject.toml").read_text()  # what --allow-literal means
    assert_not_in_texts(canary, poetry.outputs)  # ...but it is never echoed


def test_comments_survive_and_a_second_auth_updates_in_place(
        poetry: Poetry, private_index: PrivateIndex, tmp_path: Path) -> None:
    project = app(tmp_path, private_index, extra=MESSY_TAIL)
    path = project / "pyproject.toml"
    original = path.read_text()
    poetry.run("source", "auth", "private", "--token-env", "ACME_TOKEN", "-u", USER,
               cwd=project)
    first = path.read_text()
    # Every byte that was there stays; the rule is one block after the last tool table.
    assert first == original + ('\n[[tool.private-packages.credentials]]\nsource = "private"\n'
                                'username = "deploy-bot"\npassword = "${ACME_TOKEN}"\n')
    updated = poetry.run("source", "auth", "private", "--vault", "secret/ci/pypi#token",
                         cwd=project)
    assert "Updated [[tool.private-packages.credentials]]" in updated.stdout
    assert "username deploy-bot" in updated.stdout  # kept from the existing rule
    second = path.read_text()
    assert second == first.replace("${ACME_TOKEN}", "${vault:secret/ci/pypi#token}")
    assert poetry.run("lock", "--help", cwd=project).returncode == 0  # poetry still reads it

    refused = poetry.run("source", "auth", "private", "--password", "${cmd:aws}",
                         cwd=project, check=False)
    assert refused.returncode == 2
    assert "only honoured from your user config" in refused.stderr
    assert path.read_text() == second


def test_login_lock_logout_with_a_file_keyring(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    project = app(tmp_path, private_index)
    env = {**secret_store(home), **NO_KEYRING}
    login = poetry.run("source", "login", "private", "--username", USER, cwd=project,
                       input=canary + "\n", env=env)
    service = f"{private_index.url}/"
    reference = f"${{keyring:{service}#{USER}}}"
    assert f"in keyring backend {DOUBLE} (service {service}, username {USER})" in login.stdout
    assert f"password = {reference}" in login.stdout
    assert user_file(home).read_text() == (
        f'[[credentials]]\nurl = "{service}"\nusername = "{USER}"\npassword = "{reference}"\n')
    # The secret store (its double keeps JSON) is the one place; keyrings.alt's plaintext
    # file, also in keyring's chain, got nothing.
    assert json.loads(stored(home)) == {service: {USER: canary}}
    assert not keyring_file(home).exists()

    assert_lock_and_install_authenticate(poetry, project, private_index, env)
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    store_file = home / "secret-store" / "entries.json"
    elsewhere = [Path(d) / f for d, _, files in os.walk(tmp_path) for f in files
                 if Path(d) / f != store_file]
    assert assert_not_in_files(canary, elsewhere, username=USER) > 0

    logout = poetry.run("source", "logout", "private", cwd=project, env=env)
    assert f"Deleted the token for source private from the keyring (service {service}, " \
           f"username {USER})" in logout.stdout
    assert "Removed the rule login added" in logout.stdout
    assert not user_file(home).read_text().strip()
    assert json.loads(stored(home)) == {service: {}}
    assert_not_in_files(canary, [home], username=USER)
    again = poetry.run("source", "logout", "private", cwd=project, env=env)
    assert "nothing to delete" in again.stdout


def test_login_refuses_an_empty_token_and_names_a_project_rule(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    project = app(tmp_path, private_index, extra='\n[[tool.private-packages.credentials]]\n'
                                                'source = "private"\npassword = "${ACME}"\n')
    empty = poetry.run("source", "login", "private", cwd=project, input="\n",
                       env=secret_store(home), check=False)
    assert empty.returncode == 2
    assert "no token given" in empty.stderr
    assert not user_file(home).exists()
    assert not (home / "secret-store").exists()
    assert not keyring_file(home).exists()

    login = poetry.run("source", "login", "private", cwd=project, input=canary,
                       env=secret_store(home))
    assert "has its own rule for private (password ${ACME}): it takes precedence" in \
        login.stderr
    assert_not_in_texts(canary, poetry.outputs)


def test_auth_preset_adds_the_source_and_rule_then_add_authenticates(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    """`--preset pypiserver --host 127.0.0.1:PORT`: no URL typed, the source and the rule
    written, and `poetry add` authenticates from the env secret with keyring disabled."""
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0.1.0"\n'
                                            'requires-python = ">=3.9"\ndependencies = []\n\n'
                                            "[tool.poetry]\npackage-mode = false\n")
    host = private_index.url.removeprefix("http://")
    result = poetry.run("source", "auth", "private", "--preset", "pypiserver", "--host", host,
                        "--token-env", "ACME_TOKEN", "--username", USER, cwd=project)
    assert f"Added source private: {private_index.url}/simple/" in result.stdout
    text = (project / "pyproject.toml").read_text()
    assert f'url = "{private_index.url}"\nusername = "deploy-bot"\n' in text
    assert 'password = "${ACME_TOKEN}"' in text
    env = {**NO_KEYRING, "ACME_TOKEN": canary}
    poetry.run("add", "--source", "private", "acme-internal", "-vvv", cwd=project, env=env)
    assert 'name = "acme-internal"' in (project / "poetry.lock").read_text()
    assert any(r.authorized and r.username == USER for r in private_index.requests)
    wrong = poetry.run("source", "auth", "other", "--preset", "gitlab", "--host",
                       "gitlab.example.com", cwd=project, check=False)
    assert wrong.returncode == 2
    assert "missing" in wrong.stderr and len(wrong.stderr.strip().splitlines()) == 1
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0


def test_a_user_rule_never_follows_a_source_name_to_another_host(
        poetry: Poetry, private_index: PrivateIndex, canary: str, sample_wheels: Path,
        tmp_path: Path, home: Path) -> None:
    """Project B (cloned, untrusted) calls its source "private" too, on another host that
    would accept the token. A by-name rule an older `auth --global` wrote is refused (one
    warning in B's lock, nothing sent); `auth --global` in project A rebinds it to A's URL,
    A's lock and install authenticate, and B's host still never sees a credential."""
    project_a = app(tmp_path, private_index)
    shutil.copytree(sample_wheels, tmp_path / "other-packages")
    env = {**NO_KEYRING, "ACME_TOKEN": canary}
    with PrivateIndex(tmp_path / "other-packages", password=canary) as other:
        project_b = write_project(tmp_path / "cloned", other.simple_url,
                                  dependencies=("acme-internal",))
        path = user_file(home)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'[[credentials]]\nsource = "private"\nusername = "{USER}"\n'
                        'password = "${ACME_TOKEN}"\n')
        refused = poetry.run("lock", cwd=project_b, env=env, check=False)
        assert (f"private-packages: {path} [[credentials]] #1: a user-file rule must bind a "
                "url: a project's source of that name could point anywhere; write url = "
                f'"{other.url}/" if this project\'s \'private\' is the index it is for'
                in refused.stderr)
        assert other.requests, out(refused)  # B's host was asked...
        assert not any(r.username is not None for r in other.requests)  # ...with nothing

        rebound = poetry.run("source", "auth", "private", "--global", "--token-env",
                             "ACME_TOKEN", cwd=project_a)
        assert ("Replaced the rule bound by name (source = private, password ${ACME_TOKEN})"
                in rebound.stdout)
        assert path.read_text() == (f'[[credentials]]\nurl = "{private_index.url}/"\n'
                                    f'username = "{USER}"\npassword = "${{ACME_TOKEN}}"\n')
        assert_lock_and_install_authenticate(poetry, project_a, private_index, env)

        asked = len(other.requests)
        again = poetry.run("lock", cwd=project_b, env=env, check=False)
        assert again.returncode != 0  # B's host wants a credential nobody gives it
        assert "private-packages:" not in again.stderr
        assert len(other.requests) > asked
        assert not any(r.username is not None for r in other.requests)
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project_a, project_b], username=USER) > 0


def test_login_on_a_terminal_never_echoes_the_token(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path) -> None:
    """stdin, stdout and stderr on a real pseudo-terminal, with -n (and
    POETRY_NO_INTERACTION): the token typed at the prompt never shows on the terminal."""
    project = app(tmp_path, private_index)
    master, slave = os.openpty()
    child = subprocess.Popen(
        [str(poetry.bin / "poetry"), "source", "login", "private", "-n", "--username", USER,
         "--no-ansi"], cwd=project, env={**poetry.env, **secret_store(home)}, stdin=slave,
        stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        seen = bytearray()
        read_pty(master, seen, b"Token for source private: ")
        os.write(master, canary.encode() + b"\n")
        read_pty(master, seen)
        assert child.wait(timeout=120) == 0, bytes(seen)
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
    shown = seen.decode("utf-8", "replace")
    assert f"Stored the token for source private in keyring backend {DOUBLE}" in shown
    assert_not_in_texts(canary, {"terminal": shown}, username=USER)
    assert canary in stored(home)
    assert not keyring_file(home).exists()
