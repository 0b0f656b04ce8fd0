"""`tokenvault demo`: a throwaway vault whose credentials talk to the loopback simulator."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from vault.core import tokens
from vault.core.clock import now
from vault.core.crypto import MIN_MEMORY_KIB, KdfParams
from vault.core.errors import VaultError
from vault.core.model import Credential, EventKind, RefreshPolicy
from vault.core.providers import PRESETS
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.sim import demo as fixtures

DEMO_KDF = KdfParams(memory_kib=MIN_MEMORY_KIB, time_cost=1, parallelism=1)
"""The lowest cost the store accepts outside tests: the demo vault is throwaway."""

DEMO_PASSPHRASE = "demo passphrase"
"""Printed on start: the vault is throwaway and lives in a temp dir removed on exit."""


def demo_credentials(base_url: str) -> list[Credential]:
    """One credential of every style (two oauth2: one with a wrong secret to show an error)."""
    at = now()
    shiftiq_created = at - fixtures.SHIFTIQ_SECRET_AGE
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
            "legacy-oauth",
            "oauth2-client-credentials",
            settings={"base_url": base_url, "client_id": fixtures.OAUTH_CLIENT_ID},
            secrets={"client_secret": "rotated-away-long-ago"},
        ),
    ]
    for cred in creds:
        cred.record(EventKind.CREATED, "demo")
    return creds


def build_demo_vault(path: Path, sim_url: str, passphrase: str = DEMO_PASSPHRASE) -> VaultStore:
    """Create the vault, generate real tokens from the simulator, then age some of them.

    Ageing rewrites the stored times only (the simulator still honours the tokens): it puts the
    list in every state at once: fresh, expiring, expired, secret near day 90, error, none.
    """
    store = VaultStore.create(path, passphrase, DEMO_KDF)
    with store.transaction() as data:
        for cred in demo_credentials(sim_url):
            data.credentials[cred.name] = cred
    for name in ("happay-uat", "unifize-prod", "github-ci-bot", "shiftiq-reports", "legacy-oauth"):
        with suppress(VaultError):
            tokens.generate(store, name)
    at = now()
    with store.transaction() as data:
        _age(data.credentials["unifize-prod"], at, left=timedelta(minutes=4, seconds=10))
        _age(data.credentials["github-ci-bot"], at, left=-timedelta(minutes=3))
        _age(data.credentials["happay-uat"], at, left=timedelta(hours=23, minutes=12))
        _age(data.credentials["shiftiq-reports"], at, left=timedelta(days=9, hours=4))
    return store


def _age(cred: Credential, at: object, left: timedelta) -> None:
    token = cred.token
    if token is None or token.expires_at is None:
        return
    life = token.expires_at - token.issued_at
    assert isinstance(at, type(token.issued_at))
    token.expires_at = at + left
    token.issued_at = token.expires_at - life


def demo_main() -> int:
    """Run the simulator on a free loopback port, build the demo vault, open the TUI on it."""
    from vault.tui.app import TokenVaultApp

    with tempfile.TemporaryDirectory(prefix="tokenvault-demo-") as tmp, Simulator() as sim:
        fixtures.seed(sim)
        path = Path(tmp) / "demo.tvault"
        store = build_demo_vault(path, sim.url, DEMO_PASSPHRASE)
        app = TokenVaultApp(path, kdf=DEMO_KDF)
        # The demo starts unlocked: nobody should have to type a throwaway passphrase.
        app.initial_store = store
        app.run()
        print(f"Demo vault removed; the simulator on {sim.url} stopped.")
        return app.return_code or 0
