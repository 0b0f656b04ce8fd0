"""The wall clock, in one place so screenshots and tests can freeze it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """Return the current time as an aware UTC datetime, whole seconds kept exact."""
    if _override is not None:
        return _override()
    frozen = os.environ.get("TOKENVAULT_FROZEN_TIME")
    if frozen:
        # Only for generated screenshots and demos that must look the same on every run.
        return parse_utc(frozen)
    return datetime.now(UTC)


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests, screenshots); ``None`` restores the wall clock."""
    global _override
    _override = fn


@contextmanager
def travel(to: datetime) -> Iterator[None]:
    """Run a block with the clock standing at ``to``, then restore whatever clock was set.

    For data that must look as if made in the past (the demo vault): tokens, their history
    and the simulator's own records then agree with each other.
    """
    global _override
    saved = _override
    _override = lambda: to  # noqa: E731 - a one-line stand-in clock
    try:
        yield
    finally:
        _override = saved


def parse_utc(text: str) -> datetime:
    """Parse ISO-8601 (``Z`` allowed) into an aware UTC datetime; naive means UTC."""
    value = datetime.fromisoformat(text)  # 3.11 reads "Z" itself
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if value.utcoffset():
        return value.astimezone(UTC)
    return value


def iso(value: datetime | None) -> str | None:
    """Format an aware datetime as ISO-8601 UTC with a ``Z`` suffix, or None."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    # Hot path (thousands of dates per save): slice the offset rather than convert.
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
