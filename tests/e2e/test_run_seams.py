"""`private-packages run` plans from the configuration the tool itself reads (attack round
3, findings 2, 3 and 5, and twine's abbreviated options). uv's and poetry's variables bind
a NAME (`UV_INDEX_CORP_*`, `POETRY_HTTP_BASIC_CORP_*`), so `run` must see every index or
repository that name could mean to the tool.

The victim: a user-layer rule (env-defined: trust never withholds it) binds the good index
on 127.0.0.2, and the user's own uv.toml / poetry config.toml names it `corp`. A cloned,
untrusted project names its own `corp` on 127.0.0.3 and reaches the tool by a road `run`
once did not follow. Both servers log every request (401 for everything); the evil one must
see no form of the token, and neither may the outputs nor any file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

import pytest

from support.evil_server import EvilServer
from support.wheels import build_wheel
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import write_project
from tests.venvs import BIN, locked_venv

pytestmark = pytest.mark.e2e

USER = "deploy-bot"
PP, UV = BIN / "private-packages", BIN / "uv"
UV_PROJECT = """\
[project]
name = "{name}"
version = "0"
requires-python = ">=3.9"
dependencies = ["{dependency}"]
"""


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    path = tmp_path / "cloned"
    (path / ".git").mkdir(parents=True)
    return path


@pytest.fixture
def env(client_env: dict[str, str], good: EvilServer, canary: str) -> dict[str, str]:
    """The rule for the good index, and the user's uv.toml naming it `corp`."""
    env = {k: v for k, v in client_env.items() if k != "UV_NO_CONFIG"}
    env.update({"ACME_TOKEN": canary, "PRIVATE_PACKAGES_ACME_URL": good.url + "/",
                "PRIVATE_PACKAGES_ACME_USERNAME": USER,
                "PRIVATE_PACKAGES_ACME_PASSWORD": "${ACME_TOKEN}",
                "PIP_NO_INPUT": "1", "UV_PYTHON_DOWNLOADS": "never"})
    uv_config = Path(env["XDG_CONFIG_HOME"]) / "uv"
    uv_config.mkdir(parents=True, exist_ok=True)
    (uv_config / "uv.toml").write_text(f'[[index]]\nname = "corp"\nurl = "{good.url}/simple/"\n')
    return env


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PP), "run", "--", *argv], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=180, check=False,
                          stdin=subprocess.DEVNULL)


def assert_kept(canary: str, result: subprocess.CompletedProcess[str], evil: EvilServer,
                root: Path, *, asked: bool = True) -> None:
    """`asked`: the tool reached the evil index (it does when it has no credential)."""
    assert evil.requests or not asked, "the tool never asked the evil index:\n" + result.stderr
    assert not evil.saw(canary, USER), "the user's credential reached the evil index"
    assert_not_in_texts(canary, {"output": result.stdout + result.stderr}, username=USER)
    assert assert_not_in_files(canary, [root], username=USER) > 0


def uv_index(name: str, url: str, table: str = "tool.uv.index") -> str:
    return f'\n[[{table}]]\nname = "{name}"\nurl = "{url}/simple/"\n'


# Each: write the clone (its `corp` at EVIL), return (argv, cwd, extra environment).
Scenario = Callable[[Path, Path, str], tuple[list[str], Path, dict[str, str]]]


def _pyproject(clone: Path, evil: str) -> None:
    (clone / "pyproject.toml").write_text(UV_PROJECT.format(name="x", dependency="somepkg")
                                          + uv_index("corp", evil))


def directory_option(clone: Path, elsewhere: Path, evil: str
                     ) -> tuple[list[str], Path, dict[str, str]]:
    _pyproject(clone, evil)
    return [str(UV), "--directory", str(clone), "lock"], elsewhere, {}


def project_option(clone: Path, elsewhere: Path, evil: str
                   ) -> tuple[list[str], Path, dict[str, str]]:
    _pyproject(clone, evil)
    return [str(UV), "lock", "--project", str(clone)], elsewhere, {}


def project_variable(clone: Path, elsewhere: Path, evil: str
                     ) -> tuple[list[str], Path, dict[str, str]]:
    _pyproject(clone, evil)
    return [str(UV), "lock"], elsewhere, {"UV_PROJECT": str(clone)}


def working_dir_variable(clone: Path, elsewhere: Path, evil: str
                         ) -> tuple[list[str], Path, dict[str, str]]:
    _pyproject(clone, evil)
    return [str(UV), "lock"], elsewhere, {"UV_WORKING_DIR": str(clone)}


def workspace_member(clone: Path, elsewhere: Path, evil: str
                     ) -> tuple[list[str], Path, dict[str, str]]:
    """uv reads the workspace root's indexes in a member; the member has none."""
    (clone / "pyproject.toml").write_text(
        UV_PROJECT.format(name="x", dependency="member") + uv_index("corp", evil)
        + '\n[tool.uv.workspace]\nmembers = ["member"]\n\n[tool.uv.sources]\n'
          "member = { workspace = true }\n")
    (clone / "member").mkdir()
    (clone / "member" / "pyproject.toml").write_text(
        UV_PROJECT.format(name="member", dependency="somepkg"))
    return [str(UV), "lock"], clone / "member", {}


def uv_toml_alone(clone: Path, elsewhere: Path, evil: str
                  ) -> tuple[list[str], Path, dict[str, str]]:
    (clone / "uv.toml").write_text(uv_index("corp", evil, "index"))
    return [str(UV), "pip", "install", "--dry-run", "--python", str(BIN / "python"),
            "somepkg"], clone, {}


def parent_uv_toml(clone: Path, elsewhere: Path, evil: str
                   ) -> tuple[list[str], Path, dict[str, str]]:
    """A uv.toml above a pyproject.toml without [tool.uv]: uv reads the parent's."""
    (clone / "uv.toml").write_text(uv_index("corp", evil, "index"))
    (clone / "app").mkdir()
    (clone / "app" / "pyproject.toml").write_text(UV_PROJECT.format(name="x",
                                                                    dependency="somepkg"))
    return [str(UV), "lock"], clone / "app", {}


def inline_script(clone: Path, elsewhere: Path, evil: str
                  ) -> tuple[list[str], Path, dict[str, str]]:
    """A script's own metadata (PEP 723) names its index `corp`."""
    body = UV_PROJECT.format(name="x", dependency="somepkg").split("\n", 3)[3]
    metadata = "".join(f"# {line}\n" if line else "#\n" for line in (
        body + uv_index("corp", evil)).splitlines())
    (clone / "tool.py").write_text(f"# /// script\n{metadata}# ///\nprint('hi')\n")
    return [str(UV), "run", "--no-project", "tool.py"], clone, {}


@pytest.mark.parametrize("scenario", [
    directory_option, project_option, project_variable, working_dir_variable,
    workspace_member, uv_toml_alone, parent_uv_toml, inline_script])
def test_uv_index_names_run_did_not_see(scenario: Scenario, env: dict[str, str],
                                        evil: EvilServer, clone: Path, canary: str,
                                        tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    argv, cwd, extra = scenario(clone, tmp_path / "elsewhere", evil.url)
    result = run(argv, cwd, {**env, **extra})
    assert "share UV_INDEX_CORP_*" in result.stderr, result.stderr
    assert_kept(canary, result, evil, tmp_path)


def test_uv_member_of_the_users_own_workspace_still_gets_it(
        env: dict[str, str], good: EvilServer, clone: Path, canary: str) -> None:
    """Control: the root's `corp` is the good index, so a member's `uv lock` gets it."""
    workspace_member(clone, clone, good.url)
    result = run([str(UV), "lock"], clone / "member", env)
    assert "UV_INDEX_CORP" not in result.stderr, result.stderr
    assert good.saw(canary, USER), result.stderr


# ------------------------------------------------------------------- poetry (no plugin)

@pytest.fixture
def poetry_env(env: dict[str, str], good: EvilServer,
               tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """poetry without the plugin; the user's config.toml names the good index `corp`."""
    home = Path(env["HOME"])
    poetry_env = {**env, "PATH": f"{locked_venv(tmp_path_factory, 'run-poetry')}:/usr/bin:/bin",
                  "POETRY_CONFIG_DIR": str(home / "poetry-config"),
                  "POETRY_CACHE_DIR": str(home / "poetry-cache"),
                  "POETRY_DATA_DIR": str(home / "poetry-data"),
                  "POETRY_VIRTUALENVS_IN_PROJECT": "true"}
    (home / "poetry-config").mkdir()
    (home / "poetry-config" / "config.toml").write_text(
        f'[repositories.corp]\nurl = "{good.url}/legacy/"\n')
    return poetry_env


@pytest.mark.clients
@pytest.mark.parametrize("option", ["-C", "--project"])
def test_poetry_directory_and_project_options(option: str, poetry_env: dict[str, str],
                                              evil: EvilServer, clone: Path, canary: str,
                                              tmp_path: Path) -> None:
    write_project(clone, evil.url + "/simple/", source="corp", dependencies=("somepkg",))
    result = run(["poetry", option, str(clone), "lock"], tmp_path, poetry_env)
    assert "share POETRY_HTTP_BASIC_CORP_*" in result.stderr, result.stderr
    assert_kept(canary, result, evil, tmp_path)


@pytest.mark.clients
def test_poetry_publish_to_a_repository_of_the_projects_poetry_toml(
        poetry_env: dict[str, str], evil: EvilServer, clone: Path, canary: str,
        tmp_path: Path) -> None:
    write_project(clone, "https://pypi.org/simple/", source="other", package_mode=True)
    (clone / "app").mkdir()
    (clone / "app" / "__init__.py").write_text("")
    (clone / "poetry.toml").write_text(f'[repositories.corp]\nurl = "{evil.url}/legacy/"\n')
    build_wheel(clone / "dist", "app", "0.1.0")
    result = run(["poetry", "publish", "-r", "corp", "--no-interaction"], clone, poetry_env)
    assert "share POETRY_HTTP_BASIC_CORP_*" in result.stderr, result.stderr
    assert_kept(canary, result, evil, tmp_path)


@pytest.mark.clients
def test_poetry_source_name_that_is_no_variable_name(
        poetry_env: dict[str, str], good: EvilServer, clone: Path, canary: str,
        tmp_path: Path) -> None:
    """Finding 5: `a=b` would make the environment unbuildable; one warning, no traceback,
    and poetry runs (without that credential)."""
    write_project(clone, good.url + "/simple/", source="a=b", dependencies=("somepkg",))
    result = run(["poetry", "lock"], clone, poetry_env)
    assert "Traceback" not in result.stderr, result.stderr
    assert "private-packages: warning: not setting POETRY_HTTP_BASIC_A=B_USERNAME for " \
           "poetry source 'a=b'" in result.stderr
    assert good.requests and not good.saw(canary, USER)  # poetry ran, with nothing of ours
    assert_not_in_texts(canary, {"output": result.stdout + result.stderr}, username=USER)


# -------------------------------------------------------------- twine's abbreviations

@pytest.mark.parametrize("option", ["--repository-ur", "--repository-u"])
def test_twine_abbreviated_repository_url(option: str, env: dict[str, str],
                                          good: EvilServer, evil: EvilServer, canary: str,
                                          tmp_path: Path) -> None:
    """twine (argparse) reads `--repository-ur URL` as `--repository-url URL`, which wins
    over `-r corp` (the good index in .pypirc): run must read it so too."""
    (Path(env["HOME"]) / ".pypirc").write_text(f"[corp]\nrepository = {good.url}/legacy/\n")
    wheel = build_wheel(tmp_path / "dist", "acme-two", "1.0.0")
    result = run([str(BIN / "twine"), "upload", "--non-interactive", "-r", "corp", option,
                  evil.url + "/legacy/", str(wheel)], tmp_path, env)
    # Without a credential twine stops before it uploads; with the good one it went to EVIL.
    assert "Credential not found for username" in result.stdout, result.stdout
    assert_kept(canary, result, evil, tmp_path, asked=False)
