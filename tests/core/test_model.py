"""Status classification and masking rules of the payload model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vault.core.model import Credential, Status, Token, mask

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def cred_with(left: timedelta | None, lifetime: timedelta = timedelta(hours=10)) -> Credential:
    cred = Credential(name="c", provider="app-token")
    if left is not None:
        cred.token = Token(value="v" * 20, issued_at=AT + left - lifetime, expires_at=AT + left)
    return cred


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(hours=5), Status.VALID),
        (timedelta(minutes=59), Status.EXPIRING),  # under 10% of a 10 h lifetime
        (timedelta(seconds=-1), Status.EXPIRED),
        (None, Status.MISSING),
    ],
)
def test_status_by_the_clock(left: timedelta | None, expected: Status) -> None:
    assert cred_with(left).status(AT) is expected


def test_error_shows_but_refresh_decisions_still_see_the_clock() -> None:
    cred = cred_with(timedelta(minutes=30))
    cred.last_error = "HTTP 503 from the provider."
    assert cred.status(AT) is Status.ERROR
    assert cred.token_status(AT) is Status.EXPIRING


def test_revoked_without_token() -> None:
    cred = cred_with(None)
    cred.revoked = True
    assert cred.status(AT) is Status.REVOKED


@pytest.mark.parametrize(
    ("days_left", "level"), [(60, "ok"), (30, "warn"), (15, "warn"), (14, "bad"), (-1, "bad")]
)
def test_secret_levels(days_left: int, level: str) -> None:
    cred = cred_with(None)
    cred.secret_expires_at = AT + timedelta(days=days_left)
    assert cred.secret_level(AT) == level


def test_secret_level_none_when_the_secret_does_not_expire() -> None:
    assert cred_with(None).secret_level(AT) is None


def test_mask_shows_at_most_four_characters() -> None:
    assert mask("BO8SS05DS4Q9K1GRONRBP") == "••••NRBP"
    assert mask("short") == "••••"
    assert mask("") == ""
    assert "hunter2-value" not in repr(Credential("x", "p", secrets={"k": "hunter2-value"}))
