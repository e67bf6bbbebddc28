"""What each hosted registry expects, recognised from an index URL's host or path.

`probe_index` adds these hints to its explanation of a 401, 403 or 404, so a user who has
never debugged this learns which username the registry wants, which scope the token needs,
how long such tokens live and what the index URL must look like. Recognition is by URL only
(no request): host names for the hosted services, path shapes for self-hosted servers.
"""

from __future__ import annotations

import re
from typing import Callable, Optional
from urllib.parse import urlsplit

from .records import record


@record(frozen=True)
class RegistryHint:
    """Advice for one registry; every text is a complete sentence or two."""

    key: str  # stable identifier: "gitlab", "codeartifact"...
    name: str
    credential: str  # which username and token the registry expects (for a 401)
    access: str  # what the token or its user must be allowed (for a 403)
    url_shape: str  # what the index URL looks like (for a 404)
    expiry: str = ""  # set when the registry's tokens are short-lived
    username: str = ""  # the username to suggest in a new rule ("" = the generic `__token__`)


_GITLAB_API = re.compile(r"/api/v4/(projects|groups)/[^/]+/(-/)?packages/pypi(/|$)")
_CODEARTIFACT = re.compile(r"\.d\.codeartifact\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")

HINTS: dict[str, RegistryHint] = {hint.key: hint for hint in (
    RegistryHint(
        "gitlab", "GitLab",
        "GitLab: a personal, project or group access token works with any username "
        "(`__token__` is customary); CI_JOB_TOKEN needs the username `gitlab-ci-token`; a "
        "deploy token needs its own username (`gitlab+deploy-token-N`). The token needs the "
        "`read_api` or `read_package_registry` scope.",
        "GitLab: an access token needs the `read_api` scope, a deploy token "
        "`read_package_registry`; its user needs the Reporter role (or higher) on the project; "
        "a CI job token of another project must be on this project's job token allowlist.",
        "GitLab: the index is https://HOST/api/v4/projects/<project id>/packages/pypi/simple "
        "or https://HOST/api/v4/groups/<group id>/-/packages/pypi/simple. GitLab answers 404 "
        "instead of 401/403 for a private project when the credential is missing or lacks "
        "access, so a 404 may also be a credential problem.",
        username="__token__",
    ),
    RegistryHint(
        "github", "GitHub",
        "GitHub: send the token as the password with the username `x-access-token`.",
        "GitHub: the token needs read access to the repository (fine-grained token: "
        "Contents read; classic token: `repo`); Actions' GITHUB_TOKEN only reaches the "
        "workflow's own repository unless granted more.",
        "GitHub: check the owner and repository name; GitHub answers 404 for a private "
        "repository the credential cannot see.",
        username="x-access-token",
    ),
    RegistryHint(
        "artifactory", "Artifactory",
        "Artifactory: use your Artifactory username (or email) with an identity token, access "
        "token or API key as the password; API keys are deprecated and may have been revoked.",
        "Artifactory: the user or token needs Read permission on this repository (a "
        "permission target that includes it).",
        "Artifactory: the index is https://HOST/artifactory/api/pypi/<repository key>/simple; "
        "check the repository key (case-sensitive) and the `/api/pypi/` part.",
        username="your-artifactory-user",
    ),
    RegistryHint(
        "nexus", "Nexus",
        "Nexus: use a Nexus user and password, or a user token (name code as username, pass "
        "code as password).",
        "Nexus: the user needs the nx-repository-view-pypi-<repository>-read privilege; "
        "Nexus may answer 403 instead of 401 for a wrong or missing credential.",
        "Nexus: the index is https://HOST/repository/<repository name>/simple; check the name "
        "and that it is a PyPI (hosted, proxy or group) repository.",
        username="your-nexus-user",
    ),
    RegistryHint(
        "codeartifact", "AWS CodeArtifact",
        "CodeArtifact: the username must be `aws` and the password a token from `aws "
        "codeartifact get-authorization-token --domain D --domain-owner ACCOUNT --query "
        "authorizationToken --output text`.",
        "CodeArtifact: the IAM identity needs codeartifact:GetAuthorizationToken, "
        "codeartifact:ReadFromRepository and sts:GetServiceBearerToken, and the repository "
        "policy must not deny it.",
        "CodeArtifact: the index is https://DOMAIN-ACCOUNT.d.codeartifact.REGION.amazonaws.com"
        "/pypi/REPOSITORY/simple/ (`aws codeartifact get-repository-endpoint --format pypi`).",
        "CodeArtifact tokens last 12 hours at most: this one has probably expired, mint a new "
        "one.",
        username="aws",
    ),
    RegistryHint(
        "google", "Google Artifact Registry",
        "Google Artifact Registry: use the username `oauth2accesstoken` with the output of "
        "`gcloud auth print-access-token`, or `_json_key_base64` with a base64-encoded "
        "service-account key.",
        "Google Artifact Registry: the account needs roles/artifactregistry.reader on the "
        "repository or its project.",
        "Google Artifact Registry: the index is "
        "https://LOCATION-python.pkg.dev/PROJECT/REPOSITORY/simple/.",
        "Google access tokens expire after 1 hour: this one has probably expired, mint a "
        "new one.",
        username="oauth2accesstoken",
    ),
    RegistryHint(
        "azure", "Azure Artifacts",
        "Azure Artifacts: any non-empty username works; the password is a personal access "
        "token (PAT) with the Packaging (Read) scope, from the feed's organization. PATs "
        "expire: check its expiry date.",
        "Azure Artifacts: the PAT needs the Packaging (Read) scope and its user the Feed "
        "Reader role; in Pipelines the build service identity needs access to the feed.",
        "Azure Artifacts: the index is https://pkgs.dev.azure.com/ORG/PROJECT/_packaging/FEED"
        "/pypi/simple/ (PROJECT only for a project-scoped feed).",
        username="azure",
    ),
    RegistryHint(
        "gemfury", "Gemfury",
        "Gemfury: the token is the username and the password is empty; use a pull (deploy) "
        "token of this account.",
        "Gemfury: use a pull (deploy) token of this account; another account's token is "
        "refused.",
        "Gemfury: the index is https://pypi.fury.io/ACCOUNT/; check the account name.",
    ),
)}

_RECOGNISERS: list[tuple[str, Callable[[str, str], bool]]] = [
    ("codeartifact", lambda host, path: bool(_CODEARTIFACT.search(host))),
    ("google", lambda host, path: host.endswith("-python.pkg.dev")),
    ("azure", lambda host, path: host == "pkgs.dev.azure.com"
        or host.endswith(".pkgs.visualstudio.com")),
    ("gemfury", lambda host, path: host == "fury.io" or host.endswith(".fury.io")),
    ("github", lambda host, path: host in ("github.com", "api.github.com")
        or host.endswith((".github.com", ".githubusercontent.com"))),
    ("gitlab", lambda host, path: bool(_GITLAB_API.search(path))
        or "gitlab" in host.split(".")),
    ("artifactory", lambda host, path: path.startswith("/artifactory/")
        or host.endswith(".jfrog.io")),
    ("nexus", lambda host, path: "nexus" in host.split(".")
        or bool(re.match(r"/repository/[^/]+/simple(/|$)", path))),
]


def registry_hint(url: str) -> Optional[RegistryHint]:
    """The hint for the registry `url` belongs to, or None when it is not recognised."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    for key, recognise in _RECOGNISERS:
        if recognise(host, parts.path):
            return HINTS[key]
    return None
