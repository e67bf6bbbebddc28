"""pip_config.py against pip itself: for every arrangement of config files, the files pip
will write (`log`, `report`) are the ones pip's own option parser ends up with -- and the
files pip writes are masked wherever they were named (outputs.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest
from pip._internal.commands import create_command

from pip_hook.masking import Masker
from pip_hook.outputs import CONFIG_KEYS, MaskedOutputs, redirect_files
from pip_hook.pip_config import config_values, is_isolated
from pip_hook.pipargs import Arg


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home and XDG dirs of the test's own, in os.environ too, since pip reads that."""
    for name in ("PIP_CONFIG_FILE", "PIP_ISOLATED", "PIP_LOG", "PIP_REPORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg"))
    return tmp_path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


LAYOUTS: dict[str, dict[str, str]] = {
    # file (relative to the test's dir; "ENV" is PIP_CONFIG_FILE) -> its text
    "global-log": {"home/.config/pip/pip.conf": "[global]\nlog = /l/global.log\n"},
    "alias-and-underscore": {"home/.config/pip/pip.conf": "[global]\nlog_file = /l/a.log\n"},
    "command-beats-global": {"home/.config/pip/pip.conf": "[install]\nlog = /l/install.log\n",
                             "ENV": "[global]\nlog = /l/env-global.log\n"},
    "later-file-wins": {"xdg/pip/pip.conf": "[global]\nlog = /l/xdg.log\n",
                        "home/.config/pip/pip.conf": "[global]\nlog = /l/user.log\n"},
    "legacy-user-file": {"home/.pip/pip.conf": "[install]\nreport = /l/report.json\n"},
    "report-per-command": {"home/.config/pip/pip.conf":
                           "[global]\nreport = /l/g.json\n[install]\nreport = /l/i.json\n"},
    "env-file-hides-user": {"ENV": "[global]\nlocal-log = /l/env.log\n",
                            "home/.config/pip/pip.conf": "[install]\nreport = /l/user.json\n"},
    "empty-value": {"home/.config/pip/pip.conf": "[global]\nlog =\n"},
}


@pytest.mark.parametrize("isolated", [False, True], ids=["plain", "isolated"])
@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_config_files_as_pip_reads_them(place: Path, monkeypatch: pytest.MonkeyPatch,
                                        layout: dict[str, str], isolated: bool) -> None:
    for name, text in layout.items():
        target = place / ("env.conf" if name == "ENV" else name)
        write(target, text)
        if name == "ENV":
            monkeypatch.setenv("PIP_CONFIG_FILE", str(target))
    args = ["--isolated"] if isolated else []
    options, _ = create_command("install", isolated=isolated).parse_args(args)
    ours = config_values(os.environ, Path(sys.prefix), is_isolated(args, os.environ),
                         "install", CONFIG_KEYS)
    log = next((ours[key] for key in ("log", "log-file", "local-log") if key in ours), None)
    assert (log, ours.get("report")) == (options.log, options.json_report_file)


def test_a_config_file_named_devnull_loads_nothing(place: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write(place / "xdg/pip/pip.conf", "[global]\nlog = /l/x.log\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    options, _ = create_command("install").parse_args([])
    assert options.log is None
    assert config_values(os.environ, Path(sys.prefix), False, "install", CONFIG_KEYS) == {}


SECRET = b"cs-entitlement-0123456789"


@pytest.fixture
def outputs() -> Iterator[MaskedOutputs]:
    found = MaskedOutputs(lambda: Masker([SECRET]))
    yield found
    found.finish()


CASES: dict[str, tuple[str, list[Arg], dict[str, str], Optional[dict[str, str]],
                       Optional[str]]] = {
    # name: (command, command-line args, environment, config, file pip writes or None)
    "command-line": ("install", [Arg(["--log", "cmd.log"], "--log", "cmd.log")], {},
                     None, "cmd.log"),
    "command-line-beats-env": ("install", [Arg(["--log", "cmd.log"], "--log", "cmd.log")],
                               {"PIP_LOG": "env.log"}, {}, "cmd.log"),
    "env-log": ("download", [], {"PIP_LOG_FILE": "env.log"}, None, "env.log"),
    "env-report": ("install", [], {"PIP_REPORT": "report.json"}, None, "report.json"),
    "env-beats-config": ("install", [], {"PIP_REPORT": "env.json"},
                         {"report": "conf.json"}, "env.json"),
    "config-log": ("wheel", [], {}, {"log": "conf.log"}, "conf.log"),
    "config-output": ("lock", [], {}, {"output": "mine.toml"}, "mine.toml"),
    "lock-default": ("lock", [], {}, {}, "pylock.toml"),
    "no-secret-no-default": ("lock", [], {}, None, None),
    "report-is-install-only": ("download", [], {"PIP_REPORT": "x.json"}, {}, None),
}


@pytest.mark.parametrize(("command", "rest", "env", "config", "written"), CASES.values(),
                         ids=CASES.keys())
def test_every_file_pip_writes_is_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         outputs: MaskedOutputs, command: str, rest: list[Arg],
                                         env: dict[str, str], config: Optional[dict[str, str]],
                                         written: Optional[str]) -> None:
    monkeypatch.chdir(tmp_path)
    general: list[Arg] = []
    redirect_files(outputs, general, rest, env, command, isolated=False, config=config)
    paths = [part.value for part in general + rest if part.value is not None]
    assert all(path.startswith("/dev/fd/") for path in paths), paths
    for path in paths:
        with open(path, "wb") as fh:
            fh.write(b"GET /" + SECRET + b"/simple/\n")
    outputs.finish()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ([written] if written else [])
    if written:
        assert (tmp_path / written).read_bytes() == b"GET /****/simple/\n"


def test_isolated_pip_ignores_its_variables(tmp_path: Path, outputs: MaskedOutputs) -> None:
    env = {"PIP_LOG": str(tmp_path / "env.log")}
    general: list[Arg] = []
    redirect_files(outputs, general, [], env, "install", isolated=True, config={})
    assert general == [] and env == {"PIP_LOG": str(tmp_path / "env.log")}
