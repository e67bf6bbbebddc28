"""Demo steps 9-10: a Poetry project installs the demo's private package from the same index,
its credential once from the CI variable and once from OpenBao.

`poetry source auth` writes a rule that names the secret (never its value); the plugin's
hook resolves it in memory before `poetry lock` / `poetry install` talk to the index, with
poetry's keyring disabled and its config, cache and data dirs under the demo's temp dir.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

from demo.console import BIN, GREEN, RED, RESET, run, show, step
from support.pypi_server import PrivateIndex
from support.wsgi import Request

if sys.version_info >= (3, 11):
    import tomllib
else:  # the project depends on tomli below 3.11
    import tomli as tomllib

SOURCE = "acme"
VAULT_FIELD = "secret/ci/pypi#token"  # the secret step 7 wrote to OpenBao
PACKAGE = "acme-internal"


def poetry_steps(tmp: Path, demo_env: dict[str, str], index: PrivateIndex, token: str) -> int:
    """Steps 9 and 10; 0 when both installed the package and wrote the token nowhere."""
    app = tmp / "poetry-app"
    app.mkdir()
    env = {key: value for key, value in demo_env.items()
           if key not in ("CI_JOB_TOKEN", "VIKTOR_APP_SECRET")}  # the token only where we say
    env.update(POETRY_KEYRING_ENABLED="false", POETRY_VIRTUALENVS_IN_PROJECT="true",
               POETRY_NO_INTERACTION="1", POETRY_CACHE_DIR=str(tmp / "poetry-cache"),
               POETRY_CONFIG_DIR=str(tmp / "poetry-config"),
               POETRY_DATA_DIR=str(tmp / "poetry-data"))
    code = from_env_secret(app, env, index, token)
    return code or from_vault(app, env, index, token)


def from_env_secret(app: Path, env: dict[str, str], index: PrivateIndex, token: str) -> int:
    step(9, "Poetry: a private source, its token from the CI variable, keyring disabled")
    project = f"""
        [project]
        name = "acme-app"
        version = "0.1.0"
        requires-python = ">=3.9"
        dependencies = []

        [tool.poetry]
        package-mode = false

        [[tool.poetry.source]]
        name = "{SOURCE}"
        url = "{index.simple_url}"
        priority = "primary"
        """
    (app / "pyproject.toml").write_text(textwrap.dedent(project).lstrip())
    show(project)
    env["CI_JOB_TOKEN"] = token
    show("""
        export CI_JOB_TOKEN=****
        export POETRY_KEYRING_ENABLED=false POETRY_VIRTUALENVS_IN_PROJECT=true
        export POETRY_CACHE_DIR=… POETRY_CONFIG_DIR=… POETRY_DATA_DIR=…   (empty, in the temp dir)
        """)
    code = run([poetry(), "source", "auth", SOURCE, "--token-env", "CI_JOB_TOKEN",
                "--username", "gitlab-ci-token"], env, app, token)
    if code != 0:
        return code
    show("pyproject.toml now also holds:\n" + written_rule(app))
    first = len(index.requests)
    for command in (["add", "--lock", "--source", SOURCE, PACKAGE], ["install"]):
        code = run([poetry(), *command], env, app, token)
        if code != 0:
            return code
    return report(app, index.requests[first:], token, "installed with poetry; token from "
                  "CI_JOB_TOKEN, handed to poetry in memory")


def from_vault(app: Path, env: dict[str, str], index: PrivateIndex, token: str) -> int:
    step(10, "Poetry: the same credential from OpenBao; the CI variable is gone")
    code = run([poetry(), "source", "auth", SOURCE, "--vault", VAULT_FIELD], env, app, token)
    if code != 0:
        return code
    del env["CI_JOB_TOKEN"]
    show(f"unset CI_JOB_TOKEN   (VAULT_ADDR={env['VAULT_ADDR']}, VAULT_TOKEN=****)\n"
         "pyproject.toml now holds:\n" + written_rule(app))
    code = run([poetry(), "source", "check", SOURCE], env, app, token)
    if code != 0:
        return code
    # A fresh environment and cache, so poetry fetches index and wheel again with the Vault
    # token (else a cached wheel would be installed without asking the index).
    shutil.rmtree(app / ".venv")
    shutil.rmtree(env["POETRY_CACHE_DIR"])
    show("rm -rf .venv $POETRY_CACHE_DIR   (so poetry asks the index again)")
    first = len(index.requests)
    for command in (["lock", "--regenerate"], ["install"]):
        code = run([poetry(), *command], env, app, token)
        if code != 0:
            return code
    return report(app, index.requests[first:], token, "installed again, token read from "
                  "OpenBao by the plugin")


def poetry() -> str:
    return str(BIN / "poetry")


def written_rule(app: Path) -> str:
    """The private-packages table of the project's pyproject.toml, as poetry left it."""
    text = (app / "pyproject.toml").read_text()
    start = text.index("[[tool.private-packages.credentials]]")
    return "  " + "\n  ".join(text[start:].strip().splitlines())


def report(app: Path, requests: list[Request], token: str, success: str) -> int:
    """What the index saw, what the project's files hold, and that no auth.toml exists."""
    statuses = sorted({r.status for r in requests})
    with_credential = sum(1 for r in requests if r.authorized)
    texts = {name: (app / name).read_text() for name in ("pyproject.toml", "poetry.lock")}
    leaked = [name for name, text in texts.items() if token in text]
    auth_files = [str(p) for p in app.parent.rglob("auth.toml")]
    show(f"index: {len(requests)} requests, {with_credential} with the credential, "
         f"HTTP {', '.join(map(str, statuses))}")
    show(f"poetry.lock: {locked_packages(texts['poetry.lock'])}")
    show("pyproject.toml, poetry.lock: "
         + (f"TOKEN FOUND in {', '.join(leaked)}" if leaked else "no token"))
    show(f"auth.toml: {', '.join(auth_files) or 'none written'}")
    problems = []
    if leaked or auth_files:
        problems.append("LEAK: the token is in a file, or poetry wrote an auth.toml")
    if not list((app / ".venv").glob("lib/python*/site-packages/acme_internal")):
        problems.append(f"{PACKAGE} is not installed in {app / '.venv'}")
    if with_credential != len(requests):
        problems.append("the index got requests without the credential")
    if problems:
        print(f"{RED}    {'; '.join(problems)}{RESET}")
        return 1
    show(f"{GREEN}{success}{RESET}")
    return 0


def locked_packages(lock: str) -> str:
    """`NAME VERSION from source REF (URL)` for each package poetry.lock pins."""
    packages = tomllib.loads(lock).get("package", [])
    return "; ".join(f"{p['name']} {p['version']} from source {p['source']['reference']} "
                     f"({p['source']['url']})" for p in packages) or "no package"
