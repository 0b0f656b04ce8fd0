"""The session agent: unlock, lock, agent status and status."""

from __future__ import annotations

import argparse
import os

from vault.agent import client as agent_client
from vault.agent.duration import format_duration, parse_duration
from vault.cli.common import Command, err, get_passphrase, out, print_json, vault_path
from vault.cli.schedule import refresh_field, refresh_lines
from vault.core.errors import VaultNotFound


def cmd_unlock(args: argparse.Namespace) -> int:
    from vault.core.config import load_config
    from vault.core.store import VaultStore

    path = vault_path(args)
    # --timeout, else the config's agent.timeout (the same default the TUI's agent uses).
    timeout = parse_duration(args.timeout) if args.timeout else load_config().agent.timeout
    running = agent_client.agent_status(path)
    if running is not None:
        out(
            f"Already unlocked: the agent (pid {running['pid']}) locks at {running['locks_at']} "
            "unless used; run `tokenvault lock` first to change its timeout."
        )
        return 0
    if not os.path.lexists(path):
        raise VaultNotFound(
            f"No vault at {path}. Create one with `tokenvault init`, or pass --vault."
        )
    store = VaultStore.unlock(path, get_passphrase(args))
    try:
        pid = agent_client.start_agent(path, store.data_key, timeout)
    finally:
        store.close()
    out(
        f"Unlocked {path}: the agent (pid {pid}) keeps the key in memory and locks after "
        f"{format_duration(timeout)} without use, or at `tokenvault lock`."
    )
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    path = vault_path(args)
    if agent_client.stop_agent(path):
        out("Locked: the agent dropped the key and ended.")
    else:
        out(f"Already locked: no agent runs for {path}.")
    return 0


def cmd_agent(args: argparse.Namespace) -> int:
    from vault.core.summary import format_left

    path = vault_path(args)
    problems: list[str] = []
    status = agent_client.agent_status(path, problems.append)
    if args.json:
        shown = status or {"vault": str(path)}
        running = status is not None
        print_json(
            {
                "running": running,
                **shown,
                **refresh_field(running, path),
                **_problem_field(problems),
            }
        )
    elif status is None and problems:
        # A stopped (SIGSTOP) or wedged agent: one sentence, after CALL_TIMEOUT, never a hang.
        err(f"{problems[0]}; the vault cannot be used through it.")
    elif status is None:
        out(f"No agent runs for {path}: the vault is locked.")
    else:
        out(
            f"The agent (pid {status['pid']}) holds the key of {status['vault']}; it locks at "
            f"{status['locks_at']} (in {format_left(int(status['seconds_left']))}) unless "
            f"used; idle timeout {format_duration(int(status['idle_timeout']))}."
        )
        for line in refresh_lines(agent_client.agent_schedule(path)):
            out(line)
    return 0 if status is not None else 1


def cmd_status(args: argparse.Namespace) -> int:
    from vault.cli.statusline import show_status

    path = vault_path(args)
    if not os.path.lexists(path):
        raise VaultNotFound(f"No vault at {path}. Create one with `tokenvault init`.")
    # Usually answered by vault.cli.quick before argparse loads; the same code either way.
    return show_status(path, args.json)


def _problem_field(problems: list[str]) -> dict[str, str]:
    return {"problem": problems[0] + "."} if problems else {}


def register(command: Command) -> None:
    """Register unlock, lock, agent and status: the unlock-once commands."""
    p = command("unlock", cmd_unlock, "Unlock once: keep the key in a background agent.")
    p.add_argument(
        "--timeout",
        metavar="DURATION",
        help="lock after this long without use, e.g. 90s, 15m, 1h (default: the config's "
        "agent.timeout, 15m)",
    )
    command("lock", cmd_lock, "End the agent: the vault needs the passphrase again.")
    p = command("agent", cmd_agent, "Say whether the agent runs and when it locks (exit 1: not).")
    p.add_argument("action", choices=["status"], help="status (the only action)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = command("status", cmd_status, "Counts of valid, expiring, expired tokens, or 'locked'.")
    p.add_argument("--json", action="store_true", help="print JSON")
