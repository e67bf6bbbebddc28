"""Credentials for the publishing tools, in their own variables, when the URL they upload
to is covered by a rule:

- twine upload: `--repository-url` / `TWINE_REPOSITORY_URL`, else `-r NAME` /
  `TWINE_REPOSITORY` looked up in `.pypirc`, else PyPI -> `TWINE_USERNAME`, `TWINE_PASSWORD`;
- hatch publish: `-r` / `HATCH_INDEX_REPO`, a URL, `main`, `test` or a
  `[publish.index.repos.NAME]` of hatch's config -> `HATCH_INDEX_USER`, `HATCH_INDEX_AUTH`;
- pdm publish: `-r` / `PDM_PUBLISH_REPO`, a URL, `pypi`, `testpypi` or a `[repository.NAME]`
  of pdm.toml or pdm's config -> `PDM_PUBLISH_USERNAME`, `PDM_PUBLISH_PASSWORD`.

A username or password the user gave (option or variable) means they chose: nothing is
set. hatch asks a keyring only for the password, with the username it already has, so
without `HATCH_INDEX_USER` it stops with "Missing required option: user".
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .files import config_home, dig, ini_value, read_toml
from .plan import Plan
from .uv import PYPI_UPLOAD

_TEST_PYPI = "https://test.pypi.org/legacy/"


def plan_twine(plan: Plan) -> None:
    inv = plan.invocation
    name = _repository(plan, ("-u", "--username", "-p", "--password"),
                       ("TWINE_USERNAME", "TWINE_PASSWORD"), ("-r", "--repository"),
                       "TWINE_REPOSITORY", "pypi")
    if inv.subcommand not in ("upload", "register") or name is None:
        return
    url = next(iter(inv.option("--repository-url")), None) or plan.env.get(
        "TWINE_REPOSITORY_URL")
    if not url:
        config = next(iter(inv.option("--config-file")), None)
        pypirc = Path(config) if config else Path(plan.env.get("HOME") or Path.home(),
                                                    ".pypirc")
        url = ini_value(plan.cwd / pypirc, name, "repository") or {
            "pypi": PYPI_UPLOAD, "testpypi": _TEST_PYPI}.get(name)
    _publish(plan, url, "TWINE_USERNAME", "TWINE_PASSWORD", "twine upload")


def plan_hatch_publish(plan: Plan) -> None:
    repo = _repository(plan, ("-u", "--user", "-a", "--auth"),
                       ("HATCH_INDEX_USER", "HATCH_INDEX_AUTH"), ("-r", "--repo"),
                       "HATCH_INDEX_REPO", "main")
    if repo is None:
        return
    url: Optional[str] = repo if "://" in repo else {
        "main": PYPI_UPLOAD, "test": _TEST_PYPI}.get(repo)
    if "://" not in repo:
        config = plan.env.get("HATCH_CONFIG")
        table = dig(read_toml(Path(config) if config else
                              config_home(plan.env) / "hatch" / "config.toml"),
                    "publish", "index", "repos", repo)
        url = table.get("url") if isinstance(table.get("url"), str) else url
    _publish(plan, url, "HATCH_INDEX_USER", "HATCH_INDEX_AUTH", "hatch publish")


def plan_pdm_publish(plan: Plan) -> None:
    repo = _repository(plan, ("-u", "--username", "-P", "--password"),
                       ("PDM_PUBLISH_USERNAME", "PDM_PUBLISH_PASSWORD"), ("-r", "--repository"),
                       "PDM_PUBLISH_REPO", "pypi")
    if repo is None:
        return
    url: Optional[str] = repo if "://" in repo else None
    if url is None:
        project = plan.store.config.project_file
        for path in ([project.parent / "pdm.toml"] if project else []) + [
                config_home(plan.env) / "pdm" / "config.toml"]:
            found = dig(read_toml(path), "repository", repo).get("url")
            if isinstance(found, str):
                url = found
                break
        else:
            url = {"pypi": PYPI_UPLOAD, "testpypi": _TEST_PYPI}.get(repo)
    _publish(plan, url, "PDM_PUBLISH_USERNAME", "PDM_PUBLISH_PASSWORD", "pdm publish")


def _repository(plan: Plan, credential_options: tuple[str, ...],
                credential_variables: tuple[str, ...], repository_options: tuple[str, ...],
                repository_variable: str, default: str) -> Optional[str]:
    """The repository (a name or a URL) the tool publishes to, or None when the user gave
    a username or password themselves (their choice: nothing is set)."""
    inv = plan.invocation
    if inv.option(*credential_options) or plan.user_set(*credential_variables):
        return None
    return next(iter(inv.option(*repository_options)), None) or plan.env.get(
        repository_variable) or default


def _publish(plan: Plan, url: Optional[str], username_var: str, password_var: str,
             what: str) -> None:
    rule = plan.rule_for(url) if url else None
    if url and rule is not None:
        plan.set_credential(username_var, password_var, rule, f"{what} to {url}")
