"""The app-token style (Happay / ISAC): an opaque 25-hour token sent in ``App-Token``."""

from __future__ import annotations

import hmac
import secrets
import string
import uuid
from datetime import timedelta

from vault.sim.messages import BadRequestBody, Request, Response, json_response
from vault.sim.routes import Route
from vault.sim.state import SimState

STYLE = "app-token"
LIFETIME = timedelta(hours=25)
_ALPHABET = string.ascii_uppercase + string.digits


def _new_token() -> str:
    # Shaped like the vendor's sample BO8SS05DS4Q9K1GRONRBP: 21 characters A-Z0-9, not a JWT.
    return "".join(secrets.choice(_ALPHABET) for _ in range(21))


def _is_uuid4(value: str | None) -> bool:
    if not value:
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value.strip().lower()


def generate(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /auth/app-token``: trade an app id and secret for an app token."""
    try:
        body = request.json()
    except BadRequestBody as exc:
        return json_response(400, {"error": str(exc)})
    app_id, app_secret = body.get("app_id"), body.get("app_secret")
    app = state.app_token_app(app_id) if isinstance(app_id, str) else None
    if (
        app is None
        or not isinstance(app_secret, str)
        or not hmac.compare_digest(app.app_secret.encode(), app_secret.encode())
    ):
        return json_response(401, {"error": "invalid app credentials"})
    token = state.issue(STYLE, _new_token(), app.app_id, LIFETIME)
    return json_response(200, {"app_token": token.value})


def whoami(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``GET /app-token/whoami``: an API call authenticated by the three headers."""
    token = state.valid_token(STYLE, request.header("App-Token"))
    if token is None or token.subject != request.header("App-ID"):
        return json_response(401, {"error": "invalid or expired app token"})
    request_id = request.header("Request-ID")
    if not _is_uuid4(request_id):
        return json_response(400, {"error": "Request-ID must be a UUID4"})
    return json_response(200, {"app_id": token.subject, "request_id": request_id})


ROUTES = (
    Route("POST", "/auth/app-token", generate, f"{STYLE}.generate"),
    Route("GET", "/app-token/whoami", whoami, f"{STYLE}.whoami"),
)
