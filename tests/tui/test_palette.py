"""The command palette: each action once, and those on a credential name it."""

from __future__ import annotations

from collections.abc import Callable

from tests.tui.conftest import on_main, wait_for
from tests.tui.test_operations import toasts
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.widgets.credential_list import CredentialList

AppFactory = Callable[..., TokenVaultApp]


async def test_palette_names_the_credential_and_lists_each_once(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert len(titles) == len(set(titles)), titles
        assert titles.count("Theme") == 1
        for title in ("Refresh happay-uat", "Copy happay-uat", "Test call happay-uat"):
            assert title in titles
        assert "Refresh" not in titles and "Filter" in titles and "Lock" in titles
        helps = {c.title: c.help for c in commands}
        assert helps["Filter"] == "key: /" and helps["Help"] == "key: ?"
        await pilot.press("ctrl+p", *"refresh happay", "enter")
        await wait_for(
            pilot, lambda: any(t.startswith("New token for happay-uat") for t in toasts(app))
        )
