"""The `tokenvault` command: thin `cmd_<verb>` handlers over vault.core (pass's shape)."""

from __future__ import annotations

import sys

from vault import __version__

# Not typing's TYPE_CHECKING: `import typing` (re, collections, contextlib) costs ~6 ms, a
# quarter of what `tokenvault token NAME` may take in all (bench/peers.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from vault.cli.common import Handler

# One module per command family, each with a `register(command)` that adds its sub-parsers;
# `common` holds what they share. At module level they import only the agent client, errors,
# paths and passphrase sources: the store, the model, the crypto and the network stack load
# inside the handlers that use them, so `build_parser(only=...)` plus one handler stays lean.
# Only the family of the command being run is imported at all (COMMANDS), and `token` and
# `status` with an agent answer before even argparse loads (vault.cli.quick).

__all__ = [
    "COMMANDS",
    "FAMILIES",
    "GLOBAL_VALUE_OPTIONS",
    "build_parser",
    "first_positional",
    "main",
]

FAMILIES = (
    "vaultfile",
    "ui",
    "agent",
    "doctor",
    "git",
    "tokens",
    "copy",
    "proxy",
    "interchange",
    "completion",
)
"""The command-family modules of vault.cli, in the order `tokenvault --help` lists them."""

COMMANDS = {
    **dict.fromkeys(
        ("init", "add", "edit", "list", "show", "remove", "passwd", "restore-backup"), "vaultfile"
    ),
    "demo": "ui",
    **dict.fromkeys(("unlock", "lock", "agent", "status"), "agent"),
    "doctor": "doctor",
    "git-credential": "git",
    **dict.fromkeys(("token", "refresh", "revoke", "request", "exec", "sim"), "tokens"),
    "copy": "copy",
    "proxy": "proxy",
    "import": "interchange",
    "export": "interchange",
    "completion": "completion",
}
"""Which family registers each command, so running one imports only its module (a test
checks this against what the families really register)."""

GLOBAL_VALUE_OPTIONS = frozenset({"--vault", "--passphrase-file"})
"""Top-level options that take a value: `first_positional` skips their values."""


class _Unused:
    """Stands in for the parsers of commands not being run: every call is a cheap no-op.

    Building all twenty sub-parsers costs ~20 ms (argparse looks up translations for every
    help string); `tokenvault token` in a shell prompt or script should not pay for it.
    """

    def __getattr__(self, name: str) -> Callable[..., _Unused]:
        return lambda *args, **kwargs: self


def first_positional(argv: Sequence[str]) -> str | None:
    """The command word in ``argv``, skipping the global options and their values."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in GLOBAL_VALUE_OPTIONS:
            skip = True
        elif arg == "--":
            return None
        elif not arg.startswith("-"):
            return arg
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that command's sub-parser."""
    import argparse
    from importlib import import_module
    from typing import cast

    if only is not None and only not in COMMANDS:
        only = None  # not a command name: the full parser lists the real ones
    parser = argparse.ArgumentParser(
        prog="tokenvault",
        description="A passphrase-encrypted vault for API credentials with live token expiry. "
        "Run with no command to open the terminal UI.",
        epilog="Exit codes: 0 success, 1 failed, 2 usage error, 3 wrong passphrase, 4 vault "
        "file damaged or unsupported. Guide: docs/guide.md; threat model: SECURITY.md.",
    )
    parser.add_argument("--version", action="version", version=f"tokenvault {__version__}")
    parser.add_argument(
        "--vault", metavar="PATH", help="vault file (default: $TOKENVAULT_VAULT or platformdirs)"
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="read the passphrase from FILE (else $TOKENVAULT_PASSPHRASE_FILE, "
        "$TOKENVAULT_PASSPHRASE, then a prompt)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        if only is not None and name != only:
            return cast(argparse.ArgumentParser, _Unused())
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=handler)
        return p

    # The order is the order `tokenvault --help` lists the commands in.
    for family in FAMILIES if only is None else (COMMANDS[only],):
        import_module(f"{__name__}.{family}").register(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Only what the quick path needs is loaded before it runs (vault.cli.quick); the error
    # classes are plain classes, and output loads once something is printed.
    from vault.core.errors import VaultError

    words = sys.argv[1:] if argv is None else list(argv)
    try:
        return _run(words)
    except VaultError as exc:
        from vault.cli.output import err

        err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        from vault.cli.output import err

        err("interrupted; nothing more was changed.")
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:
        from vault.cli.output import err

        # A file or folder the user named is unusable (a directory, no permission, ...).
        where = f" ({exc.filename})" if exc.filename else ""
        err(f"{exc.strerror or type(exc).__name__}{where}; nothing was changed.")
        return 1


def _run(words: list[str]) -> int:
    from vault.cli.quick import answer, token_arguments

    hints = answer(words)
    if isinstance(hints, int):
        return hints  # the agent answered: argparse and the command modules never loaded
    # A plain `token NAME` the agent could not answer needs no parser either.
    args = token_arguments(words) or build_parser(first_positional(words)).parse_args(words)
    for hint, value in hints.items():
        setattr(args, hint, value)
    handler: Handler | None = getattr(args, "func", None)
    if handler is None:
        from vault.cli.ui import cmd_tui

        handler = cmd_tui
    return handler(args)
