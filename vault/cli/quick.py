"""The commands scripts and prompts call most, answered by a running agent before argparse loads.

`token NAME` and `status` run many times a minute, so their start-up is the product: with an
agent they cost a Python start, one Unix socket round trip and a print (bench/peers.py holds
them to `pass show`), and `list --json` and `show NAME --json` print the agent's rows the
same way. Everything here goes through vault.agent.wire (C built-ins only: no typing,
pathlib, hashlib, json module or re). Only the plain spellings are recognised; anything else
(``--help``, ``--header``, an abbreviated flag, no agent) returns to the full parser in
vault.cli, which gives the same answer the long way or says what is wrong.
"""

from __future__ import annotations

import os

from vault.agent import wire

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

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
        path = wire.vault_file(vault)
        if not os.path.lexists(path):
            return {}  # the full path names the missing vault
        from vault.cli.statusline import show_status

        return show_status(path, as_json=len(rest) == 2)
    if rest == ["list", "--json"]:
        return _view(vault, "list", {})
    if len(rest) == 3 and rest[0] == "show" and rest[2] == "--json" and rest[1][:1] != "-":
        return _view(vault, "show", {"name": rest[1]})
    return {}


def _globals(words: Sequence[str]) -> tuple[str | None, list[str]] | None:
    """``--vault`` and the words after the global options."""
    options = _options(words)
    return None if options is None else (options[0].get("vault"), options[1])


def _options(words: Sequence[str]) -> tuple[dict[str, str], list[str]] | None:
    """The global options (the last of each wins, as with argparse) and the words after them."""
    found: dict[str, str] = {}
    i = 0
    while i < len(words) and words[i].startswith("-"):
        word = words[i]
        if word in ("--vault", "--passphrase-file") and i + 1 < len(words):
            found[word[2:].replace("-", "_")] = words[i + 1]
            i += 2
        elif word.startswith(("--vault=", "--passphrase-file=")):
            option, _, value = word.partition("=")
            found[option[2:].replace("-", "_")] = value
            i += 1
        else:
            return None  # --help, --version, an abbreviation: argparse's to handle
    return found, list(words[i:])


def token_arguments(words: Sequence[str]) -> argparse.Namespace | None:
    """What argparse would make of a plain ``token NAME [--min-valid D]``, else None.

    Without an agent, building the parser (argparse's help formatter, two dozen regular
    expressions and a gettext lookup per help string) is ~6 ms of `token`'s time beyond the
    KDF; a test checks these are the very arguments `build_parser("token")` parses.
    """
    options = _options(words)
    if options is None or not options[1] or options[1][0] != "token":
        return None
    plain = _token_words(options[1][1:])
    if plain is None:
        return None
    import argparse

    from vault.cli.tokens import cmd_token

    return argparse.Namespace(
        vault=options[0].get("vault"),
        passphrase_file=options[0].get("passphrase_file"),
        command="token",
        func=cmd_token,
        name=plain[0],
        min_valid="60s" if plain[1] is None else plain[1],
        header=False,
    )


def _token_words(rest: list[str]) -> tuple[str, str | None] | None:
    """``NAME`` and the ``--min-valid`` value of a plain `token` command line, else None."""
    name: str | None = None
    min_valid: str | None = None
    i = 0
    while i < len(rest):
        word = rest[i]
        if word == "--min-valid" and i + 1 < len(rest) and min_valid is None:
            if rest[i + 1].startswith("-"):
                return None  # argparse's to judge: a missing value, or a negative number
            min_valid, i = rest[i + 1], i + 2
        elif word.startswith("--min-valid=") and min_valid is None:
            min_valid, i = word.partition("=")[2], i + 1
        elif not word.startswith("-") and name is None:
            name, i = word, i + 1
        else:
            return None
    return None if name is None else (name, min_valid)


def _ask(vault: str | None, op: str, **fields: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The agent's reply for the vault named by ``--vault`` (or the defaults), or a problem."""
    sock = wire.socket_file(os.path.realpath(wire.vault_file(vault)))
    return (None, None) if sock is None else wire.ask(sock, op, **fields)


def _passphrase_instead(problem: str) -> None:
    from vault.cli.output import err

    # The sentence vault.cli.common says when open_store's agent fails: said once, here.
    err(f"{problem}; using the passphrase instead.")


def _token(vault: str | None, rest: list[str]) -> int | Hints:
    """``token NAME [--min-valid D]``: the agent's stored token while it has D left."""
    plain = _token_words(rest)
    if plain is None:
        return {}
    name, min_valid = plain
    seconds = DEFAULT_MIN_VALID
    if min_valid is not None:
        from vault.cli.common import parse_min_valid
        from vault.core.errors import UsageError

        try:
            seconds = int(parse_min_valid(min_valid).total_seconds())
        except UsageError:
            return {}  # the full path says what is wrong with it
    # The agent answers {"token": null} unless the stored token has `seconds` left: it never
    # hands out one about to expire, and never talks to a provider.
    reply, problem = _ask(vault, "token", name=name, min_valid=seconds)
    token = None if reply is None else reply.get("token")
    if isinstance(token, str) and token:
        print(token)
        return 0
    if problem is not None:
        # Said once here; the full path then asks for the passphrase without trying again.
        _passphrase_instead(problem)
        return {"agent_asked": True, "agent_unusable": True}
    # No agent, no such credential, or too little left: the full path refreshes or explains.
    return {"agent_asked": True}


def _view(vault: str | None, op: str, fields: dict[str, str]) -> int | Hints:
    """``list --json`` and ``show NAME --json`` from the agent's rows (vault.agent.views)."""
    reply, problem = _ask(vault, op, **fields)
    if reply is None:
        if problem is None or problem.startswith(wire.REFUSED):
            # No agent; or a live one that said no (it predates `show`, or will not look a
            # name up): the full path opens the vault with its key, saying nothing about it.
            return {}
        _passphrase_instead(problem)
        return {"agent_unusable": True}
    if reply.get("too_large") is True:
        return {}  # rows for one frame too many: the full path opens the vault with the key
    wanted = "rows" if op == "list" else "detail"
    if wanted not in reply:
        _passphrase_instead("The agent answered without the rows asked for")
        return {"agent_unusable": True}
    from pathlib import Path

    from vault.cli.output import err, print_json
    from vault.core.exposure import exposure_warning

    warning = exposure_warning(Path(wire.vault_file(vault)))  # as vault.cli.agentview warns
    if warning:
        err(warning)
    if wanted == "detail" and reply["detail"] is None:
        from vault.core.errors import CredentialNotFound

        raise CredentialNotFound(fields["name"])
    print_json(reply[wanted])
    return 0
