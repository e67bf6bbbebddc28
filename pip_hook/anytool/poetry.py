"""Credentials for poetry without the plugin: `POETRY_HTTP_BASIC_<NAME>_USERNAME` /
`_PASSWORD` for each source (and, for `poetry publish`, the repository) a rule covers.

Poetry builds the variable name from the config key `http-basic.<name>.username`
(poetry/config/config.py `Config.get`): `POETRY_` + the key's parts upper-cased, `-` -> `_`,
joined by `_`. Poetry 2.2 and later keep a source name's dots inside one part
(`POETRY_HTTP_BASIC_ACME.INTERNAL_USERNAME`); older ones split the key on every dot
(`..._ACME_INTERNAL_...`). Both spellings are set, and since `acme-internal`, `acme_internal`
and (old poetry) `acme.internal` then share a variable, a spelling is filled only when
every source that reads it is covered by the same rule.

Which sources and repositories: those poetry itself reads (`_sources`), from the project
`-C` / `-P` point at; a source or repository the project defines (pyproject.toml or its
poetry.toml) competes for a name like any other, so the user's `corp` is not filled when
the project's `corp` points elsewhere.

Only the commands that talk to an index get anything: `poetry export --with-credentials`
would write an injected password into requirements.txt (the poetry plugin writes the
reference instead), and export needs no credential.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from keyring_backend.rules import CredentialRule

from .files import config_home, dig, read_toml, tables
from .plan import Plan
from .uv import PYPI_UPLOAD

_NETWORK = frozenset({"install", "sync", "lock", "add", "remove", "update", "show", "search",
                      "debug", "publish", "self"})


def spellings(name: str) -> list[str]:
    """The variable stems poetry versions read for source `name` (`POETRY_HTTP_BASIC_X`)."""
    new = "POETRY_HTTP_BASIC_" + name.upper().replace("-", "_")
    old = "POETRY_HTTP_BASIC_" + "_".join(k.upper().replace("-", "_") for k in name.split("."))
    return list(dict.fromkeys([new, old]))


def plan_poetry(plan: Plan) -> None:
    inv = plan.invocation
    if inv.subcommand not in _NETWORK:
        return
    sources = _sources(plan)
    if sources is None:
        plan.warnings.append("poetry's -C or -P may stand inside a cluster of short options "
                             "here, and run cannot tell its project; not setting "
                             "POETRY_HTTP_BASIC_<NAME>_* (write it as its own word)")
        return
    if inv.subcommand == "publish":
        sources = [source for source in sources if source[0] == _publish_repository(plan)]
        if inv.option("-u", "--username", "-p", "--password"):
            return
    claims: dict[str, list[tuple[str, str, Optional[CredentialRule]]]] = {}
    for name, url in sources:
        rule = plan.rule_for(url, f"poetry source '{name}'")
        for stem in spellings(name):
            claims.setdefault(stem, []).append((name, url, rule))
    for stem, entries in claims.items():
        rule = plan.sole_rule([(name, rule) for name, _, rule in entries], "poetry sources",
                              f"{stem}_*", "one source")
        if rule is None:
            continue
        name, url, _ = entries[0]
        if not plan.user_set(f"POETRY_PYPI_TOKEN_{name.upper()}"):
            plan.set_credential(f"{stem}_USERNAME", f"{stem}_PASSWORD", rule,
                                f"poetry source '{name}' ({url})")


def _sources(plan: Plan) -> Optional[list[tuple[str, str]]]:
    """(name, url) of every source and repository poetry may read, as poetry finds them:
    the pyproject.toml from the project directory upward (poetry's `Factory.locate`), its
    `[[tool.poetry.source]]`, the repositories of the poetry.toml beside it (the project's
    own config, over the user's), of the user's config.toml and of
    `POETRY_REPOSITORIES_*`. None when a short-option cluster may hide `-C` or `-P`."""
    found: list[tuple[str, str]] = []
    project = _project_directory(plan)
    if project is None:
        return None
    # The path as written (`a/../b`) and as resolved: one of them is what poetry reads.
    pyprojects = dict.fromkeys(
        pyproject for start in (Path(os.path.abspath(project)), project.resolve())
        for pyproject in [next((d / "pyproject.toml" for d in (start, *start.parents)
                                if (d / "pyproject.toml").exists()), None)] if pyproject)
    for pyproject in pyprojects:
        for entry in tables(dig(read_toml(pyproject), "tool", "poetry", "source")):
            if isinstance(entry.get("name"), str) and isinstance(entry.get("url"), str):
                found.append((entry["name"], entry["url"]))
    directory = plan.env.get("POETRY_CONFIG_DIR")
    user = (config_home(plan.env) / "pypoetry" if not directory
            else plan.cwd / directory) / "config.toml"
    for config in [*(p.parent / "poetry.toml" for p in pyprojects), user]:
        for name, table in dig(read_toml(config), "repositories").items():
            if isinstance(table, dict) and isinstance(table.get("url"), str):
                found.append((name, table["url"]))
    for key, value in plan.env.items():  # as poetry's Config._get_environment_repositories
        if key.startswith("POETRY_REPOSITORIES_") and key.endswith("_URL") and value:
            found.append((key[len("POETRY_REPOSITORIES_"):-4].lower().replace("_", "-"), value))
    if plan.invocation.subcommand == "publish":
        found.append(("pypi", PYPI_UPLOAD))
    return found


def _project_directory(plan: Plan) -> Optional[Path]:
    """Where poetry looks for the project: `-C/--directory` moves it, `-P/--project` names
    it from there (poetry's Application). None when `-vC DIR`-like clusters (cleo reads a
    value-taking short option inside one) may hold either."""
    inv = plan.invocation
    if any(len(word) > 2 and word[0] == "-" and word[1] != "-" and
           ("C" in word[2:] or "P" in word[2:]) and word[1] not in "CP"
           for word in inv.args[:inv.args.index("--") if "--" in inv.args else None]):
        return None
    working = plan.cwd / next(iter(inv.option("-C", "--directory")[-1:]), ".")
    return working / next(iter(inv.option("-P", "--project")[-1:]), ".")


def _publish_repository(plan: Plan) -> str:
    return next(iter(plan.invocation.option("-r", "--repository")), "pypi")
