"""`list` and `show` through a running agent: its rows, or the vault opened the usual way."""

from __future__ import annotations

import argparse
from typing import Any

from vault.agent import client as agent_client
from vault.cli.common import _agent_problem, vault_path, warn_if_exposed


def from_agent(args: argparse.Namespace, op: str, **fields: Any) -> dict[str, Any] | None:
    """The agent's answer to ``op`` (``list`` or ``show``), or None: then open the store.

    With an agent the rows come from its memory (no key here, no decryption, no crypto
    imports: ``vault.agent.views``). When it failed, the user hears one sentence and the
    caller's ``open_store`` goes straight to the passphrase (``args.agent_unusable``), so a
    stuck agent costs one timeout, not two.
    """
    if getattr(args, "agent_unusable", False):
        return None  # the quick path found it failing and said so (vault.cli.quick)
    path = vault_path(args)
    problems: list[str] = []
    answer = agent_client.agent_view(path, op, problems.append, **fields)
    if answer is not None:
        warn_if_exposed(path)  # as open_store does once the vault is open
        return answer
    if problems:
        _agent_problem(problems[0])
        args.agent_unusable = True
    return None
