"""`private-packages run` reads the configuration the tool itself will read (attack round 3):
which files uv may take an index NAME from, poetry's and pdm's project and config options,
hatch's config, twine's and pdm's abbreviated options, and variable names a project chose
that no environment can hold. The end-to-end proof is tests/e2e/test_run_seams.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pip_hook.anytool.plan import usable_name
from pip_hook.anytool.tools import identify, spell_out
from pip_hook.anytool.uv_files import script_metadata, uv_config_files
from tests.conftest import make_canary
from tests.unit.test_anytool import planned, rule_env

GOOD = "https://pkgs.example.com/simple/"
EVIL = "https://evil.example.com/simple/"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/uv.toml; root/ws (a workspace root) / member; root/other; /elsewhere."""
    for directory in ("ws/member", "other", "elsewhere"):
        (tmp_path / directory).mkdir(parents=True)
    (tmp_path / "uv.toml").write_text("")
    (tmp_path / "ws" / "pyproject.toml").write_text("[tool.uv.workspace]\n")
    (tmp_path / "ws" / "member" / "pyproject.toml").write_text("")
    (tmp_path / "other" / "script.py").write_text("")
    return tmp_path


@pytest.mark.parametrize(("argv", "env", "cwd", "read"), [
    (["uv", "lock"], {}, "ws/member", "ws/pyproject.toml"),  # the workspace root
    (["uv", "lock"], {}, "ws/member", "uv.toml"),  # a parent's uv.toml
    (["uv", "--directory", "../ws", "lock"], {}, "elsewhere", "ws/pyproject.toml"),
    (["uv", "lock", "--project=../ws"], {}, "elsewhere", "ws/pyproject.toml"),
    (["uv", "lock"], {"UV_PROJECT": "../ws"}, "elsewhere", "ws/pyproject.toml"),
    (["uv", "lock"], {"UV_WORKING_DIR": "../ws"}, "elsewhere", "ws/pyproject.toml"),
    (["uv", "--directory", "/x", "lock", "--project", "../ws"], {"UV_WORKING_DIR": "../x"},
     "elsewhere", "ws/pyproject.toml"),  # --directory may be a word of another command
    (["uv", "lock", "--config-file", "c.toml"], {}, "elsewhere", "elsewhere/c.toml"),
    (["uv", "lock"], {"UV_CONFIG_FILE": "c.toml", "UV_NO_CONFIG": "1"}, "elsewhere",
     "elsewhere/c.toml"),
    (["uv", "lock"], {"XDG_CONFIG_HOME": "/home/u/.config"}, "elsewhere",
     "/home/u/.config/uv/uv.toml"),
    (["uv", "lock"], {"XDG_CONFIG_DIRS": "/opt/a:/opt/b"}, "elsewhere", "/opt/b/uv/uv.toml"),
    (["uv", "run", "--with", "x", "script.py"], {}, "other", "other/script.py"),
    (["uv", "lock", "--script", "../other/script.py"], {}, "ws", "other/script.py"),
])
def test_uv_reads_every_file_uv_may_read(tree: Path, argv: list[str], env: dict[str, str],
                                         cwd: str, read: str) -> None:
    files = uv_config_files(identify(argv), tree / cwd, {"HOME": "/home/u", **env})
    assert files is not None
    assert os.path.normpath(tree / read) in {os.path.normpath(f.path) for f in files}


@pytest.mark.parametrize(("argv", "env", "skipped"), [
    (["uv", "lock"], {"UV_NO_CONFIG": "true"}, "uv.toml"),
    (["uv", "lock"], {"UV_NO_CONFIG": "1"}, "/home/u/.config/uv/uv.toml"),
])
def test_no_config_skips_uv_toml_files_only(tree: Path, argv: list[str], env: dict[str, str],
                                            skipped: str) -> None:
    files = uv_config_files(identify(argv), tree / "ws" / "member", {"HOME": "/home/u", **env},
                            no_config=False)
    assert files is not None
    paths = {f.path for f in files}
    assert tree / skipped not in paths and Path(skipped) not in paths
    assert tree / "ws" / "pyproject.toml" in paths  # the workspace's indexes: still read


@pytest.mark.parametrize("argv", [["uv", "run", "-"], ["uv", "run", "https://e.example/x.py"],
                                  ["uv", "lock", "--script", "-"]])
def test_uv_script_it_cannot_read_first_gets_no_named_variable(tmp_path: Path,
                                                               argv: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[[tool.uv.index]]\nname = "acme"\nurl = "{GOOD}"\n')
    plan = planned(argv, rule_env(make_canary()), tmp_path)
    assert plan.variables == {}
    assert plan.warnings == ["uv may read a script from stdin or a URL, whose indexes run "
                             "cannot see first; not setting UV_INDEX_<NAME>_* (save the "
                             "script to a file)"]
    index_value = planned(["uv", "run", "--index", GOOD, "x.py"], rule_env(make_canary()),
                          tmp_path)
    assert "UV_INDEX_ACME_PASSWORD" in index_value.variables  # an option's URL: no script


def test_script_metadata(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text('# /// script\n# dependencies = []\n#\n# [[tool.uv.index]]\n'
                      f'# name = "corp"\n# url = "{EVIL}"\n# ///\nprint(1)\n')
    assert script_metadata(script)["tool"]["uv"]["index"] == [{"name": "corp", "url": EVIL}]
    script.write_text("# /// pyproject\n# x = 1\n# ///\n")
    assert script_metadata(script) == {}


def test_uv_script_index_competes_for_its_name(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[[tool.uv.index]]\nname = "corp"\nurl = "{GOOD}"\n')
    (tmp_path / "s.py").write_text(f'# /// script\n# [[tool.uv.index]]\n# name = "corp"\n'
                                   f'# url = "{EVIL}"\n# ///\n')
    plan = planned(["uv", "run", "s.py"], rule_env(make_canary()), tmp_path)
    assert plan.variables == {} and "share UV_INDEX_CORP_*" in plan.warnings[0]


def test_uv_publish_index_with_two_publish_urls(tmp_path: Path) -> None:
    env = rule_env(make_canary(), url="https://upload.example.com/")
    (tmp_path / "uv.toml").write_text(
        '[[index]]\nname = "corp"\nurl = "https://x.example.com/simple/"\n'
        'publish-url = "https://evil.example.com/legacy/"\n')
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.uv.index]]\nname = "corp"\nurl = "https://x.example.com/simple/"\n'
        'publish-url = "https://upload.example.com/legacy/"\n')
    plan = planned(["uv", "publish", "--index", "corp"], env, tmp_path)
    assert plan.variables == {}
    assert "corp have different publish URLs" in plan.warnings[0]


# ---------------------------------------------------------------------------------- poetry

def poetry_sources(directory: Path, name: str, url: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(
        f'[[tool.poetry.source]]\nname = "{name}"\nurl = "{url}"\n')
    return directory


@pytest.mark.parametrize("argv", [
    ["poetry", "-C", "../clone", "lock"], ["poetry", "lock", "--directory=../clone"],
    ["poetry", "-P", "clone", "install"], ["poetry", "--project", "../clone/sub", "lock"],
])
def test_poetry_reads_the_project_it_is_pointed_at(tmp_path: Path, argv: list[str]) -> None:
    """`-C` moves poetry, `-P` names the project from there; poetry looks upward."""
    user = tmp_path / "user"
    (user / "pypoetry").mkdir(parents=True)
    (user / "pypoetry" / "config.toml").write_text(f'[repositories.corp]\nurl = "{GOOD}"\n')
    poetry_sources(tmp_path / "clone", "corp", EVIL)
    (tmp_path / "clone" / "sub").mkdir()
    cwd = tmp_path if argv[1] == "-P" else (tmp_path / "here")
    cwd.mkdir(exist_ok=True)
    plan = planned(argv, {**rule_env(make_canary()), "XDG_CONFIG_HOME": str(user)}, cwd)
    assert plan.variables == {}
    assert "share POETRY_HTTP_BASIC_CORP_*" in plan.warnings[0]


def test_poetry_toml_repositories_compete_for_a_name(tmp_path: Path) -> None:
    project = poetry_sources(tmp_path, "other", "https://pypi.org/simple/")
    user = tmp_path / "user"
    (user / "pypoetry").mkdir(parents=True)
    (user / "pypoetry" / "config.toml").write_text(f'[repositories.corp]\nurl = "{GOOD}"\n')
    env = {**rule_env(make_canary()), "XDG_CONFIG_HOME": str(user)}
    assert sorted(planned(["poetry", "publish", "-r", "corp"], env, project).variables) == [
        "POETRY_HTTP_BASIC_CORP_PASSWORD", "POETRY_HTTP_BASIC_CORP_USERNAME"]
    (project / "poetry.toml").write_text(f'[repositories.corp]\nurl = "{EVIL}"\n')
    plan = planned(["poetry", "publish", "-r", "corp"], env, project)
    assert plan.variables == {} and "share POETRY_HTTP_BASIC_CORP_*" in plan.warnings[0]


def test_poetry_short_option_cluster_that_may_hold_c_or_p(tmp_path: Path) -> None:
    poetry_sources(tmp_path, "acme", GOOD)
    plan = planned(["poetry", "-nC/elsewhere", "lock"], rule_env(make_canary()), tmp_path)
    assert plan.variables == {} and "-C or -P" in plan.warnings[0]
    assert planned(["poetry", "-vvv", "lock"], rule_env(make_canary()), tmp_path).variables


@pytest.mark.parametrize(("name", "usable"), [
    ("POETRY_HTTP_BASIC_ACME_X", True), ("POETRY_HTTP_BASIC_ACME.INTERNAL_PASSWORD", True),
    ("POETRY_HTTP_BASIC_A=B_PASSWORD", False), ("POETRY_HTTP_BASIC_A\0B_PASSWORD", False),
    ("POETRY_HTTP_BASIC_A B_PASSWORD", False), ("POETRY_HTTP_BASIC_É_PASSWORD", False),
    ("", False), ("9X", False),
])
def test_usable_name(name: str, usable: bool) -> None:
    assert usable_name(name) is usable


@pytest.mark.parametrize("name", ["a=b", "a\\u0000b", "a b", "é"])
def test_a_source_name_no_variable_can_hold_is_skipped(tmp_path: Path, name: str) -> None:
    token = make_canary()
    (tmp_path / "pyproject.toml").write_text(
        f'[[tool.poetry.source]]\nname = "{name}"\nurl = "{GOOD}"\n\n'
        f'[[tool.poetry.source]]\nname = "fine"\nurl = "{GOOD}"\n')
    plan = planned(["poetry", "lock"], rule_env(token), tmp_path)
    assert sorted(plan.variables) == ["POETRY_HTTP_BASIC_FINE_PASSWORD",
                                      "POETRY_HTTP_BASIC_FINE_USERNAME"]
    assert len(plan.warnings) == 1 and "not a usable environment variable name" in \
        plan.warnings[0] and token not in plan.warnings[0]


# ----------------------------------------------------- abbreviations, pdm and hatch config

@pytest.mark.parametrize(("argv", "expected"), [
    (["twine", "upload", "--repository-ur", "U"], ["--repository-url", "U"]),
    (["twine", "upload", "--repository-u=U"], ["--repository-url=U"]),
    (["twine", "upload", "--repository", "r"], ["--repository", "r"]),  # exact wins
    (["twine", "upload", "--repo", "r"], ["--repo", "r"]),  # ambiguous: twine refuses it
    (["twine", "upload", "--conf", "f", "--user", "u"],
     ["--config-file", "f", "--username", "u"]),
    (["twine", "upload", "--", "--repository-ur"], ["--", "--repository-ur"]),
    (["pdm", "--conf", "c", "publish", "--repos", "r", "--proj", "p"],
     ["--config", "c", "publish", "--repository", "r", "--project", "p"]),
    (["hatch", "publish", "--rep", "r"], ["--rep", "r"]),  # click takes no abbreviation
    (["uv", "publish", "--publish-ur", "u"], ["--publish-ur", "u"]),  # nor does clap
])
def test_argparse_abbreviations_are_spelt_out(argv: list[str], expected: list[str]) -> None:
    assert list(identify(argv).args)[-len(expected):] == expected


def test_spell_out_leaves_other_words() -> None:
    assert spell_out(["-r", "x", "--repository-ur"], ["--repository-url"]) == [
        "-r", "x", "--repository-url"]


UPLOAD = "https://upload.example.com/"


def test_pdm_publish_project_and_config_options(tmp_path: Path) -> None:
    env = rule_env(make_canary(), url=UPLOAD)
    clone = tmp_path / "clone"
    clone.mkdir()
    (clone / "pdm.toml").write_text('[repository.acme]\nurl = "https://evil.example.com/"\n')
    (tmp_path / "mine.toml").write_text(f'[repository.acme]\nurl = "{UPLOAD}"\n')
    mine = ["pdm", "-c", "mine.toml", "publish", "-r", "acme"]
    assert sorted(planned(mine, env, tmp_path).variables) == [
        "PDM_PUBLISH_PASSWORD", "PDM_PUBLISH_USERNAME"]
    for argv, extra in (([*mine, "-p", "clone"], {}), (mine, {"PDM_PROJECT": "clone"})):
        plan = planned(argv, {**env, **extra}, tmp_path)
        assert plan.variables == {} and "pdm repository acme" in plan.warnings[0]
    comment = ["pdm", "publish", "-r", "acme", "-c", "mine.toml"]  # a comment, not config
    assert planned(comment, env, tmp_path).variables == {}


def test_hatch_publish_config(tmp_path: Path) -> None:
    env = rule_env(make_canary(), url=UPLOAD)
    (tmp_path / "hatch.toml").write_text(
        f'[publish.index]\nrepo = "corp"\n[publish.index.repos]\ncorp = "{UPLOAD}"\n'
        f'main = "{UPLOAD}"\n')
    argv = ["hatch", "--config", "hatch.toml", "publish"]
    assert sorted(planned(argv, env, tmp_path).variables) == ["HATCH_INDEX_AUTH",
                                                              "HATCH_INDEX_USER"]
    assert planned([*argv, "-r", "main"], env, tmp_path).variables == {}  # PyPI, always
    assert planned(["hatch", "publish"], {**env, "HATCH_CONFIG": "hatch.toml"},
                   tmp_path).variables  # the config's default repository


def test_hatch_uv_installer_and_hatchs_project_option(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[[tool.uv.index]]\nname = "acme"\nurl = "{GOOD}"\n')
    env = rule_env(make_canary())
    assert "UV_INDEX_ACME_PASSWORD" in planned(["hatch", "run", "pytest", "-p", "no:x"], env,
                                               tmp_path).variables  # pytest's -p
    plan = planned(["hatch", "-p", "other", "env", "create"], env, tmp_path)
    assert "UV_INDEX_ACME_PASSWORD" not in plan.variables
    assert plan.warnings[0].startswith("hatch -p/HATCH_PROJECT picks a project")
