"""The github-app style: an app JWT buys a one-hour installation token, revocable by DELETE."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, timedelta

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from vault.sim.assertion import AssertionRejected, assertion_claims
from vault.sim.messages import Request, Response, empty_response, json_response
from vault.sim.routes import Route
from vault.sim.state import SimState

STYLE = "github-app"
LIFETIME = timedelta(hours=1)
# GitHub asks for iat = now - 60 to absorb clock drift, so the window is 600 + 60.
MAX_WINDOW = 660
ALLOWED_CLAIMS = frozenset({"iss", "iat", "exp"})
_ALPHABET = string.ascii_letters + string.digits
_BAD_CREDENTIALS = {"message": "Bad credentials"}


def _new_token() -> str:
    # Longer than today's 36 characters on purpose: GitHub says not to assume a length.
    return "ghs_" + "".join(secrets.choice(_ALPHABET) for _ in range(40))


def _public_key(state: SimState, issuer: str) -> RSAPublicKey | None:
    app = state.github_app(issuer)
    return None if app is None else app.public_key


def _installation_token(request: Request) -> str | None:
    # GitHub takes installation tokens with either scheme.
    return request.bearer(schemes=("bearer", "token"))


def create_token(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /app/installations/{installation_id}/access_tokens``."""
    try:
        claims = assertion_claims(
            request,
            lambda issuer: _public_key(state, issuer),
            now=state.now().timestamp(),
            max_window=MAX_WINDOW,
            allowed_claims=ALLOWED_CLAIMS,
            missing="A JSON web token could not be decoded",
        )
    except AssertionRejected as exc:
        return json_response(401, {"message": exc.reason})
    app = state.github_app(str(claims["iss"]))
    installation = params["installation_id"]
    if app is None or not installation.isdigit() or int(installation) not in app.installation_ids:
        return json_response(404, {"message": "Not Found"})
    token = state.issue(
        STYLE, _new_token(), app.app_id, LIFETIME, {"installation_id": installation}
    )
    # Whole seconds, rounded down, so the advertised expiry is never later than the real one.
    expires_at = token.expires_at.astimezone(UTC).replace(microsecond=0)
    return json_response(
        201, {"token": token.value, "expires_at": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    )


def revoke(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``DELETE /installation/token``: the installation token revokes itself."""
    token = state.valid_token(STYLE, _installation_token(request))
    if token is None:
        return json_response(401, _BAD_CREDENTIALS)
    state.revoke(token.value)
    return empty_response(204)


def repositories(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``GET /installation/repositories``: an API call with the installation token."""
    token = state.valid_token(STYLE, _installation_token(request))
    if token is None:
        return json_response(401, _BAD_CREDENTIALS)
    return json_response(
        200,
        {
            "total_count": 0,
            "repositories": [],
            "installation_id": int(token.details["installation_id"]),
        },
    )


ROUTES = (
    Route(
        "POST",
        "/app/installations/{installation_id}/access_tokens",
        create_token,
        f"{STYLE}.generate",
    ),
    Route("DELETE", "/installation/token", revoke, f"{STYLE}.revoke"),
    Route("GET", "/installation/repositories", repositories, f"{STYLE}.whoami"),
)
