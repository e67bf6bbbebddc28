"""How `pip-private pin` asks git: `git ls-remote` once per repository, with credentials
from the rules (through `git-credential-private-packages`, GIT_CONFIG_* variables) and from
`${...}` references in a URL's userinfo (rendered, then lifted into an env-defined rule as
run.py does for pip), never in git's argv; and one line when git fails, exit 3 when the
server rejected the credential, 2 otherwise. git never prompts: no terminal, no askpass
program, no credential-manager window.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Optional

from keyring_backend.errors import EXIT_REJECTED, ConfigError, PrivatePackagesError
from keyring_backend.printable import Writer

from .pin import GitRef, ReqFile, apply, display

_HEX = re.compile(r"[0-9a-f]{4,63}", re.IGNORECASE)
_RULE, _VALUE = "PRIVATE_PACKAGES_PIP_PRIVATE_PIN_", "PIP_PRIVATE_PIN_"


class RejectedCredential(PrivatePackagesError):
    """A git server refused the credential a rule supplied."""

    exit_code = EXIT_REJECTED


class Resolver:
    """Resolves refs with `git ls-remote`, once per repository URL."""

    def __init__(self, cwd: Path) -> None:
        from keyring_backend.config.locations import LocationTrust
        from keyring_backend.store import CredentialStore

        from .config_warnings import warn_about

        self.cwd = cwd
        self.store = CredentialStore(os.environ, cwd)
        warn_about(self.store.config)
        self.trust = LocationTrust(os.environ)
        self.extra: dict[str, str] = {}  # env-defined rules for credentials lifted from URLs
        self._lifted = 0
        self._refs: dict[str, dict[str, str]] = {}

    def pin(self, req: ReqFile, update: bool, out: Writer, err: Writer) -> int:
        """Resolve `req`'s refs, edit its lines in memory; return how many changed."""
        new: dict[int, str] = {}
        notes: dict[int, str] = {}
        for position, ref in enumerate(req.refs):
            where, shown = req.where(ref), display(ref.url)
            wanted = ref.recorded if ref.pinned and update else None if ref.pinned else ref.ref
            if ref.ref is None:
                err.write(f"pip-private: warning: {where}: {shown} has no @REF, so pip installs "
                          "whatever its default branch holds; add @TAG and run pin again\n")
            elif wanted is not None and "${" in wanted:
                err.write(f"pip-private: warning: {where}: the ref of {shown} is a reference; "
                          "left as it is\n")
            elif wanted is not None:
                sha = self.lookup(self.git_url(req, ref, err), wanted, where,
                                  must=not ref.pinned)
                if sha is None:
                    err.write(f"pip-private: warning: {where}: {shown} no longer has "
                              f"{wanted!r} (recorded in the comment); left as it is\n")
                elif ref.pinned and sha.lower() == str(ref.ref).lower():
                    out.write(f"{where}: {shown} {wanted} is still {sha}\n")
                else:
                    new[position] = sha
                    if not ref.pinned:
                        notes[ref.last] = ", ".join(filter(None, (notes.get(ref.last), wanted)))
                    out.write(f"{where}: {shown} {wanted} -> {sha}\n")
        apply(req, new, notes)
        return len(new)

    def git_url(self, req: ReqFile, ref: GitRef, err: Writer) -> str:
        """The URL git is given: references rendered, userinfo lifted into a rule -- unless
        the file is untrusted: pin only reads refs, and like `doctor` (DESIGN.md "Trust":
        inspection never sends what untrusted content chose) it asks anonymously then."""
        if "${" not in ref.url:
            if re.match(r"git\+https?://[^/]*@", ref.url, re.IGNORECASE):
                raise ConfigError(f"{req.where(ref)}: this git URL holds a credential, which "
                                  "pin never puts in git's arguments: write ${VAR} references "
                                  "or add a rule (pip-private scan proposes one)")
            scheme, sep, rest = ref.url[len("git+"):].partition("://")
            return scheme.lower() + sep + rest  # git finds `git-remote-https`, not `-Https`
        from keyring_backend.providers import ResolveContext

        from .reqfile import render_line

        ctx = ResolveContext(env=os.environ, where=req.where(ref), allow_commands=False,
                             settings=self.store.config.settings, base_dir=req.path.parent,
                             untrusted=self.trust.refusal(req.path, ref.url))
        rendered = render_line(ref.url, ctx)
        if any(value and value in rendered.text for value in rendered.values):
            raise ConfigError(f"{req.where(ref)}: a reference outside the URL's userinfo "
                              "would put its value in git's arguments; only the userinfo "
                              "(https://user:${TOKEN}@host/...) may hold a secret")
        untrusted = self.trust.problem(req.path) if rendered.git_credentials else None
        if untrusted is not None:
            err.write(f"pip-private: warning: {req.where(ref)}: not using the credential in "
                      f"this URL, asking anonymously: {untrusted}\n")
            return rendered.text[len("git+"):]
        for credential in rendered.git_credentials:
            self._lifted += 1
            self.extra.update(credential.rule_env(f"{_RULE}{self._lifted}_",
                                                  f"{_VALUE}{self._lifted}_"))
        return rendered.text[len("git+"):]

    def lookup(self, url: str, wanted: str, where: str, *, must: bool) -> Optional[str]:
        if url not in self._refs:
            self._refs[url] = self.ls_remote(url)
        refs = self._refs[url]
        names = ([f"{wanted}^{{}}", wanted] if wanted.startswith("refs/") or wanted == "HEAD"
                 else [f"refs/heads/{wanted}", f"refs/tags/{wanted}^{{}}", f"refs/tags/{wanted}"])
        sha = next((refs[name] for name in names if name in refs), None)
        if sha is None and must:
            hint = (" (an abbreviated commit? write all 40 hex digits)"
                    if _HEX.fullmatch(wanted) else "")
            raise ConfigError(f"{where}: {display('git+' + url)} has no branch or tag "
                              f"{wanted!r}{hint}")
        return sha

    def ls_remote(self, url: str) -> dict[str, str]:
        from keyring_backend.git_credential import git_config_env

        env = {**os.environ, **self.extra}
        env.update(git_config_env(env, project_dir=self.cwd))
        # Fail instead of prompting: no terminal, no askpass GUI, no credential manager UI.
        env.update(GIT_TERMINAL_PROMPT="0", GCM_INTERACTIVE="never", GIT_ASKPASS="")
        env.setdefault("GIT_ALLOW_PROTOCOL", "http:https:ssh:git:file")
        try:
            result = subprocess.run(["git", "ls-remote", "--", url], env=env, cwd=self.cwd,
                                    capture_output=True, text=True, errors="replace",
                                    timeout=120, check=False, stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise ConfigError("git is not installed (or not on PATH)") from None
        except subprocess.TimeoutExpired:
            raise ConfigError(f"git ls-remote {display('git+' + url)} timed out") from None
        if result.returncode != 0:
            raise git_failure("git+" + url, result)
        refs: dict[str, str] = {}
        for line in result.stdout.splitlines():
            sha, _, name = line.partition("\t")
            refs.setdefault(name, sha)
        return refs


def git_failure(url: str, result: subprocess.CompletedProcess[str]) -> PrivatePackagesError:
    """One line for a failed `git ls-remote`, classified by what git said."""
    said = result.stderr.lower()
    shown = display(url)
    if "authentication failed" in said or "error: 403" in said:
        return RejectedCredential(f"{shown} rejected the credential: check the token, its "
                                  "scope and expiry (pip-private doctor shows which rule "
                                  "answers)")
    if "terminal prompts disabled" in said or "could not read username" in said:
        return ConfigError(f"{shown} asked for a credential and no rule supplies one: add a "
                           "rule (pip-private preset NAME prints one)")
    if "not found" in said or "error: 404" in said or "does not appear to be" in said:
        return ConfigError(f"{shown}: repository not found (some servers answer 404 to a "
                           "missing or insufficient credential)")
    fatal = [line for line in result.stderr.splitlines() if line.startswith("fatal:")]
    reason = fatal[-1].removeprefix("fatal:").strip() if fatal else f"exit {result.returncode}"
    return ConfigError(f"git ls-remote {shown} failed: {reason}")
