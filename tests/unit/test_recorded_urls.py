"""A secret outside the userinfo of a URL (recorded_urls.py): refused where pip records the
URL (direct and VCS URLs), allowed without pip's caches where it only fetches from it
(index, find-links, remote requirements files) -- judged on the rendered line, for files
and command-line values alike, and the refusal names the reference, never the value."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Optional

import pytest

from keyring_backend.config.locations import LocationTrust
from keyring_backend.errors import PrivatePackagesError
from keyring_backend.settings import Settings
from pip_hook.recorded_urls import DIRECT, FETCHED, VCS, kind_in_value, kind_on_line, needles_of
from pip_hook.render import Renderer
from tests.leaks import assert_not_in_texts

H = "https://h.example"

LINES: dict[str, tuple[str, Optional[str]]] = {
    # a requirements-file line with ${T} in it -> what it is
    "index-path": (f"--index-url {H}/${{T}}/acme/python/simple/", FETCHED),
    "index-query": (f"-i {H}/simple/?token=${{T}}", FETCHED),
    "extra-index-equals": (f"--extra-index-url={H}/${{T}}/simple", FETCHED),
    "find-links": (f"-f {H}/${{T}}/links/", FETCHED),
    "remote-requirements": (f"-r {H}/${{T}}/requirements.txt", FETCHED),
    "whole-url-variable": ("--index-url ${T}", FETCHED),
    "direct-path": (f"acme @ {H}/${{T}}/acme-1.0.tar.gz", DIRECT),
    "direct-query": (f"acme @ {H}/acme-1.0.whl?sig=${{T}}", DIRECT),
    "direct-host": ("acme @ https://${T}/acme-1.0.whl", DIRECT),
    "bare-url": (f"{H}/${{T}}/acme-1.0.tar.gz#egg=acme", DIRECT),
    "editable": (f"-e {H}/${{T}}/acme.tar.gz", DIRECT),
    "git-path": (f"acme @ git+{H}/${{T}}/acme.git", VCS),
    "git-query": (f"acme @ git+{H}/org/acme.git?private_token=${{T}}", VCS),
    "git-ref": (f"acme @ git+{H}/org/acme.git@${{T}}", VCS),
    "git-ssh": ("acme @ git+ssh://git@h.example/${T}/acme.git", VCS),
    "editable-git": (f"-e git+{H}/${{T}}/acme.git#egg=acme", VCS),
    "hg-path": (f"acme @ hg+{H}/${{T}}/acme", VCS),
    "upper-case-scheme": ("acme @ Git+Https://h.example/${T}/acme.git", VCS),
    # where pip keeps nothing, or only the userinfo (which it drops from what it records)
    "userinfo": ("--index-url https://u:${T}@h.example/simple/", None),
    "git-userinfo": ("acme @ git+https://${T}@h.example/org/acme.git", None),
    "version": ("acme==${T}", None),
    "file-url": ("acme @ file:///srv/${T}/acme-1.0.whl", None),
    "local-path": ("./wheels/${T}/acme-1.0.whl", None),
    "trusted-host": ("--trusted-host ${T}", None),
    "hash": ("acme==1.0 --hash=sha256:${T}", None),
}


def token() -> str:
    """A value that fits a URL's path (the canaries' `/#? ` would change the URL)."""
    return f"cs-{uuid.uuid4().hex}"


def render(tmp_path: Path, line: str, value: str) -> Renderer:
    (tmp_path / "r.txt").write_text(line + "\n", encoding="utf-8")
    r = Renderer({"T": value}, Settings(), lambda display, text: display, tmp_path,
                 LocationTrust({"PRIVATE_PACKAGES_TRUST": "1"}), lift_urls=True)
    r.include("r.txt")
    return r


@pytest.mark.parametrize(("line", "kind"), LINES.values(), ids=LINES.keys())
def test_a_line_is_judged_on_what_pip_sees(tmp_path: Path, line: str,
                                           kind: Optional[str]) -> None:
    value = token() if line != "--index-url ${T}" else f"{H}/{token()}/simple/"
    rendered = line.replace("${T}", value)
    assert kind_on_line(rendered, needles_of([value])) == kind
    if kind in (VCS, DIRECT):
        with pytest.raises(PrivatePackagesError) as raised:
            render(tmp_path, line, value)
        message = str(raised.value)
        assert message.startswith("r.txt:1: ${T} is substituted outside the userinfo")
        assert "\n" not in message
        assert_not_in_texts(value, {"message": message})
    else:
        r = render(tmp_path, line, value)
        assert r.fetched_secret == ("r.txt:1" if kind == FETCHED else None)


@pytest.mark.parametrize(("option", "value", "kind"), [
    (None, f"acme @ {H}/{{v}}/acme-1.0.whl", DIRECT),
    ("--editable", f"git+{H}/{{v}}/acme.git", VCS),
    ("--index-url", f"{H}/{{v}}/simple/", FETCHED),
    ("--extra-index-url", f"{H}/simple/?t={{v}}", FETCHED),
    ("--find-links", f"{H}/{{v}}/", FETCHED),
    ("--trusted-host", "{v}", None),
    ("--index-url", "https://u:{v}@h.example/simple/", None),
])
def test_a_command_line_value_is_judged_by_its_option(option: Optional[str], value: str,
                                                      kind: Optional[str]) -> None:
    secret = token()
    assert kind_in_value(value.format(v=secret), option, needles_of([secret])) == kind


def test_a_value_that_holds_a_space_is_found_by_its_pieces() -> None:
    """pip's URL ends at the first space: what stands before it is still in the URL."""
    first = token()
    value = f"{first} and-more"
    line = f"acme @ {H}/{value}/acme.whl"
    assert kind_on_line(line, needles_of([value])) == DIRECT


def test_a_percent_encoded_value_is_found() -> None:
    secret = "cs/" + token()
    assert kind_on_line(f"acme @ {H}/a.whl?t=cs%2F{secret[3:]}",
                        needles_of([secret])) == DIRECT


def test_nothing_substituted_nothing_judged(tmp_path: Path) -> None:
    """The control: the same URL written literally is pip's business (scan finds it)."""
    secret = token()
    (tmp_path / "r.txt").write_text(f"acme @ {H}/{secret}/acme.whl\n", encoding="utf-8")
    r = Renderer({}, Settings(), lambda display, text: display, tmp_path,
                 LocationTrust({"PRIVATE_PACKAGES_TRUST": "1"}))
    r.include("r.txt")
    assert r.files == [] and r.fetched_secret is None
