"""`PrivatePackagesPlugin`: the entry point poetry loads in every process.

Poetry imports this module and calls `activate` before it runs any command, so the module
imports nothing of its own beyond poetry's plugin base class (already imported by poetry's
plugin manager): commands are registered as factories that import their module when the
command runs, and the credential hook imports `hook.py` only for a command it serves.
Poetry's own commands are never removed or changed.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable

from poetry.plugins.application_plugin import ApplicationPlugin

if TYPE_CHECKING:
    from cleo.commands.command import Command
    from cleo.events.event import Event
    from cleo.events.event_dispatcher import EventDispatcher
    from poetry.console.application import Application

# command name -> (module in poetry_private_plugin.commands, class)
COMMANDS: dict[str, tuple[str, str]] = {
    "source auth": ("auth", "SourceAuthCommand"),
    "source check": ("check", "SourceCheckCommand"),
    "source login": ("login", "SourceLoginCommand"),
    "source logout": ("login", "SourceLogoutCommand"),
    "source bump": ("bump", "SourceBumpCommand"),
    "source trust": ("trust", "SourceTrustCommand"),
}

# Poetry commands that talk to package sources (or a publish repository): the hook resolves
# their credentials before they run. `show` and `self show` only with --outdated or
# --latest (hook.py checks that). `remove` and `self remove` re-lock; `debug resolve`
# resolves. `export` (poetry-plugin-export) resolves nothing: with --with-credentials it
# writes each rule's references instead of values (export.py).
HOOKED = frozenset({"install", "sync", "lock", "add", "update", "remove", "show", "search",
                    "publish", "export", "debug resolve", "self add", "self install",
                    "self update", "self sync", "self remove", "self lock", "self show"})

# Before poetry's own listeners (default priority 0): an unresolvable reference stops the
# command before poetry creates an environment or starts resolving.
HOOK_PRIORITY = 100


def command_factory(module: str, name: str) -> Callable[[], Command]:
    def factory() -> Command:
        command_class: Callable[[], Command] = getattr(
            import_module(f"poetry_private_plugin.commands.{module}"), name)
        return command_class()

    return factory


class PrivatePackagesPlugin(ApplicationPlugin):
    """`poetry source auth|check|login|logout|bump|trust` and the credential hook."""

    def activate(self, application: Application) -> None:
        for command, (module, name) in COMMANDS.items():
            application.command_loader.register_factory(command, command_factory(module, name))
        dispatcher = application.event_dispatcher
        if dispatcher is None:  # pragma: no cover - poetry always sets one
            return
        from cleo.events.console_events import COMMAND, ERROR, TERMINATE

        dispatcher.add_listener(COMMAND, on_command, priority=HOOK_PRIORITY)
        dispatcher.add_listener(ERROR, on_error)
        dispatcher.add_listener(TERMINATE, on_terminate)


def on_command(event: Event, event_name: str, dispatcher: EventDispatcher) -> None:
    from cleo.events.console_command_event import ConsoleCommandEvent

    if isinstance(event, ConsoleCommandEvent) and event.command.name in HOOKED:
        from .hook import authenticate_command

        authenticate_command(event)


def on_error(event: Event, event_name: str, dispatcher: EventDispatcher) -> None:
    from cleo.events.console_error_event import ConsoleErrorEvent

    if isinstance(event, ConsoleErrorEvent) and event.command.name == "publish":
        from .publish_errors import explain_publish_error

        explain_publish_error(event)


def on_terminate(event: Event, event_name: str, dispatcher: EventDispatcher) -> None:
    # The hook disables a command it refused (cleo then reports 113); exit 2 as DESIGN says.
    hook: Any = sys.modules.get("poetry_private_plugin.hook")
    if hook is not None:
        hook.finish_command(event)
