"""Help: keys as people write them, grouped by where they work in words, the keymap line
intact, and a filter that typing starts."""

from __future__ import annotations

import io
from collections.abc import Callable

from rich.console import Console
from textual.widgets import Input, Static

from tests.tui.conftest import on_main, wait_for
from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.screens.help import HelpScreen

AppFactory = Callable[..., TokenVaultApp]


def _text(help_screen: HelpScreen, needle: str = "") -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(help_screen._table(needle))
    return console.export_text()


async def test_help_reads_like_a_person_wrote_it(make_app: AppFactory, store: VaultStore) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = help_screen.rows()
        assert ("?", "Help", "help") in rows["Everywhere"]
        main = dict((binding_id, keys) for keys, _, binding_id in rows["Credential list"])
        assert main["filter"] == "/" and main["details"] == "enter"
        assert main["remove"] == "delete, backspace" and main["view"] == "+"
        text = _text(help_screen)
        for word in ("question_mark", "slash", "MainScreen", "TokenVaultApp", "⏎"):
            assert word not in text
        assert "Add and edit form" in text and "Questions (yes or no)" in text
        keymap = help_screen.query_one("#help-keymap", Static)
        assert "[keymap] table of config.toml" in str(keymap.render())


async def test_typing_filters_the_help(make_app: AppFactory, store: VaultStore) -> None:
    app = make_app(unlocked=store)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        await pilot.press(*"refresh")
        box = help_screen.query_one("#help-filter", Input)
        assert box.value == "refresh"  # typing went to the filter, started by the first key
        table = help_screen.query_one("#help-table", Static)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(table.content)  # what the table shows now, after the typing
        shown = console.export_text()
        assert "refresh-expiring" in shown and "generate" not in shown and "Everywhere" not in shown
        await pilot.press("q")  # inside the filter, q is a letter, not "close"
        assert isinstance(app.screen, HelpScreen) and box.value == "refreshq"
        assert "No key matches 'refreshq'." in _text(help_screen, box.value)
        await pilot.press("escape")  # first escape clears the filter
        assert isinstance(app.screen, HelpScreen) and box.value == ""
        await pilot.press("escape")
        await wait_for(pilot, lambda: on_main(app))
