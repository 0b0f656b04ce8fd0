"""`token NAME` and `status` answered by a running agent before argparse or any crypto loads.

Scripts and shell prompts call these two many times a minute, so their start-up is the
product: with an agent they cost a Python start, one Unix socket round trip and a print
(bench/peers.py holds them to `pass show`). Only the plain spellings are recognised here;
anything else (``--help``, ``--header``, an abbreviated flag, no agent) returns to the full
parser in vault.cli, which gives the same answer the long way or says what is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from vault.agent import client as agent_client
from vault.cli.output import err, out
from vault.core.paths import default_vault_path

DEFAULT_MIN_VALID = 60
"""`token --min-valid`'s default (60s, vault.cli.tokens), in seconds."""

Hints = dict[str, bool]
"""What the full path should know when the quick one did not answer: ``agent_asked`` (the
agent was already asked for this token), ``agent_unusable`` (it failed and the user was told
so: go straight to the passphrase, without a second timeout or a second sentence)."""


def answer(words: Sequence[str]) -> int | Hints:
    """The exit status when the agent answered the command in ``words``, else hints."""
    split = _globals(words)
    if split is None:
        return {}
    vault, rest = split
    if rest and rest[0] == "token":
        return _token(vault, rest[1:])
    if rest in (["status"], ["status", "--json"]):
        path = default_vault_path(vault)
        if not os.path.lexists(path):
            return {}  # the full path names the missing vault
        from vault.cli.statusline import show_status

        return show_status(path, as_json=len(rest) == 2)
    return {}


def _globals(words: Sequence[str]) -> tuple[str | None, list[str]] | None:
    """``--vault`` (the last one wins, as with argparse) and the words after the options."""
    vault: str | None = None
    i = 0
    while i < len(words) and words[i].startswith("-"):
        word = words[i]
        if word in ("--vault", "--passphrase-file") and i + 1 < len(words):
            vault = words[i + 1] if word == "--vault" else vault
            i += 2
        elif word.startswith(("--vault=", "--passphrase-file=")):
            vault = word.partition("=")[2] if word.startswith("--vault=") else vault
            i += 1
        else:
            return None  # --help, --version, an abbreviation: argparse's to handle
    return vault, list(words[i:])


def _token(vault: str | None, rest: list[str]) -> int | Hints:
    """``token NAME [--min-valid D]``: the agent's stored token while it has D left."""
    name: str | None = None
    min_valid: str | None = None
    i = 0
    while i < len(rest):
        word = rest[i]
        if word == "--min-valid" and i + 1 < len(rest) and min_valid is None:
            min_valid, i = rest[i + 1], i + 2
        elif word.startswith("--min-valid=") and min_valid is None:
            min_valid, i = word.partition("=")[2], i + 1
        elif not word.startswith("-") and name is None:
            name, i = word, i + 1
        else:
            return {}
    if name is None:
        return {}
    seconds = DEFAULT_MIN_VALID
    if min_valid is not None:
        from vault.cli.common import parse_min_valid
        from vault.core.errors import UsageError

        try:
            seconds = int(parse_min_valid(min_valid).total_seconds())
        except UsageError:
            return {}  # the full path says what is wrong with it
    path = default_vault_path(vault)
    problems: list[str] = []
    token = agent_client.agent_token(path, name, seconds, problems.append)
    if token is not None:
        out(token)
        return 0
    if problems:
        # Said once here; the full path then asks for the passphrase without trying again.
        err(f"{problems[0]}; using the passphrase instead.")
        return {"agent_asked": True, "agent_unusable": True}
    # No agent, no such credential, or too little left: the full path refreshes or explains.
    return {"agent_asked": True}
