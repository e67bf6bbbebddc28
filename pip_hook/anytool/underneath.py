"""The generic treatment: every pip underneath the command asks the keyring backend.

pip asks keyring only after a 401, and its default `auto` provider skips keyring under
`--no-input` (pipenv always passes it). So `run` chooses a provider for it (unless the user
did) and makes the backend reachable from whatever venv that pip lives in:

- `PIP_KEYRING_PROVIDER=import`, with `pythonpath/keyring` first on PYTHONPATH: it serves
  keyring and the backend from this interpreter when the venv lacks them (its docstring
  says how, and why nothing of the venv's own is shadowed). pip releases older than the
  variable import keyring anyway, so a venv's bundled pip works too. The backend in each
  pip reads the rules itself, lazily: only what pip asks for is ever resolved.
- tox starts pip as `python -I`, which ignores PYTHONPATH: there `PIP_KEYRING_PROVIDER=
  subprocess` and `bin/` first on PATH, whose `keyring` answers from the rules
  (keyring_cli.py). tox passes its environments only the variables `pass_env` names:
  `TOX_OVERRIDE` appends ours and those the rules read to `testenv.pass_env`, so an
  unchanged tox.ini works.
- pipenv reads `PIPENV_KEYRING_PROVIDER` for the pip it runs in-process.
"""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from pathlib import Path

from keyring_backend.rules import referenced_env_names

from .plan import Plan

HERE = Path(__file__).resolve().parent
STAND_IN = str(HERE / "pythonpath")
RUN_PATH = "PRIVATE_PACKAGES_RUN_PATH"
RUN_PYTHON = "PRIVATE_PACKAGES_RUN_PYTHON"
#: What the backend reads besides the rules' own references (where rules and trust live,
#: CI presets); tox passes the patterns only, and only the variables that are set.
_BACKEND_READS = ("PRIVATE_PACKAGES_*", "VAULT_*", "GIT_CONFIG_*", "XDG_CONFIG_HOME",
                  "XDG_STATE_HOME", "CI", "GITLAB_CI", "CI_SERVER_*", "GITHUB_ACTIONS",
                  "GITHUB_SERVER_URL", "TF_BUILD", "SYSTEM_COLLECTIONURI",
                  "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "BITBUCKET_BUILD_NUMBER")


def plan_underneath(plan: Plan) -> None:
    from pip_hook.provider_choice import user_chose_provider

    tox = plan.invocation.tool == "tox"
    if not user_chose_provider([], plan.env, "install", Path(sys.prefix)):
        provider = "subprocess" if tox else "import"
        plan.set("PIP_KEYRING_PROVIDER", provider, "every pip underneath asks the keyring "
                 "backend, --no-input too")
        if plan.invocation.tool == "pipenv":
            plan.set("PIPENV_KEYRING_PROVIDER", provider, "pipenv's own pip asks it too")
    if tox:
        path = plan.env.get("PATH")
        plan.set("PATH", str(HERE / "bin") + (os.pathsep + path if path else ""),
                 "a `keyring` first on PATH that answers from the rules", replace=True)
        plan.set(RUN_PYTHON, sys.executable, "the interpreter it runs in", replace=True)
        _tox_pass_env(plan)
        return
    existing = plan.env.get("PYTHONPATH")
    plan.set("PYTHONPATH", STAND_IN + (os.pathsep + existing if existing else ""),
             "keyring and the backend importable in any venv, never shadowing its own",
             replace=True)
    plan.set(RUN_PATH, os.pathsep.join(importable_dirs()),
             "where the stand-in finds them", replace=True)


def importable_dirs() -> list[str]:
    """The folders this interpreter imports keyring and the backend from (found, not
    imported); their requirements are installed beside them."""
    dirs: dict[str, None] = {}
    for name in ("keyring", "keyring_backend"):
        spec = find_spec(name)
        if spec is not None and spec.origin:
            dirs[os.path.dirname(os.path.dirname(spec.origin))] = None
    return list(dirs)


def _tox_pass_env(plan: Plan) -> None:
    referenced = referenced_env_names(plan.store.config.rules.rules)
    names = dict.fromkeys(sorted(n for n in referenced if n in plan.env))
    for pattern in _BACKEND_READS:
        stem = pattern.rstrip("*")
        if any(key == pattern or (pattern.endswith("*") and key.startswith(stem))
               for key in plan.environment()):
            names[pattern] = None
    overrides = [f"testenv.pass_env+={name}" for name in names]
    existing = plan.env.get("TOX_OVERRIDE")
    plan.set("TOX_OVERRIDE", ";".join([*([existing] if existing else []), *overrides]),
             "tox passes these to its environments (testenv.pass_env+=...)", replace=True)
