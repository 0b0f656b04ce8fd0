"""The footer, with help and quit first so they show at every width (lazygit's `?`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED = ("help", "quit")
"""Actions whose keys stay visible however many others the width cuts off."""


class KeyFooter(Footer):
    """Textual's footer lists the focused widget's keys first and the app's last, so at 80
    columns `?` and `q` were the first to scroll out of sight: here they come first."""

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        pinned = [w for w in widgets if isinstance(w, FooterKey) and w.action in PINNED]
        pinned.sort(key=lambda w: PINNED.index(w.action))
        yield from pinned
        yield from (w for w in widgets if w not in pinned)
