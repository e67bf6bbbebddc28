"""`private-packages run` with the tools of the test venv (uv, git, pip in a fresh venv,
twine) against pypiserver in 401 mode and `git http-backend`: the token lives only in
`ACME_TOKEN`, each command fails without `run` where the tool cannot find it itself, and
after each scenario it is absent from outputs, lock files, written files and every
process's argv. Heavier third-party clients are in test_run_clients.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.git_server import GitServer
from support.pypi_server import PrivateIndex
from support.wheels import build_wheel
from tests.conftest import Clients
from tests.run_job import USER, RunJob, make_run_job

pytestmark = pytest.mark.e2e


@pytest.fixture
def job(tmp_path: Path, clients: Clients, client_env: dict[str, str],
        private_index: PrivateIndex, canary: str) -> RunJob:
    return make_run_job(tmp_path, clients, client_env, private_index, canary)


def uv_project(job: RunJob, index: PrivateIndex, name: str = "acme.internal") -> None:
    job.env.pop("UV_NO_CONFIG")  # it makes uv ignore [tool.uv] (HOME is a temp dir anyway)
    job.write("pyproject.toml", f"""\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[[tool.uv.index]]
name = "{name}"
url = "{index.simple_url}"
""")


def test_uv_add_lock_sync_with_a_named_index(job: RunJob, private_index: PrivateIndex,
                                             canary: str, clients: Clients) -> None:
    uv_project(job, private_index)
    without = job.run(clients.uv, "add", "acme-internal", through_run=False)
    assert without.returncode != 0  # uv asks no keyring for a plain index: it has nothing

    for command in (["add", "acme-internal"], ["lock"], ["sync"]):
        result = job.run(clients.uv, *command)
        assert result.returncode == 0, result.stderr
    assert 'acme-internal' in (job.project / "uv.lock").read_text()
    assert list(job.project.glob(".venv/lib/python*/site-packages/acme_internal"))
    assert any(r.authorized and r.username == USER for r in private_index.requests)
    job.assert_clean(canary)


def test_uv_pip_install_index_url_leaves_argv(job: RunJob, private_index: PrivateIndex,
                                              canary: str, clients: Clients) -> None:
    assert job.run(clients.uv, "venv", "-q", "target", through_run=False).returncode == 0
    install = [clients.uv, "pip", "install", "--python", "target/bin/python",
               "--index-url", private_index.simple_url, "acme-internal"]
    assert job.run(*install, through_run=False).returncode != 0

    result = job.run(*install)

    assert result.returncode == 0, result.stderr
    assert list(job.project.glob("target/lib/python*/site-packages/acme_internal"))
    job.assert_clean(canary)


def test_uv_publish_to_a_covered_url(job: RunJob, private_index: PrivateIndex, canary: str,
                                     clients: Clients) -> None:
    wheel = build_wheel(job.project / "dist", "acme-new", "2.0.0")
    publish = [clients.uv, "publish", "--publish-url", private_index.url + "/", wheel]
    assert job.run(*publish, through_run=False).returncode != 0

    result = job.run(*publish)

    assert result.returncode == 0, result.stderr
    assert (private_index.root / wheel.name).is_file()
    job.assert_clean(canary)


def test_print_env_names_every_variable_and_runs_nothing(
        job: RunJob, private_index: PrivateIndex, canary: str, clients: Clients) -> None:
    uv_project(job, private_index, name="acme-internal")
    result = subprocess.run([str(job.private_packages), "run", "--print-env", "--",
                             str(clients.uv), "lock"], cwd=job.project, env=job.env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "UV_INDEX_ACME_INTERNAL_USERNAME=****" in lines
    assert "UV_INDEX_ACME_INTERNAL_PASSWORD=****" in lines
    assert not (job.project / "uv.lock").exists()
    assert private_index.requests == []
    job.outputs += [result.stdout, result.stderr]
    job.assert_clean(canary)


def test_output_is_masked_and_the_exit_code_passes_through(job: RunJob, canary: str) -> None:
    # A generic command: rules that read only the environment are masked too.
    result = job.run("sh", "-c", 'printf "token=%s\\n" "$ACME_TOKEN"; exit 7')
    assert result.returncode == 7
    assert result.stdout == "token=****\n"
    missing = job.run("no-such-command-here")
    assert missing.returncode == 127
    assert missing.stderr.strip() == ("private-packages: cannot run no-such-command-here: "
                                      "No such file or directory")
    job.assert_clean(canary)


def test_sigterm_reaches_the_command(job: RunJob) -> None:
    ready = job.root / "ready"
    proc = subprocess.Popen([str(job.private_packages), "run", "--", "sh", "-c",
                             f'trap "exit 42" TERM; touch {ready}; while :; do sleep 0.1; done'],
                            cwd=job.project, env=job.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 42


def test_the_command_stops_when_run_is_killed(job: RunJob) -> None:
    """SIGKILL leaves nobody to mask the command's output: it gets SIGINT from the kernel
    (parent_death.py)."""
    ready, stopped = job.root / "ready", job.root / "stopped"
    proc = subprocess.Popen([str(job.private_packages), "run", "--", "sh", "-c",
                             f'trap "touch {stopped}; exit 0" INT; touch {ready}; '
                             "while :; do sleep 0.1; done"], cwd=job.project, env=job.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=60)
    while not stopped.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stopped.exists()


def test_pip_of_a_fresh_venv_without_keyring(job: RunJob, private_index: PrivateIndex,
                                             canary: str) -> None:
    """A venv's bundled pip, no keyring in it (as tox, nox and pipenv make them): the
    stand-in on PYTHONPATH lends keyring and the backend, under --no-input too."""
    subprocess.run([sys.executable, "-m", "venv", str(job.project / "venv")], check=True)
    pip = [str(job.project / "venv/bin/python"), "-m", "pip", "install", "--no-input",
           "--index-url", private_index.simple_url, "acme-internal"]
    assert job.run(*pip, through_run=False).returncode != 0

    result = job.run(*pip)

    assert result.returncode == 0, result.stderr
    freeze = job.run(job.project / "venv/bin/python", "-m", "pip", "freeze")
    assert freeze.stdout.split() == ["acme-internal==1.0.0"]  # the stand-in lists nothing
    job.assert_clean(canary)


def test_twine_upload_without_any_keyring(job: RunJob, private_index: PrivateIndex,
                                          canary: str, clients: Clients) -> None:
    job.env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # twine finds nothing
    wheel = build_wheel(job.project / "dist", "acme-new", "2.0.0")
    upload = [clients.tools_bin / "twine", "upload", "--non-interactive",
              "--repository-url", private_index.url + "/", wheel]
    assert job.run(*upload, through_run=False).returncode != 0

    result = job.run(*upload)

    assert result.returncode == 0, result.stderr
    assert (private_index.root / wheel.name).is_file()
    job.assert_clean(canary)


@pytest.fixture
def git_server(tmp_path: Path, canary: str) -> Iterator[GitServer]:
    with GitServer(tmp_path / "repos", password=canary, username=USER) as server:
        server.make_repo("acme-git", {"README": "private\n"})
        yield server


def test_git_clone_gets_the_helper(job: RunJob, git_server: GitServer, canary: str) -> None:
    job.env.update(PRIVATE_PACKAGES_GIT_URL=git_server.url + "/",
                   PRIVATE_PACKAGES_GIT_USERNAME=USER,
                   PRIVATE_PACKAGES_GIT_PASSWORD="${ACME_TOKEN}")
    clone = ["git", "clone", "-q", f"{git_server.url}/acme-git.git"]
    assert job.run(*clone, "plain", through_run=False).returncode != 0

    result = job.run(*clone, "via-run")

    assert result.returncode == 0, result.stderr
    assert (job.project / "via-run" / "README").read_text() == "private\n"
    assert "extraheader" not in (job.project / "via-run/.git/config").read_text()
    job.assert_clean(canary)


def test_a_variable_the_user_set_wins(job: RunJob, private_index: PrivateIndex,
                                      clients: Clients) -> None:
    uv_project(job, private_index, name="acme")
    job.env["UV_INDEX_ACME_PASSWORD"] = "the-users-own"
    printed = subprocess.run([str(job.private_packages), "run", "--", str(clients.uv), "run",
                              "--no-project", "--", "sh", "-c",
                              'printf "%s|%s" "$UV_INDEX_ACME_USERNAME" '
                              '"$UV_INDEX_ACME_PASSWORD"'],
                             cwd=job.project, env=job.env, capture_output=True, text=True,
                             check=False)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == "|the-users-own"


def test_environment_reaches_the_command_only(job: RunJob, private_index: PrivateIndex,
                                              clients: Clients) -> None:
    """The variables are set for the command's process tree, not for the caller."""
    uv_project(job, private_index, name="acme")
    before = dict(os.environ)
    result = job.run(clients.uv, "run", "--no-project", "--", "sh", "-c",
                     'test -n "$UV_INDEX_ACME_PASSWORD"')
    assert result.returncode == 0, result.stderr
    assert dict(os.environ) == before


def test_uv_without_run_doctor_and_scan_name_the_fix(
        job: RunJob, private_index: PrivateIndex, canary: str, clients: Clients) -> None:
    """Plain uv asks no keyring for a plain [[tool.uv.index]]: doctor and scan say so and
    give the line that fixes it; with it, uv's subprocess provider and a keyring CLI that
    has the backend (README "uv") lock without the wrapper."""
    uv_project(job, private_index, name="acme")
    for verb in ("doctor", "scan"):
        result = job.run(job.private_packages, verb, *(["--no-probe"] if verb == "doctor"
                                                        else []), through_run=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "uv index 'acme'" in result.stdout
        assert 'add authenticate = "always" to its [[tool.uv.index]] table' in result.stdout

    pyproject = job.project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'authenticate = "always"\n')
    job.env["PATH"] = f"{clients.tools_bin}:{job.env['PATH']}"  # `keyring` with the backend
    result = job.run(clients.uv, "lock", "--keyring-provider", "subprocess",
                     through_run=False)
    assert result.returncode == 0, result.stderr
    doctor = job.run(job.private_packages, "doctor", "--no-probe", through_run=False)
    assert "uv index" not in doctor.stdout
    job.assert_clean(canary)


def test_uv_lock_with_an_unnamed_index_keeps_the_lock_clean(
        job: RunJob, private_index: PrivateIndex, canary: str, clients: Clients) -> None:
    """The credential of an index given by URL travels as userinfo in UV_DEFAULT_INDEX;
    uv writes the URL into uv.lock without it."""
    job.env.pop("UV_NO_CONFIG")
    job.write("pyproject.toml", '[project]\nname = "app"\nversion = "0.1.0"\n'
                                'requires-python = ">=3.9"\ndependencies = ["acme-internal"]\n')
    result = job.run(clients.uv, "lock", "--default-index", private_index.simple_url)
    assert result.returncode == 0, result.stderr
    lock = (job.project / "uv.lock").read_text()
    assert f'registry = "{private_index.simple_url}"' in lock
    job.assert_clean(canary)


def test_a_terminal_stays_a_terminal_and_masked(job: RunJob, canary: str) -> None:
    """On a terminal the command sees a tty (a pty behind the masker), so tools keep their
    colours; a token it prints is still masked."""
    import pty

    from tests.terminal import read_pty

    main, tty = pty.openpty()
    script = 'test -t 1 && test -t 2 && printf "\\033[31mred %s\\033[0m\\n" "$ACME_TOKEN"'
    proc = subprocess.Popen([str(job.private_packages), "run", "--", "sh", "-c", script],
                            cwd=job.project, env=job.env, stdin=tty, stdout=tty, stderr=tty,
                            close_fds=True)
    os.close(tty)
    shown = bytearray()
    read_pty(main, shown)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    text = shown.decode(errors="replace")
    assert "\x1b[31mred ****\x1b[0m" in text, text
    job.outputs.append(text)
    job.assert_clean(canary)


def test_an_untrusted_project_gets_nothing_and_is_told_why(
        job: RunJob, private_index: PrivateIndex, canary: str, clients: Clients) -> None:
    """The rule is the project's own: until the user trusts the project, `run` still runs
    the command but injects nothing the project chose, after one line saying so."""
    for part in ("URL", "USERNAME", "PASSWORD"):
        del job.env[f"PRIVATE_PACKAGES_ACME_{part}"]
    uv_project(job, private_index, name="acme")
    pyproject = job.project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("dependencies = []", 'dependencies = '
                                                       '["acme-internal"]') + f"""
[[tool.private-packages.credentials]]
url = "{private_index.url}/"
username = "{USER}"
password = "${{ACME_TOKEN}}"
""")
    printed = subprocess.run([str(job.private_packages), "run", "--print-env", "--",
                              str(clients.uv), "lock"], cwd=job.project, env=job.env,
                             capture_output=True, text=True, check=False)
    assert "UV_INDEX_ACME" not in printed.stdout

    result = job.run(clients.uv, "lock")

    assert result.returncode != 0  # uv got nothing, and said so with a 401
    first = result.stderr.splitlines()[0]
    assert first.startswith("private-packages: ") and "is not trusted" in first
    assert f"trust {job.project}" in first
    assert not any(r.authorized for r in private_index.requests)

    trusted = job.run(job.private_packages, "trust", "--yes", through_run=False)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    after = job.run(clients.uv, "lock")
    assert after.returncode == 0, after.stderr
    assert "is not trusted" not in after.stderr
    job.outputs += [printed.stdout, printed.stderr]
    job.assert_clean(canary)
