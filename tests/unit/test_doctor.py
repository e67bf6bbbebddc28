"""`pip-private doctor` without a network: real files in tmp dirs, environments passed as
mappings, `--no-probe` (or a recording stand-in for `probe_index` where the test is about
which credential would be probed). Every scenario that resolves a secret checks the report
does not show it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Optional

import pytest

from keyring_backend.errors import EXIT_CONFIG, EXIT_REJECTED, ConfigError
from keyring_backend.probe import ProbeResult
from keyring_backend.secret import Secret
from pip_hook import doctor
from pip_hook.doctor import indexes as doctor_indexes
from pip_hook.doctor.report import (
    FAILED,
    MISSING,
    OK,
    REJECTED,
    UNREACHABLE,
    Item,
    Report,
    probe_item,
)
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.trusting import trust

INDEX = "https://pypi.example.com/simple"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No user config, no CI variables: only what a test adds."""
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), **extra}


def run(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = doctor.main(list(args), out, env=env, cwd=tmp_path)
    return code, out.getvalue()


def lines_with(text: str, *words: str) -> list[str]:
    return [line for line in text.splitlines() if all(w in line for w in words)]


def test_found_and_missing_references_name_file_line_and_provider(tmp_path: Path) -> None:
    secret = make_canary()
    write(tmp_path, {"requirements.txt": (
        "# a comment with ${NOT_RESOLVED}\n"
        f"--extra-index-url https://deploy-bot:${{TOKEN}}@{INDEX[8:]}\n"
        "acme-internal==1.0\n"
        "tools @ https://host.example/t.whl?v=${VERSION:-1}\n"
        "other @ https://bot:${VIKTOR_APP_SECRET#gitlab}@git.example/o.whl\n"
        "cmd-pkg @ https://x:${cmd:mint}@h.example/c.whl\n")})
    env = base_env(tmp_path, TOKEN=secret)
    trust(env, tmp_path)  # beyond pip's own ${NAME}: the file must be trusted
    code, out = run(tmp_path, env, "--no-probe", "-r", "requirements.txt")
    assert code == EXIT_CONFIG
    assert lines_with(out, OK, "requirements.txt:2", "${TOKEN}", "env", "found")
    assert lines_with(out, OK, "requirements.txt:4", "${VERSION}", "found (fallback text)")
    missing = lines_with(out, MISSING, "requirements.txt:5", "${VIKTOR_APP_SECRET#gitlab}",
                         "env", "missing: environment variable VIKTOR_APP_SECRET is not set")
    assert len(missing) == 1
    assert "requirements.txt:5: " not in missing[0], "the place is shown once"
    # a requirements file is project content: it may not run commands
    assert lines_with(out, MISSING, "requirements.txt:6", "${cmd:mint}", "cmd",
                      "never from a project's files")
    assert "NOT_RESOLVED" not in out, "comments are stripped before references are read"
    assert out.rstrip().splitlines()[-1] == "doctor: 2 problems (2 MISSING); exit code 2"
    assert_not_in_texts(secret, {"doctor output": out}, username="deploy-bot")


def test_nested_includes_follow_pip_path_rules(tmp_path: Path) -> None:
    write(tmp_path, {
        "requirements.txt": "-r sub/base.txt\n-c constraints.txt\n",
        "sub/base.txt": "-r ../shared/common.txt\nbase-pkg\n",
        "shared/common.txt": "-r more.txt\n",
        "shared/more.txt": "deep @ https://u:${DEEP_TOKEN}@h.example/d.whl\n",
        "constraints.txt": "acme<2 ; python_version > '3' \\\n  # ${COMMENTED}\n",
    })
    code, out = run(tmp_path, base_env(tmp_path), "--no-probe", "-r", "requirements.txt")
    assert code == EXIT_CONFIG
    for name, parent in [("sub/base.txt", "requirements.txt:1"),
                         ("shared/common.txt", "sub/base.txt:1"),
                         ("shared/more.txt", "shared/common.txt:1"),
                         ("constraints.txt", "requirements.txt:2")]:
        assert lines_with(out, OK, f"{name} (included from {parent})"), name
    assert lines_with(out, MISSING, "shared/more.txt:1", "${DEEP_TOKEN}")
    assert "COMMENTED" not in out


def test_cycle_and_missing_include_are_reported_and_the_rest_is_still_checked(
        tmp_path: Path) -> None:
    write(tmp_path, {
        "a.txt": "-r b.txt\n-r missing.txt\npkg @ https://u:${A_TOKEN}@h.example/p.whl\n",
        "b.txt": "-r a.txt\n",
    })
    code, out = run(tmp_path, base_env(tmp_path), "--no-probe", "-r", "a.txt", "-r", "gone.txt")
    assert code == EXIT_CONFIG
    assert lines_with(out, "ERROR", "b.txt:1", "cycle: a.txt -> b.txt -> a.txt")
    assert lines_with(out, "ERROR", "a.txt:2", "requirements file missing.txt does not exist")
    assert lines_with(out, "ERROR", "command line --requirement gone.txt", "gone.txt")
    assert lines_with(out, MISSING, "a.txt:3", "${A_TOKEN}"), "checking went on"
    assert "3 ERROR, 1 MISSING" in out


def test_diamond_includes_are_checked_once(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "-r a.txt\n-r b.txt\n", "a.txt": "-r c.txt\n",
                     "b.txt": "-r c.txt\n", "c.txt": "pkg==${V}\n"})
    code, out = run(tmp_path, base_env(tmp_path, V="1.0"), "--no-probe", "-r", "r.txt")
    assert code == 0
    assert len(lines_with(out, "c.txt:1", "${V}")) == 1


def test_rules_found_and_missing_name_providers_not_values(tmp_path: Path) -> None:
    secret, other = make_canary(), make_canary("user").replace(":", "")  # RFC 7617
    write(tmp_path, {"pyproject.toml": (
        "[[tool.private-packages.credentials]]\n"
        'url = "https://gitlab.example.com/api/v4/groups/12/-/packages/pypi"\n'
        'username = "gitlab-ci-token"\n'
        'password = "${CI_TOKEN_UNSET}"\n')})
    env = base_env(tmp_path, IDX_TOKEN=secret, BOT_USER=other,
                   PRIVATE_PACKAGES_IDX_URL=INDEX,
                   PRIVATE_PACKAGES_IDX_USERNAME="${BOT_USER}",
                   PRIVATE_PACKAGES_IDX_PASSWORD="prefix-${IDX_TOKEN}")
    trust(env, tmp_path)  # the rules listing is the subject; test_trust.py has the rest
    code, out = run(tmp_path, env, "--no-probe")
    assert code == EXIT_CONFIG
    found = lines_with(out, OK, "[environment] env PRIVATE_PACKAGES_IDX_*", INDEX)
    assert len(found) == 1
    assert "username **** found" in found[0], "a token-like username is not shown"
    assert "password from ${IDX_TOKEN} (env) found" in found[0]
    missing = lines_with(out, MISSING, "[project]", "pyproject.toml", "gitlab.example.com")
    assert len(missing) == 1
    assert "username gitlab-ci-token found" in missing[0]
    assert "password missing: environment variable CI_TOKEN_UNSET is not set" in missing[0]
    assert_not_in_texts(secret, {"doctor output": out})
    assert_not_in_texts(other, {"doctor output": out})


def test_config_errors_are_each_reported(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": (
        "[[tool.private-packages.credentials]]\n"
        'url = "ftp://nope.example"\npassword = "x"\n'
        "[[tool.private-packages.credentials]]\n"
        'url = "https://ok.example/simple"\n')})
    code, out = run(tmp_path, base_env(tmp_path), "--no-probe")
    assert code == EXIT_CONFIG
    errors = lines_with(out, "ERROR", "pyproject.toml")
    assert len(errors) == 2
    assert any("url must be an http(s) URL" in line for line in errors)


def test_everything_fine_exits_zero_and_names_the_rule(tmp_path: Path) -> None:
    secret = make_canary()
    write(tmp_path, {"req.txt": f"--index-url {INDEX}\nacme-internal\n"})
    env = base_env(tmp_path, IDX_TOKEN=secret, PRIVATE_PACKAGES_IDX_URL=INDEX,
                   PRIVATE_PACKAGES_IDX_USERNAME="deploy-bot",
                   PRIVATE_PACKAGES_IDX_PASSWORD="${IDX_TOKEN}")
    code, out = run(tmp_path, env, "--no-probe", "-r", "req.txt")
    assert code == 0, out
    assert lines_with(out, "-", INDEX, "req.txt:1", "credential from rule env "
                      "PRIVATE_PACKAGES_IDX_*", "not probed (--no-probe)")
    assert out.rstrip().splitlines()[-1].startswith("doctor: everything is ready")
    assert_not_in_texts(secret, {"doctor output": out}, username="deploy-bot")


def test_index_urls_from_arguments_and_environment(tmp_path: Path) -> None:
    env = base_env(tmp_path, PIP_INDEX_URL="https://a.example/simple",
                   PIP_EXTRA_INDEX_URL="https://b.example/simple https://c.example/${T}")
    code, out = run(tmp_path, env, "--no-probe", "-i", "https://u:${ARG_TOKEN}@d.example/s")
    assert code == EXIT_CONFIG
    assert lines_with(out, MISSING, "command line argument 1", "${ARG_TOKEN}")
    assert lines_with(out, "SKIPPED", "https://d.example/s", "reference in the URL is missing")
    assert lines_with(out, "https://a.example/simple (PIP_INDEX_URL;", "no rule binds")
    assert lines_with(out, "https://b.example/simple (PIP_EXTRA_INDEX_URL;")
    assert lines_with(out, "ERROR", "PIP_EXTRA_INDEX_URL holds a ${...} reference")


def test_malformed_reference_and_unsafe_value_are_errors(tmp_path: Path) -> None:
    write(tmp_path, {"r.txt": "pkg==${BROKEN\nother==${MULTI}\n"})
    env = base_env(tmp_path, MULTI="1.0\nevil")
    code, out = run(tmp_path, env, "--no-probe", "-r", "r.txt")
    assert code == EXIT_CONFIG
    assert lines_with(out, "ERROR", "r.txt:1, column 6", "unterminated reference")
    assert lines_with(out, OK, "r.txt:2", "${MULTI}", "found")
    assert lines_with(out, "ERROR", "r.txt:2", "holds a line break")
    assert "evil" not in out


class RecordingProbe:
    """Stands in for `probe_index` (no network): records what it was asked, answers
    with a fixed verdict."""

    def __init__(self, result: ProbeResult) -> None:
        self.result = result
        self.calls: list[dict[str, Any]] = []

    def __call__(self, url: str, **kwargs: Any) -> ProbeResult:
        self.calls.append({"url": url, **kwargs})
        return self.result


@pytest.mark.parametrize(("in_url", "expected_user", "rule"), [
    (True, "deploy-bot", None),
    (False, "rule-bot", "env PRIVATE_PACKAGES_IDX_*"),
], ids=["userinfo", "rule"])
def test_probe_gets_the_credential_pip_would_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  in_url: bool, expected_user: str,
                                                  rule: Optional[str]) -> None:
    secret, rule_secret = make_canary(), make_canary("rule")
    url = f"https://deploy-bot:${{TOKEN}}@{INDEX[8:]}" if in_url else INDEX
    write(tmp_path, {"r.txt": f"-i {url}\nAcme.Internal>=1\n"})
    env = base_env(tmp_path, TOKEN=secret, RULE_TOKEN=rule_secret,
                   PRIVATE_PACKAGES_IDX_URL=INDEX, PRIVATE_PACKAGES_IDX_USERNAME="rule-bot",
                   PRIVATE_PACKAGES_IDX_PASSWORD="${RULE_TOKEN}")
    verdict = ProbeResult(INDEX + "/", 401, False, "401 Unauthorized: the index rejected it",
                          "Rotate the token.\nThen run doctor again.", EXIT_REJECTED,
                          credential_sent=True)
    probe = RecordingProbe(verdict)
    monkeypatch.setattr(doctor_indexes, "probe_index", probe)
    trust(env, tmp_path)  # a credential an untrusted file chose is never sent (below)
    code, out = run(tmp_path, env, "--timeout", "2.5", "-r", "r.txt")
    assert code == EXIT_REJECTED
    [call] = probe.calls
    assert call["username"] == expected_user and call["rule"] == rule
    assert call["password"] == Secret(secret if in_url else rule_secret)
    assert (call["package"], call["timeout"]) == ("Acme.Internal", 2.5)
    rejected = lines_with(out, REJECTED, INDEX, "401 Unauthorized")
    assert len(rejected) == 1
    index = out.splitlines().index(rejected[0])
    assert out.splitlines()[index + 1].strip() == "fix: Rotate the token."
    assert out.splitlines()[index + 2].strip() == "Then run doctor again."
    for value in (secret, rule_secret):
        assert_not_in_texts(value, {"doctor output": out}, username=expected_user)


@pytest.mark.parametrize(("status", "exit_code", "sent", "marker"), [
    (200, 0, True, OK), (401, EXIT_REJECTED, True, REJECTED),
    (401, EXIT_REJECTED, False, MISSING), (403, EXIT_REJECTED, False, MISSING),
    (404, EXIT_CONFIG, True, FAILED), (None, EXIT_CONFIG, False, UNREACHABLE),
])
def test_probe_verdict_markers(status: Optional[int], exit_code: int, sent: bool,
                               marker: str) -> None:
    result = ProbeResult(INDEX, status, exit_code == 0, "summary", "", exit_code,
                         credential_sent=sent)
    item = probe_item("label", result)
    assert (item.marker, item.exit_code, item.text) == (marker, exit_code, "label: summary")


def test_exit_code_priority_and_final_masking() -> None:
    secret = make_canary()
    report = Report()
    assert report.exit_code == 0
    report.add("Indexes", Item.problem(MISSING, "a"))
    assert report.exit_code == EXIT_CONFIG
    report.add("Indexes", Item(REJECTED, "b", exit_code=EXIT_REJECTED))
    report.add("Rules", Item.problem(MISSING, "c"))
    assert report.exit_code == EXIT_REJECTED
    report.secret(secret, "deploy-bot")
    report.add("Rules", Item(OK, f"a message that leaked {secret} by mistake"))
    out = io.StringIO()
    report.write(out)
    assert "leaked **** by mistake" in out.getvalue()
    assert_not_in_texts(secret, {"doctor output": out.getvalue()}, username="deploy-bot")


def test_options(tmp_path: Path) -> None:
    code, out = run(tmp_path, base_env(tmp_path), "--help")
    assert code == 0 and out.startswith("usage: pip-private doctor")
    with pytest.raises(ConfigError, match="--timeout needs a number"):
        run(tmp_path, base_env(tmp_path), "--timeout", "soon")
    code, out = run(tmp_path, base_env(tmp_path), "--no-probe")
    assert code == 0 and "nothing to check" in out
