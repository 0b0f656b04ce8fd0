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

LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""No expiry at or after this is believed: a year-9999 date or an ``exp`` of 10^20 is a bug
or an attack that would otherwise make a token "valid forever"."""


class BadExpiry(ValueError):
    """An answer's expiry is present but not a sane time; the answer must be refused.

    Treating it as absent would fall through to "no known expiry", which the vault reads as
    valid until a 401: a hostile or broken provider must not get a token kept forever.
    """


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


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sane(when: datetime, rule: str, what: str) -> tuple[datetime, str]:
    if when >= LATEST:
        raise BadExpiry(f"{what} gives an expiry after the year 2100")
    return when, rule


def parse_value(field: str, value: Any, issued_at: datetime) -> tuple[datetime, str] | None:
    """Interpret one answer field as an expiry; None when the field is absent or empty.

    Numbers: above 1e12 are epoch milliseconds; a field named ``*_in``/``*In`` or a value
    below 1e9 is seconds from ``issued_at``; anything else is epoch seconds. Strings of
    digits count as numbers; other strings must be ISO-8601.

    Raises:
        BadExpiry: the field holds something that is not a sane time (a boolean, a list,
            text that is no date, a negative, NaN or infinite number, more than ten years
            of relative lifetime, or a time in or after the year 2100).
    """
    if _absent(value):
        return None
    what = f"the field {field!r}"
    unreadable = BadExpiry(f"{what} holds an expiry the vault cannot read as a time")
    number: float
    if isinstance(value, bool):
        raise unreadable
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits
            raise unreadable from None
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 64:  # no date or number needs more; int("9" * 5000) is costly
            raise unreadable
        try:
            number = float(text)
        except ValueError:
            try:
                return _sane(parse_utc(text), "iso8601", what)
            except BadExpiry:
                raise
            except ValueError:
                raise unreadable from None
    else:
        raise unreadable
    if not math.isfinite(number) or number < 0:
        raise unreadable
    try:
        if number > EPOCH_MS_FLOOR:
            return _sane(datetime.fromtimestamp(number / 1000, UTC), "epoch_ms", what)
        if _is_relative_name(field) or number < EPOCH_S_FLOOR:
            if number > MAX_RELATIVE:
                raise BadExpiry(f"{what} gives a lifetime of more than ten years")
            return _sane(issued_at + timedelta(seconds=number), "expires_in", what)
        return _sane(datetime.fromtimestamp(number, UTC), "epoch_s", what)
    except BadExpiry:
        raise
    except (OverflowError, OSError, ValueError):  # beyond what datetime can hold at all
        raise BadExpiry(f"{what} gives an expiry after the year 2100") from None


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT-shaped token, signature NOT checked: for expiry hints and display.

    The vault cannot verify a provider's token (it lacks the key); nothing here is trusted
    for access decisions, only shown or used as the last expiry source.
    """
    if token.count(".") != 2:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, RecursionError):  # RecursionError: a deeply nested payload
        return None
    return claims if isinstance(claims, dict) else None


def jwt_exp(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT-shaped token, read without verifying; None when it has none.

    Raises:
        BadExpiry: the claim is there but not a sane time (see ``parse_value``).
    """
    claims = jwt_claims(token)
    if claims is None or _absent(claims.get("exp")):
        return None
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise BadExpiry("the token's own exp claim is not a number of epoch seconds")
    try:
        when = datetime.fromtimestamp(float(exp), UTC)
    except (OverflowError, OSError, ValueError):
        raise BadExpiry("the token's own exp claim is not a sane time") from None
    return _sane(when, "jwt_exp", "the token's own exp claim")[0]


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

    Raises:
        BadExpiry: the first expiry present is not a sane time; it is never skipped.
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
