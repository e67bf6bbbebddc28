"""No secret in any process's argv during a pip-private install (issue 12): pip itself, the
`pip install` pip runs for build isolation, git, build backends. A thread samples the argv
of every process the test starts (tests/processes.py) while pip-private installs an sdist
whose build dependency comes from the private index (so the nested pip must authenticate
too) and a git dependency, with the tokens in the requirements file's URLs; then the same
with a secret `--proxy`. And where pip's interpreter cannot ask our backend: pip installs
build dependencies in its own process (pip >= 25.2), or pip-private refuses."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.git_server import GitServer
from support.http_proxy import ForwardProxy
from support.pypi_server import PrivateIndex
from support.wheels import build_wheel, source_tree
from tests.conftest import Clients, make_canary
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.processes import ArgvSampler
from tests.venvs import locked_venv

pytestmark = pytest.mark.e2e

USER = "deploy-bot"
NESTED = "__pip-runner__.py install --prefix"  # pip's SubprocessBuildEnvironmentInstaller


def write_sdist(dest: Path, name: str, version: str, requires: list[str]) -> Path:
    """An sdist whose in-tree backend builds offline, needing `requires` to build."""
    module = name.replace("-", "_")
    tree = source_tree(name, version)
    tree["pyproject.toml"] = tree["pyproject.toml"].replace(
        "requires = []", f"requires = {requires!r}".replace("'", '"'))
    tree["PKG-INFO"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    path = dest / f"{module}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for rel, text in tree.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{module}-{version}/{rel}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def index(tmp_path: Path, canary: str, sample_wheels: Path) -> Iterator[PrivateIndex]:
    """The private index: acme-internal, the build dependency and an sdist needing it."""
    root = tmp_path / "packages"
    shutil.copytree(sample_wheels, root)
    build_wheel(root, "acme-build-helper", "1.0.0")
    write_sdist(root, "acme-sdist", "1.0", ["acme-build-helper"])
    with PrivateIndex(root, password=canary, username=USER) as server:
        yield server


@pytest.fixture
def git_token() -> str:
    return make_canary("git")


@pytest.fixture
def git_server(tmp_path: Path, git_token: str) -> Iterator[GitServer]:
    with GitServer(tmp_path / "repos", password=git_token, username=USER) as server:
        server.make_repo("acme-git", source_tree("acme-git", "1.0.0"))
        yield server


def write_requirements(folder: Path, index: PrivateIndex) -> None:
    """acme-sdist from the index, its token written into the index URL."""
    host = index.url.removeprefix("http://")
    (folder / "r.txt").write_text(f"--index-url http://{USER}:${{TOKEN}}@{host}/simple/\n"
                                  "acme-sdist\n")


def run(argv: list[str], env: dict[str, str], cwd: Path, sampler: ArgvSampler
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env={**env, **sampler.env}, capture_output=True,
                          text=True, timeout=300, check=False)


def check_clean(secret: str, result: subprocess.CompletedProcess[str], sampler: ArgvSampler,
                root: Path) -> None:
    assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr,
                                 "argv of every process": sampler.text()}, username=USER)
    assert assert_not_in_files(secret, [root], username=USER) > 0


@pytest.mark.parametrize("mode", ["in-process", "child"])
def test_build_isolation_and_git_keep_every_argv_clean(
        clients: Clients, client_env: dict[str, str], index: PrivateIndex,
        git_server: GitServer, canary: str, git_token: str, tmp_path: Path,
        mode: str) -> None:
    host = index.url.removeprefix("http://")
    git_host = git_server.url.removeprefix("http://")
    (tmp_path / "r.txt").write_text(
        f"--index-url http://{USER}:${{TOKEN}}@{host}/simple/\n"
        "acme-sdist\n"
        f"acme-git @ Git+Http://{USER}:${{GIT_TOKEN}}@{git_host}/acme-git.git\n")
    (tmp_path / "tmp").mkdir()
    env = {**client_env, "TOKEN": canary, "GIT_TOKEN": git_token, "GIT_TERMINAL_PROMPT": "0",
           "TMPDIR": str(tmp_path / "tmp"),
           **({"PIP_PRIVATE_SUBPROCESS": "1"} if mode == "child" else {})}
    with ArgvSampler() as sampler:
        result = run([str(clients.pip_python.parent / "pip-private"), "install",
                      "--target", str(tmp_path / "target"), "-r", "r.txt"], env, tmp_path,
                     sampler)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p.name for p in (tmp_path / "target").iterdir()} >= {"acme_sdist", "acme_git"}
    shown = sampler.text()
    assert NESTED in shown and "acme-build-helper" in shown, "the nested pip was not seen"
    assert "git clone" in shown or "git-remote-http" in shown, "git was not seen"
    # The nested pip authenticated through our backend, from the lifted rule.
    assert any(r.authorized and r.path == "/simple/acme-build-helper/" for r in index.requests)
    for secret in (canary, git_token):
        check_clean(secret, result, sampler, tmp_path)


def test_a_secret_proxy_reaches_the_proxy_and_no_argv(
        clients: Clients, client_env: dict[str, str], index: PrivateIndex, canary: str,
        tmp_path: Path) -> None:
    proxy_token = make_canary("proxy")
    # Under a name only the proxy resolves: pip sends loopback URLs past any proxy.
    port = index.url.rsplit(":", 1)[1]
    (tmp_path / "r.txt").write_text(
        f"--index-url http://{USER}:${{TOKEN}}@index.test:{port}/simple/\n"
        "--trusted-host index.test\nacme-sdist\n")
    env = {**client_env, "TOKEN": canary, "PROXY_TOKEN": proxy_token}
    with ForwardProxy("proxy-user", proxy_token) as proxy, ArgvSampler() as sampler:
        result = run([str(clients.pip_python.parent / "pip-private"), "install", "--proxy",
                      f"http://proxy-user:${{PROXY_TOKEN}}@127.0.0.1:{proxy.port}",
                      "--target", str(tmp_path / "target"), "-r", "r.txt"], env, tmp_path,
                     sampler)
    assert result.returncode == 0, result.stdout + result.stderr
    assert NESTED in sampler.text()
    # pip and the nested pip both went through the proxy, with its credential.
    assert [p for p in proxy.seen if p.url.endswith("/simple/acme-build-helper/")
            and p.authorized]
    for secret in (canary, proxy_token):
        check_clean(secret, result, sampler, tmp_path)


def venv_without_backend(factory: pytest.TempPathFactory, name: str) -> Path:
    """A venv with pip only (requirements/clients/NAME.in): pip there cannot ask our
    backend for anything."""
    return locked_venv(factory, name) / "python"


def test_without_our_backend_pip_installs_build_dependencies_in_its_own_process(
        clients: Clients, client_env: dict[str, str], index: PrivateIndex, canary: str,
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    python = venv_without_backend(tmp_path_factory, "pip-only")
    write_requirements(tmp_path, index)
    env = {**client_env, "TOKEN": canary}
    with ArgvSampler() as sampler:
        result = run([str(clients.pip_python.parent / "pip-private"), "--python", str(python),
                      "install", "--target", str(tmp_path / "target"), "-r", "r.txt"],
                     env, tmp_path, sampler)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--use-feature inprocess-build-deps" in sampler.text()
    assert NESTED not in sampler.text()
    check_clean(canary, result, sampler, tmp_path)


def test_without_our_backend_and_an_older_pip_it_refuses(
        clients: Clients, client_env: dict[str, str], index: PrivateIndex, canary: str,
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    python = venv_without_backend(tmp_path_factory, "pip-old")
    write_requirements(tmp_path, index)
    argv = [str(clients.pip_python.parent / "pip-private"), "--python", str(python),
            "install", "--target", str(tmp_path / "target"), "-r", "r.txt"]
    env = {**client_env, "TOKEN": canary}
    with ArgvSampler() as sampler:
        refused = run(argv, env, tmp_path, sampler)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--index-url" in refused.stderr
    assert "--no-build-isolation" in refused.stderr
    assert index.requests == []  # pip never started
    check_clean(canary, refused, sampler, tmp_path)
    with ArgvSampler() as sampler:  # the user's way out: no isolated build, no nested pip
        allowed = run([*argv, "--no-build-isolation"], env, tmp_path, sampler)
    assert "pip-private: error" not in allowed.stderr
    check_clean(canary, allowed, sampler, tmp_path)
