"""`tokenvault demo`: a throwaway vault whose credentials talk to the loopback simulator."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from vault.core import clock, tokens
from vault.core.clock import now
from vault.core.config import Config, load_config
from vault.core.crypto import MIN_MEMORY_KIB, KdfParams
from vault.core.errors import ConfigError, VaultError
from vault.core.model import Credential, EventKind, RefreshPolicy
from vault.core.providers import PRESETS
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.sim import demo as fixtures
from vault.sim.styles import app_token, github_app, jwt_assertion, jwt_bearer

if TYPE_CHECKING:
    from vault.tui.app import TokenVaultApp

DEMO_KDF = KdfParams(memory_kib=MIN_MEMORY_KIB, time_cost=1, parallelism=1)
"""The lowest cost the store accepts outside tests: the demo vault is throwaway."""

DEMO_PASSPHRASE = "demo passphrase"
"""Printed on start: the vault is throwaway and lives in a temp dir removed on exit."""


def demo_credentials(base_url: str, secret_created: datetime) -> list[Credential]:
    """One credential of every style (two oauth2: one with a wrong secret to show an error)."""
    shiftiq_created = secret_created
    creds = [
        Credential(
            "happay-uat",
            "app-token",
            settings={"base_url": base_url, "app_id": fixtures.APP_TOKEN_APP_ID},
            secrets={"app_secret": fixtures.APP_TOKEN_SECRET},
            policy=RefreshPolicy(auto=True),
        ),
        Credential(
            "unifize-prod",
            "jwt-assertion",
            settings={
                "base_url": base_url,
                "app_id": fixtures.JWT_APP_ID,
                "org_id": fixtures.JWT_ORG_ID,
            },
            secrets={"private_key": fixtures.PRIVATE_KEY_PEM},
        ),
        Credential(
            "github-ci-bot",
            "github-app",
            settings={
                "base_url": base_url,
                "app_id": fixtures.GITHUB_APP_ID,
                "installation_id": str(fixtures.GITHUB_INSTALLATION_ID),
            },
            secrets={"private_key": fixtures.PRIVATE_KEY_PEM},
        ),
        Credential(
            "shiftiq-reports",
            "secret-exchange",
            settings={
                "base_url": base_url,
                "partition": fixtures.SHIFTIQ_PARTITION,
                "lifetime": 2592000,
            },
            secrets={"client_secret": fixtures.SHIFTIQ_SECRET},
            secret_created_at=shiftiq_created,
            secret_expires_at=PRESETS["secret-exchange"].secret_expiry(shiftiq_created),
        ),
        Credential(
            "partner-oauth",
            "oauth2-client-credentials",
            settings={"base_url": base_url, "client_id": fixtures.OAUTH_CLIENT_ID, "scope": "read"},
            secrets={"client_secret": fixtures.OAUTH_CLIENT_SECRET},
        ),
        Credential(
            "gcp-reports",
            "jwt-bearer",
            settings={
                "base_url": base_url,
                "client_email": fixtures.SERVICE_ACCOUNT_EMAIL,
                "scope": " ".join(fixtures.SERVICE_ACCOUNT_SCOPES),
            },
            secrets={"private_key": fixtures.PRIVATE_KEY_PEM},
        ),
        Credential(
            "legacy-oauth",
            "oauth2-client-credentials",
            settings={"base_url": base_url, "client_id": fixtures.OAUTH_CLIENT_ID},
            secrets={"client_secret": "rotated-away-long-ago"},
        ),
    ]
    for cred in creds:
        cred.record(EventKind.CREATED, "demo")
    return creds


DEMO_STATES: dict[str, tuple[timedelta, timedelta]] = {
    # name: (the token's lifetime at the simulator, time left to show now)
    "happay-uat": (app_token.LIFETIME, timedelta(hours=23, minutes=12)),
    "unifize-prod": (jwt_assertion.LIFETIME, timedelta(minutes=4, seconds=10)),
    "github-ci-bot": (github_app.LIFETIME, -timedelta(minutes=3)),
    "shiftiq-reports": (timedelta(seconds=2592000), timedelta(days=9, hours=4)),
    "gcp-reports": (jwt_bearer.LIFETIME, timedelta(minutes=41, seconds=30)),
    "legacy-oauth": (timedelta(0), timedelta(0)),  # its secret is wrong: an error, no token
}
"""Every state at once: fresh, expiring, expired, secret near day 90, error, and no token."""

CREATED_AGO = timedelta(days=85)
"""When the demo credentials were "added": before the oldest secret and token."""


def build_demo_vault(path: Path, sim_url: str, passphrase: str = DEMO_PASSPHRASE) -> VaultStore:
    """Create the vault and generate real tokens from the simulator, each one *in the past*.

    Each token is generated with the clock set back to when it must have been issued to show
    its state now, so its times, its JWT claims, the history and the simulator's own records
    all agree (the simulator runs on the same clock).
    """
    at = now()
    store = VaultStore.create(path, passphrase, DEMO_KDF)
    with clock.travel(at - CREATED_AGO), store.transaction() as data:
        for cred in demo_credentials(sim_url, secret_created=at - fixtures.SHIFTIQ_SECRET_AGE):
            data.credentials[cred.name] = cred
    for name, (lifetime, left) in DEMO_STATES.items():
        with clock.travel(at + left - lifetime), suppress(VaultError):
            tokens.generate(store, name)
    return store


def demo_config(folder: Path) -> Config:
    """The user's settings (theme, keymap) for the demo, saving only into ``folder``.

    The demo is throwaway: pressing the theme key there must not rewrite the user's real
    ``config.toml``, so the copy it runs with points at a file in the demo's temp folder.
    """
    try:
        config = load_config()
    except ConfigError:
        config = Config()  # the real app reports a broken config; the demo just runs
    config.path = folder / "config.toml"
    return config


def demo_app(folder: Path, sim_url: str) -> TokenVaultApp:
    """The demo's app on a vault built in ``folder``, already unlocked."""
    from vault.tui.app import TokenVaultApp

    path = folder / "demo.tvault"
    store = build_demo_vault(path, sim_url, DEMO_PASSPHRASE)
    app = TokenVaultApp(path, config=demo_config(folder), kdf=DEMO_KDF)
    # The demo starts unlocked: nobody should have to type a throwaway passphrase.
    app.initial_store = store
    return app


def demo_main() -> int:
    """Run the simulator on a free loopback port, build the demo vault, open the TUI on it."""
    with tempfile.TemporaryDirectory(prefix="tokenvault-demo-") as tmp, Simulator() as sim:
        fixtures.seed(sim)
        app = demo_app(Path(tmp), sim.url)
        app.run()
        from vault.agent.location import agent_may_run

        if app.started_agent or agent_may_run(app.vault_path):
            # Its vault is about to be deleted: an agent left running would hold a dead key.
            # Any agent of this throwaway vault is the demo's (a start that timed out too).
            from vault.agent.client import stop_agent

            if stop_agent(app.vault_path):
                print("The session agent the demo started has ended.")
        print(f"Demo vault removed; the simulator on {sim.url} stopped.")
        return app.return_code or 0
