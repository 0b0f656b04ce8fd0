"""The secret-exchange style (ShiftIQ): a 90-day client secret buys a token of chosen lifetime."""

from __future__ import annotations

import secrets
from datetime import timedelta

import jwt

from vault.sim.messages import BadRequestBody, Request, Response, json_response, text_response
from vault.sim.routes import Route
from vault.sim.state import SimState

STYLE = "secret-exchange"
MIN_LIFETIME = 60
MAX_LIFETIME = 31_536_000
DEFAULT_LIFETIME = 86_400
SECRET_VALIDITY = timedelta(days=90)
# The JWT's own exp is off by this much on purpose: the vendor says to trust ExpiresIn, and a
# client that reads exp instead would believe the token outlives its real expiry.
JWT_EXP_SKEW = 3600

_UNITS = (("week", 604_800), ("day", 86_400), ("hour", 3600), ("minute", 60), ("second", 1))


def describe_lifetime(seconds: int) -> str:
    """The vendor's human text, e.g. ``31,536,000 seconds (~52 weeks)``."""
    for unit, size in _UNITS:
        if seconds >= size:
            amount = round(seconds / size)
            return f"{seconds:,} seconds (~{amount} {unit}{'' if amount == 1 else 's'})"
    return f"{seconds:,} seconds"


def generate(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``POST /v2/{partition}/security/tokens/generate`` (and the ``/api/`` alias)."""
    partition = params["partition"]
    try:
        body = request.json()
    except BadRequestBody as exc:
        return text_response(400, f"Bad request: {exc}.")
    lifetime = body.get("Lifetime", DEFAULT_LIFETIME)
    if (
        isinstance(lifetime, bool)
        or not isinstance(lifetime, int)
        or not MIN_LIFETIME <= lifetime <= MAX_LIFETIME
    ):
        return text_response(
            400,
            f"Lifetime must be a whole number of seconds from {MIN_LIFETIME} to {MAX_LIFETIME}.",
        )
    secret = body.get("Secret")
    entry = state.shiftiq_secret(partition, secret) if isinstance(secret, str) else None
    if entry is None:
        return text_response(401, "Your client secret is not recognized")
    now = state.now()
    if now >= entry.created_at + SECRET_VALIDITY:
        return text_response(401, "Your client secret is expired")
    issued = int(now.timestamp())
    claims = {
        "sub": partition,
        "iat": issued,
        "exp": issued + lifetime + JWT_EXP_SKEW,
        "jti": secrets.token_hex(8),
    }
    value = jwt.encode(claims, state.shiftiq_signing_key, algorithm="HS256")
    state.issue(STYLE, value, partition, timedelta(seconds=lifetime))
    return json_response(
        200,
        {
            "AccessToken": value,
            "TokenType": "Bearer",
            "ExpiresIn": lifetime,
            "Lifetime": describe_lifetime(lifetime),
        },
    )


def whoami(state: SimState, request: Request, params: dict[str, str]) -> Response:
    """``GET /v2/{partition}/whoami``: an API call with the bearer token."""
    token = state.valid_token(STYLE, request.bearer())
    if token is None or token.subject != params["partition"]:
        return text_response(401, "Your access token is not valid")
    return json_response(200, {"partition": token.subject})


ROUTES = (
    Route("POST", "/v2/{partition}/security/tokens/generate", generate, f"{STYLE}.generate"),
    Route("POST", "/v2/{partition}/api/security/tokens/generate", generate, f"{STYLE}.generate"),
    Route("GET", "/v2/{partition}/whoami", whoami, f"{STYLE}.whoami"),
)
