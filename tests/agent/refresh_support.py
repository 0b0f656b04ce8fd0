"""Helpers for the background-refresh tests: short-lived simulator credentials, lock watchers."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from agent_support import PASSPHRASE

from vault.core import refreshlock
from vault.core.clock import now
from vault.core.model import Credential, RefreshPolicy, Token
from vault.core.store import VaultStore
from vault.sim import Simulator

APP_ID = "app_refresh"
APP_SECRET = "refresh-app-secret-0001"


def add_app_token(
    vault: Path,
    sim: Simulator,
    name: str,
    *,
    lifetime: int,
    auto: bool = True,
    token_left: timedelta | None = None,
    revoked: bool = False,
    secret_expires_at: datetime | None = None,
) -> None:
    """An app-token credential whose tokens live ``lifetime`` seconds (the engine's fixed
    lifetime: the simulator's app tokens carry no expiry); ``token_left`` seeds a token."""
    sim.register_app_token_app(APP_ID, APP_SECRET)
    store = VaultStore.unlock(vault, PASSPHRASE)
    try:
        with store.transaction() as data:
            cred = Credential(
                name=name,
                provider="app-token",
                settings={"base_url": sim.url, "app_id": APP_ID, "lifetime": lifetime},
                secrets={"app_secret": APP_SECRET},
                policy=RefreshPolicy(auto=auto),
            )
            if token_left is not None:
                at = now()
                expires = at + token_left
                cred.token = Token(
                    value=f"SEEDED-{name}-TOKEN",
                    issued_at=expires - timedelta(seconds=lifetime),
                    expires_at=expires,
                    expiry_source="fixed",
                )
            cred.revoked = revoked
            cred.secret_expires_at = secret_expires_at
            data.credentials[name] = cred
    finally:
        store.close()


def read_cred(vault: Path, name: str) -> Credential:
    store = VaultStore.unlock(vault, PASSPHRASE)
    try:
        return store.data.credentials[name]
    finally:
        store.close()


def holds_open(pid: int, path: Path) -> bool:
    """True while process ``pid`` has ``path`` open: it is at (or past) the lock's door."""
    target = os.fspath(path)
    try:
        entries = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for entry in entries:
        try:
            if os.readlink(f"/proc/{pid}/fd/{entry}") == target:
                return True
        except OSError:
            continue
    return False


def lock_of(vault: Path, name: str) -> Path:
    return refreshlock.lock_path(vault, name)
