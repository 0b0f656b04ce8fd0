"""One refresher per credential: the agent, CLI processes and the TUI wanting the same expired
token at once cost exactly one token request; with an agent running the TUI leaves it alone.

Every contender is made to queue at the credential's refresh lock first (the test holds it and
waits until each has the lock file open), so the race is the same on every run.
"""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, TOKENVAULT, Agents, wait_until
from refresh_support import add_app_token, holds_open, lock_of, read_cred
from textual.widgets import Static

from tests.tui.conftest import on_main
from vault.agent import client
from vault.core import refreshlock, tokens
from vault.core.clock import parse_utc
from vault.core.config import AgentSettings, Config
from vault.core.crypto import KdfParams
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.tui.app import TokenVaultApp
from vault.tui.screens.main import STATS_EVERY, MainScreen
from vault.tui.widgets.details import DetailsPane

EXPIRED = timedelta(seconds=-5)


@pytest.fixture
def sim() -> object:
    with Simulator() as running:
        yield running


def spawn(*args: str) -> subprocess.Popen[str]:
    """The installed command, no terminal and no passphrase: the agent gives it the key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENVAULT_PASSPHRASE")}
    return subprocess.Popen(
        [TOKENVAULT, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def open_count(pid: int, path: Path) -> int:
    """How many descriptors process ``pid`` holds on ``path``."""
    target, count = os.fspath(path), 0
    for entry in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{entry}") == target
        except OSError:
            continue
    return count


def test_cli_refresh_cli_token_and_the_agent_make_one_token_request(
    vault: Path, agents: Agents, sim: Simulator
) -> None:
    add_app_token(vault, sim, "svc", lifetime=3600, token_left=EXPIRED)
    lock = lock_of(vault, "svc")
    procs: list[subprocess.Popen[str]] = []
    try:
        with refreshlock.held(vault, "svc"):
            agent_pid = agents.start()
            procs = [spawn("refresh", "svc") for _ in range(3)]
            procs += [spawn("token", "svc") for _ in range(2)]
            # Every contender queues at the door: the agent's refresher and the five commands.
            assert wait_until(
                lambda: all(holds_open(p, lock) for p in [agent_pid, *(q.pid for q in procs)]),
                timeout=60,
            )
            assert sim.counters["app-token.generate"] == 0
        results = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (_, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stderr
    stored = read_cred(vault, "svc").token
    assert stored is not None and stored.value != "SEEDED-svc-TOKEN"
    assert [out.strip() for out, _ in results[3:]] == [stored.value, stored.value]
    assert all(out.startswith("svc  refreshed, expires in ") for out, _ in results[:3])
    # Whoever got the lock first asked; the other five used its token.
    assert wait_until(lambda: not holds_open(agent_pid, lock))
    assert sim.counters["app-token.generate"] == 1


def make_app(vault: Path, store: VaultStore | None = None) -> TokenVaultApp:
    config = Config(agent=AgentSettings(start_on_unlock=False, timeout=120))
    app = TokenVaultApp(vault, config=config, kdf=KdfParams.cheap(), clipboard_tool=None)
    if store is not None:
        app.initial_store = store
    return app


async def settle(pilot: object, predicate: object, timeout: float = 20.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():  # type: ignore[operator]
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    raise AssertionError("condition never held")


async def test_tui_auto_refresh_and_cli_refresh_without_an_agent_make_one_request(
    vault: Path, sim: Simulator
) -> None:
    add_app_token(vault, sim, "svc", lifetime=3600, token_left=EXPIRED)
    lock = lock_of(vault, "svc")
    app = make_app(vault, VaultStore.unlock(vault, PASSPHRASE))
    procs: list[subprocess.Popen[str]] = []
    # Held before the app starts: its first tick already finds the token due.
    held = refreshlock.acquire(vault, "svc")
    async with app.run_test(size=(120, 36)) as pilot:
        try:
            try:
                await settle(pilot, lambda: on_main(app))
                procs = [spawn_with_passphrase("refresh", "svc") for _ in range(2)]
                # The TUI's auto-refresh worker waits on its own descriptor beside ours.
                await settle(
                    pilot,
                    lambda: (
                        open_count(os.getpid(), lock) >= 2
                        and all(holds_open(p.pid, lock) for p in procs)
                    ),
                    timeout=60,
                )
                assert sim.counters["app-token.generate"] == 0
            finally:
                refreshlock.release(held)
            for proc in procs:
                await settle(pilot, lambda p=proc: p.poll() is not None, timeout=60)  # type: ignore[misc]
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await settle(pilot, lambda: not screen.table.busy)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
    assert all(proc.returncode == 0 for proc in procs)
    assert sim.counters["app-token.generate"] == 1


def spawn_with_passphrase(*args: str) -> subprocess.Popen[str]:
    """As ``spawn``, for a vault with no agent: the passphrase in the child's environment."""
    return subprocess.Popen(
        [TOKENVAULT, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TOKENVAULT_PASSPHRASE": PASSPHRASE},
        start_new_session=True,
    )


async def test_tui_defers_to_a_refreshing_agent_and_shows_its_time(
    vault: Path, agents: Agents, sim: Simulator
) -> None:
    add_app_token(vault, sim, "svc", lifetime=3600, token_left=EXPIRED)
    # The agent's first try fails, so it waits 10 s: a TUI that refreshed on its own would
    # make the second request inside that window.
    sim.inject_fault("/auth/app-token", "500", count=5)
    agents.start()
    assert wait_until(lambda: read_cred(vault, "svc").last_error is not None)
    assert sim.counters["app-token.generate"] == 1
    app = make_app(vault)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, lambda: on_main(app))
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.table.select_name("svc")
        await pilot.press("enter")
        pane = screen.query_one(DetailsPane)
        plan = client.agent_schedule(vault, "svc")
        assert plan is not None and plan["next"]
        hhmm = parse_utc(plan["next"][0]["at"]).astimezone().strftime("%H:%M")
        line = f"next: the agent refreshes at {hhmm}"

        def body() -> str:
            return str(pane.query_one("#details-body", Static).render())

        await settle(pilot, lambda: line in body())
        # Two more full passes of the TUI's auto-refresh check with the token still expired.
        ticks = screen._ticks
        await settle(pilot, lambda: screen._ticks >= ticks + 2 * STATS_EVERY)
        assert sim.counters["app-token.generate"] == 1


def test_two_requests_meeting_the_same_401_regenerate_once(vault: Path, sim: Simulator) -> None:
    """`tokenvault request` (VaultAuth) in two processes: one regeneration, both retried."""
    add_app_token(vault, sim, "svc", lifetime=3600)
    store = VaultStore.unlock(vault, PASSPHRASE)
    try:
        tokens.generate(store, "svc")
    finally:
        store.close()
    sim.invalidate_tokens("app-token")  # the stored token now meets a 401 at the provider
    sim.reset_counters()
    lock = lock_of(vault, "svc")
    url = f"{sim.url}/app-token/whoami"
    procs: list[subprocess.Popen[str]] = []
    try:
        with refreshlock.held(vault, "svc"):
            procs = [spawn_with_passphrase("request", "svc", "GET", url) for _ in range(2)]
            assert wait_until(lambda: all(holds_open(p.pid, lock) for p in procs), timeout=60)
            assert sim.counters["app-token.whoami"] == 2  # both met the 401 first
        results = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for proc, (_, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stderr
    assert sim.counters["app-token.generate"] == 1
    assert sim.counters["app-token.whoami"] == 4
