"""What `pip-private doctor` prints: sections of one-line items, each with an ASCII marker
(`ok`, `MISSING`, `REJECTED`...), an optional indented `fix:`, and a final summary line.

Items carry the exit code they contribute (DESIGN.md "Exit codes": 3 when an index refused
access -- a credential rejected, or none sent where one is needed -- over 2 for anything
else missing, broken or unreachable, over 0). The text is built
from references, rules and hosts only; still, every value resolved during the check is
registered here and the finished text goes through the same `Masker` that guards pip's
output, so a value that slipped into a message by mistake is printed as `****`.
"""

from __future__ import annotations

from typing import Optional, TextIO

from keyring_backend.errors import EXIT_CONFIG, EXIT_REJECTED, ConfigError, PrivatePackagesError
from keyring_backend.http import redact_url, split_userinfo
from keyring_backend.printable import printable
from keyring_backend.probe import ProbeResult, display_username
from keyring_backend.providers import render_template
from keyring_backend.records import field, record
from keyring_backend.references import parse_template
from keyring_backend.rules import CredentialRule
from keyring_backend.secret import Secret
from keyring_backend.store import CredentialStore

from ..masking import Masker, secret_forms

OK = "ok"
NOTE = "-"
MISSING = "MISSING"
ERROR = "ERROR"
REJECTED = "REJECTED"
FAILED = "FAILED"
UNREACHABLE = "UNREACHABLE"
SKIPPED = "SKIPPED"
OUTSIDE = "OUTSIDE"  # an index links files outside the prefix of its rule
UNTRUSTED = "UNTRUSTED"
_WIDTH = len(UNREACHABLE)

CONFIGURATION = "Configuration"
FILES = "Requirements files"
REFERENCES = "References"
RULES = "Rules"
INDEXES = "Indexes"
SECTIONS = (CONFIGURATION, FILES, REFERENCES, RULES, INDEXES)


@record(frozen=True)
class Item:
    """One checked thing. `exit_code` is 0 for `ok` and notes, else 2 or 3."""

    marker: str
    text: str
    fix: str = ""
    exit_code: int = 0

    @classmethod
    def problem(cls, marker: str, text: str, fix: str = "") -> Item:
        return cls(marker, text, fix, EXIT_CONFIG)


def probe_item(label: str, result: ProbeResult) -> Item:
    """An index's verdict (`ProbeResult.verdict`, the same words as the markers here)."""
    marker = result.verdict
    return Item(marker, f"{label}: {result.summary}", result.fix, result.exit_code)


def files_outside(store: CredentialStore, url: str, username: Optional[str],
                  password: Optional[Secret], package: Optional[str], timeout: float,
                  cafile: Optional[str]) -> list[Item]:
    """OUTSIDE when the index at `url` links files outside its rule's prefix, where
    pip-private sends no credential (keyring_backend/file_links.py)."""
    from keyring_backend.file_links import advice, file_outside_rule

    rule = store.rule_for_service(split_userinfo(url)[0])
    outside = rule and file_outside_rule(url, rule, username=username, password=password,
                                         package=package, timeout=timeout, cafile=cafile)
    if not rule or not outside:
        return []
    text, fix = advice(url, outside, rule)
    return [Item(OUTSIDE, text, fix, EXIT_CONFIG)]


def rule_item(store: CredentialStore, rule: CredentialRule, report: Report) -> Item:
    """A rule's verdict: username and password each found or missing (and why), and the
    providers its password names -- never a value (found ones go to `report.secret`)."""
    label = f"[{rule.layer.label}] {rule.origin}  {rule.url}"
    parts: list[str] = []
    missing = False
    place = f"username of {rule.origin}"
    try:
        parts.append(f"username {display_username(store.username_for(rule))} found")
    except PrivatePackagesError as exc:
        parts.append(f"username missing: {without_place(exc, place)}")
        missing = True
    place = f"password of {rule.origin}"
    try:
        template = parse_template(rule.password, place)
        password = render_template(template, store.context_for(rule, "password"))
    except PrivatePackagesError as exc:
        parts.append(f"password missing: {without_place(exc, place)}")
        missing = True
    else:
        providers = ", ".join(f"{r.display} ({r.kind})" for r in template.references)
        report.secret(password.reveal())
        parts.append(f"password from {providers or 'a literal in the rule'} "
                     + ("found" if password else "is empty"))
        missing = missing or not password
    text = f"{label}: {'; '.join(parts)}"
    return Item.problem(MISSING, text) if missing else Item(OK, text)


def withheld_item(rule: CredentialRule) -> Item:
    """A rule of an untrusted project: what it would send where, never resolved."""
    from keyring_backend.config.content import shown

    return Item.problem(UNTRUSTED, f"[{rule.layer.label}] {rule.origin}  {rule.url}: "
                        f"password {shown(rule.password)}, username {shown(rule.username)}; "
                        "withheld: the project is not trusted (see Configuration)")


def shown_url(url: str) -> str:
    """A URL as it may be printed: no userinfo (it may hold a token), no fragment."""
    try:
        return redact_url(url)
    except ConfigError:
        return "(an index URL that does not parse)"


def without_place(exc: Exception, where: str) -> str:
    """The message without its leading `where: `, which the report line already shows."""
    text = str(exc)
    return text[len(where) + 2:] if text.startswith(where + ": ") else text


@record
class Report:
    """Items by section, in `SECTIONS` order, and the values the final masker hides."""

    sections: dict[str, list[Item]] = field(
        default_factory=lambda: {name: [] for name in SECTIONS})
    _secrets: set[bytes] = field(default_factory=set, repr=False)

    def add(self, section: str, item: Item) -> None:
        self.sections[section].append(item)

    def extend(self, section: str, items: list[Item]) -> None:
        self.sections[section].extend(items)

    def ok(self, section: str, text: str) -> None:
        self.add(section, Item(OK, text))

    def note(self, section: str, text: str) -> None:
        self.add(section, Item(NOTE, text))

    def problem(self, section: str, marker: str, text: str) -> None:
        self.add(section, Item.problem(marker, text))

    def secret(self, value: str, username: Optional[str] = None) -> None:
        """Register a value resolved during the check (and its encoded spellings)."""
        if value:
            self._secrets.update(secret_forms(value, username))

    @property
    def items(self) -> list[Item]:
        return [item for items in self.sections.values() for item in items]

    @property
    def exit_code(self) -> int:
        codes = {item.exit_code for item in self.items}
        return EXIT_REJECTED if EXIT_REJECTED in codes else EXIT_CONFIG if codes - {0} else 0

    def text(self) -> str:
        lines: list[str] = []
        for title, items in self.sections.items():
            lines.append(title)
            for item in items or [Item(NOTE, "nothing to check")]:
                # Items quote files, rules and URLs a project wrote: printable, one line.
                lines.append(f"  {item.marker:<{_WIDTH}} {printable(item.text)}")
                for number, fix_line in enumerate(item.fix.splitlines()):
                    lead = "fix: " if number == 0 else "     "
                    lines.append(f"  {'':<{_WIDTH}} {lead}{printable(fix_line)}")
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        problems = [item for item in self.items if item.exit_code]
        if not problems:
            checked = sum(1 for item in self.items if item.marker == OK)
            return f"doctor: everything is ready ({checked} checks passed)"
        counts: dict[str, int] = {}
        for item in problems:
            counts[item.marker] = counts.get(item.marker, 0) + 1
        detail = ", ".join(f"{count} {marker}" for marker, count in counts.items())
        plural = "" if len(problems) == 1 else "s"
        return f"doctor: {len(problems)} problem{plural} ({detail}); exit code {self.exit_code}"

    def write(self, out: TextIO) -> None:
        """Print the report with every registered value (in every spelling) masked."""
        masker = Masker(self._secrets)
        data = masker.feed(self.text().encode("utf-8")) + masker.flush()
        out.write(data.decode("utf-8", "replace"))
        out.flush()
