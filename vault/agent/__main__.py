"""`python -m vault.agent --vault PATH --timeout SECONDS`: the detached agent process.

Started by `tokenvault unlock` (``client.start_agent``), never by hand: the data key arrives
on stdin (never argv or the environment, which other processes can read), and one JSON line
on stdout says whether the agent is serving.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from vault.agent.server import KEY_BYTES, Agent, check_owner
from vault.core.config import load_config
from vault.core.errors import ConfigError, VaultError
from vault.core.hardening import disable_core_dumps
from vault.core.store import VaultStore


def _read_key() -> bytes:
    key = sys.stdin.buffer.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise VaultError("The agent expects exactly the 32-byte data key on standard input.")
    return key


def _report(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _refresh_setting() -> tuple[bool, str]:
    """``[agent] refresh`` and, when off, why (``agent status`` says it)."""
    try:
        config = load_config()
    except ConfigError as exc:
        # Settings the user did not mean are not acted on: an unreadable config refreshes
        # nothing in the background, and says so.
        return False, f"the config file could not be read ({exc.message})"
    if not config.agent.refresh:
        return False, "turned off in the config (agent.refresh = false)"
    return True, ""


def _detach_stdio() -> None:
    # The starter waits on our stdout; holding it (or its terminal) open would hang it.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    # Before the key exists in this process: no core file may ever hold it.
    disable_core_dumps()
    parser = argparse.ArgumentParser(prog="python -m vault.agent")
    parser.add_argument("--vault", required=True, type=Path)
    # Always given by start_agent: the default lives in one place, the config's AGENT_TIMEOUT.
    parser.add_argument("--timeout", type=int, required=True, metavar="SECONDS")
    args = parser.parse_args(argv)
    try:
        key = _read_key()
        check_owner(args.vault)
        # Prove the key opens this vault before serving it to anyone.
        VaultStore.from_key(args.vault, key).close()
        refresh, refresh_off = _refresh_setting()
        agent = Agent(
            args.vault, key, max(1, args.timeout), refresh=refresh, refresh_off=refresh_off
        )
        del key
        agent.bind()
    except VaultError as exc:
        _report({"ok": False, "error": exc.message})
        return 1
    # Fork once more so the starter can reap us at once: a long-lived starter (the TUI) would
    # otherwise keep a zombie when the agent exits. Single-threaded here, so fork is safe.
    if os.fork():
        os._exit(0)
    _report({"ok": True, "pid": os.getpid()})
    _detach_stdio()
    agent.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
