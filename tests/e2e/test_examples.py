"""Every recipe in examples/ runs its OWN commands against local servers, with the CI
variables simulated, so a recipe cannot drift from what is tested.

tests/recipes.py reads the commands out of the GitLab and GitHub recipes (its docstring says
what is read and what is left out) and runs them. In the Dockerfile, WORKDIR and COPY are
followed and the RUN that mounts a secret is run, with the secret its `docker build
--secret` comment names; VIKTOR's install.sh runs whole (its tool install is skipped by
`command -v`).

Every `https://[userinfo@]HOST` in a recipe file or command, for HOST in gitlab.com,
github.com, pypi.acme.example and vault.acme.example, becomes the local server standing in
for HOST (pypiserver under GitLab's registry paths, git http-backend, pypiserver, OpenBao);
in the Docker recipe, `/run/secrets/` becomes a temporary directory. Every secret is then
looked for -- raw, percent-encoded, base64 -- in every output, every child git argv and
every file written.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.git_server import GitServer
from support.jwt_issuer import OidcIssuer, configure_openbao_jwt
from support.openbao import OpenBaoServer
from support.prefix_mount import GitLabPackages
from support.pypi_server import PrivateIndex
from support.shims import install_recording_shim
from support.wheels import build_wheel, source_tree
from tests.conftest import Clients, make_canary
from tests.poetry_env import Poetry
from tests.recipes import (
    EXAMPLES,
    GITLAB_CI,
    PROJECT_ID,
    WORKFLOW,
    Runner,
    dockerfile_instructions,
    github_job_env,
    github_jobs,
    gitlab_job_env,
    gitlab_jobs,
    heredoc_in_comments,
    load_yaml,
    ok,
    run_github_job,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def runner(clients: Clients, poetry: Poetry, tmp_path: Path) -> Runner:
    argv_log = tmp_path / "argv.log"
    shims = tmp_path / "shims"
    install_recording_shim(shims, "git", shutil.which("git") or "git", argv_log)
    path = f"{shims}:{clients.pip_python.parent}:{poetry.env['PATH']}"
    temp = tmp_path / "tmp"  # pip's and git's temporary files land where the scan looks
    temp.mkdir()
    return Runner({**poetry.env, "PATH": path, "TMPDIR": str(temp)}, tmp_path, argv_log)


def installed(site: Path, module: str) -> bool:
    return any(site.glob(f"**/site-packages/{module}/__init__.py")) or (
        site / module / "__init__.py").is_file()


def authorized_users(index: PrivateIndex, method: str = "GET") -> set[Any]:
    return {r.username for r in index.requests if r.method == method and r.authorized}


# --- GitLab CI -----------------------------------------------------------------------------

GROUP_PREFIX = "/api/v4/groups/12345678/-/packages/pypi"


@pytest.fixture
def gitlab(tmp_path: Path, canary: str, sample_wheels: Path) -> Iterator[GitLabPackages]:
    """A GitLab registry wanting the job token as `gitlab-ci-token`; it already holds
    acme-internal 1.0.0 and the project's own acme-tools 0.1.4."""
    root = tmp_path / "gitlab-packages"
    shutil.copytree(sample_wheels, root)
    build_wheel(root, "acme-tools", "0.1.4")
    with GitLabPackages(root, password=canary, username="gitlab-ci-token") as server:
        yield server


def test_gitlab_ci_pipeline(runner: Runner, gitlab: GitLabPackages, canary: str,
                            poetry: Poetry, home: Path) -> None:
    jobs = gitlab_jobs(load_yaml(GITLAB_CI.read_text()))
    assert list(jobs) == ["install-pip", "install-poetry", "publish"]
    hosts = {"gitlab.com": gitlab.url}
    env = gitlab_job_env(gitlab, canary)
    site = runner.root / "site"

    # Each job gets a fresh checkout, as on a runner.
    pip_job = runner.checkout("gitlab-ci", hosts, "pip-job")
    ok(runner.sh("install-pip", "\n".join(jobs["install-pip"]), pip_job,
                 {**env, "PIP_TARGET": str(site)}))
    assert installed(site, "acme_internal")
    assert set(gitlab.prefixes) == {GROUP_PREFIX}  # the group endpoint, and only it

    poetry_job = runner.checkout("gitlab-ci", hosts, "poetry-job")
    ok(runner.sh("install-poetry", "\n".join(jobs["install-poetry"]), poetry_job, env))
    assert installed(poetry_job / ".venv", "acme_internal")
    lock = (poetry_job / "poetry.lock").read_text()
    assert 'name = "acme-internal"' in lock and f"{gitlab.url}{GROUP_PREFIX}/simple" in lock

    publish_job = runner.checkout("gitlab-ci", hosts, "publish-job")
    ok(runner.sh("publish", "\n".join(jobs["publish"]), publish_job, env))
    # Bumped past what the registry held (0.1.4), not from pyproject's 0.1.0.
    assert 'version = "0.1.5"' in (publish_job / "pyproject.toml").read_text()
    assert (gitlab.root / "acme_tools-0.1.5-py3-none-any.whl").is_file()
    assert f"/api/v4/projects/{PROJECT_ID}/packages/pypi" in gitlab.prefixes
    assert authorized_users(gitlab, "POST") == {"gitlab-ci-token"}
    assert authorized_users(gitlab) == {"gitlab-ci-token"}
    assert not any(r.username not in (None, "gitlab-ci-token") for r in gitlab.requests)

    assert not (poetry.config_dir / "auth.toml").exists()
    runner.assert_clean({canary: "gitlab-ci-token"}, runner.root, home)


# --- GitHub Actions ------------------------------------------------------------------------

TOOLS_FILES = source_tree("acme-tools", "1.4.0")


def tag_repo(bare: Path, tag: str) -> None:
    subprocess.run(["git", "-C", str(bare), "tag", tag, "main"], check=True,
                   capture_output=True)


def test_every_github_job_is_tested() -> None:
    assert set(github_jobs(load_yaml(WORKFLOW.read_text()))) == {
        "git-app-token", "git-pat", "vault-oidc"}


@pytest.mark.parametrize("job", ["git-app-token", "git-pat"])
def test_github_private_git_dependency(runner: Runner, job: str, tmp_path: Path,
                                       home: Path) -> None:
    token = make_canary(job)
    decoy = make_canary("unused")  # the other job's secret: it must not be what git sends
    with GitServer(tmp_path / "repos", password=token, username="x-access-token") as git:
        tag_repo(git.make_repo("acme/tools", TOOLS_FILES), "v1.4.0")
        contexts = {"steps.app-token.outputs.token": token if job == "git-app-token" else decoy,
                    "secrets.ACME_PAT": token if job == "git-pat" else decoy,
                    "vars.ACME_APP_ID": "12345", "secrets.ACME_APP_PRIVATE_KEY": decoy}
        site = tmp_path / "site"
        ok(run_github_job(runner, job, {"github.com": git.url}, contexts,
                          {**github_job_env(git.url), "PIP_TARGET": str(site)}))
        assert installed(site, "acme_tools")
        assert {r.username for r in git.requests if r.authorized} == {"x-access-token"}
        assert "git clone" in runner.argv_log.read_text()
    runner.assert_clean({token: "x-access-token"}, tmp_path, home)


@pytest.mark.parametrize("ref", ["refs/heads/main", "refs/heads/feature"])
def test_github_vault_through_oidc(runner: Runner, ref: str, tmp_path: Path,
                                   sample_wheels: Path, home: Path,
                                   fresh_vault_cache: None) -> None:
    """The id token is minted by a local issuer, checked by a real OpenBao JWT login with
    the role and policy written in the workflow's comments; a branch the role does not
    allow gets no secret, so the index gets no credential and the install fails."""
    token = make_canary("pypi")
    text = WORKFLOW.read_text()
    shutil.copytree(sample_wheels, tmp_path / "packages")
    claims = {"repository": "acme/app", "ref": ref, "sub": f"repo:acme/app:ref:{ref}"}
    with OpenBaoServer() as bao, OidcIssuer(claims) as issuer, PrivateIndex(
            tmp_path / "packages", password=token, username="__token__") as index:
        bao.create_policy("pypi-read", heredoc_in_comments(text, "vault policy write pypi-read"))
        role = json.loads(heredoc_in_comments(text, "vault write auth/jwt/role/pypi-reader"))
        configure_openbao_jwt(bao, issuer, "pypi-reader", role)
        bao.put_v2("ci/pypi", {"token": token})
        hosts = {"github.com": "http://127.0.0.1:9", "pypi.acme.example": index.url,
                 "vault.acme.example": bao.addr}
        site = tmp_path / "site"
        result = run_github_job(runner, "vault-oidc", hosts, {},
                                {**github_job_env("https://github.com"), "GITHUB_REF": ref,
                                 "PIP_TARGET": str(site)}, issuer.job_env())
        assert len(issuer.issued) == 1
        if ref == "refs/heads/main":
            ok(result)
            assert installed(site, "acme_internal")
            assert authorized_users(index) == {"__token__"}
        else:
            assert result.returncode != 0
            assert "jwt login at auth/jwt on Vault" in result.stderr, result.stderr
            assert not any(r.authorized for r in index.requests)
        id_token = issuer.issued[0]
    runner.assert_clean({token: "__token__", id_token: None}, tmp_path, home)


# --- Docker (BuildKit secret) --------------------------------------------------------------

def test_docker_buildkit_secret(runner: Runner, tmp_path: Path, sample_wheels: Path,
                                home: Path) -> None:
    text = (EXAMPLES / "docker/Dockerfile").read_text()
    build = re.search(r"docker build --secret id=(\w+),env=(\w+)", text)
    assert build is not None, "the Dockerfile must show its docker build command"
    token = make_canary("docker")
    secrets_dir = tmp_path / "run-secrets"  # BuildKit's tmpfs, outside the image
    secrets_dir.mkdir()
    shutil.copytree(sample_wheels, tmp_path / "packages")
    with PrivateIndex(tmp_path / "packages", password=token, username="__token__") as index:
        context = runner.checkout("docker", {"pypi.acme.example": index.url}, "context",
                                  {"/run/secrets/": f"{secrets_dir}/"})
        image = tmp_path / "image"
        workdir, ran = image, 0
        for instruction, args in dockerfile_instructions(text):
            if instruction == "WORKDIR":
                workdir = image / args.strip().lstrip("/")
                workdir.mkdir(parents=True, exist_ok=True)
            elif instruction == "COPY":
                *sources, dest = args.split()
                for source in sources:
                    shutil.copy(context / source, workdir / dest)
            elif instruction == "RUN" and "--mount=type=secret" in args:
                mounts = re.findall(r"--mount=(\S+)", args)
                command = re.sub(r"--mount=\S+\s*", "", args)
                for mount in mounts:
                    options = dict(part.split("=", 1) for part in mount.split(","))
                    assert options["id"] == build.group(1), "the RUN mounts another secret id"
                    target = options.get("target", f"/run/secrets/{options['id']}")
                    (secrets_dir / Path(target).name).write_text(token)  # from env=
                ok(runner.sh("docker RUN", command.replace("/run/secrets/", f"{secrets_dir}/"),
                             workdir, {"PIP_TARGET": str(image / "site-packages")}))
                ran += 1
        assert ran == 1
        assert installed(image / "site-packages", "acme_internal")
        assert authorized_users(index) == {"__token__"}
    # The image (WORKDIR, the installed packages) and the build context hold no token.
    runner.assert_clean({token: "__token__"}, image, context, home)


# --- VIKTOR-style app ----------------------------------------------------------------------

def test_viktor_one_secret_packs_several_tokens(runner: Runner, tmp_path: Path,
                                                sample_wheels: Path, home: Path) -> None:
    gitlab_token, github_token = make_canary("gl"), make_canary("gh")
    app_secret = json.dumps({"gitlab": gitlab_token, "github": github_token})
    shutil.copytree(sample_wheels, tmp_path / "packages")
    with GitLabPackages(tmp_path / "packages", password=gitlab_token,
                        username="viktor-app") as gitlab, GitServer(
            tmp_path / "repos", password=github_token, username="x-access-token") as git:
        tag_repo(git.make_repo("acme/tools", TOOLS_FILES), "v1.4.0")
        app = runner.checkout("viktor", {"gitlab.com": gitlab.url, "github.com": git.url}, "app")
        site = tmp_path / "site"
        env = {"VIKTOR_APP_SECRET": app_secret, "PIP_TARGET": str(site)}
        # a checkout on your own machine: ${NAME#field} needs the project trusted once
        untrusted = runner.sh("viktor untrusted", "sh ./install.sh", app, env)
        assert untrusted.returncode == 2, untrusted.stdout + untrusted.stderr
        assert "pip-private trust" in untrusted.stdout + untrusted.stderr
        ok(runner.sh("viktor trust", "pip-private trust --yes", app))
        ok(runner.sh("viktor install.sh", "sh ./install.sh", app, env))
        assert installed(site, "acme_internal") and installed(site, "acme_tools")
        assert authorized_users(gitlab) == {"viktor-app"}
        assert set(gitlab.prefixes) == {GROUP_PREFIX}
        assert {r.username for r in git.requests if r.authorized} == {"x-access-token"}
    runner.assert_clean({gitlab_token: "viktor-app", github_token: "x-access-token",
                         app_secret: None}, tmp_path, home)


# --- every recipe ---------------------------------------------------------------------------

def test_no_recipe_holds_a_credential(clients: Clients) -> None:
    """pip-private scan reads the requirements files, pyproject.toml and Dockerfile."""
    scan = subprocess.run([str(clients.pip_python.parent / "pip-private"), "scan",
                           str(EXAMPLES)], capture_output=True, text=True, check=False)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    # 5 requirements files, pyproject.toml and the Dockerfile were read, not skipped.
    read = re.search(r"no hard-coded credentials in (\d+) file", scan.stdout, re.IGNORECASE)
    assert read is not None and int(read.group(1)) >= 7, scan.stdout
