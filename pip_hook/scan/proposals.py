"""The secret-free form `pip-private scan` proposes for each finding.

A proposal is concrete: the same line without the credential, plus the
`[[tool.private-packages.credentials]]` rule that gives the credential back from a secret
(DESIGN.md "Credential rules"). The rule's variable is named after the host
(`GITLAB_TOKEN`, `ARTIFACTORY_EXAMPLE_COM_TOKEN`), and where a CI preset already covers the
host, a note says so. Nothing here sees a secret: every input is a URL part, a host or a
username that `rules` judged not to be one.
"""

from __future__ import annotations

import re
from typing import Optional
from urllib.parse import unquote

from .rules import UrlCredential, UrlParts

# Where a file of this kind would otherwise be fetched from: the last path segment of a
# find-links or direct URL names a file, and the rule binds the folder that holds it.
_FILE_SUFFIX = re.compile(r"\.(?:whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz|egg|html?|txt|json)$",
                          re.IGNORECASE)
_PYPI_HOSTS = frozenset({"pypi.org", "test.pypi.org", "upload.pypi.org",
                         "test.upload.pypi.org", "files.pythonhosted.org"})

# Where a CI preset (keyring_backend/presets.py) already binds the CI's token to this host.
_CI_NOTES = {
    "github": "in GitHub Actions the built-in preset needs no rule at all: map GITHUB_TOKEN "
              "into the job's env (secrets.GITHUB_TOKEN reads only the workflow's own "
              "repository; for another one, map a token that can read it)",
    "gitlab": "in GitLab CI on this server the built-in preset needs no rule at all: it "
              "sends CI_JOB_TOKEN as gitlab-ci-token (allow the job's project under CI/CD "
              "> Job token permissions)",
    "bitbucket": "in Bitbucket Pipelines the built-in preset needs no rule at all: store "
                 "the token as the secured variable BITBUCKET_ACCESS_TOKEN",
    "azure": "in Azure Pipelines of this organisation the built-in preset needs no rule at "
             "all: map SYSTEM_ACCESSTOKEN: $(System.AccessToken) into the step's env",
}
ADD_RULE = "and add to pyproject.toml:"


def service_of(host: str) -> str:
    """`github`, `gitlab`, `bitbucket`, `azure`, `pypi`, or "" for any other host."""
    labels = host.lower().split(".")
    if host in _PYPI_HOSTS:
        return "pypi"
    if host == "dev.azure.com" or host.endswith((".dev.azure.com", ".visualstudio.com")):
        return "azure"
    for name in ("github", "gitlab", "bitbucket"):
        # github.com, github.acme.com (Enterprise Server), gitlab.example.com
        if any(label == name or label.startswith(name + "-") for label in labels[:-1]):
            return name
    return ""


def token_variable(host: str, username: str = "") -> str:
    """The environment variable a proposal names for `host`'s token."""
    service = service_of(host)
    if service == "gitlab" and username == "gitlab-ci-token":
        return "CI_JOB_TOKEN"  # the only password GitLab accepts for that user
    named = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "pypi": "PYPI_TOKEN",
             "bitbucket": "BITBUCKET_ACCESS_TOKEN", "azure": "AZURE_DEVOPS_TOKEN"}
    if service in named:
        return named[service]
    label = re.sub(r"[^A-Za-z0-9]+", "_", host).strip("_").upper() or "INDEX"
    return ("HOST_" if label[0].isdigit() else "") + label + "_TOKEN"


def proposed_username(host: str, written: str, vcs: bool) -> str:
    """The username the file used (decoded) unless it is empty; else the host's usual one.
    Callers pass "" for a username that is really a token."""
    if written:
        return unquote(written)
    service = service_of(host)
    if service == "gitlab":
        return "oauth2" if vcs else "__token__"
    return {"github": "x-access-token", "bitbucket": "x-token-auth",
            "azure": "azure-devops"}.get(service, "__token__")


def rule_prefix(parts: UrlParts, vcs: bool) -> str:
    """The URL prefix a rule binds: the organisation for a repository, the index root
    (without `/simple`, so GitLab's `/files/` beside it is covered), or the folder of a file."""
    scheme = parts.scheme.lower().rpartition("+")[2]
    path = re.split(r"[?#]", parts.rest, maxsplit=1)[0]
    segments = [s for s in path.split("/") if s]
    if vcs:
        segments = segments[:1]
    elif segments and (segments[-1] == "simple" or _FILE_SUFFIX.search(segments[-1])):
        segments.pop()
    tail = "/" + "/".join(segments) if segments else ""
    return f"{scheme}://{parts.hostport.lower()}{tail}"


def toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def rule_toml(url: str, username: str, password: str) -> str:
    return "\n".join(["[[tool.private-packages.credentials]]", f"url = {toml_string(url)}",
                      f"username = {toml_string(username)}",
                      f"password = {toml_string(password)}"])


def ci_note(host: str) -> Optional[str]:
    service = service_of(host)
    if service == "bitbucket" and host != "bitbucket.org":
        return None  # the preset is Bitbucket Cloud's; a Bitbucket Server needs the rule
    return _CI_NOTES.get(service)


def url_proposal(line: str, span: tuple[int, int], cred: UrlCredential, *, vcs: bool,
                 offer_reference: bool, secret_file: bool = False) -> str:
    """The line without the credential plus the rule; with `offer_reference` (requirements
    files, which pip and pip-private expand) first the same line with `${VAR}` in it.
    `secret_file` (Dockerfiles) reads the token from a BuildKit secret mount instead."""
    parts = cred.parts
    start, end = span
    written = "" if cred.token_user else cred.username
    username = proposed_username(parts.host, written, vcs)
    variable = token_variable(parts.host, username)
    lines: list[str] = []
    bare = (line[:start] + parts.with_userinfo(None) + line[end:]).strip()
    if offer_reference and not vcs:
        referenced = parts.with_userinfo(f"{written or username}:${{{variable}}}")
        lines += [(line[:start] + referenced + line[end:]).strip(),
                  "or, better, with no credential in the file:"]
    password = f"${{{variable}}}"
    if secret_file:
        secret_id = variable.lower()
        password = f"${{file:/run/secrets/{secret_id}}}"
    lines += [bare, ADD_RULE, rule_toml(rule_prefix(parts, vcs), username, password)]
    if secret_file:
        lines.append(f"and mount the secret for that step only: RUN --mount=type=secret,"
                     f"id={secret_id} ... (docker build --secret id={secret_id},"
                     f"env={variable} .)")
    note = ci_note(parts.host)
    if note:
        lines.append(note)
    return "\n".join(lines)


def lock_proposal(cred: UrlCredential, *, vcs: bool, tool: str) -> str:
    """A lock file only records what pyproject.toml (or a requirement) said: fix it there.
    `tool`: the command that locks again (`poetry lock`, `uv lock`, `pip lock ...`)."""
    parts = cred.parts
    username = proposed_username(parts.host, "" if cred.token_user else cred.username, vcs)
    variable = token_variable(parts.host, username)
    source = "pyproject.toml" if tool in ("uv lock", "poetry lock") else \
        "the requirements file or pyproject.toml it was made from"
    lines = [f"the lock was made from a credentialed URL: write it without the credential "
             f"in {source} ({parts.with_userinfo(None)}), then run `{tool}`",
             ADD_RULE, rule_toml(rule_prefix(parts, vcs), username, f"${{{variable}}}")]
    note = ci_note(parts.host)
    if note:
        lines.append(note)
    return "\n".join(lines)


def url_message(cred: UrlCredential, where: str = "the URL") -> str:
    what = "password" if cred.has_password and not cred.token_user else "token"
    return (f"hard-coded {what} in {where} for {cred.parts.host} "
            f"(userinfo {cred.shown_userinfo})")
