"""`agent status`'s refresh section: what the agent refreshes next and when, what it will not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vault.agent import client as agent_client
from vault.core.names import printable


def refresh_field(running: bool, path: Path) -> dict[str, Any]:
    """``{"refresh": <the agent's plan>}`` for ``agent status --json`` while an agent runs."""
    return {"refresh": agent_client.agent_schedule(path)} if running else {}


def refresh_lines(schedule: dict[str, Any] | None) -> list[str]:
    """The agent's plan (``client.agent_schedule``) in words, one line each."""
    from vault.core.clock import now, parse_utc
    from vault.core.summary import format_left

    if schedule is None:
        return ["Background refresh: the agent did not report its plan."]
    if not schedule.get("enabled"):
        return [f"Background refresh is off: {schedule.get('reason') or 'no reason given'}."]
    lines = ["Background refresh is on."]
    if schedule.get("problem"):
        lines.append(f"  It cannot read the vault right now: {schedule['problem']}")
    at = now()
    planned, skipped = schedule.get("next", []), schedule.get("skipped", [])
    if planned:
        lines.append("Next refreshes:")
    for entry in planned:
        left = max(0, int((parse_utc(entry["at"]) - at).total_seconds()))
        note = f", {entry['reason']}" if entry.get("reason") else ""
        lines.append(
            f"  {printable(entry['name'])}  at {entry['at']} (in {format_left(left)}{note})"
        )
    if skipped:
        lines.append("Not refreshed:")
    for entry in skipped:
        lines.append(f"  {printable(entry['name'])}  {entry.get('reason', '')}")
    counts = schedule.get("counts", {})
    hidden = counts.get("next", 0) + counts.get("skipped", 0) - len(planned) - len(skipped)
    if hidden > 0:
        lines.append(f"  ... and {hidden} more.")
    if not planned and not skipped:
        lines.append("  Nothing to plan: the vault holds no credential.")
    return lines
