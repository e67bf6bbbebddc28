"""`private-packages run`'s planning, with real rules (env-defined and project files) and
no server: which tool a command is, which variables each tool gets, under which name, and
what is refused. The end-to-end proof with real tools is in tests/e2e/test_run*.py."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from keyring_backend.errors import ConfigError, UnresolvedReference
from keyring_backend.store import CredentialStore
from pip_hook.anytool.command import PLANNERS, run_command, write_plan
from pip_hook.anytool.keyring_cli import main as keyring_cli
from pip_hook.anytool.plan import Plan
from pip_hook.anytool.poetry import spellings
from pip_hook.anytool.tools import identify
from pip_hook.anytool.underneath import plan_underneath
from pip_hook.anytool.uv_indexes import env_name, split_named
from tests.conftest import make_canary

INDEX = "https://pkgs.example.com/simple/"
OTHER = "https://other.example.com/simple/"


@pytest.mark.parametrize(("argv", "tool", "subcommand"), [
    (["uv", "lock"], "uv", "lock"),
    (["/usr/local/bin/uv", "--directory", "app", "sync"], "uv", "sync"),
    (["python3", "-m", "uv", "pip", "install", "x"], "uv", "pip"),
    (["python3.11", "-W", "error", "-m", "twine", "upload", "d"], "twine", "upload"),
    (["poetry", "-C", "app", "install"], "poetry", "install"),
    (["hatch", "-e", "test", "publish"], "hatch", "publish"),
    (["pdm", "-p", "app", "publish"], "pdm", "publish"),
    (["python", "-m", "pip", "install", "x"], "other", "install"),
    (["python", "-c", "print(1)"], "other", None),
    (["pip-compile", "requirements.in"], "other", "requirements.in"),
])
def test_identify(argv: list[str], tool: str, subcommand: str) -> None:
    found = identify(argv)
    assert (found.tool, found.subcommand) == (tool, subcommand)


@pytest.mark.parametrize(("name", "variable"), [
    ("acme", "ACME"), ("acme-internal", "ACME_INTERNAL"), ("acme.int_x", "ACME_INT_X"),
    ("Acme9", "ACME9"),
])
def test_uv_spells_index_names_as_uv_does(name: str, variable: str) -> None:
    assert env_name(name) == variable


@pytest.mark.parametrize(("value", "expected"), [
    ("acme=https://h/simple/", ("acme", "https://h/simple/")),
    ("https://h/simple/?a=b", (None, "https://h/simple/?a=b")),
    ("https://u=x@h/simple/", (None, "https://u=x@h/simple/")),
])
def test_named_index_values(value: str, expected: tuple[object, str]) -> None:
    assert split_named(value) == expected


def test_poetry_spellings_cover_old_and_new_poetry() -> None:
    assert spellings("acme.internal") == ["POETRY_HTTP_BASIC_ACME.INTERNAL",
                                          "POETRY_HTTP_BASIC_ACME_INTERNAL"]
    assert spellings("acme-x") == ["POETRY_HTTP_BASIC_ACME_X"]


def rule_env(token: str, url: str = "https://pkgs.example.com/", name: str = "ACME",
             username: str = "deploy-bot") -> dict[str, str]:
    return {"HOME": "/nonexistent", "ACME_TOKEN": token, f"PRIVATE_PACKAGES_{name}_URL": url,
            f"PRIVATE_PACKAGES_{name}_USERNAME": username,
            f"PRIVATE_PACKAGES_{name}_PASSWORD": "${ACME_TOKEN}", "PIP_CONFIG_FILE": "/dev/null"}


def planned(argv: list[str], env: dict[str, str], cwd: Path, *, resolve: bool = True) -> Plan:
    plan = Plan(CredentialStore(env, cwd), env, cwd, identify(argv), argv, resolve=resolve)
    inv = plan.invocation
    key = f"{inv.tool} publish" if inv.tool in ("hatch", "pdm") and inv.subcommand == \
        "publish" else inv.tool
    PLANNERS.get(key, plan_underneath)(plan)
    return plan


def uv_project(tmp_path: Path, *indexes: tuple[str, str]) -> Path:
    body = "".join(f'[[tool.uv.index]]\nname = "{n}"\nurl = "{u}"\n\n' for n, u in indexes)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1"\n\n'
                                             + body)
    return tmp_path


def values(plan: Plan) -> dict[str, str]:
    return {name: v.value for name, v in plan.variables.items()}


def test_uv_named_index_gets_its_variables(tmp_path: Path) -> None:
    token = make_canary()
    plan = planned(["uv", "lock"], rule_env(token), uv_project(tmp_path, ("acme.x", INDEX),
                                                               ("public", OTHER)))
    assert values(plan) == {"UV_INDEX_ACME_X_USERNAME": "deploy-bot",
                            "UV_INDEX_ACME_X_PASSWORD": token}
    assert plan.argv == ["uv", "lock"]


def test_uv_indexes_sharing_a_variable_get_it_only_under_one_rule(tmp_path: Path) -> None:
    env = rule_env(make_canary())
    plan = planned(["uv", "lock"], env, uv_project(tmp_path, ("acme-x", INDEX),
                                                   ("acme_x", OTHER)))
    assert plan.variables == {}
    assert plan.warnings == ["uv indexes acme-x, acme_x share UV_INDEX_ACME_X_*, but not one "
                             "credential rule; not setting it (rename one index)"]
    same = planned(["uv", "lock"], env, uv_project(tmp_path, ("acme-x", INDEX),
                                                   ("acme_x", INDEX + "extra/")))
    assert sorted(same.variables) == ["UV_INDEX_ACME_X_PASSWORD", "UV_INDEX_ACME_X_USERNAME"]


@pytest.mark.parametrize("url", ["http://evil.example\\@pkgs.example.com/simple/",
                                 "http:pkgs.example.com/simple/"])
def test_a_url_clients_read_as_different_hosts_gets_nothing_and_a_warning(
        tmp_path: Path, url: str) -> None:
    """uv reads `http://EVIL\\@GOOD/` as EVIL, urlsplit as GOOD (attack 3, finding 1):
    nothing is set, for uv's indexes or a publishing tool, and run says why."""
    env = rule_env(make_canary(), url="http://pkgs.example.com/")
    env["PRIVATE_PACKAGES_ACME_ALLOW_HTTP"] = "true"
    toml = url.replace("\\", "\\\\")  # a TOML string escapes its backslash
    uv = planned(["uv", "lock"], env, uv_project(tmp_path, ("internal", toml)))
    twine = planned(["twine", "upload", "--repository-url", url, "x.whl"], env, tmp_path)
    for plan, target in ((uv, "uv index 'internal'"), (twine, "twine upload")):
        assert plan.variables == {}
        [warning] = plan.warnings
        assert warning.startswith(f"not giving {target}") and "read the host" in warning
    assert planned(["uv", "lock"], env, uv_project(tmp_path, ("internal", INDEX))).warnings == []


def test_uv_index_url_moves_from_argv_into_its_variable(tmp_path: Path) -> None:
    token = make_canary()
    argv = ["uv", "pip", "install", "-i", INDEX, "--extra-index-url", OTHER, "acme",
            "--index", "named=" + OTHER]
    plan = planned(argv, rule_env(token), tmp_path)
    assert plan.argv == ["uv", "pip", "install", "--extra-index-url", OTHER, "acme",
                         "--index", "named=" + OTHER]
    userinfo = f"deploy-bot:{quote(token, safe='')}@"
    assert values(plan) == {"UV_INDEX_URL": INDEX.replace("https://", "https://" + userinfo)}
    assert token not in " ".join(plan.argv)


def test_uv_leaves_the_words_of_the_command_it_runs(tmp_path: Path) -> None:
    argv = ["uv", "run", "--", "pip", "install", "-i", INDEX, "x"]
    assert planned(argv, rule_env(make_canary()), tmp_path).argv == argv
    argv = ["uvx", "pip-compile", "--index-url", INDEX]
    assert planned(argv, rule_env(make_canary()), tmp_path).argv == argv


def test_uv_publish_targets(tmp_path: Path) -> None:
    env = rule_env(make_canary(), url="https://upload.example.com/legacy/")
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.uv.index]]\nname = "corp"\nurl = "https://x.example.com/simple/"\n'
        'publish-url = "https://upload.example.com/legacy/"\n')
    plan = planned(["uv", "publish", "--index", "corp"], env, tmp_path)
    assert sorted(plan.variables) == ["UV_PUBLISH_PASSWORD", "UV_PUBLISH_USERNAME"]
    assert planned(["uv", "publish", "--index", "corp", "--token", "t"], env,
                   tmp_path).variables == {}
    assert planned(["uv", "publish"], env, tmp_path).variables == {}  # PyPI: no rule


def test_a_variable_the_user_set_is_theirs(tmp_path: Path) -> None:
    env = {**rule_env(make_canary()), "UV_INDEX_ACME_PASSWORD": "theirs"}
    assert planned(["uv", "lock"], env, uv_project(tmp_path, ("acme", INDEX))).variables == {}


def test_print_env_reads_no_secret(tmp_path: Path) -> None:
    env = {**rule_env(""), "PRIVATE_PACKAGES_ACME_PASSWORD": "${UNSET_TOKEN}"}
    project = uv_project(tmp_path, ("acme", INDEX))
    with pytest.raises(UnresolvedReference):
        planned(["uv", "lock"], env, project)
    plan = planned(["uv", "lock"], env, project, resolve=False)
    out = io.StringIO()
    write_plan(plan, ["uv", "lock"], out)
    assert "UV_INDEX_ACME_USERNAME=****\nUV_INDEX_ACME_PASSWORD=****\n" in out.getvalue()


def test_poetry_sources_and_export(tmp_path: Path) -> None:
    token = make_canary()
    (tmp_path / "pyproject.toml").write_text(
        f'[[tool.poetry.source]]\nname = "acme.internal"\nurl = "{INDEX}"\n\n'
        f'[[tool.poetry.source]]\nname = "public"\nurl = "{OTHER}"\n')
    plan = planned(["poetry", "lock"], rule_env(token), tmp_path)
    assert values(plan) == {
        "POETRY_HTTP_BASIC_ACME.INTERNAL_USERNAME": "deploy-bot",
        "POETRY_HTTP_BASIC_ACME.INTERNAL_PASSWORD": token,
        "POETRY_HTTP_BASIC_ACME_INTERNAL_USERNAME": "deploy-bot",
        "POETRY_HTTP_BASIC_ACME_INTERNAL_PASSWORD": token}
    assert planned(["poetry", "export", "--with-credentials"], rule_env(token),
                   tmp_path).variables == {}


def test_poetry_old_spelling_is_refused_when_another_source_reads_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[[tool.poetry.source]]\nname = "acme.internal"\nurl = "{INDEX}"\n\n'
        f'[[tool.poetry.source]]\nname = "acme-internal"\nurl = "{OTHER}"\n')
    plan = planned(["poetry", "install"], rule_env(make_canary()), tmp_path)
    assert sorted(plan.variables) == ["POETRY_HTTP_BASIC_ACME.INTERNAL_PASSWORD",
                                      "POETRY_HTTP_BASIC_ACME.INTERNAL_USERNAME"]
    assert len(plan.warnings) == 1 and "POETRY_HTTP_BASIC_ACME_INTERNAL_*" in plan.warnings[0]


def test_twine_repository_from_pypirc(tmp_path: Path) -> None:
    env = {**rule_env(make_canary(), url="https://upload.example.com/"),
           "HOME": str(tmp_path)}
    (tmp_path / ".pypirc").write_text("[acme]\nrepository = https://upload.example.com/\n")
    plan = planned(["twine", "upload", "-r", "acme", "dist/x.whl"], env, tmp_path)
    assert sorted(plan.variables) == ["TWINE_PASSWORD", "TWINE_USERNAME"]
    assert planned(["twine", "upload", "-r", "acme", "-u", "me", "x.whl"], env,
                   tmp_path).variables == {}
    assert planned(["twine", "check", "x.whl"], env, tmp_path).variables == {}


def test_hatch_and_pdm_publish(tmp_path: Path) -> None:
    env = rule_env(make_canary(), url="https://upload.example.com/")
    hatch = planned(["hatch", "publish"], {**env, "HATCH_INDEX_REPO":
                                           "https://upload.example.com/"}, tmp_path)
    assert sorted(hatch.variables) == ["HATCH_INDEX_AUTH", "HATCH_INDEX_USER"]
    assert planned(["hatch", "publish"], env, tmp_path).variables == {}  # main is PyPI
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "1"\n')
    (tmp_path / "pdm.toml").write_text('[repository.acme]\nurl = "https://upload.example.com/"\n')
    pdm = planned(["pdm", "publish", "-r", "acme"], env, tmp_path)
    assert sorted(pdm.variables) == ["PDM_PUBLISH_PASSWORD", "PDM_PUBLISH_USERNAME"]


def test_generic_and_pipenv_and_tox(tmp_path: Path) -> None:
    env = rule_env(make_canary())
    generic = values(planned(["pip-compile"], env, tmp_path))
    assert generic["PIP_KEYRING_PROVIDER"] == "import"
    assert generic["PYTHONPATH"].endswith("pip_hook/anytool/pythonpath")
    assert "PIPENV_KEYRING_PROVIDER" not in generic
    assert values(planned(["pipenv", "lock"], env, tmp_path))["PIPENV_KEYRING_PROVIDER"] == \
        "import"
    mine = values(planned(["pip", "install"], {**env, "PIP_KEYRING_PROVIDER": "subprocess"},
                          tmp_path))
    assert "PIP_KEYRING_PROVIDER" not in mine  # the user's choice stands
    tox = values(planned(["tox"], {**env, "TOX_OVERRIDE": "testenv.deps=x"}, tmp_path))
    assert tox["PIP_KEYRING_PROVIDER"] == "subprocess"  # tox runs `python -I -m pip`
    assert tox["PATH"].endswith("pip_hook/anytool/bin")
    assert tox["TOX_OVERRIDE"].split(";") == [
        "testenv.deps=x", "testenv.pass_env+=ACME_TOKEN",
        "testenv.pass_env+=PRIVATE_PACKAGES_*"]


def test_keyring_cli_answers_pip_and_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    token = make_canary()
    for key, value in rule_env(token).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    assert keyring_cli(["--mode=creds", "--output=json", "get", INDEX]) == 0
    assert json.loads(capsys.readouterr().out) == {"username": "deploy-bot", "password": token}
    assert keyring_cli(["get", INDEX, "deploy-bot"]) == 0
    assert capsys.readouterr().out == token + "\n"
    assert keyring_cli(["get", INDEX, "someone-else"]) == 1
    assert keyring_cli(["--mode", "creds", "get", OTHER]) == 1
    assert capsys.readouterr().out == ""


def test_run_usage_errors() -> None:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(ConfigError, match="unknown option --bogus"):
        run_command(["--bogus", "true"], out, err)
    assert run_command([], out, err) == 2
    assert err.getvalue().startswith("usage: private-packages run")


def test_scan_and_doctor_name_uv_indexes_uv_asks_no_keyring_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pip_hook.doctor import main as doctor
    from pip_hook.scan import main as scan

    env = rule_env(make_canary())
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    uv_project(tmp_path, ("acme", INDEX), ("public", OTHER))
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('[[tool.uv.index]]\nname = "asks"\nurl = "https://pkgs.example.com/b/"\n'
                 'authenticate = "always"\n')
    out, err = io.StringIO(), io.StringIO()
    assert scan([str(tmp_path / "pyproject.toml")], out, err) == 0  # advice, not a finding
    notes = [line for line in out.getvalue().splitlines() if "uv-keyring" in line]
    assert notes == [f"{tmp_path / 'pyproject.toml'}:7:1: uv-keyring (note): uv index 'acme': "
                     "uv asks a keyring only for an index whose URL names a user or that says "
                     'authenticate = "always", so plain uv never asks for this rule\'s '
                     "credential"]
    report = io.StringIO()
    assert doctor(["--no-probe"], report, env=env, cwd=tmp_path) == 0
    assert report.getvalue().count("uv index '") == 1
