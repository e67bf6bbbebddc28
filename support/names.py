"""A host name for a test server, with https (TESTING.md "Same host, two schemes").

pip caches credentials by netloc, the same string for `http://h/` and `https://h/` on the
default ports; testing that needs one name served on ports 80 and 443. `self_signed`
writes a certificate for the name (pass it to pip with `--cert`, to poetry as
`REQUESTS_CA_BUNDLE`); `resolver_dir` writes a `sitecustomize.py` that makes `*.test`
names resolve to one loopback address, for the Python processes that get the folder on
`PYTHONPATH` (and for nothing else on the machine).
"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

_SITECUSTOMIZE = '''\
"""Test support: *.test names resolve to {address} (private-packages tests)."""
import socket

_real = socket.getaddrinfo


def _getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if isinstance(name, str) and name.lower().rstrip(".").endswith(".test"):
        host = "{address}"
    return _real(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
'''


def self_signed(dest: Path, name: str) -> tuple[Path, Path]:
    """(certificate, key) for a host name or an IP address, valid two days; the
    certificate is its own CA bundle."""
    import ipaddress

    try:
        ipaddress.ip_address(name)
        san = f"IP:{name}"
    except ValueError:
        san = f"DNS:{name}"
    dest.mkdir(parents=True, exist_ok=True)
    cert, key = dest / f"{name}.pem", dest / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context for that pair."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def resolver_dir(dest: Path, address: str) -> Path:
    """A folder for PYTHONPATH whose sitecustomize.py sends `*.test` to `address`."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(address=address))
    return dest
