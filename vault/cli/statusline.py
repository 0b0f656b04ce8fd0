"""`tokenvault status`: the one line (or JSON) a shell prompt draws, from the agent only."""

from __future__ import annotations

import os

from vault.agent import wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Shared by `cmd_status` and the quick path (vault.cli.quick), which answers before argparse
# loads: a prompt calls this every time it draws, so it asks through vault.agent.wire and
# loads json and the name escaper only for the lines that need them.


def show_status(path: str | os.PathLike[str], as_json: bool) -> int:
    """Print the vault's counts from its running agent, or "locked"; the exit status (0).

    Never a prompt or a KDF here, and no touch: a prompt alone must not keep the vault
    unlocked. The agent computes the summary itself, so this process loads no crypto at all.
    """
    sock = wire.socket_file(os.path.realpath(path))
    answer, problem = (None, None) if sock is None else wire.ask(sock, "summary")
    summary = None if answer is None else answer.get("summary")
    if not isinstance(summary, dict):
        # An agent that does not answer (stopped, wedged) is as good as none to this command:
        # still "locked" on stdout for a prompt, and one sentence on stderr saying why.
        if as_json:
            _print_json({"locked": True, **({"problem": problem + "."} if problem else {})})
        else:
            print("locked")
        if problem:
            from vault.cli.output import err

            err(f"{problem}; showing the vault as locked.")
        return 0
    if as_json:
        _print_json({"locked": False, **summary})
        return 0
    counts = ", ".join(
        f"{summary[s]} {s}"
        for s in ("valid", "expiring", "expired", "missing", "revoked", "error")
        if summary[s] or s in {"valid", "expiring", "expired"}
    )
    line = f"{summary['credentials']} credentials: {counts}"
    nxt = summary["next_expiry"]
    if nxt is not None:
        from vault.core.names import printable

        line += f"; next expiry {printable(nxt['name'])} at {nxt['expires_at']}"
    print(line + ".")
    return 0


def _print_json(value: Any) -> None:
    from vault.cli.output import print_json

    print_json(value)
