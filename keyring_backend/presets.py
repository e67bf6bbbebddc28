"""CI presets: the fourth and last rule layer (DESIGN.md "Credential rules").

A preset turns the token a CI system hands a job into rules, with no configuration at all.
Each one contributes nothing unless its CI's own marker variable says the job runs there
*and* its token variable is non-empty; then it binds the token to that CI's own server only
(exact scheme, host and port; a path where the token belongs to one organisation). The rule
holds a reference (`${CI_JOB_TOKEN}`), never the value: the token is read when a client
asks, so nothing here ever sees it.

`PRESETS` is the order the layer is built in: GitLab CI, GitHub Actions, Bitbucket
Pipelines, Azure Pipelines. Matching is unchanged: the longest prefix wins, and a tie goes
to the earlier layer, so a rule of any other layer for the same or a longer prefix
overrides a preset.

A preset that cannot build a safe rule -- a server URL that is plain http to a non-loopback
host, or that carries userinfo, a query or a fragment -- contributes nothing and says why
at debug level, naming the variable but never its value: a CI variable nobody asked for
must not break, or warn on, every install in that job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Callable, Optional
from urllib.parse import urlsplit

from .errors import ConfigError
from .logs import quiet_logger
from .rules import CredentialRule, Layer, make_rule
from .urls import parse_location

Preset = Callable[[Mapping[str, str]], list[CredentialRule]]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Patterns as text, matched through re's own cache: compiled only in a CI job that sets a
# preset's variables, not at import (the core is imported by every pip process).
_HOSTNAME = rf"{_LABEL}(?:\.{_LABEL})*\.?"
_IPV6 = r"[0-9A-Fa-f:.]+"
_PORT = r"[0-9]{1,5}"
_AZURE_ORG = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_LEGACY_AZURE_HOST = rf"(?P<org>{_LABEL})\.visualstudio\.com"


def _is_set(env: Mapping[str, str], name: str) -> bool:
    return bool(env.get(name, "").strip())


def _is_true(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() == "true"


def _skip(origin: str, reason: str) -> list[CredentialRule]:
    log = quiet_logger()
    if log is not None:
        log.debug("private-packages: %s contributes no rule: %s", origin, reason)
    return []


def server_base(value: str) -> Optional[str]:
    """`scheme://host[:port][/path]` from a CI variable, trailing `/` removed; None for
    anything else. Userinfo, a query, a fragment, a backslash or a space mean the value is
    not the plain base URL the CI documents, so it is refused rather than guessed at
    (`https://gitlab.example.com@evil.io/` names the host `evil.io`)."""
    text = value.strip()
    if any(c in text for c in "@?#\\") or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or not (
            re.fullmatch(_HOSTNAME, host) or ("[" in parts.netloc and re.fullmatch(_IPV6, host))):
        return None
    return text.rstrip("/")


def _rules(origin: str, token_var: str, username: str, prefixes: Iterable[str],
           server_var: str) -> list[CredentialRule]:
    """One rule per prefix, each referencing `token_var`; `server_var` names where the
    prefixes came from, for the debug line when one is refused."""
    rules = []
    for prefix in prefixes:
        loc = parse_location(prefix)
        if loc is not None and loc.scheme == "http" and not loc.is_loopback:
            _skip(origin, f"{server_var} is plain http to {loc.host}; a preset sends its token "
                          "over https only (or http to a loopback host). Write an explicit "
                          "rule with allow_http = true if this network is trusted")
            continue
        try:
            rules.append(make_rule(prefix, username, "${" + token_var + "}", Layer.PRESET,
                                   origin))
        except ConfigError as exc:  # names the origin and the host, never a value
            _skip(origin, str(exc).removeprefix(f"{origin}: "))
    return rules


def gitlab_ci(env: Mapping[str, str]) -> list[CredentialRule]:
    """GitLab CI/CD: `CI_JOB_TOKEN` as user `gitlab-ci-token`, to the job's GitLab only.

    Active when `GITLAB_CI=true` and `CI_JOB_TOKEN` is non-empty. GitLab documents
    `CI_JOB_TOKEN` as the job token (valid only while the job runs), `CI_SERVER_URL` as
    "the base URL of the GitLab instance, including protocol and port" (plus a relative
    URL root when the instance has one, gitlab-org/gitlab#227508), `CI_SERVER_HOST` as
    the host without protocol or port and `CI_SERVER_PORT` as the port
    (docs.gitlab.com/ci/variables/predefined_variables).
    The job token authenticates to the package registry with Basic auth
    (docs.gitlab.com/user/packages/pypi_repository, "Authenticate with a CI/CD job token":
    user `gitlab-ci-token`) and clones repositories of the same instance
    (docs.gitlab.com/ci/jobs/ci_job_token), so the rule covers the whole server: the
    registry lives under `/api/v4/...` and repositories under `/<group>/<project>.git`.

    The server is `CI_SERVER_URL` when set, else `https://` + `CI_SERVER_HOST` (+ `:` +
    `CI_SERVER_PORT` when it is not 443). A `CI_SERVER_URL` that is set but unusable is not
    replaced by the host variables: conflicting answers about where the token may go
    mean nowhere.
    """
    origin = "GitLab CI preset (CI_JOB_TOKEN)"
    if not (_is_true(env, "GITLAB_CI") and _is_set(env, "CI_JOB_TOKEN")):
        return []
    if _is_set(env, "CI_SERVER_URL"):
        source, base = "CI_SERVER_URL", server_base(env["CI_SERVER_URL"])
        if base is None:
            return _skip(origin, "CI_SERVER_URL is not a base URL such as "
                                 "https://gitlab.example.com[:port]")
    elif _is_set(env, "CI_SERVER_HOST"):
        host, port = env["CI_SERVER_HOST"].strip(), env.get("CI_SERVER_PORT", "").strip()
        if not re.fullmatch(_HOSTNAME, host):
            return _skip(origin, "CI_SERVER_HOST is not a host name")
        if port and not re.fullmatch(_PORT, port):
            return _skip(origin, "CI_SERVER_PORT is not a port number")
        source = "CI_SERVER_HOST"
        base = f"https://{host}" + (f":{port}" if port and int(port) != 443 else "")
    else:
        return _skip(origin, "neither CI_SERVER_URL nor CI_SERVER_HOST is set")
    return _rules(origin, "CI_JOB_TOKEN", "gitlab-ci-token", [base], source)


def github_actions(env: Mapping[str, str]) -> list[CredentialRule]:
    """GitHub Actions: `GITHUB_TOKEN` as user `x-access-token`, to the workflow's GitHub only.

    Active when `GITHUB_ACTIONS=true` ("always set to true when GitHub Actions is running
    the workflow") and `GITHUB_TOKEN` is non-empty. GitHub does not put the token in the
    environment by itself: a workflow maps it, `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN
    }}` (docs.github.com/actions/security-guides/automatic-token-authentication). It is a
    GitHub App installation token, which authenticates git over HTTPS as user
    `x-access-token` (docs.github.com/apps, "Authenticating as a GitHub App installation":
    `git clone https://x-access-token:TOKEN@github.com/owner/repo.git`).

    Host: `GITHUB_SERVER_URL` ("the URL of the GitHub server", https://github.com or a GitHub
    Enterprise Server), https://github.com when absent. GitHub has no PyPI registry, so this
    is for git only (`git+https://github.com/...` through the git credential helper). The
    rule expresses that by binding that one server and nothing else: whatever else a client
    might ask it for there (pip consults keyring only after a 401), the token goes back
    only to the server that issued it. API and content hosts (`api.github.com`,
    `codeload.github.com`, `*.githubusercontent.com`) are other hosts and get nothing.
    """
    origin = "GitHub Actions preset (GITHUB_TOKEN)"
    if not (_is_true(env, "GITHUB_ACTIONS") and _is_set(env, "GITHUB_TOKEN")):
        return []
    base = server_base(env.get("GITHUB_SERVER_URL", "").strip() or "https://github.com")
    if base is None:
        return _skip(origin, "GITHUB_SERVER_URL is not a base URL such as https://github.com")
    return _rules(origin, "GITHUB_TOKEN", "x-access-token", [base], "GITHUB_SERVER_URL")


def bitbucket_pipelines(env: Mapping[str, str]) -> list[CredentialRule]:
    """Bitbucket Pipelines: `BITBUCKET_ACCESS_TOKEN` as user `x-token-auth`, to bitbucket.org.

    Active when `BITBUCKET_BUILD_NUMBER` (a default variable of every Pipelines build) and
    `BITBUCKET_ACCESS_TOKEN` are non-empty. Unlike GitLab, Pipelines puts no token for
    Bitbucket in a job's environment: its own clone and push-back go through a
    preconfigured origin (`BITBUCKET_GIT_HTTP_ORIGIN`), and its OIDC token
    (`BITBUCKET_STEP_OIDC_TOKEN`) is for other services. So this preset is defined around
    a variable the user creates: a repository, project or workspace access token stored
    as a *secured* repository or workspace variable named `BITBUCKET_ACCESS_TOKEN` (the
    name third-party pipes, such as testomat.io's reporter, already ask for).
    Access tokens authenticate git over HTTPS as user `x-token-auth`
    (support.atlassian.com/bitbucket-cloud/docs/using-access-tokens, and the project and
    workspace pages beside it:
    `git clone https://x-token-auth:{token}@bitbucket.org/{workspace}/{repository}.git`).
    User-scoped API tokens need your own username (or `x-bitbucket-api-token-auth`):
    write an explicit rule for those.

    Pipelines exists only on Bitbucket Cloud, and Bitbucket Cloud has no package registry:
    this is for git only, bound to https://bitbucket.org and nothing else.
    """
    origin = "Bitbucket Pipelines preset (BITBUCKET_ACCESS_TOKEN)"
    if not (_is_set(env, "BITBUCKET_BUILD_NUMBER") and _is_set(env, "BITBUCKET_ACCESS_TOKEN")):
        return []
    return _rules(origin, "BITBUCKET_ACCESS_TOKEN", "x-token-auth", ["https://bitbucket.org"],
                  "the Bitbucket Cloud URL")


def azure_prefixes(collection_uri: str) -> list[str]:
    """The prefixes an organisation's `System.AccessToken` is good for, from its collection
    URI: Azure Repos and the REST API under the collection, Azure Artifacts feeds on the
    `pkgs` host, both path-locked to the organisation.

    - `https://dev.azure.com/ORG/` -> `https://dev.azure.com/ORG`, `https://pkgs.dev.azure.com/ORG`
    - `https://ORG.visualstudio.com/` -> that host and `https://ORG.pkgs.visualstudio.com`
    - anything else (Azure DevOps Server, `https://tfs.example.com/tfs/DefaultCollection/`,
      whose feeds live under the collection) -> the collection URI itself.
    """
    base = server_base(collection_uri)
    if base is None:
        return []
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme.lower() == "https" and parts.port in (None, 443):
        if host == "dev.azure.com":
            if len(segments) != 1 or not re.fullmatch(_AZURE_ORG, segments[0]):
                return []
            return [f"https://dev.azure.com/{segments[0]}",
                    f"https://pkgs.dev.azure.com/{segments[0]}"]
        legacy = re.fullmatch(_LEGACY_AZURE_HOST, host)
        if legacy:
            return [f"https://{host}", f"https://{legacy['org']}.pkgs.visualstudio.com"]
    return [base]


def azure_pipelines(env: Mapping[str, str]) -> list[CredentialRule]:
    """Azure Pipelines: `SYSTEM_ACCESSTOKEN`, to the pipeline's own organisation only.

    Active when `TF_BUILD=True` (set on every agent job) and `SYSTEM_ACCESSTOKEN` is
    non-empty. `System.AccessToken` "carries the security token used by the running build";
    in YAML it "must be explicitly mapped" into a step's environment, `env:
    SYSTEM_ACCESSTOKEN: $(System.AccessToken)` (learn.microsoft.com/azure/devops/pipelines/
    build/variables#systemaccesstoken). Azure DevOps accepts it as the Basic password with
    any username, for Azure Repos and for Azure Artifacts feeds (docs.astral.sh/uv/guides/
    integration/azure: "a username must be included as well, but can be any string"); the
    preset sends `azure-pipelines`, which names where it came from in server logs.

    The organisation comes from `SYSTEM_COLLECTIONURI` (`System.CollectionUri`, e.g.
    https://dev.azure.com/fabrikam/), or `SYSTEM_TEAMFOUNDATIONCOLLECTIONURI` on older
    agents; see `azure_prefixes` for the prefixes each form gives.
    """
    origin = "Azure Pipelines preset (SYSTEM_ACCESSTOKEN)"
    if not (_is_true(env, "TF_BUILD") and _is_set(env, "SYSTEM_ACCESSTOKEN")):
        return []
    name = next((n for n in ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")
                 if _is_set(env, n)), None)
    if name is None:
        return _skip(origin, "neither SYSTEM_COLLECTIONURI nor "
                             "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI is set")
    prefixes = azure_prefixes(env[name])
    if not prefixes:
        return _skip(origin, f"{name} is not a collection URI such as "
                             "https://dev.azure.com/ORGANIZATION/")
    return _rules(origin, "SYSTEM_ACCESSTOKEN", "azure-pipelines", prefixes, name)


PRESETS: list[Preset] = [gitlab_ci, github_actions, bitbucket_pipelines, azure_pipelines]


def preset_rules(env: Mapping[str, str]) -> list[CredentialRule]:
    """Every active preset's rules, in `PRESETS` order."""
    rules: list[CredentialRule] = []
    for preset in PRESETS:
        rules += preset(env)
    return rules
