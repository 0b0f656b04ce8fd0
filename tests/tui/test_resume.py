"""Unlocking again (after l or the idle lock) brings back the cursor, filter, sort and pane."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.widgets import Input

from tests.tui.conftest import on_main, unlock, wait_for
from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.screens.main import MainScreen
from vault.tui.widgets.credential_list import CredentialList

AppFactory = Callable[..., TokenVaultApp]


def _place(app: TokenVaultApp) -> tuple[str | None, str, bool, str, str, int]:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    table = screen.query_one(CredentialList)
    box = screen.query_one("#filter", Input)
    return (
        table.selected_name,
        box.value,
        box.has_class("-active"),
        screen.view,
        table.sort,
        table.shown,
    )


async def test_unlocking_again_restores_the_place(
    make_app: AppFactory, demo_store: VaultStore
) -> None:
    app = make_app(unlocked=demo_store, auto_lock=600)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("s")  # another sort than the default
        await pilot.press("slash", *"oauth", "enter")
        await pilot.press("down")  # the second of the filtered rows
        await pilot.press("plus")  # list -> split
        before = _place(app)
        assert before[1] == "oauth" and before[3] == "split" and before[5] >= 2
        assert before[0] is not None and before[0] == _sorted_second(app)

        await pilot.press("l")
        await wait_for(pilot, lambda: app.store is None)
        await unlock(pilot)
        await wait_for(pilot, lambda: on_main(app))
        assert _place(app) == before

        # The idle lock too, with the details full screen this time.
        await pilot.press("plus")
        before = _place(app)
        assert before[3] == "details"
        app.last_activity = time.time() - 601
        await wait_for(pilot, lambda: app.store is None)
        await unlock(pilot)
        await wait_for(pilot, lambda: on_main(app))
        assert _place(app) == before


def _sorted_second(app: TokenVaultApp) -> str:
    table = app.screen.query_one(CredentialList)
    return table._visible[1].cred.name
