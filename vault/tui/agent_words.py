"""What the TUI says about the session agent: started, still running, until when."""

from __future__ import annotations

from typing import Any

from vault.core.clock import parse_utc


def until(status: dict[str, Any] | None) -> str | None:
    """ "21:00": when the agent locks if nothing uses it (local time: read against the wall)."""
    locks_at = status.get("locks_at") if status else None
    if not isinstance(locks_at, str) or not locks_at:
        return None
    return parse_utc(locks_at).astimezone().strftime("%H:%M")


def started(status: dict[str, Any] | None) -> str:
    when = until(status)
    tail = f" until {when} (each use extends it)" if when else ""
    return (
        f"Started the session agent: the CLI uses this vault without a passphrase{tail}. "
        "l locks both."
    )


def still_running(status: dict[str, Any] | None) -> str:
    when = until(status)
    tail = f" until {when}, or until" if when else " until"
    return f"The session agent still holds this vault's key{tail} `tokenvault lock` ends it."
