"""The jwt-assertion style (Unifize): an RS256 assertion buys a one-hour opaque token."""

from __future__ import annotations

import secrets
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from vault.sim.assertion import AssertionRejected, assertion_claims
from vault.sim.messages import BadRequestBody, Request, Response, json_response
from vault.sim.routes import Route
from vault.sim.state import SimState

STYLE = "jwt-assertion"
LIFETIME = timedelta(hours=1)
MAX_WINDOW = 600
ALLOWED_CLAIMS = frozenset({"iss", "iat", "exp", "orgId"})


def _offered_orgs(request: Request, claims: dict[str, object]) -> list[object]:
    """Every Org ID the client sent, from the body, the query and the assertion."""
    body = request.json(optional=True)
    offered: list[object] = []
    if "orgId" in body:
        offered.append(body["orgId"])
    offered.extend(request.query.get("orgId", []))
    if "orgId" in claims:
        offered.append(claims["orgId"])
    return offered


def _public_key(state: SimState, issuer: str) -> RSAPublicKey | None:
    app = state.jwt_app(issuer)
    return None if app is None else app.public_key


def generate(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /application/token``: verify the assertion, check the org, issue a token."""
    try:
        claims = assertion_claims(
            request,
            lambda issuer: _public_key(state, issuer),
            now=state.now().timestamp(),
            max_window=MAX_WINDOW,
            allowed_claims=ALLOWED_CLAIMS,
            missing="missing Authorization: Bearer <assertion>",
        )
    except AssertionRejected as exc:
        return json_response(401, {"error": exc.reason})
    app = state.jwt_app(str(claims["iss"]))
    if app is None:  # unregistered between the two look-ups: treat as unknown
        return json_response(401, {"error": "unknown iss"})
    try:
        offered = _offered_orgs(request, claims)
    except BadRequestBody as exc:
        return json_response(400, {"error": str(exc)})
    # The org must be named, and every place that names it must agree with the registration.
    if not offered or any(str(org) != app.org_id for org in offered):
        return json_response(403, {"error": "unknown org"})
    token = state.issue(
        STYLE, secrets.token_urlsafe(32), app.app_id, LIFETIME, {"org_id": app.org_id}
    )
    expires_at_ms = int(token.expires_at.timestamp() * 1000)
    return json_response(200, {"accessToken": token.value, "expiresAt": expires_at_ms})


def whoami(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``GET /application/whoami``: an API call with the access token."""
    token = state.valid_token(STYLE, request.bearer())
    if token is None:
        return json_response(401, {"error": "invalid or expired access token"})
    return json_response(200, {"app_id": token.subject, "org_id": token.details["org_id"]})


ROUTES = (
    Route("POST", "/application/token", generate, f"{STYLE}.generate"),
    Route("GET", "/application/whoami", whoami, f"{STYLE}.whoami"),
)
