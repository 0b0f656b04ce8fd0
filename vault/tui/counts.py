"""The status line's counts: problems first (errors, expired, expiring, root secrets running out).

A pass over every credential costs milliseconds at 1,000 of them: it is redone when the data
changes or when the clock reaches the next moment any count, reminder or auto-refresh decision
can change (``next_change``), not every few seconds while nothing moves.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from vault.core.config import NotifySettings
from vault.core.model import SECRET_NOTICE, SECRET_WARNING, Credential, Status
from vault.core.reminders import Reminder, due

BACKSTOP = timedelta(seconds=30)
"""A full pass at least this often, whatever ``next_change`` says (a rule added elsewhere)."""


@dataclass
class Counts:
    """One pass over every credential at ``at``."""

    at: datetime
    expiring: int = 0
    expired: int = 0
    errors: int = 0
    """Credentials whose last operation failed (``Status.ERROR``)."""
    secrets: int = 0
    """Root secrets within ``SECRET_NOTICE`` of their expiry, or past it."""
    due: list[str] = field(default_factory=list)
    """Auto-refresh credentials whose token is expiring or expired, by the token's clock."""
    reminders: list[Reminder] = field(default_factory=list)
    next_change: datetime | None = None
    """The earliest moment after ``at`` when any of the above can change by the clock alone."""

    def stale(self, now: datetime) -> bool:
        if now - self.at >= BACKSTOP:
            return True
        return self.next_change is not None and now >= self.next_change


def _moments(cred: Credential, notify: NotifySettings) -> list[datetime]:
    """The instants at which ``cred``'s status, secret level or reminders flip."""
    out: list[datetime] = []
    token = cred.token
    if token is not None and token.expires_at is not None:
        life = token.lifetime() or timedelta(0)
        out.append(token.expires_at)
        out.append(token.expires_at - life * cred.policy.share)
        if notify.token_minutes > 0:
            out.append(token.expires_at - timedelta(minutes=notify.token_minutes))
    end = cred.secret_expires_at
    if end is not None:
        out.extend((end, end - SECRET_NOTICE, end - SECRET_WARNING))
        out.extend(end - timedelta(days=d) for d in notify.secret_days)
    return out


def count_problems(creds: Collection[Credential], at: datetime, notify: NotifySettings) -> Counts:
    counts = Counts(at)
    soonest: datetime | None = None
    for cred in creds:
        token_status = cred.token_status(at)
        status = Status.ERROR if cred.last_error else token_status
        if status is Status.EXPIRING:
            counts.expiring += 1
        elif status is Status.EXPIRED:
            counts.expired += 1
        elif status is Status.ERROR:
            counts.errors += 1
        if cred.secret_level(at) in ("warn", "bad") or (cred.secret_seconds_left(at) or 1) <= 0:
            counts.secrets += 1
        # By the token's clock, not `status`: a failed refresh shows `error`, and must still
        # be retried while the token runs out.
        if cred.policy.auto and token_status in (Status.EXPIRING, Status.EXPIRED):
            counts.due.append(cred.name)
        for moment in _moments(cred, notify):
            if moment > at and (soonest is None or moment < soonest):
                soonest = moment
    counts.next_change = soonest
    counts.reminders = due(creds, at, notify)
    return counts


def reword(
    counts: Counts, creds: dict[str, Credential], at: datetime, notify: NotifySettings
) -> None:
    """Fresh words ("expires in 4m 10s") for the reminders already shown, without a full pass.

    The status line words the most urgent one and counts the rest: only the first is worded
    again (hundreds of root secrets within their notice made this the costliest part of an
    idle second); the rest keep theirs until the next full pass.
    """
    if not counts.reminders:
        return
    first = counts.reminders[0]
    cred = creds.get(first.name)
    fresh = [r for r in due([cred], at, notify) if r.kind == first.kind] if cred else []
    if fresh:
        counts.reminders[0] = fresh[0]
    else:  # it went (a moment passed between passes): word them all again
        named = {r.name for r in counts.reminders}
        counts.reminders = due([creds[n] for n in named if n in creds], at, notify)
