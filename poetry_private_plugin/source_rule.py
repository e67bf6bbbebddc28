"""`poetry source auth` minus cleo: check what is about to be written, then write the rule
(and, with `--preset`, the source and a `[commands.NAME]` table) through `RuleFile`, and
how what was written may be printed (references as written, never a secret).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from keyring_backend.config import source_prefix
from keyring_backend.errors import ConfigError, PrivatePackagesError
from keyring_backend.references import Reference, Template, parse_template
from keyring_backend.rules import COLON_IN_USERNAME, DEFAULT_USERNAME, username_has_colon
from keyring_backend.urls import parse_location

from .rule_file import RuleFile, RuleFileError

if TYPE_CHECKING:
    from keyring_backend.registry_presets import RegistryPreset


class UnknownSource(RuleFileError):
    """The named source is in neither [[tool.poetry.source]] nor [[tool.uv.index]]."""


class LiteralSecretRefused(RuleFileError):
    """A password without any `${...}` reference: it would be stored in plain text."""


class CommandRefused(RuleFileError):
    """A `${cmd:...}` reference bound for a project file, where the loader never runs it."""


def check_secret_text(text: str, *, where: str, in_project: bool,
                      allow_literal: bool) -> Template:
    """Parse a username or password about to be written; refuse what would be a stored secret
    (unless allowed) or a reference the loader would not honour in that file."""
    template = parse_template(text, where)  # ReferenceSyntaxError names the column
    if in_project and any(ref.kind == "cmd" for ref in template.references):
        raise CommandRefused(
            f"{where}: ${{cmd:...}} is only honoured from your user config (a cloned project "
            "must not run commands); use --global, or another reference")
    if template.is_literal and not allow_literal:
        raise LiteralSecretRefused(
            f"{where} holds no ${{...}} reference, so the secret itself would be written to "
            "the file; use --token-env VAR, --vault PATH#FIELD or --password '${file:PATH}' "
            "(or --allow-literal if you really mean it)")
    return template


def shown(template: Template) -> str:
    """A template as it may be printed: references as written, literal text as ****."""
    return "".join(part.display if isinstance(part, Reference) else "****"
                   for part in template.parts) or "****"


def source_url(name: str, url: str) -> str:
    """The prefix a user-file rule for source `name` binds: its URL minus `/simple`,
    normalised and without userinfo. A user-file rule never binds by name (config.py
    `_bound_by_name`): any project may call a source `name` and point it elsewhere."""
    location = parse_location(source_prefix(url))
    if location is None or location.scheme is None:
        raise RuleFileError(f"source '{name}' has no http(s) URL to bind a credential to")
    if location.scheme == "http" and not location.is_loopback:
        # The loader refuses such a rule without allow_http; say so before writing.
        raise RuleFileError(f"source '{name}' is plain http to {location.host}: a token "
                            "would travel unencrypted; use its https URL")
    return str(location)


def drop_name_rules(target: RuleFile, name: str) -> list[str]:
    """Remove the `source = NAME` rules of a user file (dead: the loader refuses them);
    their passwords as shown, for the report."""
    dropped = []
    for rule in target.rules():
        password = rule.get("password")
        if rule.get("source") == name and isinstance(password, str):
            dropped += [shown_text(password)] * target.remove_rules(("source", name), password)
    return dropped


def shown_text(text: str) -> str:
    """Template text as it may be printed (see `shown`); never the text of a broken one."""
    try:
        return shown(parse_template(text))
    except PrivatePackagesError:
        return "(an invalid value)"


def shown_username(text: str) -> str:
    """A username as it may be printed: references as written; a literal one unless it
    might be a token (Gemfury puts the token in the username)."""
    from keyring_backend.probe import display_username

    try:
        template = parse_template(text)
    except PrivatePackagesError:
        return "(an invalid value)"
    return display_username(text) if template.is_literal else shown(template)


@dataclass(frozen=True)
class WrittenRule:
    """What `write_source_rule` did, in terms that may be printed (no secret values)."""

    file: RuleFile
    action: str  # added | updated | unchanged
    username: str
    password_shown: str  # references as written, literal text as ****
    literal: bool
    url: Optional[str] = None  # the prefix a user-file rule binds (None: bound by name)
    replaced: tuple[str, ...] = ()  # passwords (as shown) of by-name user rules it replaced

    @property
    def username_shown(self) -> str:
        return shown_username(self.username)


def locked_user_file(user_file: Optional[Path]) -> AbstractContextManager[None]:
    """The lock for rewriting the user file (keyring_backend.files.locked), held from
    reading it to replacing it: parallel runs each keep their rule. A project's
    pyproject.toml is not locked (that would leave a lock file in the project)."""
    from keyring_backend.files import locked

    return locked(user_file) if user_file is not None else nullcontext()


def write_source_rule(project_path: Path, name: str, password: str, username: Optional[str],
                      *, user_file: Optional[Path], allow_literal: bool,
                      ) -> WrittenRule:
    """`poetry source auth`: validate, then write the rule for the project's source NAME:
    `source = NAME` in the project file; in `user_file` (when given) `url = <its prefix>`,
    replacing earlier `source = NAME` rules there, which the loader no longer honours."""
    with locked_user_file(user_file):
        return _write_source_rule(project_path, name, password, username,
                                  user_file=user_file, allow_literal=allow_literal)


def _write_source_rule(project_path: Path, name: str, password: str, username: Optional[str],
                       *, user_file: Optional[Path], allow_literal: bool) -> WrittenRule:
    project = RuleFile.project(project_path)
    known = project.sources()
    if name not in known:
        raise UnknownSource(f"no source named '{name}' in {project_path} (known: "
                            f"{', '.join(sorted(known)) or 'none'}); add it with "
                            "`poetry source add`, or check the spelling")
    target = RuleFile.user(user_file) if user_file is not None else project
    in_project = user_file is None
    template = check_secret_text(password, where="--password", in_project=in_project,
                                 allow_literal=allow_literal)
    url = None if in_project else source_url(name, known[name])
    binding = ("source", name) if url is None else ("url", url)
    existing = target.find(binding) or target.find(("source", name))
    if username is None:
        kept = existing.get("username") if existing else None
        username = kept if isinstance(kept, str) else DEFAULT_USERNAME
    check_secret_text(username, where="--username", in_project=in_project, allow_literal=True)
    if username_has_colon(username):  # the loader would refuse the rule
        raise RuleFileError(f"--username: {COLON_IN_USERNAME}")
    # By-name rules go first: the URL rule then takes their place at the end of the file.
    replaced = drop_name_rules(target, name) if url is not None else []
    action = target.set_rule(binding, {"username": username, "password": password})
    if action != "unchanged" or replaced:
        target.save()
    if action == "unchanged" and replaced:
        action = "updated"
    return WrittenRule(target, action, username, shown(template), template.is_literal, url,
                       tuple(replaced))


@dataclass(frozen=True)
class WrittenPreset:
    """What `write_preset` did: the rule, and the source it added or found."""

    rule: WrittenRule
    source_url: str
    source_added: bool
    command: Optional[str]  # the `[commands.NAME]` written to the user file, if any
    project: Optional[RuleFile] = None  # the project file, as this command left it


def write_preset(project_path: Path, name: str, preset: RegistryPreset, *,
                 user_file: Optional[Path], priority: str) -> WrittenPreset:
    """`poetry source auth NAME --preset ...`: the source NAME points at the preset's index
    (added when missing, checked when present) and a rule bound to the preset's prefix gives
    its username and password reference. A `${cmd:...}` preset (CodeArtifact, Artifact
    Registry) must go to the user file with its `[commands.NAME]` table: a project file may
    not run commands."""
    with locked_user_file(user_file):
        return _write_preset(project_path, name, preset, user_file=user_file,
                             priority=priority)


def _write_preset(project_path: Path, name: str, preset: RegistryPreset, *,
                  user_file: Optional[Path], priority: str) -> WrittenPreset:
    if preset.index_url is None:
        raise ConfigError(f"the {preset.name} preset is for git repositories, not a package "
                          "index: git+https dependencies use the rules through "
                          "git-credential-private-packages (see `pip-private preset "
                          f"{preset.name} --help`)")
    if preset.command is not None and user_file is None:
        raise ConfigError(f"the {preset.name} preset runs `{preset.command.argv[0]}` for its "
                          "token, which only your user config may do: add --global (or "
                          "--token-env VAR for a token a CI job already exported)")
    project = RuleFile.project(project_path)
    known = project.sources().get(name)
    if known is not None and parse_location(known) != parse_location(preset.index_url):
        raise ConfigError(f"source '{name}' points at {known}, but the preset's index is "
                          f"{preset.index_url}; fix the source's url, or pick another name")
    if known is None:
        project.add_source(name, preset.index_url, priority)
        project.save()
    target = RuleFile.user(user_file) if user_file is not None else project
    check_secret_text(preset.username, where="username", in_project=user_file is None,
                      allow_literal=True)
    template = check_secret_text(preset.password, where="password",
                                 in_project=user_file is None, allow_literal=False)
    action = target.set_rule(("url", preset.rule_url),
                             {"username": preset.username, "password": preset.password})
    command = None
    if preset.command is not None:
        command = preset.command.name
        if target.set_command(command, preset.command.argv, preset.command.ttl) != "unchanged":
            action = action if action != "unchanged" else "updated"
    if action != "unchanged":
        target.save()
    rule = WrittenRule(target, action, preset.username, shown(template), False)
    return WrittenPreset(rule, preset.index_url, known is None, command, project)
