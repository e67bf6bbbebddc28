"""Providers through the public pipeline: `render_template(parse_template(text), ctx)`.

Every error test asserts the secrets in play are absent from `str(exc)` and `repr(exc)`,
raw, percent-encoded and base64 (TESTING.md "Leak assertions").
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Callable, Optional, TypeVar

import keyring.backend
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.fail import Keyring as FailKeyring

from keyring_backend.backend import PrivatePackagesKeyring
from keyring_backend.errors import (
    CommandFailed,
    PermissionDenied,
    ProviderUnavailable,
    UnresolvedReference,
)
from keyring_backend.providers import ResolveContext, command, render_template
from keyring_backend.providers.keyring_source import is_resolving
from keyring_backend.references import parse_template
from keyring_backend.secret import Secret
from keyring_backend.settings import CommandSpec, Settings
from keyring_backend.store import CredentialStore
from tests.leaks import forms

WHERE = "w"


def make_secret(label: str = "tok") -> str:
    """A unique canary with the characters that break naive URL and log handling."""
    return f"s3cr@t:/#%? ü-{label}-{uuid.uuid4().hex[:12]}"


def assert_no_leak(exc: BaseException, *secrets: str) -> None:
    shown = f"{exc}\n{exc!r}"
    for secret in secrets:
        for form in forms(secret):
            assert form not in shown, f"secret leaked into the error as {form!r:.14}..."


def render(text: str, env: Optional[Mapping[str, str]] = None, **ctx: object) -> str:
    context = ResolveContext(env=env or {}, where=WHERE, **ctx)  # type: ignore[arg-type]
    result = render_template(parse_template(text), context)
    assert isinstance(result, Secret)
    return result.reveal()


def with_bystander(env: Optional[Mapping[str, str]]) -> tuple[dict[str, str], list[str]]:
    """`env` plus one unrelated secret; returns it and every canary value now in play."""
    full = {"BYSTANDER_TOKEN": make_secret("bystander"), **(env or {})}
    return full, [value for value in full.values() if "s3cr@t" in value]


def render_error(text: str, env: Optional[Mapping[str, str]] = None,
                 error: type[Exception] = UnresolvedReference, **ctx: object) -> str:
    full, secrets = with_bystander(env)
    with pytest.raises(error) as info:
        render(text, full, **ctx)
    message = str(info.value)
    assert message.startswith(f"{WHERE}: ")
    assert "\n" not in message
    assert_no_leak(info.value, *secrets)
    return message


# --------------------------------------------------------------------------- env


def test_env_value_is_substituted_into_literal_text() -> None:
    secret = make_secret()
    env = {"TOKEN": secret, "USER_NAME": "bot"}
    assert render("${TOKEN}", env) == secret
    assert render("${env:TOKEN}", env) == secret
    assert render("a-${USER_NAME}:${TOKEN}-z", env) == f"a-bot:{secret}-z"
    assert render("no references", env) == "no references"
    assert render("$${TOKEN}", env) == "${TOKEN}"


def test_unset_variable_names_the_variable_and_where() -> None:
    others = make_secret()
    with pytest.raises(UnresolvedReference) as info:
        render("${CI_JOB_TOKEN}", {"OTHER": others})
    message = str(info.value)
    assert message.startswith("w: ")
    assert "CI_JOB_TOKEN" in message
    assert "is not set" in message
    assert_no_leak(info.value, others)


def test_empty_variable_is_an_error_not_an_empty_secret() -> None:
    message = render_error("${TOKEN}", {"TOKEN": ""})
    assert "TOKEN is empty" in message


@pytest.mark.parametrize("env", [{}, {"TOKEN": ""}], ids=["unset", "empty"])
def test_fallback_is_used_when_unset_and_when_empty(env: dict[str, str]) -> None:
    assert render("${TOKEN:-anonymous}", env) == "anonymous"
    assert render("x${TOKEN:-}y", env) == "xy"


def test_fallback_is_not_used_when_set() -> None:
    secret = make_secret()
    assert render("${TOKEN:-anonymous}", {"TOKEN": secret}) == secret


@pytest.mark.parametrize(("env", "state"), [({}, "is not set"), ({"TOKEN": ""}, "is empty")])
def test_question_mark_error_carries_the_message(env: dict[str, str], state: str) -> None:
    message = render_error("${TOKEN:?ask the platform team for a deploy token}", env)
    assert "${TOKEN}" in message
    assert state in message
    assert message.endswith("ask the platform team for a deploy token")


def test_json_field_selects_one_secret() -> None:
    gitlab, pypi = make_secret("gitlab"), make_secret("pypi")
    env = {"PACKED": json.dumps({"gitlab": gitlab, "pypi": pypi})}
    assert render("${PACKED#gitlab}", env) == gitlab
    assert render("${PACKED#pypi}", env) == pypi


def test_missing_json_field_lists_field_names_only() -> None:
    gitlab, pypi = make_secret("gitlab"), make_secret("pypi")
    env = {"PACKED": json.dumps({"gitlab": gitlab, "pypi": pypi})}
    with pytest.raises(UnresolvedReference) as info:
        render("${PACKED#github}", env)
    message = str(info.value)
    assert "no field 'github'" in message
    assert "(fields: gitlab, pypi)" in message
    assert_no_leak(info.value, gitlab, pypi)


@pytest.mark.parametrize(
    "packed",
    [
        "{secret}",  # plain text
        '["{secret}"]',  # JSON, but not an object
        '"{secret}"',  # a JSON string
        '{{"gitlab": "{secret}"',  # truncated JSON
    ],
)
def test_field_of_a_non_json_object_is_an_error_without_the_value(packed: str) -> None:
    secret = make_secret()
    with pytest.raises(UnresolvedReference) as info:
        render("${PACKED#gitlab}", {"PACKED": packed.format(secret=secret)})
    assert "not a JSON object" in str(info.value)
    assert_no_leak(info.value, secret)


@pytest.mark.parametrize("picked", [{"nested": "{secret}"}, ["{secret}"], None])
def test_field_that_is_not_text_is_an_error_without_the_value(picked: object) -> None:
    secret = make_secret()
    packed = json.dumps({"gitlab": picked}).replace("{secret}", secret)
    with pytest.raises(UnresolvedReference) as info:
        render("${PACKED#gitlab}", {"PACKED": packed})
    assert "field 'gitlab' is not text" in str(info.value)
    assert_no_leak(info.value, secret)


def test_index_out_of_range_counts_parts_without_showing_them() -> None:
    first, second = make_secret("a"), make_secret("b")
    with pytest.raises(UnresolvedReference) as info:
        render("${PACKED[2]}", {"PACKED": f"{first};{second}"})
    message = str(info.value)
    assert "${PACKED[2]}" in message
    assert "part 2" in message
    assert "2 ';'-separated part(s)" in message
    assert_no_leak(info.value, first, second)


def test_viktor_app_secret_packed_with_semicolons() -> None:
    tok1, tok2 = make_secret("one").replace(";", ""), make_secret("two").replace(";", "")
    env = {"VIKTOR_APP_SECRET": f"{tok1};{tok2}"}
    assert render("${VIKTOR_APP_SECRET[0]}", env) == tok1
    assert render("${VIKTOR_APP_SECRET[1]}", env) == tok2
    assert render("${VIKTOR_APP_SECRET}", env) == f"{tok1};{tok2}"


def test_viktor_app_secret_packed_as_json() -> None:
    gitlab, pypi = make_secret("gitlab"), make_secret("pypi")
    env = {"VIKTOR_APP_SECRET": json.dumps({"gitlab": gitlab, "pypi": pypi})}
    assert render("${VIKTOR_APP_SECRET#gitlab}", env) == gitlab


def test_empty_selected_part_is_an_error_or_takes_the_fallback() -> None:
    secret = make_secret()
    env = {"PACKED": f"{secret};;x"}
    message = render_error("${PACKED[1]}", env)
    assert "is empty" in message
    assert render("${PACKED[1]:-fb}", env) == "fb"


# --------------------------------------------------------------------------- file


@pytest.mark.parametrize(
    ("content", "value"),
    [
        ("{s}", "{s}"),
        ("{s}\n", "{s}"),
        ("{s}\r\n", "{s}"),
        ("{s}\n\n", "{s}\n"),  # only one trailing newline goes
        ("{s}\r\n\r\n", "{s}\r\n"),
        ("  {s}  \n", "  {s}  "),  # spaces are part of the secret
        ("a\rb\r\nc\n", "a\rb\r\nc"),  # inner line ends are kept as they are
    ],
)
def test_file_drops_exactly_one_trailing_newline(tmp_path: Path, content: str,
                                                 value: str) -> None:
    secret = make_secret()
    path = tmp_path / "token"
    path.write_bytes(content.format(s=secret).encode())
    assert render(f"${{file:{path}}}") == value.format(s=secret)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "absent"
    message = render_error(f"${{file:{path}}}")
    assert f"no such file {path}" in message


def test_directory_is_an_error(tmp_path: Path) -> None:
    secret = make_secret()
    (tmp_path / "token").write_text(secret)
    message = render_error(f"${{file:{tmp_path}}}", {"IN_THE_DIRECTORY": secret})
    assert f"{tmp_path} is a directory" in message


@pytest.mark.parametrize("content", ["", "\n", "\r\n"])
def test_empty_file_is_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "token"
    path.write_text(content)
    assert f"{path} is empty" in render_error(f"${{file:{path}}}")


def test_file_that_is_not_utf8_is_an_error_without_its_content(tmp_path: Path) -> None:
    secret = make_secret()
    path = tmp_path / "token"
    path.write_bytes(b"\xff\xfe" + secret.encode("latin-1"))
    with pytest.raises(UnresolvedReference) as info:
        render(f"${{file:{path}}}")
    assert "not UTF-8" in str(info.value)
    assert_no_leak(info.value, secret)


T = TypeVar("T")


def outcome_as_nobody(action: Callable[[], object]) -> tuple[str, str]:
    """Run `action` in a forked child that dropped root for `nobody`: (error type, text).

    Root reads a mode-000 file anyway (CAP_DAC_OVERRIDE), so the PermissionError branch is
    only reachable without root. The fork keeps every module already imported, so the
    child needs no access to the interpreter or the venv.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                action()
                result = "no error\n"
            except Exception as exc:  # noqa: BLE001 -- reported to the parent
                result = f"{type(exc).__name__}\n{exc}"
            os.write(write_end, result.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read().decode()
    os.waitpid(pid, 0)
    kind, _, message = data.partition("\n")
    return kind, message


def outcome(action: Callable[[], object]) -> tuple[str, str]:
    try:
        action()
    except Exception as exc:  # noqa: BLE001 -- compared by the caller
        return type(exc).__name__, str(exc)
    return "no error", ""


@pytest.fixture
def unreadable_file() -> Iterator[tuple[Path, str]]:
    """A mode-000 file in a directory `nobody` may enter (tmp_path's parents are 0700)."""
    secret = make_secret()
    folder = Path(tempfile.mkdtemp(prefix="pp-unreadable-"))
    folder.chmod(0o755)
    path = folder / "token"
    path.write_text(secret)
    path.chmod(0)
    yield path, secret
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    shutil.rmtree(folder)


def test_unreadable_file_is_permission_denied(unreadable_file: tuple[Path, str]) -> None:
    path, secret = unreadable_file

    def read() -> str:
        return render(f"${{file:{path}}}")

    if os.geteuid() == 0:
        # As root the file is readable after all and the value comes back...
        assert read() == secret
        # ...so prove the PermissionError branch as an unprivileged user.
        kind, message = outcome_as_nobody(read)
    else:
        kind, message = outcome(read)
    assert kind == PermissionDenied.__name__
    assert issubclass(PermissionDenied, UnresolvedReference)
    assert message == f"w: ${{file:{path}}}: cannot read {path}"
    for form in forms(secret):
        assert form not in message


def test_relative_path_starts_at_base_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = make_secret()
    (tmp_path / "project" / "secrets").mkdir(parents=True)
    (tmp_path / "project" / "secrets" / "pypi").write_text(secret + "\n")
    monkeypatch.chdir(tmp_path)  # not the base dir: proves base_dir wins over the cwd
    assert render("${file:secrets/pypi}", base_dir=tmp_path / "project") == secret
    message = render_error("${file:secrets/pypi}", {"IN_THE_FILE": secret},
                           base_dir=tmp_path / "elsewhere")
    assert str(tmp_path / "elsewhere" / "secrets" / "pypi") in message


def test_relative_path_without_base_dir_starts_at_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = make_secret()
    (tmp_path / "token").write_text(secret)
    monkeypatch.chdir(tmp_path)
    assert render("${file:token}") == secret


def test_tilde_expands_to_home(tmp_path: Path) -> None:
    """HOME of the environment passed in (not this process's), when it is absolute."""
    secret = make_secret()
    (tmp_path / ".pypi-token").write_text(secret + "\n")
    assert render("${file:~/.pypi-token}", {"HOME": str(tmp_path)},
                  base_dir=tmp_path / "unused") == secret


def test_json_field_and_index_on_a_file(tmp_path: Path) -> None:
    gitlab, pypi = make_secret("gitlab"), make_secret("pypi")
    (tmp_path / "tokens.json").write_text(json.dumps({"gitlab": gitlab, "pypi": pypi}) + "\n")
    (tmp_path / "tokens.txt").write_text("first;second\n")
    assert render("${file:tokens.json#pypi}", base_dir=tmp_path) == pypi
    assert render("${file:tokens.txt[1]}", base_dir=tmp_path) == "second"
    with pytest.raises(UnresolvedReference) as info:
        render("${file:tokens.json#github}", base_dir=tmp_path)
    assert "(fields: gitlab, pypi)" in str(info.value)
    assert_no_leak(info.value, gitlab, pypi)


# --------------------------------------------------------------------------- cmd


@pytest.fixture(autouse=True)
def _fresh_command_cache() -> Iterator[None]:
    command.reset_cache()
    yield
    command.reset_cache()


def python_command(code: str, *args: str, ttl: float = 0.0, timeout: float = 60.0,
                   name: str = "t") -> Settings:
    argv = (sys.executable, "-c", code, *args)
    return Settings(commands={name: CommandSpec(name, argv, ttl=ttl, timeout=timeout)})


def run_cmd(settings: Settings, env: Optional[Mapping[str, str]] = None,
            name: str = "t") -> str:
    return render(f"${{cmd:{name}}}", env, settings=settings, allow_commands=True)


def cmd_error(settings: Settings, env: Optional[Mapping[str, str]] = None,
              name: str = "t", *, allow_commands: bool = True) -> CommandFailed:
    full, secrets = with_bystander(env)
    with pytest.raises(CommandFailed) as info:
        render(f"${{cmd:{name}}}", full, settings=settings, allow_commands=allow_commands)
    assert str(info.value).startswith(f"w: ${{cmd:{name}}}: ")
    assert "\n" not in str(info.value)
    assert_no_leak(info.value, *secrets)
    return info.value


def test_command_is_refused_for_project_rules() -> None:
    exc = cmd_error(python_command("print('tok')"), allow_commands=False)
    assert "never from a project's files" in str(exc)


def test_unknown_command_name() -> None:
    exc = cmd_error(python_command("print('tok')"), name="other")
    assert "no [commands.other] in the user config file" in str(exc)


def test_command_stdout_is_the_secret() -> None:
    assert run_cmd(python_command("print('tok')")) == "tok"


@pytest.mark.parametrize(("written", "value"),
                         [(b"tok\n", "tok"), (b"tok\r\n", "tok"), (b"tok", "tok"),
                          (b"tok\n\n", "tok\n"), ("t\u00f6k\n".encode(), "t\u00f6k")])
def test_command_output_loses_one_trailing_newline(written: bytes, value: str) -> None:
    code = f"import sys; sys.stdout.buffer.write({written!r})"
    assert run_cmd(python_command(code)) == value


def test_command_sees_the_context_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_OS_ENVIRON", "leaked")
    code = "import os; print(os.environ.get('GIVEN'), os.environ.get('FROM_OS_ENVIRON'))"
    assert run_cmd(python_command(code), {"GIVEN": "yes"}) == "yes None"


COUNTING = (
    "import sys\n"
    "with open(sys.argv[1], 'a') as fh:\n"
    "    fh.write('x')\n"
    "print('tok')\n"
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    # command.py reads time.monotonic() at call time; subprocess keeps its own reference.
    monkeypatch.setattr(time, "monotonic", fake)
    return fake


def runs(counter: Path) -> int:
    return len(counter.read_text()) if counter.exists() else 0


def test_command_output_is_cached_until_its_ttl(tmp_path: Path, clock: FakeClock) -> None:
    counter = tmp_path / "runs"
    settings = python_command(COUNTING, str(counter), ttl=60)
    assert run_cmd(settings) == "tok"
    clock.now += 59
    assert run_cmd(settings) == "tok"
    assert runs(counter) == 1
    clock.now += 2  # 61 s after the first run: expired
    assert run_cmd(settings) == "tok"
    assert runs(counter) == 2
    clock.now += 30
    assert run_cmd(settings) == "tok"
    assert runs(counter) == 2


def test_ttl_zero_runs_once_per_process(tmp_path: Path, clock: FakeClock) -> None:
    counter = tmp_path / "runs"
    settings = python_command(COUNTING, str(counter), ttl=0)
    for _ in range(3):
        assert run_cmd(settings) == "tok"
        clock.now += 86400 * 365
    assert runs(counter) == 1
    command.reset_cache()
    run_cmd(settings)
    assert runs(counter) == 2


def test_failed_command_is_not_cached(tmp_path: Path) -> None:
    flag = tmp_path / "ready"
    code = ("import pathlib, sys\n"
            f"p = pathlib.Path({str(flag)!r})\n"
            "sys.exit(1) if not p.exists() else print('tok')\n")
    cmd_error(python_command(code, ttl=3600))
    flag.touch()
    assert run_cmd(python_command(code, ttl=3600)) == "tok"


def test_non_zero_exit_shows_the_last_stderr_line_never_stdout() -> None:
    secret, early = make_secret("stdout"), make_secret("stderr")
    code = (
        "import os, sys\n"
        "print(os.environ['SECRET'])\n"
        "sys.stderr.write('debug: ' + os.environ['EARLY'] + '\\n')\n"
        "sys.stderr.write('ERROR: login expired, run `aws sso login`\\n\\n')\n"
        "sys.exit(3)\n"
    )
    exc = cmd_error(python_command(code), {"SECRET": secret, "EARLY": early})
    assert str(exc).endswith("exited 3: ERROR: login expired, run `aws sso login`")
    assert_no_leak(exc, secret, early)


def test_non_zero_exit_without_stderr() -> None:
    secret = make_secret()
    exc = cmd_error(python_command("import os, sys; print(os.environ['S']); sys.exit(2)"),
                    {"S": secret})
    assert str(exc).endswith(f"{sys.executable} exited 2: ")
    assert_no_leak(exc, secret)


def test_command_timeout() -> None:
    secret = make_secret()
    code = "import os, time; print(os.environ['S'], flush=True); time.sleep(30)"
    exc = cmd_error(python_command(code, timeout=0.5), {"S": secret})
    assert str(exc).endswith("did not finish within 0.5 s")
    assert_no_leak(exc, secret)


@pytest.mark.parametrize("program", ["/nonexistent/token-tool", "pp-no-such-tool-on-path"])
def test_command_not_found(tmp_path: Path, program: str) -> None:
    settings = Settings(commands={"t": CommandSpec("t", (program, "--print"))})
    exc = cmd_error(settings, {"PATH": str(tmp_path)})
    assert str(exc).endswith(f"command not found: {program}")


def test_command_that_cannot_be_executed(tmp_path: Path) -> None:
    script = tmp_path / "token-tool"
    script.write_text("#!/bin/sh\necho tok\n")
    script.chmod(0o644)  # not executable: even root gets EACCES from execve
    settings = Settings(commands={"t": CommandSpec("t", (str(script),))})
    exc = cmd_error(settings)
    assert str(script) in str(exc)


@pytest.mark.parametrize("code", ["pass", "print()", "import sys; sys.stdout.write('\\r\\n')"])
def test_command_with_empty_output(code: str) -> None:
    exc = cmd_error(python_command(code))
    assert str(exc).endswith("printed nothing")


# --------------------------------------------------------------------------- keyring


def unregistered(cls: type[T]) -> type[T]:
    """Keep a test double out of keyring's own backend detection for the rest of the run."""
    KeyringBackend._classes.discard(cls)
    return cls


@unregistered
class MemoryKeyring(KeyringBackend):
    """An in-memory store implementing the real backend interface."""

    priority = 1

    def __init__(self, passwords: Optional[dict[tuple[str, str], str]] = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.passwords = dict(passwords or {})
        self.asked: list[tuple[str, str]] = []

    def get_password(self, service: str, username: str) -> Optional[str]:
        self.asked.append((service, username))
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.passwords[(service, username)]


@unregistered
class BrokenKeyring(KeyringBackend):
    """A backend that fails on every read, with a value in its exception text."""

    priority = 2

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.text = text

    def get_password(self, service: str, username: str) -> Optional[str]:
        raise RuntimeError(self.text)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(self.text)

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError(self.text)


SERVICE = "https://idx.example.com/simple"


def ours_and_keyrings_own() -> list[KeyringBackend]:
    """The backends `${keyring:...}` must never ask: ourselves, the chainer, the fail one."""
    return [PrivatePackagesKeyring(), ChainerBackend(), FailKeyring()]  # type: ignore[no-untyped-call]


def use_backends(monkeypatch: pytest.MonkeyPatch, *backends: KeyringBackend) -> None:
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: list(backends))


def test_keyring_value_comes_from_another_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    secret, broken_text = make_secret(), make_secret("broken")
    memory = MemoryKeyring({(SERVICE, "bot"): secret})
    use_backends(monkeypatch, memory, BrokenKeyring(broken_text), *ours_and_keyrings_own())
    assert render(f"${{keyring:{SERVICE}#bot}}") == secret
    assert memory.asked == [(SERVICE, "bot")]
    assert not is_resolving()


def test_keyring_not_found_lists_the_backends_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    other, broken_text = make_secret(), make_secret("broken")
    memory = MemoryKeyring({(SERVICE, "someone-else"): other})
    use_backends(monkeypatch, memory, BrokenKeyring(broken_text), *ours_and_keyrings_own())
    with pytest.raises(UnresolvedReference) as info:
        render(f"${{keyring:{SERVICE}#bot}}")
    message = str(info.value)
    assert not isinstance(info.value, ProviderUnavailable)
    assert message.startswith(f"w: ${{keyring:{SERVICE}#bot}}: no password")
    assert f"in {BrokenKeyring.name}, {MemoryKeyring.name};" in message  # by priority
    assert f"failed: {BrokenKeyring.name} (RuntimeError)" in message
    assert f"keyring set '{SERVICE}' 'bot'" in message
    for absent in ("private-packages", "chainer", "fail Keyring"):
        assert absent not in message
    assert_no_leak(info.value, other, broken_text)
    assert not is_resolving()


def test_keyring_without_other_backends_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    use_backends(monkeypatch, *ours_and_keyrings_own())
    with pytest.raises(ProviderUnavailable) as info:
        render(f"${{keyring:{SERVICE}#bot}}")
    assert "no keyring backend besides private-packages" in str(info.value)


@unregistered
class ChainingKeyring(MemoryKeyring):
    """A backend that asks keyring again before answering (as chaining plugins do)."""

    def __init__(self, inner: KeyringBackend, passwords: dict[tuple[str, str], str]) -> None:
        super().__init__(passwords)
        self.inner = inner
        self.inner_answers: list[object] = []

    def get_password(self, service: str, username: str) -> Optional[str]:
        self.inner_answers.append(self.inner.get_credential(service, None))
        return super().get_password(service, username)


def our_backend(env: dict[str, str], home: Path) -> PrivatePackagesKeyring:
    backend = PrivatePackagesKeyring()
    backend._store = CredentialStore(env={"HOME": str(home), **env}, cwd=home)
    return backend


def test_our_backend_answers_none_while_resolving(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    secret, stored = make_secret("env"), make_secret("keyring")
    ours = our_backend({"PRIVATE_PACKAGES_IDX_URL": SERVICE,
                        "PRIVATE_PACKAGES_IDX_PASSWORD": "${LOCAL_TOKEN}",
                        "LOCAL_TOKEN": secret}, tmp_path)
    chaining = ChainingKeyring(ours, {(SERVICE, "bot"): stored})
    use_backends(monkeypatch, chaining, ours)
    outside = ours.get_credential(SERVICE, None)
    assert outside is not None
    assert outside.password == secret
    assert render(f"${{keyring:{SERVICE}#bot}}") == stored
    assert chaining.inner_answers == [None]
    assert not is_resolving()
    assert ours.get_credential(SERVICE, None) is not None  # the guard is released


def test_keyring_reference_in_our_own_rule_does_not_recurse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = make_secret()
    ours = our_backend({"PRIVATE_PACKAGES_IDX_URL": SERVICE,
                        "PRIVATE_PACKAGES_IDX_USERNAME": "bot",
                        "PRIVATE_PACKAGES_IDX_PASSWORD": f"${{keyring:{SERVICE}#bot}}"},
                       tmp_path)
    chaining = ChainingKeyring(ours, {(SERVICE, "bot"): stored})
    use_backends(monkeypatch, chaining, ours)
    credential = ours.get_credential(SERVICE + "/", None)
    assert credential is not None
    assert (credential.username, credential.password) == ("bot", stored)
    assert chaining.inner_answers == [None]


def test_guard_is_released_after_a_broken_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    use_backends(monkeypatch, BrokenKeyring("x"))
    with pytest.raises(UnresolvedReference):
        render(f"${{keyring:{SERVICE}#bot}}")
    assert not is_resolving()
