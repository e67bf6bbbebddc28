"""Credentials for uv, in the variables uv reads (DESIGN.md "private-packages run").

- Each named index a rule covers: `UV_INDEX_<NAME>_USERNAME` / `_PASSWORD` (uv_indexes.py
  says where names come from and how uv spells them).
- Index URLs without a name (`--index-url`, `--extra-index-url`, `--index URL`,
  `--default-index URL` and their variables `UV_INDEX_URL`, `UV_EXTRA_INDEX_URL`,
  `UV_INDEX`, `UV_DEFAULT_INDEX`): uv has no variable for their credential, so the URL
  itself carries it as userinfo -- in the variable, never in argv. An option given on the
  command line moves into its variable (clap reads the variable exactly when the option is
  absent, so the meaning is the same); uv keeps userinfo out of uv.lock and redacts it
  when it prints a URL, and the masker covers the rest.
- `uv publish` to a covered URL (`--publish-url`, `UV_PUBLISH_URL`, the `publish-url` of
  `--index NAME` / `UV_PUBLISH_INDEX`, else PyPI's upload URL):
  `UV_PUBLISH_USERNAME` / `_PASSWORD`, unless a username, password or token was given.
"""

from __future__ import annotations

from typing import Optional

from keyring_backend.rules import CredentialRule

from .plan import Plan
from .tools import Invocation, identify
from .uv_files import uv_config_files
from .uv_indexes import UvIndex, configured_indexes, env_name, split_named

PYPI_UPLOAD = "https://upload.pypi.org/legacy/"
#: option -> the variable uv reads when the option is absent; lists are space-separated.
_URL_OPTIONS = {"--index": "UV_INDEX", "--default-index": "UV_DEFAULT_INDEX",
                "--index-url": "UV_INDEX_URL", "-i": "UV_INDEX_URL",
                "--extra-index-url": "UV_EXTRA_INDEX_URL"}
_LISTS = frozenset({"UV_INDEX", "UV_EXTRA_INDEX_URL"})


def plan_uv(plan: Plan) -> None:
    """Everything above, for a uv command."""
    inv = plan.invocation
    no_config = "--no-config" in plan.argv[_start(plan):_own_end(plan)]
    indexes = known_indexes(plan, no_config)
    publishing = inv.subcommand == "publish"
    given = _command_line_urls(plan, publishing)
    for option, values in given.items():
        for value in values:
            name, url = split_named(value)
            if name is not None and option in ("--index", "--default-index") and \
                    indexes is not None:
                indexes.append(UvIndex(name, url, option))
    named_credentials(plan, indexes)
    unnamed_credentials(plan, given)
    if publishing:
        publish_credentials(plan, indexes or [])


def plan_uv_indexes(plan: Plan) -> None:
    """Named indexes only, for a tool that runs uv in the project with its configuration
    (hatch's uv installer); its own command line is not uv's. `hatch -p NAME` picks a
    project from hatch's config, which run does not follow: nothing then."""
    if plan.invocation.leading_option("-p", "--project") or plan.env.get("HATCH_PROJECT"):
        plan.warnings.append("hatch -p/HATCH_PROJECT picks a project run does not follow; "
                             "not setting UV_INDEX_<NAME>_* (run it in the project)")
        return
    named_credentials(plan, known_indexes(plan, no_config=False, inv=identify(["uv"])))


def known_indexes(plan: Plan, no_config: bool, inv: Optional[Invocation] = None
                  ) -> Optional[list[UvIndex]]:
    """Indexes of the files uv reads (uv_files.py) and of `UV_INDEX` / `UV_DEFAULT_INDEX`;
    None when uv may read indexes run cannot see first."""
    files = uv_config_files(inv or plan.invocation, plan.cwd, plan.env, no_config)
    if files is None:
        return None
    indexes = configured_indexes(files)
    for variable in ("UV_INDEX", "UV_DEFAULT_INDEX"):
        for value in plan.env.get(variable, "").split():
            name, url = split_named(value)
            if name is not None:
                indexes.append(UvIndex(name, url, variable))
    return indexes


def named_credentials(plan: Plan, indexes: Optional[list[UvIndex]]) -> None:
    """UV_INDEX_<NAME>_* for each named index a rule covers; a variable two indexes would
    share is filled only when one rule covers both (else uv would send one's credential
    to the other). `indexes` None: uv may read a script from stdin or a URL, nothing."""
    if indexes is None:
        plan.warnings.append("uv may read a script from stdin or a URL, whose indexes run "
                             "cannot see first; not setting UV_INDEX_<NAME>_* (save the "
                             "script to a file)")
        return
    by_variable: dict[str, list[tuple[UvIndex, Optional[CredentialRule]]]] = {}
    for index in indexes:
        if index.name is not None:
            rule = plan.rule_for(index.url, f"uv index '{index.name}' ({index.origin})")
            by_variable.setdefault(env_name(index.name), []).append((index, rule))
    for variable, entries in by_variable.items():
        rule = plan.sole_rule([(index.name or "", rule) for index, rule in entries],
                              "uv indexes", f"UV_INDEX_{variable}_*", "one index")
        if rule is None:
            continue
        index = entries[0][0]
        plan.set_credential(f"UV_INDEX_{variable}_USERNAME", f"UV_INDEX_{variable}_PASSWORD",
                            rule, f"uv index '{index.name}' ({index.origin})")


def unnamed_credentials(plan: Plan, given: dict[str, list[str]]) -> None:
    """Userinfo into unnamed index URLs, in the variable uv reads them from."""
    moved: dict[str, list[str]] = {}
    for option, values in given.items():
        moved.setdefault(_URL_OPTIONS[option], []).extend(values)
    for variable in ("UV_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL"):
        from_argv = variable in moved
        values = moved.get(variable) or plan.env.get(variable, "").split()
        if variable not in _LISTS:
            values = values[-1:]  # a single-valued option: the last one given wins
        changed = [_with_credential(plan, value) for value in values]
        if changed == values:
            continue
        plan.set(variable, " ".join(changed), "index URLs with the credential of their rule "
                 "as userinfo" + (" (moved from the command line)" if from_argv else ""),
                 secret=True, replace=True)
        if from_argv:
            _drop_options(plan, [o for o, v in _URL_OPTIONS.items() if v == variable])


def _with_credential(plan: Plan, value: str) -> str:
    name, url = split_named(value)
    if name is not None or "@" in url.partition("://")[2].partition("/")[0]:
        return value  # named (UV_INDEX_<NAME>_*), or the user's own userinfo
    rule = plan.rule_for(url, "an index URL of uv's")
    return plan.url_with_credential(url, rule) if rule is not None else value


def publish_credentials(plan: Plan, indexes: list[UvIndex]) -> None:
    inv = plan.invocation
    if inv.option("-u", "--username", "-p", "--password", "-t", "--token") or \
            plan.user_set("UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD", "UV_PUBLISH_TOKEN"):
        return
    url = next(iter(inv.option("--publish-url")), None) or plan.env.get("UV_PUBLISH_URL")
    if not url:
        name = next(iter(inv.option("--index")), None) or plan.env.get("UV_PUBLISH_INDEX")
        # Every index of that name, in every file uv may read: one publish URL, or none.
        urls = {i.publish_url for i in indexes if i.name == name}
        url = PYPI_UPLOAD if name is None else urls.pop() if len(urls) == 1 else None
        if len(urls) > 1:
            plan.warnings.append(f"uv indexes named {name} have different publish URLs; "
                                 "not setting UV_PUBLISH_* (rename one index)")
    rule = plan.rule_for(url, "uv publish") if url else None
    if url and rule is not None:
        plan.set_credential("UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD", rule,
                            f"uv publish to {url}")


def _command_line_urls(plan: Plan, publishing: bool) -> dict[str, list[str]]:
    """Values of the index options uv itself reads from argv (not those of a command that
    `uv run` / `uv tool run` / `uvx` starts, nor `uv publish --index NAME`)."""
    found: dict[str, list[str]] = {}
    for option, value, _ in _index_options(plan.argv, plan.invocation.tool, _start(plan)):
        if publishing and option == "--index":
            continue
        found.setdefault(option, []).append(value)
    return found


def _index_options(argv: list[str], tool: str, start: int
                   ) -> list[tuple[str, str, list[int]]]:
    """(option, value, positions in argv) of each index option among uv's own words."""
    found: list[tuple[str, str, list[int]]] = []
    index, end = start, _end_of_own_words(argv, tool, start)
    while index < end:
        word = argv[index]
        name, eq, inline = word.partition("=")
        if name in _URL_OPTIONS and eq:
            found.append((name, inline, [index]))
        elif word in _URL_OPTIONS and index + 1 < end:
            found.append((word, argv[index + 1], [index, index + 1]))
            index += 1
        elif word.startswith("-i") and len(word) > 2 and not word.startswith("--"):
            found.append(("-i", word[2:], [index]))
        index += 1
    return found


def _end_of_own_words(argv: list[str], tool: str, start: int) -> int:
    """Where uv's own words end: at `--`, or at the command `uv run`, `uv tool run` or
    `uvx` starts. A value-taking option such as `--with X` may end them early: the safe
    direction for what is read from them (an index option left in argv, `--no-config`
    unseen: more files read)."""
    positionals: list[str] = []
    index = start
    while index < len(argv):
        word = argv[index]
        if word == "--":
            return index
        if not word.startswith("-"):
            positionals.append(word)
            if _starts_command(tool, positionals):
                return index
        elif word in _URL_OPTIONS:
            index += 1  # its value is no positional
        index += 1
    return len(argv)


def _own_end(plan: Plan) -> int:
    return _end_of_own_words(plan.argv, plan.invocation.tool, _start(plan))


def _start(plan: Plan) -> int:
    return len(plan.argv) - len(plan.invocation.args)


def _starts_command(tool: str, positionals: list[str]) -> bool:
    if tool == "uvx":
        return True
    if positionals[0] == "run":
        return len(positionals) >= 2
    return positionals[:2] == ["tool", "run"] and len(positionals) >= 3


def _drop_options(plan: Plan, options: list[str]) -> None:
    found = _index_options(plan.argv, plan.invocation.tool, _start(plan))
    drop = {position for option, _, positions in found if option in options
            for position in positions}
    plan.argv = [word for position, word in enumerate(plan.argv) if position not in drop]
