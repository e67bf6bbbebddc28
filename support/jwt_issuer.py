"""A CI OIDC token service on 127.0.0.1 that mints RS256 id tokens, the way GitHub Actions
hands a job with `permissions: id-token: write` its token.

GitHub gives such a job `ACTIONS_ID_TOKEN_REQUEST_URL` (already holding a query string)
and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; `GET $URL&audience=AUD` with
`Authorization: bearer $TOKEN` answers `{"value": "<JWT>"}` whose claims name the
repository, ref and so on. `OidcIssuer` answers that request with a JWT signed by an RSA key
generated per instance, and `configure_openbao_jwt` trusts that key in an OpenBao JWT auth
mount, so a real Vault login with a real signature check happens in tests.

Real Vault setups point `oidc_discovery_url` at https://token.actions.githubusercontent.com;
a local issuer without TLS is trusted through `jwt_validation_pubkeys` instead -- the only
difference, and it is in how Vault finds the key, not in what it checks.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from support.openbao import OpenBaoServer
from support.wsgi import http_server, start_serving, stop_serving

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class OidcIssuer:
    """`with OidcIssuer(claims) as issuer:` -- GitHub's id-token endpoint, for one job.

    `claims` are added to every token (`repository`, `ref`, ...); `iss`, `aud`, `iat`,
    `nbf`, `exp` and `jti` are set per request. `issued` keeps every token handed out, so a
    test can assert none of them leaked.
    """

    def __init__(self, claims: Mapping[str, Any], issuer: str = GITHUB_ISSUER,
                 default_audience: str = "https://github.com") -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.claims = dict(claims)
        self.issuer = issuer
        self.default_audience = default_audience
        self.request_token = "req-" + secrets.token_urlsafe(24)
        self.issued: list[str] = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._server: Optional[ThreadingHTTPServer] = None

    @property
    def public_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def request_url(self) -> str:
        """What GitHub puts in ACTIONS_ID_TOKEN_REQUEST_URL: a URL that has a query already."""
        if self._server is None:
            raise RuntimeError("start the issuer first (use it as a context manager)")
        return f"http://127.0.0.1:{self._server.server_address[1]}/token?api-version=2.0"

    def job_env(self) -> dict[str, str]:
        """The two variables GitHub sets in a job allowed to request id tokens."""
        return {"ACTIONS_ID_TOKEN_REQUEST_URL": self.request_url,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token}

    def mint(self, audience: str) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        payload = {**self.claims, "iss": self.issuer, "aud": audience, "iat": now,
                   "nbf": now - 5, "exp": now + 300, "jti": secrets.token_hex(8)}
        header = {"alg": "RS256", "typ": "JWT", "kid": "local"}
        signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode())
                                 for part in (header, payload))
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(),
                                   hashes.SHA256())
        token = f"{signing_input}.{_b64url(signature)}"
        self.issued.append(token)
        return token

    def __enter__(self) -> OidcIssuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                auth = self.headers.get("Authorization", "")
                if parts.path != "/token":
                    self._answer(404, {"message": "not found"})
                elif auth.lower() != f"bearer {issuer.request_token}".lower():
                    self._answer(401, {"message": "bad request token"})
                else:
                    audience = parse_qs(parts.query).get("audience", [issuer.default_audience])
                    self._answer(200, {"value": issuer.mint(audience[-1])})

            def _answer(self, status: int, body: Mapping[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request line is harmless, but keep test output clean

        self._server = http_server(Handler)
        start_serving(self._server)
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        stop_serving(self._server)


def configure_openbao_jwt(bao: OpenBaoServer, issuer: OidcIssuer, role: str,
                          role_body: Mapping[str, Any], mount: str = "jwt") -> None:
    """Enable JWT auth at `mount`, trust `issuer`'s key and issuer name, and create `role`
    from `role_body` (the JSON a `vault write auth/jwt/role/NAME -` would send)."""
    bao.enable_auth("jwt", mount)
    bao.api("POST", f"auth/{mount}/config", {"jwt_validation_pubkeys": [issuer.public_pem],
                                              "bound_issuer": issuer.issuer})
    bao.api("POST", f"auth/{mount}/role/{role}", dict(role_body))
