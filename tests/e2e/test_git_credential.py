"""Real git and real pip against a private git server on 127.0.0.1 (TESTING.md), with the
credential coming only from `git-credential-private-packages`, installed through the
GIT_CONFIG_* variables of `git_config_env`: never in a URL, an argv or a `.git/config`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.git_credential import git_config_env
from support.git_server import GitServer
from support.shims import install_recording_shim
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.trusting import trust

pytestmark = pytest.mark.e2e

GIT = "/usr/bin/git"
USER = "deploy-bot"
# The smallest buildable project; pip fetches flit_core from PyPI for the isolated build.
ACME_FILES = {
    "pyproject.toml": '[build-system]\nrequires = ["flit_core>=3.4,<4"]\n'
                      'build-backend = "flit_core.buildapi"\n\n'
                      '[project]\nname = "acme-git"\nversion = "1.0.0"\n'
                      'description = "a private package served by git"\n',
    "acme_git/__init__.py": 'VERSION = "1.0.0"\n',
}


@pytest.fixture
def server(tmp_path: Path, canary: str) -> Iterator[GitServer]:
    with GitServer(tmp_path / "repos", password=canary, username=USER) as git_server:
        git_server.make_repo("acme-git", ACME_FILES)
        yield git_server


@pytest.fixture
def argv_log(tmp_path: Path) -> Path:
    return tmp_path / "argv.log"


@pytest.fixture
def git_env(client_env: dict[str, str], server: GitServer, canary: str, tmp_path: Path,
            argv_log: Path) -> dict[str, str]:
    """Client env + an env-defined rule for the server + the helper, and a recording `git`
    first on PATH; temp files land under tmp_path so they can be scanned."""
    shims = tmp_path / "shims"
    install_recording_shim(shims, "git", GIT, argv_log)
    (tmp_path / "tmp").mkdir()
    env = {**client_env,
           "PATH": f"{shims}:{client_env['PATH']}",
           "TMPDIR": str(tmp_path / "tmp"),
           "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1",
           "PRIVATE_PACKAGES_GIT_URL": f"{server.url}/acme-git.git",
           "PRIVATE_PACKAGES_GIT_USERNAME": USER,
           "PRIVATE_PACKAGES_GIT_PASSWORD": "${GIT_TOKEN}",
           "GIT_TOKEN": canary}
    return {**env, **git_config_env(env, project_dir=tmp_path)}


def run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 60,
        stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, input=stdin)


def assert_clean(secret: str, result: subprocess.CompletedProcess[str], argv_log: Path,
                 *roots: Path) -> None:
    texts = {"stdout": result.stdout, "stderr": result.stderr}
    if argv_log.exists():
        texts["git argv"] = argv_log.read_text()
    assert_not_in_texts(secret, texts, username=USER)
    assert assert_not_in_files(secret, roots, username=USER) > 0


# -- git --------------------------------------------------------------------------------

def test_clone_gets_the_token_from_the_helper_only(
        server: GitServer, git_env: dict[str, str], canary: str, tmp_path: Path,
        argv_log: Path) -> None:
    dest = tmp_path / "clone"
    result = run(["git", "clone", f"{server.url}/acme-git.git", str(dest)], git_env, tmp_path)

    assert result.returncode == 0, result.stderr
    assert (dest / "acme_git" / "__init__.py").read_text() == 'VERSION = "1.0.0"\n'
    assert f"{server.url}/acme-git.git" in (dest / ".git" / "config").read_text()
    assert "clone" in argv_log.read_text()
    authorized = [r for r in server.requests if r.authorized]
    assert authorized and {r.username for r in authorized} == {USER}
    assert_clean(canary, result, argv_log, tmp_path)


def test_users_own_store_helper_never_receives_our_token(
        server: GitServer, git_env: dict[str, str], canary: str, tmp_path: Path,
        home: Path, argv_log: Path) -> None:
    # git hands a working credential to every configured helper's `store`; a user's
    # `credential.helper store` would write ours to ~/.git-credentials in plain text.
    (home / ".gitconfig").write_text("[credential]\n\thelper = store\n")
    dest = tmp_path / "clone"

    result = run(["git", "clone", f"{server.url}/acme-git.git", str(dest)], git_env, tmp_path)

    assert result.returncode == 0, result.stderr
    assert not (home / ".git-credentials").exists() or \
        canary not in (home / ".git-credentials").read_text()
    assert_clean(canary, result, argv_log, tmp_path)


def test_other_hosts_keep_the_users_helpers(git_env: dict[str, str], server: GitServer,
                                            home: Path, tmp_path: Path) -> None:
    (home / ".gitconfig").write_text("[credential]\n\thelper = store\n")
    ours = run(["git", "config", "--get-urlmatch", "credential.helper",
                f"{server.url}/acme-git.git"], git_env, tmp_path).stdout
    other = run(["git", "config", "--get-urlmatch", "credential.helper",
                 "https://elsewhere.example/x.git"], git_env, tmp_path).stdout
    assert "git_credential" in ours
    assert other.strip() == "store"


def test_partial_clone_fetches_inside_the_clone_with_the_pinned_project(
        server: GitServer, git_env: dict[str, str], canary: str, tmp_path: Path,
        argv_log: Path) -> None:
    # A partial clone fetches blobs later, running the helper inside the clone, whose own
    # pyproject.toml must not replace the pinned project's rule.
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[[tool.private-packages.credentials]]\nurl = "{server.url}/acme-git.git"\n'
        f'username = "{USER}"\npassword = "${{GIT_TOKEN}}"\n')
    env = {key: value for key, value in git_env.items()
           if not key.startswith(("PRIVATE_PACKAGES_", "GIT_CONFIG_"))}
    trust(env, project)  # the pinned project, approved; the clone's own never is
    env.update(git_config_env(env, project_dir=project))
    dest = tmp_path / "clone"

    cloned = run(["git", "clone", "--quiet", "--filter=blob:none", "--no-checkout",
                  f"{server.url}/acme-git.git", str(dest)], env, tmp_path)
    checkout = run(["git", "checkout", "--quiet", "main"], env, dest)

    assert cloned.returncode == 0, cloned.stderr
    assert checkout.returncode == 0, checkout.stderr
    assert (dest / "pyproject.toml").is_file()
    assert sum(r.method == "POST" and r.authorized for r in server.requests) >= 2
    for result in (cloned, checkout):
        assert_clean(canary, result, argv_log, tmp_path)


def test_wrong_token_fails_fast_without_prompt(
        server: GitServer, git_env: dict[str, str], canary: str, tmp_path: Path,
        argv_log: Path) -> None:
    wrong = canary.replace("tok-", "wrong-")
    env = {**git_env, "GIT_TOKEN": wrong}
    started = time.monotonic()

    result = run(["git", "clone", f"{server.url}/acme-git.git", str(tmp_path / "c")], env,
                 tmp_path)

    assert result.returncode != 0
    assert time.monotonic() - started < 10
    assert "Authentication failed" in result.stderr
    assert any(r.username == USER and not r.authorized for r in server.requests)
    for secret in (canary, wrong):
        assert_clean(secret, result, argv_log, tmp_path)


def test_no_rule_fails_without_prompt_and_sends_nothing(
        server: GitServer, git_env: dict[str, str], canary: str, tmp_path: Path,
        argv_log: Path) -> None:
    env = {k: v for k, v in git_env.items() if not k.startswith("PRIVATE_PACKAGES_")}

    result = run(["git", "clone", f"{server.url}/acme-git.git", str(tmp_path / "c")], env,
                 tmp_path)

    assert result.returncode != 0
    assert "terminal prompts disabled" in result.stderr
    assert "private-packages:" not in result.stderr
    assert server.requests and not any(r.username for r in server.requests)
    assert_clean(canary, result, argv_log, tmp_path)


def test_missing_secret_is_one_line_naming_the_variable(
        server: GitServer, git_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in git_env.items() if k != "GIT_TOKEN"}

    result = run(["git", "clone", f"{server.url}/acme-git.git", str(tmp_path / "c")], env,
                 tmp_path)

    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if line.startswith("private-packages:")]
    assert ours and all("GIT_TOKEN" in line for line in ours)
    assert "Traceback" not in result.stderr
    assert not any(r.username for r in server.requests)


def test_git_credential_fill_runs_the_helper_through_a_shell_from_any_directory(
        tmp_path: Path, client_env: dict[str, str], canary: str) -> None:
    # A project path that needs shell quoting, and a working directory whose `logging`
    # package would shadow the standard library if the helper put it on sys.path.
    project = tmp_path / "it's a \"project\" $HOME"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[[tool.private-packages.credentials]]\nurl = "https://git.example.com/team"\n'
        'username = "bot"\npassword = "${GIT_TOKEN}"\n')
    clone = tmp_path / "clone"
    (clone / "logging").mkdir(parents=True)
    (clone / "logging" / "__init__.py").write_text("raise SystemExit('shadowed')\n")
    (clone / "pyproject.toml").write_text('[project]\nname = "clone"\n')
    env = {**client_env, "GIT_TOKEN": canary, "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1"}
    trust(env, project)
    env.update(git_config_env(env, project_dir=project))

    result = run([GIT, "credential", "fill"], env, clone,
                 stdin="protocol=https\nhost=git.example.com\npath=team/lib.git\n\n")

    assert result.returncode == 0, result.stderr
    assert "username=bot\n" in result.stdout
    assert f"password={canary}\n" in result.stdout
    assert result.stderr == ""


def test_module_runs_with_python_m(tmp_path: Path, client_env: dict[str, str],
                                   canary: str) -> None:
    env = {**client_env, "GIT_TOKEN": canary,
           "PRIVATE_PACKAGES_GIT_URL": "https://git.example.com/team",
           "PRIVATE_PACKAGES_GIT_PASSWORD": "${GIT_TOKEN}"}
    result = run([sys.executable, "-m", "keyring_backend.git_credential", "get"], env,
                 tmp_path, stdin="protocol=https\nhost=git.example.com\npath=team/x.git\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"username=__token__\npassword={canary}\n"


# -- pip ------------------------------------------------------------------------------

def test_pip_installs_from_private_git_and_editable_checkout_keeps_no_token(
        clients: Clients, server: GitServer, git_env: dict[str, str], canary: str,
        tmp_path: Path, argv_log: Path) -> None:
    pip = [str(clients.pip_python), "-m", "pip", "--isolated"]
    repo = f"{server.url}/acme-git.git"
    target, src, venv = tmp_path / "target", tmp_path / "src", tmp_path / "venv"

    installed = run([*pip, "install", "--no-input", "--target", str(target),
                     f"acme-git @ git+{repo}@main"], git_env, tmp_path, timeout=180)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (target / "acme_git" / "__init__.py").is_file()
    direct_urls = list(target.glob("acme_git-1.0.0.dist-info/direct_url.json"))
    assert [json.loads(p.read_text())["url"] for p in direct_urls] == [repo]

    made = run([str(clients.uv), "venv", "--quiet", str(venv)], git_env, tmp_path)
    assert made.returncode == 0, made.stderr
    into_venv = [*pip, "--python", str(venv / "bin" / "python")]
    editable = run([*into_venv, "install", "--no-input", "--src", str(src), "-e",
                    f"git+{repo}@main#egg=acme-git"], git_env, tmp_path, timeout=180)
    assert editable.returncode == 0, editable.stdout + editable.stderr
    frozen = run([*into_venv, "freeze"], git_env, tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    assert f"git+{repo}@" in frozen.stdout
    checkout = src / "acme-git"
    origin = run([GIT, "-C", str(checkout), "config", "--get", "remote.origin.url"], git_env,
                 tmp_path)
    assert origin.stdout.strip() == repo
    site_direct = list(venv.glob("lib/python*/site-packages/acme_git-*/direct_url.json"))
    assert [json.loads(p.read_text()) for p in site_direct] == [
        {"url": checkout.as_uri(), "dir_info": {"editable": True}}]

    calls = argv_log.read_text()
    assert "clone" in calls and repo in calls
    authorized = [r for r in server.requests if r.authorized]
    assert authorized and {r.username for r in authorized} == {USER}
    for result in (installed, editable, frozen):
        assert_clean(canary, result, argv_log, tmp_path, checkout / ".git" / "config",
                     *direct_urls, *site_direct)


# -- paths git decodes, and redirects (attack2: test_git_paths.py) ------------------------

#: git hands the helper these paths percent-DECODED (`evil/../org/...`), while curl sends
#: them as written and a server that keeps `%2F` reads them below /evil.
ESCAPES = ["/evil/..%2forg/acme-git.git", "/evil/..%2Forg/acme-git.git",
           "/evil%2f..%2forg/acme-git.git", "/evil/%2e%2e%2forg/acme-git.git",
           "/evil/%EF%BC%8E%EF%BC%8E/org/acme-git.git"]


def org_rule(env: dict[str, str], server: GitServer, canary: str,
             tmp_path: Path) -> dict[str, str]:
    """The victim's own env rule for `<server>/org` and the helper for it."""
    env = {**env, "GIT_TOKEN": canary, "PRIVATE_PACKAGES_GIT_URL": f"{server.url}/org",
           "PRIVATE_PACKAGES_GIT_USERNAME": USER, "PRIVATE_PACKAGES_GIT_PASSWORD": "${GIT_TOKEN}"}
    return {**env, **git_config_env(env, project_dir=tmp_path)}


@pytest.mark.parametrize("path", [*ESCAPES, "/org/acme-git.git"])
def test_a_path_git_decodes_into_the_prefix_gets_no_credential(
        server: GitServer, git_env: dict[str, str], canary: str, tmp_path: Path,
        argv_log: Path, path: str) -> None:
    result = run(["git", "ls-remote", server.url + path], org_rule(git_env, server, canary,
                                                                   tmp_path), tmp_path)
    sent = [r for r in server.requests if r.username is not None]
    assert server.requests, result.stderr
    if path.startswith("/org/"):  # the control: the rule's own prefix gets it
        assert sent and {r.username for r in sent} == {USER}
    else:
        assert sent == [], result.stderr
    assert_clean(canary, result, argv_log, tmp_path)


def to_evil(path: str, authorized: bool) -> Optional[str]:
    """Once the credential arrived for /org/..., send git below /evil/ on the same host."""
    return path.replace("/org/", "/evil/", 1) if authorized and path.startswith("/org/") \
        else None


@pytest.mark.parametrize("client", ["git", "pip-private"])
def test_a_redirect_after_the_helper_answered_is_not_followed(
        clients: Clients, git_env: dict[str, str], canary: str, tmp_path: Path,
        argv_log: Path, client: str) -> None:
    """curl keeps the credential on a same-host redirect and git never asks the helper
    about the new path: git_config_env switches redirects off for the rules' origins."""
    with GitServer(tmp_path / "moved", password=canary, username=USER,
                   redirect=to_evil) as server:
        env = org_rule(git_env, server, canary, tmp_path)
        url = f"{server.url}/org/acme-git.git"
        argv = ["git", "ls-remote", url] if client == "git" else [
            str(clients.pip_python.parent / "pip-private"), "install", "--no-input",
            "--target", str(tmp_path / "target"), f"acme-git @ git+{url}"]
        result = run(argv, env, tmp_path, timeout=180)
    assert result.returncode != 0
    helped = [r for r in server.requests if r.path.startswith("/org/") and r.username]
    assert helped, result.stderr  # the helper answered for the rule's own path
    assert [r for r in server.requests if r.path.startswith("/evil/")] == []
    assert_clean(canary, result, argv_log, tmp_path)


def test_pip_private_gives_no_credential_to_a_git_url_that_escapes_its_prefix(
        clients: Clients, server: GitServer, git_env: dict[str, str], canary: str,
        tmp_path: Path, argv_log: Path) -> None:
    """A cloned project's requirements name `git+http://HOST/evil/..%2forg/...`; the
    victim's env rule binds HOST/org."""
    (tmp_path / "requirements.txt").write_text(
        f"acme-git @ git+{server.url}/evil/..%2forg/acme-git.git\n")
    result = run([str(clients.pip_python.parent / "pip-private"), "install", "--no-input",
                  "--target", str(tmp_path / "target"), "-r", "requirements.txt"],
                 org_rule(git_env, server, canary, tmp_path), tmp_path, timeout=180)
    assert result.returncode != 0
    assert server.requests and [r for r in server.requests if r.username] == []
    assert_clean(canary, result, argv_log, tmp_path)


def test_a_repository_url_that_redirects_fails_with_gits_own_line(
        git_env: dict[str, str], canary: str, tmp_path: Path, argv_log: Path) -> None:
    """The cost of the above, as the README's troubleshooting says: on an origin a rule
    binds, a URL that redirects (GitLab without `.git`, a renamed repository) is not
    followed; name the final URL."""
    with GitServer(tmp_path / "moving", password=canary, username=USER,
                   redirect=lambda path, ok: path.replace("/old/", "/", 1)
                   if path.startswith("/old/") else None) as server:
        server.make_repo("acme-git", ACME_FILES)
        env = org_rule(git_env, server, canary, tmp_path)
        moved = run(["git", "ls-remote", f"{server.url}/old/acme-git.git"], env, tmp_path)
        final = run(["git", "ls-remote", f"{server.url}/acme-git.git"],
                    {**env, "PRIVATE_PACKAGES_GIT_URL": server.url}, tmp_path)
    assert moved.returncode != 0
    assert "The requested URL returned error: 302" in moved.stderr
    assert final.returncode == 0, final.stderr
    assert_clean(canary, moved, argv_log, tmp_path)
