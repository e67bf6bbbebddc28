"""What `poetry export --with-credentials` writes for a rule (export.rule_userinfo); the
whole command through real poetry: tests/e2e/test_poetry_export.py."""

from __future__ import annotations

from typing import Optional

import pytest

from keyring_backend.rules import Layer, make_rule
from poetry_private_plugin.export import rule_userinfo

HTTPS = "https://gitlab.example.com/api/v4/groups/12/-/packages/pypi/simple"
HTTP = "http://127.0.0.1:8080/simple"


def written(password: str, username: Optional[str] = "deploy-bot",
            url: str = HTTPS) -> tuple[Optional[str], str]:
    rule = make_rule(url, username, password, Layer.USER, "config.toml [[credentials]] #1")
    return rule_userinfo(rule, url)


@pytest.mark.parametrize(
    ("password", "username", "expected"),
    [
        ("${CI_JOB_TOKEN}", "gitlab-ci-token", "gitlab-ci-token:${CI_JOB_TOKEN}"),
        ("${env:CI_JOB_TOKEN}", "gitlab-ci-token", "gitlab-ci-token:${CI_JOB_TOKEN}"),
        ("${vault:secret/ci/pypi#token}", None, "__token__:${vault:secret/ci/pypi#token}"),
        ("${file:/run/secrets/pypi}", "u", "u:${file:/run/secrets/pypi}"),
        ("${VIKTOR_APP_SECRET#gitlab}", "u", "u:${VIKTOR_APP_SECRET#gitlab}"),
        ("${keyring:https://h.example/#bot}", "bot", "bot:${keyring:https://h.example/#bot}"),
        # a username that is a reference stays one; literal text is percent-encoded
        ("${TOKEN}", "${GL_USER}", "${GL_USER}:${TOKEN}"),
        ("pre-${TOKEN}", "a b@c", "a%20b%40c:pre-${TOKEN}"),
        # `$${` is a literal `${`: encoded, so pip-private never reads it as a reference
        ("$${x}-${TOKEN}", "u", "u:%24%7Bx%7D-${TOKEN}"),
        # a fallback may be a literal token: left out (`Reference.display`)
        ("${TOKEN:-fallback-value}", "u", "u:${TOKEN}"),
    ],
)
def test_a_rule_is_written_as_its_references(password: str, username: Optional[str],
                                             expected: str) -> None:
    assert written(password, username) == (expected, "")


@pytest.mark.parametrize(
    ("password", "url", "why"),
    [
        ("s3cr3t-literal", HTTPS, "is a literal, not a reference"),
        ("${cmd:aws}", HTTPS, "runs a command (${cmd:...})"),
        ("${PACKED[1]}", HTTPS, "uses a [N] selector"),
        ("${file:/run/secrets/t}", HTTP, "holds '/', '?', '#' or '@'"),
        ("${PACKED#pypi}", HTTP, "holds '/', '?', '#' or '@'"),
    ],
)
def test_what_cannot_be_written(password: str, url: str, why: str) -> None:
    text, reason = written(password, url=url)
    assert text is None
    assert why in reason and "config.toml [[credentials]] #1" in reason
    assert "s3cr3t" not in reason


def test_a_plain_variable_on_an_http_source_is_written() -> None:
    assert written("${ACME_TOKEN}", url=HTTP) == ("deploy-bot:${ACME_TOKEN}", "")
