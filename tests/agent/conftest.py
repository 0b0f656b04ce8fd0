"""Agent fixtures: a vault, a short runtime folder, and cleanup of every agent a test starts."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from agent_support import PASSPHRASE, Agents

from vault.agent import client
from vault.core.crypto import KdfParams
from vault.core.store import VaultStore


@pytest.fixture(autouse=True)
def short_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short XDG_RUNTIME_DIR: pytest's tmp paths can exceed a Unix socket's 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="tva-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "vaults" / "test.tvault"
    VaultStore.create(path, PASSPHRASE, KdfParams.cheap())
    monkeypatch.setenv("TOKENVAULT_VAULT", str(path))
    return path


@pytest.fixture
def agents(vault: Path) -> Iterator[Agents]:
    tracked = Agents(vault)
    yield tracked
    client.stop_agent(vault)
    for pid in tracked.pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
