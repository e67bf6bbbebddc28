"""The words of `probe_index`: turn what an index answered into a summary line and a fix.

Written for someone who has never debugged an index credential: each fix says what the
status means *here* (was a credential sent? did a redirect drop it?) and what to change,
with the registry's own rules when the URL reveals which registry it is (`registry_hints`).
Nothing here ever sees a password; the username arrives already made safe to show.
"""

from __future__ import annotations

import http
import re
from typing import Optional

from .errors import IndexUnreachable
from .http import Response
from .records import record
from .registry_hints import RegistryHint, registry_hint
from .secret import MASK

_FORM = re.compile(rb"<form\b|<input[^>]+type\s*=\s*[\"']?password", re.IGNORECASE)
_REALM = re.compile(r"""realm\s*=\s*(?:"([^"]*)"|([^\s,]+))""", re.IGNORECASE)
_INDEX_TYPES = ("application/vnd.pypi.simple.v1+json", "application/json", "text/html")


@record(frozen=True)
class Facts:
    """What happened: `sent` = a credential was given, `forwarded` = it reached the server
    that answered (a redirect out of `scope`, where the credential may go, drops it), `who`
    = the displayable user."""

    root: str
    tried: tuple[str, ...]
    response: Response
    sent: bool
    forwarded: bool
    who: str
    rule: Optional[str]
    scope: str = ""  # the rule's prefix, else the index's origin (http.fetch)
    public: bool = False  # the answering URL also gives 200 without a credential

    @property
    def hint(self) -> Optional[RegistryHint]:
        return registry_hint(self.root)

    @property
    def credential(self) -> str:
        if not self.who:
            return "the credential (empty username)"
        hidden = " (username hidden: it looks like a token)" if self.who == MASK else ""
        return f"the credential for {self.who}{hidden}"


def explain(facts: Facts) -> tuple[bool, str, str, bool]:
    """`(ok, summary, fix, rejected)`; `rejected` = the server refused a sent credential."""
    status = facts.response.status
    head = f"{status} {_phrase(status)}"
    fix: list[str] = []
    if facts.sent and not facts.forwarded:
        fix.append(f"The index redirected to {facts.response.url}, outside {facts.scope}: the "
                   "credential is only sent there, so it was not forwarded. Use the final URL "
                   "as the index URL (and in the rule).")
    if status == 200:
        return _ok(facts, head, fix)
    if status in (401, 403):
        return _refused(facts, head, fix)
    if status == 404:
        where = " and ".join(facts.tried)
        fix.append("Check the URL: the project or group id, the repository or feed name, "
                   "and the `/simple/` part.")
        fix.append(_hint(facts, "url_shape") or (
            "Some registries (GitLab, GitHub) answer 404 instead of 401/403 when the "
            "credential is missing or has no access to a private project."))
        return False, f"{head}: nothing at {where}", "\n".join(fix), False
    if status >= 500:
        fix.append("The server (or a proxy in front of it) is failing, not your credential: "
                   "retry later and check the registry's status page; a proxy or group "
                   "repository (Nexus, Artifactory remote) may be failing to reach upstream.")
        return False, f"{head}: the index server failed", "\n".join(fix), False
    fix.append(_OTHER.get(status, "Check the URL: this is not how a package index answers."))
    return False, f"{head}: unexpected answer from the index", "\n".join(fix), False


def explain_unreachable(exc: IndexUnreachable, cafile: Optional[str]) -> tuple[str, str]:
    """`(summary, fix)` for a server that gave no HTTP answer at all."""
    fix = _UNREACHABLE.get(exc.kind, "Check the URL and this machine's network access.")
    if exc.kind == "tls" and cafile:
        fix += f" The CA bundle {cafile} does not hold the CA that signed this certificate."
    return f"unreachable: {exc}", fix


def _ok(facts: Facts, head: str, fix: list[str]) -> tuple[bool, str, str, bool]:
    response = facts.response
    if response.content_type == "text/html" and _FORM.search(response.body[:262144]):
        fix.append("The server answered a sign-in page, not a package index: it probably "
                   "wants single sign-on in a browser. Use the registry's package API URL "
                   "(see its docs) with a token credential instead.")
        return False, f"{head}: a login page, not a package index", "\n".join(fix), False
    if response.content_type not in _INDEX_TYPES:
        fix.append(f"The answer is {response.content_type}, not a PEP 503/691 simple index: "
                   "point the URL at the index page (it usually ends in /simple/).")
        return False, f"{head}: not a package index", "\n".join(fix), False
    if response.content_type != "text/html" and not response.truncated \
            and not _json_object(response.body):
        fix.append("The index answered JSON that cannot be read (cut short, or not PEP 691): "
                   "retry; if it persists, the server or a proxy in front of it is failing.")
        return False, f"{head}: an unreadable JSON page", "\n".join(fix), False
    where = f" (no root listing; {facts.tried[-1]} answered)" if len(facts.tried) > 1 else ""
    if facts.forwarded and not facts.public:
        return True, f"{head}: the index accepted {facts.credential}{where}", "", False
    note = ""
    if facts.forwarded:
        note = f", so {facts.credential} was not checked"
    elif facts.sent:
        note = f"; the credential was not forwarded to {response.url} (outside {facts.scope})"
    if facts.rule:
        note += f"; rule {facts.rule} is unused for listing (downloads may still need it)"
    return True, f"{head}: the index does not need a credential{note}{where}", "", False


def _json_object(body: bytes) -> bool:
    import json

    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def _refused(facts: Facts, head: str, fix: list[str]) -> tuple[bool, str, str, bool]:
    status = facts.response.status
    scheme, realm = _challenge(facts.response)
    shown = f" (realm {realm!r})" if realm else ""
    if not facts.forwarded:
        if status == 403:
            fix.append("Some servers (pypiserver, Nexus) answer 403 instead of 401 for a "
                       "missing credential, and pip then never asks keyring for one: poetry "
                       "sends a configured credential up front, pip only after a 401 (run pip "
                       "through pip-private with the credential in the index URL as a "
                       "reference, or make the server answer 401).")
        fix.append(_missing(facts))
        fix.append(_hint(facts, "credential"))
        summary = f"{head}{shown}: the index needs a credential and none was sent"
        return False, summary, "\n".join(filter(None, fix)), False
    if status == 401:
        fix.append("The token is wrong, expired or revoked, or the username is not the one "
                   "this registry expects with it.")
        fix.append(_hint(facts, "expiry"))
        fix.append(_hint(facts, "credential") or (
            "Check the token's value where it is stored (its length, not the value), its "
            "expiry date, and which username the registry documents for tokens."))
        summary = f"{head}{shown}: the index rejected {facts.credential}"
    else:
        fix.append("The server knows the credential but refuses this index: the token lacks a "
                   "scope, or its user has no access to this project or repository. (Some "
                   "servers, such as pypiserver and Nexus, also answer 403 for a wrong "
                   "credential: check the token too.)")
        fix.append(_hint(facts, "access"))
        summary = f"{head}{shown}: the index refused {facts.credential}"
    if scheme and scheme != "basic":
        fix.append(f"The server asks for {scheme.title()} authentication; pip and poetry send "
                   "HTTP Basic credentials only.")
    return False, summary, "\n".join(filter(None, fix)), True


def _missing(facts: Facts) -> str:
    if facts.rule:
        return (f"Rule {facts.rule} binds this URL but gave no credential here: check that "
                "the environment variable (or secret) its password names is set.")
    username = (facts.hint.username if facts.hint else "") or "__token__"
    return ("No rule binds this URL. Add one to pyproject.toml (or, without the "
            "`tool.private-packages.` prefix, to the user config):\n"
            "    [[tool.private-packages.credentials]]\n"
            f'    url = "{facts.root}"\n'
            f'    username = "{username}"\n'
            '    password = "${MY_TOKEN}"\n'
            "or set PRIVATE_PACKAGES_<NAME>_URL, _USERNAME and _PASSWORD in the environment.")


def _hint(facts: Facts, part: str) -> str:
    hint = facts.hint
    return str(getattr(hint, part)) if hint is not None else ""


def _challenge(response: Response) -> tuple[str, str]:
    """`(scheme, realm)` of `WWW-Authenticate` (not secret), made safe to print."""
    header = str(response.headers.get("WWW-Authenticate") or "")
    scheme = header.split(None, 1)[0].lower() if header.strip() else ""
    match = _REALM.search(header)
    realm = (match.group(1) or match.group(2)) if match else ""
    return scheme, "".join(c for c in realm if c.isprintable())[:80]


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


_OTHER = {
    407: "A proxy wants its own credential: put it in https_proxy / http_proxy "
         "(http://user:password@proxy:port), or list this host in no_proxy.",
    429: "The index rate-limits this client: retry later (anonymous requests get lower limits).",
}

_UNREACHABLE = {
    "dns": "Check the host name's spelling and that this machine can resolve it (VPN, "
           "corporate DNS, /etc/hosts).",
    "refused": "Nothing accepts connections there: check the port and that the server runs "
               "(or that a firewall lets you in).",
    "timeout": "No answer in time: check the VPN, firewall and proxy settings (https_proxy, "
               "no_proxy), then retry with a longer timeout.",
    "tls": "This machine does not trust the server's certificate. If the index uses a private "
           "or corporate CA, pass its CA bundle (pip: --cert or PIP_CERT; poetry and requests: "
           "REQUESTS_CA_BUNDLE). Do not turn verification off.",
    "redirect": "The index redirected unsafely (https to http) or in a loop: use the final "
                "https URL of the index directly.",
}
