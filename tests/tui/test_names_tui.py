"""Names and provider text in the real app: escaped, never markup, never raw control bytes;
the form refuses a bad new name with the core's own sentence."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Static

from tests.tui.conftest import PASSPHRASE, on_main, wait_for
from tests.tui.test_forms import fill, open_form, style_values
from vault.core.errors import UsageError
from vault.core.model import Credential
from vault.core.names import check_name
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.screens.credential_form import CredentialFormScreen
from vault.tui.widgets.credential_list import CredentialList
from vault.tui.widgets.details import DetailsPane

AppFactory = Callable[..., TokenVaultApp]

HOSTILE = "[red]x\x1b[2J\rgh"
"""Rich markup plus a screen clear and a carriage return, as an older vault may hold."""


@pytest.fixture
def hostile_store(store: VaultStore) -> VaultStore:
    with store.transaction() as data:
        cred = Credential(name=HOSTILE, provider="app-token")
        cred.settings["app_id"] = "[link=https://evil.example]app[/link]\x1b]8;;x\x07"
        cred.last_error = "HTTP 500: [b]boom[/b] \x1b[31mred"
        cred.record("failed", "[i]provider said[/i]\rforged")
        data.credentials[HOSTILE] = cred
    return store


def _raw(text: str) -> bool:
    return any(ch in text for ch in "\x1b\r\x07")


async def test_list_and_details_show_names_and_provider_text_literally(
    make_app: AppFactory, hostile_store: VaultStore
) -> None:
    app = make_app(unlocked=hostile_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        table = app.screen.query_one(CredentialList)
        row = "".join(s.text for s in table.render_line(1))
        assert "[red]x\\x1b[2J\\x0dgh" in row and not _raw(row)
        table.select_name(HOSTILE)
        await pilot.press("enter")
        pane = app.screen.query_one(DetailsPane)
        await wait_for(pilot, lambda: pane.has_class("-open"))
        head = str(pane.query_one("#details-head", Static).render())
        body = str(pane.query_one("#details-body", Static).render())
        # The markup is shown as typed, not applied; the control bytes as escapes.
        assert "[red]x\\x1b[2J\\x0dgh" in head and not _raw(head)
        assert "HTTP 500: [b]boom[/b] \\x1b[31mred" in body
        assert "app_id: [link=https://evil.example]app[/link]\\x1b]8;;x\\x07" in body
        assert "[i]provider said[/i]\\x0dforged" in body
        assert not _raw(body)


@pytest.mark.parametrize("bad", ["-x", "   ", "a\x1b[2Jb"])
async def test_the_form_refuses_a_bad_name_with_the_core_sentence(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator, bad: str
) -> None:
    with pytest.raises(UsageError) as core:
        check_name(bad)
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 50)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        form = await open_form(pilot, app, "app-token")
        fill(form, bad, style_values("app-token", sim.url))
        await pilot.press("ctrl+s")
        error = form.query_one("#form-error", Static)
        sentence = core.value.message.split(" (found")[0]
        await wait_for(pilot, lambda: sentence in str(error.render()))
        assert isinstance(app.screen, CredentialFormScreen)
    assert bad not in VaultStore.unlock(demo_store.path, PASSPHRASE).data.credentials
