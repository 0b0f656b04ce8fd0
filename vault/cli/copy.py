"""`tokenvault copy`: a valid token (or its header lines) on the clipboard, cleared later."""

from __future__ import annotations

import argparse

from vault.cli.common import Command, _get, open_store, out, parse_min_valid
from vault.core.errors import VaultError
from vault.core.names import printable

# The TUI's clipboard layer (vault.core.clipboard) does the copying: the same tools, the same
# `[clipboard] timeout`, the same clear-only-if-still-ours rule. What differs is who waits:
# the TUI counts down itself; a shell command hands that to a detached clearer
# (vault.core.clipclear) so the prompt comes back at once, as `pass -c` does.


class NoClipboardTool(VaultError):
    """No native clipboard tool in this session, and a shell command cannot use OSC 52."""


def cmd_copy(args: argparse.Namespace) -> int:
    from vault.core import clipboard, clipclear, tokens
    from vault.core.config import load_config
    from vault.core.model import EventKind

    config = load_config()
    # Before any passphrase: with no tool, unlocking could not help. The same choice as the
    # TUI's: the `[clipboard] command` the user named, else the first tool found.
    tool = clipboard.chosen_tool(config.clipboard_command)
    if tool is None:
        # OSC 52 needs the escape written to the terminal and read by it; a command whose
        # output may be piped or captured cannot rely on that, and could not clear it.
        raise NoClipboardTool(
            "No clipboard tool found (wl-copy, xclip, xsel, pbcopy or clip.exe); nothing was "
            "copied. Use `tokenvault token NAME` in a pipe instead."
        )
    timeout = config.clipboard_timeout
    store = open_store(args)
    try:
        # Never an expired token: ensure generates one when less than --min-valid is left.
        token = tokens.ensure(store, args.name, parse_min_valid(args.min_valid))
        what, text = "the token", token.value
        if args.header:
            from vault.core.providers.engine import header_lines

            lines = header_lines(_get(store.reload().credentials, args.name))
            text = "\n".join(lines)
            names = [line.partition(":")[0] for line in lines]
            what = "the " + " + ".join(names) + (" headers" if len(names) > 1 else " header")
        result = clipboard.copy_text(text, tool)
        if result.method != tool.name:
            raise VaultError(f"{tool.name} could not take the text; nothing was copied.")
        if timeout > 0:
            clipclear.spawn(text, result.method, timeout, config.clipboard_command)
        with store.transaction() as data:
            if args.name in data.credentials:
                data.credentials[args.name].record(
                    EventKind.COPIED, "header" if args.header else ""
                )
    finally:
        store.close()
    hint = ", marked as a password" if result.hinted else ""
    clears = f"clearing in {timeout} s" if timeout > 0 else "not clearing ([clipboard] timeout 0)"
    out(f"Copied {what} of {printable(args.name)} with {result.method}{hint}; {clears}.")
    return 0


def register(command: Command) -> None:
    """Register copy."""
    p = command(
        "copy",
        cmd_copy,
        "Copy a valid token to the clipboard; cleared after [clipboard] timeout if unchanged.",
    )
    p.add_argument("name", help="credential name")
    p.add_argument(
        "--header",
        action="store_true",
        help="copy the header lines the token is sent with instead (as `token --header`)",
    )
    p.add_argument(
        "--min-valid", default="60s", metavar="DURATION", help="least time left (default 60s)"
    )
