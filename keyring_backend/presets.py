"""CI presets: the fourth and last rule layer (DESIGN.md "Credential rules").

Each preset is a function of the environment returning the rules it contributes, active
only when its CI's variables are present and locked to that CI's own host. `PRESETS` is
the ordered registry `config.load_config` reads; the GitLab, GitHub, Bitbucket and Azure
presets are registered by the git/CI work and tested there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

from .rules import CredentialRule

Preset = Callable[[Mapping[str, str]], list[CredentialRule]]

PRESETS: list[Preset] = []


def preset_rules(env: Mapping[str, str]) -> list[CredentialRule]:
    rules: list[CredentialRule] = []
    for preset in PRESETS:
        rules += preset(env)
    return rules
