"""What the TUI says about the session agent it starts: the toast and the status line."""

from __future__ import annotations

import re
from pathlib import Path

from agent_support import Agents, wait_until
from test_tui_agent import make_app, settle, unlock_with_passphrase

from vault.agent import client
from vault.tui.widgets.status_line import StatusLine


async def test_unlocking_says_it_started_the_agent_and_until_when(
    vault: Path, agents: Agents
) -> None:
    app = make_app(vault)
    async with app.run_test(size=(160, 36)) as pilot:
        await unlock_with_passphrase(pilot, app)
        await settle(
            pilot,
            lambda: any("Started the session agent" in str(n.message) for n in app._notifications),
        )
        status = client.agent_status(vault)
        assert status is not None
        line = app.screen.query_one(StatusLine)
        # The line names the agent and the time it locks if nothing uses it (local HH:MM).
        await settle(pilot, lambda: "agent: unlocked until" in str(line.render()))
        assert re.search(r"agent: unlocked until \d\d:\d\d", str(line.render()))
        await pilot.press("l")  # an explicit lock ends it, and the line stops saying so
        assert wait_until(lambda: client.agent_status(vault) is None, timeout=5)
