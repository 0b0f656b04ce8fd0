"""What a copy toast says: only what really happened (an OSC 52 copy cannot be confirmed)."""

from __future__ import annotations

from vault.core.clipboard import CopyResult


def copied_sentence(what: str, result: CopyResult, timeout: int) -> str:
    """One sentence for a copy of ``what`` ("Token of happay-uat"); never the copied text."""
    if result.confirmed:
        hint = ", marked as a password" if result.hinted else ""
        clears = f"; cleared in {timeout}s" if timeout else ""
        return f"{what} copied via {result.method}{hint}{clears}."
    # The terminal never answers an OSC 52 write: inside tmux (set-clipboard off or external)
    # or in a terminal that ignores it, nothing lands, so "copied" would be untrue.
    out = ""
    if result.missing:
        out = f"The clipboard tool {result.missing} is not available (or failed). "
    out += f"{what} sent to the terminal (OSC 52); the terminal may not accept it"
    if result.tmux:
        out += " (inside tmux it needs set-clipboard on)"
    if timeout:
        out += f". Clearing it in {timeout}s is best effort"
    return out + "."


def cleared_sentence(method: str) -> str:
    """The toast when the countdown ends."""
    if method == "osc52":
        return "Asked the terminal to clear its clipboard (OSC 52; best effort)."
    return "Clipboard cleared."
