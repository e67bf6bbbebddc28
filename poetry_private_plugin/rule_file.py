"""Edit the credential rules of one TOML file, keeping everything else byte for byte.

Rules live in the project's pyproject.toml (`[[tool.private-packages.credentials]]`) and
the user file (`[[credentials]]`). `RuleFile` reads either with tomlkit (round-trip:
comments, spacing and key order outside the edited rule survive), adds, updates or removes
one rule, and writes atomically (a temporary file beside it, then `os.replace`: a crash or
a full disk never leaves half a pyproject.toml). The file keeps its mode; a new user file
is 0600 in a 0700 directory. `source_rule.py` uses it for `poetry source auth`.

Rules are found by how they bind: `("source", NAME)` or `("url", PREFIX)`; two URLs are the
same binding when they normalise to the same location (keyring_backend.urls).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from keyring_backend.config import project_sources
from keyring_backend.errors import ConfigError
from keyring_backend.files import NEW_FILE_MODE, atomic_write, make_private_dir
from keyring_backend.urls import parse_location

if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

PROJECT_KEYS = ("tool", "private-packages", "credentials")
USER_KEYS = ("credentials",)

Binding = tuple[str, str]  # ("source", name) or ("url", prefix)


class RuleFileError(ConfigError):
    """A rule file cannot be read or edited: invalid TOML, or a key that is not a table."""


def read_toml_text(path: Path, *, may_create: bool = False) -> tuple[str, bool]:
    """The file's text and whether it exists. Regular UTF-8 files only (TOML is UTF-8):
    a FIFO would hang us, and the bytes of a broken file are never quoted (a position
    only: they could be part of a literal secret)."""
    from keyring_backend.regular_files import UnreadableFile, read_project_file

    try:
        data = read_project_file(path)
    except UnreadableFile as exc:
        if exc.missing and may_create:
            return "", False
        raise RuleFileError(f"{path} {exc.reason}") from None
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RuleFileError(f"{path}: line {line} is not UTF-8 text, which TOML requires; "
                            "fix the file, then run the command again") from None


class RuleFile:
    """The credential rules of one TOML file, loaded once and saved with `save()`."""

    def __init__(self, path: Path, keys: tuple[str, ...], *, may_create: bool = False) -> None:
        # Write through a symlinked pyproject.toml to its target, not over the link.
        self.path = path.resolve() if path.is_symlink() else path
        self.keys = keys
        text, self.exists = read_toml_text(self.path, may_create=may_create)
        # tomlkit writes new lines with "\n"; a CRLF file gets CRLF back (see `text`).
        first_break = text.find("\n")
        self._crlf = first_break > 0 and text[first_break - 1] == "\r"
        self._doc = self._parse(text)

    @classmethod
    def project(cls, path: Path) -> RuleFile:
        return cls(path, PROJECT_KEYS)

    @classmethod
    def user(cls, path: Path) -> RuleFile:
        return cls(path, USER_KEYS, may_create=True)

    @property
    def table_name(self) -> str:
        """How the rule table is written in this file, for messages."""
        return f"[[{'.'.join(self.keys)}]]"

    def sources(self) -> dict[str, str]:
        """Named sources of this file ([[tool.poetry.source]], [[tool.uv.index]]) -> URL.
        Only the file's own: a rule in it must not depend on an environment variable."""
        return project_sources(self._doc.unwrap())

    def rules(self) -> list[dict[str, Any]]:
        """Plain copies of the rule tables, in file order."""
        return [dict(entry.unwrap()) for entry in self._entries(create=False)]

    def find(self, binding: Binding) -> Optional[dict[str, Any]]:
        """The first rule with this binding (the one the loader uses), or None."""
        for entry in self.rules():
            if _binds(entry, binding):
                return entry
        return None

    def set_rule(self, binding: Binding, values: Mapping[str, str]) -> str:
        """Make the first rule with `binding` hold `values` (other keys it has are kept) and
        drop later rules with the same binding, which could never match (the first wins).
        Returns "added", "updated" or "unchanged"."""
        entries = self._entries(create=True)
        matches = [i for i, entry in enumerate(entries) if _binds(entry, binding)]
        if not matches:
            import tomlkit
            from tomlkit.items import AoT

            table = tomlkit.table() if isinstance(entries, AoT) else tomlkit.inline_table()
            table.update({binding[0]: binding[1], **values})
            entries.append(table)
            self._space_out(table)
            return "added"
        first = entries[matches[0]]
        changed = len(matches) > 1
        for index in reversed(matches[1:]):
            del entries[index]
        for key, value in values.items():
            if first.get(key) != value:
                first[key] = value
                changed = True
        return "updated" if changed else "unchanged"

    def add_source(self, name: str, url: str, priority: str) -> None:
        """Append a `[[tool.poetry.source]]` (what `poetry source add` writes)."""
        import tomlkit

        tool = self._doc.setdefault("tool", tomlkit.table(is_super_table=True))
        poetry = tool.setdefault("poetry", tomlkit.table(is_super_table=True))
        sources = poetry.setdefault("source", tomlkit.aot())
        table = tomlkit.table()
        table.update({"name": name, "url": url, "priority": priority})
        sources.append(table)

    def set_command(self, name: str, argv: tuple[str, ...], ttl: str) -> str:
        """Make `[commands.NAME]` (user file only) run `argv`; "added", "updated" or
        "unchanged"."""
        import tomlkit

        commands = self._doc.setdefault("commands", tomlkit.table(is_super_table=True))
        wanted = {"run": list(argv), "ttl": ttl}
        current = commands.get(name)
        if current is not None and {k: current.get(k) for k in wanted} == wanted:
            return "unchanged"
        table = tomlkit.table()
        table.update(wanted)
        commands[name] = table
        return "added" if current is None else "updated"

    def remove_rules(self, binding: Binding, password: str) -> int:
        """Remove the rules with `binding` whose password is exactly `password`."""
        entries = self._entries(create=False)
        doomed = [i for i, entry in enumerate(entries)
                  if _binds(entry, binding) and entry.get("password") == password]
        for index in reversed(doomed):
            del entries[index]
        if doomed and not entries:
            self._prune()
        return len(doomed)

    def text(self) -> str:
        import tomlkit

        text = tomlkit.dumps(self._doc)
        return re.sub(r"(?<!\r)\n", "\r\n", text) if self._crlf else text

    def save(self) -> None:
        """Write the document atomically, keeping the mode of the file it replaces."""
        make_private_dir(self.path.parent)
        atomic_write(self.path, self.text().encode("utf-8"), NEW_FILE_MODE)
        self.exists = True

    def _parse(self, text: str) -> TOMLDocument:
        import tomlkit
        from tomlkit.exceptions import ParseError

        try:
            return tomlkit.parse(text)
        except ParseError as exc:
            # Position only: tomlkit's message quotes the offending text, which in a
            # config file could be part of a literal secret.
            raise RuleFileError(f"{self.path}: invalid TOML at line {exc.line}, column "
                                f"{exc.col}; fix the file, then run the command again") from None

    def _space_out(self, table: Any) -> None:
        """One blank line before and after a new `[[...]]` table, wherever tomlkit put it
        (at the end of the file, or after the last table of its parent)."""
        import tomlkit
        from tomlkit.items import Table

        if not isinstance(table, Table):
            return  # an inline table inside `credentials = [...]`
        text = tomlkit.dumps(self._doc).replace("\r\n", "\n")
        body = table.as_string().replace("\r\n", "\n")
        header = f"[[{'.'.join(self.keys)}]]\n"
        start = text.find(header + body)
        if start < 0:  # pragma: no cover - tomlkit renders AoT tables this way
            return
        before, after = text[:start], text[start + len(header) + len(body):]
        if before and not before.endswith("\n\n"):
            table.trivia.indent = "\n"
        if after and not after.startswith("\n"):
            table.add(tomlkit.nl())

    def _prune(self) -> None:
        """Drop the emptied rule array, then parent tables left empty by that (a
        `credentials = []` or a bare `[tool.private-packages]` helps nobody)."""
        for depth in range(len(self.keys), 0, -1):
            parent: Any = self._doc
            for key in self.keys[:depth - 1]:
                parent = parent[key]
            if len(parent[self.keys[depth - 1]]):
                return
            del parent[self.keys[depth - 1]]

    def _entries(self, *, create: bool) -> Any:
        """The array of rule tables (a tomlkit AoT, or an inline array of inline tables),
        created at the end of the file when asked; an empty list when absent."""
        import tomlkit

        container: Any = self._doc
        for depth, key in enumerate(self.keys):
            last = depth == len(self.keys) - 1
            if key not in container:
                if not create:
                    return []
                # Intermediate tables are "super tables": no `[tool.private-packages]` header.
                container[key] = tomlkit.aot() if last else tomlkit.table(is_super_table=True)
            if last and create and isinstance(container[key], list) and not container[key]:
                container[key] = tomlkit.aot()  # `credentials = []`: write [[...]] tables
            container = container[key]
            expected = list if last else dict
            if not isinstance(container, expected):
                kind = "an array of tables" if last else "a table"
                raise RuleFileError(f"{self.path}: {'.'.join(self.keys[:depth + 1])} must be "
                                    f"{kind}; fix it by hand, then run the command again")
        if not all(isinstance(entry, dict) for entry in container):
            raise RuleFileError(f"{self.path}: every entry of {self.table_name} must be a table")
        return container


def _binds(entry: Mapping[str, Any], binding: Binding) -> bool:
    kind, value = binding
    current = entry.get(kind)
    if not isinstance(current, str):
        return False
    if kind == "source":
        return current == value
    location = parse_location(current)
    return location is not None and location == parse_location(value)
