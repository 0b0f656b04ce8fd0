"""Fixtures for core tests: a real vault file on disk with a cheap KDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault.core.crypto import KdfParams
from vault.core.model import Credential, Token
from vault.core.store import VaultStore

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "vaults" / "test.tvault"


@pytest.fixture
def store(vault_path: Path) -> VaultStore:
    return VaultStore.create(vault_path, PASSPHRASE, KdfParams.cheap())


def make_credential(
    name: str, secret: str = "s3cret-value-0000", token: str | None = None
) -> Credential:
    cred = Credential(name=name, provider="app-token", settings={"app_id": f"app_{name}"})
    cred.secrets["app_secret"] = secret
    if token:
        cred.token = Token(value=token, token_type="App-Token")
    return cred
