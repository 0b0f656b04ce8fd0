"""Create-vault and unlock screens: the real store, Argon2 in a worker, errors stay on screen."""

from __future__ import annotations

import time
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
    # A long timer while the lock key is tested: a 2 s one could fire first on a slow machine,
    # and the "l" meant for the main screen would then be typed into the passphrase box.
    app = make_app(unlocked=store, auto_lock=300)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        status = str(app.screen.query_one("#status", Static).render())
        assert "lock in 5:00" in status or "lock in 4:59" in status
        await pilot.press("l")
        assert isinstance(app.screen, UnlockScreen)
        assert app.store is None
        await unlock(pilot, PASSPHRASE)
        # Idle: the timer is shortened only now, so the idle lock is what ends this session.
        app.config.auto_lock = 1
        await wait_for(pilot, lambda: gate_ready(app), timeout=10)
        assert app.store is None


def gate_ready(app: TokenVaultApp) -> bool:
    """The unlock screen is current and mounted (its passphrase box has focus): ending the test
    while it still composes would tear it down under its own on_mount."""
    focused = app.focused
    return (
        isinstance(app.screen, UnlockScreen) and focused is not None and focused.id == "passphrase"
    )


def lock_in(app: TokenVaultApp) -> int:
    """The auto-lock countdown the status line shows, in seconds."""
    shown = str(app.screen.query_one("#status", Static).render()).rsplit("lock in ", 1)[-1]
    minutes, seconds = shown.split()[0].split(":")
    return int(minutes) * 60 + int(seconds)


async def test_activity_pushes_the_auto_lock_back(
    make_app: Callable[..., TokenVaultApp], store: VaultStore
) -> None:
    app = make_app(unlocked=store, auto_lock=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: on_main(app))
        # As if the user had been idle for 57 of the 60 seconds (the app measures idle time
        # from this wall-clock stamp): three seconds from the lock.
        app.last_activity = time.time() - 57
        await pilot.press("down")
        left = app.idle_left()
        assert left is not None and left >= 59
        # Proof that the old deadline passed without a lock: the countdown on screen has run
        # five seconds down from the reset, more than the three that were left plus one turn
        # of the app's once-a-second idle check.
        await wait_for(pilot, lambda: lock_in(app) <= 55, timeout=15)
        assert on_main(app) and app.store is not None
        # A click counts as activity too.
        app.last_activity = time.time() - 57
        await pilot.click("#status")
        left = app.idle_left()
        assert left is not None and left >= 59
