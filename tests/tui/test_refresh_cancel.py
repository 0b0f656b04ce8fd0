"""Escape cancels a refresh (r, R) like a generate: the requests are abandoned, nothing is
stored, the refresh locks are free again; and R's toasts agree in number."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.tui.conftest import on_main, wait_for
from tests.tui.test_operations import row_text, toasts
from vault.core import refreshlock
from vault.core.clock import now
from vault.core.model import Token
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.actions import plural
from vault.tui.app import TokenVaultApp
from vault.tui.widgets.credential_list import CredentialList

AppFactory = Callable[..., TokenVaultApp]


def _expiring(store: VaultStore, *names: str) -> None:
    """Give ``names`` a token with a minute of its hour left (R's "expiring")."""
    with store.transaction() as data:
        for name in names:
            data.credentials[name].token = Token(
                value=f"old-token-of-{name}",
                issued_at=now() - timedelta(minutes=59),
                expires_at=now() + timedelta(minutes=1),
            )


def _provider_workers(app: TokenVaultApp) -> list[object]:
    return [w for w in app.screen.workers if w.group == "provider" and w.is_running]


async def test_escape_cancels_a_slow_refresh_and_nothing_is_stored(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    _expiring(demo_store, "happay-uat")
    history = len(demo_store.data.credentials["happay-uat"].history)
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        sim.inject_fault("/auth/app-token", "slow", delay=8)
        await pilot.press("r")
        table = app.screen.query_one(CredentialList)
        await wait_for(pilot, lambda: table.doing.get("happay-uat") == "refreshing…")
        await pilot.press("escape")
        await wait_for(pilot, lambda: any(t.startswith("Cancelled") for t in toasts(app)))
        assert "Cancelled: happay-uat was refreshing; nothing was stored." in toasts(app)
        # The request itself stops (its worker ends), long before the provider's 8 s answer.
        await wait_for(pilot, lambda: not _provider_workers(app))
        assert "happay-uat" not in table.doing and "refresh" not in row_text(app, "happay-uat")
        stored = demo_store.reload().credentials["happay-uat"]
        assert stored.token is not None and stored.token.value == "old-token-of-happay-uat"
        assert len(stored.history) == history and stored.last_error is None
        fd = refreshlock.try_acquire(demo_store.path, "happay-uat")  # the lock is free again
        assert fd is not None
        refreshlock.release(fd)
        # And the next r (no fault left) gets a token at once.
        await pilot.press("r")
        await wait_for(
            pilot, lambda: any(t.startswith("New token for happay-uat") for t in toasts(app))
        )
        assert demo_store.reload().credentials["happay-uat"].token.value != (  # type: ignore[union-attr]
            "old-token-of-happay-uat"
        )


async def test_escape_cancels_a_refresh_of_several_for_all_of_them(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    _expiring(demo_store, "happay-uat", "unifize-prod")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        app.screen.query_one(CredentialList).select_name("happay-uat")
        sim.inject_fault("/", "slow", count=2, delay=8)
        await pilot.press("R")
        await wait_for(pilot, lambda: len(app.screen.ops) == 2)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: "Cancelled refreshing 2 credentials; nothing was stored." in toasts(app)
        )
        await wait_for(pilot, lambda: not _provider_workers(app))
        assert len(app.screen.ops) == 0  # type: ignore[attr-defined]
        assert not app.screen.query_one(CredentialList).doing
        assert "refresh" not in row_text(app, "unifize-prod")
        for name in ("happay-uat", "unifize-prod"):
            token = demo_store.reload().credentials[name].token
            assert token is not None and token.value == f"old-token-of-{name}"


async def test_refresh_expiring_agrees_in_number(
    make_app: AppFactory, demo_store: VaultStore, sim: Simulator
) -> None:
    assert plural(1, "credential") == "1 credential"
    assert plural(2, "credential") == "2 credentials"
    _expiring(demo_store, "happay-uat")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("R")
        await wait_for(pilot, lambda: len(toasts(app)) == 1)
        (one,) = toasts(app)
        assert one.startswith("New token for happay-uat: ") and one.endswith(" left.")
    _expiring(demo_store, "happay-uat", "unifize-prod")
    app = make_app(unlocked=demo_store)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        await pilot.press("R")
        await wait_for(pilot, lambda: len(toasts(app)) == 1)
        assert toasts(app) == ["New tokens for 2 credentials."]
