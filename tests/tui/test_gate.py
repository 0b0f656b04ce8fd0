"""Create-vault and unlock screens: the real store, Argon2 in a worker, errors stay on screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from tests.tui.conftest import PASSPHRASE, on_main, unlock, wait_for
from vault.core.store import VaultStore
from vault.tui.app import TokenVaultApp
from vault.tui.screens.create_vault import CreateVaultScreen
from vault.tui.screens.unlock import UnlockScreen


async def test_first_run_creates_a_vault(
    make_app: Callable[..., TokenVaultApp], vault_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app.screen, CreateVaultScreen)
        await pilot.press(*"short", "enter")
        await pilot.press(*"short", "enter")
        error = app.screen.query_one("#gate-error", Static)
        assert "at least 8" in str(error.render())
        app.screen.query_one("#passphrase").value = "a long passphrase"  # type: ignore[attr-defined]
        app.screen.query_one("#again").value = "a different one!"  # type: ignore[attr-defined]
        await pilot.click("#create")
        assert "differ" in str(error.render())
        app.screen.query_one("#again").value = "a long passphrase"  # type: ignore[attr-defined]
        await pilot.click("#create")
        await wait_for(pilot, lambda: on_main(app))
    assert vault_path.exists()
    assert VaultStore.unlock(vault_path, "a long passphrase").data.credentials == {}


async def test_wrong_passphrase_stays_then_unlocks(
    make_app: Callable[..., TokenVaultApp], store: VaultStore
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*"not the passphrase", "enter")
        screen = app.screen
        await wait_for(
            pilot,
            lambda: "Wrong passphrase" in str(screen.query_one("#gate-error", Static).render()),
        )
        assert isinstance(app.screen, UnlockScreen)
        assert app.store is None
        await unlock(pilot)
        assert app.store is not None
        assert app.store.path == store.path


async def test_lock_key_and_auto_lock(
    make_app: Callable[..., TokenVaultApp], store: VaultStore
) -> None:
    app = make_app(unlocked=store, auto_lock=2)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        status = str(app.screen.query_one("#status", Static).render())
        assert "lock in 0:0" in status
        await pilot.press("l")
        assert isinstance(app.screen, UnlockScreen)
        assert app.store is None
        await unlock(pilot, PASSPHRASE)
        # Idle: no keys for auto_lock seconds -> locked again, keys dropped.
        await wait_for(pilot, lambda: isinstance(app.screen, UnlockScreen), timeout=5)
        assert app.store is None
