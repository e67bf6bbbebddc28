"""`pip-private` from the installed wheel driving real pip against pypiserver (401 and 403
modes) and a real `git http-backend`, with the leak matrix of the issue: after every
scenario the canaries are absent from stdout, stderr, every file under the test's
directory (home, caches, target, logs, temp dir), and the argv of pip and of git.

Every `job` test runs twice: pip in a child process (`--python` names a recording shim of
the venv's interpreter, so pip's argv is on record) and pip inside pip-private's own
interpreter (inprocess.py, what a user gets by default)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.git_server import GitServer
from support.pypi_server import PrivateIndex
from support.shims import install_recording_shim
from support.wheels import source_tree
from tests.conftest import Clients, make_canary
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.terminal import read_pty
from tests.venvs import build_locked_venv, locked_venv

pytestmark = pytest.mark.e2e

USER = "deploy-bot"
GIT = "/usr/bin/git"


@dataclass
class Job:
    """One simulated user: a project dir, an environment, recorders for child argv."""

    root: Path
    project: Path
    env: dict[str, str]
    pip_private: Path
    python_shim: Path
    argv_log: Path
    in_process: bool = False

    @property
    def python_option(self) -> list[str]:
        """How this job picks pip's interpreter: none (pip runs in pip-private's own), or
        the recording shim (pip runs as a child, its argv logged)."""
        return [] if self.in_process else ["--python", str(self.python_shim)]

    def run(self, *args: str, timeout: float = 120, **popen: object
            ) -> subprocess.CompletedProcess[str]:
        argv = [str(self.pip_private), *self.python_option, *args]
        return subprocess.run(argv, cwd=self.project, env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def write(self, name: str, text: str) -> Path:
        path = self.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def assert_clean(self, secret: str, result: subprocess.CompletedProcess[str]) -> None:
        texts = {"stdout": result.stdout, "stderr": result.stderr}
        if self.argv_log.exists():
            texts["child argv"] = self.argv_log.read_text()
        assert_not_in_texts(secret, texts, username=USER)
        assert assert_not_in_files(secret, [self.root], username=USER) > 0
        leftovers = [p.name for p in (self.root / "tmp").iterdir() if "pip-private" in p.name]
        assert leftovers == [], f"rendered files left behind: {leftovers}"


def make_job(tmp_path: Path, clients: Clients, client_env: dict[str, str],
             in_process: bool) -> Job:
    """pip-private from the pip client venv; pip's interpreter and git behind recording
    shims (their argv is where a token in a URL would show)."""
    argv_log = tmp_path / "argv.log"
    shims = tmp_path / "shims"
    install_recording_shim(shims, "git", GIT, argv_log)
    python_shim = install_recording_shim(shims, "pip-python", str(clients.pip_python),
                                         argv_log)
    for name in ("tmp", "project", "target"):
        (tmp_path / name).mkdir()
    env = {**client_env, "PATH": f"{shims}:{client_env['PATH']}",
           "TMPDIR": str(tmp_path / "tmp"), "GIT_TERMINAL_PROMPT": "0",
           "GIT_CONFIG_NOSYSTEM": "1", "PIP_NO_INPUT": "1"}
    return Job(tmp_path, tmp_path / "project", env,
               clients.pip_python.parent / "pip-private", python_shim, argv_log, in_process)


@pytest.fixture(params=["child", "in-process"])
def job(request: pytest.FixtureRequest, tmp_path: Path, clients: Clients,
        client_env: dict[str, str]) -> Job:
    return make_job(tmp_path, clients, client_env, request.param == "in-process")


@pytest.fixture
def child_job(tmp_path: Path, clients: Clients, client_env: dict[str, str]) -> Job:
    """For what only a child pip can show: its argv and environment, through the shim."""
    return make_job(tmp_path, clients, client_env, in_process=False)


def test_where_pip_runs(job: Job) -> None:
    """The two modes are really different: pip names itself after the running program. A
    child pip starts through bootstrap.py (never `-m pip`: the working directory would be
    on its sys.path) and still calls itself `python -m pip`."""
    usage = job.run("install", "--help").stdout
    if job.in_process:
        assert "pip-private install [options]" in usage and not job.argv_log.exists()
    else:
        assert "-m pip install [options]" in usage
        assert "pip_hook/bootstrap.py --guard install" in child_argv(job)
        assert " -m pip" not in child_argv(job)


def index_line(index: PrivateIndex, password_ref: str = "${VIKTOR_APP_SECRET#pypi}") -> str:
    host = index.url.removeprefix("http://")
    return f"--index-url http://${{PYPI_USER}}:{password_ref}@{host}/simple/\n"


def packed(secret: str) -> str:
    """A VIKTOR-style secret: several tokens in one variable (JSON)."""
    return json.dumps({"pypi": secret, "git": make_canary("git"), "other": "x"})


def installed(job: Job) -> list[str]:
    return sorted(p.name for p in (job.root / "target").iterdir())


def test_nested_files_packed_secret_and_constraints_install(
        job: Job, private_index: PrivateIndex, canary: str) -> None:
    job.write("requirements.txt", "# private index, token from the CI secret\n"
              + index_line(private_index) + "-r reqs/app.txt\n")
    job.write("reqs/app.txt", "-c ../constraints.txt\nacme-internal\n")
    job.write("constraints.txt", "acme-internal==${ACME_VERSION:-1.0.0}\n")
    # a CI job (trusted: ${NAME#field} and `:-` are beyond what pip itself expands)
    job.env.update(PYPI_USER=USER, VIKTOR_APP_SECRET=packed(canary), CI="true")
    result = job.run("install", "--target", str(job.root / "target"), "-r",
                     "requirements.txt")
    assert result.returncode == 0, result.stderr
    assert "acme_internal" in installed(job)
    # The credential left the URL (pip asks our backend for it): pip shows none at all.
    assert f"Looking in indexes: {private_index.simple_url}\n" in result.stdout
    assert any(r.authorized for r in private_index.requests)
    job.assert_clean(canary, result)


@pytest.mark.parametrize("secret", [
    "tok-simple-0123456789",
    "tok-x@y:z/w#v%u?t s&r+q",
    "tok-base64ish+/=AbC==",
], ids=["plain", "specials", "base64ish"])
def test_secret_characters_in_userinfo(job: Job, sample_wheels: Path, tmp_path: Path,
                                       secret: str) -> None:
    # HTTP secrets stay ASCII: requests encodes Basic credentials as latin-1 (conftest's
    # make_canary); non-ASCII values are covered where they are rendered (test_reqfile).
    root = tmp_path / "packages"
    shutil.copytree(sample_wheels, root)
    with PrivateIndex(root, password=secret, username=USER) as index:
        job.write("r.txt", index_line(index, "${TOKEN}") + "acme-internal\n")
        job.env.update(PYPI_USER=USER, TOKEN=secret)
        result = job.run("install", "--target", str(job.root / "target"), "-r", "r.txt")
    assert result.returncode == 0, result.stderr
    job.assert_clean(secret, result)


SCENARIOS = {
    # name: (extra args, requirements body after the index line, expected exit code)
    "success": ([], "acme-internal\n", 0),
    "verbose": (["-vvv"], "acme-internal\n", 0),
    "log-file": (["--log", "LOG"], "acme-internal\n", 0),
    "wrong-token": ([], "acme-internal\n", 1),
    "not-found": ([], "acme-internal\n", 1),
    "parse-error": ([], "acme-internal==${TOKEN} ]]\n", 1),
    "unknown-option": (["--no-such-option"], "acme-internal\n", 2),
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIOS.keys())
def test_leak_matrix(job: Job, private_index: PrivateIndex, canary: str,
                     scenario: str) -> None:
    extra, body, expected = SCENARIOS[scenario]
    token = make_canary("wrong") if scenario == "wrong-token" else canary
    line = index_line(private_index, "${TOKEN}")
    if scenario == "not-found":
        line = line.replace("/simple/", "/no/such/index/")
    job.write("r.txt", line + body)
    job.env.update(PYPI_USER=USER, TOKEN=token)
    log = job.root / "pip.log"
    args = [str(log) if a == "LOG" else a for a in extra]
    result = job.run("install", *args, "--target", str(job.root / "target"), "-r", "r.txt")
    assert result.returncode == expected, result.stdout + result.stderr
    if scenario == "log-file":
        assert "acme-internal" in log.read_text()  # pip's log, through the masker
    if scenario == "parse-error":
        assert "****" in result.stderr and "r.txt" in result.stderr
    for secret in {token, canary}:
        job.assert_clean(secret, result)


def test_403_index(job: Job, sample_wheels: Path, tmp_path: Path, canary: str) -> None:
    root = tmp_path / "packages"
    shutil.copytree(sample_wheels, root)
    with PrivateIndex(root, password=canary, username=USER, mode=403) as index:
        job.write("r.txt", index_line(index, "${TOKEN}") + "acme-internal\n")
        job.env.update(PYPI_USER=USER, TOKEN=make_canary("wrong"))
        result = job.run("install", "--target", str(job.root / "target"), "-r", "r.txt")
    assert result.returncode == 1
    job.assert_clean(canary, result)
    job.assert_clean(job.env["TOKEN"], result)


def test_unset_variable_stops_before_pip(job: Job, private_index: PrivateIndex) -> None:
    job.write("r.txt", "acme-internal\n")
    job.write("sub/more.txt", "\n" + index_line(private_index, "${MISSING_TOKEN}"))
    job.write("r.txt", "-r sub/more.txt\nacme-internal\n")
    job.env["PYPI_USER"] = USER
    result = job.run("install", "-r", "r.txt")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "MISSING_TOKEN" in result.stderr and "sub/more.txt:2" in result.stderr
    assert "bootstrap.py --guard install" not in child_argv(job)  # pip never started


def test_secrets_in_arguments_never_reach_pips_argv(job: Job, private_index: PrivateIndex,
                                                   canary: str) -> None:
    host = private_index.url.removeprefix("http://")
    job.env.update(TOKEN=canary)
    wheel = "acme_internal-1.0.0-py3-none-any.whl"
    result = job.run("install", "--target", str(job.root / "target"),
                     f"acme-internal @ http://{USER}:${{TOKEN}}@{host}/packages/{wheel}")
    assert result.returncode == 0, result.stderr
    assert "acme_internal" in installed(job)
    job.assert_clean(canary, result)
    shutil.rmtree(job.root / "target")
    (job.root / "target").mkdir()
    result = job.run("install", "--target", str(job.root / "target"), "-i",
                     f"http://{USER}:${{TOKEN}}@{host}/simple/", "acme-internal")
    assert result.returncode == 0, result.stderr
    job.assert_clean(canary, result)


def test_rule_credentials_work_under_no_input(job: Job, private_index: PrivateIndex,
                                             canary: str) -> None:
    """pip's default keyring provider skips keyring under --no-input; pip-private passes
    `--keyring-provider import` so a rule's credential is used -- unless the user chose."""
    job.write("r.txt", f"--index-url {private_index.simple_url}\nacme-internal\n")
    job.env.update(PRIVATE_PACKAGES_IDX_URL=private_index.url,
                   PRIVATE_PACKAGES_IDX_USERNAME=USER,
                   PRIVATE_PACKAGES_IDX_PASSWORD="${IDX_TOKEN}", IDX_TOKEN=canary)
    target = str(job.root / "target")
    result = job.run("install", "--no-input", "--target", target, "-r", "r.txt")
    assert result.returncode == 0, result.stderr
    job.assert_clean(canary, result)
    chose = job.run("install", "--no-input", "--keyring-provider", "disabled", "--target",
                    target, "--force-reinstall", "-r", "r.txt")
    assert chose.returncode == 1 and "from versions: none" in chose.stderr


def test_consumed_variables_leave_pips_environment(child_job: Job, tmp_path: Path) -> None:
    """Build backends inherit pip's environment: a variable consumed as a secret is removed
    (unless --keep-env); one a rule still needs stays."""
    env_log = tmp_path / "env.log"
    shim = tmp_path / "shims" / "pip-python"
    shim.write_text(shim.read_text().replace(
        "exec ", f"env | cut -d= -f1 > {env_log}\nexec ", 1))
    child_job.write("r.txt", "pkg==${VERSION_SECRET}\n")
    child_job.env.update(VERSION_SECRET="1.0", RULE_TOKEN="tok-rule-0123",
                   PRIVATE_PACKAGES_X_URL="https://x.example/",
                   PRIVATE_PACKAGES_X_PASSWORD="${RULE_TOKEN}")
    child_job.run("download", "--no-index", "-d", str(tmp_path / "dl"), "-r", "r.txt")
    names = env_log.read_text().split()
    assert "VERSION_SECRET" not in names and "RULE_TOKEN" in names
    child_job.run("--keep-env", "download", "--no-index", "-d", str(tmp_path / "dl"), "-r",
                  "r.txt")
    assert "VERSION_SECRET" in env_log.read_text().split()


def test_build_backends_inherit_no_consumed_variable(job: Job, tmp_path: Path) -> None:
    """What pip's children see, in both modes: a build backend writes the names in its
    environment; a variable consumed as a secret is not there, one a rule needs is."""
    project = tmp_path / "proj"
    project.mkdir()
    tree = source_tree("env-probe", "1.0")
    tree["backend.py"] = ("import os\nwith open(os.environ['ENV_LOG'], 'w') as fh:\n"
                          "    fh.write('\\n'.join(os.environ))\n" + tree["backend.py"])
    for name, text in tree.items():
        (project / name).write_text(text)
    env_log = tmp_path / "env.log"
    job.write("r.txt", "--trusted-host ${HOST_SECRET}\n" + str(project) + "\n")
    job.env.update(HOST_SECRET="h0st-s3cret.example", RULE_TOKEN="tok-rule-0123",
                   PRIVATE_PACKAGES_X_URL="https://x.example/", ENV_LOG=str(env_log),
                   PRIVATE_PACKAGES_X_PASSWORD="${RULE_TOKEN}")
    result = job.run("download", "--no-index", "-d", str(tmp_path / "dl"), "-r", "r.txt")
    assert result.returncode == 0, result.stdout + result.stderr
    names = env_log.read_text().split()
    assert "HOST_SECRET" not in names and "RULE_TOKEN" in names and "ENV_LOG" in names
    job.assert_clean("h0st-s3cret.example", result)
    env_log.unlink()
    job.run("--keep-env", "download", "--no-index", "-d", str(tmp_path / "dl2"), "-r", "r.txt")
    assert "HOST_SECRET" in env_log.read_text().split()


@pytest.fixture
def git_server(tmp_path: Path, canary: str) -> Iterator[GitServer]:
    files = {"pyproject.toml": '[build-system]\nrequires = ["flit_core>=3.4,<4"]\n'
                               'build-backend = "flit_core.buildapi"\n\n[project]\n'
                               'name = "acme-git"\nversion = "1.0.0"\ndescription = "x"\n',
             "acme_git/__init__.py": 'VERSION = "1.0.0"\n'}
    with GitServer(tmp_path / "repos", password=canary, username=USER) as server:
        server.make_repo("acme-git", files)
        yield server


@pytest.mark.parametrize("form", ["token-in-url", "rule", "scheme-case"])
def test_git_editable_then_freeze_are_clean(job: Job, git_server: GitServer, canary: str,
                                            form: str) -> None:
    """An editable git install (token in the URL through a reference -- also behind a
    scheme written `Git+Http://`, which pip reads case-insensitively --, or a rule with no
    token in the URL at all), then `pip freeze`: git's argv, .git/config, direct_url.json
    and freeze all stay clean -- the credential reaches git through its helper."""
    host = git_server.url.removeprefix("http://")
    scheme = "git+"
    if form == "rule":
        url = f"{git_server.url}/acme-git.git"
        job.env.update(PRIVATE_PACKAGES_GIT_URL=url, PRIVATE_PACKAGES_GIT_USERNAME=USER,
                       PRIVATE_PACKAGES_GIT_PASSWORD="${GIT_TOKEN}")
    else:
        url = f"http://{USER}:${{GIT_TOKEN}}@{host}/acme-git.git"
    if form == "scheme-case":
        scheme, url = "Git+", url.replace("http://", "Http://")
    job.env["GIT_TOKEN"] = canary
    venv = job.root / "venv"
    build_locked_venv(venv, "pip-only")  # test infrastructure, not the job: pip from its lock
    job.write("r.txt", f"-e {scheme}{url}#egg=acme-git\n")
    result = subprocess.run(
        [str(job.pip_private), "--python", str(venv / "bin/python"), "install", "--src",
         str(job.root / "src"), "-r", "r.txt"],
        cwd=job.project, env=job.env, capture_output=True, text=True, timeout=180,
        check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    checkout = job.root / "src" / "acme-git"
    assert (checkout / ".git" / "config").is_file()
    assert "git clone" in child_argv(job)
    freeze = subprocess.run([str(venv / "bin/python"), "-m", "pip", "freeze"],
                            capture_output=True, text=True, check=True, env=job.env)
    assert "acme-git" in freeze.stdout
    job.assert_clean(canary, result)
    assert_not_in_texts(canary, {"freeze": freeze.stdout}, username=USER)


def child_argv(job: Job) -> str:
    return job.argv_log.read_text() if job.argv_log.exists() else ""


@pytest.mark.parametrize("mode", ["memfd", "directory"])
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_sigint_during_install_leaves_nothing(job: Job, canary: str, mode: str,
                                              stop: str) -> None:
    """Ctrl-C (SIGINT to the process group) or SIGTERM (to pip-private alone, as a CI
    runner's timeout sends it) while pip waits on a server that never answers: pip stops,
    the rendered files are gone, and nothing leaked on the way out."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        job.write("r.txt", f"--index-url http://{USER}:${{TOKEN}}@127.0.0.1:{port}/simple/\n"
                           "acme-internal\n")
        job.env.update(TOKEN=canary, **({"PIP_PRIVATE_NO_MEMFD": "1"}
                                        if mode == "directory" else {}))
        argv = [str(job.pip_private), *job.python_option, "install",
                "--timeout", "60", "--retries", "0", "--target", str(job.root / "target"),
                "-r", "r.txt"]
        proc = subprocess.Popen(argv, cwd=job.project, env=job.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        accepted = threading.Event()
        threading.Thread(target=lambda: (silent.accept(), accepted.set()), daemon=True).start()
        assert accepted.wait(60), "pip never connected"
        if mode == "directory":
            assert any("pip-private" in p.name for p in (job.root / "tmp").iterdir())
        if stop == "SIGINT":
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group
        else:
            proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    # SIGTERM: 143, as for a killed pip. SIGINT: pip's own non-zero code, which depends on
    # where in the network stack the KeyboardInterrupt lands.
    assert proc.returncode == 128 + signal.SIGTERM if stop == "SIGTERM" else proc.returncode != 0
    job.assert_clean(canary, subprocess.CompletedProcess(argv, proc.returncode, stdout,
                                                         stderr))


def test_twenty_concurrent_runs_do_not_interfere(job: Job, private_index: PrivateIndex,
                                                 canary: str) -> None:
    job.write("r.txt", index_line(private_index, "${TOKEN}") + "acme-internal\n")
    job.env.update(PYPI_USER=USER, TOKEN=canary)
    procs = []
    for number in range(20):
        target = job.root / f"t{number}"
        procs.append(subprocess.Popen(
            [str(job.pip_private), "install", "--no-deps", "--target", str(target),
             "-r", "r.txt"], cwd=job.project, env=job.env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for number, (proc, (stdout, stderr)) in enumerate(zip(procs, outputs)):
        assert proc.returncode == 0, stderr
        assert (job.root / f"t{number}" / "acme_internal").is_dir()
        job.assert_clean(canary, subprocess.CompletedProcess([], 0, stdout, stderr))


def test_a_terminal_keeps_colours_and_stays_masked(job: Job, canary: str) -> None:
    """On a terminal pip still sees a tty (a pty behind the masker, in both modes), so it
    colours its error; the secret in the line it quotes is masked."""
    import pty

    job.write("r.txt", "acme-internal==${TOKEN} ]]\n")
    job.env.update(TOKEN=canary, TERM="xterm-256color")
    job.env.pop("NO_COLOR", None)
    main, tty = pty.openpty()
    proc = subprocess.Popen([str(job.pip_private), *job.python_option, "install",
                             "--no-index", "-r", "r.txt"], cwd=job.project, env=job.env,
                            stdin=tty, stdout=tty, stderr=tty, close_fds=True)
    os.close(tty)
    shown = bytearray()
    read_pty(main, shown)
    os.close(main)
    assert proc.wait(timeout=120) == 1
    text = shown.decode(errors="replace")
    assert "\x1b[" in text, text  # pip saw a terminal
    assert "****" in text and "Invalid requirement" in text
    job.assert_clean(canary, subprocess.CompletedProcess([], 1, text, ""))


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_a_closed_standard_stream_is_dev_null(job: Job, private_index: PrivateIndex,
                                              canary: str, closed: str) -> None:
    """`pip-private ... >&-` (or `2>&-`): the closed stream is discarded, as the user meant;
    nothing hangs, the other stream still shows pip's output, pip's exit code comes back.
    (A closed fd 1 used to be taken by the next file opened: a rendered memfd or a relay.)"""
    job.write("r.txt", index_line(private_index, "${TOKEN}") + "acme-internal\n")
    job.env.update(PYPI_USER=USER, TOKEN=canary)
    redirect = ">&-" if closed == "stdout" else "2>&-"
    result = subprocess.run(
        ["sh", "-c", f'exec "$@" {redirect}', "sh", str(job.pip_private), *job.python_option,
         "install", "--target", str(job.root / "target"), "-r", "r.txt"],
        cwd=job.project, env=job.env, capture_output=True, text=True, timeout=120,
        check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "acme_internal" in installed(job)
    shown = result.stderr if closed == "stdout" else result.stdout
    assert "Traceback" not in shown
    if closed == "stderr":
        assert "Successfully installed acme-internal" in result.stdout
    job.assert_clean(canary, result)


def test_a_cloned_pip_or_keyring_in_the_working_directory_is_never_imported(
        child_job: Job, private_index: PrivateIndex, canary: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A cloned repository may ship a top-level `pip/` or `keyring/` package: `python -m
    pip` there would import it (the working directory is first on sys.path) and hand it
    every credential. pip-private starts pip (and probes the interpreter) through a file
    of its own, so neither is ever imported -- for --python OTHER too."""
    marker = child_job.root / "imported"
    for package in ("pip", "keyring", "keyring_backend"):
        child_job.write(f"{package}/__init__.py",
                        f"open({str(marker)!r}, 'a').write({package!r} + '\\n')\n")
    child_job.write("pip/__main__.py", "")
    other = locked_venv(tmp_path_factory, "pip-only").parent  # pip alone, not ours
    subprocess.run([str(other / "bin/python"), "-m", "pip", "--version"],
                   cwd=child_job.project, env=child_job.env, capture_output=True, check=False)
    assert marker.read_text() == "pip\n", "the control: python -m pip imports the clone"
    marker.unlink()
    child_job.write("r.txt", index_line(private_index, "${TOKEN}") + "acme-internal\n")
    child_job.env.update(PYPI_USER=USER, TOKEN=canary)
    variants = {"in-process": ([], {}), "child": ([], {"PIP_PRIVATE_SUBPROCESS": "1"}),
                "--python OTHER": (["--python", str(other / "bin/python")], {})}
    for variant, (options, extra) in variants.items():
        result = subprocess.run(
            [str(child_job.pip_private), *options, "install", "--target",
             str(child_job.root / "target"), "--upgrade", "-r", "r.txt"],
            cwd=child_job.project, env={**child_job.env, **extra}, capture_output=True,
            text=True, timeout=180, check=False)
        assert result.returncode == 0, variant + result.stdout + result.stderr
        assert not marker.exists(), f"{variant}: {marker.read_text()}"
        child_job.assert_clean(canary, result)
