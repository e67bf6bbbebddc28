"""A host whose own configuration would break every client test if any of it leaked in:
pip.conf files (user, legacy, site-wide through XDG_CONFIG_DIRS, PIP_CONFIG_FILE) with a
`constraint` on versions that do not exist, `find-links` holding a look-alike of the test
package, and dead index URLs; the same through PIP_* and UV_* variables; a ~/.gitconfig and
GIT_CONFIG_* that send every http URL to a dead port; a keyring config that fails; .netrc,
.pypirc, uv.toml, poetry and private-packages user files. Nothing is written outside the
temp dir given (the machine's real /etc is shared with other runs).
"""

from __future__ import annotations

import os
from pathlib import Path

from support.wheels import build_wheel
from tests.hostenv import home_variables, make_home

DEAD = "http://127.0.0.1:9/simple/"  # the discard port: nothing listens there
GIT_REWRITE = '[url "http://127.0.0.1:9/"]\n\tinsteadOf = http://\n'


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def hostile_config_files(root: Path) -> dict[str, str]:
    """Write a hostile HOME (and site-wide dirs) under `root`; return the variables that
    point a process at them (HOME, XDG_*), as a login on such a host would have them."""
    home = make_home(root / "home")
    constraints = _write(root / "constraints.txt",
                         "acme-internal==9.9.9\nkeyring==0.0.1\npip==0.0.1\nuv==0.0.1\n")
    look_alikes = root / "wheels"
    build_wheel(look_alikes, "acme-internal", "1.0.0", body="LOOK_ALIKE = True\n")
    pip_conf = (f"[global]\nconstraint = {constraints}\nfind-links = {look_alikes}\n"
                f"index-url = {DEAD}\nextra-index-url = {DEAD}\n"
                "[install]\nkeyring-provider = disabled\n")
    for where in (".config/pip/pip.conf", ".pip/pip.conf"):
        _write(home / where, pip_conf)
    _write(root / "etc-xdg/pip/pip.conf", pip_conf)
    _write(home / ".config/uv/uv.toml", f'index-url = "{DEAD}"\noffline = true\n')
    _write(home / ".gitconfig", GIT_REWRITE + "[credential]\n\thelper = store\n")
    _write(home / ".git-credentials", "http://evil:evil@127.0.0.1\n")
    _write(home / ".netrc", "machine 127.0.0.1 login evil password evil\n")
    _write(home / ".pypirc", f"[pypi]\nrepository = {DEAD}\nusername = evil\npassword = evil\n")
    _write(home / ".config/python_keyring/keyringrc.cfg",
           "[backend]\ndefault-keyring = keyring.backends.fail.Keyring\n")
    _write(home / ".config/pypoetry/config.toml",
           f'[repositories.private]\nurl = "{DEAD}"\n[virtualenvs]\nin-project = false\n')
    _write(home / ".config/private-packages/config.toml",
           '[[credentials]]\nurl = "http://127.0.0.1/"\nusername = "evil"\npassword = "evil"\n')
    return {**home_variables(home), "XDG_CONFIG_DIRS": str(root / "etc-xdg")}


def hostile_variables(root: Path) -> dict[str, str]:
    """PIP_*, UV_*, GIT_*, keyring, twine, poetry and our own variables that a CI machine
    or a shell profile might set (write the files first: this reuses them)."""
    constraints, look_alikes = root / "constraints.txt", root / "wheels"
    gitconfig = _write(root / "gitconfig", GIT_REWRITE)
    return {
        "PIP_CONFIG_FILE": str(root / "etc-xdg/pip/pip.conf"),
        "PIP_INDEX_URL": DEAD, "PIP_EXTRA_INDEX_URL": DEAD, "PIP_FIND_LINKS": str(look_alikes),
        "PIP_CONSTRAINT": str(constraints), "PIP_KEYRING_PROVIDER": "disabled",
        "PIP_REQUIRE_VIRTUALENV": "1", "PIP_NO_INPUT": "1",
        "UV_INDEX_URL": DEAD, "UV_DEFAULT_INDEX": DEAD, "UV_FIND_LINKS": str(look_alikes),
        "UV_CONSTRAINT": str(constraints), "UV_OFFLINE": "1",
        "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_SYSTEM": str(gitconfig),
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "url.http://127.0.0.1:9/.insteadOf",
        "GIT_CONFIG_VALUE_0": "http://",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "TWINE_REPOSITORY_URL": DEAD, "TWINE_USERNAME": "evil", "TWINE_PASSWORD": "evil",
        "POETRY_REPOSITORIES_PRIVATE_URL": DEAD, "POETRY_VIRTUALENVS_CREATE": "false",
        "PRIVATE_PACKAGES_EVIL_URL": "http://127.0.0.1/",
        "PRIVATE_PACKAGES_EVIL_USERNAME": "evil", "PRIVATE_PACKAGES_EVIL_PASSWORD": "evil",
        "NETRC": str(root / "home/.netrc"),
    }


#: What a child keeps of this machine: how to reach the registries (CA bundles, proxies:
#: network settings, not a client's configuration), the locale, and uv's cache (so a child
#: run need not download every client again).
KEPT = ("PATH", "LANG", "UV_CACHE_DIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
        "NO_PROXY")


def hostile_host(root: Path) -> dict[str, str]:
    """The whole hostile environment: what `KEPT` names, then every hostile file and
    variable."""
    kept = {k: os.environ[k] for k in KEPT if k in os.environ}
    return {**kept, **hostile_config_files(root), **hostile_variables(root)}
