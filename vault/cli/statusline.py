"""`tokenvault status`: the one line (or JSON) a shell prompt draws, from the agent only."""

from __future__ import annotations

from pathlib import Path

from vault.agent import client as agent_client
from vault.cli.output import err, out, print_json
from vault.core.names import printable

# Shared by `cmd_status` and the quick path (vault.cli.quick), which answers before argparse
# loads: a prompt calls this every time it draws, so it imports only the agent client.


def show_status(path: Path, as_json: bool) -> int:
    """Print the vault's counts from its running agent, or "locked"; the exit status (0).

    Never a prompt or a KDF here, and no touch: a prompt alone must not keep the vault
    unlocked. The agent computes the summary itself, so this process loads no crypto at all.
    """
    problems: list[str] = []
    summary = agent_client.agent_summary(path, problems.append)
    if summary is None:
        # An agent that does not answer (stopped, wedged) is as good as none to this command:
        # still "locked" on stdout for a prompt, and one sentence on stderr saying why.
        if as_json:
            print_json({"locked": True, **_problem_field(problems)})
        else:
            out("locked")
        if problems:
            err(f"{problems[0]}; showing the vault as locked.")
        return 0
    if as_json:
        print_json({"locked": False, **summary})
        return 0
    counts = ", ".join(
        f"{summary[s]} {s}"
        for s in ("valid", "expiring", "expired", "missing", "revoked", "error")
        if summary[s] or s in {"valid", "expiring", "expired"}
    )
    line = f"{summary['credentials']} credentials: {counts}"
    nxt = summary["next_expiry"]
    if nxt is not None:
        line += f"; next expiry {printable(nxt['name'])} at {nxt['expires_at']}"
    out(line + ".")
    return 0


def _problem_field(problems: list[str]) -> dict[str, str]:
    return {"problem": problems[0] + "."} if problems else {}
