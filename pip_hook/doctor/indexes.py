"""`pip-private doctor`'s probes: each index a run names, with the credential pip would
send -- the URL's userinfo first, else the rule the keyring backend would answer with --
never what untrusted content chose (DESIGN.md "Trust")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from keyring_backend.errors import PrivatePackagesError, UnresolvedReference
from keyring_backend.http import split_userinfo
from keyring_backend.probe import probe_index
from keyring_backend.records import record
from keyring_backend.rules import CredentialRule
from keyring_backend.secret import Secret

from . import report as dr
from .report import probe_item

if TYPE_CHECKING:
    from . import Options
    from .checks import Doctor


@record(frozen=True)
class IndexUse:
    """An index URL as rendered (None when a reference in it is missing) and where it
    was named; `shown` has no userinfo; `file`: the requirements file that named it."""

    url: Optional[str]
    shown: str
    where: str
    file: Optional[str] = None


def check_indexes(doctor: Doctor, options: Options) -> None:
    """Probe each index the run named, once per URL, into `doctor.report`."""
    probed: set[str] = set()
    for use in doctor.indexes:
        if use.url is None:
            doctor.report.problem(dr.INDEXES, dr.SKIPPED, f"{use.shown} ({use.where}): not "
                                "probed: a reference in the URL is missing")
            continue
        if use.url in probed:
            continue
        probed.add(use.url)
        try:
            url, username, password, how, rule = _credential_for(doctor, use)
            label = f"{use.shown} ({use.where}; credential {how})"
            if not options.probe:
                doctor.report.note(dr.INDEXES, f"{label}: not probed (--no-probe)")
                continue
            result = probe_index(url, username=username, password=password,
                                 package=doctor.package, timeout=options.timeout,
                                 cafile=doctor.env.get("PIP_CERT") or None,
                                 rule=rule.origin if rule else None, bound=rule)
        except PrivatePackagesError as exc:
            doctor.report.problem(dr.INDEXES, dr.ERROR, f"{use.shown} ({use.where}): {exc}")
            continue
        doctor.report.add(dr.INDEXES, probe_item(label, result))
        if result.ok and rule is not None:  # and files the index links elsewhere
            doctor.report.extend(dr.INDEXES, dr.files_outside(
                doctor.store, url, username, password, doctor.package, options.timeout,
                doctor.env.get("PIP_CERT") or None))

def _credential_for(doctor: Doctor, use: IndexUse) -> tuple[str, Optional[str], Optional[Secret],
                                                  str, Optional[CredentialRule]]:
    """(URL to probe, username, password, how it was found, the rule): the URL's
    userinfo first, as pip uses it, else the rule the keyring backend would answer
    with. Inspection never sends what untrusted content chose (DESIGN.md "Trust"): a
    credential in the URL of an untrusted file is taken out of the URL, and the index
    probed anonymously."""
    url = str(use.url)
    clean, username, password = split_userinfo(url)
    if username is not None or password is not None:
        if use.file is not None and doctor.trust.problem(Path(use.file)) is not None:
            return clean, None, None, (f"none: the credential in this URL was chosen by "
                                       f"{doctor.display(use.file)}, which is not "
                                       "trusted; probed anonymously"), None
        if password is not None:
            doctor.report.secret(password.reveal(), username)
        return url, username, password, "from the URL", None
    rule = doctor.store.rule_for_service(clean)
    withheld = doctor.store.withheld_rule_for(clean) if rule is None else None
    if withheld is not None:
        return url, None, None, (f"none: {withheld.origin} is withheld, the project is "
                                 "not trusted; probed anonymously"), None
    if rule is None:
        return url, None, None, "none: no rule binds this URL", None
    try:
        credential = doctor.store.resolve(rule)
    except UnresolvedReference:
        return url, None, None, f"missing: rule {rule.origin} (see Rules)", rule
    doctor.report.secret(credential.password.reveal(), credential.username)
    return url, credential.username, credential.password, f"from rule {rule.origin}", rule
