"""Writers exclude each other with a flock on the vault's lock file, across processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vault.core.errors import VaultLocked
from vault.core.store import VaultStore, file_lock, lock_path

# Another process takes the flock, says so, and holds it until its stdin closes.
HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def test_a_lock_held_by_another_process_is_waited_for_then_refused(
    store: VaultStore, vault_path: Path
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_path(vault_path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(VaultLocked, match="held the vault lock"):
            with file_lock(vault_path, timeout=0.2):
                pass
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    # The holder has exited: its flock went with it and the store writes again.
    with store.transaction() as data:
        data.credentials.clear()
