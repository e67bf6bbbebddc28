"""The credential hook driven in-process: a real cleo `ConsoleCommandEvent` for a real poetry
command over a real `Factory().create_poetry(project)` (poetry is in the dev venv), with
poetry's config dir and our user config isolated in tmp_path.

Covers which sources get a credential, `publish` picking only its repository, the user's
explicit credential winning, config errors that stop a command or only warn, exit 2, and
that no value reaches the command's output at debug verbosity.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cleo.events.console_command_event import ConsoleCommandEvent
from cleo.events.console_terminate_event import ConsoleTerminateEvent
from cleo.io.buffered_io import BufferedIO
from cleo.io.inputs.argv_input import ArgvInput
from cleo.io.outputs.output import Verbosity

from poetry_private_plugin import hook
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.poetry_env import write_project

INDEX = "http://127.0.0.1:8080/simple/"
OTHER = "http://127.0.0.1:9090/simple/"


def rule(source: str, password: str, username: str = "deploy-bot") -> str:
    return (f'\n[[tool.private-packages.credentials]]\nsource = "{source}"\n'
            f'username = "{username}"\npassword = "{password}"\n')


def other_source(name: str = "other", url: str = OTHER) -> str:
    return f'\n[[tool.poetry.source]]\nname = "{name}"\nurl = "{url}"\npriority = "supplemental"\n'


@pytest.fixture
def secret() -> str:
    return make_canary("unit")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str) -> Iterator[Path]:
    """A bare environment (no POETRY_*, CI or PRIVATE_PACKAGES_* variables of this machine;
    PRIVATE_PACKAGES_TRUST=1),
    poetry's config dir and singleton reset to tmp_path; os.environ restored afterwards
    (the hook adds GIT_CONFIG_* to it). Returns poetry's config dir."""
    import poetry.config.config as poetry_config

    saved = dict(os.environ)
    os.environ.clear()
    home = tmp_path / "home"
    home.mkdir()
    # Trusted by the environment: these tests are about the hook; the untrusted project
    # has tests of its own (they unset the variable).
    os.environ.update(PATH=saved.get("PATH", "/usr/bin:/bin"), HOME=str(home),
                      XDG_CONFIG_HOME=str(home / ".config"), ACME_TOKEN=secret,
                      PRIVATE_PACKAGES_TRUST="1")
    config_dir = tmp_path / "poetry-config"
    config_dir.mkdir()
    monkeypatch.setattr(poetry_config, "CONFIG_DIR", config_dir)
    monkeypatch.setattr(poetry_config, "_default_config", None)
    try:
        yield config_dir
    finally:
        os.environ.clear()
        os.environ.update(saved)


def make_poetry(project: Path) -> Any:
    from poetry.factory import Factory

    return Factory().create_poetry(project)


def event_for(*argv: str, poetry: Any = None) -> tuple[ConsoleCommandEvent, BufferedIO]:
    """The event cleo dispatches for `poetry ARGV -vvv`, input bound as cleo binds it."""
    from poetry.console.application import Application

    words = [a for a in argv if not a.startswith("-")]
    name = " ".join(words[:2]) if words[0] in ("self", "debug") else words[0]
    command = Application().find(name)
    if poetry is not None:
        command.set_poetry(poetry)  # type: ignore[attr-defined]
    command.merge_application_definition()
    if " " in name:  # cleo passes a namespaced command's name as one argument
        argv = (name, *argv[2:])
    io_input = ArgvInput(["poetry", *argv])
    io_input.bind(command.definition)
    io = BufferedIO(io_input)
    io.set_verbosity(Verbosity.DEBUG)
    return ConsoleCommandEvent(command, io), io


def run_hook(project: Path, *argv: str) -> tuple[ConsoleCommandEvent, str, Any]:
    poetry = make_poetry(project)
    event, io = event_for(*argv, poetry=poetry)
    hook.authenticate_command(event)
    return event, io.fetch_output() + io.fetch_error(), poetry.config


def granted(config: Any, name: str) -> Any:
    """What the hook merged for `name` (the raw dict: environment variables left out)."""
    return config.raw().get("http-basic", {}).get(name)


def test_lock_gives_each_ruled_source_its_credential_in_memory(
        tmp_path: Path, isolated: Path, secret: str) -> None:
    from poetry.config.config import Config
    from poetry.utils.authenticator import Authenticator

    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}")
                            + other_source())
    event, output, config = run_hook(project, "lock", "-vvv")
    assert event.command_should_run()
    assert granted(config, "private") == {"username": "deploy-bot", "password": secret}
    assert granted(config, "other") is None  # no rule binds it
    # poetry.config is the process-wide singleton: a fresh Authenticator (the one git and
    # the installer create) sees the credential too.
    assert config is Config.create()
    credential = Authenticator().get_http_auth("private")
    assert credential is not None and credential.password == secret
    assert "source 'private': credential from" in output
    assert "${ACME_TOKEN}" in output and "no rule binds" in output
    assert not (isolated / "auth.toml").exists()
    assert_not_in_texts(secret, {"output": output}, username="deploy-bot")


def test_rule_bound_by_url_prefix_serves_a_source(tmp_path: Path, isolated: Path,
                                                  secret: str) -> None:
    extra = ('\n[[tool.private-packages.credentials]]\nurl = "http://127.0.0.1:8080"\n'
             'password = "${ACME_TOKEN}"\n')
    project = write_project(tmp_path / "app", INDEX, extra=extra)
    _, _, config = run_hook(project, "install")
    assert granted(config, "private") == {"username": "__token__", "password": secret}


def test_publish_takes_only_its_repository(tmp_path: Path, isolated: Path,
                                           secret: str) -> None:
    """`publish -r other` needs `other` only: the project's primary source, whose rule
    cannot even be resolved, is neither resolved nor given a credential."""
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${MISSING_TOKEN}")
                            + other_source() + rule("other", "${ACME_TOKEN}", "uploader"))
    event, output, config = run_hook(project, "publish", "-r", "other")
    assert event.command_should_run(), output
    assert granted(config, "other") == {"username": "uploader", "password": secret}
    assert granted(config, "private") is None
    assert "MISSING_TOKEN" not in output


def test_publish_repository_known_only_to_poetry_config(tmp_path: Path, isolated: Path,
                                                        secret: str) -> None:
    """`poetry config repositories.upload.url …` names no pyproject source; a `source =
    "upload"` rule still binds it (instead of failing as an unknown source name)."""
    (isolated / "config.toml").write_text(
        '[repositories.upload]\nurl = "http://127.0.0.1:8080/legacy/"\n')
    project = write_project(tmp_path / "app", INDEX, extra=rule("upload", "${ACME_TOKEN}"))
    event, output, config = run_hook(project, "publish", "-r", "upload")
    assert event.command_should_run(), output
    assert granted(config, "upload") == {"username": "deploy-bot", "password": secret}


@pytest.mark.parametrize("argv", [("publish",), ("publish", "-r", "private", "-u", "me",
                                                 "-p", "given")],
                         ids=["pypi-without-rule", "credentials-on-command-line"])
def test_publish_without_anything_to_do(tmp_path: Path, isolated: Path,
                                        argv: tuple[str, ...]) -> None:
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    event, output, config = run_hook(project, *argv)
    assert event.command_should_run(), output
    assert config.raw().get("http-basic", {}) == {}


@pytest.mark.parametrize("where", ["env", "auth-toml"])
def test_users_explicit_password_wins(tmp_path: Path, isolated: Path, secret: str,
                                      where: str) -> None:
    mine = make_canary("mine")
    if where == "env":
        os.environ["POETRY_HTTP_BASIC_PRIVATE_PASSWORD"] = mine
        os.environ["POETRY_HTTP_BASIC_PRIVATE_USERNAME"] = "me"
    else:
        (isolated / "auth.toml").write_text(
            f'[http-basic.private]\nusername = "me"\npassword = "{mine}"\n')
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    _, output, config = run_hook(project, "install")
    assert config.get(["http-basic", "private", "password"]) == mine
    assert config.get(["http-basic", "private", "username"]) == "me"
    shown = ("POETRY_HTTP_BASIC_PRIVATE_USERNAME/_PASSWORD" if where == "env"
             else "poetry config http-basic.private (auth.toml)")
    assert f"keeping poetry's own credential ({shown})" in output
    assert "credentials]] #1 not used" in output
    for value in (secret, mine):
        assert_not_in_texts(value, {"output": output}, username="me")


def test_unresolvable_reference_refuses_with_one_line_and_exit_2(
        tmp_path: Path, isolated: Path) -> None:
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${MISSING_TOKEN}"))
    event, output, config = run_hook(project, "lock")
    assert not event.command_should_run()
    assert event.is_propagation_stopped()  # poetry's listeners would create a venv
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("private-packages: source 'private': ")
    assert "${MISSING_TOKEN}" in lines[0] and "credentials]] #1" in lines[0]
    assert granted(config, "private") is None

    unrelated, io = event_for("lock")
    done = ConsoleTerminateEvent(unrelated.command, io, 0)
    hook.finish_command(done)
    assert done.exit_code == 0
    refused = ConsoleTerminateEvent(event.command, io, ConsoleCommandEvent.RETURN_CODE_DISABLED)
    hook.finish_command(refused)
    assert refused.exit_code == 2


def test_config_error_in_an_unneeded_rule_warns_and_goes_on(
        tmp_path: Path, isolated: Path, secret: str) -> None:
    extra = rule("private", "${ACME_TOKEN}") + rule("nope", "${OTHER_TOKEN}")
    project = write_project(tmp_path / "app", INDEX, extra=extra)
    event, output, config = run_hook(project, "lock")
    assert event.command_should_run()
    assert "no source named 'nope'" in output
    assert granted(config, "private") == {"username": "deploy-bot", "password": secret}


def test_config_error_in_the_needed_rule_refuses(tmp_path: Path, isolated: Path) -> None:
    extra = '\n[[tool.private-packages.credentials]]\nsource = "private"\nusername = "x"\n'
    project = write_project(tmp_path / "app", INDEX, extra=extra)
    event, output, _ = run_hook(project, "install")
    assert not event.command_should_run()
    assert "password is missing" in output and "#1" in output


@pytest.mark.parametrize("covered", [True, False], ids=["source-has-rule", "source-without"])
def test_unreadable_user_config_blocks_only_sources_left_without_rule(
        tmp_path: Path, isolated: Path, covered: bool) -> None:
    user_file = Path(os.environ["XDG_CONFIG_HOME"]) / "private-packages" / "config.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("[[credentials]\n")  # invalid TOML: every user rule is lost
    extra = rule("private", "${ACME_TOKEN}") if covered else ""
    project = write_project(tmp_path / "app", INDEX, extra=extra)
    event, output, _ = run_hook(project, "lock")
    assert event.command_should_run() is covered
    assert "invalid TOML" in output


def test_rule_does_not_travel_to_a_repository_url_elsewhere(
        tmp_path: Path, isolated: Path, secret: str) -> None:
    """An environment variable points poetry's `private` repository at another host: poetry
    would send http-basic.private there, so the hook gives it nothing."""
    os.environ["POETRY_REPOSITORIES_PRIVATE_URL"] = "http://127.0.0.2:8080/simple/"
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    event, output, config = run_hook(project, "install")
    assert event.command_should_run()
    assert granted(config, "private") is None
    assert "not sending its credential" in output and "127.0.0.2" in output


@pytest.mark.parametrize("argv", [("show",), ("show", "--tree"), ("show", "--why")],
                         ids=["show", "show-tree", "show-why"])
def test_show_reading_only_the_lock_is_not_hooked(tmp_path: Path, isolated: Path,
                                                  argv: tuple[str, ...]) -> None:
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    _, _, config = run_plugin_hook(project, *argv)
    assert granted(config, "private") is None


@pytest.mark.parametrize("argv", [
    ("show", "--outdated"), ("show", "-o"), ("show", "--latest"), ("show", "-l"),
    ("remove", "acme-internal"), ("remove", "--lock", "acme-internal"),
    ("debug", "resolve", "acme-internal"),
], ids=["show-outdated", "show-o", "show-latest", "show-l", "remove", "remove-lock",
        "debug-resolve"])
def test_commands_that_reach_the_sources_are_hooked(tmp_path: Path, isolated: Path,
                                                    secret: str, argv: tuple[str, ...]) -> None:
    """Through plugin.on_command, as poetry dispatches it: HOOKED and hook.py agree."""
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    event, output, config = run_plugin_hook(project, *argv)
    assert event.command_should_run(), output
    assert granted(config, "private") == {"username": "deploy-bot", "password": secret}
    assert_not_in_texts(secret, {"output": output}, username="deploy-bot")


def run_plugin_hook(project: Path, *argv: str) -> tuple[ConsoleCommandEvent, str, Any]:
    from poetry_private_plugin.plugin import on_command

    poetry = make_poetry(project)
    event, io = event_for(*argv, poetry=poetry)
    on_command(event, "console.command", None)  # type: ignore[arg-type]
    return event, io.fetch_output() + io.fetch_error(), poetry.config


def test_no_pyproject_is_left_to_poetry(tmp_path: Path, isolated: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    event, io = event_for("lock")
    hook.authenticate_command(event)
    assert event.command_should_run()
    assert io.fetch_error() == ""


def test_git_helper_is_set_once_for_commands_that_clone(tmp_path: Path, isolated: Path,
                                                        secret: str) -> None:
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    run_hook(project, "publish", "-r", "private")
    assert "GIT_CONFIG_COUNT" not in os.environ  # publish clones nothing
    run_hook(project, "lock")
    count = os.environ["GIT_CONFIG_COUNT"]
    helpers = [v for k, v in os.environ.items() if k.startswith("GIT_CONFIG_VALUE_")]
    assert any("--project-dir" in v and str(project.resolve()) in v for v in helpers)
    run_hook(project, "install")
    assert os.environ["GIT_CONFIG_COUNT"] == count
    git_vars = {k: v for k, v in os.environ.items() if k.startswith("GIT_CONFIG")}
    assert_not_in_texts(secret, git_vars, username="deploy-bot")


def test_no_rule_at_all_sets_no_git_helper(tmp_path: Path, isolated: Path) -> None:
    project = write_project(tmp_path / "app", INDEX)
    event, _, config = run_hook(project, "install")
    assert event.command_should_run()
    assert "GIT_CONFIG_COUNT" not in os.environ
    assert config.raw().get("http-basic", {}) == {}


@pytest.mark.parametrize(("variables", "blocks"), [
    ({"PRIVATE_PACKAGES_CI_SOURCE": "private"}, True),
    ({"PRIVATE_PACKAGES_CI_URL": "http://127.0.0.1:8080/simple"}, True),
    ({"PRIVATE_PACKAGES_CI_URL": "http://127.0.0.1:8080"}, True),
    ({"PRIVATE_PACKAGES_CI_URL": "http://127.0.0.1:8080/other"}, False),
    ({"PRIVATE_PACKAGES_CI_URL": "http://127.0.0.1:9999"}, False),
], ids=["env-source", "env-url-same-prefix", "env-url-host", "env-url-other-path",
        "env-url-other-port"])
def test_broken_env_rule_blocks_only_the_source_it_binds(
        tmp_path: Path, isolated: Path, variables: dict[str, str], blocks: bool) -> None:
    """An env-defined rule without a password is a config error; it stops the command only
    when it would have bound the needed source (by name or by a URL covering it)."""
    os.environ.update(variables)
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    event, output, _ = run_hook(project, "lock")
    assert event.command_should_run() is not blocks
    assert "env PRIVATE_PACKAGES_CI_*: password is missing" in output


@pytest.fixture
def system_project(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Poetry's own system project (in its config dir) with a `plugins` source, and a user
    config rule serving it by URL."""
    import poetry.locations

    monkeypatch.setattr(poetry.locations, "CONFIG_DIR", isolated)
    (isolated / "pyproject.toml").write_text(
        f'[tool.poetry]\nname = "poetry-instance"\nversion = "0"\n\n'
        f'[[tool.poetry.source]]\nname = "plugins"\nurl = "{INDEX}"\npriority = "primary"\n')
    user_file = Path(os.environ["XDG_CONFIG_HOME"]) / "private-packages" / "config.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text('[[credentials]]\nurl = "http://127.0.0.1:8080"\n'
                         'password = "${ACME_TOKEN}"\n')
    return isolated


@pytest.mark.parametrize(("argv", "hooked"), [
    (("self", "add", "acme-plugin"), True),
    (("self", "remove", "acme-plugin"), True),
    (("self", "lock"), True),
    (("self", "show", "--outdated"), True),
    (("self", "show", "--latest"), True),
    (("self", "show"), False),
], ids=["self-add", "self-remove", "self-lock", "self-show-outdated", "self-show-latest",
        "self-show"])
def test_self_commands_use_the_system_project_and_user_rules(
        system_project: Path, secret: str, argv: tuple[str, ...], hooked: bool) -> None:
    """`poetry self ...` runs against poetry's own system project, whose sources survive
    regeneration; the user config's rules serve it (through plugin.on_command)."""
    from poetry_private_plugin.plugin import on_command

    event, io = event_for(*argv)
    on_command(event, "console.command", None)  # type: ignore[arg-type]
    output = io.fetch_output() + io.fetch_error()
    assert event.command_should_run(), output
    config = event.command.poetry.config  # type: ignore[attr-defined]
    expected = {"username": "__token__", "password": secret} if hooked else None
    assert granted(config, "plugins") == expected
    assert ("source 'plugins': credential from" in output) is hooked
    assert_not_in_texts(secret, {"output": output})


@pytest.mark.parametrize(("name", "where"), [
    ("private", ""), ("private", "env"), ("private", "auth-toml"), ("my.repo", "auth-toml"),
], ids=["rule-only", "http-basic-env", "http-basic-auth-toml", "dotted-name-auth-toml"])
def test_hook_and_check_pick_the_same_credential(
        tmp_path: Path, isolated: Path, secret: str, name: str, where: str) -> None:
    """A rule and (maybe) poetry's own http-basic for one source: `source check` reports and
    probes with exactly what the hook leaves poetry's Authenticator to send."""
    from poetry.utils.authenticator import Authenticator

    from poetry_private_plugin.check import OK, Block, Project, SourceCheck
    from poetry_private_plugin.sources import project_sources

    mine = make_canary("mine")
    if where == "env":
        os.environ["POETRY_HTTP_BASIC_PRIVATE_PASSWORD"] = mine
        os.environ["POETRY_HTTP_BASIC_PRIVATE_USERNAME"] = "me"
    elif where:
        (isolated / "auth.toml").write_text(
            f'[http-basic."{name}"]\nusername = "me"\npassword = "{mine}"\n')
    project = write_project(tmp_path / "app", INDEX, source=name,
                            extra=rule(name, "${ACME_TOKEN}"))
    poetry = make_poetry(project)
    [source] = project_sources(poetry)
    block = Block("source")
    checked = SourceCheck(Project(poetry.pyproject_path, poetry.locker.lock,
                                  poetry.local_config, [source], poetry.config),
                          os.environ, probe=False).credential(source, block)

    event, io = event_for("install", poetry=poetry)  # after the check: the hook merges
    hook.authenticate_command(event)
    sent = Authenticator().get_http_auth(name)

    assert sent is not None
    assert (checked.username, checked.password.reveal() if checked.password else None) == \
        (sent.username, sent.password)
    assert sent.username == ("me" if where else "deploy-bot")
    [line] = [i.text for i in block.items if i.marker == OK]
    assert line.startswith("credential: rule" if not where else "credential: ")
    assert ("not a private-packages rule" in line) is bool(where)
    overridden = [i.text for i in block.items if "is overridden" in i.text]
    assert len(overridden) == (1 if where else 0)
    assert_not_in_texts(secret, {"check": repr(block), "hook": io.fetch_error()})
    assert_not_in_texts(mine, {"check": repr(block), "hook": io.fetch_error()})


@pytest.mark.parametrize("where", ["auth-toml", "env"])
def test_publish_pypi_token_wins_over_a_rule(tmp_path: Path, isolated: Path,
                                             where: str) -> None:
    token = make_canary("pypi")
    if where == "env":
        os.environ["POETRY_PYPI_TOKEN_PRIVATE"] = token
    else:
        (isolated / "auth.toml").write_text(f'[pypi-token]\nprivate = "{token}"\n')
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    event, output, config = run_hook(project, "publish", "-r", "private")
    assert event.command_should_run(), output
    assert granted(config, "private") is None
    assert "keeping poetry's own credential" in output and "#1 not used" in output
    assert_not_in_texts(token, {"output": output})


def test_a_corrupt_trust_state_is_a_warning_not_a_refusal(tmp_path: Path, isolated: Path,
                                                          secret: str) -> None:
    """It withholds the project's rules (one warning); a source without a rule still runs,
    and a trusted environment is unaffected."""
    os.environ.pop("PRIVATE_PACKAGES_TRUST")
    state = Path(os.environ["HOME"], ".local/state/private-packages/trust.json")
    state.parent.mkdir(parents=True)
    state.write_text("{not json")
    project = write_project(tmp_path / "app", INDEX, extra=rule("private", "${ACME_TOKEN}"))
    event, output, config = run_hook(project, "lock")
    assert event.command_should_run()
    assert granted(config, "private") is None
    assert f"trust state {state}: it is not valid JSON" in output
    assert "is not trusted" in output
    assert_not_in_texts(secret, {"output": output}, username="deploy-bot")
