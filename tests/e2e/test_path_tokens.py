"""A token in a URL's path or query, through the real pip-private (in its own interpreter
and as a child): Cloudsmith's `https://dl.cloudsmith.io/TOKEN/org/repo/python/simple/`.

- In an index URL it works, and is in no file pip writes: not the wheel cache's
  `origin.json` of a wheel built from an sdist, not the HTTP cache (pip runs without its
  caches, even with `--cache-dir`), not `PIP_REPORT`, not a `log =` of pip.conf, not the
  `pylock.toml` of `pip lock` (masked), not `pip freeze`, and in no argv.
- In a direct URL or a git URL pip would record it (direct_url.json, `pip freeze`, git's
  argv and `.git/config`): one line, exit 2, before anything is fetched or run.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.header_log import LoggingIndex
from support.wheels import build_wheel
from tests.conftest import Clients
from tests.e2e.test_no_secret_in_argv import write_sdist
from tests.e2e.test_pip_private import Job, make_job
from tests.leaks import assert_not_in_files, assert_not_in_texts

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["child", "in-process"])
def job(request: pytest.FixtureRequest, tmp_path: Path, clients: Clients,
        client_env: dict[str, str]) -> Job:
    """pip-private in both modes, git and pip's argv recorded (test_pip_private.py)."""
    return make_job(tmp_path, clients, client_env, request.param == "in-process")


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("path-token-packages")
    build_wheel(dest, "acme-internal", "1.0.0")
    write_sdist(dest, "acme-sdist", "1.0", [])  # built here: origin.json in the wheel cache
    return dest


@pytest.fixture
def index(packages: Path) -> Iterator[LoggingIndex]:
    with LoggingIndex(packages, protect=lambda path: False) as server:
        yield server


@pytest.fixture
def token() -> str:
    return f"cs-entitlement-{uuid.uuid4().hex}"  # path-safe, as Cloudsmith issues them


def index_line(index: LoggingIndex) -> str:
    return f"--index-url http://127.0.0.1:{index.port}/${{CLOUDSMITH_TOKEN}}/acme/python/simple/\n"


def test_an_index_path_token_reaches_no_file_pip_writes(job: Job, index: LoggingIndex,
                                                        token: str) -> None:
    tmp = job.root / "tmp"
    (tmp / "pip.conf").write_text(f"[global]\nlog = {tmp / 'conf.log'}\n")
    job.env.update(CLOUDSMITH_TOKEN=token, PIP_CONFIG_FILE=str(tmp / "pip.conf"),
                   PIP_REPORT=str(tmp / "report.json"))
    job.write("requirements.txt", index_line(index) + "acme-sdist\nacme-internal\n")
    result = job.run("install", "--cache-dir", str(tmp / "cache"), "--target",
                     str(job.root / "target"), "-r", "requirements.txt", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [s.raw_path for s in index.seen if token in s.raw_path], "the index was not used"
    assert (job.root / "target" / "acme_sdist").is_dir()
    # pip wrote what it was asked to, through the masker: the URL is there, as ****
    assert "/****/acme/python/" in (tmp / "report.json").read_text()
    assert "acme-sdist" in (tmp / "conf.log").read_text()
    freeze = subprocess.run([str(job.pip_private.parent / "python"), "-m", "pip", "freeze",
                             "--path", str(job.root / "target")], env=job.env,
                            capture_output=True, text=True, check=True)
    assert "acme-sdist==1.0" in freeze.stdout
    assert_not_in_texts(token, {"pip freeze": freeze.stdout})
    job.assert_clean(token, result)  # output, argv, every file: home (pip's cache), target


def test_pip_lock_writes_the_index_url_masked(job: Job, index: LoggingIndex,
                                              token: str) -> None:
    job.env["CLOUDSMITH_TOKEN"] = token
    job.write("requirements.txt", index_line(index) + "acme-internal\n")
    result = job.run("lock", "-r", "requirements.txt", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/****/acme/python/" in (job.project / "pylock.toml").read_text()
    job.assert_clean(token, result)


GIT_REPO = "http://127.0.0.1:9/org/repo.git"
REFUSED = {
    # name: the requirement; ${CLOUDSMITH_TOKEN} outside the userinfo
    "direct-path": "acme-sdist @ http://127.0.0.1:{port}/${{CLOUDSMITH_TOKEN}}/f/"
                   "acme_sdist-1.0.tar.gz",
    "direct-query": "acme-sdist @ http://127.0.0.1:{port}/f/acme_sdist-1.0.tar.gz"
                    "?sig=${{CLOUDSMITH_TOKEN}}",
    "git-path": "acme @ git+http://127.0.0.1:{port}/${{CLOUDSMITH_TOKEN}}/repo.git",
    "git-query": "acme @ git+http://127.0.0.1:{port}/org/repo.git"
                 "?private_token=${{CLOUDSMITH_TOKEN}}",
    "git-ref": "acme @ git+http://127.0.0.1:{port}/org/repo.git@${{CLOUDSMITH_TOKEN}}",
}


@pytest.mark.parametrize("given", ["file", "argument", "editable"])
@pytest.mark.parametrize("requirement", REFUSED.values(), ids=REFUSED.keys())
def test_a_recorded_url_holding_a_token_is_refused(job: Job, index: LoggingIndex,
                                                   token: str, requirement: str,
                                                   given: str) -> None:
    job.env["CLOUDSMITH_TOKEN"] = token
    line = requirement.format(port=index.port)
    if given == "editable":
        line = "-e " + line.split(" @ ", 1)[1] + "#egg=acme"
    job.write("r.txt", line + "\n")
    args = ["-r", "r.txt"] if given != "argument" else [line]
    result = job.run("install", "--target", str(job.root / "target"), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "${CLOUDSMITH_TOKEN} is substituted outside the userinfo of a URL" in lines[0]
    assert index.seen == []  # nothing fetched
    assert not job.argv_log.exists() or " git " not in job.argv_log.read_text()
    job.assert_clean(token, result)


def test_a_keyring_command_could_see_the_index_url(job: Job, index: LoggingIndex,
                                                   token: str) -> None:
    """pip's subprocess provider passes the index URL to `keyring`'s argv after a 401."""
    job.env["CLOUDSMITH_TOKEN"] = token
    job.write("r.txt", index_line(index) + "acme-internal\n")
    result = job.run("install", "--keyring-provider", "subprocess", "-r", "r.txt")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "to a `keyring` command's process arguments" in result.stderr
    assert len(result.stderr.splitlines()) == 1 and index.seen == []
    job.assert_clean(token, result)


def test_the_token_in_the_userinfo_still_goes_through_unrecorded(
        job: Job, index: LoggingIndex, token: str) -> None:
    """The control beside the refusals: the same token where it belongs is fine."""
    job.env["CLOUDSMITH_TOKEN"] = token
    job.write("r.txt", f"acme-sdist @ http://u:${{CLOUDSMITH_TOKEN}}@127.0.0.1:{index.port}"
                       "/f/acme_sdist-1.0.tar.gz\n")
    result = job.run("install", "--target", str(job.root / "target"), "-r", "r.txt",
                     timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert assert_not_in_files(token, [job.root / "target"]) > 0
    job.assert_clean(token, result)
