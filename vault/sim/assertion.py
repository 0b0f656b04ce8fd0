"""The simulator's own verifier of RS256 client assertions (Unifize apps and GitHub Apps)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from vault.sim.messages import Request

MAX_IAT_SKEW = 30
"""Seconds an ``iat`` may lie in the future of the server clock (client clocks drift)."""


class AssertionRejected(Exception):
    """The assertion is not acceptable; ``reason`` is what the provider tells the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    # bool is an int in Python but never a valid NumericDate.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssertionRejected(f"the {name} claim must be a number of seconds since the epoch")
    return float(value)


def verify_assertion(
    token: str,
    key_for_issuer: Callable[[str], RSAPublicKey | None],
    *,
    now: float,
    max_window: int,
    allowed_claims: frozenset[str],
) -> dict[str, Any]:
    """Verify an RS256 assertion and return its claims.

    PyJWT checks the signature and the algorithm; the time checks are done here against
    ``now`` because the simulator's clock may be shifted away from the wall clock.

    Args:
        token: the compact JWT from the ``Authorization`` header.
        key_for_issuer: the registered public key of an ``iss``, or None when unknown.
        now: the server clock, epoch seconds.
        max_window: the largest ``exp - iat`` accepted (600, or 660 for GitHub Apps).
        allowed_claims: every claim the assertion may carry.

    Raises:
        AssertionRejected: with a reason fit to send back to the client.
    """
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise AssertionRejected("the assertion is not a decodable JWT") from None
    if header.get("alg") != "RS256":
        raise AssertionRejected("the assertion must be signed with RS256")
    issuer = unverified.get("iss")
    # GitHub accepts a numeric App ID as well as the client id string.
    if isinstance(issuer, int) and not isinstance(issuer, bool):
        issuer = str(issuer)
    if not isinstance(issuer, str) or not issuer:
        raise AssertionRejected("the assertion has no iss claim")
    key = key_for_issuer(issuer)
    if key is None:
        raise AssertionRejected(f"unknown iss {issuer!r}")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            options={
                "verify_signature": True,
                # Time is judged below by the simulator's (possibly shifted) clock.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                # aud, sub, jti are rejected below as unexpected claims instead.
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise AssertionRejected("the assertion signature does not match the app's key") from None
    except jwt.InvalidTokenError:
        raise AssertionRejected("the assertion could not be verified") from None
    extra = sorted(set(claims) - allowed_claims)
    if extra:
        raise AssertionRejected(f"unexpected claims in the assertion: {', '.join(extra)}")
    iat = _number(claims, "iat")
    exp = _number(claims, "exp")
    if iat > now + MAX_IAT_SKEW:
        raise AssertionRejected("the iat claim is in the future")
    if exp - iat > max_window:
        raise AssertionRejected(f"exp - iat must be at most {max_window} seconds")
    if exp <= now:
        raise AssertionRejected("the assertion has expired")
    return claims


def assertion_claims(
    request: Request,
    key_for_issuer: Callable[[str], RSAPublicKey | None],
    *,
    now: float,
    max_window: int,
    allowed_claims: frozenset[str],
    missing: str,
) -> dict[str, Any]:
    """Verify the request's bearer assertion, so each style only shapes its own 401 body.

    Raises:
        AssertionRejected: with ``missing`` as the reason when there is no bearer credential,
            else as ``verify_assertion`` does.
    """
    assertion = request.bearer()
    if assertion is None:
        raise AssertionRejected(missing)
    return verify_assertion(
        assertion,
        key_for_issuer,
        now=now,
        max_window=max_window,
        allowed_claims=allowed_claims,
    )
