"""Robust expiry parsing: relative seconds, ISO-8601, epoch s/ms, a JWT's exp, a fixed lifetime."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from vault.core.clock import parse_utc

EPOCH_MS_FLOOR = 1e12
"""A number above this is epoch milliseconds (1e12 ms is 2001; 1e12 s is year 33658)."""

EPOCH_S_FLOOR = 1e9
"""A number at or above this (2001-09-09) is epoch seconds unless the field says "in"."""

MAX_RELATIVE = 10 * 366 * 86400
"""A relative lifetime beyond ten years is taken as garbage rather than trusted."""


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted ``path`` (``data.token``) or None when any step is missing."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _is_relative_name(field: str) -> bool:
    last = field.rsplit(".", 1)[-1]
    return last.lower().endswith("in") or last.lower() in {"ttl", "lifetime", "validity"}


def parse_value(field: str, value: Any, issued_at: datetime) -> tuple[datetime, str] | None:
    """Interpret one answer field as an expiry; None when it holds nothing usable.

    Numbers: above 1e12 are epoch milliseconds; a field named ``*_in``/``*In`` or a value
    below 1e9 is seconds from ``issued_at``; anything else is epoch seconds. Strings of
    digits count as numbers; other strings must be ISO-8601.
    """
    if isinstance(value, bool) or value is None:
        return None
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                return parse_utc(text), "iso8601"
            except ValueError:
                return None
    else:
        return None
    if number is None or not math.isfinite(number) or number < 0:
        return None
    try:
        if number > EPOCH_MS_FLOOR:
            return datetime.fromtimestamp(number / 1000, UTC), "epoch_ms"
        if _is_relative_name(field) or number < EPOCH_S_FLOOR:
            if number > MAX_RELATIVE:
                return None
            return issued_at + timedelta(seconds=number), "expires_in"
        return datetime.fromtimestamp(number, UTC), "epoch_s"
    except (OverflowError, OSError, ValueError):
        return None


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT-shaped token, signature NOT checked: for expiry hints and display.

    The vault cannot verify a provider's token (it lacks the key); nothing here is trusted
    for access decisions, only shown or used as the last expiry source.
    """
    if token.count(".") != 2:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def jwt_exp(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT-shaped token, read without verifying (only for display)."""
    claims = jwt_claims(token)
    if claims is None:
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(exp), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_expiry(
    answer: Mapping[str, Any],
    token: str,
    issued_at: datetime,
    *,
    fields: Iterable[str],
    fixed_lifetime: int | None,
) -> tuple[datetime | None, str]:
    """Find the token's expiry and name the rule that gave it.

    The answer's fields win (in the order given), then the token's own JWT ``exp``, then the
    configured fixed lifetime; ``(None, "unknown")`` when none applies.
    """
    for name in fields:
        found = parse_value(name, lookup(answer, name), issued_at)
        if found is not None:
            return found
    exp = jwt_exp(token)
    if exp is not None:
        return exp, "jwt_exp"
    if fixed_lifetime:
        return issued_at + timedelta(seconds=fixed_lifetime), "fixed"
    return None, "unknown"
