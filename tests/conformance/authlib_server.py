"""An OAuth 2.0 server built from Authlib (not our simulator), served on 127.0.0.1 for tests.

Authlib's framework-agnostic ``AuthorizationServer`` does the protocol: the client credentials
grant (RFC 6749 4.4), the JWT bearer grant (RFC 7523 2.1, with Authlib's own iss/aud/exp
checks), client authentication (Basic, post, and RFC 7523 2.2 client assertions), RFC 7009
revocation and RFC 6750 bearer validation on a protected ``/whoami``. What is ours is only
the glue: a dict of clients and tokens, and a WSGI adapter of a few lines on the standard
library's threaded server, so a bug in the vault cannot hide behind a bug in our own server.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
from authlib.oauth2 import AuthorizationServer, OAuth2Error, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request, TokenMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, JsonRequest
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion, JWTBearerGrant
from joserfc.jwk import RSAKey

LIFETIME = 1800
"""Seconds every token lives: not the simulator's 3600, so a stored expiry proves it was read."""

ASSERTION_AUTH = JWTBearerClientAssertion.CLIENT_AUTH_METHOD


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    """A registered client: a secret (client credentials) or a public key (JWT bearer)."""

    client_id: str
    client_secret: str = ""
    public_key_pem: str = ""
    scope: str = "read"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(s for s in (scope or self.scope).split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.client_secret) and client_secret == self.client_secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if method == ASSERTION_AUTH:
            return bool(self.public_key_pem)
        return method in ("client_secret_basic", "client_secret_post") and bool(self.client_secret)

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == JWTBearerGrant.GRANT_TYPE:
            return bool(self.public_key_pem)
        return grant_type == "client_credentials" and bool(self.client_secret)


@dataclass
class Token(TokenMixin):  # type: ignore[misc]
    client_id: str
    access_token: str
    scope: str
    issued_at: float
    expires_in: int
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class Registry:
    """What the server knows, shared by every request thread (guarded by ``lock``)."""

    clients: dict[str, Client] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    """Requests per endpoint and outcome, e.g. ``token.ok``, ``whoami.401``, ``revoke.200``."""
    assertion_claims: list[dict[str, Any]] = field(default_factory=list)
    """Claims of every grant or client assertion Authlib accepted, for the tests to read."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kill_all(self) -> None:
        """Invalidate every token server-side (they then get 401 on ``/whoami``)."""
        with self.lock:
            for token in self.tokens.values():
                token.revoked = True


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, method: str, uri: str, headers: httpx.Headers, form: dict[str, str]):
        super().__init__(method, uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry

    def query_client(self, client_id: str) -> Client | None:
        return self.registry.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: _Request) -> None:
        with self.registry.lock:
            self.registry.tokens[token["access_token"]] = Token(
                client_id=request.client.client_id,
                access_token=token["access_token"],
                scope=token.get("scope", ""),
                issued_at=time.time(),
                expires_in=int(token["expires_in"]),
            )

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request

    def create_json_request(self, request: _Request) -> JsonRequest:
        return JsonRequest(request.method, request.uri, request.headers)

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, bytes, list[tuple[str, str]]]:
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        return status, data.encode() if isinstance(data, str) else data, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


def _public_key(client: Client) -> RSAKey:
    return RSAKey.import_key(client.public_key_pem)


class _Assertion(JWTBearerClientAssertion):  # type: ignore[misc]
    """RFC 7523 2.2 client authentication; the audience is the token endpoint (section 3)."""

    def __init__(self, server: AuthlibServer) -> None:
        super().__init__(validate_jti=True)
        self.server = server
        self.seen_jti: set[str] = set()

    def get_audiences(self) -> list[str]:
        return [self.server.token_url]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        with self.server.registry.lock:
            if jti in self.seen_jti:
                return False
            self.seen_jti.add(jti)
            self.server.registry.assertion_claims.append({"use": "client", **claims})
            return True

    def resolve_client_public_key(self, client: Client) -> RSAKey:
        return _public_key(client)


def _grants(owner: AuthlibServer) -> tuple[type, type, type]:
    class Credentials(ClientCredentialsGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    class Bearer(JWTBearerGrant):  # type: ignore[misc]
        def resolve_issuer_client(self, issuer: str) -> Client | None:
            return owner.registry.clients.get(issuer)

        def resolve_client_public_key(self, client: Client) -> RSAKey:
            return _public_key(client)

        def authenticate_user(self, subject: str) -> None:
            return None  # no users here: a sub (delegation) is refused

        def has_granted_permission(self, client: Client, user: object) -> bool:
            return False

        def get_audiences(self) -> list[str]:
            return [owner.token_url]

        def verify_claims(self, claims: Any) -> None:
            super().verify_claims(claims)
            with owner.registry.lock:
                owner.registry.assertion_claims.append({"use": "grant", **dict(claims)})

    class Revocation(RevocationEndpoint):  # type: ignore[misc]
        CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", ASSERTION_AUTH]

        def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
            return owner.registry.tokens.get(token_string)

        def revoke_token(self, token: Token, request: _Request) -> None:
            with owner.registry.lock:
                token.revoked = True

    return Credentials, Bearer, Revocation


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # request lines may carry nothing secret, but the test output stays clean


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class AuthlibServer:
    """Authlib's token, revocation and protected endpoints on 127.0.0.1 (a context manager)."""

    def __init__(self) -> None:
        self.registry = Registry()
        self._oauth = _Server(self.registry)
        self._oauth.register_token_generator(
            "default",
            BearerTokenGenerator(lambda *a, **k: _new_token(), expires_generator=LIFETIME),
        )
        credentials, bearer, revocation = _grants(self)
        self._oauth.register_grant(credentials)
        self._oauth.register_grant(bearer)
        self._oauth.register_endpoint(revocation)
        self._oauth.register_client_auth_method(ASSERTION_AUTH, _Assertion(self))
        self._protector = ResourceProtector()
        self._protector.register_token_validator(_Validator(self.registry))
        self._httpd = make_server(
            "127.0.0.1", 0, self._wsgi, server_class=_ThreadingWSGIServer, handler_class=_Quiet
        )
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}"

    @property
    def token_url(self) -> str:
        return self.url + "/oauth/token"

    def __enter__(self) -> AuthlibServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def add_client(self, client: Client) -> None:
        with self.registry.lock:
            self.registry.clients[client.client_id] = client

    # -- the WSGI adapter: everything protocol-related is Authlib's ------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        headers = httpx.Headers(
            {k[5:].replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        )
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(size).decode() if size else ""
        form = dict(parse_qsl(raw, keep_blank_values=True))
        request = _Request(method, self.url + path, headers, form)
        if path == "/oauth/token" and method == "POST":
            name, (status, body, out) = "token", self._oauth.create_token_response(request)
        elif path == "/oauth/revoke" and method == "POST":
            name = "revoke"
            status, body, out = self._oauth.create_endpoint_response("revocation", request)
        elif path == "/whoami":
            name, (status, body, out) = "whoami", self._whoami(request)
        else:
            name, status, body, out = "unknown", 404, b'{"error": "not found"}', []
        with self.registry.lock:
            self.registry.counts[f"{name}.{status}"] += 1
        start_response(f"{status} {_PHRASES.get(status, 'Status')}", out)
        return [body]

    def _whoami(self, request: _Request) -> tuple[int, bytes, list[tuple[str, str]]]:
        try:
            token = self._protector.validate_request(["read"], request)
        except OAuth2Error as error:
            status, body, headers = error()
            return status, json.dumps(dict(body)).encode(), list(headers)
        answer = {"client_id": token.client_id, "scope": token.scope}
        return 200, json.dumps(answer).encode(), [("Content-Type", "application/json")]


class _Validator(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry

    def authenticate_token(self, token_string: str) -> Token | None:
        return self.registry.tokens.get(token_string)


def _new_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


_PHRASES = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
