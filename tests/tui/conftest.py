"""TUI fixtures: a real vault (cheap KDF), the real simulator on loopback, an app factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.store_support import PASSPHRASE as PASSPHRASE
from vault.core import clock
from vault.core.clock import now
from vault.core.config import Config
from vault.core.crypto import KdfParams
from vault.core.model import Credential, RefreshPolicy, Token
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.sim import demo as fixtures
from vault.tui.app import TokenVaultApp
from vault.tui.demo import demo_credentials
from vault.tui.screens.main import MainScreen

FROZEN = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as server:
        fixtures.seed(server)
        yield server


@pytest.fixture
def demo_store(store: VaultStore, sim: Simulator) -> VaultStore:
    """The demo's credentials (one per style) against the live simulator, no tokens yet."""
    with store.transaction() as data:
        for cred in demo_credentials(sim.url, secret_created=now() - fixtures.SHIFTIQ_SECRET_AGE):
            cred.policy.auto = False
            data.credentials[cred.name] = cred
    return store


@pytest.fixture
def frozen_clock() -> Iterator[datetime]:
    clock.set_clock(lambda: FROZEN)
    yield FROZEN
    clock.set_clock(None)


def fixed_credentials(at: datetime) -> list[Credential]:
    """Deterministic credentials (fixed fake tokens) for snapshots: every state at once."""

    def tok(value: str, life: timedelta, left: timedelta, source: str) -> Token:
        exp = at + left
        return Token(value=value, issued_at=exp - life, expires_at=exp, expiry_source=source)

    creds = [
        Credential(
            "happay-uat",
            "app-token",
            settings={"base_url": "https://api.uat-isac.happay.in", "app_id": "app_36c3"},
            secrets={"app_secret": "s3cr3t-app-value"},
        ),
        Credential(
            "unifize-prod",
            "jwt-assertion",
            settings={"base_url": "https://api.unifize.com", "app_id": "uni"},
            secrets={
                "private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            },
        ),
        Credential(
            "github-ci-bot",
            "github-app",
            settings={"base_url": "https://api.github.com", "app_id": "1", "installation_id": "42"},
        ),
        Credential(
            "shiftiq-reports",
            "secret-exchange",
            settings={"base_url": "https://shiftiq.example", "partition": "demo"},
            secrets={"client_secret": "client-secret-0042"},
        ),
        Credential(
            "partner-oauth",
            "oauth2-client-credentials",
            settings={"base_url": "https://auth.example", "client_id": "demo"},
        ),
        Credential(
            "legacy-oauth",
            "oauth2-client-credentials",
            settings={"base_url": "https://auth.example", "client_id": "old"},
            last_error="Could not generate a token for 'legacy-oauth': HTTP 401: invalid_client.",
        ),
    ]
    creds[0].token = tok(
        "BO8SS05DS4Q9K1GRONRBP", timedelta(hours=25), timedelta(hours=23, minutes=12), "fixed"
    )
    creds[1].token = tok(
        "uni-opaque-token-7f3a", timedelta(hours=1), timedelta(minutes=4, seconds=10), "epoch_ms"
    )
    creds[2].token = tok(
        "ghs_0123456789abcdefghijklmnopqrstuvwxyz",
        timedelta(hours=1),
        -timedelta(minutes=3),
        "iso8601",
    )
    creds[3].token = tok(
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl",
        timedelta(days=30),
        timedelta(days=9, hours=4),
        "expires_in",
    )
    creds[3].secret_created_at = at - timedelta(days=80)
    creds[3].secret_expires_at = at + timedelta(days=10)
    creds[0].policy = RefreshPolicy(auto=True)
    for cred in creds:
        cred.created_at = cred.updated_at = at - timedelta(days=3)
    return creds


@pytest.fixture
def fixed_store(store: VaultStore, frozen_clock: datetime) -> VaultStore:
    with store.transaction() as data:
        for cred in fixed_credentials(frozen_clock):
            data.credentials[cred.name] = cred
    return store


@pytest.fixture
def make_app(vault_path: Path) -> Callable[..., TokenVaultApp]:
    def factory(unlocked: VaultStore | None = None, **config: Any) -> TokenVaultApp:
        cfg = Config(**config)
        if "agent" not in config:
            # Agent processes are tested in tests/agent; here an unlock must not spawn one.
            cfg.agent.start_on_unlock = False
        app = TokenVaultApp(vault_path, config=cfg, kdf=KdfParams.cheap(), clipboard_tool=None)
        if unlocked is not None:
            app.initial_store = unlocked
        return app

    return factory


def on_main(app: Any) -> bool:
    """The main screen is current *and* built: its list is mounted (a bare isinstance check
    can pass while the screen is still composing, and a test acting then races it)."""
    from vault.tui.screens.main import MainScreen
    from vault.tui.widgets.credential_list import CredentialList

    return isinstance(app.screen, MainScreen) and bool(app.screen.query(CredentialList))


async def wait_for(pilot: Any, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until ``predicate`` holds (workers and messages need a few turns)."""
    loops = int(timeout / 0.02)
    for _ in range(loops):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached in time")


async def unlock(pilot: Any, passphrase: str = PASSPHRASE) -> None:
    # The unlock screen may still be composing right after a lock.
    await wait_for(pilot, lambda: bool(pilot.app.screen.query("#passphrase")))
    await pilot.click("#passphrase")
    await pilot.press(*passphrase, "enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))


@pytest.fixture
def xvfb_xclip(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private X server (tests/clipboard_support.py starts it) with xclip as the tool."""
    from tests.clipboard_support import private_display

    with private_display() as display:
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.setenv("TOKENVAULT_CLIPBOARD", "xclip")
        yield display
