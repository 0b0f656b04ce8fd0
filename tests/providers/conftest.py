"""Fixtures for provider tests: a real simulator on 127.0.0.1, a real vault with a cheap KDF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.providers.provider_support import (
    APP_ID,
    APP_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    GH_APP_ID,
    GH_INSTALLATION,
    ORG_ID,
    PARTITION,
    SA_EMAIL,
    SA_SCOPES,
    SHIFTIQ_SECRET,
)
from vault.core import clock
from vault.core.crypto import KdfParams
from vault.core.model import Credential
from vault.core.providers import PRESETS
from vault.core.store import VaultStore
from vault.sim import Simulator
from vault.sim.keys import generate_key_pair


def _pem_pair() -> tuple[str, str]:
    return generate_key_pair()


@pytest.fixture(scope="session")
def rsa_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of one 2048-bit key, made once per session."""
    return _pem_pair()


@pytest.fixture(scope="session")
def other_rsa_pair() -> tuple[str, str]:
    """A second key, for "signed with the wrong key" cases."""
    return _pem_pair()


class ShiftableClock:
    """The vault's clock (which the simulator also reads) plus an offset tests can move."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def shift(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def shared_clock() -> Iterator[ShiftableClock]:
    """Moving this ages tokens for the vault and the simulator alike."""
    fake = ShiftableClock()
    clock.set_clock(fake)
    yield fake
    clock.set_clock(None)


@pytest.fixture
def sim(shared_clock: ShiftableClock, rsa_pair: tuple[str, str]) -> Iterator[Simulator]:
    """A running simulator with one app/client of every style registered."""
    _, public = rsa_pair
    with Simulator() as running:
        running.register_app_token_app(APP_ID, APP_SECRET)
        running.register_jwt_app(APP_ID, public, ORG_ID)
        running.register_github_app(GH_APP_ID, public, installation_ids=[GH_INSTALLATION])
        running.register_shiftiq_secret(PARTITION, SHIFTIQ_SECRET, clock.now() - timedelta(days=10))
        running.register_oauth_client(CLIENT_ID, CLIENT_SECRET, scopes=["read", "write"])
        running.register_jwt_bearer_client(SA_EMAIL, public, SA_SCOPES)
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[VaultStore]:
    vault = VaultStore.create(tmp_path / "vault.tv", "correct horse", KdfParams.cheap())
    yield vault
    vault.close()


AddFn = Callable[..., Credential]


@pytest.fixture
def add(store: VaultStore) -> AddFn:
    """Store a credential: ``add(name, style, settings, secrets, secret_created_at=None)``."""

    def _add(
        name: str,
        style: str,
        settings: dict[str, Any],
        secrets: dict[str, str],
        secret_created_at: datetime | None = None,
    ) -> Credential:
        cred = Credential(name=name, provider=style, settings=settings, secrets=secrets)
        cred.secret_created_at = secret_created_at
        cred.secret_expires_at = PRESETS[style].secret_expiry(secret_created_at)
        with store.transaction() as data:
            data.credentials[name] = cred
        return cred

    return _add
