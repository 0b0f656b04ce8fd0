"""What every command family shares: output, the vault path, unlocking, secrets, flags."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault.agent import client as agent_client
from vault.cli.output import err as err  # re-exported: every family prints through these
from vault.cli.output import out as out
from vault.cli.output import print_json as print_json
from vault.core import passphrase as passphrase_sources
from vault.core.errors import CredentialNotFound, UsageError, VaultNotFound
from vault.core.paths import default_vault_path

if TYPE_CHECKING:
    from vault.core.model import Credential
    from vault.core.store import VaultStore

# The store, the model and the crypto stack are imported inside the handlers that use them:
# `tokenvault token` and `status` are called by scripts and shell prompts, and with an agent
# running they answer without loading any of it (bench/cli.py).

Handler = Callable[[argparse.Namespace], int]

Command = Callable[[str, Handler, str], argparse.ArgumentParser]
"""``command(name, handler, help)``: adds one sub-parser (or a no-op stand-in, see build_parser)."""


def primary_secret(style: str) -> str:
    """Which secret `--secret-file` / `--secret-stdin` fill for ``style`` (the preset says);
    PEM keys come from `--private-key-file`. Secrets never come from argv: they would show in
    `ps` and shell history."""
    from vault.core.providers.presets import PRESETS

    preset = PRESETS.get(style)
    return (preset.primary_secret if preset else None) or "client_secret"


def vault_path(args: argparse.Namespace) -> Path:
    return default_vault_path(getattr(args, "vault", None))


def ask_passphrase(prompt: str, confirm: bool = False) -> str:
    """Ask on the controlling terminal; with no terminal, say which sources exist instead."""
    import getpass

    try:
        fd = os.open("/dev/tty", os.O_RDWR)
        os.close(fd)
    except OSError:
        raise UsageError(
            "No passphrase given and no terminal to ask on: use --passphrase-file, "
            "TOKENVAULT_PASSPHRASE_FILE or TOKENVAULT_PASSPHRASE."
        ) from None
    first = getpass.getpass(prompt)
    if not first:
        raise UsageError("The passphrase cannot be empty.")
    if confirm and getpass.getpass("Repeat passphrase: ") != first:
        raise UsageError("The two passphrases differ; nothing was changed.")
    return first


def get_passphrase(args: argparse.Namespace, confirm: bool = False) -> str:
    found = passphrase_sources.from_sources(getattr(args, "passphrase_file", None))
    if found is not None:
        return found
    return ask_passphrase("Vault passphrase: ", confirm=confirm)


def _agent_problem(problem: str) -> None:
    err(f"{problem}; using the passphrase instead.")


def open_store(args: argparse.Namespace, use_agent: bool = True) -> VaultStore:
    """Unlock the vault named by the arguments (the one place every command unlocks).

    ``use_agent=False`` demands the passphrase even while an agent runs (``passwd``: holding
    the key must not be enough to lock the owner out with a passphrase they do not know).
    """
    from vault.core.store import VaultStore

    path = vault_path(args)
    if not os.path.lexists(path):
        # Say so before asking for a passphrase that could not help.
        raise VaultNotFound(
            f"No vault at {path}. Create one with `tokenvault init`, or pass --vault."
        )
    # A running agent holds the data key: no passphrase, no KDF. Any agent failure falls back
    # to the passphrase with one sentence, so a dead agent never blocks a command (and one the
    # quick path already found failing, and said so, is not asked again: vault.cli.quick).
    use_agent = use_agent and not getattr(args, "agent_unusable", False)
    store = agent_client.store_from_agent(path, _agent_problem) if use_agent else None
    store = store or VaultStore.unlock(path, get_passphrase(args))
    warn_if_exposed(path)  # once it opened: a refused file gets its own sentence only
    return store


def warn_if_exposed(path: Path) -> None:
    """One sentence on stderr when others can read or write the vault or its folder.

    tokenvault never changes a folder's mode it did not create (a shared or sticky folder
    would break for everyone else), so like ssh and gpg it tells the owner instead.
    """
    from vault.core.exposure import exposure_warning

    warning = exposure_warning(path)
    if warning:
        err(warning)


def parse_assignments(pairs: Sequence[str] | None) -> dict[str, Any]:
    """`--set KEY=VALUE` pairs; integers stay integers so lifetimes compare as numbers."""
    result: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got {pair!r}.")
        digits = value.lstrip("-")
        result[key.strip()] = int(value) if digits.isascii() and digits.isdigit() else value
    return result


def read_secrets(
    args: argparse.Namespace, style: str, *, into: str | None = None
) -> dict[str, str]:
    """Collect secrets from files or stdin (never argv); ``into`` is the secret they fill
    instead of the style's own (``--secret-for``), asked for on the terminal if neither."""
    found: dict[str, str] = {}
    primary = into or primary_secret(style)
    if getattr(args, "secret_file", None) and getattr(args, "secret_stdin", False):
        raise UsageError("Give the secret with --secret-file or --secret-stdin, not both.")
    if getattr(args, "secret_file", None):
        found[primary] = passphrase_sources.read_secret_file(Path(args.secret_file), "secret")
    elif getattr(args, "secret_stdin", False):
        # All of stdin or a refusal: input over the cap is never stored cut off.
        found[primary] = passphrase_sources.read_secret_stream(sys.stdin.buffer, "secret")
    elif into:
        from vault.cli.secretfor import ask

        found[into] = ask(into)
    if getattr(args, "private_key_file", None):
        found["private_key"] = passphrase_sources.read_secret_file(
            Path(args.private_key_file), "private key"
        )
    return found


def _get(credentials: dict[str, Credential], name: str) -> Credential:
    try:
        return credentials[name]
    except KeyError:
        raise CredentialNotFound(name) from None


def need_terminal() -> None:
    """The UI draws on a terminal; without one it would hang writing escape codes."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "The terminal UI needs a terminal; in scripts use a command such as "
            "`tokenvault token NAME` (see `tokenvault --help`)."
        )


def add_secret_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("secrets (never on the command line)")
    group.add_argument("--secret-file", metavar="FILE", help="read the client/app secret from FILE")
    group.add_argument(
        "--secret-stdin", action="store_true", help="read the client/app secret from stdin"
    )
    group.add_argument("--private-key-file", metavar="FILE", help="read a PEM private key")
    group.add_argument(
        "--secret-for",
        metavar="TARGET",
        help="put that secret in header:NAME (API requests), token-header:NAME or "
        "basic-password instead (asked for on the terminal without a file or stdin)",
    )


_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kib": 1024, "m": 1024**2, "mib": 1024**2}
_SIZE_UNITS.update({"g": 1024**3, "gib": 1024**3})
MAX_SIZE = 1024**3
"""The largest --max-body: the answer is held in memory whole (1 GiB)."""


def parse_size(text: str, flag: str) -> int:
    """``2048``, ``512k``, ``10MiB``, ``1g`` (binary units) as bytes, between 1 and 1 GiB."""
    import re

    found = re.fullmatch(r"\s*(\d{1,12})\s*([a-z]*)\s*", text.lower()) if text.isascii() else None
    if found is None or found.group(2) not in _SIZE_UNITS:
        raise UsageError(f"{flag} {text!r} is not a size; write e.g. 512k, 10MiB or 1g.")
    size = int(found.group(1)) * _SIZE_UNITS[found.group(2)]
    if not 0 < size <= MAX_SIZE:
        raise UsageError(f"{flag} must be between 1 byte and 1 GiB, not {text!r}.")
    return size


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_min_valid(text: str) -> timedelta:
    """``0``, ``90s``, ``5m``, ``2h``, ``30d``, ``1w`` (or sums like ``1h30m``) as a timedelta.

    Not the agent's ``parse_duration``: a validity margin may be zero or longer than a week.
    """
    import re

    raw = text.strip().lower()
    bad = UsageError(f"{text!r} is not a duration; write e.g. 60s, 5m, 2h or 1d.")
    if not raw.isascii():  # "²".isdigit() is True, and int() refuses it
        raise bad
    if len(raw) > 40:  # int() of thousands of digits is slow, then refused by Python
        raise UsageError("That duration is longer than any token lives (ten years at most).")
    if raw.isdigit():
        seconds = int(raw)
    else:
        parts = re.findall(r"(\d+)\s*([smhdw])", raw)
        if not parts or re.sub(r"\d+\s*[smhdw]", "", raw).strip():
            raise bad
        seconds = sum(int(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds > 10 * 366 * 86400:
        raise UsageError(f"{text!r} is longer than any token lives (ten years at most).")
    return timedelta(seconds=seconds)
