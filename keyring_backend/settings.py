"""Plain settings the providers need: Vault connection, user-defined commands, base dir."""

from __future__ import annotations

from typing import Optional

from .records import field, record


@record(frozen=True)
class VaultSettings:
    """`[tool.private-packages.vault]` / `[vault]`; every key falls back to VAULT_* env vars."""

    addr: Optional[str] = None
    auth: Optional[str] = None  # token | approle | jwt; guessed from the environment if unset
    role: Optional[str] = None  # jwt role (or VAULT_ROLE)
    mount: Optional[str] = None  # auth mount path, default "approle" / "jwt"
    jwt_env: str = "VAULT_ID_TOKEN"  # the variable holding the CI id token
    namespace: Optional[str] = None
    cacert: Optional[str] = None
    timeout: float = 10.0


@record(frozen=True)
class CommandSpec:
    """`[commands.NAME]` in the user file: argv (no shell) and how long its output is good."""

    name: str
    argv: tuple[str, ...]
    ttl: float = 0.0  # seconds; 0 = run once per process
    timeout: float = 60.0


@record(frozen=True)
class Settings:
    vault: VaultSettings = field(default_factory=VaultSettings)
    commands: dict[str, CommandSpec] = field(default_factory=dict)
