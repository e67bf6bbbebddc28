"""`pip-private scan` (DESIGN.md "pip-private": `scan`): hard-coded credentials in the files
pip, poetry, uv, twine and Docker read are found where they stand, references and
placeholders are not, the proposal is the secret-free form in this project's grammar, and
no secret -- raw, percent-encoded or base64 -- ever reaches the output."""

from __future__ import annotations

import io
import os
import random
import re
import string
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote

import pytest

from pip_hook.reqfile import join_lines
from pip_hook.scan import main
from pip_hook.scan.findings import READERS, Finding, scan_paths, scan_text
from pip_hook.scan.rules import split_url
from pip_hook.scan.targets import file_kind
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts

_RNG = random.SystemRandom()
ALNUM = string.ascii_letters + string.digits


def _random(alphabet: str, n: int) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


# Secrets are made per test (never in a parametrize id: xdist compares ids across workers).
SECRETS: dict[str, Callable[[], str]] = {
    "canary": make_canary,  # @ : / # % ? space & +
    "unicode": lambda: make_canary(ascii_only=False),
    "url-raw": lambda: f"tok-{uuid.uuid4().hex[:10]}@:/%?&+",  # unencoded in a URL
    "url-hash": lambda: f"tok-{uuid.uuid4().hex[:10]}#frag",
    "ghp": lambda: "ghp_" + _random(ALNUM, 36),
    "gho": lambda: "gho_" + _random(ALNUM, 36),
    "ghs": lambda: "ghs_" + _random(ALNUM, 36),
    "ghu": lambda: "ghu_" + _random(ALNUM, 36),
    "github_pat": lambda: f"github_pat_{_random(ALNUM, 22)}_{_random(ALNUM, 59)}",
    "glpat": lambda: "glpat-" + _random(ALNUM + "_-", 20),
    "gldt": lambda: "gldt-" + _random(ALNUM, 20),
    "glcbt": lambda: f"glcbt-64_{_random(ALNUM, 20)}",
    "pypi": lambda: "pypi-AgEIcHlwaS5vcmc" + _random(ALNUM + "_-", 70),
    "aws": lambda: "AKIA" + _random(string.ascii_uppercase + string.digits, 16),
    "hex40": lambda: _random("0123456789abcdef", 40),
    "word": lambda: f"pw{uuid.uuid4().hex[:12]}",
}


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def fill(template: str, secret: str) -> str:
    return template.replace("{secret}", secret).replace("{enc}", quote(secret, safe=""))


# ------------------------------------------------------------------ positive tables

# (id, file name, content, secret kind, expected (kind, line, column, host))
POSITIVE: list[tuple[str, str, str, str, tuple[str, int, int, Optional[str]]]] = [
    # requirements files: every place pip takes a URL
    ("req-index-url", "requirements.txt",
     "--index-url https://__token__:{enc}@gitlab.example.com/simple\nacme\n",
     "canary", ("url-userinfo", 1, 13, "gitlab.example.com")),
    ("req-short-i", "requirements.txt", "-i https://u:{enc}@nexus.example.com/simple\n",
     "unicode", ("url-userinfo", 1, 4, "nexus.example.com")),
    ("req-extra-equals", "requirements-dev.txt",
     "requests\n--extra-index-url=https://u:{enc}@h.example.com/simple\n",
     "canary", ("url-userinfo", 2, 19, "h.example.com")),
    ("req-find-links", "constraints.txt", "-f https://u:{enc}@h.example.com/wheels/\n",
     "canary", ("url-userinfo", 1, 4, "h.example.com")),
    ("req-find-links-long", "requirements/base.txt",
     "--find-links https://u:{enc}@h.example.com/wheels/\n",
     "word", ("url-userinfo", 1, 14, "h.example.com")),
    ("req-editable-git", "dev.in", "-e git+https://oauth2:{enc}@gitlab.com/g/r.git#egg=r\n",
     "canary", ("url-userinfo", 1, 4, "gitlab.com")),
    ("req-pep508-git", "requirements.txt",
     "acme @ git+https://x-access-token:{enc}@github.com/org/repo.git@v1\n",
     "canary", ("url-userinfo", 1, 8, "github.com")),
    ("req-bare-git", "requirements.txt",
     "git+https://gitlab-ci-token:{enc}@gitlab.example.com/g/r.git\n",
     "canary", ("url-userinfo", 1, 1, "gitlab.example.com")),
    ("req-direct-file", "requirements.txt",
     "acme @ https://u:{enc}@files.example.com/acme-1.0-py3-none-any.whl\n",
     "canary", ("url-userinfo", 1, 8, "files.example.com")),
    ("req-nested-r", "requirements.txt", "-r https://u:{enc}@h.example.com/reqs.txt\n",
     "canary", ("url-userinfo", 1, 4, "h.example.com")),
    ("req-hash-not-comment", "requirements.txt",
     "https://u:{enc}@h.example.com/x.tar.gz#egg=y\n",
     "canary", ("url-userinfo", 1, 1, "h.example.com")),
    ("req-raw-at-colon-slash", "requirements.txt",
     "--index-url https://u:{secret}@h.example.com/simple\n",
     "url-raw", ("url-userinfo", 1, 13, "h.example.com")),
    ("req-raw-hash", "requirements.txt",
     "--index-url https://u:{secret}@h.example.com/simple\n",
     "url-hash", ("url-userinfo", 1, 13, "h.example.com")),
    ("req-token-username", "requirements.txt",
     "git+https://{secret}@github.com/org/repo.git\n",
     "ghp", ("url-userinfo", 1, 1, "github.com")),
    ("req-hex40-username", "requirements.txt",
     "acme @ git+https://{secret}@github.com/org/repo.git\n",
     "hex40", ("url-userinfo", 1, 8, "github.com")),
    ("req-oauth-basic", "requirements.txt",
     "git+https://{secret}:x-oauth-basic@github.com/org/repo.git\n",
     "ghp", ("url-userinfo", 1, 1, "github.com")),
    ("req-continuation", "requirements.txt",
     "acme\n--extra-index-url \\\n    https://u:{enc}@h.example.com/simple\nother\n",
     "canary", ("url-userinfo", 2, 23, "h.example.com")),
    ("req-token-in-comment", "requirements.txt", "acme  # old token {secret}\n",
     "glpat", ("token-shape", 1, 19, None)),
    ("req-explicit-other-name", "deps.txt", "-i https://u:{enc}@h.example.com/simple\n",
     "canary", ("url-userinfo", 1, 4, "h.example.com")),
    # pyproject.toml
    ("pyproject-poetry-source", "pyproject.toml",
     '[[tool.poetry.source]]\nname = "internal"\nurl = "https://u:{enc}@h.example.com/simple"\n',
     "canary", ("url-userinfo", 3, 8, "h.example.com")),
    ("pyproject-uv-index-raw", "pyproject.toml",
     '[[tool.uv.index]]\nname = "internal"\nurl = "https://u:{secret}@h.example.com/simple"\n',
     "canary", ("url-userinfo", 3, 8, "h.example.com")),
    ("pyproject-uv-index-url", "pyproject.toml",
     '[tool.uv]\nindex-url = "https://u:{enc}@h.example.com/simple"\n',
     "unicode", ("url-userinfo", 2, 14, "h.example.com")),
    ("pyproject-uv-extra", "pyproject.toml",
     '[tool.uv]\nextra-index-url = ["https://u:{enc}@h.example.com/simple"]\n',
     "canary", ("url-userinfo", 2, 21, "h.example.com")),
    ("pyproject-pep621", "pyproject.toml",
     '[project]\nname = "x"\ndependencies = [\n  "acme @ git+https://{secret}@github.com/o/a.git",\n]\n',
     "ghp", ("url-userinfo", 4, 11, "github.com")),
    ("pyproject-poetry-git", "pyproject.toml",
     '[tool.poetry.dependencies]\nacme = { git = "https://oauth2:{enc}@gitlab.com/g/acme.git" }\n',
     "canary", ("url-userinfo", 2, 17, "gitlab.com")),
    ("pyproject-poetry-url", "pyproject.toml",
     '[tool.poetry.dependencies]\nacme = { url = "https://u:{enc}@h.example.com/a-1.0.tar.gz" }\n',
     "canary", ("url-userinfo", 2, 17, "h.example.com")),
    ("pyproject-rule-password", "pyproject.toml",
     '[[tool.private-packages.credentials]]\nurl = "https://gitlab.example.com/g"\n'
     'username = "__token__"\npassword = "{secret}"\n',
     "unicode", ("rule-password", 4, 12, "gitlab.example.com")),
    ("pyproject-rule-username", "pyproject.toml",
     '[[tool.private-packages.credentials]]\nurl = "https://github.com/org"\n'
     'username = "{secret}"\n',
     "ghp", ("rule-username", 3, 12, "github.com")),
    # lock files
    ("poetry-lock", "poetry.lock",
     '[[package]]\nname = "acme"\n\n[package.source]\ntype = "legacy"\n'
     'url = "https://u:{enc}@h.example.com/simple"\nreference = "internal"\n',
     "canary", ("lock-url", 6, 8, "h.example.com")),
    ("uv-lock-registry", "uv.lock",
     '[[package]]\nname = "acme"\nsource = { registry = "https://u:{enc}@h.example.com/simple" }\n',
     "canary", ("lock-url", 3, 24, "h.example.com")),
    ("uv-lock-git", "uv.lock",
     '[[package]]\nsource = { git = "https://oauth2:{enc}@gitlab.com/g/r.git?rev=v1#abc" }\n',
     "canary", ("lock-url", 2, 19, "gitlab.com")),
    ("pylock-index", "pylock.toml",
     'lock-version = "1.0"\n\n[[packages]]\nname = "acme"\n'
     'index = "https://u:{enc}@h.example.com/simple"\n',
     "canary", ("lock-url", 5, 10, "h.example.com")),
    ("pylock-named-vcs", "pylock.web.toml",
     '[[packages]]\nname = "acme"\n[packages.vcs]\ntype = "git"\n'
     'url = "https://oauth2:{enc}@gitlab.com/g/r.git"\n',
     "canary", ("lock-url", 5, 8, "gitlab.com")),
    ("pylock-wheel-url", "pylock.toml",
     '[[packages.wheels]]\nurl = "https://u:{enc}@h.example.com/a-1.0-py3-none-any.whl"\n',
     "word", ("lock-url", 2, 8, "h.example.com")),
    # uv.toml
    ("uv-toml-index", "uv.toml",
     '[[index]]\nname = "internal"\nurl = "https://u:{enc}@h.example.com/simple"\n',
     "canary", ("url-userinfo", 3, 8, "h.example.com")),
    ("uv-toml-pip-extra", "uv.toml",
     '[pip]\nextra-index-url = ["https://u:{secret}@h.example.com/simple"]\n',
     "word", ("url-userinfo", 2, 21, "h.example.com")),
    # pip.conf / pip.ini
    ("pip-conf-index", "pip.conf", "[global]\nindex-url = https://u:{enc}@h.example.com/simple\n",
     "canary", ("url-userinfo", 2, 13, "h.example.com")),
    ("pip-conf-extra-continued", "pip.conf",
     "[global]\nextra-index-url =\n    https://a.example.com/simple\n"
     "    https://u:{enc}@h.example.com/simple\n",
     "canary", ("url-userinfo", 4, 5, "h.example.com")),
    ("pip-ini-find-links", "pip.ini", "[install]\nfind-links = https://u:{secret}@h.example.com/w\n",
     "word", ("url-userinfo", 2, 14, "h.example.com")),
    # .pypirc
    ("pypirc-pypi", ".pypirc", "[pypi]\nusername = __token__\npassword = {secret}\n",
     "pypi", ("pypirc-password", 3, 12, "upload.pypi.org")),
    ("pypirc-private", ".pypirc",
     "[distutils]\nindex-servers = internal\n\n[internal]\n"
     "repository = https://nexus.example.com/repository/pypi/\nusername = deploy\n"
     "password = {secret}\n",
     "canary", ("pypirc-password", 7, 12, "nexus.example.com")),
    # .netrc
    ("netrc-one-line", ".netrc", "machine gitlab.example.com login deploy password {secret}\n",
     "word", ("netrc", 1, 50, "gitlab.example.com")),
    ("netrc-quoted", "_netrc",
     'machine h.example.com\n  login u\n  password "{secret}"\n',
     "canary", ("netrc", 3, 12, "h.example.com")),
    # Dockerfiles
    ("docker-arg", "Dockerfile", "FROM python:3.12\nARG GITLAB_TOKEN={secret}\n",
     "word", ("docker-secret", 2, 18, None)),
    ("docker-arg-quoted", "Dockerfile.ci", 'FROM python\nARG PYPI_PASSWORD="{secret}"\n',
     "canary", ("docker-secret", 2, 19, None)),
    ("docker-env-legacy", "app.Dockerfile", "FROM python\nENV NPM_TOKEN {secret}\n",
     "word", ("docker-secret", 2, 15, None)),
    ("docker-pip-install", "Dockerfile",
     "FROM python\nRUN pip install --index-url https://u:{enc}@h.example.com/simple acme\n",
     "canary", ("url-userinfo", 2, 29, "h.example.com")),
    ("docker-env-token-shape", "Dockerfile", "FROM python\nENV SOME_VALUE={secret}\n",
     "aws", ("token-shape", 2, 16, None)),
]
# every well-known shape, anywhere
POSITIVE += [(f"shape-{kind}", "requirements.txt", "# {secret}\n", kind,
              ("token-shape", 1, 3, None))
             for kind in ("ghp", "gho", "ghs", "ghu", "github_pat", "glpat", "gldt", "glcbt",
                          "pypi", "aws")]


@pytest.mark.parametrize(("name", "template", "secret_kind", "expected"),
                         [pytest.param(*case[1:], id=case[0]) for case in POSITIVE])
def test_finds_hard_coded_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     name: str, template: str, secret_kind: str,
                                     expected: tuple[str, int, int, Optional[str]]) -> None:
    secret = SECRETS[secret_kind]()
    write(tmp_path, name, fill(template, secret))
    monkeypatch.chdir(tmp_path)

    code, out, err = run(name)

    findings = scan_paths([Path(name)])
    assert [(f.kind, f.line, f.column, f.host) for f in findings] == [expected]
    assert code == 1
    assert out.startswith(f"{name}:{expected[1]}:{expected[2]}: {expected[0]}: ")
    assert "\n    fix: " in out
    assert out.rstrip().endswith("1 hard-coded credential(s) in 1 file(s)")
    assert err == ""
    assert_not_in_texts(secret, {"output": out, "repr": repr(findings)})


# ------------------------------------------------------------------ negative tables

NEGATIVE: list[tuple[str, str, str]] = [
    # references: this project's grammar, pip's own ${VAR}, and $${ literals
    ("ref-env", "requirements.txt",
     "--index-url https://__token__:${GITLAB_TOKEN}@gitlab.example.com/simple\n"),
    ("ref-env-prefix", "requirements.txt", "-i https://u:${env:TOKEN}@h.example.com/simple\n"),
    ("ref-fallback", "requirements.txt", "-i https://u:${TOKEN:-}@h.example.com/simple\n"),
    ("ref-message", "requirements.txt", "-i https://u:${TOKEN:?set it}@h.example.com/simple\n"),
    ("ref-file", "requirements.txt", "-i https://u:${file:/run/secrets/t}@h.example.com/s\n"),
    ("ref-vault", "requirements.txt", "-i https://u:${vault:secret/ci#token}@h.example.com/s\n"),
    ("ref-keyring", "requirements.txt",
     "-i https://u:${keyring:https://h.example.com#u}@h.example.com/s\n"),
    ("ref-field", "requirements.txt", "-i https://u:${VIKTOR_APP_SECRET#gitlab}@h.example.com/s\n"),
    ("ref-index", "requirements.txt", "-i https://u:${VIKTOR_APP_SECRET[1]}@h.example.com/s\n"),
    ("ref-cmd", "requirements.txt", "-i https://u:${cmd:codeartifact}@h.example.com/s\n"),
    ("ref-literal", "requirements.txt", "-i https://u:$${NOT_A_REF}@h.example.com/s\n"),
    ("ref-both", "requirements.txt", "-i https://${USER}:${PASS}@h.example.com/s\n"),
    # usernames that are names, not secrets
    ("user-token", "requirements.txt", "-i https://__token__@gitlab.example.com/simple\n"),
    ("user-git-ssh", "requirements.txt", "git+ssh://git@github.com/org/repo.git\n"),
    ("user-scp", "requirements.txt", "acme @ git+ssh://git@github.com/org/repo.git@v1\n"),
    ("user-scp-plain", "requirements.txt", "# git@github.com:org/repo\n"),
    ("user-aws", "requirements.txt", "-i https://aws@d-123.d.codeartifact.example.com/simple\n"),
    ("user-gcp", "requirements.txt", "-i https://oauth2accesstoken@europe-python.pkg.dev/p/r/\n"),
    ("user-ci", "requirements.txt", "git+https://gitlab-ci-token@gitlab.example.com/g/r.git\n"),
    ("user-x-access", "requirements.txt", "git+https://x-access-token@github.com/o/r.git\n"),
    ("empty-password", "requirements.txt", "-i https://u:@h.example.com/simple\n"),
    # placeholders
    ("ph-angle", "requirements.txt", "-i https://u:<token>@h.example.com/simple\n"),
    ("ph-upper", "requirements.txt", "-i https://__token__:TOKEN@h.example.com/simple\n"),
    ("ph-your", "requirements.txt", "-i https://u:your-token@h.example.com/simple\n"),
    ("ph-here", "requirements.txt", "-i https://u:YOUR_TOKEN_HERE@h.example.com/simple\n"),
    ("ph-x", "requirements.txt", "-i https://u:xxxx@h.example.com/simple\n"),
    ("ph-masked", "requirements.txt", "-i https://u:****@h.example.com/simple\n"),
    ("ph-shell", "Dockerfile",
     "FROM python\nRUN pip install -i https://u:$GITLAB_TOKEN@h.example.com/simple acme\n"),
    ("ph-ghp-x", "requirements.txt", "# ghp_" + "x" * 36 + "\n"),
    ("ph-aws-example", "requirements.txt", "# AKIAIOSFODNN7EXAMPLE\n"),
    # comments, the way pip reads them
    ("comment-after-req", "requirements.txt", "acme  # https://u:p4ssw0rd9@h.example.com/x\n"),
    ("comment-line", "requirements.txt", "# -i https://u:p4ssw0rd9@h.example.com/simple\n"),
    ("comment-ends-continuation", "requirements.txt",
     "acme \\\n# https://u:p4ssw0rd9@h.example.com/x\n"),
    # look-alikes
    ("no-userinfo", "requirements.txt", "-i https://h.example.com/simple\nacme==1.0\n"),
    ("at-in-path", "requirements.txt",
     "acme @ git+https://github.com/org/repo.git@v1.0#egg=acme\n"),
    ("sha-in-path", "requirements.txt",
     "acme @ git+https://github.com/org/repo.git@" + "0123abcd" * 5 + "\n"),
    ("pyproject-clean", "pyproject.toml",
     '[project]\nname = "x"\ndependencies = ["requests>=2"]\n\n'
     '[[tool.poetry.source]]\nname = "i"\nurl = "https://h.example.com/simple"\n'
     '# url = "https://u:p4ssw0rd9@h.example.com/simple"\n\n'
     '[[tool.private-packages.credentials]]\nurl = "https://h.example.com"\n'
     'username = "gitlab-ci-token"\npassword = "${CI_JOB_TOKEN}"\n\n'
     '[[tool.private-packages.credentials]]\nurl = "https://g.example.com"\n'
     'password = "$${literal}"\n'),
    ("pypirc-clean", ".pypirc",
     "[distutils]\nindex-servers = pypi\n[pypi]\nusername = __token__\npassword =\n"
     "[testpypi]\npassword = ${TWINE_PASSWORD}\n"),
    ("pip-conf-clean", "pip.conf",
     "[global]\nindex-url = https://h.example.com/simple\n"
     "# index-url = https://u:p4ssw0rd9@h.example.com/simple\n"),
    ("netrc-placeholder", ".netrc", "machine h.example.com login u password <token>\n"),
    ("docker-clean", "Dockerfile",
     "FROM python\nARG GITLAB_TOKEN\nARG CI_TOKEN=${CI_JOB_TOKEN}\n"
     "ENV TOKEN_FILE=/run/secrets/token PIP_NO_CACHE_DIR=1\n"
     "ARG COMMIT_SHA=" + "0123abcd" * 5 + "\n# ARG X_TOKEN=abcdefgh123\n"
     "RUN --mount=type=secret,id=t pip install acme\n"),
]


@pytest.mark.parametrize(("name", "text"), [pytest.param(*c[1:], id=c[0]) for c in NEGATIVE])
def test_leaves_references_names_and_placeholders_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> None:
    write(tmp_path, name, text)
    monkeypatch.chdir(tmp_path)
    assert scan_paths([Path(name)]) == []
    assert run(name) == (0, "no hard-coded credentials in 1 file(s)\n", "")


# ------------------------------------------------------------------ exact proposals

GITHUB_NOTE = ("in GitHub Actions the built-in preset needs no rule at all: map GITHUB_TOKEN "
               "into the job's env (secrets.GITHUB_TOKEN reads only the workflow's own "
               "repository; for another one, map a token that can read it)")
GITLAB_NOTE = ("in GitLab CI on this server the built-in preset needs no rule at all: it "
               "sends CI_JOB_TOKEN as gitlab-ci-token (allow the job's project under CI/CD "
               "> Job token permissions)")


def _only(tmp_path: Path, name: str, text: str) -> Finding:
    findings = scan_paths([write(tmp_path, name, text)])
    assert len(findings) == 1
    return findings[0]


def test_proposal_for_github_git_url(tmp_path: Path) -> None:
    secret = make_canary()
    finding = _only(tmp_path, "requirements.txt",
                    f"acme @ git+https://x-access-token:{quote(secret, safe='')}"
                    "@github.com/org/repo.git@v1\n")
    assert finding.proposal == "\n".join([
        "acme @ git+https://github.com/org/repo.git@v1",
        "and add to pyproject.toml:",
        "[[tool.private-packages.credentials]]",
        'url = "https://github.com/org"',
        'username = "x-access-token"',
        'password = "${GITHUB_TOKEN}"',
        GITHUB_NOTE])
    assert finding.message == ("hard-coded password in the URL for github.com "
                               "(userinfo x-access-token:****)")


def test_proposal_for_github_token_as_username(tmp_path: Path) -> None:
    token = SECRETS["ghp"]()
    finding = _only(tmp_path, "requirements.txt",
                    f"git+https://{token}@github.com/org/repo.git@v1\n")
    assert finding.proposal.splitlines()[:6] == [
        "git+https://github.com/org/repo.git@v1", "and add to pyproject.toml:",
        "[[tool.private-packages.credentials]]", 'url = "https://github.com/org"',
        'username = "x-access-token"', 'password = "${GITHUB_TOKEN}"']
    assert finding.message == "hard-coded token in the URL for github.com (userinfo ****)"


def test_proposal_for_gitlab_git_url(tmp_path: Path) -> None:
    finding = _only(tmp_path, "requirements.txt",
                    f"-e git+https://oauth2:{SECRETS['glpat']()}"
                    "@gitlab.com/group/sub/repo.git@main#egg=repo\n")
    assert finding.proposal == "\n".join([
        "-e git+https://gitlab.com/group/sub/repo.git@main#egg=repo",
        "and add to pyproject.toml:",
        "[[tool.private-packages.credentials]]",
        'url = "https://gitlab.com/group"',
        'username = "oauth2"',
        'password = "${GITLAB_TOKEN}"',
        GITLAB_NOTE])


def test_proposal_for_gitlab_index_url(tmp_path: Path) -> None:
    finding = _only(tmp_path, "requirements.txt",
                    f"--extra-index-url https://__token__:{SECRETS['glpat']()}@gitlab.example.com"
                    "/api/v4/projects/29/packages/pypi/simple\n")
    assert finding.proposal == "\n".join([
        "--extra-index-url https://__token__:${GITLAB_TOKEN}@gitlab.example.com"
        "/api/v4/projects/29/packages/pypi/simple",
        "or, better, with no credential in the file:",
        "--extra-index-url https://gitlab.example.com/api/v4/projects/29/packages/pypi/simple",
        "and add to pyproject.toml:",
        "[[tool.private-packages.credentials]]",
        'url = "https://gitlab.example.com/api/v4/projects/29/packages/pypi"',
        'username = "__token__"',
        'password = "${GITLAB_TOKEN}"',
        GITLAB_NOTE])


@pytest.mark.parametrize(("url", "username", "variable", "prefix"), [
    pytest.param("https://deploy-bot:{t}@artifactory.example.com/api/pypi/pypi/simple",
                 "deploy-bot", "ARTIFACTORY_EXAMPLE_COM_TOKEN",
                 "https://artifactory.example.com/api/pypi/pypi", id="artifactory"),
    pytest.param("https://:{t}@nexus.example.com:8443/repository/pypi/simple/", "__token__",
                 "NEXUS_EXAMPLE_COM_TOKEN", "https://nexus.example.com:8443/repository/pypi",
                 id="nexus-port-no-user"),
    pytest.param("https://__token__:{t}@test.pypi.org/simple/", "__token__", "PYPI_TOKEN",
                 "https://test.pypi.org", id="testpypi"),
    pytest.param("https://x-token-auth:{t}@bitbucket.org/ws/repo.git", "x-token-auth",
                 "BITBUCKET_ACCESS_TOKEN", "https://bitbucket.org/ws/repo.git", id="bitbucket"),
    pytest.param("https://any:{t}@pkgs.dev.azure.com/org/_packaging/feed/pypi/simple/", "any",
                 "AZURE_DEVOPS_TOKEN", "https://pkgs.dev.azure.com/org/_packaging/feed/pypi",
                 id="azure"),
    pytest.param("https://u%2Bbot:{t}@10.0.0.5:8080/simple", "u+bot", "HOST_10_0_0_5_TOKEN",
                 "https://10.0.0.5:8080", id="ip-encoded-user"),
])
def test_rule_names_the_host(tmp_path: Path, url: str, username: str, variable: str,
                             prefix: str) -> None:
    finding = _only(tmp_path, "requirements.txt", "-i " + url.replace("{t}", "pw4x9Qz7") + "\n")
    assert f'url = "{prefix}"\nusername = "{username}"\npassword = "${{{variable}}}"' \
        in finding.proposal


def test_bitbucket_and_azure_git_urls_get_their_ci_note(tmp_path: Path) -> None:
    text = ("git+https://x-token-auth:pw4x9Qz7@bitbucket.org/ws/repo.git\n"
            "git+https://u:pw4x9Qz7@dev.azure.com/org/project/_git/repo\n")
    bitbucket, azure = scan_paths([write(tmp_path, "requirements.txt", text)])
    assert 'url = "https://bitbucket.org/ws"' in bitbucket.proposal
    assert "BITBUCKET_ACCESS_TOKEN" in bitbucket.proposal.splitlines()[-1]
    assert 'url = "https://dev.azure.com/org"' in azure.proposal
    assert "SYSTEM_ACCESSTOKEN: $(System.AccessToken)" in azure.proposal


def test_proposals_for_keyed_files(tmp_path: Path) -> None:
    pypirc = _only(tmp_path, ".pypirc",
                   f"[pypi]\nusername = __token__\npassword = {SECRETS['pypi']()}\n")
    assert pypirc.proposal.splitlines()[0].startswith("delete this line (twine does not expand")
    assert 'url = "https://upload.pypi.org/legacy"' in pypirc.proposal
    assert pypirc.proposal.endswith("or, in CI, set TWINE_PASSWORD from a secret instead")
    netrc = _only(tmp_path, ".netrc", "machine gitlab.example.com login deploy password pw4x9Qz7\n")
    assert netrc.proposal.startswith("remove the file from the repository (git rm --cached .netrc")
    assert 'username = "deploy"\npassword = "${GITLAB_TOKEN}"' in netrc.proposal
    lock = _only(tmp_path, "poetry.lock",
                 '[package.source]\nurl = "https://u:pw4x9Qz7@h.example.com/simple"\n')
    assert lock.proposal.splitlines()[0].endswith(
        "in pyproject.toml (https://h.example.com/simple), then run `poetry lock`")
    rule = _only(tmp_path, "pyproject.toml",
                 '[[tool.private-packages.credentials]]\nurl = "https://gitlab.example.com"\n'
                 'username = "gitlab-ci-token"\npassword = "pw4x9Qz7"\n')
    assert rule.proposal.splitlines()[0] == 'password = "${CI_JOB_TOKEN}"'


def test_rule_password_bound_through_a_source(tmp_path: Path) -> None:
    rule = _only(tmp_path, "pyproject.toml",
                 '[[tool.poetry.source]]\nname = "internal"\n'
                 'url = "https://nexus.example.com/repository/pypi/simple"\n\n'
                 '[[tool.private-packages.credentials]]\nsource = "internal"\n'
                 'password = "pw4x9Qz7"\n')
    assert (rule.kind, rule.line, rule.host) == ("rule-password", 7, "nexus.example.com")
    assert rule.proposal.startswith('password = "${NEXUS_EXAMPLE_COM_TOKEN}"')


# ------------------------------------------------------------------ leaks and layout

def test_second_secret_on_a_line_is_masked_in_the_first_ones_proposal(tmp_path: Path) -> None:
    one, two = make_canary("one"), make_canary("two")
    text = (f"-i https://u:{quote(one, safe='')}@a.example.com/simple "
            f"--extra-index-url https://u:{quote(two, safe='')}@b.example.com/simple\n")
    findings = scan_paths([write(tmp_path, "requirements.txt", text)])
    assert [f.host for f in findings] == ["a.example.com", "b.example.com"]
    assert "****" in findings[0].proposal
    for secret in (one, two):
        assert_not_in_texts(secret, {f"finding {i}": f"{f.message}\n{f.proposal}"
                                     for i, f in enumerate(findings)})


def test_render_is_ruff_style_with_an_indented_fix() -> None:
    finding = Finding(Path("requirements.txt"), 3, 5, "url-userinfo", "h.example.com",
                      "hard-coded password", "line one\nline two")
    assert finding.render() == ("requirements.txt:3:5: url-userinfo: hard-coded password\n"
                                "    fix: line one\n"
                                "         line two")


def test_summary_counts_findings_and_files(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "requirements.txt", "-i https://u:pw4x9Qz7@a.example.com/simple\n"
                                        "-f https://u:pw4x9Qz8@b.example.com/w/\n")
    write(tmp_path, "Dockerfile", "FROM python\nARG PYPI_TOKEN=pw4x9Qz9abc\n")
    write(tmp_path, "README.md", "-i https://u:pw4x9Qz7@a.example.com/simple\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run()
    assert code == 1
    assert out.splitlines()[-1] == "3 hard-coded credential(s) in 2 file(s)"
    heads = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert heads[:3] == [
        "Dockerfile:2:16: docker-secret: ARG PYPI_TOKEN holds a hard-coded value (****); "
        "build args and ENV values stay in the image and its history",
        "requirements.txt:1:4: url-userinfo: hard-coded password in the URL for a.example.com "
        "(userinfo u:****)",
        "requirements.txt:2:4: url-userinfo: hard-coded password in the URL for b.example.com "
        "(userinfo u:****)"]


def test_walk_skips_environments_and_build_output(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    line = "-i https://u:pw4x9Qz7@h.example.com/simple\n"
    for skipped in (".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist",
                    ".tox", "lib/python3.11/site-packages/x"):
        write(tmp_path, f"{skipped}/requirements.txt", line)
    write(tmp_path, "MANIFEST.in", line)
    write(tmp_path, "notes.txt", line)
    write(tmp_path, "sub/requirements/dev.txt", line)
    write(tmp_path, "sub/requirements.in", line)
    monkeypatch.chdir(tmp_path)
    assert [os.fspath(f.path) for f in scan_paths([Path(".")])] == [
        "sub/requirements.in", "sub/requirements/dev.txt"]
    assert [f.line for f in scan_paths([Path("notes.txt")])] == [1]  # named: read anyway


@pytest.mark.parametrize(("name", "kind"), [
    ("requirements.txt", "requirements"), ("requirements-dev.txt", "requirements"),
    ("test-constraints.txt", "requirements"), ("dev.in", "requirements"),
    ("pyproject.toml", "pyproject"), ("poetry.lock", "lock"), ("uv.lock", "lock"),
    ("pip.conf", "pip-conf"), ("pip.ini", "pip-conf"), (".pypirc", "pypirc"),
    (".netrc", "netrc"), ("_netrc", "netrc"), ("Dockerfile", "dockerfile"),
    ("Dockerfile.prod", "dockerfile"), ("api.Dockerfile", "dockerfile"),
    ("README.md", None), ("MANIFEST.in", None), ("setup.py", None),
    ("uv.toml", "uv-config"), ("pylock.toml", "lock"), ("pylock.web.toml", "lock"),
    ("req/base.txt", "requirements"), ("reqs/a/b/dev.txt", "requirements"),
    ("requirements/base.in", "requirements"), ("req/notes.md", None), ("prereq/x.txt", None),
])
def test_file_kind(name: str, kind: Optional[str]) -> None:
    assert file_kind(Path(name)) == kind


def test_logical_lines_match_pip() -> None:
    from pip._internal.req.req_file import preprocess

    text = ("a \\\n  b\n# c \\\nd # e\n  \\\nf\\\n# g\nh \\\n\nurl#frag # comment\n"
            "i\\\n\\\nj\n")
    comment = re.compile(r"(^|\s+)#.*$")
    ours = [(n, comment.sub("", line).strip()) for n, line in join_lines(text)]
    assert [item for item in ours if item[1]] == list(preprocess(text))


@pytest.mark.parametrize(("url", "userinfo", "hostport", "rest"), [
    ("https://u:p@h.example.com/x", "u:p", "h.example.com", "/x"),
    ("https://u:p@ss@h.example.com/x", "u:p@ss", "h.example.com", "/x"),
    ("https://u:a/b@h.example.com/x", "u:a/b", "h.example.com", "/x"),
    ("https://u:a#b@h.example.com/x#egg=y", "u:a#b", "h.example.com", "/x#egg=y"),
    ("https://u:a?b@h.example.com:8443", "u:a?b", "h.example.com:8443", ""),
    ("git+https://u:a/b@h.example.com/o/r.git@v1.0#egg=r", "u:a/b", "h.example.com",
     "/o/r.git@v1.0#egg=r"),
    ("git+https://github.com/o/r.git@v1.0#egg=r", None, "github.com", "/o/r.git@v1.0#egg=r"),
    ("https://u:${keyring:https://h#u}@h.example.com/s", "u:${keyring:https://h#u}",
     "h.example.com", "/s"),
    ("https://[::1]:8080/simple", None, "[::1]:8080", "/simple"),
])
def test_split_url(url: str, userinfo: Optional[str], hostport: str, rest: str) -> None:
    parts = split_url(url)
    assert parts is not None
    assert (parts.userinfo, parts.hostport, parts.rest) == (userinfo, hostport, rest)


# ------------------------------------------------------------------ exit codes and CLI

def test_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run() == (0, "no hard-coded credentials in 0 file(s)\n", "")
    write(tmp_path, "requirements.txt", "-i https://u:pw4x9Qz7@h.example.com/simple\n")
    assert run()[0] == 1
    assert run("missing.txt") == (2, "", "pip-private scan: no such file or directory: "
                                         "missing.txt\n")
    assert run("--verbose") == (2, "", "pip-private scan: unknown option --verbose; "
                                       "usage: pip-private scan [PATH...]\n")
    os.mkfifo(tmp_path / "fifo")
    code, out, err = run("fifo")
    assert (code, out) == (2, "")
    assert err == "pip-private scan: not a regular file: fifo\n"
    code, out, _ = run("--help")
    assert code == 0
    assert out.startswith("usage: pip-private scan [PATH...]")


def test_console_script_path(tmp_path: Path) -> None:
    """The way the CLI dispatches it: a fresh interpreter, files named like pre-commit does."""
    token, password = SECRETS["ghp"](), make_canary()
    write(tmp_path, "requirements.txt",
          f"acme==1.0\n-i https://u:{quote(password, safe='')}@h.example.com/simple\n")
    write(tmp_path, "Dockerfile", f"FROM python\nENV X={token}\n")
    write(tmp_path, "clean.txt", "acme==1.0\n")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from pip_hook.scan import main; "
         "sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))",
         "requirements.txt", "Dockerfile", "clean.txt"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    assert "requirements.txt:2:4: url-userinfo: " in result.stdout
    assert "Dockerfile:2:7: token-shape: looks like a GitHub personal access token" \
        in result.stdout
    assert result.stdout.splitlines()[-1] == "2 hard-coded credential(s) in 2 file(s)"
    for secret in (token, password):
        assert_not_in_texts(secret, {"stdout": result.stdout, "stderr": result.stderr})


def _manifest() -> dict[str, str]:
    """The hook's keys from `.pre-commit-hooks.yaml` (flat `key: value` lines; no YAML
    library is a dependency)."""
    text = (Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text()
    keys: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.lstrip("- ").partition(": ")
        if sep and not line.startswith("#"):
            keys[key] = value
    return keys


def test_precommit_manifest_declares_the_hook() -> None:
    manifest = _manifest()
    assert (manifest["id"], manifest["name"], manifest["entry"], manifest["language"],
            manifest["pass_filenames"]) == ("pip-private-scan", "pip-private scan",
                                            "pip-private scan", "python", "true")


@pytest.mark.parametrize("name", [
    "requirements.txt", "a/requirements-dev.txt", "requirements/base.txt", "x/constraints.txt",
    "dev.in", "MANIFEST.in", "pyproject.toml", "sub/poetry.lock", "uv.lock", "pip.conf",
    "pip.ini", ".pypirc", ".netrc", "_netrc", "Dockerfile", "docker/Dockerfile.prod",
    "api.Dockerfile", "README.md", "setup.py", "notes.txt", "requirements-old/notes.txt",
    "req/base.txt", "reqs/dev.in", "requirements/prod/base.txt", "a/requirement/x.txt",
    "req/README.md", "prereq/base.txt", "uv.toml", "sub/uv.toml", "pylock.toml",
    "pylock.dev.toml", "pylock.toml.bak", "notpylock.toml",
])
def test_precommit_files_pattern_matches_the_directory_walk(name: str) -> None:
    manifest = _manifest()
    by_hook = bool(re.search(manifest["files"], name)) and not re.search(manifest["exclude"],
                                                                          name)
    assert by_hook == (file_kind(Path(name)) is not None)


def test_readers_never_raise_on_odd_input() -> None:
    """A pre-commit hook must not crash on a half-written file: fragments of every syntax
    the readers know, shuffled (a fixed seed, so a failure reproduces)."""
    rng = random.Random(20240611)  # noqa: S311 -- reproducible shuffles, not secrets
    pieces = ["https://", "git+https://", "${", "}", "$${", "@", "password ", "machine ",
              "macdef m\n", "[[tool.private-packages.credentials]]\n", 'url = "', '"',
              "ARG X_TOKEN=", "ENV ", "[pypi]\n", "ghp_", "glpat-", "\\\n", "# ", "\n",
              "tool = 1\n", "[tool]\nprivate-packages = 3\n", "u:p", ".example.com", "/"]
    alphabet = "abcXYZ019@:/#%?&+ \t\"'=[]{}$-_.,é"
    for _ in range(1500):
        text = "".join(rng.choice(pieces) if rng.random() < 0.3 else rng.choice(alphabet)
                       for _ in range(rng.randint(0, 100)))
        for kind in READERS:
            for finding in scan_text(text, kind, Path("f")):
                assert finding.line >= 1
                assert finding.column >= 1



# -------------------------------------------- includes, requirement directories

def test_includes_are_followed_whatever_their_names(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """pip reads what `-r`/`-c` name, so scan does: any name, relative to the includer,
    each file once (a diamond, a cycle); URLs and references are pip's to resolve."""
    secrets = [f"pw{uuid.uuid4().hex[:12]}" for _ in range(3)]
    write(tmp_path, "requirements.txt",
          "-r deps/base.pip  # a name no walk would read\n"
          "--constraint=pins\n-r https://h.example.com/remote.txt\n-r ${FILE}\n-r gone.txt\n")
    write(tmp_path, "deps/base.pip",
          f"-i https://u:{secrets[0]}@a.example.com/simple\n-r ../pins\n-r ../requirements.txt\n")
    write(tmp_path, "pins", f"-f https://u:{secrets[1]}@b.example.com/wheels\n")
    write(tmp_path, "unrelated.pip", f"-i https://u:{secrets[2]}@c.example.com/simple\n")
    monkeypatch.chdir(tmp_path)

    code, out, err = run()

    assert (code, err) == (1, "")
    assert [line for line in out.splitlines() if ": url-userinfo: " in line] == [
        "deps/base.pip:1:4: url-userinfo: hard-coded password in the URL for a.example.com "
        "(userinfo u:****)",
        "pins:1:4: url-userinfo: hard-coded password in the URL for b.example.com "
        "(userinfo u:****)"]
    assert out.splitlines()[-1] == "2 hard-coded credential(s) in 2 file(s)"
    assert run("requirements.txt")[1] == out  # named or found: the same files
    for secret in secrets:
        assert_not_in_texts(secret, {"out": out})


def test_an_include_that_is_a_fifo_is_refused_not_waited_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "requirements.txt", "-r pipe.txt\n")
    os.mkfifo(tmp_path / "pipe.txt")  # a plain open() would wait for a writer forever
    monkeypatch.chdir(tmp_path)
    assert run() == (2, "", "pip-private scan: pipe.txt is a FIFO (named pipe), not a "
                            "regular file\n")


@pytest.mark.parametrize("folder", ["req", "reqs", "requirement", "requirements",
                                    "requirements/prod", "app/req/nested"])
def test_requirement_directories_are_walked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            folder: str) -> None:
    secret = f"pw{uuid.uuid4().hex[:12]}"
    write(tmp_path, f"{folder}/base.txt", f"-i https://u:{secret}@h.example.com/simple\n")
    write(tmp_path, f"{folder}/dev.in", "acme\n")
    write(tmp_path, f"{folder}/README.md", f"https://u:{secret}@h.example.com/\n")
    write(tmp_path, "prereq/base.txt", f"-i https://u:{secret}@h.example.com/simple\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run()
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines() if "url-userinfo" in line] == [
        f"{folder}/base.txt"]
    assert out.splitlines()[-1] == "1 hard-coded credential(s) in 1 file(s)"
    # scanning the folder itself: its own name counts
    monkeypatch.chdir(tmp_path / folder.split("/", maxsplit=1)[0])
    assert run(".")[0] == 1
