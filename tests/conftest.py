"""Shared fixtures: every platformdirs path under tmp_path, a cheap KDF for speed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store_support import PASSPHRASE
from vault.core.crypto import KdfParams
from vault.core.store import VaultStore


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every platformdirs location (and XDG variable) at tmp_path.

    Tests must never touch the developer's own vault, config or clipboard.
    """
    home = tmp_path / "home"
    home.mkdir()
    for var, sub in [
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ]:
        path = home / sub
        path.mkdir(mode=0o700)
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("HOME", str(home))
    for var in ("TOKENVAULT_VAULT", "TOKENVAULT_PASSPHRASE", "TOKENVAULT_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)
    # Tests may use a KDF cheaper than the production floor only through this explicit switch.
    monkeypatch.setenv("TOKENVAULT_TEST_KDF_FLOOR", "1")
    yield home


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    """Where ``store`` puts its vault: a directory the store itself must create."""
    return tmp_path / "vaults" / "test.tvault"


@pytest.fixture
def store(vault_path: Path) -> VaultStore:
    """A fresh real vault (cheap KDF) shared by the core and TUI suites."""
    return VaultStore.create(vault_path, PASSPHRASE, KdfParams.cheap())
