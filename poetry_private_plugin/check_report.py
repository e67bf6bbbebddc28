"""The report of `poetry source check`: blocks of marked lines, the exit code they add up to,
and the text, with every value resolved during the run masked in case one slipped into a
message. check.py fills it; nothing here reads a config or a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from keyring_backend.errors import EXIT_CONFIG, EXIT_REJECTED
from keyring_backend.printable import printable
from keyring_backend.secret import MASK, secret_forms

OK, NOTE, WARNING, ERROR, REJECTED, MISSING = "ok", "-", "WARNING", "ERROR", "REJECTED", "MISSING"
FAILED, UNREACHABLE, UNTRUSTED = "FAILED", "UNREACHABLE", "UNTRUSTED"
_WIDTH = len(UNREACHABLE)


@dataclass(frozen=True)
class Item:
    marker: str
    text: str
    fix: str = ""
    exit_code: int = 0

    @property
    def is_problem(self) -> bool:
        return self.marker not in (OK, NOTE)


@dataclass
class Block:
    title: str
    items: list[Item] = field(default_factory=list)

    def add(self, marker: str, text: str, fix: str = "", exit_code: int = 0) -> None:
        self.items.append(Item(marker, text, fix, exit_code))


@dataclass
class Report:
    """The blocks of one run, and every value resolved during it (masked on output)."""

    blocks: list[Block] = field(default_factory=list)
    _secrets: set[str] = field(default_factory=set, repr=False)

    def secret(self, value: str, username: Optional[str] = None) -> None:
        """Register a resolved value: raw, percent-encoded, base64, and as a Basic header.
        Forms under 4 characters are skipped: masking them garbles text and hides nothing."""
        self._secrets.update(form.decode() for form in secret_forms(value, username))

    @property
    def items(self) -> list[Item]:
        return [item for block in self.blocks for item in block.items]

    @property
    def exit_code(self) -> int:
        codes = {item.exit_code for item in self.items}
        return EXIT_REJECTED if EXIT_REJECTED in codes else EXIT_CONFIG if codes - {0} else 0

    def text(self, quiet: bool = False) -> str:
        """The report; `quiet` keeps only problems (and prints nothing when there are none).
        Every resolved value is replaced by `****`, in case one slipped into a message."""
        lines: list[str] = []
        for block in self.blocks:
            items = [i for i in block.items if i.is_problem or not quiet]
            if items:
                lines.append(printable(block.title))
            for item in items:
                # Items quote sources, URLs and files a project wrote: printable, one line.
                lines.append(f"  {item.marker:<{_WIDTH}} {printable(item.text)}")
                lead = "fix: "
                for fix_line in item.fix.splitlines():
                    lines.append(f"  {'':<{_WIDTH}} {lead}{printable(fix_line)}")
                    lead = "     "
        if lines or not quiet:
            lines.append(self.summary())
        text = "\n".join(lines) + "\n" if lines else ""
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def summary(self) -> str:
        warnings = sum(1 for item in self.items if item.marker == WARNING)
        errors = sum(1 for item in self.items if item.exit_code)
        checked = sum(1 for block in self.blocks if block.title.startswith("source "))
        return (f"poetry source check: {checked} source(s), {errors} problem(s), {warnings} "
                f"warning(s); exit code {self.exit_code}")
