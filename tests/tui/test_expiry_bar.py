"""Expiry bar colours: green from 30% of the lifetime left, amber below it, red under 10%."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from rich.text import Text
from textual.color import Color

from tests.tui.conftest import on_main, wait_for
from vault.core.model import Credential, Token
from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.widgets.credential_list import CredentialList
from vault.tui.widgets.expiry_bar import ExpiryBar, urgency

AppFactory = Callable[..., TokenVaultApp]
HOUR = 3600


@pytest.mark.parametrize(
    ("share", "band"),
    [(0.35, "ok"), (0.30, "ok"), (0.29, "warn"), (0.20, "warn"), (0.10, "warn"), (0.09, "bad")],
)
def test_bands_by_share_of_lifetime_left(share: float, band: str) -> None:
    assert urgency(share, int(share * HOUR)) == band


def test_a_token_past_its_expiry_is_red_whatever_its_share() -> None:
    assert urgency(0.5, 0) == "bad"
    assert urgency(None, None) == "ok"  # no known expiry: nothing to warn about


async def test_a_credential_at_20_percent_draws_its_bar_in_the_warning_colour(
    make_app: AppFactory, store: VaultStore, frozen_clock: datetime
) -> None:
    # One hour tokens with 12 minutes left: 20% of the lifetime, inside the amber band.
    expires = frozen_clock + timedelta(minutes=12)
    token = Token("amber-token-0001", issued_at=expires - timedelta(hours=1), expires_at=expires)
    with store.transaction() as data:
        data.credentials["amber"] = Credential(
            "amber", "app-token", settings={"base_url": "https://api.example"}, token=token
        )
    app = make_app(unlocked=store, auto_lock=0)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("amber")
        await pilot.press("enter")
        bar = app.screen.query_one("#details-bar", ExpiryBar)
        await wait_for(pilot, lambda: bar.credential is not None and bar.size.width > 0)
        drawn = bar.render()
        assert isinstance(drawn, Text) and drawn.plain.endswith(" 12m 0s")
        label_style = drawn.spans[-1].style
        assert not isinstance(label_style, str) and label_style.color is not None
        drawn_rgb = label_style.color.triplet
        assert drawn_rgb is not None
        # Textual blends the theme colour onto the widget's background, so the drawn value can
        # differ by a unit per channel: the nearest of the three band colours is the answer.
        theme = app.current_theme
        bands = {"ok": theme.success, "warn": theme.warning, "bad": theme.error}

        def distance(colour: str | None) -> int:
            rgb = Color.parse(colour or "#000000").rgb
            return sum(abs(a - b) for a, b in zip(rgb, drawn_rgb, strict=True))

        assert min(bands, key=lambda band: distance(bands[band])) == "warn"
        assert distance(theme.warning) <= 6
