"""One operation at a time per credential, what each row is doing, and truthful toasts."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static
from textual.widgets._toast import Toast

from tests.tui.conftest import on_main, wait_for
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.screens.confirm import ConfirmScreen
from vault.tui.widgets.credential_list import CredentialList
from vault.tui.widgets.status_line import StatusLine

AppFactory = Callable[..., TokenVaultApp]


def toasts(app: TokenVaultApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def row_text(app: TokenVaultApp, name: str) -> str:
    table = app.screen.query_one(CredentialList)
    table.select_name(name)
    return "".join(s.text for s in table.render_line(1 + table.cursor))


async def test_a_second_refresh_is_refused_and_sends_nothing(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        sim.inject_fault("/auth/app-token", "slow", delay=1.5)
        await pilot.press("r")
        table = app.screen.query_one(CredentialList)
        await wait_for(pilot, lambda: table.doing.get("happay-uat") == "refreshing…")
        assert "refresh" in row_text(app, "happay-uat")  # the row says what it is doing
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: "1 running" in str(status.render()))
        await pilot.press("r")
        await wait_for(pilot, lambda: any("already refreshing" in t for t in toasts(app)))
        await wait_for(
            pilot, lambda: any(t.startswith("New token for happay-uat") for t in toasts(app))
        )
        assert sim.counters["app-token.generate.ok"] == 1
        assert "refresh" not in row_text(app, "happay-uat")
        await wait_for(pilot, lambda: "running" not in str(status.render()))


async def test_escape_cancels_a_long_test_call(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        sim.inject_fault("/app-token/whoami", "slow", delay=8)
        await pilot.press("T")
        await wait_for(pilot, lambda: "testing…" in row_text(app, "happay-uat"))
        status = app.screen.query_one(StatusLine)
        await wait_for(pilot, lambda: "1 running" in str(status.render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: any(t.startswith("Cancelled") for t in toasts(app)))
        assert "testing…" not in row_text(app, "happay-uat")
        # The request itself stops (its worker ends), long before the provider's 8 s answer.
        workers = app.screen.workers
        await wait_for(
            pilot, lambda: not [w for w in workers if w.group == "provider" and w.is_running]
        )
        assert not any(t.startswith("Test call") for t in toasts(app))


async def test_generate_and_refresh_say_the_same_and_counts_agree(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        await pilot.press("g")
        await wait_for(pilot, lambda: len(toasts(app)) == 1)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(toasts(app)) == 2)
        generated, refreshed = toasts(app)
        assert generated == refreshed == "New token for happay-uat: 1d 0h left."


async def test_a_test_call_on_a_revoked_credential_asks_first_and_reports_the_call(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    app = make_app(unlocked=demo_store)
    with demo_store.transaction() as data:
        data.credentials["happay-uat"].revoked = True
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        main = app.screen
        main.query_one(CredentialList).select_name("happay-uat")
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "revoked" in str(app.screen.query_one("#confirm-text", Static).render())
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is main)
        assert sim.counters["app-token.generate.ok"] == 0  # no token minted unasked
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Test call" in t for t in toasts(app)))
        text = next(t for t in toasts(app) if "Test call" in t)
        assert "GET /app-token/whoami" in text and "HTTP 200" in text
        assert text.endswith(" s).")
        assert sim.counters["app-token.generate.ok"] == 1


async def test_a_toast_never_covers_the_status_line(
    make_app: AppFactory, demo_store: VaultStore
) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.notify("A long toast\nof two lines", timeout=10)
        await wait_for(pilot, lambda: len(list(app.screen.query("Toast"))) >= 1)
        await pilot.pause()
        status = app.screen.query_one(StatusLine).region
        for toast in app.screen.query(Toast):
            assert not toast.region.overlaps(status)


async def test_backspace_removes_like_delete(make_app: AppFactory, demo_store: VaultStore) -> None:
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        await pilot.press("backspace")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: "happay-uat" not in app.store.data.credentials)  # type: ignore[union-attr]
