"""What each registry's URLs and credentials look like: one builder per registry preset.

A builder receives options that `registry_presets.build_preset` already validated and
normalised (`base` is `scheme://host[:port]` when the preset takes `--host`) and returns the
index URL, the upload URL, the prefix the rule binds, the username and a password
*reference*. Nothing here touches the network or a secret. Each builder's docstring cites
where the registry documents its URL shape and username.

The rule's prefix is the index URL minus `/simple` unless the registry serves its files
elsewhere: pip downloads files from the links in the simple pages, and a rule that does not
cover them would answer the index but leave every download unauthenticated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Optional, Union
from urllib.parse import quote

from .registry_hints import HINTS


@dataclass(frozen=True)
class PresetCommand:
    """A `[commands.NAME]` table for the user config: argv (no shell) and its ttl."""

    name: str
    argv: tuple[str, ...]
    ttl: str  # a config.parse_duration string: "11h", "4m"


@dataclass(frozen=True)
class RegistryPreset:
    """The index and the rule a preset describes; `password` is a reference, never a value."""

    name: str
    index_url: Optional[str]  # the simple index pip/poetry install from; None: git only
    upload_url: Optional[str]  # for twine / poetry publish; None when not offered
    rule_url: str  # the prefix the credential rule binds
    username: str
    password: str  # `${VAR}` or `${cmd:NAME}`
    command: Optional[PresetCommand] = None  # the user-config table `${cmd:NAME}` needs
    notes: tuple[str, ...] = ()  # what the user still has to do

    @property
    def is_git(self) -> bool:
        return self.index_url is None


Options = Mapping[str, str]
#: GitLab CI's job token variable: GitLab accepts it only with the user `gitlab-ci-token`.
GITLAB_JOB_VARIABLE = "CI_JOB_TOKEN"
Builder = Callable[[Options, Optional[str]], RegistryPreset]


@dataclass(frozen=True)
class PresetSpec:
    """One preset: `required` entries are option names, or tuples meaning "exactly one of"."""

    summary: str
    build: Builder
    required: tuple[Union[str, tuple[str, ...]], ...] = ()
    optional: tuple[str, ...] = ()
    example: str = ""
    default_host: Optional[str] = None
    hint: Optional[str] = None  # registry_hints key whose advice joins the notes
    aliases: tuple[str, ...] = field(default=())

    @property
    def takes(self) -> tuple[str, ...]:
        names: list[str] = []
        for entry in self.required:
            names += list(entry) if isinstance(entry, tuple) else [entry]
        return (*names, *self.optional)


def seg(value: str) -> str:
    """One URL path segment: `group/project` becomes `group%2Fproject` (GitLab's form)."""
    return quote(value, safe="")


def ref(variable: str) -> str:
    return "${" + variable + "}"


def hint_notes(key: Optional[str]) -> tuple[str, ...]:
    """What registry_hints says the token must be allowed (its 401/403 advice, reused)."""
    return (HINTS[key].access,) if key is not None else ()


def command_note(command: PresetCommand) -> str:
    return (f"${{cmd:{command.name}}} is only honoured from your user config or the "
            f"environment: put [commands.{command.name}] in your user config file "
            f"(its output is cached in memory for {command.ttl}, less than the token lives)")


def gitlab(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """GitLab project or group registry (docs.gitlab.com/user/packages/pypi_repository and
    docs.gitlab.com/api/packages/pypi): `/api/v4/projects/ID/packages/pypi/simple`, or
    `/api/v4/groups/ID/-/packages/pypi/simple`. A project's files are served below its
    prefix (`.../packages/pypi/files/SHA256/NAME`); a group's pages link each file below
    the project that holds it (`/api/v4/projects/ID/packages/pypi/files/...`), so a group
    rule binds `/api/v4`, the API of that one GitLab. Uploads go to a project only. An
    access token works with any username; CI_JOB_TOKEN needs `gitlab-ci-token`."""
    if "project" in o:
        root = f"{o['base']}/api/v4/projects/{seg(o['project'])}/packages/pypi"
        upload: Optional[str] = root
        bound = root
    else:
        root = f"{o['base']}/api/v4/groups/{seg(o['group'])}/-/packages/pypi"
        upload = None
        bound = f"{o['base']}/api/v4"
    variable = token_env or "GITLAB_TOKEN"
    user = o.get("user") or ("gitlab-ci-token" if variable == GITLAB_JOB_VARIABLE
                             else "__token__")
    notes = ["in GitLab CI on this server the built-in CI preset already sends CI_JOB_TOKEN "
             "as gitlab-ci-token"]
    if upload is None:
        notes.append("a group index takes no uploads: publish to one of its projects "
                     "(--project ID)")
    if upload is None:
        notes.append("the rule binds the server's /api/v4: the group's pages link files "
                     "under /api/v4/projects/ID/, the project each package lives in")
    return RegistryPreset("gitlab", f"{root}/simple", upload, bound, user, ref(variable),
                          notes=tuple(notes))


def github(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """GitHub, git only (no PyPI registry): a token authenticates git over HTTPS as user
    `x-access-token` (docs.github.com/apps, "Authenticating as a GitHub App installation");
    the rule binds one owner's repositories, `https://github.com/OWNER`."""
    root = f"{o['base']}/{seg(o['owner'])}"
    notes = (f"requirements: git+{root}/REPO.git@TAG with no token in the URL; "
             "`pip-private pin -r FILE` turns tags and branches into commit SHAs",
             "in GitHub Actions the built-in CI preset needs no rule: map GITHUB_TOKEN into "
             "the job's env")
    return RegistryPreset("github", None, None, root, o.get("user") or "x-access-token",
                          ref(token_env or "GITHUB_TOKEN"), notes=notes)


def bitbucket(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """Bitbucket Cloud, git only: repository, project and workspace access tokens clone as
    user `x-token-auth` (support.atlassian.com/bitbucket-cloud/docs/using-access-tokens)."""
    root = f"https://bitbucket.org/{seg(o['owner'])}"
    notes = (f"requirements: git+{root}/REPO.git@TAG with no token in the URL",
             "a personal API token needs your own username: add --user YOUR_USERNAME")
    return RegistryPreset("bitbucket", None, None, root, o.get("user") or "x-token-auth",
                          ref(token_env or "BITBUCKET_ACCESS_TOKEN"), notes=notes)


def artifactory(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """JFrog Artifactory (jfrog.com/help, "PyPI Repositories"): index
    `/artifactory/api/pypi/REPO/simple`, uploads to `/artifactory/api/pypi/REPO`; files are
    linked below the same prefix. The user is your Artifactory user, the password an
    identity or access token."""
    root = f"{o['base']}/artifactory/api/pypi/{seg(o['repository'])}"
    return RegistryPreset("artifactory", f"{root}/simple", root, root, o["user"],
                          ref(token_env or "ARTIFACTORY_TOKEN"))


def nexus(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """Sonatype Nexus (help.sonatype.com, "PyPI Repositories"): index
    `/repository/REPO/simple`, uploads (hosted repositories) to `/repository/REPO/`; files
    are linked as `../../packages/...` below the repository."""
    root = f"{o['base']}/repository/{seg(o['repository'])}"
    return RegistryPreset("nexus", f"{root}/simple", f"{root}/", root, o["user"],
                          ref(token_env or "NEXUS_PASSWORD"))


def codeartifact(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """AWS CodeArtifact (docs.aws.amazon.com/codeartifact/latest/ug/python-configure-pip.html,
    docs.astral.sh/uv/guides/integration/aws): `https://DOMAIN-OWNER.d.codeartifact.REGION.
    amazonaws.com/pypi/REPO/simple/`, user `aws`, a token from `aws codeartifact
    get-authorization-token`, valid 12 hours by default. The command is cached for 11 h so
    a cached token never outlives its expiry."""
    suffix = "amazonaws.com.cn" if o["region"].startswith("cn-") else "amazonaws.com"
    host = f"{o['domain']}-{o['owner']}.d.codeartifact.{o['region']}.{suffix}"
    root = f"https://{host}/pypi/{seg(o['repository'])}"
    if token_env is not None:  # a token minted elsewhere (CI), e.g. CODEARTIFACT_AUTH_TOKEN
        return RegistryPreset("codeartifact", f"{root}/simple/", f"{root}/", root, "aws",
                              ref(token_env))
    command = PresetCommand(
        f"codeartifact-{o['domain']}-{o['owner']}",
        ("aws", "codeartifact", "get-authorization-token", "--domain", o["domain"],
         "--domain-owner", o["owner"], "--region", o["region"],
         "--query", "authorizationToken", "--output", "text"), "11h")
    return RegistryPreset("codeartifact", f"{root}/simple/", f"{root}/", root, "aws",
                          ref(f"cmd:{command.name}"), command, (command_note(command),))


def gar(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """Google Artifact Registry (cloud.google.com/artifact-registry/docs/python/
    authentication, "Password authentication"): `https://LOCATION-python.pkg.dev/PROJECT/
    REPO/simple/`, user `oauth2accesstoken`, password `gcloud auth print-access-token`.
    gcloud hands out a cached token until it has less than 300 s left
    (googlecloudsdk/core/credentials/store.py, `_CREDENTIALS_EXPIRY_WINDOW`), so the only
    lifetime it promises is 5 minutes: cache it for 4."""
    root = f"https://{o['location']}-python.pkg.dev/{seg(o['project'])}/{seg(o['repository'])}"
    command = None if token_env else PresetCommand(
        "gcloud-access-token", ("gcloud", "auth", "print-access-token"), "4m")
    if command is None:
        return RegistryPreset("gar", f"{root}/simple/", f"{root}/", root, "oauth2accesstoken",
                              ref(str(token_env)))
    return RegistryPreset("gar", f"{root}/simple/", f"{root}/", root, "oauth2accesstoken",
                          ref(f"cmd:{command.name}"), command, (command_note(command),))


def azure(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """Azure Artifacts (learn.microsoft.com/azure/devops/artifacts/quickstarts/python-packages;
    docs.astral.sh/uv/guides/integration/azure): `https://pkgs.dev.azure.com/ORG[/PROJECT]/
    _packaging/FEED/pypi/simple/`, uploads to `.../pypi/upload/`, any non-empty username
    with a PAT. The simple pages link files through the feed's and project's ids, not their
    names, so the rule binds the organisation, which is also all a PAT can reach."""
    org = f"https://pkgs.dev.azure.com/{seg(o['organization'])}"
    scope = f"{org}/{seg(o['project'])}" if o.get("project") else org
    root = f"{scope}/_packaging/{seg(o['feed'])}/pypi"
    notes = ("in Azure Pipelines the built-in CI preset needs no rule: map SYSTEM_ACCESSTOKEN: "
             "$(System.AccessToken) into the step's env",)
    return RegistryPreset("azure", f"{root}/simple/", f"{root}/upload/", org,
                          o.get("user") or "azure", ref(token_env or "AZURE_DEVOPS_TOKEN"),
                          notes=notes)


def gemfury(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """Gemfury (gemfury.com/help/pypi-server): `https://pypi.fury.io/ACCOUNT/`, the token as
    the *username*; the password is ignored (Gemfury's Poetry guide passes `NOPASS`). A rule
    needs a password, and a literal one would look hard-coded to `pip-private scan`, so the
    token is sent as both."""
    root = f"https://pypi.fury.io/{seg(o['account'])}"
    token = ref(token_env or "GEMFURY_TOKEN")
    notes = ("use a pull (deploy) token; publishing needs a push token and goes to "
             f"https://push.fury.io/{seg(o['account'])}/, which this rule does not cover",)
    return RegistryPreset("gemfury", f"{root}/", None, root, token, token, notes=notes)


def pypiserver(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """pypiserver (github.com/pypiserver/pypiserver): `/simple/` and `/packages/` at its root
    (or below `--path` behind a proxy), uploads to the root; users from its htpasswd file."""
    root = o["base"] + o.get("path", "")
    return RegistryPreset("pypiserver", f"{root}/simple/", f"{root}/", root, o["user"],
                          ref(token_env or "PYPISERVER_PASSWORD"))


def devpi(o: Options, token_env: Optional[str]) -> RegistryPreset:
    """devpi (doc.devpi.net, "Quickstart: uploading, testing, pushing releases"): index
    `/USER/INDEX/+simple/`, uploads to `/USER/INDEX/`, files below `/USER/INDEX/+f/`."""
    root = f"{o['base']}/{o['index']}"
    notes = ("devpi serves downloads without login unless a plugin such as devpi-lockdown "
             "protects them; files inherited from a base index live under that index's path",)
    return RegistryPreset("devpi", f"{root}/+simple/", f"{root}/", root, o["user"],
                          ref(token_env or "DEVPI_PASSWORD"), notes=notes)


SPECS: dict[str, PresetSpec] = {
    "gitlab": PresetSpec("GitLab project or group package registry", gitlab,
                         (("project", "group"),), ("host", "user"),
                         "--host gitlab.example.com --project 29", "gitlab.com", "gitlab"),
    "github": PresetSpec("GitHub repositories over git (no PyPI registry)", github,
                         ("owner",), ("host", "user"), "--owner acme", "github.com", "github"),
    "bitbucket": PresetSpec("Bitbucket Cloud repositories over git", bitbucket, ("owner",),
                            ("user",), "--owner acme-workspace"),
    "artifactory": PresetSpec("JFrog Artifactory PyPI repository", artifactory,
                              ("host", "repository", "user"), (),
                              "--host acme.jfrog.io --repository pypi-local --user ci-bot",
                              hint="artifactory"),
    "nexus": PresetSpec("Sonatype Nexus PyPI repository", nexus,
                        ("host", "repository", "user"), (),
                        "--host nexus.example.com --repository pypi-internal --user ci-bot",
                        hint="nexus"),
    "codeartifact": PresetSpec("AWS CodeArtifact repository (token from the aws CLI)",
                               codeartifact, ("domain", "owner", "region", "repository"), (),
                               "--domain acme --owner 123456789012 --region eu-west-1 "
                               "--repository internal", hint="codeartifact"),
    "gar": PresetSpec("Google Artifact Registry Python repository (token from gcloud)", gar,
                      ("location", "project", "repository"), (),
                      "--location europe-west1 --project acme-prod --repository python",
                      hint="google", aliases=("google",)),
    "azure": PresetSpec("Azure Artifacts feed", azure, ("organization", "feed"),
                        ("project", "user"), "--organization acme --project web --feed internal",
                        hint="azure"),
    "gemfury": PresetSpec("Gemfury account", gemfury, ("account",), (), "--account acme",
                          hint="gemfury"),
    "pypiserver": PresetSpec("pypiserver", pypiserver, ("host", "user"), ("path",),
                             "--host pypi.example.com --user deploy-bot"),
    "devpi": PresetSpec("devpi index", devpi, ("host", "index", "user"), (),
                        "--host devpi.example.com --index team/prod --user ci-bot"),
}
