"""`private-packages run [--print-env] [--] CMD [ARGS...]` (DESIGN.md "private-packages run").

1. Load the rules once (trust applies: an untrusted project's rules are withheld by the
   core, and one line says how to trust it; the command still runs).
2. Work out the tool (tools.py) and plan the variables it reads (PLANNERS), plus git's
   credential helper through `GIT_CONFIG_*` for every command.
3. `--print-env`: print the plan, values as `****`, and run nothing (no secret is read).
   Otherwise run the command with them, its stdout and stderr through pip-private's masker
   (pty and colours kept), and return its exit code; signals pass through (runner.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Callable, TextIO

from keyring_backend.errors import EXIT_CONFIG, ConfigError, PrivatePackagesError
from keyring_backend.printable import printable
from keyring_backend.secret import MASK, secret_forms
from keyring_backend.store import CredentialStore

from ..config_warnings import warn_about
from .plan import Plan
from .tools import identify

USAGE = """\
usage: private-packages run [--print-env] [--] COMMAND [ARGS...]

Runs COMMAND with the credentials it will need, in the form that tool reads them (uv,
poetry, hatch, pdm, twine, and every pip and git underneath), for that process tree only;
its output is masked. --print-env shows what would be set, values as ****, and runs nothing.
"""
#: An exit code of our own: the command could not be started (as env(1) and shells do).
EXIT_NOT_FOUND, EXIT_NOT_EXECUTABLE = 127, 126


def run_command(args: Sequence[str], out: TextIO, err: TextIO) -> int:
    words = list(args)
    print_env = False
    while words and words[0].startswith("-"):
        word = words.pop(0)
        if word == "--":
            break
        if word in ("-h", "--help"):
            out.write(USAGE)
            return 0
        if word != "--print-env":
            raise ConfigError(f"run: unknown option {word} (options go before the command; "
                              "use -- before a command that starts with -)")
        print_env = True
    if not words:
        err.write(USAGE)
        return EXIT_CONFIG
    cwd = Path.cwd()
    store = CredentialStore(os.environ, cwd)
    # A broken layer is one warning and left out, an untrusted project's rules one line
    # saying how to trust it: the command still runs with what remains (DESIGN.md).
    warn_about(store.config, err, prog="private-packages")
    plan = Plan(store, os.environ, cwd, identify(words), words, resolve=not print_env)
    PLANNERS.get(_key(plan), _generic)(plan)
    _git(plan)
    for warning in plan.warnings:  # they name the project's sources: printable
        err.write(f"private-packages: warning: {printable(warning)}\n")
    if print_env:
        write_plan(plan, words, out)
        return 0
    return _run(plan, err)


def write_plan(plan: Plan, words: Sequence[str], out: TextIO) -> None:
    """The variables (credentials as ****), each group under the reason it is there."""
    out.write(f"# private-packages run would set, for: {' '.join(words[:3])}"
              f"{' ...' if len(words) > 3 else ''}\n")
    if plan.argv != list(words):
        out.write(f"# and run: {' '.join(plan.argv)}\n")
    if not plan.variables:
        out.write("# nothing: no rule covers what this command uses\n")
    why = None
    for variable in plan.variables.values():
        if variable.why != why:
            why = variable.why
            out.write(f"# {printable(why)}\n")  # it names the project's sources and URLs
        shown = MASK if variable.secret else variable.value
        out.write(f"{printable(variable.name)}={printable(shown)}\n")


def _key(plan: Plan) -> str:
    inv = plan.invocation
    if inv.tool in ("hatch", "pdm") and inv.subcommand == "publish":
        return f"{inv.tool} publish"
    return inv.tool


def _generic(plan: Plan) -> None:
    from .underneath import plan_underneath

    plan_underneath(plan)


def _uv(plan: Plan) -> None:
    from .uv import plan_uv

    plan_uv(plan)


def _poetry(plan: Plan) -> None:
    from .poetry import plan_poetry

    plan_poetry(plan)


def _twine(plan: Plan) -> None:
    from .publish import plan_twine

    plan_twine(plan)


def _hatch(plan: Plan) -> None:
    from .uv import plan_uv_indexes

    _generic(plan)
    plan_uv_indexes(plan)  # hatch's uv installer reads the project's [[tool.uv.index]]


def _hatch_publish(plan: Plan) -> None:
    from .publish import plan_hatch_publish

    plan_hatch_publish(plan)


def _pdm_publish(plan: Plan) -> None:
    from .publish import plan_pdm_publish

    plan_pdm_publish(plan)


PLANNERS: dict[str, Callable[[Plan], None]] = {
    "uv": _uv, "uvx": _uv, "poetry": _poetry, "twine": _twine, "hatch": _hatch,
    "hatch publish": _hatch_publish, "pdm publish": _pdm_publish,
}


def _git(plan: Plan) -> None:
    from keyring_backend.git_credential import git_config_env

    for name, value in git_config_env(plan.environment(), project_dir=plan.cwd,
                                      store=plan.store).items():
        plan.set(name, value, "git asks git-credential-private-packages for the hosts "
                 "rules bind", replace=True)


def _run(plan: Plan, err: TextIO) -> int:
    from pip_hook.masking import Masker
    from pip_hook.runner import run_masked

    needles = sorted({form for username, password, secret_username in _secrets(plan)
                      for form in [*secret_forms(password, username),
                                   *(secret_forms(username) if secret_username else [])]},
                     key=len, reverse=True)
    try:
        # die_with_us: killed with SIGKILL, we could no longer mask what it prints.
        return run_masked(plan.argv, env=plan.environment(),
                          masker_factory=lambda: Masker(needles), die_with_us=True)
    except OSError as exc:
        err.write(f"private-packages: cannot run {plan.argv[0]}: {exc.strerror}\n")
        return EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE


def _secrets(plan: Plan) -> list[tuple[str, str, bool]]:
    """(username, password, whether the username is a secret too) of what `run` resolved,
    and of every rule that reads only the environment (cheap to read here; a process
    underneath may resolve it itself). A username from a reference is a secret: Gemfury
    takes the token as the username, which `twine upload --verbose` prints."""
    credentials = list(plan.credentials)
    for rule in plan.store.config.rules.rules:
        if all(kind == "env" for kind in _kinds(rule.password)):  # a literal too
            try:
                credentials.append(plan.store.resolve(rule))
            except PrivatePackagesError:  # missing or malformed: the command may not need it
                continue
    return [(c.username, c.password.reveal(), bool(_kinds(c.rule.username)))
            for c in credentials]


def _kinds(text: str) -> list[str]:
    from keyring_backend.references import parse_template

    try:
        return [ref.kind for ref in parse_template(text, "").references]
    except PrivatePackagesError:
        return ["?"]
