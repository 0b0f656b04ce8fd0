"""Durations on the command line: ``90s``, ``15m``, ``1h``, ``1h30m``; bare numbers are seconds."""

from __future__ import annotations

import re

from vault.core.errors import UsageError

_PART = re.compile(r"(\d+)([smhd]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SECONDS = 7 * 86400
"""An agent that outlives a week is a key left lying around; longer values are refused."""

MAX_DIGITS = 12
"""More digits than any sane duration has (a week is 604800 s): longer numbers are refused."""


def parse_duration(text: str) -> int:
    """Seconds in ``text``.

    Raises:
        UsageError: not a duration, zero, or longer than a week.
    """
    compact = text.strip().lower().replace(" ", "")
    if not compact or _PART.sub("", compact):
        raise UsageError(f"{text!r} is not a duration; write it like 90s, 15m, 1h or 1h30m.")
    parts = _PART.findall(compact)
    if any(len(n) > MAX_DIGITS for n, _ in parts):
        # int() of thousands of digits is slow and then refused by Python itself.
        raise UsageError("The timeout cannot be longer than 7 days.")
    seconds = sum(int(n) * _UNIT[unit] for n, unit in parts)
    if seconds <= 0:
        raise UsageError("The timeout must be longer than zero seconds.")
    if seconds > MAX_SECONDS:
        raise UsageError("The timeout cannot be longer than 7 days.")
    return seconds


def format_duration(seconds: int) -> str:
    """The shortest ``parse_duration`` spelling of ``seconds`` (``900`` -> ``15m``)."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
