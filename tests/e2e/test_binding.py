"""A credential reaches only its rule's prefix, in every client we run inside (issue 12):
real pip (pip-private in its own interpreter and as a child, plain pip with the import
provider) and real poetry (the hook) against servers that log every Authorization header.

- Same host, two schemes: `private.test` on ports 443 (TLS) and 80 of a random 127.X.Y.Z;
  a requirements file adding `--extra-index-url http://private.test/simple/`, and an https
  index whose pages link files as `http://private.test/...` (Nexus, Artifactory behind a
  TLS proxy). The http side must see no credential.
- Other paths: a `/groups/12` rule and an index linking files at `/groups/123/...` and
  `/groups/12/%2e%2e/123/...` (public there): no credential there.
- Plain pip with the subprocess provider cannot be guarded: the same scenarios pin what it
  does (the README says it), which also proves each scenario can see a leak.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote

import pytest

from support.header_log import LoggingIndex, basic, free_loopback_address
from support.names import resolver_dir, self_signed, server_context
from support.wheels import build_wheel
from tests.conftest import Clients
from tests.leaks import assert_not_in_files, assert_not_in_texts
from tests.poetry_env import Poetry, write_project

pytestmark = pytest.mark.e2e

USER = "deploy-bot"
NAME = "private.test"
#: The clients we run inside (rule in the environment), each scenario runs them all.
GUARDED = ["pip-private", "pip-private-child", "pip-import", "poetry"]
#: pip-private with the token in the index URL: lifted into a rule for the URL's origin.
FROM_URL = ["pip-private-url", "pip-private-url-child"]


@dataclass
class Site:
    """`private.test` on 127.X.Y.Z: its certificate and the PYTHONPATH that resolves it."""

    address: str
    cert: Path
    key: Path
    pythonpath: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    root = tmp_path_factory.mktemp("site")
    address = free_loopback_address()
    cert, key = self_signed(root / "tls", NAME)
    return Site(address, cert, key, resolver_dir(root / "resolve", address))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("binding-wheels")
    for name in ("acme-internal", "acme-one", "acme-two"):
        build_wheel(dest, name, "1.0.0")
    return dest


@dataclass
class Run:
    """One client run: what it printed, for the leak matrix."""

    result: subprocess.CompletedProcess[str]

    @property
    def texts(self) -> dict[str, str]:
        return {"stdout": self.result.stdout, "stderr": self.result.stderr}


@dataclass
class Runner:
    """Runs one client against an index URL with the rule `rule_url` -> USER/token."""

    clients: Clients
    env: dict[str, str]
    root: Path
    poetry: Poetry

    def run(self, client: str, index: str, token: str, rule_url: str, *,
            extra_index: Optional[str] = None, packages: tuple[str, ...] = ("acme-internal",),
            cert: Optional[Path] = None, username: str = USER) -> Run:
        env = {**self.env, "IDX_TOKEN": token}
        if client in FROM_URL:
            index = index.replace("://", f"://{quote(username, safe='')}:${{IDX_TOKEN}}@", 1)
        else:
            env.update(PRIVATE_PACKAGES_IDX_URL=rule_url,
                       PRIVATE_PACKAGES_IDX_USERNAME=username,
                       PRIVATE_PACKAGES_IDX_PASSWORD="${IDX_TOKEN}")
        target = self.root / f"target-{client}"
        shutil.rmtree(target, ignore_errors=True)
        if client == "poetry":
            return self._poetry(index, extra_index, packages, cert, env)
        # pip uses an http index only on a trusted host (which also skips TLS checks there)
        lines = [f"--index-url {index}", *([f"--extra-index-url {extra_index}",
                                            f"--trusted-host {NAME}"] if extra_index else []),
                 *packages]
        (self.root / "r.txt").write_text("\n".join(lines) + "\n")
        pip = self.clients.pip_python
        common = ["install", "--no-deps", "--target", str(target), "-r", "r.txt",
                  *(["--cert", str(cert)] if cert else [])]
        if client.startswith("pip-private"):
            argv = [str(pip.parent / "pip-private"), *common]
            if client.endswith("-child"):
                env["PIP_PRIVATE_SUBPROCESS"] = "1"
        elif client == "pip-import":
            argv = [str(pip), "-m", "pip", "--no-input", "--keyring-provider", "import", *common]
        else:  # plain pip asking the keyring CLI of another venv: pip itself is not guarded
            argv = [str(pip), "-m", "pip", "--no-input", "--keyring-provider", "subprocess",
                    *common]
            env["PATH"] = f"{self.clients.tools_bin}:{env['PATH']}"
        return Run(subprocess.run(argv, cwd=self.root, env=env, capture_output=True,
                                  text=True, timeout=180, check=False))

    def _poetry(self, index: str, extra_index: Optional[str], packages: tuple[str, ...],
                cert: Optional[Path], env: dict[str, str]) -> Run:
        extra = "" if extra_index is None else (
            f'\n[[tool.poetry.source]]\nname = "plain"\nurl = "{extra_index}"\n'
            'priority = "primary"\n')
        project = write_project(self.root / "app", index, dependencies=packages, extra=extra)
        shutil.rmtree(project / ".venv", ignore_errors=True)
        (project / "poetry.lock").unlink(missing_ok=True)
        env = {**env, "POETRY_KEYRING_ENABLED": "false",
               **({"REQUESTS_CA_BUNDLE": str(cert)} if cert else {})}
        return Run(self.poetry.run("install", "-vvv", cwd=project, env=env, check=False))


@pytest.fixture
def run_client(clients: Clients, client_env: dict[str, str], site: Site, tmp_path: Path,
               poetry: Poetry) -> Runner:
    env = {**client_env, "PYTHONPATH": str(site.pythonpath), "TMPDIR": str(tmp_path / "tmp"),
           "PIP_NO_INPUT": "1"}
    (tmp_path / "tmp").mkdir()
    poetry.env["PYTHONPATH"] = str(site.pythonpath)
    return Runner(clients, env, tmp_path, poetry)


@pytest.fixture
def two_schemes(site: Site, wheels: Path, canary: str) -> Iterator[Callable[..., tuple[
        LoggingIndex, LoggingIndex]]]:
    """Start https://private.test (protected) and http://private.test on one address."""
    started: list[LoggingIndex] = []

    def start(link: Callable[[str], str] = lambda f: f"../../{f}",
              http_protected: bool = True) -> tuple[LoggingIndex, LoggingIndex]:
        tls = LoggingIndex(wheels, host=site.address, port=443,
                           tls=server_context(site.cert, site.key), credential=(USER, canary),
                           link=link)
        plain = LoggingIndex(wheels, host=site.address, port=80,
                             protect=lambda path: http_protected)
        started.extend([tls.__enter__(), plain.__enter__()])
        return tls, plain

    yield start
    for server in started:
        server.__exit__(None, None, None)


def carried(server: LoggingIndex, token: str, where: Callable[[str], bool] = lambda p: True
            ) -> list[str]:
    """Paths on `server` whose request carried `token` in its Authorization header."""
    return [s.path for s in server.seen if where(s.path) and s.authorization
            and s.authorization == basic(USER, token)]


def assert_clean(run: Run, token: str, root: Path) -> None:
    assert_not_in_texts(token, run.texts, username=USER)
    assert assert_not_in_files(token, [root], username=USER) > 0


@pytest.mark.parametrize("client", GUARDED + FROM_URL)
def test_an_extra_http_index_on_the_same_host_gets_no_credential(
        run_client: Runner, two_schemes: Callable[..., tuple[LoggingIndex, LoggingIndex]],
        site: Site, canary: str, client: str) -> None:
    tls, plain = two_schemes()
    run = run_client.run(client, f"https://{NAME}/simple/", canary, f"https://{NAME}",
                         extra_index=f"http://{NAME}/simple/", cert=site.cert)
    assert carried(tls, canary), run.result.stdout + run.result.stderr  # https got it
    assert plain.seen, "the http index was never asked"
    assert carried(plain, canary) == []
    assert all(s.authorization is None for s in plain.seen)
    assert_clean(run, canary, run_client.root)


@pytest.mark.parametrize("client", GUARDED + FROM_URL)
def test_http_file_links_of_an_https_index_get_no_credential(
        run_client: Runner, two_schemes: Callable[..., tuple[LoggingIndex, LoggingIndex]],
        site: Site, canary: str, client: str) -> None:
    tls, plain = two_schemes(link=lambda f: f"http://{NAME}/packages/{f}",
                             http_protected=False)
    run = run_client.run(client, f"https://{NAME}/simple/", canary, f"https://{NAME}",
                         cert=site.cert)
    assert run.result.returncode == 0, run.result.stdout + run.result.stderr
    assert carried(tls, canary)
    assert [s.path for s in plain.seen if s.path.endswith(".whl")], "no download over http"
    assert all(s.authorization is None for s in plain.seen)
    assert_clean(run, canary, run_client.root)


def groups_index(wheels: Path, token: str) -> LoggingIndex:
    """An index at /groups/12/simple/ whose files live at /groups/123/... (public there)."""
    links = {"acme_one": "/groups/123/files/{f}", "acme_two": "/groups/12/%2e%2e/123/files/{f}",
             "acme_internal": "/groups/12/files/{f}"}
    return LoggingIndex(wheels, credential=(USER, token),
                        protect=lambda path: path == "/groups/12" or path.startswith("/groups/12/"),
                        link=lambda f: links[f.split("-")[0]].format(f=f))


@pytest.mark.parametrize("client", GUARDED)
def test_a_path_outside_the_rule_gets_no_credential(run_client: Runner, wheels: Path,
                                                    canary: str, client: str) -> None:
    with groups_index(wheels, canary) as index:
        base = f"http://127.0.0.1:{index.port}"
        run = run_client.run(client, f"{base}/groups/12/simple/", canary, f"{base}/groups/12",
                             packages=("acme-internal", "acme-one", "acme-two"))
    assert run.result.returncode == 0, run.result.stdout + run.result.stderr
    assert carried(index, canary, lambda p: p.startswith("/groups/12/"))  # the rule's prefix
    foreign = [s for s in index.seen if s.path.startswith("/groups/123/")]
    assert len({s.path for s in foreign if s.path.endswith(".whl")}) == 2, index.seen
    assert all(s.authorization is None for s in foreign)
    assert_clean(run, canary, run_client.root)


@pytest.mark.parametrize(("client", "username"), [
    *((client, username) for client in GUARDED for username in ("deploy:bot", "${BOT_USER}")),
    *((client, "deploy:bot") for client in FROM_URL)])
def test_a_username_with_a_colon_is_refused_and_nothing_is_sent(
        run_client: Runner, wheels: Path, canary: str, client: str, username: str) -> None:
    """The guard split a Basic header at its first colon: `deploy:bot` + token hid both
    halves, and the credential reached every path of the host (attack2:
    test_guard_colon_username.py). RFC 7617 forbids a `:` in a user-id, so such a rule (or
    a username a reference gives, or `deploy%3Abot@` in a URL) is refused in one line and
    nothing is sent anywhere; the guard also knows the whole pair (tests/unit/test_guard)."""
    run_client.env["BOT_USER"] = "deploy:bot"
    with groups_index(wheels, canary) as index:
        base = f"http://127.0.0.1:{index.port}"
        run = run_client.run(client, f"{base}/groups/12/simple/", canary, f"{base}/groups/12",
                             packages=("acme-internal", "acme-one"), username=username)
    output = run.result.stdout + run.result.stderr
    assert run.result.returncode != 0, output
    assert "the username holds a ':', which HTTP Basic cannot carry" in output
    assert "Traceback" not in output
    if client in FROM_URL or client == "poetry":  # refused before anything is asked
        assert run.result.returncode == 2 and index.seen == [], output
    else:  # one warning, and pip goes on without the rule
        assert index.seen, "pip never asked the index"
    assert index.authorizations() == []
    assert_clean(run, canary, run_client.root)
    assert_not_in_texts(canary, run.texts, username="deploy")


IDN, PUNYCODE = "bücher.test", "xn--bcher-kva.test"


@pytest.mark.parametrize(("client", "rule_host", "index_host"), [
    *((client, rule, index) for client in ("pip-private", "pip-import")
      for rule, index in ((IDN, PUNYCODE), (PUNYCODE, IDN))),
    # poetry itself matches file URLs (requests gives them in punycode) to a source by the
    # host as written, so its sources name such a host in punycode (README)
    ("poetry", IDN, PUNYCODE)])
def test_a_unicode_host_and_its_punycode_are_one_host(
        run_client: Runner, wheels: Path, site: Site, canary: str, tmp_path: Path,
        client: str, rule_host: str, index_host: str) -> None:
    """Clients connect to the punycode name (requests converts it): a rule written with the
    Unicode name never matched, nor a punycode rule an index written in Unicode."""
    cert, key = self_signed(tmp_path / "idn", PUNYCODE)
    with LoggingIndex(wheels, host=site.address, port=443, tls=server_context(cert, key),
                      credential=(USER, canary)) as index:
        run = run_client.run(client, f"https://{index_host}/simple/", canary,
                             f"https://{rule_host}", cert=cert)
    assert run.result.returncode == 0, run.result.stdout + run.result.stderr
    assert carried(index, canary)
    assert_clean(run, canary, run_client.root)


# ----------------------------------------------------------------- what plain pip does alone


def test_plain_pip_with_the_subprocess_provider_sends_it_everywhere_on_the_host(
        run_client: Runner, two_schemes: Callable[..., tuple[LoggingIndex, LoggingIndex]],
        site: Site, wheels: Path, canary: str) -> None:
    """README "Which URL gets which credential": pip caches what the keyring CLI answered
    per netloc and sends it on -- to the http side of the host and to other paths. Nothing
    in pip's process can check its requests then. Pinned, so the README stays true."""
    token = canary
    _, plain = two_schemes(link=lambda f: f"http://{NAME}/packages/{f}",
                           http_protected=False)
    run = run_client.run("pip-subprocess", f"https://{NAME}/simple/", token,
                         f"https://{NAME}", cert=site.cert)
    assert run.result.returncode == 0, run.result.stdout + run.result.stderr
    assert carried(plain, token), "pip no longer sends it over http: update the README"
    with groups_index(wheels, token) as index:
        base = f"http://127.0.0.1:{index.port}"
        run = run_client.run("pip-subprocess", f"{base}/groups/12/simple/", token,
                             f"{base}/groups/12", packages=("acme-one",))
    assert run.result.returncode == 0, run.result.stdout + run.result.stderr
    assert carried(index, token, lambda p: p.startswith("/groups/123/")), \
        "pip no longer sends it to other paths: update the README"


def test_the_backend_alone_answers_no_file_url_outside_the_prefix(
        clients: Clients, client_env: dict[str, str], tmp_path: Path) -> None:
    """The backend itself, asked by the keyring CLI (what uv and pip's subprocess provider
    run): a path that leaves the prefix as the server reads it gets nothing."""
    env = {**client_env, "PRIVATE_PACKAGES_G_URL": "https://h.example/groups/12",
           "PRIVATE_PACKAGES_G_USERNAME": USER, "PRIVATE_PACKAGES_G_PASSWORD": "${G_TOKEN}",
           "G_TOKEN": "tok-groups-0123"}
    keyring = str(clients.tools_bin / "keyring")
    asked = {url: subprocess.run([keyring, "get", url, USER], env=env, cwd=tmp_path,
                                 capture_output=True, text=True, check=False).stdout.strip()
             for url in ("https://h.example/groups/12/simple/",
                         "https://h.example/groups/123/simple/",
                         "https://h.example/groups/12/%2e%2e/123/simple/",
                         "https://h.example/groups/12/..;/123/simple/",
                         "http://h.example/groups/12/simple/")}
    assert asked == {"https://h.example/groups/12/simple/": "tok-groups-0123",
                     "https://h.example/groups/123/simple/": "",
                     "https://h.example/groups/12/%2e%2e/123/simple/": "",
                     "https://h.example/groups/12/..;/123/simple/": "",
                     "http://h.example/groups/12/simple/": ""}


def test_sitecustomize_only_reaches_the_processes_given_it(site: Site) -> None:
    """The resolver is test support for child processes: this process is untouched."""
    import socket

    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(NAME, 443)
    assert os.path.exists(site.pythonpath / "sitecustomize.py")
