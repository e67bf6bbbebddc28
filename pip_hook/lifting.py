"""Take credentials out of the URLs of a rendered requirements line (DESIGN.md: no secret
in any process's argv, pip's nested build-dependency install included).

pip hands a `git+` URL to git, whose argv and `.git/config` any local user can read, and
passes index and find-links URLs to the `pip install` it runs for build isolation
(`-i URL`, `--find-links URL`). So a URL's userinfo becomes an in-memory rule instead
(`LiftedCredential.rule_env`, an env-defined rule whose values sit in pip's environment,
which only your own user can read), and pip sees the URL without it:
- `git+http(s)://`: bound to the repository URL; git asks `git-credential-private-packages`.
- `http(s)://` (when pip asks our backend, `urls=True`): bound to the URL's origin --
  scheme, host and port -- the place pip itself sends a URL's credential to (per netloc),
  minus the other scheme and ports. pip asks the backend after the server's 401 and gets
  it back; where pip runs with the guard (guard.py), it stays within that origin.
- `hg+`, `svn+`, `bzr+`: those tools get the URL's credential in their argv and no helper
  of ours can answer them: refused (`refused` names the scheme).
- A username that decodes to text with a `:` (`deploy%3Abot`): HTTP Basic cannot carry it
  (RFC 7617), so it is refused too (`colon_username`), as it is in a rule.
- A URL that clients read as different hosts (`http://EVIL\\@GOOD/`: keyring_backend/urls.py)
  is refused (`unclear`): which host it binds would be a guess.
Scheme names are case-insensitive, as pip reads them (`Git+Http://` is `git+http://`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from keyring_backend.records import field, record
from keyring_backend.urls import parse_location

_URL_USERINFO = re.compile(
    r"(?<![A-Za-z0-9+.-])(?P<vcs>(?:git|hg|svn|bzr)\+)?(?P<scheme>https?)://"
    r"(?P<userinfo>[^/@\s]+)@(?P<host>[^/\s?#@]+)(?P<path>[^\s?#]*)", re.IGNORECASE)


@record(frozen=True)
class LiftedCredential:
    """A credential taken out of a URL, for an env-defined rule."""

    url: str  # the prefix it binds: a git repository URL, or an origin
    username: str = field(repr=False)  # may be a token (`https://TOKEN@host`)
    password: str = field(repr=False)

    def rule_env(self, rule_prefix: str, value_prefix: str) -> dict[str, str]:
        """An env-defined rule (config.py) for this credential. The values sit in
        variables of their own (`<value_prefix>USER`/`TOKEN`), so the rule itself holds
        references only, like every rule. An empty password (`https://TOKEN@host`, a
        registry that takes the token as the username) is written `${NAME:-}`, which
        store.py sends as it is."""
        empty = ":-" if not self.password else ""
        env = {f"{rule_prefix}URL": self.url,
               f"{rule_prefix}USERNAME": "${" + value_prefix + "USER}",
               f"{rule_prefix}PASSWORD": "${" + value_prefix + "TOKEN" + empty + "}",
               f"{value_prefix}USER": self.username,
               f"{value_prefix}TOKEN": self.password}
        if self.url.startswith("http:"):  # the user's own URL already used http
            env[f"{rule_prefix}ALLOW_HTTP"] = "true"
        return env


@record
class Lifted:
    text: str = field(repr=False)
    git: list[LiftedCredential] = field(default_factory=list)
    urls: list[LiftedCredential] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "svn+https", ...
    colon_username: bool = False  # a username with `:` was left in place
    unclear: bool = False  # a URL clients read as different hosts was left in place


def lift_credentials(text: str, *, urls: bool) -> Lifted:
    """Take the userinfo out of every `git+http(s)://` URL of `text`, and of every
    `http(s)://` URL when `urls` (module docstring)."""
    result = Lifted(text)

    def lift(match: re.Match[str]) -> str:
        vcs = (match["vcs"] or "").lower()
        scheme = match["scheme"].lower()
        userinfo, host, path = match.group("userinfo", "host", "path")
        if vcs and vcs != "git+":
            result.refused.append(f"{vcs}{scheme}")
            return match.group(0)
        if parse_location(f"{scheme}://{userinfo}@{host}{path}") is None:
            result.unclear = True
            return match.group(0)
        if not vcs and not urls:
            return match.group(0)
        user, colon, password = userinfo.partition(":")
        user, password = unquote(user), unquote(password)
        if ":" in user:
            result.colon_username = True
            return match.group(0)
        if vcs:
            # A token alone (`https://TOKEN@host`) becomes both username and password:
            # hosts that accept a token as the username (GitHub, Azure DevOps) ignore the
            # username when the password is a token, and GitLab needs it as the password.
            repository = path.rsplit("@", 1)[0] if "@" in path else path
            result.git.append(LiftedCredential(f"{scheme}://{host}{repository}", user,
                                               password if colon else user))
        else:
            result.urls.append(LiftedCredential(f"{scheme}://{host}", user, password))
        return f"{vcs}{scheme}://{host}{path}"

    result.text = _URL_USERINFO.sub(lift, text)
    return result
