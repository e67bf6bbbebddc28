"""Load credential rules and settings from the four layers of DESIGN.md.

1. env-defined rules: `PRIVATE_PACKAGES_<NAME>_URL` (or `_SOURCE`), `_USERNAME`,
   `_PASSWORD`, `_ALLOW_HTTP`; values may be references (entries.py);
2. the project's `pyproject.toml` (the first safe one from the working directory upward,
   reading.py): `[[tool.private-packages.credentials]]` and `[tool.private-packages.vault]`;
3. the user file (`$PRIVATE_PACKAGES_CONFIG`, else `$XDG_CONFIG_HOME/private-packages/
   config.toml`, else `~/.config/private-packages/config.toml`): `[[credentials]]`,
   `[vault]`, `[commands.NAME]`; its rules bind a `url` only;
4. CI presets (presets.py).

Project content (content.py: the project's rules and vault table, and every rule bound by
`source = NAME` to a URL the project wrote) applies only in a trusted project (trust.py).
Otherwise it is *withheld*: `Config.rules` never holds it, so every client that asks a
`CredentialStore` is gated by construction; `Config.withheld` and `Config.trust` say what
and why, for one warning and for the inspection commands.

A layer or rule that cannot be read is reported in `Config.errors` and left out; the rest
still load, so one typo never takes every credential away (the backend and the CLIs warn).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from ..errors import ConfigError
from ..records import field, record
from ..rules import CredentialRule, Layer, RuleSet
from ..settings import Settings
from ..trust import Verdict, global_trust
from .content import ProjectContent
from .entries import env_rules, file_rules
from .reading import dig, find_project_file, read_toml, read_user_file, table, user_config_path
from .sources import Sources, named_sources, project_sources, source_prefix
from .tables import commands, parse_duration, vault_settings, vault_table

__all__ = ["Config", "Repositories", "find_project_file", "load_config", "load_project",
           "parse_duration", "project_sources", "source_prefix", "trust_hint",
           "user_config_path"]

#: repositories of the user's own poetry config a caller knows of: name -> url
Repositories = Mapping[str, str]


@record
class Config:
    rules: RuleSet  # the rules that may answer: never a withheld one
    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)  # source name -> url for binding
    project_file: Optional[Path] = None
    user_file: Optional[Path] = None
    trust: Optional[Verdict] = None  # None: the project has no content to judge
    content: Optional[ProjectContent] = None
    project_sources: dict[str, str] = field(default_factory=dict)  # as the project wrote them
    # Where the project's [tool.private-packages] or source text holds a character a
    # terminal acts on (printable.py): such content is never trusted by approval.
    hidden: Optional[str] = None

    @property
    def errors(self) -> list[ConfigError]:
        return self.rules.errors

    @property
    def untrusted(self) -> bool:
        return self.trust is not None and not self.trust.trusted

    @property
    def withheld(self) -> list[CredentialRule]:
        """The project content's rules left out because the project is not trusted."""
        return list(self.content.rules) if self.untrusted and self.content else []

    def untrusted_summary(self) -> Optional[str]:
        """For an untrusted project: the file and what it would send where (references,
        never values); None when nothing is withheld."""
        if not self.untrusted or self.trust is None or self.content is None:
            return None
        return (f"{self.project_file} is not trusted ({self.trust.reason}), so nothing it "
                f"configures is used: it would send {self.content.summary()}")

    def untrusted_notice(self) -> Optional[str]:
        """`untrusted_summary` and how to trust the project: the one warning line."""
        summary = self.untrusted_summary()
        if summary is None or self.trust is None:
            return None
        return f"{summary}. {trust_hint(self.trust.directory)}"


def trust_hint(directory: Path) -> str:
    """How to trust `directory`, for the end of a message."""
    return (f"If you trust it, run `pip-private trust {directory}` (in a poetry project: "
            "`poetry source trust`)")


def load_config(env: Mapping[str, str], cwd: Path,
                repositories: Repositories = {}) -> Config:  # noqa: B006
    """The configuration for a process working in `cwd`."""
    any_owner = global_trust(env) is not None
    return load_project(env, find_project_file(cwd, any_owner=any_owner), repositories)


def load_project(env: Mapping[str, str], project_file: Optional[Path],
                 repositories: Repositories = {},  # noqa: B006
                 written: Optional[bytes] = None) -> Config:
    """The configuration with `project_file` as the project's file (None: no project);
    `written`: that file's bytes as a command just wrote them (approval.py)."""
    errors: list[ConfigError] = []
    project = read_toml(project_file, errors, written) if project_file else {}
    tool = table(dig(project, "tool", "private-packages"), "[tool.private-packages]",
                 project_file, errors)
    user_path, user, user_exists = _user_layer(env, errors)
    if "commands" in tool:
        errors.append(ConfigError(
            f"{project_file}: [tool.private-packages.commands] is ignored: commands are only "
            "read from your user config file, so a cloned project cannot run one"))

    sources = named_sources(project, env, project_file.parent if project_file else None,
                            repositories)
    urls = sources.urls
    from_env = env_rules(env, urls, errors)
    from_project = [] if project_file is None else file_rules(
        tool.get("credentials", []), Layer.PROJECT, project_file,
        "tool.private-packages.credentials", urls, errors)
    from_user = [] if user_path is None else file_rules(
        user.get("credentials", []), Layer.USER, user_path, "credentials", urls, errors)
    from ..presets import preset_rules

    presets = preset_rules(env)
    project_vault = vault_table(tool.get("vault", {}), f"{project_file} "
                                "[tool.private-packages.vault]", errors)
    user_vault = vault_table(user.get("vault", {}), f"{user_path} [vault]", errors)

    hidden = _hidden(tool, sources) if project_file else None
    content, verdict = _judge(env, project_file, sources, from_env + from_project,
                              project_vault, hidden, errors)
    if verdict is not None and not verdict.trusted:
        withheld = {id(rule) for rule in content.rules} if content else set()
        rules = [r for r in from_env + from_project if id(r) not in withheld]
        project_vault = {}
    else:
        rules = from_env + from_project
    rules += from_user + presets
    settings = Settings(vault_settings(user_vault, project_vault),
                        commands(user.get("commands", {}), user_path, errors))
    return Config(RuleSet(rules, errors), settings, urls, project_file,
                  user_path if user_exists else None, verdict, content, sources.project,
                  hidden)


def _user_layer(env: Mapping[str, str], errors: list[ConfigError],
                ) -> tuple[Optional[Path], dict[str, Any], bool]:
    """The user file's path, its tables and whether it exists; no path when there is no
    absolute place for it (reading.py `user_config_path`)."""
    try:
        path = user_config_path(env)
    except ConfigError as exc:
        errors.append(exc)
        return None, {}, False
    return (path, *read_user_file(path, env, errors))


def _hidden(tool: Any, sources: Sources) -> Optional[str]:
    """Where the project's `[tool.private-packages]` table (unknown keys too) or the names
    and URLs of its sources hold a character a terminal acts on, or None."""
    from ..printable import first_unprintable

    found = first_unprintable(tool, "tool.private-packages")
    for name, url in sources.project.items():
        found = found or first_unprintable(name, "the name of a source") or \
            first_unprintable(url, f"the URL of source {name}")
    return found


def _judge(env: Mapping[str, str], project_file: Optional[Path], sources: Sources,
           rules: list[CredentialRule], vault: dict[str, Any], hidden: Optional[str],
           errors: list[ConfigError]) -> tuple[Optional[ProjectContent], Optional[Verdict]]:
    """The project's content and the verdict on it; (None, None) when it has none (then
    the trust state is never read). Content with `hidden` text is trusted only by the
    environment: no approval covers what the question may not have shown."""
    if project_file is None:
        return None, None
    mine = tuple(rule for rule in rules if rule.layer is Layer.PROJECT or (
        rule.source is not None and sources.chosen_by_project(rule.source)))
    written = tuple(source_prefix(sources.project[rule.source])
                    if rule.source in sources.project else rule.url for rule in mine)
    content = ProjectContent(project_file.parent.resolve(), mine, written, vault)
    if not content:
        return None, None
    if hidden is not None and global_trust(env) is None:
        return content, Verdict(False, f"{hidden}, a character that redraws or hides text "
                                "on a terminal, which no approval covers", content.directory,
                                content.digest())
    from ..trust import TrustStateError, verdict

    try:
        return content, verdict(env, content.directory, content.digest())
    except TrustStateError as exc:
        errors.append(exc)
        return content, Verdict(False, "the trust state cannot be read", content.directory,
                                content.digest())
