"""The TUI and the session agent: reuse at start, start on unlock, end on an explicit lock."""

from __future__ import annotations

import time
from pathlib import Path

from agent_support import PASSPHRASE, Agents, wait_until
from textual.widgets import Input

from tests.tui.conftest import on_main
from vault.agent import client
from vault.core.config import AgentSettings, Config
from vault.core.crypto import KdfParams
from vault.tui.app import TokenVaultApp
from vault.tui.screens.unlock import UnlockScreen


def make_app(vault: Path, start_on_unlock: bool = True, auto_lock: int = 300) -> TokenVaultApp:
    config = Config(
        agent=AgentSettings(start_on_unlock=start_on_unlock, timeout=120), auto_lock=auto_lock
    )
    return TokenVaultApp(vault, config=config, kdf=KdfParams.cheap(), clipboard_tool=None)


async def settle(pilot: object, predicate: object, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():  # type: ignore[operator]
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    raise AssertionError("condition never held")


async def unlock_with_passphrase(pilot: object, app: TokenVaultApp) -> None:
    await settle(
        pilot,
        lambda: isinstance(app.screen, UnlockScreen) and bool(app.screen.query("#passphrase")),
    )
    app.screen.query_one("#passphrase", Input).value = PASSPHRASE
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot, lambda: on_main(app))


async def test_a_running_agent_opens_the_tui_without_a_passphrase(
    vault: Path, agents: Agents
) -> None:
    agents.start()
    app = make_app(vault)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: on_main(app))
        assert app.store is not None and app.store.path == vault


async def test_unlocking_in_the_tui_starts_an_agent_the_cli_then_uses(
    vault: Path, agents: Agents
) -> None:
    app = make_app(vault)
    async with app.run_test(size=(120, 36)) as pilot:
        await unlock_with_passphrase(pilot, app)
        await settle(pilot, lambda: client.agent_status(vault) is not None)
        assert client.agent_key(vault) == app.store.data_key  # type: ignore[union-attr]
        # Locking in the TUI locks the agent too, and the passphrase is asked again.
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert wait_until(lambda: client.agent_status(vault) is None, timeout=5)
        # Every agent worker (start, stop, open) has finished: none re-opened the vault.
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)


async def test_start_on_unlock_can_be_turned_off(vault: Path, agents: Agents) -> None:
    app = make_app(vault, start_on_unlock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await unlock_with_passphrase(pilot, app)
        # The agent is started by a worker; once every worker is done none can start it.
        await app.workers.wait_for_complete()
        assert client.agent_status(vault) is None


async def test_idle_lock_leaves_the_agent_for_scripts(vault: Path, agents: Agents) -> None:
    agents.start()
    app = make_app(vault, auto_lock=60)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: on_main(app))
        # Idle for the whole minute (the app measures idle time from this wall-clock stamp):
        # the app's own once-a-second check locks, as it would after a real idle minute.
        app.last_activity = time.time() - 60
        # The idle path's own notice, so not some other lock.
        await settle(
            pilot,
            lambda: "Locked after being idle." in [str(n.message) for n in app._notifications],
        )
        # Mounted, not just current (the passphrase box has focus), before the test ends.
        await settle(pilot, lambda: app.focused is not None and app.focused.id == "passphrase")
        assert isinstance(app.screen, UnlockScreen)
        # A stop request would go out from a worker: with every worker done, the agent
        # must still be there for scripts.
        await app.workers.wait_for_complete()
        assert client.agent_status(vault) is not None
        assert isinstance(app.screen, UnlockScreen)


def folder_warnings(app: TokenVaultApp) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Vault folder"]


def said_unlocked_by_agent(app: TokenVaultApp) -> bool:
    return any("Unlocked by the session agent" in str(n.message) for n in app._notifications)


async def test_a_vault_others_can_read_is_warned_about_once_however_it_opens(
    vault: Path, agents: Agents
) -> None:
    vault.parent.chmod(0o755)  # other users can list the folder (and learn the names)
    app = make_app(vault, start_on_unlock=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await unlock_with_passphrase(pilot, app)
        await settle(pilot, lambda: bool(folder_warnings(app)))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(folder_warnings(app)) == 1
        assert f"the folder {vault.parent} (mode 0755)" in folder_warnings(app)[0]
    # Opened through a running agent (no passphrase, no unlock screen): the same warning, once.
    agents.start()
    app = make_app(vault)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: on_main(app) and said_unlocked_by_agent(app))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(folder_warnings(app)) == 1, folder_warnings(app)
        assert f"the folder {vault.parent} (mode 0755)" in folder_warnings(app)[0]
    # A private folder: the agent's opening says nothing about it.
    vault.parent.chmod(0o700)
    app = make_app(vault)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, lambda: on_main(app) and said_unlocked_by_agent(app))
        assert folder_warnings(app) == []  # posted in the same call as the toast awaited
