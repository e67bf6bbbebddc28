"""What pip would pass on to its nested build-dependency `pip install` (build_deps.py), the
interpreter pip finally runs in (interpreter.py), and the provider the user chose."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from keyring_backend.errors import ConfigError
from pip_hook.build_deps import forwarded_secrets, keep_out_of_argv
from pip_hook.interpreter import final_python, probe
from pip_hook.pipargs import command_args
from pip_hook.provider_choice import chosen_provider

TOKEN = "tok-0123456789"


@pytest.mark.parametrize(("lines", "args", "pip_env", "found"), [
    (["--index-url https://h.example/TOKEN/simple/"], [], {}, ["--index-url"]),
    (["-i https://u:TOKEN@h.example/simple/", "pkg"], [], {}, ["--index-url"]),
    (["--extra-index-url https://h.example/simple/?t=TOKEN"], [], {}, ["--extra-index-url"]),
    (["-f https://h.example/TOKEN/", "--trusted-host h.example"], [], {}, ["--find-links"]),
    (["pkg @ https://u:TOKEN@h.example/pkg.whl"], [], {}, []),  # never forwarded
    (["pkg==1.0 --hash=sha256:TOKEN"], [], {}, []),
    ([], ["--cert", "/run/TOKEN.pem"], {}, ["--cert"]),
    ([], [], {"PIP_CLIENT_CERT": "/run/TOKEN.pem"}, ["--client-cert"]),
    ([], [], {"HTTPS_PROXY": "http://u:TOKEN@proxy:3128"}, []),  # the environment: not argv
    (["--index-url https://h.example/simple/"], [], {}, []),
], ids=["path", "userinfo", "query", "find-links", "direct-url", "hash", "cert-arg",
        "client-cert-env", "proxy-env", "no-secret"])
def test_forwarded_secrets(lines: list[str], args: list[str], pip_env: dict[str, str],
                           found: list[str]) -> None:
    lines = [line.replace("TOKEN", TOKEN) for line in lines]
    parts = command_args("install", [a.replace("TOKEN", TOKEN) for a in args])
    pip_env = {k: v.replace("TOKEN", TOKEN) for k, v in pip_env.items()}
    assert forwarded_secrets(lines, parts, pip_env, [TOKEN]) == found


def test_an_encoded_secret_counts_too() -> None:
    secret = "tok/with:chars@0123"
    line = "--index-url https://u:tok%2Fwith%3Achars%400123@h.example/simple/"
    assert forwarded_secrets([line], [], {}, [secret]) == ["--index-url"]


def test_keep_out_of_argv_uses_the_feature_or_refuses_in_one_line() -> None:
    assert keep_out_of_argv(["--index-url"], feature=True, python="py") == [
        "--use-feature", "inprocess-build-deps"]
    with pytest.raises(ConfigError) as refused:
        keep_out_of_argv(["--index-url", "--find-links"], feature=False, python="/v/bin/py")
    message = str(refused.value)
    assert "\n" not in message and "--no-build-isolation" in message
    assert "--index-url, --find-links" in message and "/v/bin/py" in message


def test_final_python_follows_pips_own_python_option(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    assert final_python("/own/python", None, {}) == "/own/python"
    assert final_python("/own/python", str(venv), {}) == str(venv / "bin" / "python")
    assert final_python("/own/python", None, {"PIP_PYTHON": "/x/python"}) == "/x/python"
    assert final_python("/own/python", "/y/python", {"PIP_PYTHON": "/x/python"}) == "/y/python"


def test_probe_of_our_own_interpreter_runs_nothing() -> None:
    found = probe(sys.executable)
    assert found.own and found.backend


def test_probe_of_a_missing_interpreter_says_no_backend(tmp_path: Path) -> None:
    assert not probe(str(tmp_path / "no-such-python")).backend


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["install", "x"], {}, None),
    (["install", "--keyring-provider", "import"], {}, "import"),
    (["install", "--keyring-provider=subprocess"], {}, "subprocess"),
    (["install"], {"PIP_KEYRING_PROVIDER": "disabled"}, "disabled"),
    (["--isolated", "install"], {"PIP_KEYRING_PROVIDER": "disabled"}, None),
])
def test_chosen_provider(tmp_path: Path, args: list[str], env: dict[str, str],
                         expected: str | None) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_DIRS": str(tmp_path / "xdg"), **env}
    assert chosen_provider(args, env, "install", tmp_path) == expected
