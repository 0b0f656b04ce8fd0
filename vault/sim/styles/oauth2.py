"""The oauth2 style: client credentials grant (RFC 6749 4.4) and token revocation (RFC 7009)."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import urllib.parse
from datetime import timedelta

from vault.sim.messages import Request, Response, empty_response, json_response
from vault.sim.routes import Route
from vault.sim.state import OAuthClient, SimState
from vault.sim.styles.rfc6749 import (
    NO_STORE,
    error_response,
    form_or_error,
    invalid_token,
    missing_field,
)

STYLE = "oauth2"
LIFETIME = timedelta(hours=1)


class _ClientRejected(Exception):
    """Client authentication failed; ``basic`` says whether HTTP Basic was tried."""

    def __init__(self, basic: bool) -> None:
        super().__init__("invalid client")
        self.basic = basic


def _basic_credentials(request: Request) -> list[tuple[str, str]] | None:
    """The (client id, secret) readings of an HTTP Basic header, or None without one."""
    value = request.header("Authorization")
    if value is None:
        return None
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return []
    client_id, _, client_secret = decoded.partition(":")
    # RFC 6749 2.3.1 form-urlencodes both halves before base64, but most clients (httpx's
    # BasicAuth among them) send them raw; real servers accept both, so this does too.
    return [
        (client_id, client_secret),
        (urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(client_secret)),
    ]


def _authenticate(state: SimState, request: Request, form: dict[str, str]) -> OAuthClient:
    basic = _basic_credentials(request)
    if basic is not None:
        candidates = basic
    else:
        candidates = [(form.get("client_id", ""), form.get("client_secret", ""))]
    for client_id, client_secret in candidates:
        client = state.oauth_client(client_id)
        if client is not None and hmac.compare_digest(
            client.client_secret.encode(), client_secret.encode()
        ):
            return client
    raise _ClientRejected(basic is not None)


def _invalid_client(exc: _ClientRejected) -> Response:
    # RFC 6749 5.2: a client that tried Basic gets a WWW-Authenticate challenge back.
    headers = {"WWW-Authenticate": 'Basic realm="simulator"'} if exc.basic else {}
    return error_response(401, "invalid_client", "Client authentication failed.", headers)


def _client_request(
    state: SimState, request: Request
) -> tuple[dict[str, str], OAuthClient] | Response:
    """The form of a client-authenticated request and its client, or the error answer."""
    form = form_or_error(request)
    if isinstance(form, Response):
        return form
    try:
        return form, _authenticate(state, request, form)
    except _ClientRejected as exc:
        return _invalid_client(exc)


def token(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /oauth/token``: the client credentials grant."""
    checked = _client_request(state, request)
    if isinstance(checked, Response):
        return checked
    form, client = checked
    grant = form.get("grant_type")
    if not grant:
        return missing_field("grant_type")
    if grant != "client_credentials":
        return error_response(400, "unsupported_grant_type")
    requested = form.get("scope", "").split()
    if any(scope not in client.scopes for scope in requested):
        return error_response(400, "invalid_scope", "The client may not ask for that scope.")
    scope = " ".join(requested or client.scopes)
    issued = state.issue(
        STYLE, secrets.token_urlsafe(32), client.client_id, LIFETIME, {"scope": scope}
    )
    answer = {
        "access_token": issued.value,
        "token_type": "Bearer",
        "expires_in": int(LIFETIME.total_seconds()),
        "scope": scope,
    }
    return json_response(200, answer, NO_STORE)


def revoke(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /oauth/revoke``: 200 whether or not the token was known (RFC 7009 2.2)."""
    checked = _client_request(state, request)
    if isinstance(checked, Response):
        return checked
    form, client = checked
    value = form.get("token")
    if not value:
        return missing_field("token")
    known = state.valid_token(STYLE, value)
    # Only the client a token was issued to may revoke it; anything else is a silent no-op.
    if known is not None and known.subject == client.client_id:
        state.revoke(value)
    return empty_response(200)


def whoami(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``GET /oauth/whoami``: an API call with the bearer token."""
    issued = state.valid_token(STYLE, request.bearer())
    if issued is None:
        return invalid_token()
    return json_response(200, {"client_id": issued.subject, "scope": issued.details["scope"]})


ROUTES = (
    Route("POST", "/oauth/token", token, f"{STYLE}.generate"),
    Route("POST", "/oauth/revoke", revoke, f"{STYLE}.revoke"),
    Route("GET", "/oauth/whoami", whoami, f"{STYLE}.whoami"),
)
