"""uv's named indexes (`[[tool.uv.index]]` in pyproject.toml, `[[index]]` in uv.toml), and
the name uv reads their credentials under.

uv reads `UV_INDEX_<NAME>_USERNAME` / `_PASSWORD` for an index named NAME, spelt as uv's
`IndexName::to_env_var` spells it: ASCII letters and digits upper-cased, every other
character `_` (crates/uv-distribution-types/src/index_name.rs). So `acme-internal`,
`acme_internal` and `acme.internal` share one variable; `uv.py` refuses to fill it for
indexes that would then share a credential they must not.

Where uv looks is uv_files.py's business. Indexes given as `NAME=URL` in `--index`,
`--default-index`, `UV_INDEX` or `UV_DEFAULT_INDEX` are named too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Optional

from keyring_backend.records import record

from .files import dig, tables

if TYPE_CHECKING:
    from keyring_backend.rules import CredentialRule
    from keyring_backend.store import CredentialStore

    from .uv_files import UvConfig

_NAME = re.compile(r"[A-Za-z0-9._-]+")


@record(frozen=True)
class UvIndex:
    name: Optional[str]
    url: str
    origin: str  # the file or option that defines it
    publish_url: Optional[str] = None
    authenticate: Optional[str] = None  # "always", "auto", "never" or unset


def env_name(name: str) -> str:
    """`acme-internal` -> `ACME_INTERNAL`, as uv's `IndexName::to_env_var`."""
    return "".join(c.upper() if c.isascii() and c.isalnum() else "_" for c in name)


def split_named(value: str) -> tuple[Optional[str], str]:
    """`NAME=URL` -> (NAME, URL); a plain URL -> (None, URL), as uv parses `--index`."""
    head, sep, tail = value.partition("=")
    if sep and "://" not in head and _NAME.fullmatch(head):
        return head, tail
    return None, value


def configured_indexes(configs: Sequence[UvConfig]) -> list[UvIndex]:
    """Indexes defined in `configs` (uv_files.py), in their order."""
    found: list[UvIndex] = []
    for config in configs:
        for entry in tables(dig(config.read(), *config.keys)):
            name, url = entry.get("name"), entry.get("url")
            if not isinstance(url, str):
                continue
            publish = entry.get("publish-url")
            authenticate = entry.get("authenticate")
            found.append(UvIndex(name if isinstance(name, str) else None, url,
                                 str(config.path),
                                 publish if isinstance(publish, str) else None,
                                 authenticate if isinstance(authenticate, str) else None))
    return found


def asks_keyring(index: UvIndex) -> bool:
    """Whether uv would ask a keyring for this index: only with a username in its URL or
    `authenticate = "always"` (uv-auth's middleware; the README's uv recipe)."""
    from urllib.parse import urlsplit

    try:
        has_user = bool(urlsplit(index.url).username)
    except ValueError:
        return False
    return has_user or index.authenticate == "always"


#: What doctor and scan say about an index `keyring_skips` finds, and the one-line fix.
SKIP_MESSAGE = ("uv asks a keyring only for an index whose URL names a user or that says "
                'authenticate = "always", so plain uv never asks for this rule\'s credential')
SKIP_FIX = ('add authenticate = "always" to its [[tool.uv.index]] table (with '
            "--keyring-provider subprocess; README \"uv\"), or run uv as `private-packages "
            "run uv ...`")


def keyring_skips(store: CredentialStore, env: Mapping[str, str]
                  ) -> list[tuple[UvIndex, CredentialRule]]:
    """Configured indexes a rule covers that uv, run without the wrapper, would never ask
    a keyring about: uv would go anonymous and stop at the 401."""
    from .tools import identify
    from .uv_files import uv_config_files

    project = store.config.project_file
    skips = []
    configs = uv_config_files(identify(["uv"]), project.parent, env) if project else []
    for index in configured_indexes(configs or []):
        rule = None if asks_keyring(index) else store.rule_for_service(index.url)
        if rule is not None:
            skips.append((index, rule))
    return skips
