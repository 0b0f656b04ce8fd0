"""`tokenvault doctor`: every problem of the vault, one line each; exit 1 when it needs you."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault.agent import client as agent_client
from vault.cli.common import Command, get_passphrase, out, parse_min_valid, print_json, vault_path
from vault.core import passphrase as passphrase_sources
from vault.core.errors import VaultFileError, VaultNotFound
from vault.core.names import printable

if TYPE_CHECKING:
    from vault.core.doctor import AgentState
    from vault.core.model import Credential

JSON_VERSION = 1
"""Bumped when ``doctor --json``'s shape changes incompatibly (docs/guide.md describes it)."""


def agent_state(path: Path) -> AgentState:
    """Ask the agent how it is, without touching its idle timer."""
    from vault.core.doctor import AgentState

    problems: list[str] = []
    status = agent_client.agent_status(path, problems.append)
    if status is None:
        if problems:
            return AgentState("not-answering", problems[0])
        return AgentState("not-running")
    schedule = agent_client.agent_schedule(path) or {}
    reminders = status.get("reminders") or {}
    return AgentState(
        "running",
        f" (pid {status.get('pid')}) and locks at {status.get('locks_at')} unless used",
        refreshing=bool(schedule.get("enabled")),
        refresh_problem=schedule.get("problem") or None,
        notify_problem=reminders.get("problem") or None,
    )


def read_credentials(args: argparse.Namespace, path: Path) -> list[Credential] | None:
    """The credentials, through the agent's key (not touching its timer: a cron job must not
    keep the vault unlocked) or the passphrase; None when locked and nothing can unlock."""
    from vault.core.store import VaultStore

    key = agent_client.agent_key(path, touch=False)
    store = None
    if key is not None:
        try:
            store = VaultStore.from_key(path, key)
        except VaultFileError:
            store = None  # a key rotated since: the passphrase decides below
    if store is None:
        has_source = passphrase_sources.from_sources(getattr(args, "passphrase_file", None))
        if has_source is None and not _has_terminal():
            return None  # cron with the vault locked: report that, not a usage error
        store = VaultStore.unlock(path, has_source or get_passphrase(args))
    try:
        return list(store.data.credentials.values())
    finally:
        store.close()


def _has_terminal() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR))
    except OSError:
        return False
    return True


def cmd_doctor(args: argparse.Namespace) -> int:
    from vault.core.clock import iso, now
    from vault.core.config import load_config
    from vault.core.doctor import DEFAULT_WITHIN, diagnose, healthy
    from vault.core.errors import ConfigError
    from vault.core.exposure import exposure_warning

    within = parse_min_valid(args.within) if args.within is not None else DEFAULT_WITHIN
    path = vault_path(args)
    if not os.path.lexists(path):
        raise VaultNotFound(
            f"No vault at {path}. Create one with `tokenvault init`, or pass --vault."
        )
    try:
        warnings = load_config().warnings
    except ConfigError as exc:
        warnings = [exc.message]
    agent = agent_state(path)
    creds = read_credentials(args, path)
    at = now().replace(microsecond=0)
    problems = diagnose(
        creds,
        at,
        within=within,
        exposure=exposure_warning(path),
        agent=agent,
        config_warnings=warnings,
    )
    ok = healthy(problems)
    exit_code = 0 if ok else 1
    if args.json:
        document: dict[str, Any] = {
            "version": JSON_VERSION,
            "healthy": ok,
            "checked_at": iso(at),
            "within_seconds": int(within.total_seconds()),
            "vault": str(path),
            "credentials": None if creds is None else len(creds),
            "agent": agent.state,
            "problems": [p.to_dict() for p in problems],
        }
        print_json(document)
        return exit_code
    for problem in problems:
        who = f"{problem.name}: " if problem.name is not None else ""
        # Names and stored errors come from the vault: never let them drive the terminal.
        out(printable(f"{problem.severity:<7} {problem.kind:<20} {who}{problem.message}"))
    if ok:
        checked = "no credential" if not creds else f"{len(creds)} credentials"
        out(f"Healthy: {checked} checked, nothing needs you.")
    return exit_code


def register(command: Command) -> None:
    """Register doctor."""
    p = command(
        "doctor",
        cmd_doctor,
        "List every problem: expiring root secrets, dead tokens, errors, file modes, the agent "
        "(exit 1 when something needs you).",
    )
    p.add_argument(
        "--within",
        metavar="DURATION",
        help="how far ahead a root secret's expiry counts, e.g. 30d, 2w (default 30d)",
    )
    p.add_argument("--json", action="store_true", help="print JSON (see docs/guide.md)")
