"""`poetry publish` failures the registry explains, in one line that says what to do.

Poetry reports a refused upload as `HTTP Error 409: Conflict | b'<the whole HTML page>'`.
The two refusals CI pipelines meet are turned into one line each (the exit code stays
poetry's):

- the version already exists (409 from GitLab, pypiserver, Nexus; 400 "File already
  exists" from PyPI and Artifactory): registries never overwrite a release, so bump it;
- the credential was rejected (401, or 403 without "exists"): name the repository and the
  command that shows where its credential comes from.

Anything else keeps poetry's own message. No credential can be in these lines: they are
built from the status, the repository name and the project's own name and version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from cleo.events.console_error_event import ConsoleErrorEvent

PREFIX = "private-packages:"


def explain_publish_error(event: ConsoleErrorEvent) -> None:
    """Replace a refused upload's error with one clear line, when the response says why."""
    from poetry.publishing.uploader import UploadError

    error = event.error
    response = getattr(error.__cause__, "response", None)
    if not isinstance(error, UploadError) or response is None:
        return
    line = refusal_line(int(response.status_code), str(getattr(response, "reason", "")),
                        _text(response), _repository(event), _release(event))
    if line is not None:
        event.set_error(UploadError(line))


def refusal_line(status: int, reason: str, body: str, repository: str,
                 release: str) -> Optional[str]:
    text = body.lower()
    # "File already exists" (PyPI, Artifactory), "already exists" (Nexus); never the
    # "Project does not exist" of a wrong URL or a missing permission.
    exists = ("already exist" in text or "file exists" in text) and "not exist" not in text
    code = f"HTTP {status}{' ' + reason if reason else ''}"
    if status == 409 or (status in (400, 403) and exists):
        return (f"{PREFIX} {release} is already on '{repository}' ({code}): registries never "
                f"overwrite a release; run `poetry source bump {repository} patch`, build "
                "and publish again (or --skip-existing to upload only the missing files)")
    if status in (401, 403):
        return (f"{PREFIX} '{repository}' rejected the credential ({code}): the token is "
                "wrong, expired or lacks write access (`poetry -vvv publish` names the rule "
                "it came from)")
    return None


def _text(response: Any) -> str:
    try:
        return str(response.text)[:4096]
    except Exception:  # noqa: BLE001 -- an undecodable body just says nothing
        return ""


def _repository(event: ConsoleErrorEvent) -> str:
    try:
        return str(event.io.input.option("repository") or "pypi")
    except Exception:  # noqa: BLE001 -- the option is poetry's; never mask the real error
        return "the repository"


def _release(event: ConsoleErrorEvent) -> str:
    try:
        package = event.command.poetry.package  # type: ignore[attr-defined]
        return f"{package.pretty_name} {package.version}"
    except Exception:  # noqa: BLE001
        return "this version"
