"""`poetry export` (poetry-plugin-export) through real poetry with our plugin and keyring
backend, against a real pypiserver in 401 mode (issue #12 item 7).

The reproduction: with poetry's keyring enabled (its default), `export --with-credentials`
asked keyring for the source's credential, our backend answered with the resolved token,
and the plugin wrote `--index-url http://user:TOKEN@host/simple` into the file or onto
stdout. Now each source whose credential comes from a rule is written with the rule's
reference (`${ACME_TOKEN}`, `${file:...}`, `${PACKED#pypi}`), the export holds no value,
and pip-private installs from it. Without the flag nothing changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.openbao import OpenBaoServer
from support.pypi_server import PrivateIndex
from tests.conftest import Clients, server_tls
from tests.e2e.test_pip_private import make_job
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import Poetry, poetry_for, write_project

pytestmark = pytest.mark.e2e

USER = "deploy-bot"


def rule(password: str, where: str = "tool.private-packages.credentials",
         binding: str = 'source = "private"') -> str:
    return f'\n[[{where}]]\n{binding}\nusername = "{USER}"\npassword = "{password}"\n'


def locked_project(poetry: Poetry, index: PrivateIndex, root: Path, extra: str,
                   env: dict[str, str]) -> Path:
    project = write_project(root / "app", index.simple_url, dependencies=("acme-internal",),
                            extra=extra)
    poetry.trust(project, env)  # the export is the subject here (test_trust.py: trust)
    poetry.run("lock", cwd=project, env=env)
    return project


def index_line(index: PrivateIndex, userinfo: str = "") -> str:
    scheme, _, host = index.url.partition("://")
    return f"--index-url {scheme}://{userinfo}{host}/simple\n"


def export_and_install(poetry: Poetry, index: PrivateIndex, clients: Clients,
                       client_env: dict[str, str], root: Path, password: str,
                       env: dict[str, str], pip_args: tuple[str, ...] = ()) -> Path:
    """Lock, export with credentials to a file and to stdout, check both hold the reference
    and a plain export holds a bare URL; then pip-private installs from the file."""
    project = locked_project(poetry, index, root, rule(password), env)
    # poetry's keyring is enabled: before the hook, keyring gave the export our token.
    to_file = poetry.run("export", "-f", "requirements.txt", "--with-credentials", "-o",
                         "requirements.txt", cwd=project, env=env)
    exported = (project / "requirements.txt").read_text()
    to_stdout = poetry.run("export", "-f", "requirements.txt", "--with-credentials",
                           cwd=project, env=env)
    expected = index_line(index, f"{USER}:{password}@")
    assert expected in exported and expected in to_stdout.stdout, exported
    assert "acme-internal==1.0.0" in exported and "--hash=sha256:" in exported
    assert "private-packages" not in to_file.stderr + to_stdout.stderr  # no warning
    plain = poetry.run("export", "-f", "requirements.txt", cwd=project, env=env)
    assert index_line(index) in plain.stdout  # without the flag: a bare URL, as always
    assert f"{USER}" not in plain.stdout

    job = make_job(root / "pip", clients, client_env, in_process=True)
    job.env.update({**env, "PRIVATE_PACKAGES_TRUST": "1"})
    shutil.copy(project / "requirements.txt", job.project / "requirements.txt")
    installed = job.run("install", *pip_args, "--target", str(job.root / "target"), "-r",
                        "requirements.txt")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (job.root / "target" / "acme_internal" / "__init__.py").exists()
    authorized = [r for r in index.requests if r.authorized]
    assert authorized and all(r.username == USER for r in authorized)
    for secret in env.values():
        job.assert_clean(secret, installed)
    return project


def test_http_source_writes_the_variable_and_pip_private_installs_from_it(
        poetry: Poetry, clients: Clients, client_env: dict[str, str],
        private_index: PrivateIndex, canary: str, tmp_path: Path, home: Path) -> None:
    """http (loopback): the plugin also writes `--trusted-host user:${ACME_TOKEN}@host`;
    pip-private drops that userinfo, renders the index URL's (percent-encoding the token)
    and installs."""
    project = export_and_install(poetry, private_index, clients, client_env, tmp_path,
                                 "${ACME_TOKEN}", {"ACME_TOKEN": canary})
    host = private_index.url.removeprefix("http://")
    assert f"--trusted-host {USER}:${{ACME_TOKEN}}@{host}\n" in \
        (project / "requirements.txt").read_text()
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0


@pytest.fixture
def https_index(tmp_path: Path, canary: str, sample_wheels: Path,
                certificate: tuple[Path, Path]) -> Iterator[PrivateIndex]:
    shutil.copytree(sample_wheels, tmp_path / "tls-packages")
    with PrivateIndex(tmp_path / "tls-packages", password=canary, username=USER,
                      tls=server_tls(certificate)) as index:
        yield index


@pytest.mark.parametrize("password", ["${file:SECRET_FILE}", "${PACKED#pypi}",
                                      "${vault:secret/ci/pypi#token}"])
def test_https_source_writes_any_reference_and_pip_private_installs_from_it(
        poetry_vault_bin: Path, clients: Clients, client_env: dict[str, str],
        https_index: PrivateIndex, certificate: tuple[Path, Path], bao: OpenBaoServer,
        canary: str, tmp_path: Path, home: Path, password: str) -> None:
    poetry = poetry_for(poetry_vault_bin, client_env, home)
    secrets = tmp_path / "secrets"  # the one place the token is on disk (${file:...})
    secrets.mkdir()
    (secrets / "token").write_text(canary + "\n")
    bao.put_v2("ci/pypi", {"token": canary})
    password = password.replace("SECRET_FILE", str(secrets / "token"))
    env = {"PACKED": json.dumps({"pypi": canary, "other": "x"}), "VAULT_ADDR": bao.addr,
           "VAULT_TOKEN": bao.root_token,
           "POETRY_CERTIFICATES_PRIVATE_CERT": str(certificate[0])}
    project = export_and_install(poetry, https_index, clients, client_env, tmp_path, password,
                                 env, pip_args=("--cert", str(certificate[0])))
    assert "--trusted-host" not in (project / "requirements.txt").read_text()
    for secret in (canary, bao.root_token):
        assert_not_in_texts(secret, poetry.outputs, username=USER)
        assert assert_not_in_files(secret, [project, home], username=USER) > 0


def test_plain_pip_expands_an_upper_case_variable_itself(
        poetry: Poetry, clients: Clients, client_env: dict[str, str], sample_wheels: Path,
        tmp_path: Path, home: Path) -> None:
    """`${NAME}` is pip's own syntax: a plain-token export installs with plain pip."""
    token = "plain0token0" + tmp_path.name[-6:].replace("_", "0")  # no URL-special chars
    shutil.copytree(sample_wheels, tmp_path / "packages")
    with PrivateIndex(tmp_path / "packages", password=token, username=USER) as index:
        env = {"ACME_TOKEN": token}
        project = locked_project(poetry, index, tmp_path, rule("${ACME_TOKEN}"), env)
        poetry.run("export", "-f", "requirements.txt", "--with-credentials", "-o",
                   "requirements.txt", cwd=project, env=env)
        assert index_line(index, f"{USER}:${{ACME_TOKEN}}@") in \
            (project / "requirements.txt").read_text()
        result = subprocess.run(
            [str(clients.pip_python), "-m", "pip", "install", "--no-input", "--target",
             str(tmp_path / "target"), "-r", "requirements.txt"],
            cwd=project, env={**client_env, **env}, capture_output=True, text=True,
            timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        assert any(r.authorized and r.username == USER for r in index.requests)
    assert_not_in_texts(token, poetry.outputs)
    assert assert_not_in_files(token, [project, home]) > 0


@pytest.fixture(scope="module")
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        yield server


@pytest.mark.parametrize(
    ("password", "warning"),
    [
        ("LITERAL", "pyproject.toml [[tool.private-packages.credentials]] #1 is a literal"),
        # a user-file rule may run a command; a requirements file may not
        ("${cmd:mint}", "runs a command (${cmd:...}), which a requirements file may not"),
        ("${PACKED[0]}", "uses a [N] selector, which poetry-plugin-export cannot parse"),
        ("${file:SECRET_FILE}", "holds '/', '?', '#' or '@', which poetry-plugin-export "
         "would cut off in the --trusted-host line of an http source"),
    ],
    ids=["literal", "command", "selector", "http-path"],
)
def test_a_rule_that_cannot_be_written_is_left_out_with_a_warning(
        poetry: Poetry, private_index: PrivateIndex, canary: str, tmp_path: Path,
        home: Path, password: str, warning: str) -> None:
    (tmp_path / "token").write_text(canary)
    (tmp_path / "mint.py").write_text(f"print({canary!r})\n")
    password = password.replace("LITERAL", canary).replace("SECRET_FILE",
                                                          str(tmp_path / "token"))
    extra = rule(password)
    if password == "${cmd:mint}":  # only the user's own file may define and use a command
        extra = ""
        config = home / ".config" / "private-packages" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(rule(password, where="credentials",
                               binding=f'url = "{private_index.url}/"')
                          + f'\n[commands.mint]\nrun = ["python3", "{tmp_path / "mint.py"}"]\n')
    env = {"PACKED": f"{canary};other"}
    project = write_project(tmp_path / "app", private_index.simple_url,
                            dependencies=("acme-internal",), extra=extra)
    poetry.trust(project, env)
    # No lock yet: export runs `poetry lock` first, whose hook hands poetry the rule's value.
    result = poetry.run("export", "-f", "requirements.txt", "--with-credentials", cwd=project,
                        env=env)
    assert "The lock file does not exist. Locking." in result.stderr
    assert index_line(private_index) in result.stdout  # bare
    assert USER not in result.stdout
    assert warning in result.stderr
    assert "exported without credentials" in result.stderr
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project / "poetry.lock"], username=USER) > 0


def test_oldest_poetry_and_export_plugin(poetry_oldest_bin: Path, client_env: dict[str, str],
                                         private_index: PrivateIndex, canary: str,
                                         tmp_path: Path, home: Path) -> None:
    """poetry 2.0.0 with poetry-plugin-export 1.9.0, the first release for poetry 2."""
    poetry = poetry_for(poetry_oldest_bin, client_env, home)
    env = {"ACME_TOKEN": canary}
    project = locked_project(poetry, private_index, tmp_path, rule("${ACME_TOKEN}"), env)
    result = poetry.run("export", "-f", "requirements.txt", "--with-credentials", cwd=project,
                        env=env)
    assert index_line(private_index, f"{USER}:${{ACME_TOKEN}}@") in result.stdout
    assert_not_in_texts(canary, poetry.outputs, username=USER)
    assert assert_not_in_files(canary, [project, home], username=USER) > 0
