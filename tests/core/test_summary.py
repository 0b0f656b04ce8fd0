"""Time-left wording, shared by `tokenvault list` and the TUI's bars and details."""

from __future__ import annotations

import pytest

from vault.core.summary import format_left, secret_label


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "no expiry"),
        (12, "12s"),
        (250, "4m 10s"),
        (23 * 3600 + 12 * 60, "23h 12m"),
        (9 * 86400 + 4 * 3600, "9d 4h"),
        (83 * 86400 + 4 * 3600, "83d"),
        (0, "expired 0s ago"),
        (-(3 * 60 + 40), "expired 3m ago"),
    ],
)
def test_format_left(seconds: int | None, text: str) -> None:
    assert format_left(seconds) == text


def test_secret_label() -> None:
    assert secret_label(None) == ""
    assert secret_label(-1) == "secret expired"
    assert secret_label(83 * 86400 + 5) == "secret 83d"
    assert secret_label(5 * 3600) == "secret 5h 0m"
