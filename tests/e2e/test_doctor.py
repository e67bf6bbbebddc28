"""The installed `pip-private doctor` console script against a real private index on
127.0.0.1 (pypiserver in 401 and 403 mode): the credential in the URL's userinfo through a
reference, or from an env-defined rule. Exit codes (DESIGN.md): 0 accepted, 3 rejected,
2 missing. Every case checks the secret is absent from stdout and stderr."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.errors import EXIT_CONFIG, EXIT_REJECTED
from support.pypi_server import PrivateIndex
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts

pytestmark = pytest.mark.e2e

PIP_PRIVATE = Path(sys.executable).parent / "pip-private"
USER = "deploy-bot"
RIGHT, WRONG = "<right>", "<wrong>"


@pytest.fixture
def forbidding_index(tmp_path: Path, canary: str, sample_wheels: Path) -> Iterator[PrivateIndex]:
    """Like `private_index`, but answering 403 (pypiserver's, Nexus's way) instead of 401."""
    root = tmp_path / "packages-403"
    shutil.copytree(sample_wheels, root)
    with PrivateIndex(root, password=canary, username=USER, mode=403) as index:
        yield index


def doctor(tmp_path: Path, env: dict[str, str], requirements: str,
           *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "req.txt").write_text(requirements, encoding="utf-8")
    return subprocess.run([str(PIP_PRIVATE), "doctor", *args, "-r", "req.txt"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)


def in_url(index: PrivateIndex) -> str:
    """req.txt with the credential in the index URL's userinfo, through `${TOKEN}`."""
    return f"--index-url {index.url.replace('://', f'://{USER}:${{TOKEN}}@')}/simple/\n" \
           "acme-internal\n"


def check(result: subprocess.CompletedProcess[str], code: int, *secrets: str) -> list[str]:
    """Assert the exit code and that no secret shows; return stdout's lines."""
    shown = {"stdout": result.stdout, "stderr": result.stderr}
    assert result.returncode == code, shown
    for secret in secrets:
        assert_not_in_texts(secret, shown, username=USER)
    return result.stdout.splitlines()


def marked(lines: list[str], marker: str) -> list[str]:
    """The report items carrying `marker` (not the summary line that counts them)."""
    return [line for line in lines if line.split()[:1] == [marker]]


@pytest.mark.parametrize(("token", "code", "words"), [
    (RIGHT, 0, ("ok", "200 OK: the index accepted the credential for deploy-bot")),
    (WRONG, EXIT_REJECTED, ("REJECTED", "401 Unauthorized", "rejected")),
    (None, EXIT_CONFIG, ("MISSING", "req.txt:1", "${TOKEN}",
                         "environment variable TOKEN is not set")),
], ids=["right-token", "wrong-token", "unset-variable"])
def test_credential_in_the_url(tmp_path: Path, client_env: dict[str, str],
                               private_index: PrivateIndex, canary: str, token: Optional[str],
                               code: int, words: tuple[str, ...]) -> None:
    wrong = make_canary("wrong")
    # the user's own project: doctor probes with a credential in the URL only where the
    # file is trusted (an untrusted one is probed anonymously, test_trust*.py)
    env = {**client_env, "PRIVATE_PACKAGES_TRUST": "1"}
    if token is not None:
        env["TOKEN"] = canary if token == RIGHT else wrong
    lines = check(doctor(tmp_path, env, in_url(private_index)), code, canary, wrong)
    assert len([line for line in lines if all(w in line for w in words)]) == 1, lines
    if token is None:
        assert len(marked(lines, "SKIPPED")) == 1
        assert not private_index.requests, "an unrenderable URL is not probed"
    else:
        assert lines[-1].startswith("doctor: everything is ready" if code == 0
                                    else "doctor: 1 problem (1 REJECTED); exit code 3")


def test_forbidding_index_rejects_a_wrong_token(tmp_path: Path, client_env: dict[str, str],
                                               forbidding_index: PrivateIndex,
                                               canary: str) -> None:
    wrong = make_canary("wrong")
    env = {**client_env, "TOKEN": wrong, "PRIVATE_PACKAGES_TRUST": "1"}
    lines = check(doctor(tmp_path, env, in_url(forbidding_index)), EXIT_REJECTED, canary, wrong)
    refused = marked(lines, "REJECTED")
    assert len(refused) == 1 and "403 Forbidden" in refused[0], lines


def env_rule(client_env: dict[str, str], url: str, token: str) -> dict[str, str]:
    return {**client_env, "IDX_TOKEN": token, "PRIVATE_PACKAGES_IDX_URL": url,
            "PRIVATE_PACKAGES_IDX_USERNAME": USER,
            "PRIVATE_PACKAGES_IDX_PASSWORD": "${IDX_TOKEN}"}


def test_credential_from_an_env_defined_rule(tmp_path: Path, client_env: dict[str, str],
                                            private_index: PrivateIndex, canary: str) -> None:
    # The rule binds the server's root: pypiserver links files at /packages/, beside
    # /simple/ (a rule for /simple/ alone is reported below).
    env = env_rule(client_env, private_index.url, canary)
    requirements = f"--index-url {private_index.simple_url}\nacme-internal\n"
    lines = check(doctor(tmp_path, env, requirements, "--timeout", "5"), 0, canary)
    index = [line for line in lines if private_index.simple_url in line and "200" in line]
    assert len(index) == 1, lines
    assert "credential from rule env PRIVATE_PACKAGES_IDX_*" in index[0]
    rule = [line for line in lines if "[environment] env PRIVATE_PACKAGES_IDX_*" in line]
    assert len(rule) == 1 and "password from ${IDX_TOKEN} (env) found" in rule[0]
    assert any(r.authorized and r.username == USER for r in private_index.requests)


def test_files_linked_outside_the_rule_are_reported_with_the_prefix_to_bind(
        tmp_path: Path, client_env: dict[str, str], private_index: PrivateIndex,
        canary: str) -> None:
    """A rule for /simple/ alone: the index accepts it, but pypiserver links its files at
    /packages/, where pip-private sends no credential. Exit 2, OUTSIDE, and the prefix."""
    env = env_rule(client_env, private_index.simple_url, canary)
    requirements = f"--index-url {private_index.simple_url}\nacme-internal\n"
    lines = check(doctor(tmp_path, env, requirements, "--timeout", "5"), 2, canary)
    outside = marked(lines, "OUTSIDE")
    assert len(outside) == 1 and f"{private_index.url}/packages/acme_internal" in outside[0]
    assert f'url = "{private_index.url}"' in "\n".join(lines)


def test_no_credential_where_the_index_wants_one_is_refused_access(
        tmp_path: Path, client_env: dict[str, str], private_index: PrivateIndex) -> None:
    """The index refused access (exit 3, as for a rejected credential), marked MISSING:
    no credential reached it, and the fix says how to give it one."""
    lines = check(doctor(tmp_path, client_env, f"-i {private_index.simple_url}\n"),
                  EXIT_REJECTED)
    missing = marked(lines, "MISSING")
    assert len(missing) == 1 and "none was sent" in missing[0], lines
    assert "credential none: no rule binds this URL" in missing[0]
    assert any("fix: No rule binds this URL" in line for line in lines)
