"""The reminder rules: which credentials need a person soon, as one pure function of the data.

The agent turns each reminder into one desktop notification (``vault.agent.reminder``), the
TUI shows them in its status line, and ``doctor`` reuses ``refresh_blocked``. A reminder is
made only of a credential's name and times: never a secret, a token or a provider's words
(those may quote a secret back), because notifications land in a desktop's history, on a
locked screen, and in other programs' D-Bus logs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from vault.core.clock import iso
from vault.core.config import NotifySettings
from vault.core.model import Credential, EventKind
from vault.core.names import shell_word
from vault.core.summary import format_left

SECRET = "secret-expiring"
FAILING = "refresh-failing"
TOKEN = "token-expiring"

_STREAK_BREAKERS = frozenset(
    {EventKind.GENERATED, EventKind.REFRESHED, EventKind.REVOKED, EventKind.CREATED}
)
"""Events that end a run of failures: a success, or a fresh start."""


@dataclass(frozen=True)
class Reminder:
    """One thing a person should do soon; ``summary`` and ``body`` are what is shown."""

    kind: str
    """``secret-expiring``, ``refresh-failing`` or ``token-expiring``."""
    name: str
    summary: str
    body: str
    key: tuple[str, str, str]
    """Tells this reminder apart from every other: (name, rule and threshold, the event's own
    time). The agent sends each key once; a rotated secret or a new token makes a new key."""
    urgent: bool = False


def refresh_blocked(cred: Credential, at: datetime, background: bool = True) -> str | None:
    """Why nothing will refresh ``cred``'s token on its own, or None when something will.

    Args:
        background: something refreshes auto-refresh credentials (the agent's refresher or
            the open TUI); False makes every credential "blocked".
    """
    if not cred.policy.auto:
        return "auto-refresh is off"
    left = cred.secret_seconds_left(at)
    if left is not None and left <= 0:
        return "its root secret has expired"
    if not background:
        return "nothing refreshes it in the background"
    return None


def failure_streak(cred: Credential) -> tuple[int, datetime | None]:
    """Failures in a row at the end of the history, and when the first of them happened."""
    count, first = 0, None
    for event in reversed(cred.history):
        if event.kind == EventKind.FAILED:
            count, first = count + 1, event.at
        elif event.kind in _STREAK_BREAKERS:
            break
    return count, first


def _secret(cred: Credential, at: datetime, days: Iterable[int]) -> Reminder | None:
    left = cred.secret_seconds_left(at)
    if left is None or left <= 0 or cred.secret_expires_at is None:
        return None  # an expired secret is doctor's error, not a countdown
    crossed = [d for d in days if left <= d * 86400]
    if not crossed:
        return None
    # Only the tightest threshold crossed: an agent started 5 days before says "7", not "30".
    threshold = min(crossed)
    day = cred.secret_expires_at.strftime("%Y-%m-%d %H:%M UTC")
    return Reminder(
        SECRET,
        cred.name,
        f"tokenvault: the root secret of {cred.name} expires in {format_left(left)}",
        f"It stops working on {day}. Create a new secret at the provider, then run "
        f"`tokenvault edit {shell_word(cred.name)} --secret-stdin`.",
        (cred.name, f"{SECRET}-{threshold}d", iso(cred.secret_expires_at) or ""),
        urgent=threshold <= 1,
    )


def _failing(cred: Credential, failures: int) -> Reminder | None:
    if not cred.policy.auto:
        return None
    count, first = failure_streak(cred)
    if count < failures or first is None:
        return None
    word = shell_word(cred.name)
    return Reminder(
        FAILING,
        cred.name,
        f"tokenvault: refreshing {cred.name} failed {count} times in a row",
        f"See `tokenvault show {word}` for the provider's answer, fix it, then run "
        f"`tokenvault refresh {word}`.",
        # Keyed by the run's first failure: the run goes on without a new notice per failure.
        (cred.name, FAILING, iso(first) or ""),
    )


def _token(cred: Credential, at: datetime, minutes: int, background: bool) -> Reminder | None:
    token = cred.token
    if minutes <= 0 or token is None or token.expires_at is None:
        return None
    left = token.seconds_left(at)
    if left is None or left <= 0 or left > minutes * 60:
        return None
    why = refresh_blocked(cred, at, background)
    if why is None:
        return None
    return Reminder(
        TOKEN,
        cred.name,
        f"tokenvault: the token of {cred.name} expires in {format_left(left)}",
        f"It expires at {token.expires_at.strftime('%H:%M UTC')} and {why}: run "
        f"`tokenvault refresh {shell_word(cred.name)}` if you still need it.",
        (cred.name, TOKEN, iso(token.expires_at) or ""),
        urgent=True,
    )


def due(
    creds: Iterable[Credential],
    at: datetime,
    settings: NotifySettings,
    *,
    background: bool = True,
) -> list[Reminder]:
    """Every reminder due at ``at``, most urgent kind first, then by name.

    Args:
        background: auto-refresh credentials get refreshed on their own (see
            ``refresh_blocked``).
    """
    found: list[Reminder] = []
    for cred in creds:
        for reminder in (
            _token(cred, at, settings.token_minutes, background),
            _failing(cred, settings.failures),
            _secret(cred, at, settings.secret_days),
        ):
            if reminder is not None:
                found.append(reminder)
    order = {TOKEN: 0, FAILING: 1, SECRET: 2}
    return sorted(found, key=lambda r: (order[r.kind], r.name))
