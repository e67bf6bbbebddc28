"""Credentials for the publishing tools, in their own variables, when the URL they upload
to is covered by a rule:

- twine upload: `--repository-url` / `TWINE_REPOSITORY_URL`, else `-r NAME` /
  `TWINE_REPOSITORY` looked up in `.pypirc`, else PyPI -> `TWINE_USERNAME`, `TWINE_PASSWORD`;
- hatch publish: `-r` / `HATCH_INDEX_REPO` / `[publish.index] repo`, a URL, `main`, `test`
  or a `[publish.index.repos.NAME]` of hatch's config (`--config` / `HATCH_CONFIG`) ->
  `HATCH_INDEX_USER`, `HATCH_INDEX_AUTH`;
- pdm publish: `-r` / `PDM_PUBLISH_REPO`, a URL, `pypi`, `testpypi` or a `[repository.NAME]`
  of the project's pdm.toml (`-p` / `PDM_PROJECT`) or pdm's config (`-c` /
  `PDM_CONFIG_FILE`) -> `PDM_PUBLISH_USERNAME`, `PDM_PUBLISH_PASSWORD`.

Abbreviated options (`--repository-ur`, which twine's and pdm's argparse accept) are
spelt out by tools.py before any of this reads them.

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
                       "HATCH_INDEX_REPO", "")
    if repo is None:
        return
    config = next(iter(plan.invocation.leading_option("--config")), None) or plan.env.get(
        "HATCH_CONFIG")
    index = dig(read_toml(plan.cwd / config if config else
                          config_home(plan.env) / "hatch" / "config.toml"),
                "publish", "index")
    repo = repo or (index["repo"] if isinstance(index.get("repo"), str) else "main")
    # hatch's IndexPublisher.get_repos: a repository is a URL or a table with one; `main`
    # and `test` are always PyPI's; any other name hatch does not know is itself the URL.
    table = dig(index, "repos").get(repo)
    if isinstance(table, dict):
        table = table.get("url")
    url = {"main": PYPI_UPLOAD, "test": _TEST_PYPI}.get(
        repo, table if isinstance(table, str) else repo)
    _publish(plan, url if "://" in url else None, "HATCH_INDEX_USER", "HATCH_INDEX_AUTH",
             "hatch publish")


def plan_pdm_publish(plan: Plan) -> None:
    inv = plan.invocation
    repo = _repository(plan, ("-u", "--username", "-P", "--password"),
                       ("PDM_PUBLISH_USERNAME", "PDM_PUBLISH_PASSWORD"), ("-r", "--repository"),
                       "PDM_PUBLISH_REPO", "pypi")
    if repo is None:
        return
    if "://" in repo:
        _publish(plan, repo, "PDM_PUBLISH_USERNAME", "PDM_PUBLISH_PASSWORD", "pdm publish")
        return
    # pdm's project: `-p` / PDM_PROJECT, else the nearest pyproject.toml upward; its
    # pdm.toml is read over the global config (`-c` before the command, PDM_CONFIG_FILE).
    project = next(iter(inv.option("-p", "--project")), None) or plan.env.get("PDM_PROJECT")
    roots = [plan.cwd / project] if project else [
        d for d in (plan.cwd, *plan.cwd.parents) if (d / "pyproject.toml").exists()][:1]
    config = next(iter(inv.leading_option("-c", "--config")), None) or plan.env.get(
        "PDM_CONFIG_FILE")
    files = [root / "pdm.toml" for root in roots] + [
        plan.cwd / config if config else config_home(plan.env) / "pdm" / "config.toml"]
    urls = [url for url in (dig(read_toml(path), "repository", repo).get("url")
                            for path in files) if isinstance(url, str)]
    # the project's differs from yours
    if len({plan.rule_for(url, "pdm publish") for url in urls}) > 1:
        plan.warnings.append(f"pdm repository {repo} has URLs under different credential "
                             "rules; not setting PDM_PUBLISH_* (rename one)")
        return
    url = urls[0] if urls else {"pypi": PYPI_UPLOAD, "testpypi": _TEST_PYPI}.get(repo)
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
    rule = plan.rule_for(url, what) if url else None
    if url and rule is not None:
        plan.set_credential(username_var, password_var, rule, f"{what} to {url}")
