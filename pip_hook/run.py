"""`pip-private <pip command> [args]`: render, then run pip with nothing secret in its argv.

Steps, in order:
1. Ask the interpreter pip finally runs in what it can do (interpreter.py): when it can
   import our backend, pip asks the backend for every credential, so credentials are
   lifted out of URLs (lifting.py) and the guard checks pip's requests (guard.py).
2. Render every `-r` / `-c` / `--build-constraint` file (render.py) into memory files.
3. Render references in the arguments themselves. A value that holds a secret never stays
   in pip's argv (any user can read a process's argv): requirements and index options move
   into one more rendered file given as `-r`; a `--proxy` moves to the proxy variables;
   other options move to pip's own `PIP_<OPTION>` environment variable.
4. Build pip's environment: variables consumed as secrets are removed (build backends
   inherit pip's environment) unless `--keep-env` or a rule still needs them; lifted
   credentials become env-defined rules; git gets our credential helper through
   `GIT_CONFIG_*`; `PIP_KEYRING_PROVIDER=import` reaches the nested build-dependency pip.
5. Whatever secret pip would still pass to that nested pip's argv is kept out
   (build_deps.py), or pip-private refuses. A secret outside the userinfo of a URL is
   refused where pip records the URL, and elsewhere pip runs without its caches
   (recorded_urls.py).
6. Add `--keyring-provider import` (provider_choice.py), point every file pip writes at
   the masker (outputs.py), run pip through the masker, and return pip's exit code. pip
   runs in this interpreter when it is pip's own (inprocess.py: no second start-up), else
   as a child started by bootstrap.py (runner.py). Rendered files are gone afterwards
   whatever happened.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Callable, Optional

from keyring_backend.config.locations import LocationTrust
from keyring_backend.errors import ConfigError
from keyring_backend.printable import printable
from keyring_backend.records import record
from keyring_backend.rules import referenced_env_names
from keyring_backend.store import CredentialStore

from .build_deps import build_deps_args
from .interpreter import child_argv, final_python, plan_for
from .masking import Masker, secret_forms
from .memfiles import RenderedFiles
from .outputs import CONFIG_KEYS, MaskedOutputs, redirect_files
from .pip_config import config_values, is_isolated
from .pipargs import (
    GENERAL_FLAGS,
    GENERAL_VALUE,
    INCLUDES,
    READS_REQUIREMENTS,
    Arg,
    command_args,
    find_command,
    join_args,
    split_args,
)
from .provider_choice import NETWORK_COMMANDS, can_prompt, pip_prefix
from .recorded_urls import keep_out_of_caches
from .render import Renderer

#: Options that a requirements file may also hold, so a secret-bearing value moves there.
_MOVABLE = frozenset({"--index-url", "--extra-index-url", "--find-links", "--editable",
                      "--trusted-host"})
_SYNTHETIC_COMMANDS = frozenset({"install", "download", "wheel", "lock"})
GIT_RULE_PREFIX = "PRIVATE_PACKAGES_PIP_PRIVATE_GIT_"
URL_RULE_PREFIX = "PRIVATE_PACKAGES_PIP_PRIVATE_URL_"
#: `NO_PROXY` spelling of the loopback hosts: curl before 7.86 knows no CIDR ranges.
LOOPBACK_NO_PROXY = "localhost,127.0.0.1,127.0.0.0/8,::1"


@record
class Options:
    python: str
    keep_env: bool = False


def run_pip(options: Options, args: Sequence[str], *, cwd: Optional[Path] = None) -> int:
    """Render, run pip, return its exit code (our own errors raise PrivatePackagesError)."""
    cwd = cwd or Path.cwd()
    store = CredentialStore(os.environ, cwd)
    config = store.config
    from .config_warnings import warn_about

    warn_about(config)
    index = find_command(args)
    general = split_args(args[:index] if index >= 0 else args, GENERAL_VALUE, GENERAL_FLAGS, {})
    command = args[index] if index >= 0 else None
    rest = command_args(command, args[index + 1:]) if command else []
    pip_python = next((p.value for p in general + rest if p.name == "--python"), None)
    reexec = pip_python is not None or bool(os.environ.get("PIP_PYTHON"))
    from .private_dirs import sweep_orphans

    sweep_orphans(os.environ)  # rendered files of runs that were SIGKILLed
    python = final_python(options.python, pip_python, os.environ)
    plan = plan_for(python, args, command)
    isolated = is_isolated(args, os.environ)
    with _terminating_cleanly(), RenderedFiles(use_memfd=None if not reexec else False) as files:
        renderer = Renderer(os.environ, config.settings, files.add, cwd,
                            LocationTrust(os.environ), lift_urls=plan.lift)
        pip_env: dict[str, str] = {}
        synthetic = _render_arguments(renderer, command, general, rest, pip_env, files)
        env = _pip_environment(renderer, store, options.keep_env, cwd)
        env.update(pip_env)
        if renderer.fetched_secret is not None:  # pip's caches would keep it
            keep_out_of_caches(renderer.fetched_secret, general, rest, env, plan)
        if plan.provider:
            env["PIP_KEYRING_PROVIDER"] = "import"  # for the nested build-dependency pip
            if not can_prompt():  # a 401 in one line, not EOFError (provider_choice.py)
                env.setdefault("PIP_NO_INPUT", "1")
        _refuse_pip_expansion(renderer, env)
        extra = build_deps_args(renderer, synthetic, general + rest, pip_env, plan)
        masker_factory = _masker_factory(renderer, files)
        outputs = MaskedOutputs(masker_factory)
        try:
            redirect_files(outputs, general, rest, env, command, isolated=isolated,
                           config=config_values(env, pip_prefix(python), isolated, command
                                                or "", CONFIG_KEYS) if renderer.values else None)
            pip_args = [*join_args(general), *extra]
            if command is not None:
                pip_args += [command, *plan.provider, *join_args(rest)]
            # pip's requests: guard.py checks them (a pip that re-executes sends none)
            guard = command in NETWORK_COMMANDS and not reexec
            if not reexec and _here(options.python):
                from .inprocess import run_in_process

                return run_in_process(pip_args, env, masker_factory, guard=guard)
            argv = child_argv(options.python, pip_args, guard=guard)
            return _run(argv, env, [*files.fds, *outputs.fds], masker_factory)
        finally:
            outputs.finish()
            for problem in outputs.errors:  # a --log path may hold a substituted value
                masker = masker_factory()
                shown = masker.feed(problem.encode()) + masker.flush()
                print(f"pip-private: warning: {printable(shown.decode(errors='replace'))}",
                      file=sys.stderr)


def _render_arguments(renderer: Renderer, command: Optional[str], general: list[Arg],
                      rest: list[Arg], pip_env: dict[str, str], files: RenderedFiles) -> list[str]:
    """Render the files and values of pip's arguments (steps 2 and 3 of the module
    docstring); return the lines that left argv for a rendered file."""
    if command in READS_REQUIREMENTS:
        _render_includes(renderer, rest)
    synthetic = _render_values(renderer, general, pip_env, allow_file=False)
    synthetic += _render_values(renderer, rest, pip_env,
                                allow_file=command in _SYNTHETIC_COMMANDS)
    if "HTTPS_PROXY" in pip_env and any(p.name == "--no-proxy-env" for p in general + rest):
        raise ConfigError("--proxy holds a secret, which pip-private passes to pip as "
                          "HTTPS_PROXY, but --no-proxy-env tells pip to ignore that")
    if synthetic:
        path = files.add("command line", "\n".join(synthetic) + "\n")
        rest.insert(0, Arg(["-r", path], "--requirement", path))
    return synthetic


def _render_includes(renderer: Renderer, parts: list[Arg]) -> None:
    for part in parts:
        if part.name in INCLUDES and part.value is not None:
            where = f"command line {part.name} {part.value}"
            path = renderer.include(part.value, where=where)
            if renderer.is_rendered(path):
                part.value, part.changed = path, True


def _render_values(renderer: Renderer, parts: list[Arg], pip_env: dict[str, str], *,
                   allow_file: bool) -> list[str]:
    """Render references in argument values; return the lines that must leave argv."""
    moved: list[str] = []
    keep: list[Arg] = []
    for number, part in enumerate(parts, start=1):
        if part.value is None or "${" not in part.value or part.name in INCLUDES:
            keep.append(part)
            continue
        before = len(renderer.values)
        where = f"command line argument {number}"
        text = renderer.render_value(part.value, where, part.name)
        if len(renderer.values) == before:  # fallback text or `$${`: nothing secret
            part.value, part.changed = text, True
            keep.append(part)
        elif part.name is None and allow_file:
            moved.append(text)
        elif part.name in _MOVABLE and allow_file:
            moved.append(f"{part.name} {shlex.quote(text)}")
        elif part.name == "--proxy":
            _proxy_environment(text, pip_env)
        elif part.name is not None and part.name.startswith("--") and part.name != "--":
            variable = "PIP_" + part.name[2:].upper().replace("-", "_")
            if variable in os.environ or variable in pip_env:
                raise ConfigError(f"{where}: {part.name} holds a secret, which pip-private "
                                  f"passes to pip as {variable}, but {variable} is already "
                                  "set; use one of the two")
            pip_env[variable] = text
        else:
            raise ConfigError(f"{where}: a secret in this argument would show in pip's "
                              "process arguments; put it in a requirements file or a "
                              "credential rule instead")
    parts[:] = keep
    return moved


def _proxy_environment(text: str, pip_env: dict[str, str]) -> None:
    """A `--proxy` holding a secret: pip would pass `--proxy URL` to its nested pip, so it
    goes to the proxy variables requests reads instead, for pip and every pip it starts
    (without `--proxy` pip leaves requests' `trust_env` on). `NO_PROXY` lists the loopback
    hosts only: `--proxy` would ignore the user's, and a loopback rule's credential may
    travel over plain http only because it never leaves the machine (the guard keeps it
    from a proxy)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        pip_env[name] = text
    for name in ("NO_PROXY", "no_proxy"):
        pip_env[name] = LOOPBACK_NO_PROXY


def _pip_environment(renderer: Renderer, store: CredentialStore, keep_env: bool,
                     cwd: Path) -> dict[str, str]:
    env = dict(os.environ)
    if not keep_env:
        for name in renderer.env_names - referenced_env_names(store.config.rules.rules):
            env.pop(name, None)
    for number, credential in enumerate(renderer.git_credentials, start=1):
        # One env-defined rule per git URL that carried a credential.
        env.update(credential.rule_env(f"{GIT_RULE_PREFIX}{number}_",
                                       f"PIP_PRIVATE_GIT_{number}_"))
    for number, credential in enumerate(dict.fromkeys(renderer.url_credentials), start=1):
        # One per origin and credential: pip asks our backend for it (lifting.py).
        env.update(credential.rule_env(f"{URL_RULE_PREFIX}{number}_",
                                       f"PIP_PRIVATE_URL_{number}_"))
    from keyring_backend.git_credential import git_config_env

    # Lifted credentials add env rules, so only without them are the rules the same.
    lifted = renderer.git_credentials or renderer.url_credentials
    same = store if not lifted else None
    env.update(git_config_env(env, project_dir=cwd, store=same))
    return env


def _refuse_pip_expansion(renderer: Renderer, env: dict[str, str]) -> None:
    for where, name, in_value in renderer.pip_expandable:
        if not env.get(name):
            continue
        if in_value:  # the name is part of a secret: never quoted
            raise ConfigError(f"{where}: a substituted value holds ${{NAME}} text naming a "
                              "variable that is set, which pip would replace with that "
                              "variable's value (pip has no escape for it)")
        raise ConfigError(f"{where}: the rendered line holds ${{{name}}}, which pip "
                          f"would replace with the value of {name} itself (pip has no "
                          "escape for it); unset the variable for this run or rename it")


def _masker_factory(renderer: Renderer, files: RenderedFiles) -> Callable[[], Masker]:
    needles = sorted({form for value in renderer.values for form in secret_forms(value)},
                     key=len, reverse=True)
    # pip names rendered files by the path it was given; show the user's file name instead.
    replacements = {path.encode(): display.encode() for path, display in files.paths.items()}
    return lambda: Masker(needles, replacements)


def _here(python: str) -> bool:
    from .inprocess import can_run_here

    return can_run_here(python, os.environ)


def _run(argv: list[str], env: dict[str, str], pass_fds: list[int],
         masker_factory: Callable[[], Masker]) -> int:
    from .runner import run_masked

    try:
        return run_masked(argv, env=env, pass_fds=pass_fds, masker_factory=masker_factory,
                          die_with_us=True)
    except OSError as exc:  # the interpreter itself could not be started
        raise ConfigError(f"cannot run {argv[0]}: {exc.strerror}; check --python") from None


@contextmanager
def _terminating_cleanly() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP during rendering into SystemExit, so `finally` blocks (and the
    rendered files' cleanup) run; the runner takes over the signals while pip runs."""
    def stop(signum: int, frame: Optional[FrameType]) -> None:
        raise SystemExit(128 + signum)

    # An ignored signal stays ignored (nohup, `trap '' HUP`): the runner and inprocess.py
    # check for SIG_IGN too, and must still see it.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
