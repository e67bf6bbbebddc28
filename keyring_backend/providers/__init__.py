"""Resolve `${...}` references: one small provider module per reference kind.

A reference names its provider, so exactly one provider answers it (no guessing):

1. ``env``     -- `${NAME}`, `${env:NAME}`: the environment mapping passed in (never
                  `os.environ` read deep inside), with `:-fallback` / `:?message`.
2. ``file``    -- `${file:PATH}`: a file's text, one trailing newline dropped.
3. ``keyring`` -- `${keyring:SERVICE#USER}`: the *other* keyring backends, never ourselves.
4. ``cmd``     -- `${cmd:NAME}`: stdout of a command from the user config, cached for its ttl;
                  refused for rules that come from a project file.
5. ``vault``   -- `${vault:PATH#FIELD}`: Vault / OpenBao KV v1 or v2 through hvac, one login
                  and one read per secret per process.

`#FIELD` / `[N]` selectors on env and file values are applied afterwards (selectors.py).
Every failure is an `UnresolvedReference` subclass naming the reference and where it
stands; providers import their heavy dependencies inside their `resolve` function.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Optional

from ..records import field, record
from ..references import Reference, Template
from ..secret import Secret
from ..settings import Settings


@record(frozen=True)
class ResolveContext:
    """What a provider may use: the environment, settings, and where the reference stands."""

    env: Mapping[str, str]
    where: str
    settings: Settings = field(default_factory=Settings)
    allow_commands: bool = False
    base_dir: Optional[Path] = None
    # Why the text holding the reference may use nothing but what pip itself would expand
    # there, `${NAME}` in pip's upper-case form (an untrusted project's requirements file,
    # config/locations.py); None = it may use every reference.
    untrusted: Optional[str] = None
    # The project a project rule comes from: its `${file:}` paths may not leave it through
    # its own symlinks, nor, written relative, at all (confined.py); None = not confined.
    confine_to: Optional[Path] = None


def resolve_reference(ref: Reference, ctx: ResolveContext) -> str:
    """Return the value of one reference or raise an `UnresolvedReference`."""
    if ctx.untrusted is not None and not ref.pip_expands and ref.kind != "cmd":
        from ..errors import UntrustedReference

        # `cmd` is refused by its own provider where commands are not allowed. pip sends
        # anything else as literal text: rendering it would be a new leak, not parity.
        raise UntrustedReference(f"{ctx.where}: {ref.display} is not resolved: "
                                 f"{ctx.untrusted}")
    if ref.kind == "env":
        from .env import resolve
    elif ref.kind == "file":
        from .file import resolve
    elif ref.kind == "keyring":
        from .keyring_source import resolve
    elif ref.kind == "cmd":
        from .command import resolve
    else:
        from .vault import resolve
    return resolve(ref, ctx)


def render_template(template: Template, ctx: ResolveContext) -> Secret:
    """Concatenate literals and resolved references into one `Secret`."""
    if template.is_literal:
        return Secret("".join(p for p in template.parts if isinstance(p, str)))
    out = [p if isinstance(p, str) else resolve_reference(p, ctx) for p in template.parts]
    return Secret("".join(out))
