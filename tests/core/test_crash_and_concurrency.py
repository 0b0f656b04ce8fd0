"""Crash safety under SIGKILL and no lost updates between processes, on real files."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.core.conftest import PASSPHRASE, make_credential
from vault.core.store import VaultStore, backup_path

CTX = mp.get_context("fork")  # the child inherits the imported modules: cheap to start


def _save_forever(path: str, key: bytes, ready: object) -> None:
    store = VaultStore.from_key(Path(path), key)
    round_ = 0
    ready.set()  # type: ignore[attr-defined]
    while True:
        round_ += 1
        with store.transaction() as data:
            # Every credential carries the same round number: a mix would show two numbers.
            data.credentials.clear()
            for i in range(20):
                cred = make_credential(f"c{i}")
                cred.settings["round"] = round_
                data.credentials[cred.name] = cred


def _rounds(store: VaultStore) -> set[int]:
    return {c.settings["round"] for c in store.data.credentials.values()}


@pytest.mark.slow
def test_sigkill_mid_save_never_leaves_a_broken_vault(store: VaultStore, vault_path: Path) -> None:
    with store.transaction() as data:
        data.credentials["c0"] = make_credential("c0")
        data.credentials["c0"].settings["round"] = 0
    rng = random.Random(99)
    kills = 0
    for _ in range(200):
        ready = CTX.Event()
        child = CTX.Process(target=_save_forever, args=(str(vault_path), store.data_key, ready))
        child.start()
        assert ready.wait(10)
        time.sleep(rng.uniform(0, 0.02))
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(10)
        kills += 1
        opened = VaultStore.unlock(vault_path, PASSPHRASE)
        rounds = _rounds(opened)
        assert len(rounds) == 1, rounds  # old or new content, never a mix
        # A whole round is 20 credentials (the seed had one): never a partial write.
        assert len(opened.data.credentials) in (1, 20)
        VaultStore.unlock(backup_path(vault_path), PASSPHRASE)  # the backup opens too
    assert kills == 200
    with store.transaction():
        pass  # taking the lock cleans any temp file a killed writer left
    assert not [p.name for p in vault_path.parent.iterdir() if ".tmp-" in p.name]


def _apply_changes(path: str, key: bytes, prefix: str, count: int) -> None:
    store = VaultStore.from_key(Path(path), key)
    for i in range(count):
        with store.transaction() as data:
            data.credentials[f"{prefix}-{i}"] = make_credential(f"{prefix}-{i}")


@pytest.mark.slow
def test_two_processes_lose_no_update(store: VaultStore, vault_path: Path) -> None:
    workers = [
        CTX.Process(target=_apply_changes, args=(str(vault_path), store.data_key, name, 100))
        for name in ("left", "right")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    names = set(VaultStore.unlock(vault_path, PASSPHRASE).data.credentials)
    assert len(names) == 200
    assert names == {f"{side}-{i}" for side in ("left", "right") for i in range(100)}
