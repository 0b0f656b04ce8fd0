"""Helpers the agent tests share: the installed command, the passphrase, agent tracking."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from vault.agent import client
from vault.core.store import VaultStore

PASSPHRASE = "correct horse battery staple"
TOKENVAULT = str(Path(sys.executable).with_name("tokenvault"))
CLI_TIMEOUT = 60.0


@dataclass
class Agents:
    """Agents a test started, by pid: teardown ends each one it finds still alive."""

    vault: Path
    pids: list[int] = field(default_factory=list)

    def start(self, timeout: int = 60) -> int:
        store = VaultStore.unlock(self.vault, PASSPHRASE)
        pid = client.start_agent(self.vault, store.data_key, timeout)
        self.pids.append(pid)
        return pid


def run_cli(
    *args: str, passphrase: bool = False, stdin: str | None = None, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """The installed command with no terminal; a passphrase in its env only when asked for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENVAULT_PASSPHRASE")}
    if passphrase:
        env["TOKENVAULT_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [TOKENVAULT, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        start_new_session=True,  # no controlling terminal: a prompt would fail, not hang
    )


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie left unreaped by a container's init counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def wait_until(condition: object, timeout: float = 10.0) -> bool:
    """Poll ``condition()`` every 20 ms for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False
