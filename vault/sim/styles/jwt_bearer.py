"""The jwt-bearer style: RFC 7523 JWT bearer grant as Google service accounts use it."""

from __future__ import annotations

import secrets
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from vault.sim.assertion import AssertionRejected, verify_assertion
from vault.sim.messages import Request, Response, empty_response, json_response
from vault.sim.routes import Route
from vault.sim.state import SimState
from vault.sim.styles.rfc6749 import (
    NO_STORE,
    error_response,
    form_or_error,
    invalid_token,
    missing_field,
)

STYLE = "jwt-bearer"
LIFETIME = timedelta(hours=1)
MAX_WINDOW = 3600
"""Google refuses an assertion whose ``exp`` is more than an hour after its ``iat``."""
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ALLOWED_CLAIMS = frozenset({"iss", "scope", "aud", "iat", "exp", "sub"})
TOKEN_PATH = "/token"


def _error(status: int, error: str, description: str) -> Response:
    return error_response(status, error, description, NO_STORE)


def _endpoint_url(request: Request) -> str | None:
    """The URL the client called, as it must appear in ``aud`` (the sim only speaks http)."""
    host = request.header("Host")
    return f"http://{host.strip()}{request.path}" if host and host.strip() else None


def _audience_ok(aud: object, expected: str | None) -> bool:
    # RFC 7519 4.1.3: one string, or a list of which one must be this endpoint.
    if expected is None:
        return False
    if isinstance(aud, str):
        return aud == expected
    return isinstance(aud, list) and expected in aud


def token(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /token``: verify the service account's assertion, issue a one-hour token."""
    form = form_or_error(request, NO_STORE)
    if isinstance(form, Response):
        return form
    grant = form.get("grant_type")
    if not grant:
        return missing_field("grant_type", NO_STORE)
    if grant != GRANT_TYPE:
        return _error(400, "unsupported_grant_type", f"Only {GRANT_TYPE} is supported.")
    assertion = form.get("assertion")
    if not assertion:
        return missing_field("assertion", NO_STORE)

    def key_for(issuer: str) -> RSAPublicKey | None:
        client = state.jwt_bearer_client(issuer)
        return None if client is None else client.public_key

    try:
        claims = verify_assertion(
            assertion,
            key_for,
            now=state.now().timestamp(),
            max_window=MAX_WINDOW,
            allowed_claims=ALLOWED_CLAIMS,
        )
    except AssertionRejected as exc:
        if exc.reason.startswith("unknown iss"):
            return _error(401, "invalid_client", f"The service account is not known ({exc}).")
        return _error(400, "invalid_grant", exc.reason)
    client = state.jwt_bearer_client(str(claims["iss"]))
    if client is None:  # unregistered between the two look-ups: treat as unknown
        return _error(401, "invalid_client", "The service account is not known.")
    expected = _endpoint_url(request)
    if not _audience_ok(claims.get("aud"), expected):
        return _error(400, "invalid_grant", f"the aud claim must be {expected}")
    claimed = claims.get("scope", "")
    if not isinstance(claimed, str):
        return _error(400, "invalid_grant", "the scope claim must be a space-separated string")
    # Google reads the claim; RFC 7523 also allows the form field. Both are checked.
    requested = list(dict.fromkeys([*claimed.split(), *form.get("scope", "").split()]))
    if not requested:
        return _error(400, "invalid_scope", "Empty or missing scope not allowed.")
    if any(scope not in client.scopes for scope in requested):
        return _error(400, "invalid_scope", "The service account may not ask for that scope.")
    subject = claims.get("sub")
    details = {"scope": " ".join(requested)}
    if isinstance(subject, str) and subject:
        details["sub"] = subject
    issued = state.issue(
        STYLE, "ya29." + secrets.token_urlsafe(48), client.client_email, LIFETIME, details
    )
    answer = {
        "access_token": issued.value,
        "token_type": "Bearer",
        "expires_in": int(LIFETIME.total_seconds()),
    }
    return json_response(200, answer, NO_STORE)


CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_ASSERTION_CLAIMS = frozenset({"iss", "sub", "aud", "iat", "exp", "jti"})
"""RFC 7523 section 3: what a client assertion carries (jti against replay)."""


def _client_assertion_refused(state: SimState, request: Request, form: dict[str, str]) -> str:
    """Why an RFC 7523 section 2.2 client assertion fails, or "" when it passes."""
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        return f"client_assertion_type must be {CLIENT_ASSERTION_TYPE}"

    def key_for(issuer: str) -> RSAPublicKey | None:
        client = state.jwt_bearer_client(issuer)
        return None if client is None else client.public_key

    try:
        claims = verify_assertion(
            form.get("client_assertion", ""),
            key_for,
            now=state.now().timestamp(),
            max_window=MAX_WINDOW,
            allowed_claims=CLIENT_ASSERTION_CLAIMS,
        )
    except AssertionRejected as exc:
        return exc.reason
    if claims.get("sub") != claims["iss"]:
        return "the sub claim must be the client id, as iss is"
    host = request.header("Host") or ""
    expected = f"http://{host.strip()}{TOKEN_PATH}"
    if not _audience_ok(claims.get("aud"), expected):
        return f"the aud claim must be {expected}"
    return ""


def revoke(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /revoke``: RFC 7009; 200 for unknown tokens.

    Like Google's, it needs no client authentication; a client that sends an RFC 7523
    ``client_assertion`` anyway has it verified, and a bad one is ``401 invalid_client``.
    """
    form = form_or_error(request, NO_STORE)
    if isinstance(form, Response):
        return form
    if "client_assertion" in form or "client_assertion_type" in form:
        reason = _client_assertion_refused(state, request, form)
        if reason:
            return _error(401, "invalid_client", reason)
    value = form.get("token")
    if not value:
        return missing_field("token", NO_STORE)
    if state.valid_token(STYLE, value) is not None:
        state.revoke(value)
    return empty_response(200)


def whoami(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``GET /jwt-bearer/whoami``: an API call with the access token."""
    issued = state.valid_token(STYLE, request.bearer())
    if issued is None:
        return invalid_token("Invalid Credentials")
    answer = {"client_email": issued.subject, "scope": issued.details["scope"]}
    if "sub" in issued.details:
        answer["sub"] = issued.details["sub"]
    return json_response(200, answer)


ROUTES = (
    Route("POST", TOKEN_PATH, token, f"{STYLE}.generate"),
    Route("POST", "/revoke", revoke, f"{STYLE}.revoke"),
    Route("GET", "/jwt-bearer/whoami", whoami, f"{STYLE}.whoami"),
)
