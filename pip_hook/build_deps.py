"""Keep secrets out of the `pip install` pip runs for build dependencies (issue 12).

For build isolation pip starts a second pip (`SubprocessBuildEnvironmentInstaller`) and
hands it, in its argv, every index URL (`-i`, `--extra-index-url`), find-links URL,
trusted host, `--cert`, `--client-cert` and `--proxy` it was given; any local user can
read a process's argv. pip-private lifts URL credentials out of those values (lifting.py)
and passes a secret `--proxy` through the environment (run.py), so usually nothing secret
is left there. When something is -- the interpreter cannot ask our backend (then nothing
is lifted), or the secret sits elsewhere in the URL (`https://host/TOKEN/simple/`) -- pip
runs with `--use-feature inprocess-build-deps` where it has that (pip >= 25.2: no second
pip at all), and otherwise pip-private refuses with one line, unless build isolation is
off (`--no-build-isolation`).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping

from keyring_backend.errors import ConfigError
from keyring_backend.secret import secret_forms

from .interpreter import Plan, supports_inprocess_build_deps
from .pipargs import Arg, break_args_options, reqfile_args
from .render import Renderer

#: Options pip passes on to its nested `pip install`, and their `PIP_*` variables.
FORWARDED = frozenset({"--index-url", "--extra-index-url", "--find-links", "--trusted-host",
                       "--cert", "--client-cert", "--proxy"})
FEATURE = "inprocess-build-deps"


def build_deps_args(renderer: Renderer, synthetic: list[str], parts: list[Arg],
                    pip_env: Mapping[str, str], plan: Plan) -> list[str]:
    """pip arguments that keep every rendered secret out of the nested pip's argv."""
    if plan.interpreter is None:
        return []
    lines = [line for f in renderer.files for line in f.text.splitlines()] + synthetic
    found = forwarded_secrets(lines, parts, pip_env, renderer.values)
    isolation = not any(p.name == "--no-build-isolation" for p in parts)
    if not found or not isolation:
        return []
    return keep_out_of_argv(found, feature=supports_inprocess_build_deps(plan.interpreter),
                            python=plan.interpreter.python)


def forwarded_secrets(lines: Iterable[str], args: Iterable[Arg], pip_env: Mapping[str, str],
                      values: Iterable[str]) -> list[str]:
    """The forwarded options (e.g. `--index-url`) whose value holds a substituted secret,
    among requirements-file `lines`, pip's `args` and the `pip_env` pip-private sets."""
    needles = {form.decode() for value in values for form in secret_forms(value)}
    if not needles:
        return []
    found: list[str] = []

    def check(name: str, value: str) -> None:
        if name not in found and any(needle in value for needle in needles):
            found.append(name)

    for line in lines:
        _, options = break_args_options(line)
        if not options:
            continue
        try:
            parts = reqfile_args(shlex.split(options))
        except ValueError:
            continue  # pip reports the broken line itself
        for part in parts:
            if part.name in FORWARDED and part.value is not None:
                check(part.name, part.value)
    for part in args:
        if part.name in FORWARDED and part.value is not None:
            check(part.name, part.value)
    for option in sorted(FORWARDED):
        variable = "PIP_" + option[2:].upper().replace("-", "_")
        if variable in pip_env:
            check(option, pip_env[variable])
    return found


def keep_out_of_argv(found: list[str], *, feature: bool, python: str) -> list[str]:
    """The pip arguments that keep `found` secrets out of a nested pip's argv (module
    docstring); raises ConfigError when nothing can."""
    if feature:
        return ["--use-feature", FEATURE]
    raise ConfigError(
        f"a secret in {', '.join(found)} would show in the process arguments of the `pip "
        "install` pip runs for build dependencies, and this pip cannot install them in its "
        f"own process; install private-packages into {python} (pip then asks it for the "
        f"credential), upgrade pip there (--use-feature={FEATURE}), put the credential in "
        "a rule, or pass --no-build-isolation")
