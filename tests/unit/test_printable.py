"""Text a project chose is printed so that a terminal shows it, never acts on it
(keyring_backend/printable.py), and `trust` approves no content that holds such a
character -- the approval question forged with escape sequences (trust attack, finding 1;
the real terminal is tests/e2e/test_trust_attacks.py)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from keyring_backend import notices
from keyring_backend.approval import TrustOptions, approve_written, run_trust
from keyring_backend.backend import PrivatePackagesKeyring
from keyring_backend.config import load_config
from keyring_backend.errors import ConfigError
from keyring_backend.printable import (
    PrintableWriter,
    first_unprintable,
    printable,
    printable_lines,
)
from keyring_backend.store import CredentialStore
from keyring_backend.trust import approve
from keyring_backend.urls import parse_location
from pip_hook import doctor
from pip_hook.cli import error
from pip_hook.config_warnings import warn_about
from tests.conftest import make_canary

ESC = "\x1b"
#: Every kind of character a terminal acts on, as TOML basic-string escapes.
HOSTILE = {
    "ESC [2J": ("\\u001b[2J", "\\x1b[2J"),
    "CSI in C1": ("\\u009b2J", "\\x9b2J"),
    "carriage return": ("a\\rb", "a\\rb"),
    "line break": ("a\\nTrusted", "a\\nTrusted"),
    "tab": ("a\\tb", "a\\tb"),
    "DEL": ("\\u007f", "\\x7f"),
    "NUL": ("\\u0000", "\\x00"),
    "right-to-left override": ("\\u202egpj.exe", "\\u202egpj.exe"),
    "first strong isolate": ("\\u2068x\\u2069", "\\u2068x\\u2069"),
    "zero width space": ("a\\u200bb", "a\\u200bb"),
    "byte order mark": ("\\ufeff", "\\ufeff"),
    "line separator": ("\\u2028", "\\u2028"),
    "tag character": ("\\U000e0041", "\\U000e0041"),
}


def toml_value(escaped: str) -> str:
    import tomllib

    return str(tomllib.loads(f'v = "{escaped}"')["v"])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_character_a_terminal_acts_on_becomes_a_visible_escape(name: str) -> None:
    written, shown = HOSTILE[name]
    assert printable(toml_value(written)) == shown
    assert printable(shown) == shown  # the escape itself is plain text


@pytest.mark.parametrize("text", ["plain ascii ${CI_JOB_TOKEN} -> https://x/", "é ü ß",
                                  "日本語の名前", "emoji 🐍", "no\u00a0break", "back\\slash", ""])
def test_printable_text_is_left_alone(text: str) -> None:
    assert printable(text) == text


def test_a_lone_surrogate_from_undecodable_bytes_is_escaped() -> None:
    assert printable(b"a\xffb".decode("utf-8", "surrogateescape")) == "a\\udcffb"


def test_lines_keep_their_breaks_and_lose_the_rest() -> None:
    assert printable_lines(f"one {ESC}[2J\ntwo\r\n") == "one \\x1b[2J\ntwo\\r\n"
    out = io.StringIO()
    assert PrintableWriter(out).write(f"a{ESC}[H\n") == 5
    assert out.getvalue() == "a\\x1b[H\n"


def test_first_unprintable_names_where_it_stands() -> None:
    table = {"credentials": [{"url": "https://x/"}, {"password": f"${{A}}{ESC}"}],
             "vault": {"addr": "https://v/", f"k{ESC}": 1}}
    assert first_unprintable(table, "tool.private-packages") == \
        "tool.private-packages.credentials #2.password holds \\x1b"
    del table["credentials"]
    assert first_unprintable(table, "t") == "a key in t.vault holds \\x1b"
    assert first_unprintable({"a": ["b", {"c": 1}]}, "t") is None


def test_a_host_with_a_control_character_is_no_url() -> None:
    for host in (f"evil{ESC}.example", "evil\u202e.example", "e vil"):
        assert parse_location(f"https://{host}/simple/") is None
    assert parse_location("https://bücher.example/simple/") is not None


# -- the project's content: never approved, always printed escaped -----------------------

SPOOF = """\
[[tool.private-packages.credentials]]
url = "https://evil.example.com/file"
username = "u"
password = "${{file:~/.secrets/token}}"

[tool.private-packages.vault]
addr = "https://evil.example.com"
auth = "token"
role = "{role}"
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home)}


def spoofing(tmp_path: Path, role: str = "\\u001b[2J\\u001b[H$ pip-private trust\\r\\n") -> Path:
    project = tmp_path / "cloned"
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text(SPOOF.format(role=role))
    return project


@pytest.mark.parametrize("yes", [False, True])
def test_trust_refuses_content_that_holds_such_a_character(env: dict[str, str],
                                                           tmp_path: Path, yes: bool) -> None:
    project = spoofing(tmp_path)
    out = io.StringIO()
    with pytest.raises(ConfigError) as info:
        run_trust(TrustOptions(project, yes=yes), out, io.StringIO(), io.StringIO("y\n"), env,
                  project)
    message = str(info.value)
    assert "tool.private-packages.vault.role holds \\x1b" in message
    assert "nothing was approved" in message and "\n" not in message and ESC not in message
    assert out.getvalue() == ""  # the question was never asked
    assert load_config(env, project).untrusted


def test_an_approval_recorded_before_never_covers_it(env: dict[str, str],
                                                      tmp_path: Path) -> None:
    """Approved before this fix (the attack succeeded): the content is still untrusted."""
    project = spoofing(tmp_path)
    config = load_config(env, project)
    assert config.content is not None
    approve(env, config.content.directory, config.content.digest())
    config = load_config(env, project)
    assert config.untrusted and config.rules.rules == [] and config.settings.vault.addr is None
    assert config.trust is not None and "no approval covers" in config.trust.reason
    assert not load_config({**env, "CI": "true"}, project).untrusted  # CI runs its code anyway


def test_auth_does_not_approve_it_either(env: dict[str, str], tmp_path: Path) -> None:
    project = spoofing(tmp_path)
    written = (project / "pyproject.toml").read_bytes()
    note = approve_written(env, project / "pyproject.toml", None, written)
    assert note is not None and "does not trust it" in note and ESC not in note
    assert load_config(env, project).untrusted


def test_the_untrusted_warning_and_every_message_print_escapes(
        env: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    project = spoofing(tmp_path)
    (project / "pyproject.toml").write_text(
        SPOOF.format(role="\\u001b[2J") + '\n"\\u001b[31m" = 1\n')  # an unknown vault key too
    texts: dict[str, str] = {}
    caplog.set_level(logging.WARNING, logger="private_packages")
    backend = PrivatePackagesKeyring()  # first: each warning is said once per process
    backend._store = CredentialStore(env, project)
    assert backend.get_credential("https://evil.example.com/file/simple/", None) is None
    texts["keyring backend"] = caplog.text
    notices._said.clear()
    config = load_config(env, project)
    stream = io.StringIO()
    warn_about(config, stream)
    texts["pip-private warnings"] = stream.getvalue()
    stream = io.StringIO()
    error(str(config.errors[0]), stream=stream)
    texts["pip-private error"] = stream.getvalue()
    report = io.StringIO()
    doctor.main(["--no-probe"], report, env=env, cwd=project)
    texts["doctor"] = report.getvalue()
    for where, text in texts.items():
        assert "\\x1b[2J" in text or "\\x1b[31m" in text, where
        assert ESC not in text, where
        assert all(line.isprintable() for line in text.splitlines()), where


def test_secrets_are_masked_in_their_escaped_form_too() -> None:
    from keyring_backend.secret import secret_forms

    secret = make_canary("tab") + "\tx"
    assert printable(secret).encode() in secret_forms(secret)


def test_a_printable_log_record_keeps_what_handlers_expect() -> None:
    """pip's RichPipStreamHandler asserts `record.args` is a tuple: with None there, every
    backend line in pip turned into 'Keyring is skipped due to an exception' (a venv's
    bundled pip under `private-packages run`, tests/e2e/test_run.py)."""
    from keyring_backend.logs import printable_logger

    logger = printable_logger(logging.getLogger("private_packages.test_printable"))
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger.addHandler(handler)
    try:
        logger.warning("100%% of %s", "evil\x1b[2J.example")
    finally:
        logger.removeHandler(handler)
    (record,) = records
    assert record.args == ()
    assert record.getMessage() == "100% of evil\\x1b[2J.example"
