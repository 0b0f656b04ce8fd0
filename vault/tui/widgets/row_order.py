"""The credential list's order: one key per sort (problems first by status), reversal, pinning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from vault.core.model import Credential, Status

SORTS = ("expiry", "name", "style", "status")
"""Sort orders cycled by the sort key; soonest expiry first by default."""

_FAR = 10**12

PROBLEM_RANK = {
    Status.ERROR: 0,
    Status.EXPIRED: 1,
    Status.EXPIRING: 2,
    Status.MISSING: 4,
    Status.REVOKED: 5,
    Status.VALID: 6,
}
"""Sorting by status lists what needs a person first: a failure, then a dead token, then one
running out. Rank 3 is a valid token whose root secret is running out (see ``problem_rank``)."""

Row = TypeVar("Row")


def expiry_key(cred: Credential) -> tuple[int, float, str]:
    token = cred.token
    if token is None or token.expires_at is None:
        return (1, _FAR, cred.name)
    return (0, token.expires_at.timestamp(), cred.name)


def problem_rank(cred: Credential, at: datetime) -> int:
    status = cred.status(at)
    if status is Status.VALID and cred.secret_level(at) in ("warn", "bad"):
        return 3  # the token works today, but its root secret will not for long
    return PROBLEM_RANK[status]


def sort_key(sort: str, at: datetime) -> Callable[[Credential], Any]:
    """The key of one of ``SORTS`` (an unknown name sorts by expiry)."""
    if sort == "name":
        return lambda c: (c.name.lower(), c.name)
    if sort == "style":
        return lambda c: (c.provider, c.name.lower())
    if sort == "status":
        return lambda c: (problem_rank(c, at), expiry_key(c))
    return expiry_key


def ordered(
    rows: list[Row], cred_of: Callable[[Row], Credential], sort: str, reverse: bool, at: datetime
) -> list[Row]:
    key = sort_key(sort, at)
    return sorted(rows, key=lambda r: key(cred_of(r)), reverse=reverse)


def pin(rows: list[Row], moved_from: int, keep_at: int) -> bool:
    """Move ``rows[moved_from]`` back to ``keep_at`` in place; True when it had to move.

    A re-sort (a refreshed token now expires last) must not pull the row the cursor is on out
    from under the next key press: it waits at its old place until the cursor moves.
    """
    keep_at = max(0, min(keep_at, len(rows) - 1))
    if moved_from == keep_at:
        return False
    rows.insert(keep_at, rows.pop(moved_from))
    return True
